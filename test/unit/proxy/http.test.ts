import test, { type ExecutionContext } from 'ava';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { Agent, createServer as createHttpServer, request, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { connect, createServer } from 'node:net';
import { toBase64 } from '../../../data/base64.js';
import { createDestination } from '../../../data/identity.js';
import {
  ADDRESS_HELPER_CONFIRM_PARAM,
  FIXED_USER_AGENT,
  HttpProxy,
  destinationB32,
  parseOutproxy,
  sanitizeRequestHeaders,
  stripHelperParams,
  type HttpProxyOptions,
} from '../../../proxy/http.js';
import type { AddressBookHandle } from '../../../proxy/connector.js';
import { b32, echoServer, fakeConnector, listen, rawClient, spyDns, waitFor, within, type FakeConnector } from './helpers.js';

interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  rawHeaders: string[];
  body: Buffer;
  remotePort: number;
}

/** An origin web server on 127.0.0.1 standing in for an eepsite. Records every request. */
async function origin(t: ExecutionContext): Promise<{ port: number; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = createHttpServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    seen.push({ method: req.method!, url: req.url!, headers: req.headers, rawHeaders: req.rawHeaders, body: Buffer.concat(chunks), remotePort: req.socket.remotePort! });
    if (req.url === '/big') {
      res.writeHead(200, { 'Content-Type': 'application/octet-stream' });
      res.end(Buffer.alloc(3 * 1024 * 1024, 1));
      return;
    }
    res.writeHead(200, {
      'Content-Type': 'text/plain',
      'X-Site': 'yes',
      'Keep-Alive': 'timeout=99',
      Connection: 'X-Secret-Hop',
      'X-Secret-Hop': 'drop me',
      'Set-Cookie': ['a=1', 'b=2'],
    });
    res.end(`hello ${req.method} ${req.url}`);
  });
  return { port: await listen(t, server), seen };
}

function memoryBook(entries: Record<string, string> = {}): AddressBookHandle & { map: Map<string, string>; adds: number } {
  const map = new Map(Object.entries(entries));
  const book = {
    map,
    adds: 0,
    lookup: (n: string) => map.get(n),
    add: (n: string, d: string) => {
      book.adds++;
      map.set(n, d);
    },
  };
  return book;
}

async function setup(
  t: ExecutionContext,
  opts: Partial<HttpProxyOptions> = {},
): Promise<{ port: number; connector: FakeConnector; proxy: HttpProxy; site: string; seen: Seen[]; echoHost: string }> {
  const connector = fakeConnector();
  const site = b32();
  const o = await origin(t);
  connector.routes.set(site, o.port);
  const echoHost = b32();
  connector.routes.set(echoHost, await echoServer(t));
  const proxy = new HttpProxy({ connector, host: '127.0.0.1', port: 0, ...opts });
  const { port } = await proxy.listen();
  t.teardown(() => proxy.close());
  return { port, connector, proxy, site, seen: o.seen, echoHost };
}

interface Res {
  status: number;
  headers: IncomingHttpHeaders;
  rawHeaders: string[];
  body: string;
}

function get(proxyPort: number, url: string, opts: { method?: string; headers?: Record<string, string | string[]>; body?: Buffer | string; agent?: Agent } = {}): Promise<Res> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: proxyPort, method: opts.method ?? 'GET', path: url, headers: opts.headers, agent: opts.agent ?? false });
    req.on('response', async (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      for await (const c of res) chunks.push(c as Buffer);
      resolve({ status: res.statusCode!, headers: res.headers, rawHeaders: res.rawHeaders, body: Buffer.concat(chunks).toString() });
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

test('absolute-URI GET reaches the .b32.i2p site in origin form with identifying headers stripped', async (t) => {
  const { port, site, seen, connector } = await setup(t);
  const res = await get(port, `http://${site}/path/x?q=1&r=%20`, {
    headers: {
      Host: site,
      'User-Agent': 'Mozilla/5.0 (X11; Linux x86_64; rv:115.0) Gecko/20100101 Firefox/115.0',
      Accept: 'text/html',
      'Accept-Language': 'de-CH,de;q=0.9',
      'Accept-Charset': 'utf-8',
      'Accept-Encoding': 'gzip',
      Via: '1.1 somewhere',
      'X-Forwarded-For': '192.168.1.7',
      'X-Forwarded-Proto': 'http',
      Forwarded: 'for=192.168.1.7',
      From: 'me@example.com',
      DNT: '1',
      'Proxy-Authorization': 'Basic Zm9vOmJhcg==',
      'Proxy-Connection': 'keep-alive',
      Referer: 'http://other.i2p/page',
      'X-Requested-With': 'com.example.app',
      Cookie: 'session=abc',
      'X-Custom': 'kept',
    },
  });
  t.is(res.status, 200);
  t.is(res.body, 'hello GET /path/x?q=1&r=%20');
  t.deepEqual(connector.calls, [{ host: site, port: 80 }]);
  const h = seen[0]!.headers;
  t.is(seen[0]!.url, '/path/x?q=1&r=%20', 'origin-form request line');
  t.is(h.host, site);
  t.is(h['user-agent'], FIXED_USER_AGENT);
  for (const gone of ['accept', 'accept-language', 'accept-charset', 'via', 'x-forwarded-for', 'x-forwarded-proto', 'forwarded', 'from', 'dnt', 'proxy-authorization', 'proxy-connection', 'referer', 'x-requested-with']) {
    t.is(h[gone], undefined, `${gone} stripped`);
  }
  t.is(h['accept-encoding'], 'gzip');
  t.is(h.cookie, 'session=abc');
  t.is(h['x-custom'], 'kept');
  t.is(h.connection, 'close');
  // Response: hop-by-hop headers dropped, the rest (including both Set-Cookie) passed.
  t.is(res.headers['x-site'], 'yes');
  t.deepEqual(res.headers['set-cookie'], ['a=1', 'b=2']);
  t.is(res.headers['x-secret-hop'], undefined);
  t.is(res.headers['keep-alive'], undefined);
});

test('same-origin Referer and XMLHttpRequest are kept; port goes into Host', async (t) => {
  const { port, site, seen, connector } = await setup(t);
  // The fake connector ignores the port; the proxy must pass it on and put it into Host.
  const res = await get(port, `http://${site}:8080/a`, { headers: { Referer: `http://${site}:8080/prev`, 'X-Requested-With': 'XMLHttpRequest' } });
  t.is(res.status, 200);
  t.is(seen[0]!.headers.host, `${site}:8080`);
  t.is(seen[0]!.headers.referer, `http://${site}:8080/prev`);
  t.is(seen[0]!.headers['x-requested-with'], 'XMLHttpRequest');
  t.deepEqual(connector.calls, [{ host: site, port: 8080 }]);
  // Path and query go out as sent, not normalised.
  await get(port, `http://${site}:8080/a/./b/../c?x=%7e&y=~`);
  t.is(seen[1]!.url, '/a/./b/../c?x=%7e&y=~');
  // Absolute URI with only a query.
  await get(port, `http://${site}?q`);
  t.is(seen[2]!.url, '/?q');
});

test('request bodies pass: Content-Length and chunked', async (t) => {
  const { port, site, seen } = await setup(t);
  const body = randomBytes(200_000);
  const r1 = await get(port, `http://${site}/upload`, { method: 'POST', body, headers: { 'Content-Length': String(body.length) } });
  t.is(r1.status, 200);
  t.deepEqual(seen[0]!.body, body);
  const r2 = await get(port, `http://${site}/chunked`, { method: 'PUT', body: 'chunky', headers: { 'Transfer-Encoding': 'chunked' } });
  t.is(r2.status, 200);
  t.is(seen[1]!.body.toString(), 'chunky');
});

test('keep-alive: two requests on one browser connection, one upstream stream each', async (t) => {
  const { port, site, seen } = await setup(t);
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  t.teardown(() => agent.destroy());
  let sockets = 0;
  const counting = (url: string): Promise<Res> =>
    new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path: url, agent });
      req.on('socket', (s) => {
        if (!(s as unknown as { __seen?: boolean }).__seen) {
          (s as unknown as { __seen?: boolean }).__seen = true;
          sockets++;
        }
      });
      req.on('response', async (res) => {
        let b = '';
        for await (const c of res) b += c;
        resolve({ status: res.statusCode!, headers: res.headers, rawHeaders: res.rawHeaders, body: b });
      });
      req.on('error', reject);
      req.end();
    });
  t.is((await counting(`http://${site}/1`)).body, 'hello GET /1');
  t.is((await counting(`http://${site}/2`)).body, 'hello GET /2');
  t.is(sockets, 1, 'one browser connection');
  t.is(seen.length, 2);
  t.not(seen[0]!.remotePort, seen[1]!.remotePort, 'separate upstream connections');
});

test('large responses stream through intact', async (t) => {
  const { port, site } = await setup(t);
  const res = await get(port, `http://${site}/big`);
  t.is(res.status, 200);
  t.is(res.body.length, 3 * 1024 * 1024);
  t.true(/^\x01*$/.test(res.body), 'every byte as sent');
});

test('CONNECT to a .i2p host: 200 then a tunnel, with bytes sent along with the CONNECT', async (t) => {
  const { port, echoHost, connector } = await setup(t);
  const c = await rawClient(port);
  c.sock.write(`CONNECT ${echoHost}:443 HTTP/1.1\r\nHost: ${echoHost}:443\r\n\r\nearly`);
  const head = (await c.read(39)).toString();
  t.is(head, 'HTTP/1.1 200 Connection established\r\n\r\n');
  t.is((await c.read(5)).toString(), 'early');
  c.sock.write('tunnelled');
  t.is((await c.read(9)).toString(), 'tunnelled');
  c.sock.end();
  t.is((await c.read(3)).toString(), 'BYE');
  t.deepEqual(connector.calls, [{ host: echoHost, port: 443 }]);
});

test('each I2PConnectError gets its page and status, for GET and CONNECT', async (t) => {
  const { port, connector } = await setup(t);
  const expected = { NOT_FOUND: 404, UNREACHABLE: 502, TIMEOUT: 504, REFUSED: 502, BAD_ADDRESS: 400 } as const;
  for (const [code, status] of Object.entries(expected)) {
    const host = `site-${code.toLowerCase().replace('_', '-')}.i2p`;
    connector.errors.set(host, code as keyof typeof expected);
    const res = await get(port, `http://${host}/`);
    t.is(res.status, status, code);
    t.regex(res.headers['content-type']!, /^text\/html/);
    t.true(res.body.includes(host), `${code}: page names the host`);
    t.true(res.body.includes('Proxy error'), code);

    const c = await rawClient(port);
    c.sock.write(`CONNECT ${host}:443 HTTP/1.1\r\nHost: ${host}\r\n\r\n`);
    await within(c.closed, 3000);
    t.true(c.received().toString().startsWith(`HTTP/1.1 ${status} `), `${code} (CONNECT)`);
  }
  // The unknown-name page offers jump services; a b32 gets a no-leaseset text instead.
  const nf = await get(port, 'http://site-not-found.i2p/');
  t.regex(nf.body, /jump\/site-not-found\.i2p/);
  const unknownB32 = b32();
  const nb = await get(port, `http://${unknownB32}/`);
  t.is(nb.status, 404);
  t.regex(nb.body, /No leaseset/);
  t.notRegex(nb.body, /jump/);
});

test('connect timeout → 504 and the connector is aborted', async (t) => {
  const { port, connector } = await setup(t, { connectTimeoutMs: 200 });
  const slow = b32();
  connector.hang.add(slow);
  const res = await get(port, `http://${slow}/`);
  t.is(res.status, 504);
  t.is(connector.aborted, 1);
});

test('non-.i2p hosts are refused with 403 without an outproxy, never looked up, never given to the connector', async (t) => {
  const spy = spyDns();
  t.teardown(spy.restore);
  const { port, connector } = await setup(t);
  for (const url of ['http://www.example.com/', 'http://127.0.0.1:7070/', 'http://[::1]/', 'http://2130706433/']) {
    const res = await get(port, url);
    t.is(res.status, 403, url);
    t.regex(res.body, /no outproxy is configured/);
  }
  const c = await rawClient(port);
  c.sock.write('CONNECT www.example.com:443 HTTP/1.1\r\nHost: www.example.com:443\r\n\r\n');
  await within(c.closed, 3000);
  t.regex(c.received().toString(), /^HTTP\/1.1 403 /);
  // Origin-form request whose Host names the proxy itself (as i2pd: treated as a target).
  const self = await get(port, '/', { headers: { Host: `127.0.0.1:${port}` } });
  t.is(self.status, 403);
  t.deepEqual(connector.calls, []);
  t.deepEqual(
    spy.calls.filter((x) => x !== 'lookup(127.0.0.1)'),
    [],
  );
});

test('socks:// outproxy: clearnet requests go to it by name (no DNS here)', async (t) => {
  const spy = spyDns();
  t.teardown(spy.restore);
  // Fake SOCKS5 outproxy that "connects" every request to a local web server.
  const web = await origin(t);
  const asked: string[] = [];
  const out = createServer((s) => {
    s.once('data', () => {
      s.write(Buffer.of(5, 0));
      s.once('data', (req: Buffer) => {
        const len = req[4]!;
        asked.push(`${req.subarray(5, 5 + len).toString()}:${req.readUInt16BE(5 + len)}`);
        const up = connect({ host: '127.0.0.1', port: web.port }, () => {
          s.write(Buffer.of(5, 0, 0, 1, 0, 0, 0, 0, 0, 0));
          s.pipe(up).pipe(s);
        });
        up.on('error', () => s.destroy());
      });
    });
    s.on('error', () => {});
  });
  const outPort = await listen(t, out);
  const { port, connector } = await setup(t, { outproxy: `socks://127.0.0.1:${outPort}` });
  const res = await get(port, 'http://clearnet.example.org/hello?x=1');
  t.is(res.status, 200);
  t.is(res.body, 'hello GET /hello?x=1');
  t.deepEqual(asked, ['clearnet.example.org:80']);
  t.is(web.seen[0]!.headers.host, 'clearnet.example.org');
  t.deepEqual(connector.calls, []);
  t.deepEqual(
    spy.calls.filter((x) => x !== 'lookup(127.0.0.1)'),
    [],
  );
});

test('an I2P HTTP outproxy gets the absolute-URI request through the connector', async (t) => {
  const { port, connector, seen, site } = await setup(t, { outproxy: 'http://exit.i2p' });
  connector.routes.set('exit.i2p', connector.routes.get(site)!);
  const res = await get(port, 'http://clearnet.example.org/x');
  t.is(res.status, 200);
  t.deepEqual(connector.calls, [{ host: 'exit.i2p', port: 80 }]);
  t.is(seen[0]!.url, 'http://clearnet.example.org/x');
  t.is(seen[0]!.headers['user-agent'], FIXED_USER_AGENT);
});

test('parseOutproxy', (t) => {
  t.deepEqual(parseOutproxy(''), { kind: 'none' });
  t.deepEqual(parseOutproxy('socks://127.0.0.1'), { kind: 'socks', addr: { host: '127.0.0.1', port: 9050 } });
  t.deepEqual(parseOutproxy('http://exit.i2p:4444'), { kind: 'i2p', host: 'exit.i2p', port: 4444 });
  t.is(parseOutproxy('http://proxy.example.com:3128').kind, 'bad');
  t.is(parseOutproxy('::nonsense').kind, 'bad');
});

test('bad outproxy settings give a clear page', async (t) => {
  const { port } = await setup(t, { outproxy: 'ftp://x' });
  const res = await get(port, 'http://example.com/');
  t.is(res.status, 502);
  t.regex(res.body, /Outproxy failure/);
});

// ---- bad input ----

test('garbage request line → 400 page; the proxy keeps serving', async (t) => {
  const { port, site } = await setup(t);
  const c = await rawClient(port);
  c.sock.write('\x16\x03\x01garbage garbage\r\n\r\n');
  t.true(await within(c.closed, 3000));
  t.regex(c.received().toString(), /^HTTP\/1.1 400 Bad Request\r\n[\s\S]*Proxy error/);
  t.is((await get(port, `http://${site}/`)).status, 200);
  // Unsupported forms
  t.is((await get(port, 'https://x.i2p/')).status, 400);
  t.is((await get(port, 'ftp://x.i2p/')).status, 400);
  t.is((await get(port, '*', { method: 'OPTIONS' })).status, 400);
  const noHost = await rawClient(port);
  noHost.sock.write('GET /nohost HTTP/1.0\r\n\r\n');
  await within(noHost.closed, 3000);
  t.regex(noHost.received().toString(), /^HTTP\/1.1 400 [\s\S]*detect the destination host/);
  const bad = await rawClient(port);
  bad.sock.write('CONNECT nonsense HTTP/1.1\r\n\r\n');
  await within(bad.closed, 3000);
  t.regex(bad.received().toString(), /^HTTP\/1.1 400 /);
});

test('a 1 MiB header line → 431; others unaffected', async (t) => {
  const { port, site } = await setup(t);
  const c = await rawClient(port);
  c.sock.write(`GET http://${site}/ HTTP/1.1\r\nHost: ${site}\r\nX-Big: `);
  c.sock.write('a'.repeat(1024 * 1024));
  t.true(await within(c.closed, 5000));
  t.regex(c.received().toString(), /^HTTP\/1.1 431 /);
  t.is((await get(port, `http://${site}/`)).status, 200);
});

test('slowloris: headers never finished → closed at the headers timeout; others unaffected', async (t) => {
  const { port, site } = await setup(t, { headersTimeoutMs: 400 });
  const slow = await rawClient(port);
  slow.sock.write(`GET http://${site}/ HTTP/1.1\r\nHost: ${site}\r\n`);
  const trickle = setInterval(() => slow.sock.writable && slow.sock.write('X-A: b\r\n'), 100);
  t.teardown(() => clearInterval(trickle));
  t.is((await get(port, `http://${site}/`)).status, 200);
  t.true(await within(slow.closed, 4000), 'slow client closed');
  clearInterval(trickle);
  t.regex(slow.received().toString(), /^HTTP\/1.1 408 /);
});

test('half-open: a partial request followed by FIN gets 400 and is closed', async (t) => {
  const { port } = await setup(t);
  const c = await rawClient(port);
  c.sock.end('GET http://x.i2p/ HTTP/1.1\r\nHost: x.i');
  t.true(await within(c.closed, 3000));
  t.regex(c.received().toString(), /^HTTP\/1.1 400 /);
});

test('maxConnections bounds concurrent browser connections', async (t) => {
  const { port, site, proxy } = await setup(t, { maxConnections: 2 });
  const a = await rawClient(port);
  const b = await rawClient(port);
  t.true(await waitFor(() => proxy.connections === 2));
  const c = await rawClient(port);
  t.true(await within(c.closed, 2000));
  t.is(proxy.connections, 2);
  a.sock.destroy();
  b.sock.destroy();
  t.true(await waitFor(() => proxy.connections === 0));
  t.is((await get(port, `http://${site}/`)).status, 200);
});

// ---- address helper ----

function randomDest(): string {
  return toBase64(createDestination({ signingPublicKey: randomBytes(32) }).bytes);
}

test('address helper: confirmation page first, saved only through its token link, then redirected', async (t) => {
  const book = memoryBook();
  const { port, connector, seen } = await setup(t, { addressBook: book });
  const dest = randomDest();
  const url = `http://newsite.i2p/page?a=1&i2paddresshelper=${encodeURIComponent(dest)}&b=2`;
  const ask = await get(port, url);
  t.is(ask.status, 200);
  t.is(book.adds, 0, 'nothing saved before confirmation');
  t.true(ask.body.includes(destinationB32(dest)!), 'page shows the b32 of the new destination');
  t.is(ask.headers['cache-control'], 'no-store');
  const m = /href="([^"]+)"/.exec(ask.body.slice(ask.body.indexOf('id="confirm"') - 5));
  t.truthy(m);
  const confirmUrl = m![1]!.replace(/&amp;/g, '&');
  t.true(confirmUrl.startsWith('http://newsite.i2p/page?a=1&b=2&i2paddresshelper='));

  // A forged token does not save.
  const forged = await get(port, confirmUrl.replace(/(i2paddresshelper_confirm=)[0-9a-f]+/, '$1' + '0'.repeat(32)));
  t.is(forged.status, 200);
  t.is(book.adds, 0);

  const ok = await get(port, confirmUrl);
  t.is(ok.status, 302);
  t.is(ok.headers.location, 'http://newsite.i2p/page?a=1&b=2');
  t.is(book.map.get('newsite.i2p'), dest);
  // The token is single-use.
  const again = await get(port, confirmUrl);
  t.is(again.status, 302, 'already saved → plain redirect');
  t.is(book.adds, 1);
  // Nothing went to the network for any of this.
  t.deepEqual(connector.calls, []);
  t.is(seen.length, 0);
  t.regex(confirmUrl, new RegExp(`&${ADDRESS_HELPER_CONFIRM_PARAM}=[0-9a-f]{32}$`));
});

test('address helper: a known name with another destination gets a warning page', async (t) => {
  const old = randomDest();
  const book = memoryBook({ 'known.i2p': old });
  const { port } = await setup(t, { addressBook: book });
  const dest = randomDest();
  const res = await get(port, `http://known.i2p/?i2paddresshelper=${dest}`);
  t.is(res.status, 200);
  t.regex(res.body, /already in the address book/);
  t.true(res.body.includes(destinationB32(old)!));
  t.is(book.map.get('known.i2p'), old);
  // Same destination: straight redirect without the helper.
  const same = await get(port, `http://known.i2p/x?i2paddresshelper=${old}`);
  t.is(same.status, 302);
  t.is(same.headers.location, 'http://known.i2p/x');
});

test('address helper: invalid destination → 400; disabled or no address book → 403', async (t) => {
  const book = memoryBook();
  const { port } = await setup(t, { addressBook: book });
  t.is((await get(port, 'http://x.i2p/?i2paddresshelper=notadest')).status, 400);
  t.is((await get(port, `http://x.i2p/?i2paddresshelper=${'A'.repeat(600)}`)).status, 400);
  t.is((await get(port, `http://example.com/?i2paddresshelper=${randomDest()}`)).status, 400);
  const off = await setup(t, { addressBook: book, addressHelper: false });
  t.is((await get(off.port, `http://x.i2p/?i2paddresshelper=${randomDest()}`)).status, 403);
  const none = await setup(t);
  t.is((await get(none.port, `http://x.i2p/?i2paddresshelper=${randomDest()}`)).status, 403);
  t.is(book.adds, 0);
});

// ---- pure helpers ----

test('stripHelperParams keeps other parameters byte for byte', (t) => {
  t.is(stripHelperParams('?i2paddresshelper=abc'), '');
  t.is(stripHelperParams('?a=%20+x&i2paddresshelper=abc&b'), '?a=%20+x&b');
  t.is(stripHelperParams(`?i2paddresshelper=abc&${ADDRESS_HELPER_CONFIRM_PARAM}=t&z=1`), '?z=1');
  t.is(stripHelperParams(''), '');
});

test('sanitizeRequestHeaders drops headers named in Connection and sets Host/User-Agent/Connection', (t) => {
  const h = sanitizeRequestHeaders(['Connection', 'keep-alive, X-Hop', 'X-Hop', '1', 'Keep-Alive', '300', 'TE', 'trailers', 'X-Keep', 'y', 'Host', 'evil.example'], new URL('http://a.i2p/'));
  t.deepEqual(h, [
    ['Host', 'a.i2p'],
    ['X-Keep', 'y'],
    ['User-Agent', FIXED_USER_AGENT],
    ['Connection', 'close'],
  ]);
});

test('upstream closing without a response → 502 page', async (t) => {
  const connector = fakeConnector();
  const host = b32();
  const server = createServer((s) => s.once('data', () => s.end('NOT HTTP AT ALL\r\n\r\n')));
  connector.routes.set(host, await listen(t, server));
  const proxy = new HttpProxy({ connector, host: '127.0.0.1', port: 0 });
  const { port } = await proxy.listen();
  t.teardown(() => proxy.close());
  const res = await get(port, `http://${host}/`);
  t.is(res.status, 502);
  t.regex(res.body, /invalid response/);
});

test('a browser leaving mid-response tears the upstream stream down', async (t) => {
  const connector = fakeConnector();
  const host = b32();
  let upstreamClosed = false;
  const server = createServer((s) => {
    s.once('data', () => {
      s.write('HTTP/1.1 200 OK\r\nContent-Length: 100000000\r\n\r\npartial');
    });
    s.on('close', () => (upstreamClosed = true));
    s.on('error', () => {});
  });
  connector.routes.set(host, await listen(t, server));
  const proxy = new HttpProxy({ connector, host: '127.0.0.1', port: 0 });
  const { port } = await proxy.listen();
  t.teardown(() => proxy.close());
  const req = request({ host: '127.0.0.1', port, path: `http://${host}/`, agent: false });
  req.on('error', () => {});
  req.end();
  const [res] = (await once(req, 'response')) as [IncomingMessage];
  t.is(res.statusCode, 200);
  req.destroy();
  const deadline = Date.now() + 3000;
  while (!upstreamClosed && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  t.true(upstreamClosed);
});

test('a browser that leaves while the stream is being opened aborts the connect (GET and CONNECT)', async (t) => {
  const { port, connector, proxy } = await setup(t, { connectTimeoutMs: 60_000 });
  const slow = b32();
  connector.hang.add(slow);
  const c = await rawClient(port);
  c.sock.write(`GET http://${slow}/ HTTP/1.1\r\nHost: ${slow}\r\n\r\n`);
  t.true(await waitFor(() => connector.calls.length === 1));
  c.sock.resetAndDestroy();
  t.true(await waitFor(() => connector.aborted === 1), 'GET connect aborted');

  const d = await rawClient(port);
  d.sock.write(`CONNECT ${slow}:443 HTTP/1.1\r\nHost: ${slow}:443\r\n\r\n`);
  t.true(await waitFor(() => connector.calls.length === 2));
  d.sock.resetAndDestroy();
  t.true(await waitFor(() => connector.aborted === 2), 'CONNECT connect aborted');
  t.true(await waitFor(() => proxy.connections === 0));
});

test('upstreams that are net.Sockets work as well as plain Duplex streams', async (t) => {
  const { port, connector, site, echoHost } = await setup(t);
  connector.wrap = false;
  t.is((await get(port, `http://${site}/sock`)).body, 'hello GET /sock');
  const c = await rawClient(port);
  c.sock.write(`CONNECT ${echoHost}:1 HTTP/1.1\r\n\r\nping`);
  await c.read(39);
  t.is((await c.read(4)).toString(), 'ping');
  c.sock.destroy();
});

test('a WebSocket-style Upgrade request is forwarded as a plain request without the Upgrade', async (t) => {
  const { port, site, seen } = await setup(t);
  const res = await get(port, `http://${site}/ws`, { headers: { Connection: 'Upgrade', Upgrade: 'websocket' } });
  t.is(res.status, 200);
  t.is(seen[0]!.headers.upgrade, undefined);
  t.is(seen[0]!.headers.connection, 'close');
});
