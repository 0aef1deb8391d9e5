import test from 'ava';
import { Ed25519Key } from '../../../crypto/ed25519.js';
import { sha256 } from '../../../crypto/hash.js';
import type { Random } from '../../../crypto/random.js';
import { concatBytes, equalBytes } from '../../../data/bytes.js';
import { ParseError } from '../../../data/errors.js';
import { buildKeysAndCert } from '../../../data/identity.js';
import { verifySignature } from '../../../data/key-types.js';
import { buildLeaseSet2, verifyLeaseSet2 } from '../../../data/lease-set2.js';
import {
  createOfflineKeys,
  generateDestinationKeys,
  generateRouterKeys,
  parsePrivateKeyFile,
  parseRouterKeys,
  privateKeyFileSigner,
  serializePrivateKeyFile,
} from '../../../data/private-key-file.js';
import { buildRouterInfo, verifyRouterInfo } from '../../../data/router-info.js';

/** Deterministic Random: SHA-256 counter stream. */
function seededRandom(seed: string): Random {
  let n = 0;
  return {
    bytes(len) {
      const out = new Uint8Array(len);
      for (let o = 0; o < len; o += 32) out.set(sha256(new TextEncoder().encode(`${seed}/${n++}`)).subarray(0, Math.min(32, len - o)), o);
      return out;
    },
    int: (min) => min,
  };
}

test('router keys: layout, round trip, consistency, usable signer', (t) => {
  const k = generateRouterKeys(seededRandom('r'));
  const bytes = serializePrivateKeyFile(k);
  t.is(bytes.length, 391 + 32 + 32);
  t.true(equalBytes(bytes.subarray(0, 391), k.identity.bytes));
  t.true(equalBytes(bytes.subarray(391, 423), k.cryptoPrivateKey));
  t.true(equalBytes(bytes.subarray(423), k.signingPrivateKey));
  const back = parseRouterKeys(bytes);
  t.true(equalBytes(serializePrivateKeyFile(back), bytes));
  t.is(back.offline, undefined);
  // deterministic with a seeded Random
  t.true(equalBytes(serializePrivateKeyFile(generateRouterKeys(seededRandom('r'))), bytes));
  const ri = buildRouterInfo({ identity: back.identity, published: 1, addresses: [], options: { netId: '77' } }, privateKeyFileSigner(back));
  t.true(verifyRouterInfo(ri));
});

test('a file whose private keys do not match the identity is ParseError KEY_MISMATCH', (t) => {
  const bytes = serializePrivateKeyFile(generateRouterKeys(seededRandom('m')));
  const badSigning = Uint8Array.prototype.slice.call(bytes);
  badSigning[bytes.length - 1]! ^= 1;
  const e1 = t.throws(() => parsePrivateKeyFile(badSigning), { instanceOf: ParseError });
  t.is(e1.code, 'KEY_MISMATCH');
  t.is(e1.path, 'PrivateKeyFile/signingPrivateKey');
  const badCrypto = Uint8Array.prototype.slice.call(bytes);
  badCrypto[400]! ^= 1;
  t.notThrows(() => parsePrivateKeyFile(badCrypto)); // destinations: crypto key not checked (i2pd writes random ones)
  const e2 = t.throws(() => parseRouterKeys(badCrypto), { instanceOf: ParseError });
  t.is(e2.code, 'KEY_MISMATCH');
  t.is(e2.path, 'PrivateKeyFile/cryptoPrivateKey');
  t.is(t.throws(() => parsePrivateKeyFile(concatBytes(bytes, Uint8Array.of(0))), { instanceOf: ParseError }).code, 'TRAILING_BYTES');
  t.is(t.throws(() => parsePrivateKeyFile(bytes.subarray(0, 430)), { instanceOf: ParseError }).code, 'TRUNCATED');
});

test('destination keys: X25519 default and i2pd-style ElGamal (256-byte private key)', (t) => {
  const d4 = generateDestinationKeys({ random: seededRandom('d4') });
  t.is(d4.identity.cryptoType, 4);
  const b4 = serializePrivateKeyFile(d4);
  t.is(b4.length, 391 + 32 + 32);
  t.true(equalBytes(serializePrivateKeyFile(parseRouterKeys(b4)), b4)); // real X25519 pair: passes the crypto check
  const d0 = generateDestinationKeys({ random: seededRandom('d0'), cryptoType: 0 });
  t.is(d0.identity.cryptoType, 0);
  const b0 = serializePrivateKeyFile(d0);
  t.is(b0.length, 391 + 256 + 32);
  const back = parsePrivateKeyFile(b0);
  t.true(equalBytes(serializePrivateKeyFile(back), b0));
  t.true(equalBytes(back.cryptoPrivateKey, d0.cryptoPrivateKey));
});

test('offline keys: section round trips, signer is the transient key, LS2 verifies', (t) => {
  const NOW = 1_700_000_000;
  const d = generateDestinationKeys({ random: seededRandom('off') });
  const off = createOfflineKeys(d, { expires: NOW + 3600, random: seededRandom('t') });
  const bytes = serializePrivateKeyFile(off);
  t.is(bytes.length, 391 + 32 + 32 + (4 + 2 + 32 + 64) + 32);
  t.true(equalBytes(bytes.subarray(423, 455), new Uint8Array(32)));
  const back = parsePrivateKeyFile(bytes);
  t.truthy(back.offline);
  t.true(equalBytes(serializePrivateKeyFile(back), bytes));
  t.is(back.offline!.signature.expires, NOW + 3600);
  const signer = privateKeyFileSigner(back);
  const msg = new TextEncoder().encode('hello');
  t.true(verifySignature(7, back.offline!.signature.transientPublicKey, msg, signer.sign(msg)));
  t.false(verifySignature(7, back.identity.signingPublicKey, msg, signer.sign(msg)));
  const ls = buildLeaseSet2(
    { destination: back.identity, published: NOW, expires: 600, offlineSignature: back.offline!.signature, encryptionKeys: [{ type: 4, key: new Uint8Array(32).fill(1) }], leases: [] },
    signer,
  );
  t.true(verifyLeaseSet2(ls, { now: NOW * 1000 }));
  // offline signature not by the identity -> BAD_SIGNATURE
  const bad = Uint8Array.prototype.slice.call(bytes);
  bad[455 + 6 + 32 + 10]! ^= 1;
  t.is(t.throws(() => parsePrivateKeyFile(bad), { instanceOf: ParseError }).code, 'BAD_SIGNATURE');
  // transient private key not matching the transient public key -> KEY_MISMATCH
  const bad2 = Uint8Array.prototype.slice.call(bytes);
  bad2[bytes.length - 1]! ^= 1;
  t.is(t.throws(() => parsePrivateKeyFile(bad2), { instanceOf: ParseError }).code, 'KEY_MISMATCH');
});

test('privateKeyFileSigner signs with the identity key', (t) => {
  const k = generateRouterKeys(seededRandom('s'));
  const msg = new TextEncoder().encode('m');
  t.true(equalBytes(privateKeyFileSigner(k).sign(msg), new Ed25519Key(k.signingPrivateKey).sign(msg)));
});

test('key files of signing types without a usable private key length are rejected', (t) => {
  const rsa = buildKeysAndCert({ cryptoType: 0, cryptoPublicKey: new Uint8Array(256).fill(1), sigType: 4, signingPublicKey: new Uint8Array(256).fill(2), padding: new Uint8Array(0) });
  const e = t.throws(() => parsePrivateKeyFile(concatBytes(rsa.bytes, new Uint8Array(256 + 512).fill(3))), { instanceOf: ParseError });
  t.is(e.code, 'UNSUPPORTED_SIG_TYPE');
  // ECDSA P-256 parses (32-byte private key) but is not consistency-checked
  const p256 = buildKeysAndCert({ cryptoType: 4, cryptoPublicKey: new Uint8Array(32).fill(1), sigType: 1, signingPublicKey: new Uint8Array(64).fill(2), padding: new Uint8Array(256 - 32 + 64) });
  const k = parsePrivateKeyFile(concatBytes(p256.bytes, new Uint8Array(32).fill(4), new Uint8Array(32).fill(5)));
  t.is(k.identity.sigType, 1);
  t.throws(() => privateKeyFileSigner(k), { instanceOf: RangeError });
});
