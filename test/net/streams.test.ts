/**
 * Issue "Garlic, destinations and streaming", in-process on 127.0.0.1: between two clove routers of a
 * six-router clove network, the HTTP proxy of one fetches a 10 MB file from an HTTP server behind a server
 * tunnel (tunnels.conf, i2pd format) of the other, byte-exact, and 20 concurrent streams complete; and
 * the router's library surface (createDestination + connect to a b32) speaks to the same site.
 */
import test from 'ava';
import { createServer, request, type Server } from 'node:http';
import { createHash, randomBytes } from 'node:crypto';
import { writeFile, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { freePort, makeNetwork, until } from '../helpers/net.js';
import type { Router } from '../../router/router.js';

const FILE = randomBytes(10 * 1024 * 1024);
const SHA = createHash('sha256').update(FILE).digest('hex');

function fetchViaProxy(proxyPort: number, url: string, timeoutMs = 240_000): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: proxyPort, method: 'GET', path: url, headers: { Host: new URL(url).host } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

test('HTTP proxy → server tunnel across clove routers: 10 MB byte-exact, 20 concurrent streams', async (t) => {
  t.timeout(10 * 60_000);
  const web: Server = createServer((req, res) => {
    if (req.url === '/big') {
      res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': FILE.length });
      res.end(FILE);
    } else {
      const body = `hello ${req.url}`;
      res.writeHead(200, { 'Content-Length': Buffer.byteLength(body) });
      res.end(body);
    }
  });
  await new Promise<void>((r) => web.listen(0, '127.0.0.1', () => r()));
  const webPort = (web.address() as AddressInfo).port;
  const conf = join(await mkdtemp(join(tmpdir(), 'clove-tunconf-')), 'tunnels.conf');
  await writeFile(conf, `[web]\ntype = http\nhost = 127.0.0.1\nport = ${webPort}\nkeys = web.dat\ninbound.quantity = 2\noutbound.quantity = 2\n`);
  const proxyPort = await freePort();
  let routers: Router[] = [];
  try {
    routers = await makeNetwork({
      n: 6,
      extra: (i) =>
        i === 4 ? [`--tunconf=${conf}`] : i === 5 ? ['--httpproxy.enabled=true', `--httpproxy.port=${proxyPort}`, '--httpproxy.inbound.quantity=2', '--httpproxy.outbound.quantity=2'] : [],
    });
    const server = routers[4]!;
    const client = routers[5]!;
    const web32 = await waitForDestination(server, 'web');
    t.regex(web32, /^[a-z2-7]{52}\.b32\.i2p$/);
    t.true(await until(() => destinationReady(client, 'httpproxy'), 120_000, 500), 'proxy destination has no tunnels');

    t.log('site published; fetching');
    let small = await fetchViaProxy(proxyPort, `http://${web32}/hello`);
    for (let i = 0; i < 4 && small.status === 404; i++) {
      t.log('proxy: site not found yet, retrying'); // the proxy answers 404 when the LeaseSet lookup missed
      small = await fetchViaProxy(proxyPort, `http://${web32}/hello`);
    }
    t.log(`small fetched: ${small.status} ${small.body.toString().slice(0, 300)}`);
    t.is(small.status, 200);
    t.is(small.body.toString(), 'hello /hello');

    const t0 = Date.now();
    const big = await fetchViaProxy(proxyPort, `http://${web32}/big`);
    t.log(`10 MB in ${Date.now() - t0} ms`);
    t.is(big.status, 200);
    t.is(big.body.length, FILE.length);
    t.is(createHash('sha256').update(big.body).digest('hex'), SHA);

    const many = await Promise.all(Array.from({ length: 20 }, (_, i) => fetchViaProxy(proxyPort, `http://${web32}/n${i}`)));
    t.deepEqual(
      many.map((r) => [r.status, r.body.toString()]),
      Array.from({ length: 20 }, (_, i) => [200, `hello /n${i}`]),
    );

    // Library use: the same router, as an embedding app would use it — a destination of its own, a stream to
    // the site's b32 address, raw HTTP over it.
    const app = await client.createDestination({ name: 'app', inbound: { length: 3, quantity: 2 }, outbound: { length: 3, quantity: 2 } });
    t.true(await until(() => destinationReady(client, 'app'), 120_000, 500), 'app destination has no tunnels');
    // A fresh destination's first LeaseSet lookup can miss while the floodfills settle: retry a few times,
    // as an application would (each attempt is a full lookup through the app's own tunnels).
    let stream: Awaited<ReturnType<typeof app.destination.connect>> | undefined;
    for (let i = 0; i < 5 && !stream; i++) {
      try {
        stream = await app.destination.connect(web32, 80);
      } catch (e) {
        t.log(`connect attempt ${i + 1}: ${(e as Error).message}`);
        if ((e as { code?: string }).code !== 'ENOTFOUND') throw e;
      }
    }
    if (!stream) throw new Error('the app destination never found the site');
    const reply = await new Promise<string>((resolve, reject) => {
      let text = '';
      stream.on('data', (d: Buffer) => (text += d.toString()));
      stream.on('end', () => resolve(text));
      stream.on('error', reject);
      stream.write(`GET /lib HTTP/1.0\r\nHost: ${web32}\r\n\r\n`); // HTTP/1.0: the server closes after replying
    });
    t.regex(reply, /^HTTP\/1\.[01] 200/);
    t.true(reply.endsWith('hello /lib'), reply.slice(-100));
  } finally {
    await Promise.all(routers.map((r) => r.stop()));
    await new Promise<void>((r) => web.close(() => r()));
  }
});

async function waitForDestination(r: Router, name: string): Promise<string> {
  let b32 = '';
  await until(
    () => {
      const d = r.destinations().find((x) => x.name === name);
      if (d?.leaseSetPublished) b32 = d.b32;
      return b32 !== '';
    },
    120_000,
    500,
  );
  if (!b32) throw new Error(`destination ${name} never published: ${JSON.stringify(r.destinations())}`);
  return b32;
}

function destinationReady(r: Router, name: string): boolean {
  const d = r.destinations().find((x) => x.name === name);
  return !!d && d.tunnels.inbound > 0 && d.tunnels.outbound > 0;
}
