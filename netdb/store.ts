/**
 * The in-memory netDb: RouterInfos and LeaseSet2s, with i2pd's acceptance and expiry rules and hard bounds.
 *
 * Spec: ../shared/specs/docs/how-network-database.html, "RouterInfo", "RouterInfo Expiration",
 * "LeaseSet Expiration", "RouterInfo Persistent Storage".
 * i2pd 2.45.1 (ground truth): NetDb.cpp AddRouterInfo, AddLeaseSet2, SaveUpdated (expiry), ManageLeaseSets,
 * LoadRouterInfo; NetDb.hpp NETDB_* constants; RouterInfo.cpp IsNewer, IsEligibleFloodfill; LeaseSet.h
 * LEASE_ENDDATE_THRESHOLD.
 *
 * Accepting a RouterInfo (i2pd AddRouterInfo, plus checks i2pd does elsewhere or not at all):
 *   - not our own hash; signature valid (i2pd verifies in the RouterInfo constructor); our netId (i2pd
 *     checks netId in RouterInfo::ReadFromBuffer and marks others unreachable);
 *   - known: replaced only when strictly newer by `published` (i2pd IsNewer), else "older";
 *   - new: needs an NTCP2 or SSU2 address (i2pd HasValidAddresses), not published more than 2 minutes in
 *     the future (NETDB_EXPIRATION_TIMEOUT_THRESHOLD); from the folder also not older than 180 days
 *     (NETDB_MAX_OFFLINE_EXPIRATION_TIMEOUT).
 * A router counts as a floodfill when i2pd would put it in m_Floodfills: caps 'f' and IsEligibleFloodfill
 * (published IPv4 NTCP2/SSU2 address, router.version >= 0.9.38, not DSA_SHA1).
 *
 * Expiry of RouterInfos (i2pd SaveUpdated, run every minute): none while we know <= 90 routers
 * (NETDB_MIN_ROUTERS) or have been up <= 10 minutes; during the first hour the timeout is 27 hours; then
 * 1 hour when we are a floodfill, else 90 min + (27 h - 90 min) * 90 / total. Introducer-only routers
 * (not 'R', SSU2 v4) expire 65 minutes after publication. RouterInfos published > 2 minutes in the future
 * are dropped. Expiry stops once fewer than 90 would remain.
 * Expiry of LeaseSet2s (ManageLeaseSets): 51 s (LEASE_ENDDATE_THRESHOLD) before `published + expires`.
 * LeaseSet2 acceptance (AddLeaseSet2): valid signature, key = destination hash; replaces a stored one only
 * when published later; must be public (no unpublished flag), not expired and not published > 2 minutes in
 * the future — an unpublished/expired/future one that is newer REMOVES the stored entry (as i2pd).
 *
 * Bounds (clove; i2pd has none): `maxRouters` (default 20 000) — a new RouterInfo when full evicts the
 * stored non-floodfill with the oldest `published` if the new one is newer, else it is refused;
 * `maxLeaseSets` (default 10 000) — evicts the lease set expiring first.
 * Persistence: new/updated RouterInfos are marked dirty and written by `flush()` (i2pd writes every minute
 * in SaveUpdated); expired or evicted ones are removed through the injected `remove`.
 */
import { isIPv4 } from 'node:net';
import { equalBytes } from '../data/bytes.js';
import { toBase64 } from '../data/base64.js';
import { ParseError } from '../data/errors.js';
import {
  addressOption,
  isFloodfill,
  parseRouterInfo,
  routerInfoCaps,
  routerInfoNetId,
  routerInfoVersion,
  verifyRouterInfo,
  type RouterInfo,
} from '../data/router-info.js';
import {
  LS2_FLAG_UNPUBLISHED,
  leaseSet2ExpiresAt,
  parseLeaseSet2,
  verifyLeaseSet2,
  type LeaseSet2,
} from '../data/lease-set2.js';
import { SigType } from '../data/key-types.js';
import { hashKey } from './kademlia.js';

// i2pd NetDb.hpp
export const NETDB_MIN_ROUTERS = 90;
export const NETDB_MIN_FLOODFILLS = 5;
export const NETDB_FLOODFILL_EXPIRATION_TIMEOUT = 60 * 60 * 1000;
export const NETDB_INTRODUCEE_EXPIRATION_TIMEOUT = 65 * 60 * 1000;
export const NETDB_MIN_EXPIRATION_TIMEOUT = 90 * 60 * 1000;
export const NETDB_MAX_EXPIRATION_TIMEOUT = 27 * 60 * 60 * 1000;
export const NETDB_MAX_OFFLINE_EXPIRATION_TIMEOUT = 180 * 24 * 60 * 60 * 1000;
export const NETDB_EXPIRATION_TIMEOUT_THRESHOLD = 2 * 60 * 1000;
/** i2pd LeaseSet.h LEASE_ENDDATE_THRESHOLD. */
export const LEASE_ENDDATE_THRESHOLD = 51_000;
/** i2pd NETDB_MIN_FLOODFILL_VERSION = 0.9.38. */
export const NETDB_MIN_FLOODFILL_VERSION = versionNumber('0.9.38')!;

export const DEFAULT_MAX_ROUTERS = 20_000;
export const DEFAULT_MAX_LEASE_SETS = 10_000;

/** i2pd MAKE_VERSION_NUMBER(a,b,c) = (a*100+b)*100+c; undefined when not a.b.c digits. */
export function versionNumber(v: string | undefined): number | undefined {
  const m = v === undefined ? null : /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(v);
  if (!m) return undefined;
  return (Number(m[1]) * 100 + Number(m[2])) * 100 + Number(m[3]);
}

/** An NTCP2 or SSU2 address (i2pd HasValidAddresses: some supported transport). */
export function hasValidAddresses(ri: RouterInfo): boolean {
  return ri.addresses.some((a) => a.transportStyle === 'NTCP2' || a.transportStyle === 'SSU2');
}

/** Published IPv4 NTCP2/SSU2 address (i2pd IsReachableBy(eNTCP2V4 | eSSU2V4) for a floodfill). */
export function isReachableV4(ri: RouterInfo): boolean {
  return ri.addresses.some((a) => {
    if (a.transportStyle !== 'NTCP2' && a.transportStyle !== 'SSU2') return false;
    const host = addressOption(a, 'host');
    return host !== undefined && isIPv4(host) && host !== '0.0.0.0' && addressOption(a, 'port') !== undefined;
  });
}

/** i2pd IsFloodfill && IsEligibleFloodfill. */
export function isEligibleFloodfill(ri: RouterInfo): boolean {
  if (!isFloodfill(ri)) return false;
  const v = versionNumber(routerInfoVersion(ri));
  return isReachableV4(ri) && v !== undefined && v >= NETDB_MIN_FLOODFILL_VERSION && ri.identity.sigType !== SigType.DSA_SHA1;
}

/** Reachable only through SSU2 introducers (i2pd: !IsReachable() && SSU2 v4 compatible). */
function isIntroducee(ri: RouterInfo): boolean {
  if (routerInfoCaps(ri).includes('R')) return false;
  return ri.addresses.some((a) => a.transportStyle === 'SSU2' && (addressOption(a, 'ih0') !== undefined || isIPv4(addressOption(a, 'host') ?? '')));
}

export type AddStatus = 'added' | 'updated' | 'older' | 'rejected';
export interface AddResult {
  status: AddStatus;
  /** Why, for 'rejected' (stable short codes: OWN_HASH, BAD_SIGNATURE, NET_ID, NO_ADDRESSES, FUTURE, TOO_OLD, FULL, PARSE, KEY_MISMATCH, UNPUBLISHED, EXPIRED, REMOVED). */
  reason?: string;
}

export interface RouterInfoPersistence {
  save(ri: RouterInfo): Promise<void> | void;
  /** Remove by the I2P base64 of the router hash (folder.ts removeRouterInfo takes this). */
  remove(hashB64: string): Promise<void> | void;
}

export interface NetDbStoreOptions {
  ourHash: Uint8Array;
  netId: number;
  /** ms since the epoch. */
  now: () => number;
  /** Whether we are a floodfill now (shortens RouterInfo expiry to 1 hour as i2pd). */
  isFloodfill?: () => boolean;
  maxRouters?: number;
  maxLeaseSets?: number;
  persistence?: RouterInfoPersistence;
  /** Reports persistence failures (never throws into the netDb). */
  onPersistError?: (e: unknown, op: 'save' | 'remove', hashB64: string) => void;
}

interface RouterEntry {
  ri: RouterInfo;
  floodfill: boolean;
}

export interface NetDbCounts {
  routers: number;
  floodfills: number;
  leaseSets: number;
}

export class NetDbStore {
  readonly #o: NetDbStoreOptions;
  readonly #routers = new Map<string, RouterEntry>();
  readonly #floodfills = new Map<string, RouterInfo>();
  readonly #leaseSets = new Map<string, LeaseSet2>();
  /** LeaseSets we only got as lookup replies (never stored to us): not served to others (spec "Segmentation"). */
  readonly #replyOnly = new Set<string>();
  readonly #dirty = new Set<string>();
  readonly maxRouters: number;
  readonly maxLeaseSets: number;
  /** When the store was created: i2pd's uptime for expiry decisions. */
  readonly startedAt: number;

  constructor(o: NetDbStoreOptions) {
    if (o.ourHash.length !== 32) throw new RangeError('ourHash must be 32 bytes');
    this.#o = o;
    this.maxRouters = o.maxRouters ?? DEFAULT_MAX_ROUTERS;
    this.maxLeaseSets = o.maxLeaseSets ?? DEFAULT_MAX_LEASE_SETS;
    this.startedAt = o.now();
  }

  // ---- RouterInfos ----

  /** Parse, verify and add RouterInfo bytes (untrusted input): never throws on bad bytes. */
  addRouterInfoBytes(bytes: Uint8Array, expectedHash?: Uint8Array): AddResult & { ri?: RouterInfo } {
    let ri: RouterInfo;
    try {
      ri = parseRouterInfo(bytes);
    } catch (e) {
      if (e instanceof ParseError) return { status: 'rejected', reason: 'PARSE' };
      throw e;
    }
    if (expectedHash && !equalBytes(expectedHash, ri.identity.hash)) return { status: 'rejected', reason: 'KEY_MISMATCH' };
    return { ...this.addRouterInfo(ri), ri };
  }

  /**
   * Add a parsed RouterInfo. `verified`: signature already checked (folder.ts does); `persisted`: it came
   * from the folder, so it is not written back and the 180-day age limit applies.
   */
  addRouterInfo(ri: RouterInfo, opts: { verified?: boolean; persisted?: boolean } = {}): AddResult {
    const now = this.#o.now();
    const hash = ri.identity.hash;
    if (equalBytes(hash, this.#o.ourHash)) return { status: 'rejected', reason: 'OWN_HASH' };
    if (routerInfoNetId(ri) !== this.#o.netId) return { status: 'rejected', reason: 'NET_ID' };
    const k = hashKey(hash);
    const existing = this.#routers.get(k);
    if (existing && ri.published <= existing.ri.published) return { status: 'older' };
    if (!existing) {
      if (!hasValidAddresses(ri)) return { status: 'rejected', reason: 'NO_ADDRESSES' };
      if (ri.published > now + NETDB_EXPIRATION_TIMEOUT_THRESHOLD) return { status: 'rejected', reason: 'FUTURE' };
      if (opts.persisted && now > ri.published + NETDB_MAX_OFFLINE_EXPIRATION_TIMEOUT) return { status: 'rejected', reason: 'TOO_OLD' };
    }
    if (!opts.verified && !verifyRouterInfo(ri)) return { status: 'rejected', reason: 'BAD_SIGNATURE' };
    if (!existing && this.#routers.size >= this.maxRouters && !this.#evictOldestRouter(ri.published)) {
      return { status: 'rejected', reason: 'FULL' };
    }
    const floodfill = isEligibleFloodfill(ri);
    this.#routers.set(k, { ri, floodfill });
    if (floodfill) this.#floodfills.set(k, ri);
    else this.#floodfills.delete(k);
    if (!opts.persisted) this.#dirty.add(k);
    return { status: existing ? 'updated' : 'added' };
  }

  #evictOldestRouter(newerThan: number): boolean {
    let oldest: RouterEntry | undefined;
    for (const e of this.#routers.values()) {
      if (e.floodfill) continue;
      if (!oldest || e.ri.published < oldest.ri.published) oldest = e;
    }
    if (!oldest || oldest.ri.published >= newerThan) return false;
    this.removeRouter(oldest.ri.identity.hash);
    return true;
  }

  getRouter(hash: Uint8Array): RouterInfo | undefined {
    return this.#routers.get(hashKey(hash))?.ri;
  }

  hasRouter(hash: Uint8Array): boolean {
    return this.#routers.has(hashKey(hash));
  }

  isFloodfill(hash: Uint8Array): boolean {
    return this.#floodfills.has(hashKey(hash));
  }

  /** Remove a router (and its file). */
  removeRouter(hash: Uint8Array): boolean {
    const k = hashKey(hash);
    if (!this.#routers.delete(k)) return false;
    this.#floodfills.delete(k);
    this.#dirty.delete(k);
    this.#removeFile(hash);
    return true;
  }

  routers(): IterableIterator<RouterInfo> {
    return (function* (m) {
      for (const e of m.values()) yield e.ri;
    })(this.#routers);
  }

  floodfills(): IterableIterator<RouterInfo> {
    return this.#floodfills.values();
  }

  routerHashes(): IterableIterator<Uint8Array> {
    return (function* (m) {
      for (const e of m.values()) yield e.ri.identity.hash;
    })(this.#routers);
  }

  floodfillHashes(): IterableIterator<Uint8Array> {
    return (function* (m) {
      for (const ri of m.values()) yield ri.identity.hash;
    })(this.#floodfills);
  }

  // ---- LeaseSet2 ----

  /** Parse, verify and add LeaseSet2 bytes stored under `key` (untrusted input). */
  addLeaseSet2Bytes(key: Uint8Array, bytes: Uint8Array, opts: { asReply?: boolean } = {}): AddResult & { ls?: LeaseSet2 } {
    let ls: LeaseSet2;
    try {
      ls = parseLeaseSet2(bytes);
    } catch (e) {
      if (e instanceof ParseError) return { status: 'rejected', reason: 'PARSE' };
      throw e;
    }
    if (!equalBytes(key, ls.destination.hash)) return { status: 'rejected', reason: 'KEY_MISMATCH' };
    return { ...this.addLeaseSet2(ls, opts), ls };
  }

  /**
   * Add a LeaseSet2. `asReply`: it answered one of our lookups rather than being stored to us; such
   * entries are not served to other routers (isServableLeaseSet) until someone stores them to us.
   */
  addLeaseSet2(ls: LeaseSet2, opts: { verified?: boolean; asReply?: boolean } = {}): AddResult {
    const now = this.#o.now();
    if (!opts.verified && !verifyLeaseSet2(ls, { now })) return { status: 'rejected', reason: 'BAD_SIGNATURE' };
    const k = hashKey(ls.destination.hash);
    const existing = this.#leaseSets.get(k);
    if (existing && ls.published <= existing.published) {
      if (!opts.asReply) this.#replyOnly.delete(k);
      return { status: 'older' };
    }
    let reason: string | undefined;
    if (ls.flags & LS2_FLAG_UNPUBLISHED) reason = 'UNPUBLISHED';
    else if (now > leaseSet2ExpiresAt(ls)) reason = 'EXPIRED';
    else if (ls.published * 1000 > now + NETDB_EXPIRATION_TIMEOUT_THRESHOLD) reason = 'FUTURE';
    if (reason) {
      this.#deleteLeaseSet(k); // i2pd erases the stored one too
      return { status: 'rejected', reason };
    }
    if (!existing && this.#leaseSets.size >= this.maxLeaseSets) this.#evictFirstExpiringLeaseSet();
    this.#leaseSets.set(k, ls);
    if (opts.asReply && (!existing || this.#replyOnly.has(k))) this.#replyOnly.add(k);
    else this.#replyOnly.delete(k);
    return { status: existing ? 'updated' : 'added' };
  }

  #evictFirstExpiringLeaseSet(): void {
    let first: [string, number] | undefined;
    for (const [k, ls] of this.#leaseSets) {
      const at = leaseSet2ExpiresAt(ls);
      if (!first || at < first[1]) first = [k, at];
    }
    if (first) this.#deleteLeaseSet(first[0]);
  }

  #deleteLeaseSet(k: string): boolean {
    this.#replyOnly.delete(k);
    return this.#leaseSets.delete(k);
  }

  /** Whether the LeaseSet may be handed to other routers (it was stored to us, not only a lookup reply). */
  isServableLeaseSet(hash: Uint8Array): boolean {
    const k = hashKey(hash);
    return this.#leaseSets.has(k) && !this.#replyOnly.has(k);
  }

  getLeaseSet(hash: Uint8Array): LeaseSet2 | undefined {
    return this.#leaseSets.get(hashKey(hash));
  }

  removeLeaseSet(hash: Uint8Array): boolean {
    return this.#deleteLeaseSet(hashKey(hash));
  }

  leaseSets(): IterableIterator<LeaseSet2> {
    return this.#leaseSets.values();
  }

  counts(): NetDbCounts {
    return { routers: this.#routers.size, floodfills: this.#floodfills.size, leaseSets: this.#leaseSets.size };
  }

  // ---- expiry and persistence ----

  /** The RouterInfo expiry timeout now, or undefined when routers do not expire yet (i2pd SaveUpdated). */
  routerExpirationTimeout(now = this.#o.now()): number | undefined {
    const total = this.#routers.size;
    const uptime = now - this.startedAt;
    if (!(total > NETDB_MIN_ROUTERS && uptime > 600_000)) return undefined;
    if (uptime <= 3_600_000) return NETDB_MAX_EXPIRATION_TIMEOUT;
    if (this.#o.isFloodfill?.()) return NETDB_FLOODFILL_EXPIRATION_TIMEOUT;
    return NETDB_MIN_EXPIRATION_TIMEOUT + Math.floor(((NETDB_MAX_EXPIRATION_TIMEOUT - NETDB_MIN_EXPIRATION_TIMEOUT) * NETDB_MIN_ROUTERS) / total);
  }

  /** Drop expired RouterInfos and LeaseSets (i2pd SaveUpdated + ManageLeaseSets). Returns what went. */
  expire(now = this.#o.now()): { routers: number; leaseSets: number } {
    const total = this.#routers.size;
    const timeout = this.routerExpirationTimeout(now);
    let checkForExpiration = timeout !== undefined;
    const gone: Uint8Array[] = [];
    for (const { ri } of this.#routers.values()) {
      let drop = false;
      if (isIntroducee(ri)) drop = now > ri.published + NETDB_INTRODUCEE_EXPIRATION_TIMEOUT;
      else if (checkForExpiration && now > ri.published + timeout!) drop = true;
      else if (now + NETDB_EXPIRATION_TIMEOUT_THRESHOLD < ri.published) drop = true;
      if (drop) {
        gone.push(ri.identity.hash);
        if (total - gone.length < NETDB_MIN_ROUTERS) checkForExpiration = false;
      }
    }
    for (const h of gone) this.removeRouter(h);
    let leaseSets = 0;
    for (const [k, ls] of this.#leaseSets) {
      if (now > leaseSet2ExpiresAt(ls) - LEASE_ENDDATE_THRESHOLD) {
        this.#deleteLeaseSet(k);
        leaseSets++;
      }
    }
    return { routers: gone.length, leaseSets };
  }

  /** Number of RouterInfos waiting to be written. */
  get dirtyCount(): number {
    return this.#dirty.size;
  }

  /** Write new/updated RouterInfos through the persistence handle (i2pd SaveUpdated). Never rejects. */
  async flush(): Promise<number> {
    const p = this.#o.persistence;
    const keys = [...this.#dirty];
    this.#dirty.clear();
    if (!p) return 0;
    let n = 0;
    for (const k of keys) {
      const e = this.#routers.get(k);
      if (!e) continue;
      try {
        await p.save(e.ri);
        n++;
      } catch (err) {
        this.#o.onPersistError?.(err, 'save', toBase64(e.ri.identity.hash));
      }
    }
    return n;
  }

  #removeFile(hash: Uint8Array): void {
    const p = this.#o.persistence;
    if (!p) return;
    const b64 = toBase64(hash);
    try {
      Promise.resolve(p.remove(b64)).catch((err: unknown) => this.#o.onPersistError?.(err, 'remove', b64));
    } catch (err) {
      this.#o.onPersistError?.(err, 'remove', b64);
    }
  }
}
