/**
 * Publishing our RouterInfo to the floodfill closest to our routing key.
 *
 * Spec: ../shared/specs/docs/how-network-database.html, "RouterInfo Storage to Floodfills" (a direct
 * DatabaseStore with a nonzero reply token; the floodfill answers with a DeliveryStatus whose message id is
 * the token) and "Floodfill Selection" (the closest floodfill to the current routing key).
 * i2pd 2.45.1: NetDb.cpp Publish / HandleDeliveryStatusMsg and the publish part of NetDb::Run:
 * NETDB_PUBLISH_INTERVAL 40 min, NETDB_PUBLISH_CONFIRMATION_TIMEOUT 5 s (then the next closest floodfill),
 * NETDB_MAX_PUBLISH_EXCLUDED_FLOODFILLS 15 (then the excluded list is cleared and it starts over);
 * I2NPProtocol.cpp CreateDatabaseStoreMsg (reply tunnel 0 and our hash as the gateway: direct reply).
 *
 * One `publish()` call is one i2pd publishing round with a bound on attempts (default 30, i.e. two passes
 * over 15 floodfills); the NetDb's maintenance calls it on a change of our RouterInfo and every 40 minutes.
 * A confirmed store clears the excluded list, as i2pd.
 */
import { equalBytes } from '../data/bytes.js';
import type { Random } from '../crypto/random.js';
import type { RouterInfo } from '../data/router-info.js';
import { I2NPType, type I2NPMessage } from '../i2np/header.js';
import { DatabaseStoreType, serializeDatabaseStore } from '../i2np/database-store.js';
import type { DeliveryStatus } from '../i2np/delivery-status.js';
import { HashSet, closest, routingKey } from './kademlia.js';
import { I2NP_MESSAGE_EXPIRATION } from './lookup.js';
import { abortError, sleep, type Timers } from './timers.js';

export const NETDB_PUBLISH_INTERVAL = 40 * 60 * 1000;
export const NETDB_PUBLISH_CONFIRMATION_TIMEOUT = 5_000;
export const NETDB_MAX_PUBLISH_EXCLUDED_FLOODFILLS = 15;
export const DEFAULT_MAX_PUBLISH_ATTEMPTS = 2 * NETDB_MAX_PUBLISH_EXCLUDED_FLOODFILLS;

export interface PublishContext {
  ourHash: Uint8Array;
  timers: Timers;
  random: Random;
  send(peer: Uint8Array, msg: I2NPMessage): boolean;
  newMsgId(): number;
  floodfillHashes(): Iterable<Uint8Array>;
}

export type PublishResult =
  | { confirmed: true; floodfill: Uint8Array; attempts: number }
  | { confirmed: false; reason: 'noFloodfills' | 'exhausted'; attempts: number };

/** A DatabaseStore of `ri` asking for a direct DeliveryStatus with `token` (i2pd CreateDatabaseStoreMsg). */
export function routerInfoStoreMessage(ri: RouterInfo, token: number, msgId: number, now: number): I2NPMessage {
  const payload = serializeDatabaseStore({
    key: ri.identity.hash,
    storeType: DatabaseStoreType.RouterInfo,
    reply: token ? { token, tunnelId: 0, gateway: ri.identity.hash } : null,
    data: ri.raw,
  });
  return { type: I2NPType.DatabaseStore, msgId, expiration: now + I2NP_MESSAGE_EXPIRATION, payload };
}

export class Publisher {
  readonly #ctx: PublishContext;
  readonly #excluded = new HashSet();
  /** token → confirmation callback; at most one entry per running publish() (bounded by callers). */
  readonly #pending = new Map<number, (from: Uint8Array | undefined) => void>();
  #lastConfirmed: number | undefined;

  constructor(ctx: PublishContext) {
    this.#ctx = ctx;
  }

  /** When our RouterInfo was last confirmed stored (ms), or undefined. */
  get lastConfirmed(): number | undefined {
    return this.#lastConfirmed;
  }

  /** Whether a publish is waiting for a confirmation. */
  get busy(): boolean {
    return this.#pending.size > 0;
  }

  /** A DeliveryStatus arrived; true when it confirmed a publish. */
  handleDeliveryStatus(ds: DeliveryStatus, from?: Uint8Array): boolean {
    const cb = this.#pending.get(ds.msgId);
    if (!cb) return false;
    this.#pending.delete(ds.msgId);
    cb(from);
    return true;
  }

  #token(): number {
    for (;;) {
      const t = this.#ctx.random.int(1, 0x1_0000_0000);
      if (!this.#pending.has(t)) return t;
    }
  }

  /** Store `ri` at the closest floodfill that confirms within 5 s, trying the next ones otherwise. */
  async publish(ri: RouterInfo, o: { signal?: AbortSignal; maxAttempts?: number; confirmationTimeout?: number } = {}): Promise<PublishResult> {
    const ctx = this.#ctx;
    const signal = o.signal;
    const maxAttempts = o.maxAttempts ?? DEFAULT_MAX_PUBLISH_ATTEMPTS;
    const wait = o.confirmationTimeout ?? NETDB_PUBLISH_CONFIRMATION_TIMEOUT;
    let attempts = 0;
    let restarted = false;
    while (attempts < maxAttempts) {
      if (signal?.aborted) throw abortError(signal);
      if (this.#excluded.size > NETDB_MAX_PUBLISH_EXCLUDED_FLOODFILLS) this.#excluded.clear();
      const rk = routingKey(ctx.ourHash, ctx.timers.now());
      const notThese = { has: (h: Uint8Array) => this.#excluded.has(h) || equalBytes(h, ctx.ourHash) };
      const ff = closest(rk, ctx.floodfillHashes(), 1, notThese)[0];
      if (!ff) {
        if (this.#excluded.size === 0) return { confirmed: false, reason: 'noFloodfills', attempts };
        // Every known floodfill was tried: start over (i2pd clears after 15), pausing once per pass.
        this.#excluded.clear();
        if (restarted) await sleep(ctx.timers, wait, signal);
        restarted = true;
        continue;
      }
      attempts++;
      this.#excluded.add(ff);
      const token = this.#token();
      const confirmed = this.#waitFor(token, wait, signal);
      if (!ctx.send(ff, routerInfoStoreMessage(ri, token, ctx.newMsgId(), ctx.timers.now()))) {
        this.#pending.delete(token);
        confirmed.cancel();
        continue;
      }
      if (await confirmed.promise) {
        this.#excluded.clear();
        this.#lastConfirmed = ctx.timers.now();
        return { confirmed: true, floodfill: ff, attempts };
      }
    }
    return { confirmed: false, reason: 'exhausted', attempts };
  }

  /** Resolves true on the DeliveryStatus, false after `ms`; rejects with AbortError on `signal`. */
  #waitFor(token: number, ms: number, signal?: AbortSignal): { promise: Promise<boolean>; cancel(): void } {
    const ctx = this.#ctx;
    let cancel = (): void => {};
    const promise = new Promise<boolean>((resolve, reject) => {
      const done = (): void => {
        ctx.timers.clearTimeout(h);
        signal?.removeEventListener('abort', onAbort);
        this.#pending.delete(token);
      };
      const onAbort = (): void => {
        done();
        reject(abortError(signal));
      };
      const h = ctx.timers.setTimeout(() => {
        done();
        resolve(false);
      }, ms);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#pending.set(token, () => {
        done();
        resolve(true);
      });
      cancel = () => {
        done();
        resolve(false);
      };
    });
    return { promise, cancel };
  }
}
