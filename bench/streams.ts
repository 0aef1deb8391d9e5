/**
 * 10 MB fetch over I2P streaming, clove and i2pd 2.45.1 side by side in one run: MB/s and time to first
 * byte through each side's HTTP proxy to each side's HTTP server tunnel, inside a private namespace
 * (test/interop/harness.ts; 5 i2pd routers, 2 floodfills, clove on 198.18.0.20; 3-hop client tunnels).
 * Needs root and the i2pd package. Numbers only — never pass/fail.
 *
 *   npx tsx bench/streams.ts [--runs=N]
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Namespace, bootNetwork, interopUnavailable, sleep, tempBase } from '../test/interop/harness.js';
import { parsePrivateKeyFile } from '../data/private-key-file.js';
import { b32Address } from '../data/base64.js';

const FIXTURE = fileURLToPath(new URL('../test/interop/http-fixture.mjs', import.meta.url));
const runs = Number(process.argv.find((a) => a.startsWith('--runs='))?.slice(7) ?? 2);

interface FetchResult {
  status: number;
  bytes?: number;
  sha256?: string;
  ms?: number;
  ttfbMs?: number;
}

async function main(): Promise<void> {
  const why = interopUnavailable();
  if (why) {
    console.log(`bench/streams skipped: ${why}`);
    return;
  }
  const ns = await Namespace.create(25);
  const base = await tempBase();
  const file = randomBytes(10 * 1024 * 1024);
  const sha = createHash('sha256').update(file).digest('hex');
  const filePath = join(base, 'big.bin');
  await writeFile(filePath, file);
  const servers = [ns.spawn(process.execPath, [FIXTURE, 'serve', '198.18.0.5', '8080', filePath]), ns.spawn(process.execPath, [FIXTURE, 'serve', '198.18.0.20', '8080', filePath])];
  for (const s of servers) s.stdout?.resume(), s.stderr?.resume();
  const cloveTunnels = join(base, 'clove-tunnels.conf');
  await writeFile(cloveTunnels, '[web]\ntype = http\nhost = 198.18.0.20\nport = 8080\nkeys = web.dat\n');
  let net: Awaited<ReturnType<typeof bootNetwork>> | undefined;
  const fetchVia = async (proxyHost: string, url: string): Promise<FetchResult> => {
    const { stdout } = await ns.exec(process.execPath, [FIXTURE, 'fetch', proxyHost, '4444', url], { timeout: 320_000 });
    return JSON.parse(stdout) as FetchResult;
  };
  const stop = async () => {
    for (const s of servers) s.kill();
    if (net) await Promise.all([...net.i2pd.map((r) => r.stop()), ...net.clove.map((c) => c.stop())]);
    await ns.destroy();
  };
  process.once('SIGINT', () => void stop().then(() => process.exit(130)));
  try {
    net = await bootNetwork({
      ns,
      base,
      i2pd: 5,
      floodfills: 2,
      clove: [20],
      cloveArgs: [`--tunconf=${cloveTunnels}`],
      i2pdOptions: (i) => (i === 5 ? { tunnels: '[web]\ntype = http\nhost = 198.18.0.5\nport = 8080\nkeys = web.dat\n' } : i === 4 ? { httpProxy: true } : {}),
    });
    const site = async (dir: string) => b32Address(parsePrivateKeyFile(new Uint8Array(await readFile(join(dir, 'web.dat')))).identity.hash);
    const i2pdSite = await site(net.i2pd[4]!.dir);
    const cloveSite = await site(net.clove[0]!.dir);
    const pairs = [
      { name: 'clove proxy → i2pd site', proxy: '198.18.0.20', site: i2pdSite },
      { name: 'i2pd proxy → clove site', proxy: '198.18.0.4', site: cloveSite },
      { name: 'i2pd proxy → i2pd site', proxy: '198.18.0.4', site: i2pdSite },
    ];
    // Warm up: wait until each pair answers (LeaseSets published, tunnels built).
    for (const p of pairs) {
      const t0 = Date.now();
      while ((await fetchVia(p.proxy, `http://${p.site}/hello`)).status !== 200) {
        if (Date.now() - t0 > 300_000) throw new Error(`${p.name}: not reachable after 5 minutes`);
        await sleep(3000);
      }
    }
    console.log(`10 MB over I2P streaming (3-hop tunnels each side), ${runs} runs each, node ${process.version}`);
    console.log('pair                         MB/s (median)   first byte ms (median)   byte-exact');
    for (const p of pairs) {
      const rs: FetchResult[] = [];
      for (let i = 0; i < runs; i++) rs.push(await fetchVia(p.proxy, `http://${p.site}/big`));
      const ok = rs.every((r) => r.status === 200 && r.sha256 === sha);
      const med = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
      const mbps = med(rs.map((r) => (r.bytes ?? 0) / 1e6 / ((r.ms ?? 1) / 1000)));
      const ttfb = med(rs.map((r) => r.ttfbMs ?? -1));
      console.log(`${p.name.padEnd(28)} ${mbps.toFixed(2).padStart(12)}   ${String(ttfb).padStart(22)}   ${ok ? 'yes' : 'NO'}`);
    }
  } finally {
    await stop();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
