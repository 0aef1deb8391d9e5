import test from 'ava';
import { Ed25519Key } from '../../../crypto/ed25519.js';
import { X25519Key } from '../../../crypto/x25519.js';
import { sha256 } from '../../../crypto/hash.js';
import { concatBytes, equalBytes, Writer } from '../../../data/bytes.js';
import { ParseError } from '../../../data/errors.js';
import { createDestination } from '../../../data/identity.js';
import { verifySignature } from '../../../data/key-types.js';
import { mappingGet } from '../../../data/primitives.js';
import {
  LS2_FLAG_OFFLINE_KEYS,
  LS2_FLAG_UNPUBLISHED,
  buildLeaseSet2,
  createOfflineSignature,
  leaseSet2ExpiresAt,
  leaseSet2Hash,
  parseLeaseSet2,
  serializeLeaseSet2,
  verifyLeaseSet2,
  type Lease2,
} from '../../../data/lease-set2.js';

const key = (label: string) => sha256(new TextEncoder().encode(label));
const destKey = new Ed25519Key(key('dest'));
const destination = createDestination({ signingPublicKey: destKey.publicKey });
const encKey = new X25519Key(key('enc'));
const NOW = 1_700_000_000; // seconds
const leases: Lease2[] = [
  { gateway: key('gw1'), tunnelId: 0x01020304, endDate: NOW + 600 },
  { gateway: key('gw2'), tunnelId: 0xfffffffe, endDate: NOW + 590 },
];

function build(flags = 0) {
  return buildLeaseSet2(
    {
      destination,
      published: NOW,
      expires: 600,
      flags,
      options: { '_smtp._tcp': '0 86400 25', a: 'b' },
      encryptionKeys: [
        { type: 4, key: encKey.publicKey },
        { type: 0, key: new Uint8Array(256).fill(7) },
      ],
      leases,
    },
    destKey,
  );
}

test('build + verify + parse round trip (no offline keys)', (t) => {
  const ls = build(LS2_FLAG_UNPUBLISHED);
  t.true(verifyLeaseSet2(ls, { now: NOW * 1000 }));
  const back = parseLeaseSet2(ls.raw);
  t.true(verifyLeaseSet2(back));
  t.true(equalBytes(serializeLeaseSet2(back), ls.raw));
  t.is(back.flags, LS2_FLAG_UNPUBLISHED);
  t.is(back.offlineSignature, undefined);
  t.deepEqual(back.options.map(([k]) => k), ['_smtp._tcp', 'a']);
  t.is(mappingGet(back.options, 'a'), 'b');
  t.deepEqual(back.encryptionKeys.map((k) => [k.type, k.key.length]), [[4, 32], [0, 256]]);
  t.true(equalBytes(back.encryptionKeys[0]!.key, encKey.publicKey));
  t.deepEqual(back.leases.map((l) => [l.tunnelId, l.endDate]), [[0x01020304, NOW + 600], [0xfffffffe, NOW + 590]]);
  t.true(equalBytes(back.leases[1]!.gateway, key('gw2')));
  t.is(leaseSet2ExpiresAt(back), (NOW + 600) * 1000);
  t.true(equalBytes(leaseSet2Hash(back), destination.hash));
});

test('the signature covers the store type byte 3 prefixed to the content', (t) => {
  const ls = build();
  const body = ls.raw.subarray(0, ls.raw.length - 64);
  t.true(verifySignature(7, destKey.publicKey, concatBytes(Uint8Array.of(3), body), ls.signature));
  t.false(verifySignature(7, destKey.publicKey, body, ls.signature));
  // header layout: destination, published (4), expires (2), flags (2)
  const d = destination.bytes.length;
  t.deepEqual([...ls.raw.subarray(d, d + 8)], [...new Writer(8).u32(NOW).u16(600).u16(0).done()]);
});

test('tampering with any part fails verification', (t) => {
  const ls = build();
  for (const pos of [5, 390, destination.bytes.length + 1, destination.bytes.length + 12, ls.raw.length - 70, ls.raw.length - 1]) {
    const bad = Uint8Array.prototype.slice.call(ls.raw);
    bad[pos]! ^= 0x80;
    let ok = false;
    try {
      ok = verifyLeaseSet2(parseLeaseSet2(bad), { now: NOW * 1000 });
    } catch (e) {
      t.true(e instanceof ParseError, String(e));
    }
    t.false(ok, `byte ${pos}`);
  }
  const wrong = buildLeaseSet2({ destination, published: NOW, expires: 600, encryptionKeys: [{ type: 4, key: encKey.publicKey }], leases: [] }, new Ed25519Key(key('x')));
  t.false(verifyLeaseSet2(wrong));
});

test('offline signature: transient key signs, destination signs the transient key', (t) => {
  const transient = new Ed25519Key(key('transient'));
  const offline = createOfflineSignature({ expires: NOW + 86400, transientSigType: 7, transientPublicKey: transient.publicKey }, destKey);
  const ls = buildLeaseSet2(
    { destination, published: NOW, expires: 600, offlineSignature: offline, encryptionKeys: [{ type: 4, key: encKey.publicKey }], leases },
    transient,
  );
  t.is(ls.flags & LS2_FLAG_OFFLINE_KEYS, LS2_FLAG_OFFLINE_KEYS);
  t.true(verifyLeaseSet2(ls, { now: NOW * 1000 }));
  const back = parseLeaseSet2(ls.raw);
  t.true(equalBytes(serializeLeaseSet2(back), ls.raw));
  t.true(verifyLeaseSet2(back, { now: NOW * 1000 }));
  t.true(equalBytes(back.offlineSignature!.transientPublicKey, transient.publicKey));
  t.is(back.offlineSignature!.expires, NOW + 86400);
  // expired offline signature is rejected (i2pd ProcessOfflineSignature)
  t.false(verifyLeaseSet2(back, { now: (NOW + 86401) * 1000 }));
  // signed by the destination key instead of the transient key: fails
  const wrongSigner = buildLeaseSet2(
    { destination, published: NOW, expires: 600, offlineSignature: offline, encryptionKeys: [{ type: 4, key: encKey.publicKey }], leases },
    destKey,
  );
  t.false(verifyLeaseSet2(wrongSigner, { now: NOW * 1000 }));
  // offline block not signed by the destination: fails even though the LS signature is right
  const forged = createOfflineSignature({ expires: NOW + 86400, transientSigType: 7, transientPublicKey: transient.publicKey }, transient);
  const bad = buildLeaseSet2(
    { destination, published: NOW, expires: 600, offlineSignature: forged, encryptionKeys: [{ type: 4, key: encKey.publicKey }], leases },
    transient,
  );
  t.false(verifyLeaseSet2(bad, { now: NOW * 1000 }));
});

test('parse rejects bad structures with ParseError and a path', (t) => {
  const ls = build();
  const d = destination.bytes.length;
  t.is(t.throws(() => parseLeaseSet2(concatBytes(ls.raw, Uint8Array.of(0))), { instanceOf: ParseError }).code, 'TRAILING_BYTES');
  const trunc = t.throws(() => parseLeaseSet2(ls.raw.subarray(0, ls.raw.length - 1)), { instanceOf: ParseError });
  t.is(trunc.code, 'TRUNCATED');
  t.is(trunc.path, 'LeaseSet2/signature');
  // options: 2-byte size at d+8; keys follow
  const optSize = (ls.raw[d + 8]! << 8) | ls.raw[d + 9]!;
  const numkAt = d + 10 + optSize;
  t.is(ls.raw[numkAt], 2);
  const zeroKeys = Uint8Array.prototype.slice.call(ls.raw);
  zeroKeys[numkAt] = 0;
  t.is(t.throws(() => parseLeaseSet2(zeroKeys), { instanceOf: ParseError }).code, 'BAD_LEASESET');
  const badLen = Uint8Array.prototype.slice.call(ls.raw);
  badLen[numkAt + 4] = 33; // X25519 key length 32 -> 33
  const e = t.throws(() => parseLeaseSet2(badLen), { instanceOf: ParseError });
  t.is(e.code, 'BAD_KEY_LENGTH');
  t.is(e.path, 'LeaseSet2/keys[0]');
  // too many leases
  const numAt = numkAt + 1 + 4 + 32 + 4 + 256;
  t.is(ls.raw[numAt], 2);
  const many = Uint8Array.prototype.slice.call(ls.raw);
  many[numAt] = 17;
  t.is(t.throws(() => parseLeaseSet2(many), { instanceOf: ParseError }).code, 'BAD_LEASESET');
  // offline flag set but no valid block: unknown transient type
  const flagged = Uint8Array.prototype.slice.call(ls.raw);
  flagged[d + 7] = 1;
  t.true(t.throws(() => parseLeaseSet2(flagged), { instanceOf: ParseError }) instanceof ParseError);
});

test('unknown encryption key types parse with their declared length', (t) => {
  const ls = buildLeaseSet2(
    { destination, published: NOW, expires: 1, encryptionKeys: [{ type: 0x1234, key: new Uint8Array(5).fill(9) }], leases: [] },
    destKey,
  );
  const back = parseLeaseSet2(ls.raw);
  t.deepEqual(back.encryptionKeys.map((k) => [k.type, [...k.key]]), [[0x1234, [9, 9, 9, 9, 9]]]);
  t.true(verifyLeaseSet2(back));
  t.throws(() => buildLeaseSet2({ destination, published: NOW, expires: 1, encryptionKeys: [], leases: [] }, destKey), { instanceOf: RangeError });
});

test('buildLeaseSet2 rejects out-of-range fields instead of wrapping', (t) => {
  const base = { destination, published: NOW, expires: 600, encryptionKeys: [{ type: 4, key: encKey.publicKey }], leases: [] as Lease2[] };
  t.throws(() => buildLeaseSet2({ ...base, published: 2 ** 32 }, destKey), { instanceOf: RangeError });
  t.throws(() => buildLeaseSet2({ ...base, expires: 65536 }, destKey), { instanceOf: RangeError });
  t.throws(() => buildLeaseSet2({ ...base, leases: [{ gateway: key('g'), tunnelId: -1, endDate: NOW }] }, destKey), { instanceOf: RangeError });
  t.throws(() => buildLeaseSet2({ ...base, leases: Array.from({ length: 17 }, () => leases[0]!) }, destKey), { instanceOf: RangeError });
  t.notThrows(() => buildLeaseSet2({ ...base, leases: Array.from({ length: 16 }, () => leases[0]!) }, destKey));
});
