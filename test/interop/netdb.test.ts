/**
 * Issue "NetDb", done-when, against i2pd 2.45.1 in a namespace:
 * 1. clove, started knowing only ONE i2pd floodfill, learns every router of a 6-router i2pd network within a
 *    few minutes (exploration through that floodfill), and the i2pd floodfills hold clove's RouterInfo — it
 *    lands in their netDb folders (clove publishes to one; it floods to the other).
 * 2. With clove as a floodfill, a freshly started i2pd router that knows only clove learns the network
 *    through clove (clove answers its exploratory, RouterInfo and LeaseSet lookups).
 */
import test from 'ava';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Namespace, bootNetwork, interopUnavailable, routerHashOf, sleep, tempBase } from './harness.js';
import type { RouterStatus } from '../../console/status.js';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { b32Address } from '../../data/base64.js';

const FIXTURE = fileURLToPath(new URL('./http-fixture.mjs', import.meta.url));

const why = interopUnavailable();
const requireInterop = process.env.CLOVE_REQUIRE_INTEROP === '1';
const skip = why && !requireInterop;
if (skip) console.log(`interop/netdb SKIPPED: ${why}`);

async function poll(timeoutMs: number, stepMs: number, fn: () => Promise<boolean>): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await fn().catch(() => false)) return true;
    await sleep(stepMs);
  }
  return fn().catch(() => false);
}

(skip ? test.skip : test.serial)('clove knowing one i2pd floodfill learns the whole network and is stored by the floodfills', async (t) => {
  if (why) t.fail(`interop suite required but unavailable: ${why}`);
  const ns = await Namespace.create(25);
  const base = await tempBase();
  let net: Awaited<ReturnType<typeof bootNetwork>> | undefined;
  try {
    net = await bootNetwork({
      ns,
      base,
      i2pd: 6,
      floodfills: 2,
      clove: [20],
      // The i2pd routers know each other; clove knows only floodfill 1; no i2pd knows clove.
      seed: (from, to) => (from.startsWith('i2pd') && to.startsWith('i2pd')) || (from === 'i2pd-1' && to === 'clove-20'),
    });
    const clove = net.clove[0]!;
    const cloveHash = routerHashOf(await clove.routerInfo());
    const i2pdHashes = await Promise.all(net.i2pd.map(async (r) => routerHashOf(await r.routerInfo())));

    let status: RouterStatus | undefined;
    const learned = await poll(180_000, 2_000, async () => {
      status = await clove.api<RouterStatus>('/api/status');
      return status.netdb.routers === 6;
    });
    t.true(learned, `clove knows ${JSON.stringify(status?.netdb)}`);
    t.is(status?.netdb.floodfills, 2);

    // Both floodfills hold clove's RouterInfo in their netDb folders (i2pd writes them about once a minute).
    const file = (dir: string) => join(dir, 'netDb', `r${cloveHash[0]}`, `routerInfo-${cloveHash}.dat`);
    const stored = await poll(180_000, 3_000, async () => net!.i2pd.slice(0, 2).every((r) => existsSync(file(r.dir))));
    t.true(stored, 'clove\'s RouterInfo did not land in both floodfills\' netDb folders');

    // What clove learned is what the network is: every i2pd router, persisted in clove's folder at stop.
    t.is(await clove.stop(), 0);
    for (const h of i2pdHashes) t.true(existsSync(join(clove.dir, 'netDb', `r${h[0]}`, `routerInfo-${h}.dat`)), `clove did not store ${h}`);
  } finally {
    if (net) await Promise.all([...net.i2pd.map((r) => r.stop()), ...net.clove.map((c) => c.stop())]);
    await ns.destroy();
  }
});

(skip ? test.skip : test.serial)('a fresh i2pd router that knows only clove (a floodfill) learns the network through it', async (t) => {
  if (why) t.fail(`interop suite required but unavailable: ${why}`);
  const ns = await Namespace.create(25);
  const base = await tempBase();
  let net: Awaited<ReturnType<typeof bootNetwork>> | undefined;
  try {
    net = await bootNetwork({
      ns,
      base,
      i2pd: 6,
      floodfills: 2,
      clove: [20],
      cloveArgs: ['--floodfill'],
      // i2pd 6 knows only clove and nobody knows i2pd 6; everyone else knows everyone else.
      seed: (from, to) => (to === 'i2pd-6' ? from === 'clove-20' : from !== 'i2pd-6'),
      i2pdOptions: (i) => (i === 6 ? { httpProxy: true } : {}),
    });
    const clove = net.clove[0]!;
    const fresh = net.i2pd[5]!;
    await fresh.waitConsole();
    // i2pd's console counts itself too: itself + clove at the start; itself + 5 i2pd + clove at the end.
    t.is(await fresh.knownRouters(), 2);
    let known = 0;
    const started = Date.now();
    const progress: string[] = [];
    // i2pd learns non-floodfills from clove's answers to its exploratory lookups, which name non-floodfills
    // only (i2pd answers them the same way). It learns floodfills from the search replies to lookups clove
    // cannot answer: a user of the fresh router asks its HTTP proxy for sites that do not exist, so i2pd
    // looks their LeaseSets up at clove and follows the closer floodfills clove names. (Without users it
    // learns them only when some router happens to build a tunnel through it.)
    let lastAsk = 0;
    const learned = await poll(300_000, 3_000, async () => {
      const k = await fresh.knownRouters();
      if (k !== known) progress.push(`${k} at ${Math.round((Date.now() - started) / 1000)} s`);
      known = k;
      if (k < 7 && Date.now() - lastAsk > 20_000) {
        lastAsk = Date.now();
        const site = `http://${b32Address(randomBytes(32))}/`;
        void fresh.ns.exec(process.execPath, [FIXTURE, 'fetch', fresh.host, '4444', site], { timeout: 30_000 }).catch(() => undefined);
      }
      return k === 7;
    });
    if (!learned) {
      // i2pd writes its whole netDb folder at stop: name the routers it never learned.
      await fresh.stop();
      const names = await Promise.all(
        [...net.i2pd.slice(0, 5), clove].map(async (r, i) => {
          const h = routerHashOf(await r.routerInfo());
          return existsSync(join(fresh.dir, 'netDb', `r${h[0]}`, `routerInfo-${h}.dat`)) ? undefined : i === 5 ? 'clove' : `i2pd-${i + 1}`;
        }),
      );
      t.log(`progress: ${progress.join(', ')}; missing: ${names.filter(Boolean).join(', ')}`);
    } else t.log(`progress: ${progress.join(', ')}`);
    t.true(learned, `the fresh i2pd router knows ${known} routers`);
    const i2np = await clove.api<{ netdb: { lookupsAnswered: number } }>('/api/i2np');
    t.true(i2np.netdb.lookupsAnswered > 0, 'clove answered no lookups');
  } finally {
    if (net) await Promise.all([...net.i2pd.map((r) => r.stop()), ...net.clove.map((c) => c.stop())]);
    await ns.destroy();
  }
});
