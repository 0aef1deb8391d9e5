/**
 * Fast import of raw X25519/Ed25519 private keys into node:crypto KeyObjects (internal to crypto/).
 *
 * Importing PKCS#8 DER goes through OpenSSL 3's decoder machinery (~300 µs per key, measured on Node 20 with
 * bench/run.ts); a JWK goes straight to EVP_PKEY_new_raw_private_key (~30 µs). Node's JWK import needs an
 * `x` member to be present but derives the key from `d` alone, so a placeholder `x` is passed and the real
 * public key is read back from the KeyObject. If a Node version ever rejects that, the DER path is used.
 * Both paths are checked by the RFC 7748 / RFC 8032 public-key vectors in test/unit/crypto/.
 */
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';

const PKCS8_PREFIX = {
  X25519: Buffer.from('302e020100300506032b656e04220420', 'hex'),
  Ed25519: Buffer.from('302e020100300506032b657004220420', 'hex'),
} as const;
const PLACEHOLDER_X = Buffer.alloc(32).toString('base64url');

export type OkpCurve = keyof typeof PKCS8_PREFIX;

export function importOkpPrivate(crv: OkpCurve, raw: Uint8Array): KeyObject {
  const b = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
  try {
    return createPrivateKey({ key: { kty: 'OKP', crv, d: b.toString('base64url'), x: PLACEHOLDER_X }, format: 'jwk' });
  } catch {
    return importOkpPrivateDer(crv, raw);
  }
}

/** The slow, always-supported path (PKCS#8 DER). Exported for the test that pins both paths together. */
export function importOkpPrivateDer(crv: OkpCurve, raw: Uint8Array): KeyObject {
  return createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX[crv], raw]), format: 'der', type: 'pkcs8' });
}

/** The 32-byte raw public key of a private (or public) OKP KeyObject. */
export function rawOkpPublic(key: KeyObject): Uint8Array {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  const { x } = pub.export({ format: 'jwk' });
  if (typeof x !== 'string') throw new Error('OKP key export without x');
  return new Uint8Array(Buffer.from(x, 'base64url'));
}
