/**
 * The address book across clove routers, in-process on 127.0.0.1: router A hosts a hosts.txt (an HTTP server
 * behind an i2pd-format server tunnel) and a web site; router B subscribes to `http://<A's names b32>/hosts.txt`
 * (addressbook.subscriptions), downloads it over I2P, and then reaches the site by its .i2p name through its
 * HTTP proxy and its SOCKS proxy. On this private network neither router uses the built-in subscriptions.
 */
import test from 'ava';
import { createServer, request, type Server } from 'node:http';
import { writeFile, mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { SocksClient } from 'socks';
import { freePort, makeNetwork, until } from '../helpers/net.js';
import type { Router } from '../../router/router.js';
import { generateDestinationKeys, serializePrivateKeyFile } from '../../data/private-key-file.js';
import { b32Address, toBase64 } from '../../data/base64.js';

function viaHttpProxy(proxyPort: number, url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: proxyPort, method: 'GET', path: url, headers: { Host: new URL(url).host } }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.setTimeout(180_000, () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

test('B subscribes to A’s hosts.txt over I2P and reaches A’s site by name (HTTP and SOCKS proxies)', async (t) => {
  t.timeout(8 * 60_000);
  const dir = await mkdtemp(join(tmpdir(), 'clove-ab-net-'));
  const namesKeys = generateDestinationKeys({ cryptoType: 4 });
  const webKeys = generateDestinationKeys({ cryptoType: 4 });
  await writeFile(join(dir, 'names.dat'), serializePrivateKeyFile(namesKeys));
  await writeFile(join(dir, 'web.dat'), serializePrivateKeyFile(webKeys));
  const namesB32 = b32Address(namesKeys.identity.hash);
  const hostsTxt =
    '# hosts.txt served by router A\n' +
    `site.i2p=${toBase64(webKeys.identity.bytes)}#!sig=notverified\n` +
    'broken.i2p=thisisnotadestination\n' +
    `names.i2p=${toBase64(namesKeys.identity.bytes)}\n`;

  const seen: string[] = [];
  const conditional: string[] = [];
  const http: Server = createServer((req, res) => {
    seen.push(`${req.headers.host} ${req.url}`);
    if (req.url === '/hosts.txt') conditional.push(String(req.headers['if-none-match'] ?? ''));
    const body = req.url === '/hosts.txt' ? hostsTxt : `site ${req.url}`;
    res.writeHead(200, { 'Content-Length': Buffer.byteLength(body), ...(req.url === '/hosts.txt' ? { ETag: '"hosts-1"' } : {}) });
    res.end(body);
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', () => r()));
  const port = (http.address() as AddressInfo).port;
  const conf = join(dir, 'tunnels.conf');
  await writeFile(
    conf,
    `[names]\ntype = http\nhost = 127.0.0.1\nport = ${port}\nkeys = ${join(dir, 'names.dat')}\ninbound.quantity = 2\noutbound.quantity = 2\n\n` +
      `[web]\ntype = http\nhost = 127.0.0.1\nport = ${port}\nkeys = ${join(dir, 'web.dat')}\ninbound.quantity = 2\noutbound.quantity = 2\n`,
  );
  const httpPort = await freePort();
  const socksPort = await freePort();
  const url = `http://${namesB32}/hosts.txt`;
  let routers: Router[] = [];
  try {
    routers = await makeNetwork({
      n: 6,
      extra: (i) =>
        i === 4
          ? [`--tunconf=${conf}`]
          : i === 5
            ? [
                '--httpproxy.enabled=true',
                `--httpproxy.port=${httpPort}`,
                '--httpproxy.inbound.quantity=2',
                '--httpproxy.outbound.quantity=2',
                '--socksproxy.enabled=true',
                `--socksproxy.port=${socksPort}`,
                `--addressbook.subscriptions=${url}`,
              ]
            : [],
    });
    const a = routers[4]!;
    const b = routers[5]!;
    // Private network: A has no subscriptions and no default URL, and starts no destination for them.
    t.deepEqual(a.addressBook?.subscriptions, []);
    t.is(a.addressBook?.defaultUrl, '');
    t.false(a.destinations().some((d) => d.name === 'addressbook'));
    t.deepEqual(b.addressBook?.subscriptions, [url]);
    t.is(b.addressBook?.defaultUrl, '');
    const book = b.addressBook!;

    // Before the subscription: the name is unknown, the proxy says so.
    const before = await viaHttpProxy(httpPort, 'http://site.i2p/early');
    t.is(before.status, 404);
    t.true(before.body.includes('site.i2p'), 'the page names the host');

    t.true(await until(() => a.destinations().filter((d) => d.leaseSetPublished).length === 2, 120_000, 500), 'A’s tunnels never published');
    t.true(
      await until(() => !!b.destinations().find((d) => d.name === 'httpproxy' && d.tunnels.inbound > 0 && d.tunnels.outbound > 0), 120_000, 500),
      'B’s proxy destination has no tunnels',
    );

    // One subscription round, as the timer does it (the first LeaseSet lookup of a fresh destination may
    // miss: retry like the timer would).
    let result = await book.updateSubscription(url);
    for (let i = 0; i < 4 && !result.ok; i++) {
      t.log(`subscription attempt ${i + 1}: ${result.error}`);
      result = await book.updateSubscription(url);
    }
    t.true(result.ok, result.error);
    t.is(result.status, 200);
    t.deepEqual(result.merge, { added: 2, conflicts: 0, unchanged: 0, skipped: 1, full: 0 });
    t.true(seen.includes(`${namesB32} /hosts.txt`), 'the request reached A’s server with the b32 as Host');
    t.is(book.lookup('site.i2p'), toBase64(webKeys.identity.bytes));
    t.deepEqual(book.resolve('site.i2p')?.hash, webKeys.identity.hash);
    t.is(book.lookup('broken.i2p'), undefined);

    // Persisted in i2pd's layout, with the subscription's ETag.
    await book.flush();
    const csv = await readFile(join(b.datadir, 'addressbook', 'addresses.csv'), 'utf8');
    t.true(csv.includes(`site.i2p,${b32Address(webKeys.identity.hash).slice(0, 52)}\n`));

    // The second round sends the ETag back.
    const again = await book.updateSubscription(url);
    t.true(again.ok, again.error);
    t.is(conditional.at(-1), '"hosts-1"');
    t.deepEqual(again.merge, { added: 0, conflicts: 0, unchanged: 2, skipped: 1, full: 0 });

    // The HTTP proxy reaches the site by name.
    let page = await viaHttpProxy(httpPort, 'http://site.i2p/hello');
    for (let i = 0; i < 4 && page.status !== 200; i++) {
      t.log(`proxy attempt ${i + 1}: ${page.status}`);
      page = await viaHttpProxy(httpPort, 'http://site.i2p/hello');
    }
    t.is(page.status, 200);
    t.is(page.body, 'site /hello');
    t.true(seen.includes('site.i2p /hello'));

    // The SOCKS proxy too (domain-name target, resolved by the router, never by DNS).
    const { socket } = await SocksClient.createConnection({
      proxy: { host: '127.0.0.1', port: socksPort, type: 5 },
      command: 'connect',
      destination: { host: 'site.i2p', port: 80 },
      timeout: 180_000,
    });
    const reply = await new Promise<string>((resolve, reject) => {
      let text = '';
      socket.on('data', (d: Buffer) => (text += d.toString()));
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
      socket.write('GET /socks HTTP/1.0\r\nHost: site.i2p\r\n\r\n');
    });
    t.regex(reply, /^HTTP\/1\.[01] 200/);
    t.true(reply.endsWith('site /socks'));
  } finally {
    await Promise.all(routers.map((r) => r.stop()));
    await new Promise<void>((r) => http.close(() => r()));
  }
});
