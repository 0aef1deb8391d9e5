/**
 * SipHash-2-4 with a 64-bit output (Aumasson & Bernstein, "SipHash: a fast short-input PRF", 2012),
 * as NTCP2 uses it to obfuscate data-phase frame lengths
 * (../shared/specs/spec/ntcp2.rst "SipHash obfuscated length"; i2pd libi2pd/Siphash.h, NTCP2.cpp).
 *
 * The 64-bit words are kept as pairs of uint32 halves (no bigint on the per-frame path).
 * Key: 16 bytes, k0 = key[0..8] little-endian, k1 = key[8..16] little-endian (the reference layout; NTCP2's
 * sipkeys[0:16]). Output: the 64-bit result as 8 little-endian bytes (reference `vectors_sip64`).
 */

// State: v0..v3 as [hi, lo] in one Uint32Array: v0 = s[0],s[1]; v1 = s[2],s[3]; v2 = s[4],s[5]; v3 = s[6],s[7].

function sipRound(s: Uint32Array): void {
  let v0h = s[0]!, v0l = s[1]!, v1h = s[2]!, v1l = s[3]!, v2h = s[4]!, v2l = s[5]!, v3h = s[6]!, v3l = s[7]!;
  let t: number;
  // v0 += v1
  t = (v0l + v1l) >>> 0; v0h = (v0h + v1h + (t < v0l ? 1 : 0)) >>> 0; v0l = t;
  // v1 = rotl(v1, 13)
  t = ((v1h << 13) | (v1l >>> 19)) >>> 0; v1l = ((v1l << 13) | (v1h >>> 19)) >>> 0; v1h = t;
  // v1 ^= v0
  v1h = (v1h ^ v0h) >>> 0; v1l = (v1l ^ v0l) >>> 0;
  // v0 = rotl(v0, 32)
  t = v0h; v0h = v0l; v0l = t;
  // v2 += v3
  t = (v2l + v3l) >>> 0; v2h = (v2h + v3h + (t < v2l ? 1 : 0)) >>> 0; v2l = t;
  // v3 = rotl(v3, 16)
  t = ((v3h << 16) | (v3l >>> 16)) >>> 0; v3l = ((v3l << 16) | (v3h >>> 16)) >>> 0; v3h = t;
  // v3 ^= v2
  v3h = (v3h ^ v2h) >>> 0; v3l = (v3l ^ v2l) >>> 0;
  // v0 += v3
  t = (v0l + v3l) >>> 0; v0h = (v0h + v3h + (t < v0l ? 1 : 0)) >>> 0; v0l = t;
  // v3 = rotl(v3, 21)
  t = ((v3h << 21) | (v3l >>> 11)) >>> 0; v3l = ((v3l << 21) | (v3h >>> 11)) >>> 0; v3h = t;
  // v3 ^= v0
  v3h = (v3h ^ v0h) >>> 0; v3l = (v3l ^ v0l) >>> 0;
  // v2 += v1
  t = (v2l + v1l) >>> 0; v2h = (v2h + v1h + (t < v2l ? 1 : 0)) >>> 0; v2l = t;
  // v1 = rotl(v1, 17)
  t = ((v1h << 17) | (v1l >>> 15)) >>> 0; v1l = ((v1l << 17) | (v1h >>> 15)) >>> 0; v1h = t;
  // v1 ^= v2
  v1h = (v1h ^ v2h) >>> 0; v1l = (v1l ^ v2l) >>> 0;
  // v2 = rotl(v2, 32)
  t = v2h; v2h = v2l; v2l = t;
  s[0] = v0h; s[1] = v0l; s[2] = v1h; s[3] = v1l; s[4] = v2h; s[5] = v2l; s[6] = v3h; s[7] = v3l;
}

function le32(b: Uint8Array, o: number): number {
  return (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;
}

/** Absorb one 64-bit message word m = (mh, ml): v3 ^= m; 2 rounds; v0 ^= m. */
function compress(s: Uint32Array, mh: number, ml: number): void {
  s[6] = (s[6]! ^ mh) >>> 0; s[7] = (s[7]! ^ ml) >>> 0;
  sipRound(s);
  sipRound(s);
  s[0] = (s[0]! ^ mh) >>> 0; s[1] = (s[1]! ^ ml) >>> 0;
}

/** v2 ^= 0xff; 4 rounds; return v0^v1^v2^v3 written as 8 LE bytes into out[o..o+8]. */
function finalize(s: Uint32Array, out: Uint8Array, o: number): void {
  s[5] = (s[5]! ^ 0xff) >>> 0;
  sipRound(s);
  sipRound(s);
  sipRound(s);
  sipRound(s);
  const h = (s[0]! ^ s[2]! ^ s[4]! ^ s[6]!) >>> 0;
  const l = (s[1]! ^ s[3]! ^ s[5]! ^ s[7]!) >>> 0;
  out[o] = l; out[o + 1] = l >>> 8; out[o + 2] = l >>> 16; out[o + 3] = l >>> 24;
  out[o + 4] = h; out[o + 5] = h >>> 8; out[o + 6] = h >>> 16; out[o + 7] = h >>> 24;
}

/** A SipHash-2-4 keyed instance (key schedule done once). */
export class SipHash24 {
  private readonly k0h: number;
  private readonly k0l: number;
  private readonly k1h: number;
  private readonly k1l: number;
  private readonly s = new Uint32Array(8);

  constructor(key: Uint8Array) {
    if (key.length !== 16) throw new RangeError('SipHash key must be 16 bytes');
    this.k0l = le32(key, 0);
    this.k0h = le32(key, 4);
    this.k1l = le32(key, 8);
    this.k1h = le32(key, 12);
  }

  private init(): Uint32Array {
    const s = this.s;
    // "somepseudorandomlygeneratedbytes" constants xored with the key
    s[0] = (0x736f6d65 ^ this.k0h) >>> 0; s[1] = (0x70736575 ^ this.k0l) >>> 0;
    s[2] = (0x646f7261 ^ this.k1h) >>> 0; s[3] = (0x6e646f6d ^ this.k1l) >>> 0;
    s[4] = (0x6c796765 ^ this.k0h) >>> 0; s[5] = (0x6e657261 ^ this.k0l) >>> 0;
    s[6] = (0x74656462 ^ this.k1h) >>> 0; s[7] = (0x79746573 ^ this.k1l) >>> 0;
    return s;
  }

  /** SipHash-2-4 of msg, as 8 little-endian bytes (written into `out` at `offset` when given). */
  hash(msg: Uint8Array, out: Uint8Array = new Uint8Array(8), offset = 0): Uint8Array {
    const s = this.init();
    const len = msg.length;
    const full = len - (len % 8);
    for (let i = 0; i < full; i += 8) compress(s, le32(msg, i + 4), le32(msg, i));
    // last word: remaining bytes little-endian, length mod 256 in the top byte
    let bl = 0;
    let bh = ((len & 0xff) << 24) >>> 0;
    const left = len - full;
    for (let j = 0; j < left; j++) {
      const byte = msg[full + j]!;
      if (j < 4) bl = (bl | (byte << (8 * j))) >>> 0;
      else bh = (bh | (byte << (8 * (j - 4)))) >>> 0;
    }
    compress(s, bh, bl);
    finalize(s, out, offset);
    return out;
  }
}

/** One-shot SipHash-2-4: 8 little-endian output bytes. */
export function siphash24(key: Uint8Array, msg: Uint8Array): Uint8Array {
  return new SipHash24(key).hash(msg);
}

/**
 * The NTCP2 length-obfuscation chain for one direction: IV[n] = SipHash-2-4(k1||k2, IV[n-1]);
 * mask[n] = the least significant 16 bits of IV[n] read as a little-endian integer
 * (i2pd: `le16toh(iv.key)`), XORed with the big-endian length on the wire.
 */
export class SipHashLengthMask {
  private readonly sip: SipHash24;
  private readonly iv: Uint8Array;

  /** key: 16 bytes (sipkeys[0:16]), iv: 8 bytes (sipkeys[16:24]); both copied. */
  constructor(key: Uint8Array, iv: Uint8Array) {
    if (iv.length !== 8) throw new RangeError('SipHash IV must be 8 bytes');
    this.sip = new SipHash24(key);
    this.iv = Uint8Array.prototype.slice.call(iv);
  }

  /** Advance the IV and return the next 16-bit mask. */
  next(): number {
    this.sip.hash(this.iv, this.iv, 0);
    return this.iv[0]! | (this.iv[1]! << 8);
  }
}
