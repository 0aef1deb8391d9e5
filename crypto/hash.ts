/**
 * SHA-256, HMAC-SHA256 and HKDF (RFC 5869) on node:crypto.
 * I2P uses HKDF with HMAC-SHA256 throughout (spec/ntcp2.rst "KDF", spec/ecies.rst).
 */
import { createHash, createHmac } from 'node:crypto';

export function sha256(...parts: Uint8Array[]): Uint8Array {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}

export function hmacSha256(key: Uint8Array, ...parts: Uint8Array[]): Uint8Array {
  const h = createHmac('sha256', key);
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}

const utf8 = new TextEncoder();

/**
 * HKDF-SHA256 extract+expand. `salt` is the chaining key in Noise terms; `info` may be empty.
 * Returns `length` bytes (at most 255*32).
 */
export function hkdf(salt: Uint8Array, ikm: Uint8Array, info: Uint8Array | string, length: number): Uint8Array {
  if (length < 0 || length > 255 * 32) throw new RangeError('hkdf length');
  const inf = typeof info === 'string' ? utf8.encode(info) : info;
  const prk = hmacSha256(salt, ikm);
  const out = new Uint8Array(length);
  let prev: Uint8Array = new Uint8Array(0);
  for (let i = 0, o = 0; o < length; i++) {
    prev = hmacSha256(prk, prev, inf, Uint8Array.of(i + 1));
    out.set(prev.subarray(0, Math.min(32, length - o)), o);
    o += 32;
  }
  return out;
}
