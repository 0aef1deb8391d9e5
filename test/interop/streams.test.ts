/**
 * Issue "Garlic, destinations and streaming", done-when, against i2pd 2.45.1 in a namespace (5 i2pd routers,
 * 2 floodfills, and clove):
 * - clove's HTTP proxy fetches a 10 MB file from an HTTP server behind an i2pd server tunnel, byte-exact;
 * - i2pd's HTTP proxy fetches a 10 MB file from an HTTP server behind a clove server tunnel, byte-exact;
 * - 20 concurrent streams complete both ways.
 * The HTTP servers and clients run inside the namespace (test/interop/http-fixture.mjs).
 */
import test from 'ava';
import { createHash, randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { I2PD_SITE_POOL, Namespace, bootNetwork, interopUnavailable, sleep, tempBase } from './harness.js';
import { parsePrivateKeyFile } from '../../data/private-key-file.js';
import { b32Address } from '../../data/base64.js';

const why = interopUnavailable();
const requireInterop = process.env.CLOVE_REQUIRE_INTEROP === '1';
const skip = why && !requireInterop;
if (skip) console.log(`interop/streams SKIPPED: ${why}`);
const FIXTURE = fileURLToPath(new URL('./http-fixture.mjs', import.meta.url));

interface FetchResult {
  status: number;
  bytes?: number;
  sha256?: string;
  ms?: number;
  ttfbMs?: number;
  error?: string;
}

(skip ? test.skip : test.serial)('10 MB and 20 concurrent streams both ways between clove and i2pd destinations', async (t) => {
  if (why) t.fail(`interop suite required but unavailable: ${why}`);
  t.timeout(30 * 60_000);
  const ns = await Namespace.create(25);
  const base = await tempBase();
  const file = randomBytes(10 * 1024 * 1024);
  const sha = createHash('sha256').update(file).digest('hex');
  const filePath = join(base, 'big.bin');
  await writeFile(filePath, file);
  // HTTP servers: behind i2pd 5 (198.18.0.5:8080) and behind clove (198.18.0.20:8080).
  const servers = [ns.spawn(process.execPath, [FIXTURE, 'serve', '198.18.0.5', '8080', filePath]), ns.spawn(process.execPath, [FIXTURE, 'serve', '198.18.0.20', '8080', filePath])];
  for (const s of servers) s.stdout?.resume(), s.stderr?.resume();
  const cloveTunnels = join(base, 'clove-tunnels.conf');
  await writeFile(cloveTunnels, '[web]\ntype = http\nhost = 198.18.0.20\nport = 8080\nkeys = web.dat\n');
  let net: Awaited<ReturnType<typeof bootNetwork>> | undefined;
  const fetchVia = async (proxyHost: string, url: string): Promise<FetchResult> => {
    const { stdout } = await ns.exec(process.execPath, [FIXTURE, 'fetch', proxyHost, '4444', url], { timeout: 320_000 });
    return JSON.parse(stdout) as FetchResult;
  };
  /** Retry while the proxy answers "not found / unreachable" (LeaseSets and tunnels still settling). */
  const fetchWhenReachable = async (proxyHost: string, url: string, within: number): Promise<FetchResult> => {
    const end = Date.now() + within;
    let r: FetchResult = { status: 0 };
    while (Date.now() < end) {
      r = await fetchVia(proxyHost, url);
      if (r.status === 200) return r;
      await sleep(5000);
    }
    return r;
  };
  try {
    net = await bootNetwork({
      ns,
      base,
      i2pd: 5,
      floodfills: 2,
      clove: [20],
      cloveArgs: [`--tunconf=${cloveTunnels}`],
      i2pdOptions: (i) =>
        i === 5 ? { tunnels: `[web]\ntype = http\nhost = 198.18.0.5\nport = 8080\nkeys = web.dat\n${I2PD_SITE_POOL}` } : i === 4 ? { httpProxy: true } : {},
    });
    const i2pdSite = b32Address(parsePrivateKeyFile(new Uint8Array(await readFile(join(net.i2pd[4]!.dir, 'web.dat')))).identity.hash);
    const cloveSite = b32Address(parsePrivateKeyFile(new Uint8Array(await readFile(join(net.clove[0]!.dir, 'web.dat')))).identity.hash);

    // clove's HTTP proxy → i2pd server tunnel.
    // up to 11 minutes should i2pd miss its first publication (see I2PD_SITE_POOL)
    const hello1 = await fetchWhenReachable('198.18.0.20', `http://${i2pdSite}/hello`, 660_000);
    t.is(hello1.status, 200, `clove proxy → i2pd site: ${JSON.stringify(hello1)}`);
    const big1 = await fetchVia('198.18.0.20', `http://${i2pdSite}/big`);
    t.is(big1.status, 200, JSON.stringify(big1));
    t.is(big1.bytes, file.length);
    t.is(big1.sha256, sha);
    t.log(`clove → i2pd: 10 MB in ${big1.ms} ms, first byte after ${big1.ttfbMs} ms`);

    // i2pd's HTTP proxy (router 4) → clove server tunnel.
    const hello2 = await fetchWhenReachable('198.18.0.4', `http://${cloveSite}/hello`, 240_000);
    t.is(hello2.status, 200, `i2pd proxy → clove site: ${JSON.stringify(hello2)}`);
    const big2 = await fetchVia('198.18.0.4', `http://${cloveSite}/big`);
    t.is(big2.status, 200, JSON.stringify(big2));
    t.is(big2.bytes, file.length);
    t.is(big2.sha256, sha);
    t.log(`i2pd → clove: 10 MB in ${big2.ms} ms, first byte after ${big2.ttfbMs} ms`);

    // 20 concurrent streams each way.
    const many = await Promise.all([
      ...Array.from({ length: 20 }, (_, i) => fetchVia('198.18.0.20', `http://${i2pdSite}/a${i}`)),
      ...Array.from({ length: 20 }, (_, i) => fetchVia('198.18.0.4', `http://${cloveSite}/b${i}`)),
    ]);
    const hash = (x: string) => createHash('sha256').update(x).digest('hex');
    t.deepEqual(
      many.map((r) => [r.status, r.sha256]),
      [
        ...Array.from({ length: 20 }, (_, i) => [200, hash(`hello /a${i}`)]),
        ...Array.from({ length: 20 }, (_, i) => [200, hash(`hello /b${i}`)]),
      ],
      JSON.stringify(many.filter((r) => r.status !== 200).slice(0, 3)),
    );
  } finally {
    for (const s of servers) s.kill();
    if (net) await Promise.all([...net.i2pd.map((r) => r.stop()), ...net.clove.map((c) => c.stop())]);
    await ns.destroy();
  }
});
