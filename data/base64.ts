/**
 * I2P base64 and base32.
 *
 * Spec: ../shared/specs/spec/common-structures.rst (references I2P base64 throughout; the alphabet is the
 * RFC 4648 one with '-' for '+' and '~' for '/', padded with '='), ../shared/specs/spec/b32encrypted.rst and
 * docs "Naming" for `<52 chars>.b32.i2p` (RFC 4648 base32, lowercase, no padding, of the SHA-256 of a
 * Destination). i2pd 2.45.1 libi2pd/Base.cpp uses the same tables.
 *
 * Decoding is strict (stricter than i2pd, which maps unknown characters to garbage): the length must be a
 * multiple of 4, only alphabet characters, at most two '=' and only at the end, and the unused low bits of
 * the last character must be zero (the canonical encoding). Anything else is ParseError('BAD_BASE64').
 */
import { ParseError } from './errors.js';

const B64_RE = /^[A-Za-z0-9~-]*={0,2}$/;

/** Encode bytes as I2P base64 (padded). */
export function toBase64(bytes: Uint8Array): string {
  const s = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
  return s.replace(/[+/]/g, (c) => (c === '+' ? '-' : '~'));
}

/** Decode I2P base64 strictly; throws ParseError('BAD_BASE64') on anything non-canonical. */
export function fromBase64(s: string, path = 'base64'): Uint8Array {
  if (s.length % 4 !== 0) throw new ParseError('BAD_BASE64', path, s.length, 'length is not a multiple of 4');
  if (!B64_RE.test(s)) {
    let at = 0;
    while (at < s.length && /[A-Za-z0-9~-]/.test(s[at]!)) at++;
    throw new ParseError('BAD_BASE64', path, at, 'invalid base64 character or padding');
  }
  const std = s.replace(/[-~]/g, (c) => (c === '-' ? '+' : '/'));
  const out = new Uint8Array(Buffer.from(std, 'base64'));
  // Reject non-zero unused bits: the canonical encoding of the decoded bytes must give back the input.
  if (toBase64(out) !== s) throw new ParseError('BAD_BASE64', path, s.length - 1, 'non-canonical base64');
  return out;
}

const B32 = 'abcdefghijklmnopqrstuvwxyz234567';

/** RFC 4648 base32, lowercase, no padding. */
export function toBase32(bytes: Uint8Array): string {
  let out = '';
  let acc = 0;
  let bits = 0;
  for (const b of bytes) {
    acc = (acc << 8) | b;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += B32[(acc >>> bits) & 31];
    }
    acc &= (1 << bits) - 1;
  }
  if (bits > 0) out += B32[(acc << (5 - bits)) & 31];
  return out;
}

/**
 * Decode lowercase unpadded base32 strictly: only [a-z2-7], a length that an encoding can have, and zero
 * trailing bits. Throws ParseError('BAD_BASE32').
 */
export function fromBase32(s: string, path = 'base32'): Uint8Array {
  const rem = s.length % 8;
  if (rem === 1 || rem === 3 || rem === 6) throw new ParseError('BAD_BASE32', path, s.length, 'impossible base32 length');
  const out = new Uint8Array(Math.floor((s.length * 5) / 8));
  let acc = 0;
  let bits = 0;
  let o = 0;
  for (let i = 0; i < s.length; i++) {
    const v = B32.indexOf(s[i]!);
    if (v < 0) throw new ParseError('BAD_BASE32', path, i, 'invalid base32 character');
    acc = ((acc << 5) | v) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >>> bits) & 0xff;
    }
  }
  if ((acc & ((1 << bits) - 1)) !== 0) throw new ParseError('BAD_BASE32', path, s.length - 1, 'non-zero trailing bits');
  return out;
}

/** `<52 chars>.b32.i2p` for a 32-byte destination hash (SHA-256 of the Destination). */
export function b32Address(destHash: Uint8Array): string {
  if (destHash.length !== 32) throw new RangeError('destination hash must be 32 bytes');
  return `${toBase32(destHash)}.b32.i2p`;
}
