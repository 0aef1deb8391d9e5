/**
 * Peer selection for our own tunnels and per-peer build profiles.
 *
 * Spec: ../shared/specs/docs/how-peer-selection.html ("Peer Profiling", "Peer Selection"),
 * ../shared/specs/proposals/162-congestion-caps.rst (caps D / E / G), ../shared/specs/spec/common-structures.rst
 * (RouterInfo caps). i2pd 2.45.1: libi2pd/NetDb.cpp GetRandomRouter / GetHighBandwidthRandomRouter filters,
 * TunnelPool.cpp StandardSelectPeers / SelectNextHop, Profiling.cpp (TunnelBuildResponse, IsBad:
 * "always declining" = no agreement and >= 5 declines, "low participation" = 4 * agreed < declined),
 * RouterInfo.cpp ExtractCaps (M N O P X = high bandwidth), NetDb.hpp NETDB_MIN_SHORT_TUNNEL_BUILD_VERSION 0.9.51.
 *
 * A hop is a candidate when: not us, X25519 (ECIES) identity, a usable published NTCP2 address (host, port,
 * static key `s`, v=2), caps without U (unreachable), H (hidden) or G (rejecting all tunnels, proposal 162).
 * Selection is weighted random without replacement — so no router appears twice in one tunnel (i2pd 2.45.1
 * only avoids the previous hop) — with weights: high bandwidth ×3, D ×0.5, E ×0.25 (published within the
 * last 15 minutes, else as D), and profiles that i2pd calls "bad" are only used when nothing else is left.
 * With `enforceSubnets` no two hops of a tunnel share an IPv4 /16 (i2pd `reservedrange`, Java's
 * restriction), and a router with an address in an already used /16 is skipped.
 */
import { addressOption, routerInfoCaps, routerInfoVersion, type RouterInfo } from '../data/router-info.js';
import { toHex, equalBytes } from '../data/bytes.js';
import { CryptoType } from '../data/key-types.js';
import type { Random } from '../crypto/random.js';

/** i2pd NETDB_MIN_SHORT_TUNNEL_BUILD_VERSION: routers older than this get VariableTunnelBuild. */
export const MIN_SHORT_TUNNEL_BUILD_VERSION = [0, 9, 51] as const;
const HIGH_BANDWIDTH_CAPS = 'MNOPX';

/** Parse 'a.b.c' into numbers; undefined when absent or malformed. */
export function parseVersion(v: string | undefined): number[] | undefined {
  if (!v || !/^[0-9]{1,5}(\.[0-9]{1,5}){0,3}$/.test(v)) return undefined;
  return v.split('.').map(Number);
}

export function versionAtLeast(v: string | undefined, min: readonly number[]): boolean {
  const p = parseVersion(v);
  if (!p) return false;
  for (let i = 0; i < min.length; i++) {
    const a = p[i] ?? 0;
    if (a !== min[i]) return a > min[i]!;
  }
  return true;
}

/** True when the router takes ShortTunnelBuild (version >= 0.9.51). */
export function supportsShortBuild(ri: RouterInfo): boolean {
  return versionAtLeast(routerInfoVersion(ri), MIN_SHORT_TUNNEL_BUILD_VERSION);
}

/** A published NTCP2 address we could dial: host, port, s and v containing 2. */
export function hasUsableNtcp2(ri: RouterInfo): boolean {
  return ri.addresses.some((a) => {
    if (a.transportStyle !== 'NTCP2') return false;
    const host = addressOption(a, 'host');
    const port = Number(addressOption(a, 'port'));
    const v = addressOption(a, 'v') ?? '';
    return !!host && Number.isInteger(port) && port > 0 && port < 65536 && !!addressOption(a, 's') && v.split(',').includes('2');
  });
}

/** IPv4 /16 prefixes ('a.b') of the router's published addresses. */
export function ipv4Prefixes(ri: RouterInfo): string[] {
  const out: string[] = [];
  for (const a of ri.addresses) {
    const host = addressOption(a, 'host');
    const m = host ? /^([0-9]{1,3})\.([0-9]{1,3})\.[0-9]{1,3}\.[0-9]{1,3}$/.exec(host) : null;
    if (m) out.push(`${m[1]}.${m[2]}`);
  }
  return out;
}

/** Whether `ri` may be a hop of one of our tunnels at all (see the file header). */
export function isHopCandidate(ri: RouterInfo, ourHash: Uint8Array): boolean {
  if (equalBytes(ri.identity.hash, ourHash)) return false;
  if (ri.identity.cryptoType !== CryptoType.X25519 || ri.identity.cryptoPublicKey?.length !== 32) return false;
  const caps = routerInfoCaps(ri);
  if (caps.includes('U') || caps.includes('H') || caps.includes('G')) return false;
  return hasUsableNtcp2(ri);
}

/** Selection weight from caps (proposal 162) before profiles. */
export function capsWeight(ri: RouterInfo, now: number): number {
  const caps = routerInfoCaps(ri);
  let w = 1;
  if ([...HIGH_BANDWIDTH_CAPS].some((c) => caps.includes(c))) w *= 3;
  if (caps.includes('E')) w *= now - ri.published <= 15 * 60_000 ? 0.25 : 0.5;
  else if (caps.includes('D')) w *= 0.5;
  return w;
}

// ---- profiles ----

export interface PeerProfile {
  agreed: number;
  declined: number;
  nonReplied: number;
  updated: number;
}

export interface PeerProfilesOptions {
  /** Profiles kept at once; the least recently updated is dropped beyond it. Default 4096. */
  maxEntries?: number;
  /** A profile not updated for this long is forgotten. Default 1 hour. */
  ttlMs?: number;
}

/** Per-peer tunnel build outcomes (i2pd RouterProfile, in memory only), bounded with expiry. */
export class PeerProfiles {
  readonly #m = new Map<string, PeerProfile>();
  readonly #max: number;
  readonly #ttl: number;

  constructor(opts: PeerProfilesOptions = {}) {
    this.#max = opts.maxEntries ?? 4096;
    this.#ttl = opts.ttlMs ?? 3_600_000;
  }

  get size(): number {
    return this.#m.size;
  }

  get(hash: Uint8Array): PeerProfile | undefined {
    return this.#m.get(toHex(hash));
  }

  #touch(hash: Uint8Array, now: number): PeerProfile {
    const k = toHex(hash);
    let p = this.#m.get(k);
    if (p) this.#m.delete(k);
    else {
      p = { agreed: 0, declined: 0, nonReplied: 0, updated: now };
      while (this.#m.size >= this.#max) this.#m.delete(this.#m.keys().next().value as string);
    }
    p.updated = now;
    this.#m.set(k, p); // re-insert: Map order = least recently updated first
    return p;
  }

  /** A hop's reply byte (0 = agreed). */
  buildResponse(hash: Uint8Array, status: number, now: number): void {
    const p = this.#touch(hash, now);
    if (status === 0) p.agreed++;
    else p.declined++;
  }

  /** The build timed out (we cannot tell which hop dropped it: every hop is charged, as i2pd does). */
  nonReplied(hash: Uint8Array, now: number): void {
    this.#touch(hash, now).nonReplied++;
  }

  /** i2pd RouterProfile::IsBad without the reset: always declining or < 20 % participation. */
  isBad(hash: Uint8Array, now: number): boolean {
    const p = this.#m.get(toHex(hash));
    if (!p || now - p.updated > this.#ttl) return false;
    return (p.agreed === 0 && p.declined >= 5) || 4 * p.agreed < p.declined;
  }

  expire(now: number): void {
    for (const [k, p] of this.#m) {
      if (now - p.updated <= this.#ttl) break;
      this.#m.delete(k);
    }
  }
}

// ---- selection ----

export interface SelectHopsOptions {
  routers: readonly RouterInfo[];
  ourHash: Uint8Array;
  count: number;
  random: Random;
  now: number;
  profiles?: PeerProfiles;
  enforceSubnets: boolean;
  /** Router hashes (hex) not to use. */
  exclude?: ReadonlySet<string>;
}

/**
 * Pick `count` distinct hops (weighted random, see the file header). Returns undefined when there are not
 * enough candidates. The order is the order of selection; the caller decides which end is the gateway.
 */
export function selectHops(o: SelectHopsOptions): RouterInfo[] | undefined {
  if (o.count < 1) return [];
  const seen = new Set<string>();
  const good: { ri: RouterInfo; w: number }[] = [];
  const bad: { ri: RouterInfo; w: number }[] = [];
  for (const ri of o.routers) {
    const k = toHex(ri.identity.hash);
    if (seen.has(k) || o.exclude?.has(k) || !isHopCandidate(ri, o.ourHash)) continue;
    seen.add(k);
    const e = { ri, w: capsWeight(ri, o.now) };
    (o.profiles?.isBad(ri.identity.hash, o.now) ? bad : good).push(e);
  }
  const out: RouterInfo[] = [];
  const usedNets = new Set<string>();
  const pick = (pool: { ri: RouterInfo; w: number }[]): boolean => {
    const ok = pool.filter((e) => !o.enforceSubnets || !ipv4Prefixes(e.ri).some((p) => usedNets.has(p)));
    if (ok.length === 0) return false;
    const total = ok.reduce((s, e) => s + e.w, 0);
    // integer draw in [0, 2^31) mapped onto the cumulative weights
    let x = (o.random.int(0, 0x8000_0000) / 0x8000_0000) * total;
    let chosen = ok[ok.length - 1]!;
    for (const e of ok) {
      if (x < e.w) {
        chosen = e;
        break;
      }
      x -= e.w;
    }
    out.push(chosen.ri);
    for (const p of ipv4Prefixes(chosen.ri)) usedNets.add(p);
    pool.splice(pool.indexOf(chosen), 1);
    return true;
  };
  while (out.length < o.count) {
    if (!pick(good) && !pick(bad)) return undefined;
  }
  return out;
}
