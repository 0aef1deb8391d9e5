/**
 * X25519 (RFC 7748) on node:crypto.
 *
 * Own keys are created from 32 random bytes (generateKeyPairSync + JWK export deadlocks on Node 20) and
 * imported once via PKCS#8; peer public keys are imported as JWK, which is far cheaper than DER.
 * A low-order peer point makes node throw: `x25519` rethrows that as CryptoError('LOW_ORDER'), a failed
 * handshake, never a crash.
 */
import { createPrivateKey, createPublicKey, diffieHellman, randomBytes, type KeyObject } from 'node:crypto';
import { CryptoError } from './errors.js';

const PKCS8_X25519 = Buffer.from('302e020100300506032b656e04220420', 'hex');

export class X25519Key {
  /** 32-byte private scalar as stored (unclamped bytes; clamping happens inside X25519). */
  readonly privateKey: Uint8Array;
  readonly publicKey: Uint8Array;
  readonly keyObject: KeyObject;

  constructor(privateKey: Uint8Array) {
    if (privateKey.length !== 32) throw new RangeError('X25519 private key must be 32 bytes');
    this.privateKey = Uint8Array.prototype.slice.call(privateKey);
    this.keyObject = createPrivateKey({ key: Buffer.concat([PKCS8_X25519, privateKey]), format: 'der', type: 'pkcs8' });
    const spki = createPublicKey(this.keyObject).export({ format: 'der', type: 'spki' });
    this.publicKey = new Uint8Array(spki.subarray(spki.length - 32));
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
