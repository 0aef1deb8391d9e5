/**
 * Our LeaseSet2 from inbound tunnels (i2pd LocalLeaseSet2) and the lease choice for sending
 * (i2pd Stream::UpdateCurrentRemoteLease).
 */
import test from 'ava';
import { buildLocalLeaseSet, leasesFromTunnels, pickLease, sameLeases, leaseSetX25519Key } from '../../../client/leaseset.js';
import { X25519Key } from '../../../crypto/x25519.js';
import { LS2_FLAG_UNPUBLISHED, MAX_LEASES, parseLeaseSet2, verifyLeaseSet2 } from '../../../data/lease-set2.js';
import { createOfflineKeys, generateDestinationKeys } from '../../../data/private-key-file.js';
import { seededRandom } from './helpers.js';

const NOW = 1_700_000_000_000;
const rng = seededRandom(3);
const tunnel = (expiresIn: number) => ({ gateway: rng.bytes(32), gatewayTunnelId: rng.int(1, 2 ** 32), expiresAt: NOW + expiresIn });

test('leases: end 60 s before the tunnel, latest first, at most 16, none for a tunnel about to go', (t) => {
  const ts = Array.from({ length: 20 }, (_, i) => tunnel(100_000 + i * 1000));
  ts.push(tunnel(59_000));
  const leases = leasesFromTunnels(ts, NOW);
  t.is(leases.length, MAX_LEASES);
  t.is(leases[0]!.endDate, Math.floor((NOW + 119_000 - 60_000) / 1000));
  t.true(leases.every((l, i) => i === 0 || l.endDate <= leases[i - 1]!.endDate));
  t.false(leases.some((l) => l.tunnelId === ts[20]!.gatewayTunnelId));
  t.true(sameLeases(leases, [...leases].reverse()));
  t.false(sameLeases(leases, leases.slice(1)));
});

test('buildLocalLeaseSet: signed, one X25519 key, expires = last end date - published; published always advances', (t) => {
  const keys = generateDestinationKeys({ cryptoType: 4 });
  const pub = new X25519Key(keys.cryptoPrivateKey).publicKey;
  const leases = leasesFromTunnels([tunnel(600_000), tunnel(500_000)], NOW);
  const ls = buildLocalLeaseSet({ keys, encryptionPublicKey: pub, leases, now: NOW });
  const p = parseLeaseSet2(ls.raw);
  t.true(verifyLeaseSet2(p, { now: NOW }));
  t.is(p.published, NOW / 1000);
  t.is(p.expires, 540);
  t.deepEqual(leaseSetX25519Key(p), pub);
  t.is(p.options.length, 0);
  const again = buildLocalLeaseSet({ keys, encryptionPublicKey: pub, leases, now: NOW, previousPublished: p.published });
  t.is(again.published, p.published + 1);
  const unpub = buildLocalLeaseSet({ keys, encryptionPublicKey: pub, leases, now: NOW, isPublic: false });
  t.is(unpub.flags & LS2_FLAG_UNPUBLISHED, LS2_FLAG_UNPUBLISHED);
});

test('buildLocalLeaseSet with offline keys signs with the transient key', (t) => {
  const keys = createOfflineKeys(generateDestinationKeys({ cryptoType: 4 }), { expires: NOW / 1000 + 86400 });
  const ls = buildLocalLeaseSet({ keys, encryptionPublicKey: new X25519Key(keys.cryptoPrivateKey).publicKey, leases: leasesFromTunnels([tunnel(600_000)], NOW), now: NOW });
  const p = parseLeaseSet2(ls.raw);
  t.truthy(p.offlineSignature);
  t.true(verifyLeaseSet2(p, { now: NOW }));
});

test('pickLease keeps a live current lease, avoids leases within 51 s of their end, falls back to ending ones', (t) => {
  const keys = generateDestinationKeys({ cryptoType: 4 });
  const pub = new X25519Key(keys.cryptoPrivateKey).publicKey;
  const leases = leasesFromTunnels([tunnel(600_000), tunnel(100_000)], NOW); // ends at +540 s and +40 s
  const ls = buildLocalLeaseSet({ keys, encryptionPublicKey: pub, leases, now: NOW });
  const first = () => 0;
  const last = (n: number) => n - 1;
  // the +40 s lease is within 51 s of its end: only the other one is picked
  t.is(pickLease(ls, NOW, last)!.tunnelId, leases[0]!.tunnelId);
  t.is(pickLease(ls, NOW, first)!.tunnelId, leases[0]!.tunnelId);
  // current lease still live: kept
  t.is(pickLease(ls, NOW, first, leases[0])!.tunnelId, leases[0]!.tunnelId);
  // current lease ending: replaced
  t.is(pickLease(ls, NOW, first, leases[1])!.tunnelId, leases[0]!.tunnelId);
  // all ending: one not past end + 51 s
  t.is(pickLease(ls, NOW + 500_000, first)!.tunnelId, leases[0]!.tunnelId);
  t.is(pickLease(ls, NOW + 540_000 + 52_000, first), undefined);
});
