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
import { equalBytes } from '../data/bytes.js';
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
import { Transports } from '../transport/manager.js';
import { loadNetDbFolder, saveRouterInfo, removeRouterInfo } from '../netdb/folder.js';
import { NetDb } from '../netdb/netdb.js';
import { systemTimers } from '../netdb/timers.js';
import { reseedFromConfig, shouldReseed, ReseedError } from '../netdb/reseed/reseed.js';
import { reseedUrlsFor } from './reseed-policy.js';
import { I2NPType, i2npTypeName, type I2NPMessage } from '../i2np/header.js';
import { parseGarlic } from '../i2np/garlic.js';
import { RouterGarlic, encryptReplyBlocks, encryptToRouter } from '../garlic/router-garlic.js';
import { BlockType, cloveBlock, serializeBlocks } from '../garlic/blocks.js';
import { serializeGarlic } from '../i2np/garlic.js';
import { serializeTunnelGateway } from '../i2np/tunnel-gateway.js';
import type { DatabaseLookupReplyEncryption } from '../i2np/database-lookup.js';
import { TunnelManager } from '../tunnels/manager.js';
import { Services, type DestinationSettings, type LocalDestination } from './services.js';
import { X25519Key } from '../crypto/x25519.js';
import { ParseError } from '../data/errors.js';
import { CryptoError } from '../crypto/errors.js';

export const ROUTER_INFO_FILE = 'router.info';
/** How deep I2NP may nest inside I2NP (garlic cloves, tunnel deliveries) before it is dropped. */
export const MAX_DISPATCH_DEPTH = 4;

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
  #transports: Transports | undefined;
  #netdb: NetDb | undefined;
  #ntcp2Params: Pick<Parameters<typeof buildOurRouterInfo>[0], 'ntcp2'> = {};
  #garlic: RouterGarlic | undefined;
  #tunnels: TunnelManager | undefined;
  #services: Services | undefined;
  /** Nesting of #dispatch (garlic in tunnels in garlic…): bounded, whatever path re-enters it. */
  #dispatchDepth = 0;
  readonly #lifetime = new AbortController();
  /** The last reseed: what it brought, or why it could not. */
  reseedStatus: { state: 'not needed' | 'running' | 'done' | 'failed'; source?: string; routers?: number; reason?: string } = {
    state: 'not needed',
  };
  /**
   * I2NP messages received, by type name; `unhandled`: types no subsystem takes yet (dropped);
   * `garlic`: router-addressed garlic decrypted, failed, and cloves delivered locally or dropped.
   */
  readonly i2npStats = {
    received: {} as Record<string, number>,
    unhandled: 0,
    /** Dropped: nested deeper than MAX_DISPATCH_DEPTH (garlic in a tunnel in garlic…). */
    tooDeep: 0,
    garlic: { decrypted: 0, failed: 0, cloves: 0, clovesDropped: 0 },
  };

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

    this.#garlic = new RouterGarlic({ staticKey: new X25519Key(keys.cryptoPrivateKey), now: () => this.clock.now() });
    const netdb = new NetDb({
      routerInfo: this.#routerInfo,
      netId: this.config.get('netid'),
      floodfill: this.config.get('floodfill'),
      transport: { send: (peer, msg) => this.#transports?.send(peer, msg) ?? false },
      timers: systemTimers(this.clock),
      random: this.random,
      logger: log.child({ module: 'netdb' }),
      persistence: {
        save: (ri) => saveRouterInfo(this.datadir, ri),
        remove: (h) => removeRouterInfo(this.datadir, h),
      },
      refreshRouterInfo: () => this.#refreshRouterInfo(),
      sendToTunnel: (gateway, tunnelId, m, enc) => this.#replyToTunnel(gateway, tunnelId, m, enc),
    });
    this.#netdb = netdb;
    const loaded = await loadNetDbFolder(this.datadir, { netId: this.config.get('netid') });
    for (const ri of loaded.routerInfos) netdb.addRouterInfo(ri, { verified: true, persisted: true });
    for (const r of loaded.removed) log.warn({ file: r.file, reason: r.reason }, 'removed a bad RouterInfo from the netDb folder');
    log.info(netdb.counts(), 'netDb folder loaded');

    if (this.#ntcp2Keys) {
      const port = Number(this.#routerInfo.addresses.map((a) => addressOption(a, 'port')).find((p) => p) ?? (await this.#ntcp2Port()));
      const t = new Transports({
        routerHash: keys.identity.hash,
        routerInfo: () => this.routerInfo.raw,
        netId: this.config.get('netid'),
        ntcp2: {
          staticKey: this.#ntcp2Keys.staticKey,
          iv: this.#ntcp2Keys.iv,
          bindHost: this.config.get('address4') || '0.0.0.0',
          port,
          ...(this.config.get('address4') ? { localAddress: this.config.get('address4') } : {}),
        },
        reservedRange: this.config.get('reservedrange'),
        lookupRouterInfo: (h) => netdb.store.getRouter(h),
        onRouterInfo: (ri) => void netdb.addRouterInfo(ri, { verified: true }),
        onMessage: (m, from) => this.#dispatch(m, from),
        logger: log.child({ module: 'transports' }),
        now: () => this.clock.now(),
        random: this.random,
      });
      try {
        const { ntcp2Port } = await t.start();
        log.info({ port: ntcp2Port }, 'NTCP2 listening');
      } catch (e) {
        await this.stop();
        throw new StartError(`cannot listen for NTCP2 on port ${port}: ${(e as Error).message}`, { cause: e });
      }
      this.#transports = t;
    }
    const c = this.config;
    const garlicMessage = (data: Uint8Array, expiration: number) => ({
      type: I2NPType.Garlic,
      msgId: this.random.int(1, 0xffffffff),
      expiration,
      payload: serializeGarlic({ data }),
    });
    this.#tunnels = new TunnelManager({
      ourHash: keys.identity.hash,
      ourKey: new X25519Key(keys.cryptoPrivateKey),
      send: (peer, m) => this.#transports?.send(peer, m) ?? false,
      routers: () => netdb.routers(),
      getRouter: (h) => netdb.store.getRouter(h),
      garlicWrapWithReplyKey: (key, tag, m) => garlicMessage(encryptReplyBlocks(key, tag, [cloveBlock(m)]), m.expiration),
      garlicAddReplyKey: (key, tag) => void this.#garlic!.replyKeys.add(key, tag, this.clock.now() + 60_000),
      garlicWrapForRouter: (routerKey, m) =>
        garlicMessage(
          encryptToRouter(
            routerKey,
            serializeBlocks([{ type: BlockType.DateTime, timestamp: Math.floor(this.clock.now() / 1000) }, cloveBlock(m)]),
            this.random,
          ),
          m.expiration,
        ),
      deliverLocal: (m, direct) => this.#dispatch(m, direct ? keys.identity.hash : undefined),
      timers: systemTimers(this.clock),
      random: this.random,
      logger: log.child({ module: 'tunnels' }),
      transit: { accept: !c.get('notransit'), maxTunnels: c.get('limits.transittunnels') },
      exploratory: {
        inbound: { length: c.get('exploratory.inbound.length'), quantity: c.get('exploratory.inbound.quantity') },
        outbound: { length: c.get('exploratory.outbound.length'), quantity: c.get('exploratory.outbound.quantity') },
      },
      enforceSubnets: c.get('reservedrange'),
    });
    this.#tunnels.start();
    netdb.start();
    this.#services = new Services({
      config: c,
      tunnels: this.#tunnels,
      netdb,
      random: this.random,
      logger: log,
      fallback: (m) => this.#dispatch(m, undefined),
    });
    try {
      await this.#services.start();
    } catch (e) {
      await this.stop();
      throw new StartError(`cannot start the client services: ${(e as Error).message}`, { cause: e });
    }
    if (shouldReseed(netdb.counts(), this.config.get('reseed.threshold'))) {
      this.reseedStatus = { state: 'running' };
      void this.reseed();
    }
    if (this.config.get('http.enabled')) {
      this.#console = new ConsoleServer({
        address: this.config.get('http.address'),
        port: this.config.get('http.port'),
        status: () => this.status(),
        peers: () => this.#transports?.sessions() ?? [],
        destinations: () => this.#services?.destinations() ?? [],
        i2np: () => ({
          ...this.i2npStats,
          netdb: this.#netdb?.stats(),
          publishedConfirmed: this.#netdb?.publisher.lastConfirmed ?? null,
          reseed: this.reseedStatus,
          tunnels: this.#tunnels?.stats(),
          transport: this.#transports?.stats,
        }),
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
      peers: this.#transports?.counts() ?? { ntcp2: 0, ssu2: 0 },
      netdb: this.#netdb?.counts() ?? { routers: 0, floodfills: 0, leaseSets: 0 },
      tunnels: this.#tunnels?.counts() ?? { inbound: 0, outbound: 0, transit: 0, buildSuccessRate: 0 },
      bandwidth: this.#bandwidth(),
    };
  }

  async stop(): Promise<void> {
    if (!this.#started) return;
    this.#started = false;
    this.#lifetime.abort();
    await this.#console?.close();
    this.#console = undefined;
    await this.#services?.stop();
    this.#services = undefined;
    await this.#tunnels?.stop();
    this.#tunnels = undefined;
    await this.#netdb?.stop();
    this.#netdb = undefined;
    await this.#transports?.stop();
    this.#transports = undefined;
    this.logger.info('router stopped');
  }

  #bwSample: { at: number; sent: number; received: number; transit: number; inBps: number; outBps: number; transitBps: number } | undefined;

  /** Bytes per second since the previous sample (at most once a second; the console polls). */
  #bandwidth(): { inBps: number; outBps: number; transitBps: number } {
    const now = this.clock.now();
    const st = this.#transports?.stats;
    const cur = { sent: st?.bytesSent ?? 0, received: st?.bytesReceived ?? 0, transit: this.#tunnels?.stats().transitBytes ?? 0 };
    const prev = this.#bwSample;
    if (!prev) {
      this.#bwSample = { at: now, ...cur, inBps: 0, outBps: 0, transitBps: 0 };
      return { inBps: 0, outBps: 0, transitBps: 0 };
    }
    const dt = (now - prev.at) / 1000;
    if (dt >= 1) {
      this.#bwSample = {
        at: now,
        ...cur,
        inBps: Math.round((cur.received - prev.received) / dt),
        outBps: Math.round((cur.sent - prev.sent) / dt),
        transitBps: Math.round((cur.transit - prev.transit) / dt),
      };
    }
    const b = this.#bwSample!;
    return { inBps: b.inBps, outBps: b.outBps, transitBps: b.transitBps };
  }

  /**
   * A local destination on this router (keys from a file in the datadir, given directly, or transient): its
   * LeaseSet is published, and `destination.connect(b32, port)` opens streams; 'stream' events bring
   * incoming ones.
   */
  async createDestination(settings: DestinationSettings): Promise<LocalDestination> {
    if (!this.#services) throw new Error('router not started');
    return this.#services.createDestination(settings);
  }

  /** Local destinations: name, b32, tunnel counts (as /api/destinations). */
  destinations(): ReturnType<Services['destinations']> {
    return this.#services?.destinations() ?? [];
  }

  /** The address book (after start, when `addressbook.enabled`): `lookup`, `resolve`, `add` (SAM NAMING LOOKUP, the console). */
  get addressBook(): Services['addressBook'] {
    return this.#services?.addressBook;
  }

  /** The tunnel manager (after start). */
  get tunnels(): TunnelManager | undefined {
    return this.#tunnels;
  }

  /** The transport manager (after start). */
  get transports(): Transports | undefined {
    return this.#transports;
  }

  /**
   * Reseed (i2pd's [reseed] keys): reseed.file, else reseed.zipfile, else reseed.urls. The built-in URLs
   * serve the main network only: on a private netId they are never contacted unless configured explicitly.
   * Never throws: the outcome is logged and kept in `reseedStatus`.
   */
  async reseed(): Promise<void> {
    const log = this.logger.child({ module: 'reseed' });
    const netdb = this.#netdb;
    if (!netdb) return;
    const c = this.config;
    const { urls, privateNetDefault: privateNet } = reseedUrlsFor(c);
    const view = {
      get: (k: Parameters<Config['get']>[0]) => (k === 'reseed.urls' ? urls : c.get(k)),
      path: (k: 'certsdir') => c.path(k),
    };
    try {
      const r = await reseedFromConfig(
        view,
        { netId: c.get('netid'), log, now: () => this.clock.now(), random: this.random },
        { signal: this.#lifetime.signal },
      );
      let added = 0;
      for (const ri of r.routerInfos) {
        const a = netdb.addRouterInfo(ri, { verified: true });
        if (a.status === 'added' || a.status === 'updated') added++;
      }
      this.reseedStatus = { state: 'done', source: r.source, routers: added };
      log.info({ source: r.source, routers: added, dropped: r.dropped }, 'reseeded');
      // Publish and explore now that there is someone to talk to, rather than at the next tick.
      if (this.#started) void netdb.maintenance();
    } catch (e) {
      if (!(e instanceof ReseedError)) {
        this.reseedStatus = { state: 'failed', reason: (e as Error).message };
        log.error({ err: (e as Error).message }, 'reseed failed');
        return;
      }
      if (e.code === 'ABORTED') return;
      const detail = e.message.replace(/^cannot reach the I2P network: no known routers and /, '');
      const reason =
        e.code === 'NO_SOURCES' && privateNet
          ? `no reseed source for private network ${c.get('netid')}: the default reseed servers serve the main network (netid 2) only; set reseed.file, reseed.zipfile or reseed.urls, or seed the netDb folder`
          : detail;
      this.reseedStatus = { state: 'failed', reason };
      const known = netdb.counts();
      if (known.routers === 0) log.error({ known }, `cannot reach the network: no known routers, and reseeding failed: ${reason}`);
      else log.warn({ known, threshold: c.get('reseed.threshold') }, `reseed wanted (few routers known) but failed: ${reason}`);
    }
  }

  /**
   * A netDb reply that goes to a tunnel (a lookup asked for it): garlic-wrapped with the lookup's ECIES reply
   * key and tag (proposal 154), then through an exploratory outbound tunnel to the reply tunnel's gateway, or
   * straight to the gateway as a TunnelGateway message when we have no outbound tunnel (i2pd
   * HandleDatabaseLookupMsg). ElGamal/AES replies are not supported (dropped).
   */
  #replyToTunnel(gateway: Uint8Array, tunnelId: number, m: I2NPMessage, enc: DatabaseLookupReplyEncryption | null): boolean {
    if (enc?.kind === 'elgamal') return false;
    const reply: I2NPMessage = enc
      ? {
          type: I2NPType.Garlic,
          msgId: this.random.int(1, 0xffffffff),
          expiration: m.expiration,
          payload: serializeGarlic({ data: encryptReplyBlocks(enc.key, enc.tag, [cloveBlock(m)]) }),
        }
      : m;
    const pool = this.#tunnels?.exploratory;
    if (pool && pool.outbound().length > 0) return pool.sendThroughOutbound(reply, { type: 'tunnel', tunnelId, hash: gateway });
    const tg: I2NPMessage = {
      type: I2NPType.TunnelGateway,
      msgId: this.random.int(1, 0xffffffff),
      expiration: m.expiration,
      payload: serializeTunnelGateway({ tunnelId, message: reply }),
    };
    const ours = this.#routerInfo!.identity.hash;
    if (equalBytes(gateway, ours)) {
      // The reply tunnel's gateway is this router: hand it to the tunnel manager here, not to a transport.
      queueMicrotask(() => this.#dispatch(tg, ours));
      return true;
    }
    return this.#transports?.send(gateway, tg) ?? false;
  }

  /** The netDb (after start). */
  get netdb(): NetDb | undefined {
    return this.#netdb;
  }

  /** Re-sign our RouterInfo with a fresh date (the netDb republishes it), and write router.info. */
  #refreshRouterInfo(): RouterInfo {
    const ri = buildOurRouterInfo({
      keys: this.#keys!,
      ...this.#ntcp2Params,
      netId: this.config.get('netid'),
      floodfill: this.config.get('floodfill'),
      bandwidth: this.config.get('bandwidth'),
      published: this.clock.now(),
    });
    this.#routerInfo = ri;
    writeFileAtomic(join(this.datadir, ROUTER_INFO_FILE), ri.raw).catch((e: unknown) =>
      this.logger.warn({ err: (e as Error).message }, 'cannot write router.info'),
    );
    return ri;
  }

  /**
   * I2NP to the subsystem that takes it. `from` is the transport-authenticated peer, undefined for what came
   * out of garlic or a tunnel. Subsystems drop and count bad input, never throw.
   */
  #dispatch(m: I2NPMessage, from: Uint8Array | undefined): void {
    const name = i2npTypeName(m.type) ?? `type${m.type}`;
    const stats = this.i2npStats;
    stats.received[name] = (stats.received[name] ?? 0) + 1;
    if (this.#dispatchDepth >= MAX_DISPATCH_DEPTH) {
      stats.tooDeep++;
      return;
    }
    this.#dispatchDepth++;
    try {
      this.#route(m, from);
    } finally {
      this.#dispatchDepth--;
    }
  }

  #route(m: I2NPMessage, from: Uint8Array | undefined): void {
    const stats = this.i2npStats;
    switch (m.type) {
      case I2NPType.TunnelData:
      case I2NPType.TunnelGateway:
      case I2NPType.VariableTunnelBuild:
      case I2NPType.VariableTunnelBuildReply:
      case I2NPType.ShortTunnelBuild:
      case I2NPType.OutboundTunnelBuildReply:
        if (this.#tunnels?.handleMessage(m, from)) return;
        break;
      case I2NPType.DatabaseStore:
      case I2NPType.DatabaseLookup:
      case I2NPType.DatabaseSearchReply:
      case I2NPType.DeliveryStatus:
        if (this.#netdb?.handleMessage(m, from)) return;
        break;
      case I2NPType.Garlic:
        this.#garlicToRouter(m, from);
        return;
    }
    stats.unhandled++;
  }

  /**
   * Garlic addressed to the router itself (spec/ecies-routers.rst; i2pd RouterContext::ProcessGarlicMessage):
   * a reply tag we handed out, else Noise N to our router key. Cloves for local delivery (or delivery to our
   * own router hash) are dispatched; others are dropped, as i2pd does for router-addressed garlic.
   */
  #garlicToRouter(m: I2NPMessage, from: Uint8Array | undefined): void {
    const g = this.i2npStats.garlic;
    let blocks;
    try {
      blocks = this.#garlic!.decrypt(parseGarlic(m.payload).data).blocks;
    } catch (e) {
      if (!(e instanceof ParseError) && !(e instanceof CryptoError)) throw e;
      g.failed++;
      return;
    }
    g.decrypted++;
    const ours = this.#routerInfo!.identity.hash;
    for (const b of blocks) {
      if (b.type !== BlockType.GarlicClove) continue;
      const c = b.clove;
      const forUs = c.delivery.type === 'local' || (c.delivery.type === 'router' && equalBytes(c.delivery.hash, ours));
      if (!forUs) {
        g.clovesDropped++;
        continue;
      }
      g.cloves++;
      // A clove keeps the provenance of its garlic (i2pd: the message's `from` tunnel): a garlic that came
      // straight over a transport session is direct (e.g. a LeaseSet published to us as a floodfill); one
      // that came out of our inbound tunnel is not.
      this.#dispatch({ type: c.i2npType, msgId: c.msgId, expiration: c.expiration * 1000, payload: c.body }, from);
    }
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
    this.#ntcp2Params = ntcp2 ? { ntcp2 } : {};
    return buildOurRouterInfo({
      keys: this.#keys!,
      ...this.#ntcp2Params,
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
