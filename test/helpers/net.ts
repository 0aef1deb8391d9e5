/** In-process clove networks on 127.0.0.1 (loopback allowed via reservedrange = false). */
import { mkdtemp, copyFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../conf/index.js';
import { Router } from '../../router/router.js';
import { createLogger } from '../../router/log.js';
import { toBase64 } from '../../data/base64.js';
import { readFile } from 'node:fs/promises';
import { parseRouterInfo } from '../../data/router-info.js';
import { freePort, randomNetId, seedEachOther } from '../../router/devnet.js';

function routerHashOfFile(b: Uint8Array): string {
  return toBase64(parseRouterInfo(new Uint8Array(b)).identity.hash);
}

/** A free TCP port on 127.0.0.1 (bound and released). */
export { freePort } from '../../router/devnet.js';

/** A random private netId (16..254, never 2). */
export function testNetId(): number {
  return randomNetId();
}

export async function makeRouter(opts: {
  netId: number;
  floodfill?: boolean;
  host?: string;
  extra?: string[];
  /** Reuse a datadir (and its keys) and a port, e.g. to restart a router. */
  datadir?: string;
  port?: number;
}): Promise<Router> {
  const datadir = opts.datadir ?? (await mkdtemp(join(tmpdir(), 'clove-net-')));
  const port = opts.port ?? (await freePort());
  const host = opts.host ?? '127.0.0.1';
  const extra = opts.extra ?? [];
  const keyOf = (a: string) => a.replace(/^--/, '').split('=')[0];
  const given = new Set(extra.map(keyOf));
  const { config } = loadConfig({
    argv: [
      `--datadir=${datadir}`,
      `--netid=${opts.netId}`,
      `--host=${host}`,
      `--address4=${host}`,
      `--port=${port}`,
      '--reservedrange=false',
      '--http.enabled=false',
      '--httpproxy.enabled=false',
      '--socksproxy.enabled=false',
      '--sam.enabled=false',
      '--reseed.urls=',
      ...(opts.floodfill ? ['--floodfill'] : []),
    ]
      .filter((a) => !given.has(keyOf(a)))
      .concat(extra),
  });
  // CLOVE_TEST_LOG=debug|info shows the routers' logs (stdout) while debugging a test.
  const level = process.env.CLOVE_TEST_LOG;
  return new Router(config, level ? { logger: createLogger({ loglevel: level }).child({ router: port }) } : {});
}

/** Put `from`'s router.info into `to`'s netDb folder (i2pd layout), as a seeded datadir would have it. */
export async function seed(to: Router, from: Router, opts: { fromDatadir?: boolean } = {}): Promise<void> {
  const h = opts.fromDatadir ? routerHashOfFile(await readFile(join(from.datadir, 'router.info'))) : toBase64(from.routerInfo.identity.hash);
  const dir = join(to.datadir, 'netDb', `r${h[0]}`);
  await mkdir(dir, { recursive: true });
  await copyFile(join(from.datadir, 'router.info'), join(dir, `routerInfo-${h}.dat`));
}

export async function until(cond: () => boolean, timeoutMs = 10_000, stepMs = 50): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, stepMs));
  }
  return cond();
}

/**
 * n routers that all know each other from their netDb folders (seeded before the first start by
 * router/devnet.ts seedEachOther: no start/stop cycle), the first `floodfills` of them floodfills, started
 * one after the other (routers started together dial each other at once, and the duplicate sessions lose
 * messages; see router/devnet.ts). `extra(i)` adds options to router i.
 */
export async function makeNetwork(opts: { n: number; floodfills?: number; extra?: (i: number) => string[] }): Promise<Router[]> {
  const netId = testNetId();
  const routers: Router[] = [];
  for (let i = 0; i < opts.n; i++) {
    routers.push(await makeRouter({ netId, floodfill: i < (opts.floodfills ?? 2), extra: opts.extra?.(i) ?? [] }));
  }
  await seedEachOther(routers.map((r) => r.config));
  try {
    for (const r of routers) await r.start();
  } catch (e) {
    await Promise.allSettled(routers.map((r) => r.stop()));
    throw e;
  }
  return routers;
}
