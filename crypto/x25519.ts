/**
 * X25519 (RFC 7748) on node:crypto.
 *
 * Own keys are created from 32 random bytes (generateKeyPairSync + JWK export deadlocks on Node 20) and
 * imported once (crypto/okp.ts: as JWK, ten times cheaper than PKCS#8); peer public keys are imported as
 * JWK too, which is far cheaper than DER.
 * A low-order peer point makes node throw: `x25519` rethrows that as CryptoError('LOW_ORDER'), a failed
 * handshake, never a crash.
 *
 * Deviation from RFC 7748 §5 (which masks the top bit of a received u-coordinate) to match i2pd 2.45.1
 * (libi2pd/Crypto.cpp `X25519Keys::Agree`: `if (pub[31] & 0x80) return false; // not x25519 key`): a peer
 * public key with its top bit set is rejected with CryptoError('BAD_KEY'). Honest peers never send one
 * (every encoded u < p < 2^255). i2pd ignores OpenSSL's derive failure on low-order points and goes on with
 * an unset secret, so the handshake fails later at the AEAD; failing early here is the same outcome.
 */
import { createPublicKey, diffieHellman, randomBytes, type KeyObject } from 'node:crypto';
import { CryptoError } from './errors.js';
import { importOkpPrivate, rawOkpPublic } from './okp.js';

export class X25519Key {
  /** 32-byte private scalar as stored (unclamped bytes; clamping happens inside X25519). */
  readonly privateKey: Uint8Array;
  readonly publicKey: Uint8Array;
  readonly keyObject: KeyObject;

  constructor(privateKey: Uint8Array) {
    if (privateKey.length !== 32) throw new RangeError('X25519 private key must be 32 bytes');
    this.privateKey = Uint8Array.prototype.slice.call(privateKey);
    this.keyObject = importOkpPrivate('X25519', privateKey);
    this.publicKey = rawOkpPublic(this.keyObject);
  }

  static generate(): X25519Key {
    return new X25519Key(randomBytes(32));
  }

  /** Shared secret with a peer's 32-byte public key. Throws CryptoError on a low-order point. */
  dh(peerPublic: Uint8Array): Uint8Array {
    return x25519(this.keyObject, peerPublic);
  }
}

export function importX25519Public(pub: Uint8Array): KeyObject {
  if (pub.length !== 32) throw new CryptoError('BAD_KEY', 'X25519 public key must be 32 bytes');
  if (pub[31]! & 0x80) throw new CryptoError('BAD_KEY', 'X25519 public key has its top bit set');
  return createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: Buffer.from(pub).toString('base64url') }, format: 'jwk' });
}

export function x25519(priv: KeyObject, peerPublic: Uint8Array | KeyObject): Uint8Array {
  try {
    const publicKey = peerPublic instanceof Uint8Array ? importX25519Public(peerPublic) : peerPublic;
    const s = diffieHellman({ privateKey: priv, publicKey });
    return new Uint8Array(s.buffer, s.byteOffset, s.byteLength);
  } catch (e) {
    if (e instanceof CryptoError) throw e;
    throw new CryptoError('LOW_ORDER', 'X25519 failed (low-order or invalid point)', { cause: e });
  }
}
