/**
 * Iterative netDb lookups and exploration, as async generators over a narrow context.
 *
 * Spec: ../shared/specs/docs/how-network-database.html, "RouterInfo and LeaseSet Lookup" (iterative, to the
 * floodfills closest to the routing key, "two ... in parallel", continue with the next-closest until a total
 * timeout or a maximum number of peers), "Exploration" (lookup type exploratory, don't-include list),
 * "Notes on Lookup Responses" (the DSRM `from` is unauthenticated); ../shared/specs/spec/i2np.rst
 * DatabaseLookup / DatabaseSearchReply.
 * i2pd 2.45.1: NetDb.cpp RequestDestination, HandleDatabaseSearchReplyMsg (fetch the RouterInfo of every
 * unknown or > 1 hour old peer in a reply), Explore (one floodfill per random key); NetDbRequests.cpp
 * (next floodfill after 5 s without an answer, at most 7 floodfills, a request is worthless after 60 s;
 * the excluded list is the floodfills already asked); I2NPProtocol.cpp CreateRouterInfoDatabaseLookupMsg.
 *
 * Replies come straight to us: `from` = our router hash, no reply tunnel, no reply encryption (proposal 154
 * encryption only applies to replies through tunnels). Tunnelled lookups are a later hook (the `send`
 * handle may route them).
 *
 * Deviations, written down:
 *   - Up to `concurrency` (default 2, the spec's) floodfills are asked at a time; i2pd asks one and the next
 *     after 5 s.
 *   - The RouterInfos of unknown peers in a reply are fetched by asking the replying floodfill first (it
 *     just named them, so it has them — Java does this), then the closest floodfills; i2pd asks the closest
 *     floodfill to each peer. Nested fetches never fetch further (bounded depth), at most
 *     MAX_FETCHES_PER_LOOKUP per lookup, MAX_PEERS_PER_REPLY peers read per reply (spec: at most 16).
 *   - Exploration excludes our hash and the known routers closest to the random key (up to
 *     `maxExcluded`, default 128), so the floodfill names routers we do not know (Java's don't-include
 *     list; i2pd sends only the floodfills already asked). When we know fewer than NETDB_MIN_FLOODFILLS
 *     floodfills, `discoverFloodfills` sends a RouterInfo lookup for the random key instead, whose reply
 *     names floodfills (Java StartExplorersJob; i2pd ReseedFromFloodfill uses the same message).
 */
import { equalBytes } from '../data/bytes.js';
import type { Random } from '../crypto/random.js';
import type { RouterInfo } from '../data/router-info.js';
import type { LeaseSet2 } from '../data/lease-set2.js';
import { I2NPType, type I2NPMessage } from '../i2np/header.js';
import { DatabaseLookupType, DATABASE_LOOKUP_MAX_EXCLUDED, serializeDatabaseLookup, type DatabaseLookupTypeValue } from '../i2np/database-lookup.js';
import type { DatabaseSearchReply } from '../i2np/database-search-reply.js';
import { HashSet, closest, hashKey, routingKey } from './kademlia.js';
import { abortError, type TimerHandle, type Timers } from './timers.js';

/** i2pd NetDbRequests: no answer after 5 s → next floodfill. */
export const LOOKUP_PEER_TIMEOUT = 5_000;
/** i2pd: "not found after 7 attempts". */
export const LOOKUP_MAX_QUERIES = 7;
/** Spec: two floodfills in parallel. */
export const LOOKUP_CONCURRENCY = 2;
/** Total time for one lookup (i2pd drops a request after 60 s; Java's lookups end sooner). */
export const LOOKUP_TIMEOUT = 30_000;
/** i2pd HandleDatabaseSearchReplyMsg: refetch a RouterInfo older than 1 hour. */
export const STALE_ROUTER_INFO = 3_600_000;
export const MAX_PEERS_PER_REPLY = 16;
export const MAX_FETCHES_PER_LOOKUP = 16;
/** Exploration don't-include list size (clove). */
export const EXPLORE_MAX_EXCLUDED = 128;
/** i2pd I2NP_MESSAGE_EXPIRATION_TIMEOUT. */
export const I2NP_MESSAGE_EXPIRATION = 8_000;
/** Concurrent lookups (nested RouterInfo fetches included). */
export const DEFAULT_MAX_ACTIVE_LOOKUPS = 64;
const EVENT_QUEUE_SIZE = 256;

export type LookupKind = 'router' | 'leaseSet' | 'explore';

export interface LookupContext {
  ourHash: Uint8Array;
  timers: Timers;
  random: Random;
  /** Send to a router; false = dropped (no session, queue full). */
  send(peer: Uint8Array, msg: I2NPMessage): boolean;
  newMsgId(): number;
  floodfillHashes(): Iterable<Uint8Array>;
  routerHashes(): Iterable<Uint8Array>;
  getRouter(hash: Uint8Array): RouterInfo | undefined;
  getLeaseSet(hash: Uint8Array): LeaseSet2 | undefined;
}

export interface LookupOptions {
  signal?: AbortSignal;
  /** Total time (ms), default LOOKUP_TIMEOUT. */
  timeout?: number;
  peerTimeout?: number;
  maxQueries?: number;
  concurrency?: number;
  /** Ask this router first (e.g. the floodfill that named the key). */
  firstPeer?: Uint8Array;
  /** Fetch the RouterInfos of unknown peers named in replies (default true; false in nested fetches). */
  fetchPeers?: boolean;
  /** Return a locally known entry without asking (default true; exploration never does). */
  useLocal?: boolean;
  /** explore: send a RouterInfo lookup (floodfills answer with floodfills) instead of an exploratory one. */
  discoverFloodfills?: boolean;
  /** explore: don't-include list cap (default EXPLORE_MAX_EXCLUDED). */
  maxExcluded?: number;
}

export type NotFoundReason = 'exhausted' | 'timeout' | 'noFloodfills' | 'busy';

export type LookupEvent =
  | { type: 'query'; peer: Uint8Array }
  | { type: 'sendFailed'; peer: Uint8Array }
  | { type: 'reply'; peer: Uint8Array; peers: Uint8Array[] }
  | { type: 'timeout'; peer: Uint8Array }
  | { type: 'learned'; hash: Uint8Array }
  | { type: 'found'; routerInfo?: RouterInfo; leaseSet?: LeaseSet2; queried: number }
  | { type: 'notFound'; reason: NotFoundReason; queried: number }
  | { type: 'explored'; learned: number; queried: number };

export type LookupResult = Extract<LookupEvent, { type: 'found' | 'notFound' | 'explored' }>;

type Internal =
  | { t: 'store'; from: Uint8Array | undefined }
  | { t: 'reply'; from: Uint8Array; peers: Uint8Array[] }
  | { t: 'peerTimeout'; peer: Uint8Array }
  | { t: 'fetched'; hash: Uint8Array; ok: boolean }
  | { t: 'deadline' }
  | { t: 'abort' };

/** A bounded single-consumer event queue; `force` bypasses the bound (control events). */
class EventQueue<T> {
  readonly #items: T[] = [];
  #wake: (() => void) | undefined;
  dropped = 0;
  constructor(readonly capacity: number) {}
  push(x: T, force = false): void {
    if (!force && this.#items.length >= this.capacity) {
      this.dropped++;
      return;
    }
    this.#items.push(x);
    const w = this.#wake;
    this.#wake = undefined;
    w?.();
  }
  async next(): Promise<T> {
    while (this.#items.length === 0) await new Promise<void>((r) => (this.#wake = r));
    return this.#items.shift()!;
  }
}

interface Waiter {
  push(e: Internal): void;
}

export class Lookups {
  readonly #ctx: LookupContext;
  readonly #maxActive: number;
  readonly #waiters = new Map<string, Set<Waiter>>();
  #active = 0;

  constructor(ctx: LookupContext, opts: { maxActive?: number } = {}) {
    this.#ctx = ctx;
    this.#maxActive = opts.maxActive ?? DEFAULT_MAX_ACTIVE_LOOKUPS;
  }

  /** Lookups in progress (nested fetches included). */
  get active(): number {
    return this.#active;
  }

  /** Whether some lookup waits for `key` (so a DatabaseStore or search reply for it was solicited). */
  isWaitingFor(key: Uint8Array): boolean {
    return this.#waiters.has(hashKey(key));
  }

  /** The netDb handled a DatabaseStore for `key` (whatever the outcome); lookups check the store. */
  handleStore(key: Uint8Array, from: Uint8Array | undefined): void {
    const ws = this.#waiters.get(hashKey(key));
    if (ws) for (const w of ws) w.push({ t: 'store', from });
  }

  /** A DatabaseSearchReply arrived; `from` is the transport-authenticated sender when known. Returns whether a lookup wanted it. */
  handleSearchReply(r: DatabaseSearchReply, from: Uint8Array | undefined): boolean {
    const ws = this.#waiters.get(hashKey(r.key));
    if (!ws) return false;
    const peers = r.peers.slice(0, MAX_PEERS_PER_REPLY).map((p) => Uint8Array.prototype.slice.call(p));
    const replier = Uint8Array.prototype.slice.call(from ?? r.from);
    for (const w of ws) w.push({ t: 'reply', from: replier, peers });
    return true;
  }

  #local(key: Uint8Array, kind: LookupKind, queried: number): LookupResult | undefined {
    if (kind === 'router') {
      const ri = this.#ctx.getRouter(key);
      if (ri) return { type: 'found', routerInfo: ri, queried };
    } else if (kind === 'leaseSet') {
      const ls = this.#ctx.getLeaseSet(key);
      if (ls) return { type: 'found', leaseSet: ls, queried };
    }
    return undefined;
  }

  #message(key: Uint8Array, lookupType: DatabaseLookupTypeValue, excluded: Uint8Array[]): I2NPMessage {
    const payload = serializeDatabaseLookup({
      key,
      from: this.#ctx.ourHash,
      lookupType,
      replyTunnelId: null,
      excludedPeers: excluded.slice(0, DATABASE_LOOKUP_MAX_EXCLUDED),
      replyEncryption: null,
    });
    return {
      type: I2NPType.DatabaseLookup,
      msgId: this.#ctx.newMsgId(),
      expiration: this.#ctx.timers.now() + I2NP_MESSAGE_EXPIRATION,
      payload,
    };
  }

  /**
   * Iterative lookup of `key`. Yields progress events and ends with exactly one of found / notFound /
   * explored. Throws AbortError when `signal` aborts. Every timer and listener is removed when it ends
   * (also when the consumer stops iterating early).
   */
  async *lookup(key: Uint8Array, kind: LookupKind, o: LookupOptions = {}): AsyncGenerator<LookupEvent, void, undefined> {
    if (key.length !== 32) throw new RangeError('lookup key must be 32 bytes');
    const ctx = this.#ctx;
    const signal = o.signal;
    if (signal?.aborted) throw abortError(signal);
    if (o.useLocal !== false && kind !== 'explore') {
      const local = this.#local(key, kind, 0);
      if (local) {
        yield local;
        return;
      }
    }
    if (this.#active >= this.#maxActive) {
      yield { type: 'notFound', reason: 'busy', queried: 0 };
      return;
    }
    const peerTimeout = o.peerTimeout ?? LOOKUP_PEER_TIMEOUT;
    const maxQueries = o.maxQueries ?? LOOKUP_MAX_QUERIES;
    const concurrency = Math.max(1, o.concurrency ?? LOOKUP_CONCURRENCY);
    const fetchPeers = o.fetchPeers ?? true;
    const explore = kind === 'explore';
    const lookupType: DatabaseLookupTypeValue =
      kind === 'router'
        ? DatabaseLookupType.RouterInfo
        : kind === 'leaseSet'
          ? DatabaseLookupType.LeaseSet
          : o.discoverFloodfills
            ? DatabaseLookupType.RouterInfo
            : DatabaseLookupType.Exploratory;

    const q = new EventQueue<Internal>(EVENT_QUEUE_SIZE);
    const k = hashKey(key);
    const waiter: Waiter = { push: (e) => q.push(e) };
    let set = this.#waiters.get(k);
    if (!set) this.#waiters.set(k, (set = new Set()));
    set.add(waiter);
    this.#active++;
    const timers = new Set<TimerHandle>();
    const after = (ms: number, ev: Internal): TimerHandle => {
      const h = ctx.timers.setTimeout(() => {
        timers.delete(h);
        q.push(ev, true);
      }, ms);
      timers.add(h);
      return h;
    };
    const onAbort = (): void => q.push({ t: 'abort' }, true);
    signal?.addEventListener('abort', onAbort, { once: true });
    const fetchAbort = new AbortController();
    after(o.timeout ?? LOOKUP_TIMEOUT, { t: 'deadline' });

    const rk = routingKey(key, ctx.timers.now());
    const queried = new HashSet();
    const inFlight = new Map<string, TimerHandle>();
    const fetched = new HashSet();
    let pendingFetches = 0;
    let learned = 0;
    let replied = false;
    let firstPeer = o.firstPeer;
    const notUs = { has: (h: Uint8Array) => queried.has(h) || equalBytes(h, ctx.ourHash) };

    const exploreExcluded = (): Uint8Array[] => {
      const cap = Math.min(o.maxExcluded ?? EXPLORE_MAX_EXCLUDED, DATABASE_LOOKUP_MAX_EXCLUDED - 1 - maxQueries);
      return [ctx.ourHash, ...queried, ...closest(rk, ctx.routerHashes(), Math.max(0, cap), notUs)];
    };

    const startFetch = (hash: Uint8Array, via: Uint8Array): void => {
      pendingFetches++;
      fetched.add(hash);
      this.find(hash, 'router', {
        signal: fetchAbort.signal,
        firstPeer: via,
        fetchPeers: false,
        maxQueries: 2,
        concurrency: 1,
        peerTimeout,
        timeout: 2 * peerTimeout,
      }).then(
        (r) => q.push({ t: 'fetched', hash, ok: r.type === 'found' }, true),
        () => q.push({ t: 'fetched', hash, ok: false }, true),
      );
    };

    try {
      for (;;) {
        // Ask more floodfills while there is room.
        let exhausted = queried.size >= maxQueries;
        while (!(explore && replied) && inFlight.size < concurrency && queried.size < maxQueries) {
          let next: Uint8Array | undefined;
          if (firstPeer) {
            next = firstPeer;
            firstPeer = undefined;
            if (notUs.has(next)) continue;
          } else {
            next = closest(rk, ctx.floodfillHashes(), 1, notUs)[0];
          }
          if (!next) {
            exhausted = true;
            break;
          }
          const excluded = explore && !o.discoverFloodfills ? exploreExcluded() : [...queried];
          queried.add(next);
          const msg = this.#message(key, lookupType, excluded);
          if (!ctx.send(next, msg)) {
            yield { type: 'sendFailed', peer: next };
            continue;
          }
          inFlight.set(hashKey(next), after(peerTimeout, { t: 'peerTimeout', peer: next }));
          yield { type: 'query', peer: next };
        }
        if (queried.size >= maxQueries) exhausted = true;
        if (inFlight.size === 0) {
          if (explore && replied && pendingFetches === 0) {
            yield { type: 'explored', learned, queried: queried.size };
            return;
          }
          if ((exhausted || (explore && replied)) && (pendingFetches === 0 || queried.size >= maxQueries)) {
            if (explore) yield { type: 'explored', learned, queried: queried.size };
            else yield { type: 'notFound', reason: queried.size === 0 ? 'noFloodfills' : 'exhausted', queried: queried.size };
            return;
          }
        }
        const ev = await q.next();
        switch (ev.t) {
          case 'abort':
            throw abortError(signal);
          case 'deadline':
            if (explore) yield { type: 'explored', learned, queried: queried.size };
            else yield { type: 'notFound', reason: 'timeout', queried: queried.size };
            return;
          case 'peerTimeout': {
            const h = hashKey(ev.peer);
            if (inFlight.has(h)) {
              inFlight.delete(h);
              yield { type: 'timeout', peer: ev.peer };
            }
            break;
          }
          case 'store': {
            if (!explore) {
              const found = this.#local(key, kind, queried.size);
              if (found) {
                yield found;
                return;
              }
            }
            // An invalid answer: that floodfill is done.
            if (ev.from) this.#settle(inFlight, ev.from, ctx);
            break;
          }
          case 'reply': {
            this.#settle(inFlight, ev.from, ctx);
            replied = true;
            yield { type: 'reply', peer: ev.from, peers: ev.peers };
            if (!fetchPeers) break;
            const now = ctx.timers.now();
            for (const p of ev.peers) {
              if (fetched.size >= MAX_FETCHES_PER_LOOKUP) break;
              if (equalBytes(p, ctx.ourHash) || fetched.has(p)) continue;
              const known = ctx.getRouter(p);
              if (known && now <= known.published + STALE_ROUTER_INFO) continue;
              if (this.#active >= this.#maxActive) break;
              startFetch(p, ev.from);
            }
            break;
          }
          case 'fetched':
            pendingFetches--;
            if (ev.ok) {
              learned++;
              yield { type: 'learned', hash: ev.hash };
            }
            break;
        }
      }
    } finally {
      signal?.removeEventListener('abort', onAbort);
      for (const h of timers) ctx.timers.clearTimeout(h);
      fetchAbort.abort();
      set.delete(waiter);
      if (set.size === 0) this.#waiters.delete(k);
      this.#active--;
    }
  }

  #settle(inFlight: Map<string, TimerHandle>, peer: Uint8Array, ctx: LookupContext): void {
    const h = hashKey(peer);
    const t = inFlight.get(h);
    if (t !== undefined) {
      ctx.timers.clearTimeout(t);
      inFlight.delete(h);
    }
  }

  /** Run a lookup to its end and return the final event. */
  async find(key: Uint8Array, kind: LookupKind, o: LookupOptions = {}): Promise<LookupResult> {
    for await (const ev of this.lookup(key, kind, o)) {
      if (ev.type === 'found' || ev.type === 'notFound' || ev.type === 'explored') return ev;
    }
    // lookup() always ends with a final event; reaching here is a bug.
    throw new Error('lookup ended without a result');
  }

  /** One exploration of a random key (i2pd Explore: one floodfill per key). */
  explore(o: LookupOptions = {}): Promise<LookupResult> {
    const key = this.#ctx.random.bytes(32);
    return this.find(key, 'explore', { maxQueries: 2, concurrency: 1, ...o });
  }
}
