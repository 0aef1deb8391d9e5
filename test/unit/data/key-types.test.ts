import test from 'ava';
import { generateKeyPairSync, sign } from 'node:crypto';
import { Ed25519Key } from '../../../crypto/ed25519.js';
import { concatBytes } from '../../../data/bytes.js';
import { canVerify, cryptoPrivateKeyFileLength, cryptoPublicKeyLength, sigTypeInfo, verifySignature } from '../../../data/key-types.js';

const msg = new TextEncoder().encode('I2P');

test('sizes from the spec tables', (t) => {
  const pub = [128, 64, 96, 132, 256, 384, 512, 32, 32, 64, 128, 32];
  const sig = [40, 64, 96, 132, 256, 384, 512, 64, 64, 64, 128, 64];
  for (let i = 0; i <= 11; i++) {
    t.is(sigTypeInfo(i)!.publicKeyLength, pub[i]!, `pub ${i}`);
    t.is(sigTypeInfo(i)!.signatureLength, sig[i]!, `sig ${i}`);
  }
  t.is(sigTypeInfo(12), undefined);
  t.deepEqual([0, 1, 2, 3, 4].map(cryptoPublicKeyLength), [256, 64, 96, 132, 32]);
  t.is(cryptoPublicKeyLength(8), undefined);
  t.is(cryptoPrivateKeyFileLength(4), 32);
  t.is(cryptoPrivateKeyFileLength(0), 256);
});

test('Ed25519 (7) and RedDSA (11) verify Ed25519 signatures', (t) => {
  const k = new Ed25519Key(new Uint8Array(32).fill(5));
  const s = k.sign(msg);
  t.true(verifySignature(7, k.publicKey, msg, s));
  t.true(verifySignature(11, k.publicKey, msg, s));
  t.false(verifySignature(7, k.publicKey, new TextEncoder().encode('I2Q'), s));
  t.false(verifySignature(7, k.publicKey, msg, s.subarray(1)));
});

for (const [type, crv, hash, half] of [
  [1, 'P-256', 'sha256', 32],
  [2, 'P-384', 'sha384', 48],
  [3, 'P-521', 'sha512', 66],
] as const) {
  test(`ECDSA type ${type} (${crv}): raw X||Y key, raw R||S signature`, (t) => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: crv });
    const jwk = publicKey.export({ format: 'jwk' });
    const pad = (s: string) => {
      const b = Buffer.from(s, 'base64url');
      return concatBytes(new Uint8Array(half - b.length), b);
    };
    const pub = concatBytes(pad(jwk.x!), pad(jwk.y!));
    t.is(pub.length, sigTypeInfo(type)!.publicKeyLength);
    const sig = new Uint8Array(sign(hash, msg, { key: privateKey, dsaEncoding: 'ieee-p1363' }));
    t.true(verifySignature(type, pub, msg, sig));
    sig[5]! ^= 1;
    t.false(verifySignature(type, pub, msg, sig));
    t.false(verifySignature(type, new Uint8Array(pub.length), msg, sig)); // not a curve point: false, no throw
  });
}

test('unsupported types (RSA, Ed25519ph, GOST, unknown) never verify and never throw; DSA: see crypto/dsa.test.ts', (t) => {
  for (const type of [4, 5, 6, 8, 9, 10, 99]) {
    t.false(canVerify(type));
    const info = sigTypeInfo(type);
    t.false(verifySignature(type, new Uint8Array(info?.publicKeyLength ?? 32), msg, new Uint8Array(info?.signatureLength ?? 64)));
  }
});
