/** In-process clove networks on 127.0.0.1 (loopback allowed via reservedrange = false). */
import { createServer, type AddressInfo } from 'node:net';
import { mkdtemp, copyFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../conf/index.js';
import { Router } from '../../router/router.js';
import { createLogger } from '../../router/log.js';
import { toBase64 } from '../../data/base64.js';
import { readFile } from 'node:fs/promises';
import { parseRouterInfo } from '../../data/router-info.js';

function routerHashOfFile(b: Uint8Array): string {
  return toBase64(parseRouterInfo(new Uint8Array(b)).identity.hash);
}

/** A free TCP port on 127.0.0.1 (bound and released). */
export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** A random private netId (never 2). */
export function testNetId(): number {
  return 100 + Math.floor(Math.random() * 150);
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
 * n routers that all know each other from their netDb folders (each started once to write its router.info,
 * then restarted seeded), the first `floodfills` of them floodfills. `extra(i)` adds options to router i.
 */
export async function makeNetwork(opts: { n: number; floodfills?: number; extra?: (i: number) => string[] }): Promise<Router[]> {
  const netId = testNetId();
  const first: Router[] = [];
  for (let i = 0; i < opts.n; i++) first.push(await makeRouter({ netId, floodfill: i < (opts.floodfills ?? 2) }));
  for (const r of first) await r.start();
  for (const r of first) await r.stop();
  const routers: Router[] = [];
  for (const [i, r] of first.entries()) {
    routers.push(
      await makeRouter({ netId, floodfill: i < (opts.floodfills ?? 2), datadir: r.datadir, port: r.config.get('port'), extra: opts.extra?.(i) ?? [] }),
    );
  }
  for (const a of routers) for (const b of routers) if (a !== b) await seed(a, b, { fromDatadir: true });
  for (const r of routers) await r.start();
  return routers;
}
