/**
 * HTTP server-tunnel head rewriting (i2pd 2.45.1 I2PServerTunnelConnectionHTTP), and the FilteredDuplex
 * that applies it to a stream, over a real socket pair.
 */
import test from 'ava';
import fc from 'fast-check';
import { createServer, connect, type Socket, type AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { HttpHeadError, HttpServerRequestRewriter, HttpServerResponseFilter, MAX_REQUEST_HEAD } from '../../../../proxy/i2ptunnel/http-server.js';
import { FilteredDuplex } from '../../../../proxy/i2ptunnel/filtered.js';
import { parseAccessList, uniqueLocalAddress } from '../../../../proxy/i2ptunnel/server-tunnel.js';
import { connectTarget } from '../../../../proxy/i2ptunnel/client-tunnel.js';
import { b32Address, toBase64 } from '../../../../data/base64.js';
import { generateDestinationKeys } from '../../../../data/private-key-file.js';

const peer = { b32: 'abcd.b32.i2p', hashBase64: 'HASH=', destBase64: 'DEST~B64' };
const XI2P = 'X-I2P-DestB32: abcd.b32.i2p\r\nX-I2P-DestHash: HASH=\r\nX-I2P-DestB64: DEST~B64\r\n';
const text = (b: Uint8Array): string => Buffer.from(b).toString('latin1');

test('http request: Host overridden, Connection forced to close, X-I2P added, body exact', (t) => {
  const r = new HttpServerRequestRewriter({ hostOverride: 'site.example', peer });
  const out = text(r.push(Buffer.from('POST /p HTTP/1.1\r\nHost: xyz.b32.i2p\r\nConnection: keep-alive\r\nContent-Length: 4\r\n\r\nbody')));
  t.is(out, `POST /p HTTP/1.1\r\nHost: site.example\r\nConnection: close\r\nContent-Length: 4\r\n${XI2P}\r\nbody`);
  t.true(r.headDone);
  // after the head everything passes untouched — including what looks like another request head
  const more = 'GET /2 HTTP/1.1\r\nX-I2P-DestB32: spoof\r\nHost: h\r\n\r\n';
  t.is(text(r.push(Buffer.from(more))), more);
});

test('http request: without hostoverride the Host header is the client\'s (i2pd)', (t) => {
  const r = new HttpServerRequestRewriter({ peer });
  t.is(text(r.push(Buffer.from('GET / HTTP/1.1\r\nHost: xyz.b32.i2p\r\n\r\n'))), `GET / HTTP/1.1\r\nHost: xyz.b32.i2p\r\nConnection: close\r\n${XI2P}\r\n`);
});

test('http request: client X-I2P-* and Keep-Alive headers are removed, any case; later lines kept', (t) => {
  const r = new HttpServerRequestRewriter({ peer });
  const out = text(
    r.push(Buffer.from('GET / HTTP/1.1\r\nx-i2p-destb32: forged.b32.i2p\r\nX-I2P-DestHash: forged\r\nKEEP-ALIVE: 300\r\nAccept: */*\r\n\r\n')),
  );
  t.is(out, `GET / HTTP/1.1\r\nAccept: */*\r\nConnection: close\r\n${XI2P}\r\n`);
  t.is(out.match(/X-I2P-DestB32/gi)?.length, 1);
});

test('http request: i2pd\'s Connection rule, literally', (t) => {
  const run = (c: string): string => text(new HttpServerRequestRewriter({ peer }).push(Buffer.from(`GET / HTTP/1.1\r\n${c}\r\n\r\n`)));
  t.is(run('Connection: Upgrade'), `GET / HTTP/1.1\r\nConnection: close\r\n${XI2P}\r\n`);
  t.is(run('connection: keep-alive, upgrade'), `GET / HTTP/1.1\r\nConnection: close\r\n${XI2P}\r\n`);
  // "pgrade" past the start and not after 'u': the line is kept as it is
  t.is(run('Connection: xpgrade'), `GET / HTTP/1.1\r\nConnection: xpgrade\r\n${XI2P}\r\n`);
});

test('http request: head split anywhere gives the same output (property)', (t) => {
  const req = 'GET /a HTTP/1.1\r\nHost: h.i2p\r\nX-I2P-DestB64: f\r\nConnection: keep-alive\r\nUser-Agent: x\r\n\r\n' + 'B'.repeat(50);
  const whole = text(new HttpServerRequestRewriter({ hostOverride: 'o', peer }).push(Buffer.from(req)));
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 1, max: req.length - 1 }), { maxLength: 6 }), (cuts) => {
      const points = [...new Set(cuts)].sort((a, b) => a - b);
      const r = new HttpServerRequestRewriter({ hostOverride: 'o', peer });
      let out = '';
      let prev = 0;
      for (const p of [...points, req.length]) {
        out += text(r.push(Buffer.from(req.slice(prev, p))));
        prev = p;
      }
      return out === whole;
    }),
  );
  t.true(whole.includes('Host: o\r\n'));
});

test('http request: a head over 8192 bytes is an error', (t) => {
  const r = new HttpServerRequestRewriter({ peer });
  t.is(r.push(Buffer.from('GET / HTTP/1.1\r\n')).length, 0);
  t.throws(() => r.push(Buffer.from('X-Big: ' + 'a'.repeat(MAX_REQUEST_HEAD) + '\r\n')), { instanceOf: HttpHeadError });
});

test('http response: i2pd strips Server, Date, X-Runtime, X-Powered-By, Proxy* (case-sensitive); body exact', (t) => {
  const f = new HttpServerResponseFilter();
  const body = randomBytes(300);
  const head = 'HTTP/1.1 200 OK\r\nServer: nginx/1.2\r\nDate: Mon\r\nX-Powered-By: PHP\r\nX-Runtime: 1\r\nProxy-Agent: x\r\nserver: lower\r\nContent-Length: 300\r\n\r\n';
  const out = Buffer.concat([f.push(Buffer.from(head.slice(0, 30))), f.push(Buffer.concat([Buffer.from(head.slice(30)), body.subarray(0, 100)])), f.push(body.subarray(100))]);
  const expectHead = 'HTTP/1.1 200 OK\r\nserver: lower\r\nContent-Length: 300\r\n\r\n';
  t.is(out.subarray(0, expectHead.length).toString('latin1'), expectHead);
  t.true(out.subarray(expectHead.length).equals(body));
});

test('http response: a head over the bound passes unfiltered, nothing lost', (t) => {
  const f = new HttpServerResponseFilter({ maxHead: 64 });
  const data = Buffer.from('HTTP/1.1 200 OK\r\nServer: x\r\n' + 'Y'.repeat(100));
  const out = Buffer.concat([f.push(data), f.push(Buffer.from('rest'))]);
  t.true(f.responseHeadTooLong);
  t.is(out.toString('latin1'), data.toString('latin1') + 'rest');
});

async function socketPair(): Promise<[Socket, Socket]> {
  const srv = createServer({ allowHalfOpen: true });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const accepted = new Promise<Socket>((r) => srv.once('connection', r));
  const c = connect({ port: (srv.address() as AddressInfo).port, host: '127.0.0.1', allowHalfOpen: true });
  const s = await accepted;
  srv.close();
  return [c, s];
}

test('filtered duplex: rewrites the head of what the inner stream gives, half-close and bytes intact', async (t) => {
  const [inner, far] = await socketPair();
  const view = new FilteredDuplex(inner, { read: new HttpServerRequestRewriter({ hostOverride: 'o', peer }), write: new HttpServerResponseFilter() });
  const body = randomBytes(200_000);
  far.write('PUT /x HTTP/1.1\r\nHost: a\r\n\r\n');
  far.end(body);
  const got: Buffer[] = [];
  view.on('data', (c: Buffer) => got.push(c));
  await new Promise((r) => view.once('end', r));
  const all = Buffer.concat(got);
  const head = `PUT /x HTTP/1.1\r\nHost: o\r\nConnection: close\r\n${XI2P}\r\n`;
  t.is(all.subarray(0, head.length).toString('latin1'), head);
  t.true(all.subarray(head.length).equals(body));
  // the other direction: response filtered, then our end() reaches the far side
  const back: Buffer[] = [];
  far.on('data', (c: Buffer) => back.push(c));
  view.end('HTTP/1.1 200 OK\r\nServer: s\r\n\r\nok');
  await new Promise((r) => far.once('end', r));
  t.is(Buffer.concat(back).toString(), 'HTTP/1.1 200 OK\r\n\r\nok');
  far.destroy();
});

test('filtered duplex: a filter error tears both down', async (t) => {
  const [inner, far] = await socketPair();
  const view = new FilteredDuplex(inner, { read: new HttpServerRequestRewriter({ peer, maxHead: 32 }) });
  view.resume();
  const err = new Promise<Error>((r) => view.once('error', r));
  far.write('GET / HTTP/1.1\r\nX: ' + 'a'.repeat(100));
  t.true((await err) instanceof HttpHeadError);
  far.resume();
  await new Promise((r) => far.once('end', r)); // inner destroyed: the far side sees its FIN
  t.true(inner.destroyed);
  far.destroy();
});

test('server tunnel helpers: unique local address and access list parsing', (t) => {
  const hash = Uint8Array.from({ length: 32 }, (_, i) => i + 200);
  t.is(uniqueLocalAddress(hash), '127.200.201.202');
  const b32 = b32Address(hash);
  const { hashes, invalid } = parseAccessList([b32, b32.replace('.b32.i2p', '').toUpperCase(), 'not-an-address', 'abc.i2p']);
  t.deepEqual([...hashes], [Buffer.from(hash).toString('hex')]);
  t.deepEqual(invalid, ['not-an-address', 'abc.i2p']);
});

test('client tunnel target: b32 and names as written, base64 destination as its b32', (t) => {
  t.is(connectTarget('IRC.ilita.i2p'), 'irc.ilita.i2p');
  const hash = Uint8Array.from({ length: 32 }, (_, i) => i);
  t.is(connectTarget(b32Address(hash)), b32Address(hash));
  t.is(connectTarget('AAAAAAAAAA'), 'AAAAAAAAAA', 'a bare name goes to the connector as it is');
  const dest = generateDestinationKeys().identity;
  t.is(connectTarget(toBase64(dest.bytes)), b32Address(dest.hash));
  const junk = 'A'.repeat(600);
  t.is(connectTarget(junk), junk, 'base64 that is no destination: the connector answers BAD_ADDRESS');
});
