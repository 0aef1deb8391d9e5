/**
 * Ed25519 (RFC 8032) signing and verification on node:crypto — I2P signature type 7 (EdDSA_SHA512_Ed25519).
 * Private keys are the 32-byte seed. Public keys are imported as JWK and may be cached by callers.
 */
import { createPublicKey, randomBytes, sign, verify, type KeyObject } from 'node:crypto';
import { importOkpPrivate, rawOkpPublic } from './okp.js';

export class Ed25519Key {
  readonly seed: Uint8Array;
  readonly publicKey: Uint8Array;
  readonly keyObject: KeyObject;

  constructor(seed: Uint8Array) {
    if (seed.length !== 32) throw new RangeError('Ed25519 seed must be 32 bytes');
    this.seed = Uint8Array.prototype.slice.call(seed);
    this.keyObject = importOkpPrivate('Ed25519', seed);
    this.publicKey = rawOkpPublic(this.keyObject);
  }

  static generate(): Ed25519Key {
    return new Ed25519Key(randomBytes(32));
  }

  sign(message: Uint8Array): Uint8Array {
    return new Uint8Array(sign(null, message, this.keyObject));
  }
}

export function importEd25519Public(pub: Uint8Array): KeyObject {
  if (pub.length !== 32) throw new RangeError('Ed25519 public key must be 32 bytes');
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(pub).toString('base64url') }, format: 'jwk' });
}

/** Verify; returns false (never throws) for a bad signature, a malformed key or a wrong-length signature. */
export function ed25519Verify(publicKey: Uint8Array | KeyObject, message: Uint8Array, signature: Uint8Array): boolean {
  if (signature.length !== 64) return false;
  try {
    const k = publicKey instanceof Uint8Array ? importEd25519Public(publicKey) : publicKey;
    return verify(null, message, k, signature);
  } catch {
    return false;
  }
}
