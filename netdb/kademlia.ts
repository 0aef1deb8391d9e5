/**
 * Kademlia metric of the netDb: the daily routing key and XOR distance.
 *
 * Spec: ../shared/specs/docs/how-network-database.html, "Kademlia Closeness Metric":
 *   routing key = SHA256(32-byte key || UTC date as the 8 ASCII characters yyyyMMdd); it changes at midnight
 *   UTC. Only the searched key is transformed, never the router hashes it is compared with.
 * i2pd 2.45.1: Identity.cpp CreateRoutingKey (SHA256 over 40 bytes: ident + GetCurrentDate), Timestamp.cpp
 * GetDateString (gmtime of the current second: the key rolls over at 00:00:00 UTC exactly, using the
 * router's own — possibly offset-corrected — clock), Identity.h XORMetric (memcmp order of key ^ hash).
 *
 * Hashes are compared as big-endian 256-bit numbers: a < b ⇔ memcmp(a, b) < 0.
 */
import { sha256 } from '../crypto/hash.js';
import { toHex } from '../data/bytes.js';

export const HASH_SIZE = 32;

/** "yyyyMMdd" of the UTC day containing `ms` (ms since the epoch). */
export function utcDateString(ms: number): string {
  const d = new Date(Math.floor(ms / 1000) * 1000);
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth() + 1;
  const day = d.getUTCDate();
  return `${String(y).padStart(4, '0')}${String(m).padStart(2, '0')}${String(day).padStart(2, '0')}`;
}

const ascii = new TextEncoder();

/** SHA256(key || yyyyMMdd) for the UTC day of `nowMs`. */
export function routingKey(key: Uint8Array, nowMs: number): Uint8Array {
  if (key.length !== HASH_SIZE) throw new RangeError('routing key input must be a 32-byte hash');
  return sha256(key, ascii.encode(utcDateString(nowMs)));
}

/** a XOR b (32 bytes each). */
export function xorDistance(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length !== HASH_SIZE || b.length !== HASH_SIZE) throw new RangeError('hashes must be 32 bytes');
  const out = new Uint8Array(HASH_SIZE);
  for (let i = 0; i < HASH_SIZE; i++) out[i] = a[i]! ^ b[i]!;
  return out;
}

/** memcmp order of two equal-length byte strings: negative, 0 or positive. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = a[i]! - b[i]!;
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

/**
 * Which of a, b is closer to `target` (a routing key): negative when a is closer, positive when b is, 0 when
 * a = b. Compares (a ^ target) with (b ^ target) without allocating.
 */
export function compareDistance(target: Uint8Array, a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < HASH_SIZE; i++) {
    const d = (a[i]! ^ target[i]!) - (b[i]! ^ target[i]!);
    if (d !== 0) return d;
  }
  return 0;
}

/** Map key for a hash (hex). */
export function hashKey(h: Uint8Array): string {
  return toHex(h);
}

/** A set of hashes (by value). */
export class HashSet {
  readonly #m = new Map<string, Uint8Array>();
  constructor(items: Iterable<Uint8Array> = []) {
    for (const h of items) this.add(h);
  }
  add(h: Uint8Array): this {
    this.#m.set(hashKey(h), h);
    return this;
  }
  has(h: Uint8Array): boolean {
    return this.#m.has(hashKey(h));
  }
  delete(h: Uint8Array): boolean {
    return this.#m.delete(hashKey(h));
  }
  clear(): void {
    this.#m.clear();
  }
  get size(): number {
    return this.#m.size;
  }
  values(): IterableIterator<Uint8Array> {
    return this.#m.values();
  }
  [Symbol.iterator](): IterableIterator<Uint8Array> {
    return this.#m.values();
  }
}

/** Anything with a `has` test for exclusion. */
export interface HashFilter {
  has(h: Uint8Array): boolean;
}

/**
 * The `n` candidates closest to `target` (a routing key), closest first, skipping those in `exclude` and
 * duplicates. O(N·n) partial selection: no full sort of large tables. `get` maps a candidate to its hash.
 */
export function closestBy<T>(
  target: Uint8Array,
  candidates: Iterable<T>,
  n: number,
  get: (c: T) => Uint8Array,
  exclude?: HashFilter,
): T[] {
  const out: T[] = [];
  if (n <= 0) return out;
  for (const c of candidates) {
    const h = get(c);
    if (exclude?.has(h)) continue;
    // position among the kept ones
    let i = out.length;
    while (i > 0) {
      const d = compareDistance(target, h, get(out[i - 1]!));
      if (d === 0) {
        i = -1; // duplicate
        break;
      }
      if (d > 0) break;
      i--;
    }
    if (i < 0 || i >= n) continue;
    out.splice(i, 0, c);
    if (out.length > n) out.pop();
  }
  return out;
}

/** The `n` hashes closest to `target` (a routing key), closest first, without those in `exclude`. */
export function closest(target: Uint8Array, candidates: Iterable<Uint8Array>, n: number, exclude?: HashFilter): Uint8Array[] {
  return closestBy(target, candidates, n, (h) => h, exclude);
}
