/**
 * NetDb: the store, lookups, publishing and the floodfill role, behind one class with narrow handles.
 *
 * Spec: ../shared/specs/docs/how-network-database.html (whole document); ../shared/specs/spec/i2np.rst
 * DatabaseStore / DatabaseLookup / DatabaseSearchReply / DeliveryStatus.
 * i2pd 2.45.1: NetDb.cpp NetDb::Run (the maintenance schedule: every 60 s save and expire, publish on a
 * change of our RouterInfo or every 40 minutes, explore every 30 s while fewer than 2500 routers are known
 * (every 90 s otherwise) with clamp(800 / routers, 1, 9) random keys), HandleDatabaseStoreMsg,
 * HandleDatabaseLookupMsg, HandleDatabaseSearchReplyMsg, HandleDeliveryStatusMsg.
 *
 * I/O is injected: `transport.send(peer, msg)` (false = dropped), `timers` (clock + unref'd timers),
 * `random`, `persistence` (folder.ts saveRouterInfo/removeRouterInfo bound to the datadir). The router
 * hands every DatabaseStore, DatabaseLookup, DatabaseSearchReply and DeliveryStatus it receives directly to
 * `handleMessage(msg, from)`, `from` being the transport-authenticated peer hash (undefined when the message
 * came out of a tunnel — then i2pd ignores unsolicited LeaseSet stores; so do we).
 *
 * Deviations (besides those in the component files): EncryptedLeaseSet (5), MetaLeaseSet (7) and the old
 * LeaseSet (1) are not stored (dropped and counted: data/ has no codecs for them yet); DatabaseStores whose
 * data exceeds i2pd's 3072-byte buffers are dropped as in i2pd.
 */
import { equalBytes } from '../data/bytes.js';
import { ParseError } from '../data/errors.js';
import type { Random } from '../crypto/random.js';
import { systemRandom } from '../crypto/random.js';
import { MAX_ROUTER_INFO_SIZE, type RouterInfo } from '../data/router-info.js';
import type { LeaseSet2 } from '../data/lease-set2.js';
import { I2NPType, type I2NPMessage } from '../i2np/header.js';
import { DatabaseStoreType, parseDatabaseStore, type DatabaseStore } from '../i2np/database-store.js';
import { parseDatabaseLookup, type DatabaseLookup, type DatabaseLookupReplyEncryption } from '../i2np/database-lookup.js';
import { parseDatabaseSearchReply } from '../i2np/database-search-reply.js';
import { parseDeliveryStatus } from '../i2np/delivery-status.js';
import { NetDbStore, NETDB_MIN_FLOODFILLS, type AddResult, type NetDbCounts, type RouterInfoPersistence } from './store.js';
import { Lookups, type LookupEvent, type LookupKind, type LookupOptions, type LookupResult } from './lookup.js';
import { Publisher, NETDB_PUBLISH_INTERVAL, type PublishResult } from './publish.js';
import { acknowledgeStore, answerLookup, flood, mayFlood, sendLookupReply, type FloodfillContext } from './floodfill.js';
import { systemTimers, type TimerHandle, type Timers } from './timers.js';

/** i2pd MAX_LS_BUFFER_SIZE. */
export const MAX_LEASE_SET_SIZE = 3072;
export const MAINTENANCE_INTERVAL = 15_000;
export const SAVE_INTERVAL = 60_000;
export const EXPLORE_INTERVAL = 30_000;
export const EXPLORE_SLOW_INTERVAL = 90_000;
export const EXPLORE_FAST_BELOW = 2500;
/** i2pd ROUTER_INFO_UPDATE_INTERVAL. */
export const ROUTER_INFO_UPDATE_INTERVAL = 30 * 60 * 1000;

/** How the netDb reaches other routers. */
export interface NetDbTransport {
  /** Queue `msg` for the router `peer` (its hash); false = dropped (no session possible, queue full). */
  send(peer: Uint8Array, msg: I2NPMessage): boolean;
}

/** The subset of a pino logger the netDb uses. */
export interface NetDbLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

const silent: NetDbLogger = { debug() {}, info() {}, warn() {} };

export interface NetDbOptions {
  /** Our signed RouterInfo (replace it with setRouterInfo). */
  routerInfo: RouterInfo;
  netId: number;
  /** Config `floodfill`. */
  floodfill?: boolean;
  /** Don't publish nor explore (i2pd hidden mode). */
  hidden?: boolean;
  transport: NetDbTransport;
  timers?: Timers;
  random?: Random;
  logger?: NetDbLogger;
  persistence?: RouterInfoPersistence;
  maxRouters?: number;
  maxLeaseSets?: number;
  maxActiveLookups?: number;
  /**
   * Called before a publish when our RouterInfo was published more than 30 minutes ago (i2pd
   * RouterContext::UpdateTimestamp, ROUTER_INFO_UPDATE_INTERVAL): return it re-signed with a fresh date,
   * so floodfills (which drop RouterInfos older than an hour) keep it. Absent: published as it is.
   */
  refreshRouterInfo?(): RouterInfo;
  /** Hook for replies that must go through a tunnel (later); without it they are dropped. */
  sendToTunnel?(gateway: Uint8Array, tunnelId: number, msg: I2NPMessage, encryption: DatabaseLookupReplyEncryption | null): boolean;
}

export interface NetDbStats {
  received: number;
  dropped: { parse: number; zeroKey: number; ownHash: number; rejected: number; unsupported: number; tooLarge: number; notStarted: number };
  stored: number;
  flooded: number;
  lookupsAnswered: number;
  tunnelRepliesDropped: number;
}

export class NetDb {
  readonly store: NetDbStore;
  readonly lookups: Lookups;
  readonly publisher: Publisher;
  readonly timers: Timers;
  readonly random: Random;
  readonly floodfill: boolean;
  readonly #o: NetDbOptions;
  readonly #log: NetDbLogger;
  readonly #ff: FloodfillContext;
  #ri: RouterInfo;
  #running = false;
  #stopped = false;
  #timer: TimerHandle | undefined;
  #bg = new AbortController();
  readonly #tasks = new Set<Promise<unknown>>();
  #publishDue = true;
  #publishing = false;
  #exploring = false;
  #maintaining = false;
  #lastSave: number;
  #lastExplore = 0;
  readonly #stats: NetDbStats = {
    received: 0,
    dropped: { parse: 0, zeroKey: 0, ownHash: 0, rejected: 0, unsupported: 0, tooLarge: 0, notStarted: 0 },
    stored: 0,
    flooded: 0,
    lookupsAnswered: 0,
    tunnelRepliesDropped: 0,
  };

  constructor(o: NetDbOptions) {
    this.#o = o;
    this.#ri = o.routerInfo;
    this.floodfill = o.floodfill ?? false;
    this.timers = o.timers ?? systemTimers();
    this.random = o.random ?? systemRandom;
    this.#log = o.logger ?? silent;
    const ourHash = o.routerInfo.identity.hash;
    const timers = this.timers;
    const send = (peer: Uint8Array, msg: I2NPMessage): boolean => {
      if (equalBytes(peer, ourHash)) return false; // never to ourselves
      return o.transport.send(peer, msg);
    };
    const newMsgId = (): number => this.random.int(1, 0x1_0000_0000);
    this.store = new NetDbStore({
      ourHash,
      netId: o.netId,
      now: () => timers.now(),
      isFloodfill: () => this.floodfill,
      maxRouters: o.maxRouters,
      maxLeaseSets: o.maxLeaseSets,
      persistence: o.persistence,
      onPersistError: (e, op, hash) => this.#log.warn({ op, router: hash, err: (e as Error)?.message }, 'netDb folder write failed'),
    });
    const store = this.store;
    this.lookups = new Lookups(
      {
        ourHash,
        timers,
        random: this.random,
        send,
        newMsgId,
        floodfillHashes: () => store.floodfillHashes(),
        routerHashes: () => store.routerHashes(),
        getRouter: (h) => store.getRouter(h),
        getLeaseSet: (h) => store.getLeaseSet(h),
      },
      { maxActive: o.maxActiveLookups },
    );
    this.publisher = new Publisher({ ourHash, timers, random: this.random, send, newMsgId, floodfillHashes: () => store.floodfillHashes() });
    this.#ff = {
      ourHash,
      ourRouterInfo: () => this.#ri,
      now: () => timers.now(),
      newMsgId,
      send,
      getRouter: (h) => store.getRouter(h),
      getLeaseSet: (h) => (store.isServableLeaseSet(h) ? store.getLeaseSet(h) : undefined),
      floodfillHashes: () => store.floodfillHashes(),
      routers: () => store.routers(),
      sendToTunnel: o.sendToTunnel
        ? (g, t, m, e) => o.sendToTunnel!(g, t, m, e)
        : () => {
            this.#stats.tunnelRepliesDropped++;
            return false;
          },
    };
    this.#lastSave = timers.now();
  }

  get ourHash(): Uint8Array {
    return this.#ri.identity.hash;
  }

  get routerInfo(): RouterInfo {
    return this.#ri;
  }

  /** Our RouterInfo changed (address, caps, republished date): it is published again at the next tick. */
  setRouterInfo(ri: RouterInfo): void {
    if (!equalBytes(ri.identity.hash, this.#ri.identity.hash)) throw new RangeError('setRouterInfo: a different router identity');
    this.#ri = ri;
    this.#publishDue = true;
  }

  /** Start the maintenance timer (first tick at once). */
  start(): void {
    if (this.#running || this.#stopped) return;
    this.#running = true;
    this.#schedule(0);
  }

  /** Stop timers, abort background publishing/exploration, wait for them and write pending RouterInfos. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#running = false;
    if (this.#timer !== undefined) this.timers.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#bg.abort();
    await Promise.allSettled([...this.#tasks]);
    await this.store.flush();
  }

  #schedule(ms: number): void {
    this.#timer = this.timers.setTimeout(() => {
      this.#timer = undefined;
      if (!this.#running) return;
      if (!this.#maintaining) this.#background(this.maintenance());
      this.#schedule(MAINTENANCE_INTERVAL);
    }, ms);
  }

  #background(p: Promise<unknown>): void {
    const t = p.catch((e: unknown) => {
      if ((e as Error)?.name !== 'AbortError') this.#log.warn({ err: (e as Error)?.message }, 'netDb background task failed');
    });
    this.#tasks.add(t);
    void t.finally(() => this.#tasks.delete(t));
  }

  /** One maintenance round (what the timer runs every 15 s); exposed for tests and the router. */
  async maintenance(): Promise<void> {
    const now = this.timers.now();
    if (now - this.#lastSave >= SAVE_INTERVAL && !this.#maintaining) {
      this.#lastSave = now;
      const gone = this.store.expire(now);
      if (gone.routers || gone.leaseSets) this.#log.info(gone, 'netDb entries expired');
      this.#maintaining = true;
      try {
        await this.store.flush();
      } finally {
        this.#maintaining = false;
      }
    }
    const hidden = this.#o.hidden ?? false;
    if (!hidden && !this.#publishing && (this.#publishDue || now - (this.publisher.lastConfirmed ?? 0) >= NETDB_PUBLISH_INTERVAL)) {
      this.#background(this.publish({ signal: this.#bg.signal }));
    }
    const routers = this.store.counts().routers;
    if (!hidden && !this.#exploring && routers > 0 && now - this.#lastExplore >= EXPLORE_INTERVAL) {
      if (routers < EXPLORE_FAST_BELOW || now - this.#lastExplore >= EXPLORE_SLOW_INTERVAL) {
        this.#lastExplore = now;
        this.#background(this.explore({ signal: this.#bg.signal, count: Math.min(9, Math.max(1, Math.floor(800 / routers))) }));
      }
    }
  }

  // ---- incoming ----

  /**
   * Handle a DatabaseStore, DatabaseLookup, DatabaseSearchReply or DeliveryStatus. `from`: the router the
   * message came from over a transport session (undefined if it came out of a tunnel). Returns false for
   * other types and for a DeliveryStatus nobody waited for (the router may hand those elsewhere). Never
   * throws on bad input: it is dropped and counted.
   */
  handleMessage(msg: I2NPMessage, from: Uint8Array | undefined): boolean {
    if (this.#stopped) {
      this.#stats.dropped.notStarted++;
      return false;
    }
    try {
      switch (msg.type) {
        case I2NPType.DatabaseStore:
          this.#stats.received++;
          this.#handleStore(parseDatabaseStore(msg.payload, { maxRouterInfoSize: MAX_ROUTER_INFO_SIZE }), from);
          return true;
        case I2NPType.DatabaseLookup:
          this.#stats.received++;
          this.#handleLookup(parseDatabaseLookup(msg.payload));
          return true;
        case I2NPType.DatabaseSearchReply:
          this.#stats.received++;
          this.lookups.handleSearchReply(parseDatabaseSearchReply(msg.payload), from);
          return true;
        case I2NPType.DeliveryStatus:
          return this.publisher.handleDeliveryStatus(parseDeliveryStatus(msg.payload), from);
        default:
          return false;
      }
    } catch (e) {
      if (e instanceof ParseError) {
        this.#stats.dropped.parse++;
        this.#log.debug({ type: msg.type, code: e.code, path: e.path }, 'netDb message dropped');
        return true;
      }
      throw e;
    }
  }

  #handleStore(ds: DatabaseStore, from: Uint8Array | undefined): void {
    if (ds.key.every((b) => b === 0)) {
      this.#stats.dropped.zeroKey++;
      return;
    }
    // i2pd answers the token before any check, even for our own hash.
    if (ds.reply) acknowledgeStore(this.#ff, ds.reply);
    if (equalBytes(ds.key, this.ourHash)) {
      this.#stats.dropped.ownHash++;
      return;
    }
    let r: AddResult;
    let floodable = false;
    if (ds.storeType === DatabaseStoreType.RouterInfo) {
      const x = this.store.addRouterInfoBytes(ds.data, ds.key);
      r = x;
      floodable = !!x.ri && mayFlood(this.timers.now(), { routerInfo: x.ri });
    } else if (ds.storeType === DatabaseStoreType.LeaseSet2) {
      if (ds.data.length > MAX_LEASE_SET_SIZE) {
        this.#stats.dropped.tooLarge++;
        return;
      }
      if (!from && !this.lookups.isWaitingFor(ds.key)) {
        // i2pd: an unsolicited LeaseSet must come directly, not down a tunnel.
        this.#stats.dropped.rejected++;
        return;
      }
      // A store answering our own lookup is a reply, not a publication (spec "Segmentation").
      const x = this.store.addLeaseSet2Bytes(ds.key, ds.data, { asReply: !ds.reply && this.lookups.isWaitingFor(ds.key) });
      r = x;
      floodable = !!x.ls && mayFlood(this.timers.now(), { leaseSet: x.ls });
    } else {
      this.#stats.dropped.unsupported++;
      return;
    }
    const updated = r.status === 'added' || r.status === 'updated';
    if (updated) this.#stats.stored++;
    else if (r.status === 'rejected') {
      this.#stats.dropped.rejected++;
      this.#log.debug({ reason: r.reason, storeType: ds.storeType }, 'netDb store rejected');
    }
    this.lookups.handleStore(ds.key, from);
    if (updated && ds.reply && this.floodfill && floodable) {
      // Not excluding `from`, as i2pd: for a LeaseSet it is the outbound endpoint that delivered the garlic,
      // often a floodfill that does not hold it (the publisher is someone else).
      this.#stats.flooded += flood(this.#ff, ds.key, ds.storeType, ds.data).length;
    }
  }

  #handleLookup(l: DatabaseLookup): void {
    const reply = answerLookup(this.#ff, l, { serveLeaseSets: this.floodfill });
    if (!reply) {
      this.#stats.dropped.zeroKey++;
      return;
    }
    if (sendLookupReply(this.#ff, l, reply)) this.#stats.lookupsAnswered++;
  }

  // ---- API ----

  /**
   * Add a RouterInfo from a transport handshake, the reseed or the folder (see NetDbStore.addRouterInfo).
   * `flood`: the NTCP2 RouterInfo block asked for flooding (i2pd HandleNTCP2RouterInfoMsg): a floodfill
   * floods it when it was new or newer.
   */
  addRouterInfo(ri: RouterInfo, opts: { verified?: boolean; persisted?: boolean; flood?: boolean } = {}): AddResult {
    const r = this.store.addRouterInfo(ri, opts);
    if (r.status === 'added' || r.status === 'updated') {
      this.lookups.handleStore(ri.identity.hash, undefined);
      if (opts.flood && this.floodfill && mayFlood(this.timers.now(), { routerInfo: ri })) {
        this.#stats.flooded += flood(this.#ff, ri.identity.hash, DatabaseStoreType.RouterInfo, ri.raw, ri.identity.hash).length;
      }
    }
    return r;
  }

  /** Add a LeaseSet2 we got by other means (e.g. in a garlic clove). */
  addLeaseSet2(ls: LeaseSet2): AddResult {
    const r = this.store.addLeaseSet2(ls);
    if (r.status === 'added' || r.status === 'updated') this.lookups.handleStore(ls.destination.hash, undefined);
    return r;
  }

  routers(): RouterInfo[] {
    return [...this.store.routers()];
  }

  floodfills(): RouterInfo[] {
    return [...this.store.floodfills()];
  }

  counts(): NetDbCounts {
    return this.store.counts();
  }

  stats(): NetDbStats {
    return structuredClone(this.#stats);
  }

  /** Iterative lookup as an async generator of progress events (see lookup.ts). */
  lookup(key: Uint8Array, kind: LookupKind, opts: LookupOptions = {}): AsyncGenerator<LookupEvent, void, undefined> {
    return this.lookups.lookup(key, kind, opts);
  }

  /** A RouterInfo, from the store or by an iterative lookup; undefined when not found in time. */
  async lookupRouter(hash: Uint8Array, opts: LookupOptions = {}): Promise<RouterInfo | undefined> {
    const r = await this.lookups.find(hash, 'router', opts);
    return r.type === 'found' ? r.routerInfo : undefined;
  }

  /** A LeaseSet2, from the store or by an iterative lookup; undefined when not found in time. */
  async lookupLeaseSet(hash: Uint8Array, opts: LookupOptions = {}): Promise<LeaseSet2 | undefined> {
    const r = await this.lookups.find(hash, 'leaseSet', opts);
    return r.type === 'found' ? r.leaseSet : undefined;
  }

  /**
   * Explore `count` random keys in parallel (default 1). While we know fewer than NETDB_MIN_FLOODFILLS
   * floodfills, every other exploration asks for floodfills instead (see lookup.ts). Returns the number
   * of RouterInfos learned.
   */
  async explore(opts: { signal?: AbortSignal; count?: number } = {}): Promise<number> {
    if (this.#exploring) return 0;
    this.#exploring = true;
    try {
      const count = Math.max(1, Math.min(9, opts.count ?? 1));
      const fewFloodfills = this.store.counts().floodfills < NETDB_MIN_FLOODFILLS;
      const runs: Promise<LookupResult>[] = [];
      for (let i = 0; i < count; i++) {
        runs.push(this.lookups.explore({ signal: opts.signal, discoverFloodfills: fewFloodfills && i % 2 === 0 }));
      }
      const results = await Promise.all(runs);
      const learned = results.reduce((n, r) => n + (r.type === 'explored' ? r.learned : 0), 0);
      this.#log.debug({ count, learned }, 'netDb exploration');
      return learned;
    } finally {
      this.#exploring = false;
    }
  }

  /** Publish our RouterInfo now (see publish.ts). */
  async publish(opts: { signal?: AbortSignal; maxAttempts?: number } = {}): Promise<PublishResult> {
    if (this.#o.hidden) return { confirmed: false, reason: 'noFloodfills', attempts: 0 };
    this.#publishing = true;
    if (this.#o.refreshRouterInfo && this.timers.now() - this.#ri.published > ROUTER_INFO_UPDATE_INTERVAL) {
      this.setRouterInfo(this.#o.refreshRouterInfo());
    }
    const ri = this.#ri;
    try {
      const r = await this.publisher.publish(ri, opts);
      if (r.confirmed && ri === this.#ri) this.#publishDue = false;
      this.#log.info({ confirmed: r.confirmed, attempts: r.attempts }, 'published our RouterInfo');
      return r;
    } finally {
      this.#publishing = false;
    }
  }
}
