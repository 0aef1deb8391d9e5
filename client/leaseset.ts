/**
 * Our own LeaseSet2 (store type 3) from a pool's inbound tunnels, and the publishing timings.
 *
 * Spec: ../shared/specs/spec/common-structures.rst ("LeaseSet2", "Lease2"),
 * ../shared/specs/docs/how-network-database.html ("LeaseSet Storage to Floodfills").
 * i2pd 2.45.1: LeaseSet.cpp LocalLeaseSet2 (lease end date = tunnel creation + 660 s - 60 s, `expires` =
 * latest end date - published, no properties, unpublished flag when not public), Destination.cpp
 * UpdateLeaseSet (inbound tunnels, at most 16 leases), Destination.h PUBLISH_* constants.
 *
 * Pure functions: no I/O, no timers.
 */
import { equalBytes } from '../data/bytes.js';
import type { PrivateKeyFile } from '../data/private-key-file.js';
import { privateKeyFileSigner } from '../data/private-key-file.js';
import {
  buildLeaseSet2,
  LS2_FLAG_UNPUBLISHED,
  MAX_LEASES,
  type EncryptionKey,
  type Lease2,
  type LeaseSet2,
} from '../data/lease-set2.js';

/** Crypto type 4 (ECIES-X25519-AEAD-Ratchet). */
export const ECIES_X25519_KEY_TYPE = 4;
/** i2pd TUNNEL_EXPIRATION_THRESHOLD: a lease ends this long before its tunnel does. */
export const LEASE_EXPIRATION_THRESHOLD_MS = 60_000;
/** i2pd LEASE_ENDDATE_THRESHOLD: a lease this close to its end is not picked for new traffic. */
export const LEASE_ENDDATE_THRESHOLD_MS = 51_000;
// i2pd Destination.h (seconds there)
export const PUBLISH_CONFIRMATION_TIMEOUT_MS = 5_000;
export const PUBLISH_VERIFICATION_TIMEOUT_MS = 10_000;
export const PUBLISH_MIN_INTERVAL_MS = 20_000;
export const PUBLISH_REGULAR_VERIFICATION_INTERVAL_MS = 100_000;
/** i2pd Garlic.h LEASET_CONFIRMATION_TIMEOUT: an attached LeaseSet not acked in this time is sent again. */
export const LEASESET_CONFIRMATION_TIMEOUT_MS = 4_000;

/** What a lease needs from an inbound tunnel (tunnels/pool.ts InboundTunnel has these). */
export interface LeaseTunnel {
  /** Router hash of the inbound gateway. */
  readonly gateway: Uint8Array;
  /** The tunnel id at the gateway. */
  readonly gatewayTunnelId: number;
  /** When the tunnel expires, ms since the epoch. */
  readonly expiresAt: number;
}

/** The leases for `tunnels`: latest-ending first, at most 16, end date 60 s before the tunnel's expiry. */
export function leasesFromTunnels(tunnels: readonly LeaseTunnel[], now: number): Lease2[] {
  return tunnels
    .filter((t) => t.expiresAt - LEASE_EXPIRATION_THRESHOLD_MS > now)
    .map((t) => ({ gateway: t.gateway, tunnelId: t.gatewayTunnelId, endDate: Math.floor((t.expiresAt - LEASE_EXPIRATION_THRESHOLD_MS) / 1000) }))
    .sort((a, b) => b.endDate - a.endDate)
    .slice(0, MAX_LEASES);
}

/** Same gateways and tunnel ids (order and end dates ignored). */
export function sameLeases(a: readonly Lease2[], b: readonly Lease2[]): boolean {
  if (a.length !== b.length) return false;
  return a.every((x) => b.some((y) => y.tunnelId === x.tunnelId && equalBytes(y.gateway, x.gateway)));
}

export interface LocalLeaseSetInput {
  keys: PrivateKeyFile;
  /** Our X25519 encryption public key (published as key type 4). */
  encryptionPublicKey: Uint8Array;
  leases: readonly Lease2[];
  /** ms since the epoch. */
  now: number;
  /** The previous `published` (seconds): the new one is made strictly later so floodfills take it. */
  previousPublished?: number | undefined;
  /** false: set the unpublished flag (i2pd for non-public destinations). Default true. */
  isPublic?: boolean;
}

/** Build and sign our LeaseSet2 (i2pd LocalLeaseSet2, standard type 3, one X25519 key). */
export function buildLocalLeaseSet(input: LocalLeaseSetInput): LeaseSet2 {
  if (input.encryptionPublicKey.length !== 32) throw new RangeError('X25519 public key must be 32 bytes');
  let published = Math.floor(input.now / 1000);
  if (input.previousPublished !== undefined && published <= input.previousPublished) published = input.previousPublished + 1;
  let end = 0;
  for (const l of input.leases) end = Math.max(end, l.endDate);
  const expires = Math.min(0xffff, Math.max(0, end - published));
  const encryptionKeys: EncryptionKey[] = [{ type: ECIES_X25519_KEY_TYPE, key: input.encryptionPublicKey }];
  const offline = input.keys.offline?.signature;
  return buildLeaseSet2(
    {
      destination: input.keys.identity,
      published,
      expires,
      flags: input.isPublic === false ? LS2_FLAG_UNPUBLISHED : 0,
      ...(offline ? { offlineSignature: offline } : {}),
      encryptionKeys,
      leases: input.leases,
    },
    privateKeyFileSigner(input.keys),
  );
}

/** The X25519 (type 4) key of a LeaseSet2, if it has one. */
export function leaseSetX25519Key(ls: LeaseSet2): Uint8Array | undefined {
  return ls.encryptionKeys.find((k) => k.type === ECIES_X25519_KEY_TYPE && k.key.length === 32)?.key;
}

/**
 * i2pd Stream::UpdateCurrentRemoteLease: keep `current` while it is more than 51 s from its end; else a
 * random lease among those not ending within 51 s, else (all ending) one not past its end + 51 s.
 */
export function pickLease(ls: LeaseSet2, now: number, rand: (n: number) => number, current?: Lease2): Lease2 | undefined {
  const live = (l: Lease2) => l.endDate * 1000 - LEASE_ENDDATE_THRESHOLD_MS > now;
  if (current && live(current) && ls.leases.some((l) => l.tunnelId === current.tunnelId && equalBytes(l.gateway, current.gateway))) return current;
  const fresh = ls.leases.filter(live);
  if (fresh.length) return fresh[rand(fresh.length)];
  const ending = ls.leases.filter((l) => now < l.endDate * 1000 + LEASE_ENDDATE_THRESHOLD_MS);
  return ending.length ? ending[rand(ending.length)] : undefined;
}
