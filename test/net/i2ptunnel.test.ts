/**
 * proxy/i2ptunnel across an in-process clove network on 127.0.0.1, configured the i2pd way (tunnels.conf
 * files, ../shared/specs/docs/api-i2ptunnel.html, i2pd 2.45.1 I2PTunnel.cpp):
 * - router A runs a `type = irc` server tunnel (webircpassword) in front of a tiny real IRC server, a
 *   `type = http` server tunnel (hostoverride) in front of a node:http server echoing the request headers,
 *   and a `type = server` tunnel with an accesslist that names somebody else;
 * - router B runs `type = client` tunnels to the IRC one (with `ircfilter = true`) and to the HTTP one.
 * Two IRC clients talk through B's client tunnel; the IRC server saw WEBIRC first and the rewritten USER
 * line, from the unique local address of B's destination; CTCP VERSION never reaches it. An HTTP request
 * through B's client tunnel arrives with Host rewritten, the X-I2P-* headers of B's client destination
 * (a forged one removed) and Connection: close; the response's Date header is stripped. A stream from a
 * destination not in the accesslist is closed without reaching the local service.
 */
import test from 'ava';
import { createServer as createHttpServer, type IncomingHttpHeaders } from 'node:http';
import { createServer, connect, type Server, type Socket, type AddressInfo } from 'node:net';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, makeNetwork, until } from '../helpers/net.js';
import type { Router } from '../../router/router.js';
import { generateDestinationKeys, serializePrivateKeyFile } from '../../data/private-key-file.js';
import { b32Address, fromBase32, toBase64 } from '../../data/base64.js';
import { uniqueLocalAddress } from '../../proxy/i2ptunnel/server-tunnel.js';

// ---- a tiny IRC server: NICK/USER registration, JOIN, PRIVMSG to channel members; records every line ----

interface IrcConn {
  sock: Socket;
  remoteAddress: string;
  lines: string[];
  nick?: string;
  channels: Set<string>;
}

function ircServer(): { server: Server; conns: IrcConn[] } {
  const conns: IrcConn[] = [];
  const server = createServer((sock) => {
    const c: IrcConn = { sock, remoteAddress: sock.remoteAddress ?? '', lines: [], channels: new Set() };
    conns.push(c);
    let buf = '';
    sock.on('error', () => undefined);
    sock.on('data', (d: Buffer) => {
      buf += d.toString('latin1');
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl).replace(/\r$/, '');
        buf = buf.slice(nl + 1);
        if (line === '') continue;
        c.lines.push(line);
        const [cmd, ...args] = line.split(' ');
        if (cmd === 'NICK') c.nick = args[0];
        else if (cmd === 'USER') sock.write(`:irc.test 001 ${c.nick} :Welcome\r\n`);
        else if (cmd === 'JOIN') {
          c.channels.add(args[0]!);
          for (const o of conns) if (o.channels.has(args[0]!)) o.sock.write(`:${c.nick}!u@i2p JOIN ${args[0]}\r\n`);
        } else if (cmd === 'PRIVMSG') {
          for (const o of conns) if (o !== c && o.channels.has(args[0]!)) o.sock.write(`:${c.nick}!u@i2p ${line}\r\n`);
        }
      }
    });
  });
  return { server, conns };
}

/** An IRC client through the client tunnel: registers and waits for 001; undefined if the tunnel closed. */
async function ircClient(port: number, nick: string): Promise<{ sock: Socket; lines: string[]; send(l: string): void } | undefined> {
  const sock = connect(port, '127.0.0.1');
  const lines: string[] = [];
  let buf = '';
  sock.on('data', (d: Buffer) => {
    buf += d.toString('latin1');
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      lines.push(buf.slice(0, nl).replace(/\r$/, ''));
      buf = buf.slice(nl + 1);
    }
  });
  sock.on('error', () => undefined);
  let closed = false;
  sock.on('close', () => (closed = true));
  sock.write(`NICK ${nick}\r\nUSER ${nick} 0 * :${nick} Real\r\n`);
  await until(() => closed || lines.some((l) => l.includes(` 001 ${nick} `)), 90_000, 100);
  if (!lines.some((l) => l.includes(` 001 ${nick} `))) {
    sock.destroy();
    return undefined;
  }
  return { sock, lines, send: (l) => sock.write(l + '\r\n') };
}

/** One HTTP/1.1 exchange over a raw socket through the client tunnel; '' if the tunnel closed at once. */
function rawHttp(port: number, request: string): Promise<string> {
  return new Promise((resolve) => {
    const sock = connect(port, '127.0.0.1');
    let got = '';
    sock.on('data', (d: Buffer) => (got += d.toString('latin1')));
    sock.on('error', () => undefined);
    sock.on('close', () => resolve(got));
    sock.setTimeout(120_000, () => sock.destroy());
    sock.write(request);
  });
}

async function keyFile(dir: string, name: string): Promise<{ path: string; b32: string }> {
  const keys = generateDestinationKeys({ cryptoType: 4 });
  const path = join(dir, name);
  await writeFile(path, serializePrivateKeyFile(keys), { mode: 0o600 });
  return { path, b32: b32Address(keys.identity.hash) };
}

async function listen(s: Server): Promise<number> {
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  return (s.address() as AddressInfo).port;
}

test('i2ptunnel: irc, http and accesslist server tunnels reached through client tunnels', async (t) => {
  t.timeout(5 * 60_000);
  const dir = await mkdtemp(join(tmpdir(), 'clove-i2ptunnel-'));
  const irc = ircServer();
  const ircPort = await listen(irc.server);
  const seen: { headers: IncomingHttpHeaders; remote: string }[] = [];
  const web = createHttpServer((req, res) => {
    seen.push({ headers: req.headers, remote: req.socket.remoteAddress ?? '' });
    const body = JSON.stringify(req.headers);
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), 'X-Powered-By': 'test' });
    res.end(body);
  });
  const webPort = await listen(web);
  let lockedConns = 0;
  const locked = createServer((s) => {
    lockedConns++;
    s.destroy();
  });
  const lockedPort = await listen(locked);

  const ircKeys = await keyFile(dir, 'irc.dat');
  const webKeys = await keyFile(dir, 'web.dat');
  const lockedKeys = await keyFile(dir, 'locked.dat');
  const someoneElse = b32Address(Uint8Array.from({ length: 32 }, (_, i) => i * 7));
  const pool = 'inbound.length = 2\noutbound.length = 2\ninbound.quantity = 2\noutbound.quantity = 2\n';
  const confA = join(dir, 'a.conf');
  await writeFile(
    confA,
    `[irc-srv]\ntype = irc\nhost = 127.0.0.1\nport = ${ircPort}\nkeys = ${ircKeys.path}\nwebircpassword = s3cret\n${pool}\n` +
      `[web-srv]\ntype = http\nhost = 127.0.0.1\nport = ${webPort}\nkeys = ${webKeys.path}\nhostoverride = site.example\n${pool}\n` +
      `[locked-srv]\ntype = server\nhost = 127.0.0.1\nport = ${lockedPort}\nkeys = ${lockedKeys.path}\naccesslist = ${someoneElse}\n${pool}`,
  );
  const ircCliPort = await freePort();
  const webCliPort = await freePort();
  const confB = join(dir, 'b.conf');
  await writeFile(
    confB,
    `[irc-cli]\ntype = client\ndestination = ${ircKeys.b32}\nport = ${ircCliPort}\nircfilter = true\n${pool}\n` +
      `[web-cli]\ntype = client\ndestination = ${webKeys.b32}\ndestinationport = 80\nport = ${webCliPort}\n${pool}`,
  );

  let routers: Router[] = [];
  const open: Socket[] = [];
  try {
    routers = await makeNetwork({ n: 4, extra: (i) => (i === 2 ? [`--tunconf=${confA}`] : i === 3 ? [`--tunconf=${confB}`] : []) });
    const a = routers[2]!;
    const b = routers[3]!;
    const published = (name: string): boolean => !!a.destinations().find((d) => d.name === name)?.leaseSetPublished;
    t.true(await until(() => ['irc-srv', 'web-srv', 'locked-srv'].every(published), 120_000, 500), JSON.stringify(a.destinations()));
    const ready = (name: string): boolean => {
      const d = b.destinations().find((x) => x.name === name);
      return !!d && d.tunnels.inbound > 0 && d.tunnels.outbound > 0;
    };
    t.true(await until(() => ready('irc-cli') && ready('web-cli'), 120_000, 500), JSON.stringify(b.destinations()));
    const ircCliB32 = b.destinations().find((d) => d.name === 'irc-cli')!.b32;
    const webCliB32 = b.destinations().find((d) => d.name === 'web-cli')!.b32;

    // -- IRC: two clients through B's client tunnel (a fresh destination's first lookup may miss: retry) --
    let alice: Awaited<ReturnType<typeof ircClient>>;
    for (let i = 0; i < 5 && !alice; i++) alice = await ircClient(ircCliPort, 'alice');
    if (!alice) throw new Error('alice never registered through the IRC client tunnel');
    open.push(alice.sock);
    let bob: Awaited<ReturnType<typeof ircClient>>;
    for (let i = 0; i < 5 && !bob; i++) bob = await ircClient(ircCliPort, 'bob');
    if (!bob) throw new Error('bob never registered through the IRC client tunnel');
    open.push(bob.sock);

    const aliceConn = irc.conns.find((c) => c.nick === 'alice')!;
    const hash = fromBase32(ircCliB32.replace('.b32.i2p', ''));
    const local = process.platform === 'linux' ? uniqueLocalAddress(hash) : aliceConn.remoteAddress;
    t.is(aliceConn.lines[0], `WEBIRC s3cret cgiirc ${ircCliB32} ${local}`, 'WEBIRC first, with the client b32 and our local address');
    t.is(aliceConn.remoteAddress, local, 'the ircd sees the unique local address of the remote destination');
    // client-side filter (Java): USER → "USER alice hostname localhost :…"; server side (i2pd): hostname field → b32
    t.true(aliceConn.lines.includes(`USER alice ${ircCliB32} localhost :alice Real`), aliceConn.lines.join(' | '));
    t.true(aliceConn.lines.includes('NICK alice'));

    alice.send('JOIN #clove');
    bob.send('JOIN #clove');
    t.true(await until(() => alice.lines.some((l) => l.includes('bob!u@i2p JOIN #clove')), 60_000, 100), alice.lines.join(' | '));
    alice.send('PRIVMSG bob :\x01VERSION\x01'); // CTCP: dropped by the client filter
    alice.send('PRIVMSG #clove :hello bob');
    t.true(await until(() => bob.lines.includes(':alice!u@i2p PRIVMSG #clove :hello bob'), 60_000, 100), bob.lines.join(' | '));
    bob.send('PRIVMSG #clove :\x01ACTION waves\x01');
    t.true(await until(() => alice.lines.includes(':bob!u@i2p PRIVMSG #clove :\x01ACTION waves\x01'), 60_000, 100), alice.lines.join(' | '));
    // alice's lines arrive in order: "hello bob" came after the CTCP, so the CTCP would be here if it had passed
    t.false(aliceConn.lines.some((l) => l.includes('VERSION')), aliceConn.lines.join(' | '));
    t.true(aliceConn.lines.includes('PRIVMSG #clove :hello bob'));

    // -- HTTP: a request through B's client tunnel, with a forged X-I2P header --
    const req = `GET /echo HTTP/1.1\r\nHost: ${webKeys.b32}\r\nX-I2P-DestB32: forged.b32.i2p\r\nConnection: keep-alive\r\n\r\n`;
    let reply = '';
    for (let i = 0; i < 5 && reply === ''; i++) reply = await rawHttp(webCliPort, req);
    t.regex(reply, /^HTTP\/1\.1 200 OK\r\n/);
    const [head, body] = [reply.slice(0, reply.indexOf('\r\n\r\n')), reply.slice(reply.indexOf('\r\n\r\n') + 4)];
    t.false(/\r\nDate:/i.test(head), 'Date stripped from the response (i2pd)');
    t.false(/\r\nX-Powered-By:/.test(head), 'X-Powered-By stripped from the response (i2pd)');
    const headers = JSON.parse(body) as Record<string, string>;
    t.is(headers['host'], 'site.example');
    t.is(headers['x-i2p-destb32'], webCliB32);
    const webCliDest = seen[seen.length - 1]!;
    t.is(headers['x-i2p-desthash'], toBase64(fromBase32(webCliB32.replace('.b32.i2p', ''))));
    t.true(typeof headers['x-i2p-destb64'] === 'string' && headers['x-i2p-destb64'].length >= 516);
    t.is(headers['connection'], 'close');
    if (process.platform === 'linux') t.is(webCliDest.remote, uniqueLocalAddress(fromBase32(webCliB32.replace('.b32.i2p', ''))));

    // -- accesslist: a destination not in the list gets its stream closed, the local service never sees it --
    const stranger = await b.createDestination({ name: 'stranger', inbound: { length: 2, quantity: 2 }, outbound: { length: 2, quantity: 2 } });
    t.true(await until(() => ready('stranger'), 120_000, 500));
    let refused: { data: number; how: string } | undefined;
    for (let i = 0; i < 5 && !refused; i++) {
      try {
        const s = await stranger.destination.connect(lockedKeys.b32, 0);
        refused = await new Promise((resolve) => {
          let data = 0;
          s.on('data', (d: Buffer) => (data += d.length));
          s.on('error', (e) => resolve({ data, how: `error ${(e as { code?: string }).code ?? e.message}` }));
          s.on('close', () => resolve({ data, how: 'closed' }));
          s.write('hello?');
        });
      } catch (e) {
        if ((e as { code?: string }).code === 'ENOTFOUND') continue; // lookup missed: retry, as an app would
        refused = { data: 0, how: `connect rejected: ${(e as Error).message}` };
      }
    }
    t.truthy(refused, 'the locked destination was never found');
    t.log(`accesslist: ${refused?.how}`);
    t.is(refused?.data, 0);
    t.is(lockedConns, 0, 'the local service behind the accesslist was never connected to');
  } finally {
    for (const s of open) s.destroy();
    await Promise.all(routers.map((r) => r.stop()));
    for (const c of irc.conns) c.sock.destroy();
    web.closeAllConnections();
    await Promise.all([irc.server, web, locked].map((s) => new Promise<void>((r) => s.close(() => r()))));
  }
});
