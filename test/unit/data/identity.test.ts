import test from 'ava';
import { Ed25519Key } from '../../../crypto/ed25519.js';
import { X25519Key } from '../../../crypto/x25519.js';
import { sha256 } from '../../../crypto/hash.js';
import type { Random } from '../../../crypto/random.js';
import { Writer, concatBytes, equalBytes } from '../../../data/bytes.js';
import { ParseError } from '../../../data/errors.js';
import {
  CertificateType,
  buildKeysAndCert,
  createDestination,
  createRouterIdentity,
  parseDestination,
  parseKeysAndCert,
  parseRouterIdentity,
  signatureLength,
} from '../../../data/identity.js';
import { sigTypeInfo } from '../../../data/key-types.js';

const seq = (n: number, start = 1) => Uint8Array.from({ length: n }, (_, i) => (start + i) & 255);
/** Deterministic Random for tests: counts bytes up from 0x40. */
function countingRandom(): Random {
  let c = 0x40;
  return { bytes: (n) => Uint8Array.from({ length: n }, () => c++ & 255), int: (min) => min };
}

function rawIdentity(keys384: Uint8Array, certType: number, payload: Uint8Array): Uint8Array {
  const w = new Writer(384 + 3 + payload.length);
  w.bytes(keys384).u8(certType).u16(payload.length).bytes(payload);
  return w.done();
}

test('NULL certificate: ElGamal 256 + DSA 128, hash = SHA-256 of the 387 bytes', (t) => {
  const keys = seq(384);
  const bytes = rawIdentity(keys, CertificateType.NULL, new Uint8Array(0));
  const k = parseKeysAndCert(bytes);
  t.is(k.sigType, 0);
  t.is(k.cryptoType, 0);
  t.true(equalBytes(k.cryptoPublicKey!, keys.subarray(0, 256)));
  t.true(equalBytes(k.signingPublicKey, keys.subarray(256)));
  t.true(equalBytes(k.hash, sha256(bytes)));
  t.is(signatureLength(k), 40);
  const e = t.throws(() => parseKeysAndCert(rawIdentity(keys, 0, Uint8Array.of(1))), { instanceOf: ParseError });
  t.is(e.code, 'BAD_CERTIFICATE');
  t.is(e.offset, 384);
});

test('KEY certificate: signing key right-aligned, crypto key left-aligned, for each parseable type', (t) => {
  const keys = seq(384);
  for (const [sigType, info] of [0, 1, 2, 7, 8, 9, 10, 11].map((s) => [s, sigTypeInfo(s)!] as const)) {
    for (const cryptoType of [0, 4]) {
      const k = parseKeysAndCert(rawIdentity(keys, 5, Uint8Array.of(0, sigType, 0, cryptoType)));
      t.is(k.sigType, sigType);
      t.true(equalBytes(k.signingPublicKey, keys.subarray(384 - info.publicKeyLength)), `sig ${sigType}`);
      t.true(equalBytes(k.cryptoPublicKey!, keys.subarray(0, cryptoType === 4 ? 32 : 256)));
      t.is(signatureLength(k), info.signatureLength);
    }
  }
});

test('KEY certificate with excess signing key data (P-521: 4 bytes, RSA-4096: 384 bytes)', (t) => {
  const keys = seq(384);
  const p521 = parseKeysAndCert(rawIdentity(keys, 5, Uint8Array.of(0, 3, 0, 0, 0xa1, 0xa2, 0xa3, 0xa4)));
  t.is(p521.signingPublicKey.length, 132);
  t.true(equalBytes(p521.signingPublicKey, concatBytes(keys.subarray(256), Uint8Array.of(0xa1, 0xa2, 0xa3, 0xa4))));
  const rsa = parseKeysAndCert(rawIdentity(keys, 5, concatBytes(Uint8Array.of(0, 6, 0, 0), seq(384, 7))));
  t.is(rsa.signingPublicKey.length, 512);
  t.true(equalBytes(rsa.signingPublicKey.subarray(128), seq(384, 7)));
  // missing or extra excess data is rejected (spec: prohibit excess data)
  for (const payload of [Uint8Array.of(0, 3, 0, 0), Uint8Array.of(0, 7, 0, 4, 0), Uint8Array.of(0, 7)]) {
    t.is(t.throws(() => parseKeysAndCert(rawIdentity(keys, 5, payload)), { instanceOf: ParseError }).code, 'BAD_CERTIFICATE');
  }
});

test('unknown signing type, unknown certificate type, unknown crypto type', (t) => {
  const keys = seq(384);
  const e = t.throws(() => parseKeysAndCert(rawIdentity(keys, 5, Uint8Array.of(0, 99, 0, 4))), { instanceOf: ParseError });
  t.is(e.code, 'UNSUPPORTED_SIG_TYPE');
  t.is(t.throws(() => parseKeysAndCert(rawIdentity(keys, 6, new Uint8Array(0))), { instanceOf: ParseError }).code, 'BAD_CERTIFICATE');
  const k = parseKeysAndCert(rawIdentity(keys, 5, Uint8Array.of(0, 7, 0xff, 0x00)));
  t.is(k.cryptoType, 0xff00);
  t.is(k.cryptoPublicKey, undefined);
});

test('truncated / trailing input is ParseError', (t) => {
  const bytes = rawIdentity(seq(384), 5, Uint8Array.of(0, 7, 0, 4));
  t.is(t.throws(() => parseRouterIdentity(bytes.subarray(0, 389)), { instanceOf: ParseError }).code, 'TRUNCATED');
  t.is(t.throws(() => parseRouterIdentity(bytes.subarray(0, 100)), { instanceOf: ParseError }).code, 'TRUNCATED');
  const e = t.throws(() => parseDestination(concatBytes(bytes, Uint8Array.of(0))), { instanceOf: ParseError });
  t.is(e.code, 'TRAILING_BYTES');
  t.is(e.path, 'Destination');
});

test('createRouterIdentity: X25519 + Ed25519, KEY cert, one random block repeated 10 times (as i2pd)', (t) => {
  const ck = new X25519Key(seq(32, 9));
  const sk = new Ed25519Key(seq(32, 77));
  const id = createRouterIdentity({ cryptoPublicKey: ck.publicKey, signingPublicKey: sk.publicKey, random: countingRandom() });
  const b = id.bytes;
  t.is(b.length, 391);
  t.deepEqual([...b.subarray(384)], [5, 0, 4, 0, 7, 0, 4]);
  t.true(equalBytes(b.subarray(0, 32), ck.publicKey));
  t.true(equalBytes(b.subarray(352, 384), sk.publicKey));
  const block = seq(32, 0x40);
  for (let o = 32; o < 352; o += 32) t.true(equalBytes(b.subarray(o, o + 32), block), `copy at ${o}`);
  t.true(equalBytes(parseRouterIdentity(b).hash, sha256(b)));
  t.true(equalBytes(id.cryptoPublicKey!, ck.publicKey));
  t.true(equalBytes(id.signingPublicKey, sk.publicKey));
});

test('createDestination: ElGamal type → 11 copies of the block; X25519 type with key → 10 copies', (t) => {
  const sk = new Ed25519Key(seq(32, 77));
  const d = createDestination({ signingPublicKey: sk.publicKey, random: countingRandom() });
  t.deepEqual([...d.bytes.subarray(384)], [5, 0, 4, 0, 7, 0, 0]);
  const block = seq(32, 0x40);
  for (let o = 0; o < 352; o += 32) t.true(equalBytes(d.bytes.subarray(o, o + 32), block));
  t.true(equalBytes(d.signingPublicKey, sk.publicKey));
  const ck = new X25519Key(seq(32, 9));
  const d4 = createDestination({ signingPublicKey: sk.publicKey, cryptoType: 4, cryptoPublicKey: ck.publicKey, random: countingRandom() });
  t.deepEqual([...d4.bytes.subarray(384)], [5, 0, 4, 0, 7, 0, 4]);
  t.true(equalBytes(d4.cryptoPublicKey!, ck.publicKey));
  for (let o = 32; o < 352; o += 32) t.true(equalBytes(d4.bytes.subarray(o, o + 32), block));
});

test('buildKeysAndCert: ElGamal + DSA gets a NULL certificate; P-521 puts excess in the cert; bad sizes throw', (t) => {
  const k0 = buildKeysAndCert({ cryptoType: 0, cryptoPublicKey: seq(256), sigType: 0, signingPublicKey: seq(128, 3), padding: new Uint8Array(0) });
  t.is(k0.bytes.length, 387);
  t.is(k0.certificate.type, CertificateType.NULL);
  const k3 = buildKeysAndCert({ cryptoType: 4, cryptoPublicKey: seq(32), sigType: 3, signingPublicKey: seq(132, 3), padding: seq(224) });
  t.is(k3.bytes.length, 384 + 3 + 8);
  t.true(equalBytes(k3.signingPublicKey, seq(132, 3)));
  t.throws(() => buildKeysAndCert({ cryptoType: 4, cryptoPublicKey: seq(32), sigType: 7, signingPublicKey: seq(32), padding: seq(3) }), {
    instanceOf: RangeError,
  });
});
