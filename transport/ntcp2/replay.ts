/**
 * Bounded replay cache for NTCP2 SessionRequest ephemeral keys.
 * ../shared/specs/spec/ntcp2.rst "1) SessionRequest" notes: Bob keeps previously used handshake values
 * (the 32-byte X) for at least 2*D (D = max clock skew, 60 s) and rejects duplicates.
 * (i2pd 2.45.1 has no such cache; this is a spec requirement it skips.)
 *
 * Entries live `ttlMs` (default 5 minutes, > 2*D); at most `maxEntries` are kept — when full, the oldest
 * entry is evicted (an X older than the skew window is refused by the timestamp check anyway, as long as
 * the cache holds at least 2*D worth of connections; size it for the expected connection rate).
 */
import { toHex } from '../../data/bytes.js';

export interface ReplayCache {
  /** Record `key` seen at `nowMs`; false if it was already present (a replay). */
  checkAndAdd(key: Uint8Array, nowMs: number): boolean;
}

export class Ntcp2ReplayCache implements ReplayCache {
  private readonly entries = new Map<string, number>(); // key hex -> expiry ms, insertion-ordered
  readonly maxEntries: number;
  readonly ttlMs: number;

  constructor(opts: { maxEntries?: number; ttlMs?: number } = {}) {
    this.maxEntries = opts.maxEntries ?? 65536;
    this.ttlMs = opts.ttlMs ?? 5 * 60_000;
    if (!(this.maxEntries >= 1)) throw new RangeError('maxEntries must be >= 1');
  }

  get size(): number {
    return this.entries.size;
  }

  checkAndAdd(key: Uint8Array, nowMs: number): boolean {
    this.expire(nowMs);
    const k = toHex(key);
    const exp = this.entries.get(k);
    if (exp !== undefined && exp > nowMs) return false;
    if (exp !== undefined) this.entries.delete(k);
    while (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
    this.entries.set(k, nowMs + this.ttlMs);
    return true;
  }

  /** Drop expired entries (insertion order == expiry order, as ttl is fixed). */
  private expire(nowMs: number): void {
    for (const [k, exp] of this.entries) {
      if (exp > nowMs) break;
      this.entries.delete(k);
    }
  }
}
