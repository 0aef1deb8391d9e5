/**
 * The composition root: a Router owns the subsystems and wires them through narrow handles
 * (../shared/STYLE.md). This is the same surface an embedding app gets from `import { Router } from 'clove'`.
 *
 * Start-up today: data directory → router keys (created once, i2pd format) → NTCP2 static keys → our signed
 * RouterInfo written to DATADIR/router.info (atomically). Transports, netDb, tunnels and the console attach
 * here as they land.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config } from '../conf/load.js';
import { parseRouterInfo, serializeRouterInfo, addressOption, type RouterInfo } from '../data/router-info.js';
import { toBase64 } from '../data/base64.js';
import { systemRandom, type Random } from '../crypto/random.js';
import { loadOrCreateNtcp2Keys, loadOrCreateRouterKeys, type Ntcp2Keys } from './keys.js';
import { buildOurRouterInfo } from './router-info.js';
import { writeFileAtomic } from './fs.js';
import { silentLogger, type Logger } from './log.js';
import type { PrivateKeyFile } from '../data/private-key-file.js';
import { ConsoleServer } from '../console/server.js';
import type { RouterStatus } from '../console/status.js';
import { CLOVE_VERSION } from './version.js';

export const ROUTER_INFO_FILE = 'router.info';

/** A start-up failure a user can act on (a port in use, an unreadable file): reported, never a stack trace. */
export class StartError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StartError';
  }
}

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

export interface RouterRuntime {
  logger?: Logger;
  clock?: Clock;
  random?: Random;
}

export class Router {
  readonly config: Config;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly random: Random;
  #keys: PrivateKeyFile | undefined;
  #ntcp2Keys: Ntcp2Keys | undefined;
  #routerInfo: RouterInfo | undefined;
  #started = false;
  #startedAt = 0;
  #console: ConsoleServer | undefined;

  constructor(config: Config, runtime: RouterRuntime = {}) {
    this.config = config;
    this.logger = runtime.logger ?? silentLogger();
    this.clock = runtime.clock ?? systemClock;
    this.random = runtime.random ?? systemRandom;
  }

  get datadir(): string {
    return this.config.datadir;
  }

  /** Our current RouterInfo (after start). */
  get routerInfo(): RouterInfo {
    if (!this.#routerInfo) throw new Error('router not started');
    return this.#routerInfo;
  }

  /** I2P base64 of our router hash. */
  get routerHash(): string {
    return toBase64(this.routerInfo.identity.hash);
  }

  get uptime(): number {
    return this.#started ? this.clock.now() - this.#startedAt : 0;
  }

  async start(): Promise<void> {
    if (this.#started) return;
    const log = this.logger;
    await mkdir(this.datadir, { recursive: true, mode: 0o700 });
    const { keys, created } = await loadOrCreateRouterKeys(this.datadir, this.random);
    this.#keys = keys;
    log.info({ created }, created ? 'created a new router identity' : 'loaded the router identity');
    if (this.config.get('ntcp2.enabled')) {
      const n = await loadOrCreateNtcp2Keys(this.datadir, this.random);
      this.#ntcp2Keys = n.keys;
    }
    this.#routerInfo = await this.#buildRouterInfo();
    await writeFileAtomic(join(this.datadir, ROUTER_INFO_FILE), serializeRouterInfo(this.#routerInfo));
    this.#started = true;
    this.#startedAt = this.clock.now();
    if (this.config.get('http.enabled')) {
      this.#console = new ConsoleServer({
        address: this.config.get('http.address'),
        port: this.config.get('http.port'),
        status: () => this.status(),
      });
      try {
        const a = await this.#console.listen();
        log.info({ address: a.address, port: a.port }, 'console listening');
      } catch (e) {
        await this.stop();
        throw new StartError(`cannot start the console on ${this.config.get('http.address')}:${this.config.get('http.port')}: ${(e as Error).message}`, { cause: e });
      }
    }
    log.info(
      { routerHash: toBase64(keys.identity.hash), netId: this.config.get('netid'), caps: capsOf(this.#routerInfo) },
      'router started',
    );
  }

  /** The `/api/status` document (console/status.ts). Counts of subsystems not built yet are 0. */
  status(): RouterStatus {
    return {
      version: CLOVE_VERSION,
      routerHash: this.#routerInfo ? this.routerHash : '',
      netId: this.config.get('netid'),
      uptime: Math.floor(this.uptime / 1000),
      peers: { ntcp2: 0, ssu2: 0 },
      netdb: { routers: 0, floodfills: 0, leaseSets: 0 },
      tunnels: { inbound: 0, outbound: 0, transit: 0, buildSuccessRate: 0 },
      bandwidth: { inBps: 0, outBps: 0, transitBps: 0 },
    };
  }

  async stop(): Promise<void> {
    if (!this.#started) return;
    this.#started = false;
    await this.#console?.close();
    this.#console = undefined;
    this.logger.info('router stopped');
  }

  /** The NTCP2 port: ntcp2.port, else port, else the one we published before, else a random one (as i2pd). */
  async #ntcp2Port(): Promise<number> {
    const p = this.config.get('ntcp2.port') || this.config.get('port');
    if (p) return p;
    try {
      const prev = parseRouterInfo(new Uint8Array(await readFile(join(this.datadir, ROUTER_INFO_FILE))));
      for (const a of prev.addresses) {
        const v = a.transportStyle === 'NTCP2' ? addressOption(a, 'port') : undefined;
        if (v && /^[0-9]+$/.test(v) && Number(v) > 0 && Number(v) < 65536) return Number(v);
      }
    } catch {
      // no previous router.info, or an unreadable one: pick a new port
    }
    return this.random.int(9111, 30778); // i2pd's range for a random port
  }

  async #buildRouterInfo(): Promise<RouterInfo> {
    const c = this.config;
    const ntcp2 = this.#ntcp2Keys
      ? {
          keys: this.#ntcp2Keys,
          host: c.get('host'),
          port: await this.#ntcp2Port(),
          published: c.get('ntcp2.published'),
        }
      : undefined;
    return buildOurRouterInfo({
      keys: this.#keys!,
      ...(ntcp2 ? { ntcp2 } : {}),
      netId: c.get('netid'),
      floodfill: c.get('floodfill'),
      bandwidth: c.get('bandwidth'),
      published: this.clock.now(),
    });
  }
}

function capsOf(ri: RouterInfo): string {
  return ri.options.find(([k]) => k === 'caps')?.[1] ?? '';
}
