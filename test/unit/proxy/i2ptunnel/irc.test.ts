/**
 * IRC line transformers of proxy/i2ptunnel: the server-side rewriter (i2pd 2.45.1 I2PTunnelConnectionIRC)
 * and the client-side filter (Java I2P IRCFilter), plus the line splitter's bound.
 */
import test from 'ava';
import fc from 'fast-check';
import { IrcServerRewriter } from '../../../../proxy/i2ptunnel/irc-server.js';
import { IrcClientFilter, IrcClientFilterStream, OUTBOUND_ALLOWED } from '../../../../proxy/i2ptunnel/irc-filter.js';
import { LineSplitter } from '../../../../proxy/i2ptunnel/lines.js';
import { parseTunnels, type ClientTunnelDef } from '../../../../conf/tunnels.js';

const B32 = 'ukeu3k5oycgaauneqgtnvselmt4yemvoilkln7jpvamvfx7dnkdq.b32.i2p';
const bytes = (s: string): Uint8Array => Buffer.from(s, 'latin1');
const text = (b: Uint8Array): string => Buffer.from(b).toString('latin1');

// ---- server side (i2pd) ----

test('irc server: USER hostname field becomes the client b32, other lines untouched', (t) => {
  const r = new IrcServerRewriter({ clientB32: B32 });
  const out = text(r.push(bytes('NICK alice\r\nUSER alice 0 * :Alice Liddell\r\nJOIN #i2p\r\n')));
  t.is(out, `NICK alice\r\nUSER alice ${B32} * :Alice Liddell\r\nJOIN #i2p\r\n`);
  // i2pd keeps up to the second space, inserts the address, then keeps from the third space on
  t.is(text(new IrcServerRewriter({ clientB32: B32 }).push(bytes('USER bob myhost.example irc :Bob\r\n'))), `USER bob ${B32} irc :Bob\r\n`);
});

test('irc server: i2pd index arithmetic on USER, exactly', (t) => {
  // "USER alice 0 * :A" → fields split at the 1st, 2nd and 3rd space: "USER alice " + b32 + " * :A"
  const r = new IrcServerRewriter({ clientB32: 'X' });
  t.is(text(r.push(bytes('USER alice 0 * :A\n'))), 'USER alice X * :A\n');
  t.is(text(r.push(bytes('USER a b c\r\n'))), 'USER a X c\r\n');
});

test('irc server: WEBIRC line first, once, with the local address', (t) => {
  const r = new IrcServerRewriter({ clientB32: B32, webircPassword: 's3cret', localAddress: '127.1.2.3' });
  const first = text(r.push(bytes('NICK a\r\n')));
  t.is(first, `WEBIRC s3cret cgiirc ${B32} 127.1.2.3\nNICK a\r\n`);
  t.is(text(r.push(bytes('NICK b\r\n'))), 'NICK b\r\n');
  t.is(text(new IrcServerRewriter({ clientB32: B32, webircPassword: '' }).push(bytes('NICK a\r\n'))), 'NICK a\r\n');
});

test('irc server: lines split across reads are joined before rewriting', (t) => {
  const r = new IrcServerRewriter({ clientB32: B32 });
  let out = '';
  for (const piece of ['US', 'ER al', 'ice 0 * :Al', 'ice\r', '\nPRIVMSG #c :hi\r\n']) out += text(r.push(bytes(piece)));
  t.is(out, `USER alice ${B32} * :Alice\r\nPRIVMSG #c :hi\r\n`);
});

test('irc server: lower-case user is rewritten too, USERHOST is not, malformed USER dropped', (t) => {
  const r = new IrcServerRewriter({ clientB32: 'X' });
  t.is(text(r.push(bytes('user a b c :d\r\n'))), 'user a X c :d\r\n');
  t.is(text(r.push(bytes('USERHOST alice\r\n'))), 'USERHOST alice\r\n');
  t.is(text(r.push(bytes('USER alice 0\r\nNICK z\r\n'))), 'NICK z\r\n');
  t.is(r.malformed, 1);
});

test('irc server: an over-long line is dropped, the stream goes on', (t) => {
  const r = new IrcServerRewriter({ clientB32: 'X', maxLine: 100 });
  const out = text(r.push(bytes('USER ' + 'a'.repeat(200) + ' 0 * :x\r\nNICK ok\r\n')));
  t.is(out, 'NICK ok\r\n');
  t.is(r.dropped, 1);
  // over-long and still unfinished across reads: nothing of it passes, the next line does
  t.is(text(r.push(bytes('x'.repeat(150)))), '');
  t.is(text(r.push(bytes('y'.repeat(150)))), '');
  t.is(text(r.push(bytes('zz\r\nJOIN #a\r\n'))), 'JOIN #a\r\n');
  t.is(r.dropped, 2);
});

test('irc server: end() passes an unfinished last line', (t) => {
  const r = new IrcServerRewriter({ clientB32: 'X' });
  t.is(text(r.push(bytes('QUIT :bye'))), '');
  t.is(text(r.end()), 'QUIT :bye');
});

test('line splitter: never returns a line over its bound (property)', (t) => {
  fc.assert(
    fc.property(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 20 }), fc.integer({ min: 1, max: 64 }), (chunks, max) => {
      const s = new LineSplitter(max);
      for (const c of chunks) for (const l of s.push(c)) if (l.length > max || l.includes('\n')) return false;
      return s.pending <= max;
    }),
  );
  t.pass();
});

test('line splitter: bytes are preserved exactly (latin1 round trip)', (t) => {
  const s = new LineSplitter();
  const raw = Buffer.from([0xc3, 0xa9, 0xff, 0x00, 0x0d, 0x0a]);
  const [line] = s.push(raw);
  t.deepEqual([...Buffer.from(line!, 'latin1')], [0xc3, 0xa9, 0xff, 0x00, 0x0d]);
});

// ---- client side (Java IRCFilter) ----

test('irc client filter: allowed outbound commands pass unchanged', (t) => {
  const f = new IrcClientFilter();
  for (const l of ['NICK alice', 'JOIN #i2p', 'MODE #i2p +o bob', 'WHOIS bob', 'CAP LS 302', 'PRIVMSG #i2p :hello there', 'NOTICE bob :hi', 'TOPIC #i2p :t']) {
    t.is(f.outbound(l), l, l);
  }
  t.true(OUTBOUND_ALLOWED.has('NICKSERV'));
  t.is(f.outbound('nick alice'), 'nick alice', 'commands match in any case');
});

test('irc client filter: identifying outbound commands are rewritten', (t) => {
  const f = new IrcClientFilter();
  t.is(f.outbound('USER alice myhost.example irc.example.org :Alice L'), 'USER alice hostname localhost :Alice L');
  t.is(f.outbound('USER alice 0 *'), 'USER user hostname localhost :realname');
  t.is(f.outbound('QUIT :Leaving: HexChat 2.16.1 on Debian'), 'QUIT :leaving');
  t.is(f.outbound('PART #i2p :my client version'), 'PART #i2p :leaving');
  t.is(f.outbound('PONG 192.168.1.5'), 'PONG 127.0.0.1');
  t.is(f.outbound('PING'), 'PING');
  t.is(f.outbound('PING 12345'), 'PING 12345');
});

test('irc client filter: CTCP limited to ACTION; DCC and others dropped', (t) => {
  const f = new IrcClientFilter();
  t.is(f.outbound('PRIVMSG #i2p :\x01ACTION waves\x01'), 'PRIVMSG #i2p :\x01ACTION waves\x01');
  t.is(f.outbound('PRIVMSG bob :\x01VERSION\x01'), null);
  t.is(f.outbound('NOTICE bob :\x01VERSION HexChat 2.16.1 / Linux\x01'), null);
  t.is(f.outbound('PRIVMSG bob :\x01DCC SEND file.txt 3232235777 5000 1234\x01'), null);
  t.is(f.outbound('NOTICE bob :DCC Send file.txt (192.168.1.1)'), null);
  t.is(f.outbound('PRIVMSG bob :\x01ACTION a\x01\x01VERSION\x01'), null, 'more than one CTCP in a message');
  t.is(f.outbound('PRIVMSG bob :\x01ACTION unterminated'), null);
});

test('irc client filter: unknown, prefixed and empty outbound lines dropped', (t) => {
  const f = new IrcClientFilter();
  t.is(f.outbound('SQUERY x'), null);
  t.is(f.outbound('WEBIRC pass gw host 1.2.3.4'), null, 'a client cannot send its own WEBIRC');
  t.is(f.outbound(':alice PRIVMSG #c :x'), null);
  t.is(f.outbound(''), null);
  t.is(f.outbound('PRIVMSG'), null);
  t.is(f.outbound('@+typing=active PRIVMSG #c :hi'), 'PRIVMSG #c :hi', 'message tags removed');
});

test('irc client filter: inbound allow list, numerics, CTCP and PING', (t) => {
  const f = new IrcClientFilter();
  t.is(f.inbound(':irc.example 001 alice :Welcome'), ':irc.example 001 alice :Welcome');
  t.is(f.inbound(':bob!b@h PRIVMSG #i2p :hello'), ':bob!b@h PRIVMSG #i2p :hello');
  t.is(f.inbound(':bob!b@h JOIN #i2p'), ':bob!b@h JOIN #i2p');
  t.is(f.inbound(':bob!b@h PRIVMSG alice :\x01ACTION hugs\x01'), ':bob!b@h PRIVMSG alice :\x01ACTION hugs\x01');
  t.is(f.inbound(':bob!b@h PRIVMSG alice :\x01VERSION\x01'), null);
  t.is(f.inbound(':bob!b@h PRIVMSG alice :\x01DCC CHAT chat 1.2.3.4 5000\x01'), null);
  t.is(f.inbound('PRIVMSG alice :hi \x01VERSION\x01 there'), null, 'CTCP anywhere in the text, without prefix');
  t.is(f.inbound('PING :irc.example'), 'PING 127.0.0.1');
  t.is(f.inbound(':irc.example INVITE alice #secret'), null);
  t.is(f.inbound(':irc.example PROTOCTL NAMESX'), ':irc.example PROTOCTL NAMESX');
  t.is(f.inbound(':irc.example'), null);
});

test('irc client filter: PING with a server location expects the PONG Java rewrites', (t) => {
  const f = new IrcClientFilter();
  t.is(f.outbound('PING 1234567890 127.0.0.1'), 'PING 1234567890');
  t.is(f.inbound(':irc.example PONG irc.example :1234567890'), 'PONG 127.0.0.1 :1234567890');
  t.is(f.inbound(':irc.example PONG irc.example :x'), ':irc.example PONG irc.example :x', 'only once');
});

test('irc client filter stream: CRLF framing, dropped lines do not leak, bytes kept', (t) => {
  const s = new IrcClientFilterStream(64);
  const out = text(s.outbound(bytes('NICK alice\nUSER a b c :Real Name\r\nPRIVMSG bob :\x01VERSION\x01\r\nPRIVMSG #c :caf\xc3\xa9\r\nQUIT :bye')));
  t.is(out, 'NICK alice\r\nUSER a hostname localhost :Real Name\r\nPRIVMSG #c :caf\xc3\xa9\r\n');
  t.is(text(s.endOutbound()), 'QUIT :leaving\r\n');
  t.is(s.blockedOut, 1);
  t.is(text(s.inbound(bytes(':s 001 a :hi\r\n:x PRIVMSG a :' + 'z'.repeat(100) + '\r\n:s 002 a :b\r\n'))), ':s 001 a :hi\r\n:s 002 a :b\r\n');
  t.is(s.droppedLong, 1);
});

test('tunnels.conf: ircfilter is a client key, default false', (t) => {
  const warnings: string[] = [];
  const ts = parseTunnels(
    '[irc]\ntype = client\ndestination = irc.ilita.i2p\nport = 6668\nircfilter = true\n[plain]\ntype = client\ndestination = x.i2p\nport = 6669\n[srv]\ntype = server\nhost = 127.0.0.1\nport = 1\nkeys = a.dat\nircfilter = true\n',
    'tunnels.conf',
    warnings,
  );
  t.true((ts[0] as ClientTunnelDef).ircFilter);
  t.false((ts[1] as ClientTunnelDef).ircFilter);
  t.deepEqual(warnings, ["tunnels.conf, line 15: [srv] 'ircfilter' is not used by server tunnels, ignored"]);
  t.throws(() => parseTunnels('[x]\ntype = client\ndestination = a.i2p\nport = 1\nircfilter = yes\n', 'f'), { message: /true, false, 1 or 0/ });
});
