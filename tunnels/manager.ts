/**
 * TunnelManager: the router's tunnel subsystem. Transit tunnels (answering build requests, moving transit
 * data), our own tunnels (building them through peers chosen from the netDb view, the exploratory pool and
 * client pools, replacement before expiry, tunnel tests) and sending through them. It talks to the rest of the
 * router only through the handles in TunnelManagerOptions (transport send, netDb view, garlic functions).
 *
 * Spec: ../shared/specs/spec/tunnel-creation-ecies.rst, ../shared/specs/spec/tunnel-message.rst,
 * ../shared/specs/docs/tunnels-implementation.html, ../shared/specs/docs/how-peer-selection.html,
 * ../shared/specs/docs/how-tunnel-routing.html, ../shared/specs/spec/i2np.rst.
 * i2pd 2.45.1: libi2pd/Tunnel.cpp (Tunnels::Run dispatch, ManageTunnels, ManagePendingTunnels with
 * TUNNEL_CREATION_TIMEOUT 30 s, zero-hop tunnels, Tunnel::Build: outbound builds go straight to the first hop,
 * inbound builds through an outbound tunnel with ROUTER delivery — garlic-wrapped to the IBGW unless the IBGW
 * is the OBEP — or straight to the IBGW when there is none; Tunnel::HandleTunnelBuildResponse), TunnelPool.cpp,
 * I2NPProtocol.cpp (HandleShortTunnelBuildMsg: a build whose msgId is a pending inbound build is its reply;
 * HandleTunnelBuildReplyMsg), TunnelEndpoint.cpp (an inbound endpoint drops TUNNEL / ROUTER delivery).
 *
 * Decisions and deviations:
 *  - No extra one-hop tunnels outside pools (i2pd ManageInboundTunnels / ManageOutboundTunnels build some when
 *    it has fewer than 3); the exploratory pool is the only source, with a zero-hop inbound tunnel as the reply
 *    path of outbound builds while there is no inbound tunnel yet, as i2pd.
 *  - A reply that fails to decrypt is counted and ignored (the build stays pending until its timeout) so a
 *    forged message with a guessed msgId cannot cancel a build; i2pd marks the build failed.
 *  - A failed or timed-out build triggers a new round for its pool after RETRY_DELAY_MS; profiles steer the
 *    new selection away from peers that declined.
 *  - Messages arriving for us (our inbound endpoints with LOCAL delivery, zero-hop TunnelGateway, OBEP LOCAL
 *    delivery at a transit tunnel, anything we "send" to ourselves) that are tunnel build messages, build
 *    replies, TunnelData / TunnelGateway or a tunnel-test DeliveryStatus are handled here; everything else goes
 *    to the pool's `deliver` or to `deliverLocal` (e.g. the Garlic that wraps an OutboundTunnelBuildReply).
 */
import { equalBytes } from '../data/bytes.js';
import { ParseError } from '../data/errors.js';
import { CryptoError } from '../crypto/errors.js';
import type { Random } from '../crypto/random.js';
import type { X25519Key } from '../crypto/x25519.js';
import type { RouterInfo } from '../data/router-info.js';
import { I2NPType, type I2NPMessage } from '../i2np/header.js';
import { BuildFormat, parseTunnelBuildRecords, serializeTunnelBuildRecords } from '../i2np/tunnel-build.js';
import { parseTunnelData } from '../i2np/tunnel-data.js';
import { parseTunnelGateway, serializeTunnelGateway } from '../i2np/tunnel-gateway.js';
import { parseDeliveryStatus, serializeDeliveryStatus } from '../i2np/delivery-status.js';
import type { Timers, TimerHandle } from '../netdb/timers.js';
import { BuildRecordDecryptor } from './build/records.js';
import { createTunnelBuild, readTunnelBuildReply, type PendingTunnelBuild } from './build/creator.js';
import { InboundTunnelEndpoint, OutboundTunnelGateway } from './data-path.js';
import type { DeliveredMessage, DeliveryInstructions } from './fragment.js';
import { I2NP_MESSAGE_EXPIRATION_MS, TransitTunnels, type TransitTunnelInfo } from './transit.js';
import { PeerProfiles, selectHops, supportsShortBuild } from './selection.js';
import {
  TUNNEL_EXPIRING_THRESHOLD_MS,
  TUNNEL_LIFETIME_MS,
  TUNNEL_RECREATION_THRESHOLD_MS,
  TunnelPool,
  type InboundTunnel,
  type OutboundTunnel,
  type OwnTunnel,
  type PoolHost,
  type PoolSettings,
} from './pool.js';

/** i2pd TUNNEL_CREATION_TIMEOUT. */
export const TUNNEL_BUILD_TIMEOUT_MS = 30_000;
/** How often the manager looks at pending builds, expiry and pools (i2pd TUNNEL_POOLS_MANAGE_INTERVAL). */
export const MANAGE_INTERVAL_MS = 5_000;
/** i2pd TUNNEL_POOL_MANAGE_INTERVAL: each pool builds and tests every 10 s + up to 5 s. */
export const POOL_MANAGE_INTERVAL_MS = 10_000;
export const RETRY_DELAY_MS = 1_000;
/** buildSuccessRate looks at builds finished within this window. */
export const BUILD_RATE_WINDOW_MS = 10 * 60_000;
export const MAX_PENDING_BUILDS = 512;
export const MAX_PENDING_TESTS = 1024;
export const MAX_POOLS = 256;
const MAX_LOCAL_DEPTH = 4;

export interface TunnelLogger {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface TunnelManagerOptions {
  /** Router identity hash and X25519 crypto key (build records are encrypted to it). */
  ourHash: Uint8Array;
  ourKey: X25519Key;
  /** Transports: false = dropped. */
  send(peer: Uint8Array, msg: I2NPMessage): boolean;
  /** netDb view. */
  routers(): readonly RouterInfo[];
  getRouter(hash: Uint8Array): RouterInfo | undefined;
  /** Wrap an I2NP message in a Garlic message encrypted with a one-time reply key + tag (OBEP build replies). */
  garlicWrapWithReplyKey(key: Uint8Array, tag: Uint8Array, msg: I2NPMessage): I2NPMessage;
  /** Register a reply key + tag so garlic arriving for us with that tag can be decrypted (creator side). */
  garlicAddReplyKey(key: Uint8Array, tag: Uint8Array): void;
  /**
   * Optional: wrap a message in a Garlic message to a router's X25519 key (Noise N, i2pd
   * WrapECIESX25519MessageForRouter). Used for inbound short builds sent through an outbound tunnel; without
   * it the build goes through the tunnel unwrapped (still delivered, less private).
   */
  garlicWrapForRouter?(routerKey: Uint8Array, msg: I2NPMessage): I2NPMessage;
  /** An I2NP message delivered to us (see the file header); the router dispatches it. */
  /**
   * `direct`: the message was addressed to this router itself (an OBEP or IBGW of ours looping back), not
   * received at the end of one of our inbound tunnels — the router treats it as if it came over a transport
   * (i2pd: `from` is null), e.g. a LeaseSet store published to us as a floodfill.
   */
  deliverLocal(msg: I2NPMessage, direct?: boolean): void;
  timers: Timers;
  random: Random;
  logger?: TunnelLogger;
  transit: { accept: boolean; maxTunnels: number };
  exploratory: PoolSettings;
  /** reservedrange: no two hops of a tunnel in one IPv4 /16. */
  enforceSubnets: boolean;
}

export interface CreatePoolOptions extends PoolSettings {
  name?: string;
  /** Messages arriving at this pool's inbound tunnels (default: deliverLocal). */
  deliver?: (msg: I2NPMessage, tunnel: InboundTunnel) => void;
  /**
   * Called (in a microtask) when an inbound tunnel joins or leaves the pool, so a destination rebuilds its
   * LeaseSet at once (i2pd TunnelPool::TunnelCreated / TunnelExpired → SetLeaseSetUpdated).
   */
  onInboundChange?: () => void;
}

export interface TunnelCounts {
  inbound: number;
  outbound: number;
  transit: number;
  /** Successful builds / finished builds over the last 10 minutes (0 when none finished). */
  buildSuccessRate: number;
}

export interface TunnelManagerStats {
  transitBytes: number;
  transitMessages: number;
  builds: { attempted: number; succeeded: number; rejected: number; timedOut: number; badReply: number; noPeers: number };
  /** Build requests we (as a hop) answered with a rejection, by reason; all are sent as status 30. */
  rejected: { total: number; disabled: number; limit: number; duplicateId: number };
  transitAccepted: number;
  tests: { sent: number; succeeded: number; failed: number };
  dropped: {
    malformed: number;
    unknownTunnel: number;
    unknownReply: number;
    inboundNonLocal: number;
    sendFailed: number;
    errors: number;
    malformedBuild: number;
    notOurs: number;
    replay: number;
    expired: number;
    badData: number;
    obep: number;
  };
}

interface Pending {
  build: PendingTunnelBuild;
  pool: TunnelPool;
  createdAt: number;
}

interface Test {
  pool: TunnelPool;
  ob: OutboundTunnel;
  ib: InboundTunnel;
  sentAt: number;
}

const u32 = (r: Random): number => r.int(0, 0x1_0000_0000);

export class TunnelManager {
  readonly #o: TunnelManagerOptions;
  readonly #timers: Timers;
  readonly #random: Random;
  readonly #log: TunnelLogger | undefined;
  readonly #transit: TransitTunnels;
  readonly #profiles = new PeerProfiles();
  readonly #pools = new Set<TunnelPool>();
  readonly #inboundById = new Map<number, InboundTunnel>();
  readonly #outbound = new Set<OutboundTunnel>();
  readonly #pending = new Map<number, Pending>();
  readonly #tests = new Map<number, Test>();
  readonly #nextPoolManage = new Map<TunnelPool, number>();
  readonly #retry = new Map<TunnelPool, TimerHandle>();
  #outcomes: { at: number; ok: boolean }[] = [];
  #exploratory: TunnelPool | undefined;
  #zeroIn: InboundTunnel | undefined;
  #timer: TimerHandle | undefined;
  #running = false;
  readonly #s = {
    builds: { attempted: 0, succeeded: 0, rejected: 0, timedOut: 0, badReply: 0, noPeers: 0 },
    tests: { sent: 0, succeeded: 0, failed: 0 },
    dropped: { malformed: 0, unknownTunnel: 0, unknownReply: 0, inboundNonLocal: 0, sendFailed: 0, errors: 0 },
  };
  readonly #host: PoolHost;

  constructor(o: TunnelManagerOptions) {
    if (o.ourHash.length !== 32) throw new RangeError('ourHash must be 32 bytes');
    if (!Number.isInteger(o.transit.maxTunnels) || o.transit.maxTunnels < 0) throw new RangeError('transit.maxTunnels must be a non-negative integer');
    this.#o = o;
    this.#timers = o.timers;
    this.#random = o.random;
    this.#log = o.logger;
    this.#transit = new TransitTunnels({
      ourHash: o.ourHash,
      decryptor: new BuildRecordDecryptor(o.ourKey, o.ourHash),
      send: (p, m) => o.send(p, m),
      loopback: (m) => this.#loopback(m),
      garlicWrapWithReplyKey: (k, t, m) => o.garlicWrapWithReplyKey(k, t, m),
      now: () => this.#timers.now(),
      random: o.random,
      accept: () => o.transit.accept,
      maxTunnels: () => o.transit.maxTunnels,
      idInUse: (id) => this.#inboundById.has(id),
      ...(o.logger ? { logger: o.logger } : {}),
    });
    this.#host = {
      now: () => this.#timers.now(),
      random: (max) => (max <= 1 ? 0 : this.#random.int(0, max)),
      sendThroughOutbound: (t, m, d) => this.#sendThrough(t, m, d),
      pendingBuilds: (pool, dir) => {
        let n = 0;
        for (const p of this.#pending.values()) if (p.pool === pool && p.build.direction === dir) n++;
        return n;
      },
      build: (pool, dir) => this.#build(pool, dir),
      startTest: (pool, ob, ib) => this.#startTest(pool, ob, ib),
      removePool: (pool) => {
        this.#pools.delete(pool);
        this.#nextPoolManage.delete(pool);
        const r = this.#retry.get(pool);
        if (r !== undefined) this.#timers.clearTimeout(r);
        this.#retry.delete(pool);
      },
    };
  }

  // ---- lifecycle ----

  start(): void {
    if (this.#running) return;
    this.#running = true;
    if (!this.#exploratory || !this.#exploratory.active) this.#exploratory = this.createPool({ name: 'exploratory', ...this.#o.exploratory });
    this.#schedule(0);
  }

  async stop(): Promise<void> {
    this.#running = false;
    if (this.#timer !== undefined) this.#timers.clearTimeout(this.#timer);
    this.#timer = undefined;
    for (const h of this.#retry.values()) this.#timers.clearTimeout(h);
    this.#retry.clear();
    for (const p of [...this.#pools]) p.stop();
    this.#exploratory = undefined;
    this.#pending.clear();
    this.#tests.clear();
    this.#inboundById.clear();
    this.#outbound.clear();
    this.#zeroIn = undefined;
    this.#transit.clear();
  }

  /** The exploratory pool (undefined before start()). */
  get exploratory(): TunnelPool | undefined {
    return this.#exploratory;
  }

  /** A pool with its own lengths and quantities (client destinations). Stop it with pool.stop(). */
  createPool(opts: CreatePoolOptions): TunnelPool {
    if (this.#pools.size >= MAX_POOLS) throw new RangeError(`at most ${MAX_POOLS} tunnel pools`);
    const pool = new TunnelPool(this.#host, opts.name ?? 'client', { inbound: opts.inbound, outbound: opts.outbound }, opts.deliver, opts.onInboundChange);
    this.#pools.add(pool);
    this.#nextPoolManage.set(pool, this.#timers.now());
    if (this.#running) this.#scheduleRetry(pool, 0);
    return pool;
  }

  // ---- views ----

  counts(): TunnelCounts {
    let inbound = 0;
    let outbound = 0;
    for (const t of this.#inboundById.values()) if (!t.zeroHop && t.state === 'established') inbound++;
    for (const t of this.#outbound) if (!t.zeroHop && t.state === 'established') outbound++;
    return { inbound, outbound, transit: this.#transit.size, buildSuccessRate: this.#buildSuccessRate() };
  }

  stats(): TunnelManagerStats {
    const t = this.#transit.stats;
    return {
      transitBytes: t.bytes,
      transitMessages: t.messages,
      builds: { ...this.#s.builds },
      rejected: { total: t.rejected.disabled + t.rejected.limit + t.rejected.duplicateId, ...t.rejected },
      transitAccepted: t.accepted,
      tests: { ...this.#s.tests },
      dropped: { ...this.#s.dropped, ...t.dropped, sendFailed: this.#s.dropped.sendFailed + t.dropped.sendFailed },
    };
  }

  /** Transit tunnels (no keys). */
  transitTunnels(): TransitTunnelInfo[] {
    return this.#transit.list();
  }

  /** Our own tunnels (inbound, outbound), every state, zero-hop ones included. */
  ownTunnels(): OwnTunnel[] {
    return [...this.#inboundById.values(), ...this.#outbound];
  }

  /** The per-peer build profiles (read-only use). */
  get profiles(): PeerProfiles {
    return this.#profiles;
  }

  // ---- input ----

  /**
   * TunnelData 18, TunnelGateway 19, VariableTunnelBuild 23, VariableTunnelBuildReply 24, ShortTunnelBuild 25,
   * OutboundTunnelBuildReply 26: always true (handled or dropped and counted). Anything else: false (tunnel-test
   * DeliveryStatus replies are caught where they leave our inbound tunnel, as i2pd's pool does: a
   * DeliveryStatus from a transport is never a test reply). Never throws.
   */
  handleMessage(msg: I2NPMessage, from: Uint8Array | undefined): boolean {
    try {
      return this.#handle(msg, from, 0);
    } catch (e) {
      if (e instanceof ParseError || e instanceof CryptoError) this.#s.dropped.malformed++;
      else {
        this.#s.dropped.errors++; // a bug, not bad input: logged
        this.#log?.warn({ err: String(e), type: msg.type }, 'tunnel message handling failed');
      }
      return TunnelManager.handles(msg.type);
    }
  }

  /** The I2NP types handleMessage takes. */
  static handles(type: number): boolean {
    return (
      type === I2NPType.TunnelData ||
      type === I2NPType.TunnelGateway ||
      type === I2NPType.VariableTunnelBuild ||
      type === I2NPType.VariableTunnelBuildReply ||
      type === I2NPType.ShortTunnelBuild ||
      type === I2NPType.OutboundTunnelBuildReply
    );
  }

  #handle(msg: I2NPMessage, _from: Uint8Array | undefined, depth: number): boolean {
    switch (msg.type) {
      case I2NPType.TunnelData: {
        const td = parseTunnelData(msg.payload);
        const own = this.#inboundById.get(td.tunnelId);
        if (own && own.endpoint) {
          const delivered = own.endpoint.receive(Uint8Array.prototype.slice.call(msg.payload));
          for (const d of delivered) this.#inboundDeliver(own, d, depth);
          return true;
        }
        if (!this.#transit.handleTunnelData(td.tunnelId, msg.payload)) this.#s.dropped.unknownTunnel++;
        return true;
      }
      case I2NPType.TunnelGateway: {
        const tg = parseTunnelGateway(msg.payload, { verifyChecksum: false });
        const own = this.#inboundById.get(tg.tunnelId);
        if (own && own.zeroHop) {
          this.#local(tg.message, own, depth + 1);
          return true;
        }
        if (!this.#transit.handleTunnelGateway(tg.tunnelId, tg.message, msg.payload.length)) this.#s.dropped.unknownTunnel++;
        return true;
      }
      case I2NPType.ShortTunnelBuild:
      case I2NPType.VariableTunnelBuild: {
        const p = this.#pending.get(msg.msgId);
        if (p && p.build.direction === 'inbound' && p.build.replyMessageType === msg.type) {
          this.#reply(msg.msgId, p, msg);
          return true;
        }
        this.#transit.handleBuild(msg);
        return true;
      }
      case I2NPType.OutboundTunnelBuildReply:
      case I2NPType.VariableTunnelBuildReply: {
        const p = this.#pending.get(msg.msgId);
        if (p && p.build.direction === 'outbound' && p.build.replyMessageType === msg.type) this.#reply(msg.msgId, p, msg);
        else this.#s.dropped.unknownReply++;
        return true;
      }
      default:
        return false;
    }
  }

  #inboundDeliver(t: InboundTunnel, d: DeliveredMessage, depth: number): void {
    if (t.state === 'testFailed') t.state = 'established'; // traffic arrived: the tunnel works (i2pd revives even 'failed' ones)
    if (d.instructions.type !== 'local') {
      this.#s.dropped.inboundNonLocal++; // i2pd TunnelEndpoint: possible leakage, dropped
      return;
    }
    this.#local(d.message, t, depth + 1);
  }

  /** A message that arrived for us (see the file header). */
  #local(msg: I2NPMessage, via: InboundTunnel | undefined, depth: number, direct = false): void {
    if (depth > MAX_LOCAL_DEPTH) {
      this.#s.dropped.malformed++;
      return;
    }
    if (TunnelManager.handles(msg.type)) {
      this.#handle(msg, undefined, depth);
      return;
    }
    if (msg.type === I2NPType.DeliveryStatus && via && this.#matchTest(msg, via)) return;
    const pool = via?.pool;
    if (pool?.deliver && via) pool.deliver(msg, via);
    else this.#o.deliverLocal(msg, direct);
  }

  #loopback(msg: I2NPMessage): void {
    queueMicrotask(() => {
      if (!this.#running) return;
      try {
        this.#local(msg, undefined, 1, true);
      } catch (e) {
        if (e instanceof ParseError || e instanceof CryptoError) this.#s.dropped.malformed++;
        else {
          this.#s.dropped.errors++;
          this.#log?.warn({ err: String(e) }, 'loopback message failed');
        }
      }
    });
  }

  #sendTo(peer: Uint8Array, msg: I2NPMessage): boolean {
    if (equalBytes(peer, this.#o.ourHash)) {
      this.#loopback(msg);
      return true;
    }
    const ok = this.#o.send(peer, msg);
    if (!ok) this.#s.dropped.sendFailed++;
    return ok;
  }

  // ---- sending through our outbound tunnels ----

  #sendThrough(t: OutboundTunnel, msg: I2NPMessage, di: DeliveryInstructions): boolean {
    const now = this.#timers.now();
    if (t.zeroHop) {
      if (di.type === 'local') {
        this.#loopback(msg);
        return true;
      }
      if (di.type === 'router') return this.#sendTo(di.hash, msg);
      return this.#sendTo(di.hash, {
        type: I2NPType.TunnelGateway,
        msgId: u32(this.#random),
        expiration: now + I2NP_MESSAGE_EXPIRATION_MS,
        payload: serializeTunnelGateway({ tunnelId: di.tunnelId, message: msg }),
      });
    }
    let ok: boolean;
    try {
      ok = t.gateway!.put(msg, di);
    } catch (e) {
      if (!(e instanceof RangeError)) throw e;
      return false; // too large for a tunnel, or bad instructions
    }
    for (const out of t.gateway!.flush()) {
      this.#sendTo(out.to, { type: I2NPType.TunnelData, msgId: u32(this.#random), expiration: now + I2NP_MESSAGE_EXPIRATION_MS, payload: out.data });
    }
    return ok;
  }

  // ---- building ----

  #zeroHopInbound(): InboundTunnel {
    const now = this.#timers.now();
    if (this.#zeroIn && this.#zeroIn.state === 'established' && now + TUNNEL_EXPIRING_THRESHOLD_MS < this.#zeroIn.expiresAt) return this.#zeroIn;
    let id: number;
    do id = this.#random.int(1, 0x1_0000_0000);
    while (this.#inboundById.has(id) || this.#transit.has(id));
    const t: InboundTunnel = {
      direction: 'inbound', id, hops: [], createdAt: now, expiresAt: now + TUNNEL_LIFETIME_MS, state: 'established', recreated: false,
      pool: undefined, zeroHop: true, latency: undefined, gateway: this.#o.ourHash, gatewayTunnelId: id, endpoint: undefined,
    };
    this.#inboundById.set(id, t);
    this.#zeroIn = t;
    return t;
  }

  #zeroHopTunnel(pool: TunnelPool, direction: 'inbound' | 'outbound'): void {
    const now = this.#timers.now();
    if (direction === 'inbound') {
      const t = this.#zeroHopInbound();
      this.#zeroIn = undefined; // owned by the pool now
      t.pool = pool;
      pool.added(t);
      return;
    }
    const t: OutboundTunnel = {
      direction: 'outbound', id: 0, hops: [], createdAt: now, expiresAt: now + TUNNEL_LIFETIME_MS, state: 'established', recreated: false,
      pool, zeroHop: true, latency: undefined, endpointHash: this.#o.ourHash, gateway: undefined,
    };
    this.#outbound.add(t);
    pool.added(t);
  }

  /** Start one build for `pool`. False when no build could be started (no peers, table full). */
  #build(pool: TunnelPool, direction: 'inbound' | 'outbound'): boolean {
    if (!this.#running || !pool.active) return false;
    const side = pool.settings[direction];
    if (side.length === 0) {
      this.#zeroHopTunnel(pool, direction);
      return true;
    }
    if (this.#pending.size >= MAX_PENDING_BUILDS) return false;
    const now = this.#timers.now();
    const routers = selectHops({
      routers: this.#o.routers(),
      ourHash: this.#o.ourHash,
      count: side.length,
      random: this.#random,
      now,
      profiles: this.#profiles,
      enforceSubnets: this.#o.enforceSubnets,
    });
    if (!routers) {
      this.#s.builds.noPeers++;
      this.#log?.debug({ pool: pool.name, direction }, 'not enough peers for a tunnel');
      return false;
    }
    const hops = routers.map((ri) => ({ routerHash: ri.identity.hash, x25519PublicKey: ri.identity.cryptoPublicKey! }));
    const format = routers.every(supportsShortBuild) ? 'short' : 'long';
    let replyMsgId: number;
    do replyMsgId = u32(this.#random);
    while (this.#pending.has(replyMsgId));

    let build: PendingTunnelBuild;
    let replyVia: InboundTunnel | undefined;
    if (direction === 'outbound') {
      replyVia = pool.nextInbound() ?? this.#exploratory?.nextInbound() ?? this.#zeroHopInbound();
      build = createTunnelBuild({ format, direction, hops, replyRouter: replyVia.gateway, replyTunnelId: replyVia.gatewayTunnelId, replyMsgId, now, random: this.#random });
      if (build.garlicReply) this.#o.garlicAddReplyKey(build.garlicReply.key, build.garlicReply.tag);
    } else {
      build = createTunnelBuild({ format, direction, hops, ourHash: this.#o.ourHash, replyMsgId, now, random: this.#random });
    }
    const msg: I2NPMessage = {
      type: build.messageType,
      msgId: u32(this.#random),
      expiration: now + I2NP_MESSAGE_EXPIRATION_MS,
      payload: serializeTunnelBuildRecords({ records: build.records }, format === 'short' ? BuildFormat.ShortTunnelBuild : BuildFormat.VariableTunnelBuild),
    };
    this.#pending.set(replyMsgId, { build, pool, createdAt: now });
    this.#s.builds.attempted++;
    const first = hops[0]!;
    const through = direction === 'inbound' ? (pool.nextOutbound() ?? this.#exploratory?.nextOutbound()) : undefined;
    if (through && !through.zeroHop) {
      let m = msg;
      if (format === 'short' && this.#o.garlicWrapForRouter && !equalBytes(first.routerHash, through.endpointHash)) {
        m = this.#o.garlicWrapForRouter(first.x25519PublicKey, msg);
      }
      this.#sendThrough(through, m, { type: 'router', hash: first.routerHash });
    } else {
      this.#sendTo(first.routerHash, msg);
    }
    this.#log?.debug({ pool: pool.name, direction, hops: hops.length, format }, 'tunnel build sent');
    return true;
  }

  #reply(msgId: number, p: Pending, msg: I2NPMessage): void {
    const fmt =
      msg.type === I2NPType.ShortTunnelBuild ? BuildFormat.ShortTunnelBuild
      : msg.type === I2NPType.VariableTunnelBuild ? BuildFormat.VariableTunnelBuild
      : msg.type === I2NPType.OutboundTunnelBuildReply ? BuildFormat.OutboundTunnelBuildReply
      : BuildFormat.VariableTunnelBuildReply;
    let result;
    try {
      result = readTunnelBuildReply(p.build, parseTunnelBuildRecords(msg.payload, fmt).records);
    } catch (e) {
      if (!(e instanceof ParseError) && !(e instanceof CryptoError)) throw e;
      this.#s.builds.badReply++; // stays pending until its timeout
      return;
    }
    this.#pending.delete(msgId);
    const now = this.#timers.now();
    for (const h of result.hops) this.#profiles.buildResponse(h.routerHash, h.status, now);
    const b = p.build;
    if (result.accepted && p.pool.active && this.#running) {
      const hops = b.hops.map((h) => h.routerHash);
      const common = { hops, createdAt: p.createdAt, expiresAt: p.createdAt + TUNNEL_LIFETIME_MS, state: 'established' as const, recreated: false, pool: p.pool, zeroHop: false, latency: undefined };
      if (b.direction === 'inbound') {
        if (this.#inboundById.has(b.tunnelId) || this.#transit.has(b.tunnelId)) {
          this.#finish(p.pool, false); // tunnel id collision: as a failed build
          return;
        }
        const t: InboundTunnel = {
          ...common, direction: 'inbound', id: b.tunnelId, gateway: b.hops[0]!.routerHash, gatewayTunnelId: b.hops[0]!.receiveTunnelId,
          endpoint: new InboundTunnelEndpoint({ layers: result.layers, endpoint: { now: () => this.#timers.now() } }),
        };
        this.#inboundById.set(t.id, t);
        p.pool.added(t);
      } else {
        const t: OutboundTunnel = {
          ...common, direction: 'outbound', id: b.tunnelId, endpointHash: b.hops[b.hops.length - 1]!.routerHash,
          gateway: new OutboundTunnelGateway({ layers: result.layers, firstHop: b.hops[0]!.routerHash, tunnelId: b.tunnelId, random: this.#random }),
        };
        this.#outbound.add(t);
        p.pool.added(t);
      }
      this.#finish(p.pool, true);
      this.#log?.debug({ pool: p.pool.name, direction: b.direction, hops: b.hops.length }, 'tunnel built');
    } else {
      this.#finish(p.pool, false);
    }
  }

  #finish(pool: TunnelPool, ok: boolean): void {
    const now = this.#timers.now();
    if (ok) this.#s.builds.succeeded++;
    else this.#s.builds.rejected++;
    this.#outcome(ok, now);
    if (!ok) this.#scheduleRetry(pool, RETRY_DELAY_MS);
  }

  #outcome(ok: boolean, now: number): void {
    this.#outcomes.push({ at: now, ok });
    if (this.#outcomes.length > 4096) this.#outcomes = this.#outcomes.slice(-2048);
  }

  #buildSuccessRate(): number {
    const since = this.#timers.now() - BUILD_RATE_WINDOW_MS;
    let n = 0;
    let ok = 0;
    for (const o of this.#outcomes) {
      if (o.at < since) continue;
      n++;
      if (o.ok) ok++;
    }
    return n === 0 ? 0 : ok / n;
  }

  // ---- tests ----

  #startTest(pool: TunnelPool, ob: OutboundTunnel, ib: InboundTunnel): void {
    const now = this.#timers.now();
    while (this.#tests.size >= MAX_PENDING_TESTS) this.#tests.delete(this.#tests.keys().next().value as number);
    let id: number;
    do id = u32(this.#random);
    while (this.#tests.has(id));
    this.#tests.set(id, { pool, ob, ib, sentAt: now });
    this.#s.tests.sent++;
    const ds: I2NPMessage = {
      type: I2NPType.DeliveryStatus,
      msgId: u32(this.#random),
      expiration: now + I2NP_MESSAGE_EXPIRATION_MS,
      payload: serializeDeliveryStatus({ msgId: id, timestamp: now }),
    };
    this.#sendThrough(ob, ds, { type: 'tunnel', tunnelId: ib.gatewayTunnelId, hash: ib.gateway });
  }

  /** A DeliveryStatus that came out of inbound tunnel `via`: the reply to one of our tests through it? */
  #matchTest(msg: I2NPMessage, via: InboundTunnel): boolean {
    let ds;
    try {
      ds = parseDeliveryStatus(msg.payload);
    } catch (e) {
      if (!(e instanceof ParseError)) throw e;
      return false;
    }
    const test = this.#tests.get(ds.msgId);
    if (!test || test.ib !== via) return false;
    this.#tests.delete(ds.msgId);
    this.#testSucceeded(test);
    return true;
  }

  #testSucceeded(t: Test): void {
    this.#s.tests.succeeded++;
    const dlt = Math.max(0, this.#timers.now() - t.sentAt);
    const n = t.ob.hops.length + t.ib.hops.length;
    for (const x of [t.ob, t.ib]) {
      if (x.state === 'testFailed') x.state = 'established';
      const sample = n ? Math.floor((dlt * x.hops.length) / n) || Math.floor(dlt / 2) : Math.floor(dlt / 2);
      x.latency = x.latency === undefined ? sample : (x.latency + sample) >> 1;
    }
  }

  /** i2pd TestTunnels, first half: every test of `pool` still outstanding failed. */
  #failTests(pool: TunnelPool): void {
    for (const [id, t] of this.#tests) {
      if (t.pool !== pool) continue;
      this.#tests.delete(id);
      this.#s.tests.failed++;
      for (const x of [t.ob, t.ib]) {
        if (x.state === 'testFailed') {
          x.state = 'failed';
          x.pool?.removed(x);
        } else if (x.state === 'established') x.state = 'testFailed';
      }
    }
  }

  // ---- periodic work ----

  #schedule(ms: number): void {
    if (!this.#running) return;
    this.#timer = this.#timers.setTimeout(() => {
      this.#timer = undefined;
      try {
        this.#manage();
      } catch (e) {
        this.#log?.warn({ err: String(e) }, 'tunnel management failed');
      }
      this.#schedule(MANAGE_INTERVAL_MS);
    }, ms);
  }

  #scheduleRetry(pool: TunnelPool, ms: number): void {
    if (!this.#running || this.#retry.has(pool)) return;
    this.#retry.set(
      pool,
      this.#timers.setTimeout(() => {
        this.#retry.delete(pool);
        if (this.#running && pool.active) pool.createTunnels();
      }, ms),
    );
  }

  #manage(): void {
    const now = this.#timers.now();
    // pending builds past the timeout: every hop charged with a non-reply (i2pd TunnelNonReplied)
    for (const [id, p] of this.#pending) {
      if (now <= p.createdAt + TUNNEL_BUILD_TIMEOUT_MS) continue;
      this.#pending.delete(id);
      for (const h of p.build.hops) this.#profiles.nonReplied(h.routerHash, now);
      this.#s.builds.timedOut++;
      this.#outcome(false, now);
      this.#scheduleRetry(p.pool, RETRY_DELAY_MS);
    }
    // own tunnels: expire, mark expiring, start replacements
    const recreate = new Set<TunnelPool>();
    for (const t of this.ownTunnels()) {
      if (now >= t.expiresAt) {
        this.#remove(t);
        continue;
      }
      if (t.state === 'failed') continue;
      if (!t.recreated && t.state === 'established' && now + TUNNEL_RECREATION_THRESHOLD_MS >= t.expiresAt && t.pool) {
        t.recreated = true;
        recreate.add(t.pool);
      }
      if (now + TUNNEL_EXPIRING_THRESHOLD_MS >= t.expiresAt) t.state = 'expiring';
      else if (t.direction === 'inbound') t.endpoint?.endpoint.expire();
    }
    for (const pool of recreate) pool.createTunnels();
    this.#transit.expire(now);
    this.#profiles.expire(now);
    // pools: build to quantity and test, every 10 s + up to 5 s each
    for (const pool of this.#pools) {
      const next = this.#nextPoolManage.get(pool) ?? now;
      if (now < next) continue;
      this.#failTests(pool);
      pool.createTunnels();
      pool.testTunnels();
      this.#nextPoolManage.set(pool, now + POOL_MANAGE_INTERVAL_MS + this.#random.int(0, POOL_MANAGE_INTERVAL_MS / 2));
    }
  }

  #remove(t: OwnTunnel): void {
    t.pool?.removed(t);
    t.pool = undefined;
    if (t.direction === 'inbound') {
      this.#inboundById.delete(t.id);
      if (this.#zeroIn === t) this.#zeroIn = undefined;
    } else this.#outbound.delete(t);
    for (const [id, x] of this.#tests) if (x.ob === t || x.ib === t) this.#tests.delete(id);
  }
}

