import test from 'ava';
import { createServer as createHttpsServer } from 'node:https';
import type { IncomingMessage } from 'node:http';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { ProxyError, parseProxyUrl } from '../../../../netdb/reseed/proxy.js';
import { ReseedError, httpsDownload, reseed, type ReseedOptions } from '../../../../netdb/reseed/reseed.js';
import { parseReseedCertificate, reseedCertificatesFrom } from '../../../../netdb/reseed/certificates.js';
import { NET_ID, makeRouterInfo, makeSigner, makeSu3, makeZip } from './helpers.js';

/** The reseed server: HTTPS on 127.0.0.1 serving one body at /i2pseeds.su3. */
async function target(body: Uint8Array): Promise<{ port: number; requests: IncomingMessage[]; close: () => Promise<void> }> {
  const tls = makeSigner('p256', 'localhost');
  const requests: IncomingMessage[] = [];
  const srv = createHttpsServer({ key: tls.keyPem, cert: tls.certPem }, (req, res) => {
    requests.push(req);
    if (req.url === '/i2pseeds.su3') res.writeHead(200).end(body);
    else res.writeHead(404).end();
  });
  const sockets = new Set<Socket>();
  srv.on('connection', (s: Socket) => (sockets.add(s), s.on('close', () => sockets.delete(s))));
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return {
    port: (srv.address() as { port: number }).port,
    requests,
    close: () => new Promise<void>((r) => (sockets.forEach((s) => s.destroy()), srv.close(() => r()))),
  };
}

async function listen(server: Server): Promise<{ port: number; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  server.on('connection', (s) => (sockets.add(s), s.on('close', () => sockets.delete(s))));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as { port: number }).port,
    close: () => new Promise<void>((r) => (sockets.forEach((s) => s.destroy()), server.close(() => r()))),
  };
}

/** Read from a socket until `n(buffered)` >= 0 bytes make a message. */
function readMsg(s: Socket, n: (b: Buffer) => number): Promise<{ msg: Buffer; rest: Buffer }> {
  return new Promise((resolve) => {
    let buf = Buffer.alloc(0);
    const onData = (c: Buffer) => {
      buf = Buffer.concat([buf, c]);
      const k = n(buf);
      if (k >= 0) {
        s.off('data', onData);
        resolve({ msg: buf.subarray(0, k), rest: buf.subarray(k) });
      }
    };
    s.on('data', onData);
  });
}

/** Only 127.0.0.1 is ever dialled by these test proxies. */
function pipeTo(client: Socket, port: number, rest: Buffer, reply: Buffer): void {
  const up = connect({ host: '127.0.0.1', port }, () => {
    client.write(reply);
    if (rest.length) up.write(rest);
    client.pipe(up).pipe(client);
  });
  up.on('error', () => client.destroy());
  client.on('error', () => up.destroy());
  client.on('close', () => up.destroy());
  up.on('close', () => client.destroy());
}

/** An HTTP CONNECT proxy on 127.0.0.1; `status` other than 200 refuses. Records request heads. */
async function httpProxy(status = 200) {
  const heads: string[] = [];
  const server = createServer((c) => {
    void readMsg(c, (b) => (b.indexOf('\r\n\r\n') < 0 ? -1 : b.indexOf('\r\n\r\n') + 4)).then(({ msg, rest }) => {
      const head = msg.toString('latin1');
      heads.push(head);
      const m = /^CONNECT 127\.0\.0\.1:(\d+) HTTP\/1\.1\r\n/.exec(head);
      if (!m || status !== 200) return void c.end(`HTTP/1.1 ${m ? status : 400} No\r\n\r\n`);
      pipeTo(c, Number(m[1]), rest, Buffer.from('HTTP/1.1 200 Connection established\r\nX-Extra: 1\r\n\r\n'));
    });
  });
  return { heads, ...(await listen(server)) };
}

/** A SOCKS5 proxy on 127.0.0.1 (no auth). `replyAtyp` picks the bound-address form of its reply. */
async function socksProxy(opts: { status?: number; replyAtyp?: 1 | 3 | 4 } = {}) {
  const requests: { host: string; port: number }[] = [];
  const server = createServer((c) => {
    void (async () => {
      const hello = await readMsg(c, (b) => (b.length >= 2 && b.length >= 2 + b[1]! ? 2 + b[1]! : -1));
      if (hello.msg[0] !== 5) return void c.destroy();
      c.write(Buffer.from([5, 0]));
      const req = await readMsg(c, (b) => (b.length >= 5 && b[3] === 3 && b.length >= 7 + b[4]! ? 7 + b[4]! : -1));
      const len = req.msg[4]!;
      const host = req.msg.subarray(5, 5 + len).toString();
      const port = req.msg.readUInt16BE(5 + len);
      requests.push({ host, port });
      const atyp = opts.replyAtyp ?? 1;
      const addr = atyp === 1 ? Buffer.from([127, 0, 0, 1]) : atyp === 4 ? Buffer.alloc(16) : Buffer.from([9, ...Buffer.from('localhost')]);
      const reply = Buffer.concat([Buffer.from([5, opts.status ?? 0, 0, atyp]), addr, Buffer.from([0x1f, 0x90])]);
      if ((opts.status ?? 0) !== 0 || host !== '127.0.0.1') return void c.end(reply);
      pipeTo(c, port, req.rest, reply);
    })();
  });
  return { requests, ...(await listen(server)) };
}

async function fixture() {
  const s = makeSigner('rsa4096');
  const ris = [makeRouterInfo(), makeRouterInfo()];
  const srv = await target(makeSu3(makeZip(ris), s));
  const base = (over: Partial<ReseedOptions>): ReseedOptions => ({
    verify: true,
    netId: NET_ID,
    certificates: reseedCertificatesFrom([parseReseedCertificate(s.certPem, 'mem')]),
    urls: [`https://127.0.0.1:${srv.port}/`],
    ...over,
  });
  return { srv, ris, base };
}

async function rejects(p: Promise<unknown>): Promise<ReseedError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof ReseedError) return e;
    throw e;
  }
  throw new Error('expected a ReseedError');
}

test('parseProxyUrl: i2pd schemes and default ports; anything else is BAD_PROXY without echoing secrets', (t) => {
  t.like(parseProxyUrl('http://127.0.0.1'), { type: 'http', host: '127.0.0.1', port: 80 });
  t.like(parseProxyUrl('socks://127.0.0.1'), { type: 'socks', port: 1080 });
  t.like(parseProxyUrl('http://u%40x:p%3Aw@127.0.0.1:3128'), { username: 'u@x', password: 'p:w', port: 3128 });
  t.like(parseProxyUrl('socks://[::1]:9050'), { host: '::1', port: 9050 });
  for (const bad of ['ftp://127.0.0.1', 'socks5://127.0.0.1', 'nonsense', 'socks://user:secret@127.0.0.1']) {
    const e = t.throws(() => parseProxyUrl(bad), { instanceOf: ProxyError });
    t.is(e!.code, 'BAD_PROXY');
    t.notRegex(e!.message, /secret/);
  }
});

test('reseed through an HTTP CONNECT proxy (with Basic auth)', async (t) => {
  const { srv, ris, base } = await fixture();
  const px = await httpProxy();
  t.teardown(async () => (await px.close(), await srv.close()));
  const r = await reseed(base({ proxy: `http://alice:s3cret@127.0.0.1:${px.port}` }));
  t.is(r.routerInfos.length, ris.length);
  t.is(px.heads.length, 1);
  t.regex(px.heads[0]!, new RegExp(`^CONNECT 127\\.0\\.0\\.1:${srv.port} HTTP/1\\.1\\r\\n`));
  t.true(px.heads[0]!.includes(`Proxy-Authorization: Basic ${Buffer.from('alice:s3cret').toString('base64')}\r\n`));
  t.is(srv.requests.length, 1);
  t.is(srv.requests[0]!.url, '/i2pseeds.su3');
});

test('reseed through a SOCKS5 proxy: domain-name CONNECT; IPv4, IPv6 and domain reply forms', async (t) => {
  const { srv, ris, base } = await fixture();
  t.teardown(srv.close);
  for (const replyAtyp of [1, 4, 3] as const) {
    const px = await socksProxy({ replyAtyp });
    const r = await reseed(base({ proxy: `socks://127.0.0.1:${px.port}` }));
    await px.close();
    t.is(r.routerInfos.length, ris.length);
    t.deepEqual(px.requests, [{ host: '127.0.0.1', port: srv.port }]);
  }
  t.is(srv.requests.length, 3);
});

test('a refusing, broken or absent proxy fails the attempt; the server is never contacted directly', async (t) => {
  const { srv, base } = await fixture();
  const refusing = await httpProxy(403);
  const socksNo = await socksProxy({ status: 5 });
  const dead = await listen(createServer());
  const deadPort = dead.port;
  await dead.close();
  t.teardown(async () => (await refusing.close(), await socksNo.close(), await srv.close()));

  const e1 = await rejects(reseed(base({ proxy: `http://127.0.0.1:${refusing.port}` })));
  t.deepEqual(e1.failures.map((f) => f.code), ['PROXY_REFUSED']);
  t.regex(e1.failures[0]!.reason, /403/);
  const e2 = await rejects(reseed(base({ proxy: `socks://127.0.0.1:${socksNo.port}` })));
  t.deepEqual(e2.failures.map((f) => f.code), ['PROXY_REFUSED']);
  t.regex(e2.failures[0]!.reason, /connection refused/);
  const e3 = await rejects(reseed(base({ proxy: `socks://127.0.0.1:${deadPort}` })));
  t.deepEqual(e3.failures.map((f) => f.code), ['ECONNREFUSED']);
  const e4 = await rejects(reseed(base({ proxy: 'gopher://127.0.0.1:70' })));
  t.deepEqual(e4.failures.map((f) => f.code), ['BAD_PROXY']);
  t.is(srv.requests.length, 0);
});

test('a proxy that never answers is bounded by the timeout; abort works during the proxy phase', async (t) => {
  const silent = await listen(createServer(() => {}));
  t.teardown(silent.close);
  await t.throwsAsync(httpsDownload('https://127.0.0.1:1/i2pseeds.su3', { timeoutMs: 300, maxSize: 1000, proxy: `http://127.0.0.1:${silent.port}` }), {
    message: /no complete answer within 300 ms/,
  });
  const reason = new Error('stop');
  const ac = new AbortController();
  setTimeout(() => ac.abort(reason), 100);
  await t.throwsAsync(httpsDownload('https://127.0.0.1:1/i2pseeds.su3', { signal: ac.signal, timeoutMs: 5000, maxSize: 1000, proxy: `socks://127.0.0.1:${silent.port}` }), { is: reason });
});
