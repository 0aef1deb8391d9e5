import test from 'ava';
import { createServer, connect, type AddressInfo, type Socket } from 'node:net';
import { gzipSync } from 'node:zlib';
import { FetchError, i2pHttpFetch, subscriptionUrlProblem } from '../../../../proxy/addressbook/fetch.js';
import type { I2PConnector } from '../../../../proxy/connector.js';

const HOST = `${'a'.repeat(52)}.b32.i2p`;

/**
 * A raw TCP server on 127.0.0.1 playing the subscription site (so malformed responses can be sent), and an
 * I2PConnector whose streams are TCP connections to it — the HTTP exchange is real, only I2P is left out.
 */
async function site(respond: (request: string, sock: Socket) => void) {
  const requests: string[] = [];
  const server = createServer((sock) => {
    let buf = '';
    sock.on('data', (d) => {
      buf += d.toString('latin1');
      if (buf.includes('\r\n\r\n')) {
        requests.push(buf);
        respond(buf, sock);
      }
    });
    sock.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  const dialed: { host: string; port: number }[] = [];
  const connector: I2PConnector = {
    async connect(host, p) {
      dialed.push({ host, port: p });
      const s = connect(port, '127.0.0.1');
      await new Promise((r, j) => s.once('connect', r).once('error', j));
      return s;
    },
  };
  return { requests, dialed, connector, close: () => new Promise<void>((r) => server.close(() => r())) };
}

const opts = (extra: Partial<{ headers: Record<string, string>; maxBytes: number; signal: AbortSignal }> = {}) => ({
  signal: extra.signal ?? new AbortController().signal,
  headers: extra.headers ?? {},
  maxBytes: extra.maxBytes ?? 1_000_000,
});

test("plain 200: i2pd's request headers go out, status/headers/body come back", async (t) => {
  const s = await site((_req, sock) => sock.end('HTTP/1.1 200 OK\r\nETag: "abc"\r\nContent-Length: 11\r\nConnection: close\r\n\r\nhello=world'));
  const r = await i2pHttpFetch(s.connector)(`http://${HOST}:8080/hosts.txt?x=1`, opts({ headers: { 'If-None-Match': '"old"' } }));
  t.is(r.status, 200);
  t.is(r.headers['etag'], '"abc"');
  t.is(Buffer.from(r.body).toString(), 'hello=world');
  t.deepEqual(s.dialed, [{ host: HOST, port: 8080 }]);
  const req = s.requests[0]!;
  t.true(req.startsWith('GET /hosts.txt?x=1 HTTP/1.1\r\n'));
  t.regex(req, new RegExp(`\\r\\nHost: ${HOST}:8080\\r\\n`));
  t.regex(req, /\r\nUser-Agent: Wget\/1\.11\.4\r\n/);
  t.regex(req, /\r\nIf-None-Match: "old"\r\n/);
  t.regex(req, /\r\nConnection: close\r\n/);
  await s.close();
});

test('gzip and chunked bodies are decoded; 304 has no body', async (t) => {
  const text = 'a.i2p=AAAA\n'.repeat(1000);
  const gz = gzipSync(text);
  let n = 0;
  const s = await site((_req, sock) => {
    n++;
    if (n === 1) {
      sock.write(`HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: ${gz.length}\r\n\r\n`);
      sock.end(gz);
    } else if (n === 2) {
      sock.end('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n');
    } else sock.end('HTTP/1.1 304 Not Modified\r\n\r\n');
  });
  const f = i2pHttpFetch(s.connector);
  t.is(Buffer.from((await f(`http://${HOST}/`, opts())).body).toString(), text);
  t.is(Buffer.from((await f(`http://${HOST}/`, opts())).body).toString(), 'hello world');
  const nm = await f(`http://${HOST}/`, opts());
  t.is(nm.status, 304);
  t.is(nm.body.length, 0);
  await s.close();
});

test('bad responses: cut short, too large, gzip bomb, garbage — FetchError, nothing thrown otherwise', async (t) => {
  const bomb = gzipSync(Buffer.alloc(5_000_000));
  let n = 0;
  const s = await site((_req, sock) => {
    n++;
    if (n === 1) sock.end('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly ten..');
    else if (n === 2) sock.end(`HTTP/1.1 200 OK\r\n\r\n${'x'.repeat(5000)}`);
    else if (n === 3) {
      sock.write(`HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n\r\n`);
      sock.end(bomb);
    } else sock.end('SSH-2.0-OpenSSH\r\n\r\n');
  });
  const f = i2pHttpFetch(s.connector);
  const short = await t.throwsAsync(f(`http://${HOST}/`, opts()), { instanceOf: FetchError });
  t.is(short.code, 'BAD_RESPONSE');
  t.is((await t.throwsAsync(f(`http://${HOST}/`, opts({ maxBytes: 1000 })), { instanceOf: FetchError })).code, 'TOO_LARGE');
  t.is((await t.throwsAsync(f(`http://${HOST}/`, opts({ maxBytes: 1_000_000 })), { instanceOf: FetchError })).code, 'TOO_LARGE');
  t.is((await t.throwsAsync(f(`http://${HOST}/`, opts()), { instanceOf: FetchError })).code, 'BAD_RESPONSE');
  await s.close();
});

test('only http:// URLs on I2P hosts: anything else is refused before any connection', async (t) => {
  const s = await site((_req, sock) => sock.end('HTTP/1.1 200 OK\r\n\r\n'));
  const f = i2pHttpFetch(s.connector);
  for (const url of ['http://example.com/hosts.txt', 'http://127.0.0.1/hosts.txt', 'http://[::1]/h', 'https://reg.i2p/hosts.txt', 'ftp://reg.i2p/x', 'not a url', 'http://user:pw@reg.i2p/']) {
    t.truthy(subscriptionUrlProblem(url), url);
    t.is((await t.throwsAsync(f(url, opts()), { instanceOf: FetchError })).code, 'BAD_URL', url);
  }
  t.deepEqual(s.dialed, []);
  t.is(subscriptionUrlProblem('http://reg.i2p/hosts.txt'), undefined);
  t.is(subscriptionUrlProblem(`http://${HOST}/hosts.txt`), undefined);
  await s.close();
});

test('an abort ends a download that never answers', async (t) => {
  const s = await site(() => undefined); // never replies
  const ac = new AbortController();
  const p = i2pHttpFetch(s.connector)(`http://${HOST}/`, opts({ signal: ac.signal }));
  await new Promise((r) => setTimeout(r, 50));
  ac.abort(new Error('deadline'));
  const e = await t.throwsAsync(p);
  t.is(e.name, 'AbortError');
  await s.close();
});
