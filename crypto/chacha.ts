/**
 * ChaCha20-Poly1305 AEAD (RFC 8439) on node:crypto, with the 12-byte nonce that Noise builds from a
 * 64-bit counter (4 zero bytes || counter little-endian), as NTCP2/SSU2/ratchet use it.
 * A bad tag throws CryptoError('BAD_TAG').
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { CryptoError } from './errors.js';

export const TAG_LENGTH = 16;

const MAX_COUNTER = (1n << 64n) - 1n;

/** Throws RangeError outside 0..2^64-1: a wrapped counter would reuse a nonce. */
export function nonceFromCounter(n: number | bigint): Uint8Array {
  const v = BigInt(n);
  if (v < 0n || v > MAX_COUNTER) throw new RangeError('nonce counter out of range 0..2^64-1');
  const nonce = new Uint8Array(12);
  new DataView(nonce.buffer).setBigUint64(4, v, true);
  return nonce;
}

function check(key: Uint8Array, nonce: Uint8Array): void {
  if (key.length !== 32) throw new RangeError('ChaCha20-Poly1305 key must be 32 bytes');
  if (nonce.length !== 12) throw new RangeError('ChaCha20-Poly1305 nonce must be 12 bytes');
}

export function chachaEncrypt(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, ad?: Uint8Array): Uint8Array {
  check(key, nonce);
  const c = createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: TAG_LENGTH });
  if (ad && ad.length) c.setAAD(ad, { plaintextLength: plaintext.length });
  const out = new Uint8Array(plaintext.length + TAG_LENGTH);
  const body = c.update(plaintext);
  out.set(body, 0);
  const fin = c.final();
  out.set(fin, body.length);
  out.set(c.getAuthTag(), plaintext.length);
  return out;
}

export function chachaDecrypt(key: Uint8Array, nonce: Uint8Array, ciphertext: Uint8Array, ad?: Uint8Array): Uint8Array {
  check(key, nonce);
  if (ciphertext.length < TAG_LENGTH) throw new CryptoError('BAD_TAG', 'ciphertext shorter than tag');
  const n = ciphertext.length - TAG_LENGTH;
  const d = createDecipheriv('chacha20-poly1305', key, nonce, { authTagLength: TAG_LENGTH });
  d.setAuthTag(ciphertext.subarray(n));
  if (ad && ad.length) d.setAAD(ad, { plaintextLength: n });
  const out = new Uint8Array(n);
  const body = d.update(ciphertext.subarray(0, n));
  out.set(body, 0);
  try {
    const fin = d.final();
    out.set(fin, body.length);
  } catch (e) {
    throw new CryptoError('BAD_TAG', 'ChaCha20-Poly1305 authentication failed', { cause: e });
  }
  return out;
}
