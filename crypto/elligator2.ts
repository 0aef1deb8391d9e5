/**
 * Elligator2 over Curve25519, as used for the cleartext ephemeral keys of ECIES-X25519-AEAD-Ratchet
 * New Session and New Session Reply messages.
 *
 * Spec: ../shared/specs/spec/ecies.rst, section "2a) Elligator2" (ENCODE_ELG2 / DECODE_ELG2), and
 * Bernstein, Hamburg, Krasnova, Lange, "Elligator: elliptic-curve points indistinguishable from uniform
 * random strings" (2013), section 5. Ground truth for the exact conventions is i2pd 2.45.1
 * (libi2pd/Elligator.cpp, tests/test-elligator.cpp); this is an independent implementation of the math.
 *
 * ## The curve and the field
 *
 * Curve25519 is the Montgomery curve  v² = u³ + A·u² + u  over GF(p), p = 2^255 − 19, A = 486662.
 * X25519 public keys are the u coordinate, 32 bytes little-endian. Write g(u) = u³ + A·u² + u.
 *
 * - p ≡ 5 (mod 8), so 2 is a non-square mod p: Elligator2's non-square constant is Z = 2.
 * - p ≡ 1 (mod 4), so −1 is a square; sqrt(−1) = 2^((p−1)/4), because 2^((p−1)/2) = −1 (2 is a non-square).
 * - Legendre symbol (Euler's criterion): a^((p−1)/2) is 1 for a non-zero square, p−1 for a non-square, 0 for 0.
 * - Square root of a square a (p ≡ 5 mod 8): c = a^((p+3)/8) has c² = a·a^((p−1)/4) = ±a; if it is −a,
 *   c·sqrt(−1) is the root.
 *
 * ## Forward map (decode): representative r → u
 *
 *   v = −A / (1 + 2·r²)            (1 + 2r² ≠ 0: −1/2 is a non-square, since −1 is a square and 2 is not)
 *   u = v          if g(v) is a square
 *   u = −v − A     otherwise
 *
 * Why that works: −v − A = 2r²·v, and v and −v − A share v² + A·v + 1 (both equal 1 − v·(−v−A)), so
 * g(−v − A) = 2r²·g(v). As 2 is a non-square, for r ≠ 0 exactly one of the two is a square, i.e. exactly one of
 * v, −v − A is on the curve (the other is on the twist). g(v) is never 0: v ≠ 0, and v² + A·v + 1 has no root
 * because A² − 4 is a non-square for Curve25519. (r = 0 gives v = −A; g(−A) = −A is a non-square, so u = 0, the low-order point — i2pd decodes it the same way.)
 * This agrees with RFC 9380's map_to_curve_elligator2_curve25519 (x1 = v, x2 = 2r²·x1 = −v − A).
 *
 * ## Inverse map (encode): u → r
 *
 * A point u (with g(u) a square, i.e. on the curve, u ≠ 0, u ≠ −A) has a representative iff −2·u·(u + A)
 * is a square — about half of all public keys. It then has two, one per branch of the forward map:
 *
 *   r² = −u / (2·(u + A))     lands in the "−v − A" branch (v = −(u + A))        i2pd: highY = false
 *   r² = −(u + A) / (2·u)     lands in the "v" branch      (v = u)               i2pd: highY = true
 *
 * (Both right-hand sides are squares exactly when −2u(u+A) is, since each equals −2u(u+A) divided by a square.)
 * Of the two square roots ±r, i2pd takes the one in [0, (p−1)/2]; since (p−1)/2 = 2^254 − 10, the
 * representative always fits in 254 bits.
 *
 * ## Wire format (ecies.rst ENCODE_ELG2 / DECODE_ELG2)
 *
 * The 254-bit representative is written little-endian in 32 bytes, and 2 random bits are ORed into bits 6..7
 * of the last byte, so the 32 bytes are uniform. The decoder masks those two bits off first.
 *
 * ## i2pd conventions and where this file differs on inputs i2pd never meets in practice
 *
 * - Decode: after masking, i2pd REJECTS r > (p−1)/2 (9 values: 2^254 − 9 … 2^254 − 1) and drops the New
 *   Session message ("Can't decode elligator"). `elligator2Decode` throws CryptoError('ELLIGATOR_RANGE') there,
 *   so the garlic layer drops it the same way.
 * - Encode: i2pd, when generating (Encode with random = true), draws one random byte: bit 0 is highY, bits 6..7
 *   are the top bits. `generateElligatorKeyPair` does the same.
 * - Encode: i2pd reads the key as a 256-bit integer and reduces it mod p (OpenSSL BN arithmetic) — its own test
 *   vector key has the top bit set — so `elligator2Encode` does the same (not RFC 7748's top-bit masking); such
 *   a key decodes back to its canonical form u mod p. Real X25519 public keys are always < p.
 * - Encode: i2pd does not check that u is on the curve (it is, for any key it generates); `elligator2Encode`
 *   returns null for twist points and for u ≡ 0, u ≡ −A, because for those the representative would not
 *   decode back to u (or would divide by zero). For real X25519 public keys the output is identical to i2pd's.
 *
 * Not constant-time (bigint arithmetic; not required here): only public keys pass through, never private ones.
 */
import { CryptoError } from './errors.js';
import { systemRandom, type Random } from './random.js';
import { X25519Key } from './x25519.js';

/** p = 2^255 − 19 */
const P = (1n << 255n) - 19n;
/** Montgomery coefficient of Curve25519. */
const A = 486662n;
/** Elligator2 non-square constant Z (2 is a non-square because p ≡ 5 mod 8). */
const Z = 2n;
/** (p − 1)/2: Euler's criterion exponent, and the largest representative i2pd accepts / emits. */
const P_MINUS_1_HALF = (P - 1n) / 2n;
/** (p + 3)/8: square-root exponent for p ≡ 5 (mod 8). */
const P_PLUS_3_EIGHTH = (P + 3n) / 8n;
/** sqrt(−1) = 2^((p−1)/4). */
const SQRT_M1 = modPow(2n, (P - 1n) / 4n);

// ---- field helpers (private) ----

function mod(a: bigint): bigint {
  const r = a % P;
  return r < 0n ? r + P : r;
}

function modPow(base: bigint, exp: bigint): bigint {
  let result = 1n;
  let b = mod(base);
  let e = exp;
  while (e > 0n) {
    if (e & 1n) result = (result * b) % P;
    b = (b * b) % P;
    e >>= 1n;
  }
  return result;
}

/** Multiplicative inverse via Fermat: a^(p−2). a must be non-zero mod p. */
function inv(a: bigint): bigint {
  return modPow(a, P - 2n);
}

/** Legendre symbol (a | p): 1 for non-zero squares, −1 for non-squares, 0 for 0. */
function legendre(a: bigint): 1 | 0 | -1 {
  const e = modPow(a, P_MINUS_1_HALF);
  if (e === 1n) return 1;
  if (e === 0n) return 0;
  return -1;
}

/**
 * The square root of a (which must be a square) lying in [0, (p−1)/2], i.e. i2pd's choice of the two roots.
 */
function sqrtLow(a: bigint): bigint {
  let r = modPow(a, P_PLUS_3_EIGHTH); // r² = ±a
  if ((r * r) % P !== a) r = (r * SQRT_M1) % P; // r² was −a
  return r > P_MINUS_1_HALF ? P - r : r;
}

/** g(u) = u³ + A·u² + u = u·(u·(u + A) + 1). */
function curveRhs(u: bigint): bigint {
  return mod(u * mod(u * (u + A) + 1n));
}

function fromLE(bytes: Uint8Array): bigint {
  let n = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i]!);
  return n;
}

function toLE32(n: bigint): Uint8Array {
  const out = new Uint8Array(32);
  let x = n;
  for (let i = 0; i < 32; i++) {
    out[i] = Number(x & 0xffn);
    x >>= 8n;
  }
  return out;
}

// ---- public API ----

/**
 * DECODE_ELG2: 32-byte representative → 32-byte X25519 public key (u, little-endian).
 *
 * Bits 6..7 of the last byte are random padding and are masked off. Like i2pd, a masked representative above
 * (p−1)/2 is rejected: throws CryptoError('ELLIGATOR_RANGE') (network input: the caller drops the message).
 * Throws RangeError if the input is not 32 bytes.
 */
export function elligator2Decode(representative: Uint8Array): Uint8Array {
  if (representative.length !== 32) throw new RangeError('Elligator2 representative must be 32 bytes');
  const masked = Uint8Array.prototype.slice.call(representative);
  masked[31]! &= 0x3f;
  const r = fromLE(masked);
  if (r > P_MINUS_1_HALF) {
    throw new CryptoError('ELLIGATOR_RANGE', 'Elligator2 representative above (p-1)/2');
  }
  // v = −A / (1 + Z·r²); never a division by zero (see header).
  const v = mod(-A * inv(mod(1n + Z * r * r)));
  // Exactly one of v and −v − A is the u coordinate of a curve point; g(v) is never 0.
  const u = legendre(curveRhs(v)) === 1 ? v : mod(-v - A);
  return toLE32(u);
}

/**
 * ENCODE_ELG2: X25519 public key (u, little-endian) → 32-byte representative, or null if the key has none.
 *
 * `highY` picks one of the two representatives (i2pd's flag: false → r² = −u/(2(u+A)), true →
 * r² = −(u+A)/(2u)); both decode to the same public key. `randomTopBits` (0..3) is ORed into bits 6..7 of the
 * last byte; the caller supplies random bits on the wire (default 0 is for tests and vectors).
 *
 * Returns null for about half of all public keys (−2u(u+A) a non-square), and for inputs that are not valid
 * curve points (u ≡ 0, u ≡ −A, points on the twist). A non-canonical u ≥ p is reduced mod p, as in i2pd. Throws RangeError on misuse (length, top bits).
 */
export function elligator2Encode(publicKey: Uint8Array, highY: boolean, randomTopBits = 0): Uint8Array | null {
  if (publicKey.length !== 32) throw new RangeError('X25519 public key must be 32 bytes');
  if (!Number.isInteger(randomTopBits) || randomTopBits < 0 || randomTopBits > 3) {
    throw new RangeError('randomTopBits must be an integer in 0..3');
  }
  const u = mod(fromLE(publicKey)); // all 256 bits, reduced mod p, as i2pd does
  const uPlusA = mod(u + A);
  // u = 0 and u = −A would divide by zero; neither is a public key of any scalar we generate.
  // g(u) must be a square (point on the curve, not the twist), else the forward map lands elsewhere.
  // −2·u·(u + A) must be a square: that is the Elligator2 image condition.
  const valid = u !== 0n && uPlusA !== 0n && legendre(curveRhs(u)) === 1 && legendre(mod(-Z * u * uPlusA)) === 1;
  if (!valid) return null;

  const r2 = highY
    ? mod(-uPlusA * inv(mod(Z * u))) //       −(u + A) / (2u)      → decodes via v = u
    : mod(-u * inv(mod(Z * uPlusA))); //      −u / (2(u + A))      → decodes via v = −(u + A), u = −v − A
  const r = sqrtLow(r2);
  const out = toLE32(r); // r ≤ (p−1)/2 < 2^254: bits 254, 255 are zero
  out[31]! |= randomTopBits << 6;
  return out;
}

export interface ElligatorKeyPair {
  key: X25519Key;
  /** The 32 bytes that go on the wire in place of key.publicKey (random top bits and highY included). */
  representative: Uint8Array;
}

/** Each attempt succeeds with probability ~1/2; 2^-128 odds of ever hitting this bound with a working RNG. */
const MAX_ATTEMPTS = 128;

/**
 * GENERATE_PRIVATE_ELG2 + ENCODE_ELG2: draw random X25519 private keys until the public key has an Elligator2
 * representative. As i2pd's Encode(random = true) does, one random byte decides both highY (bit 0) and the two
 * top bits (bits 6..7) — the receiver decodes either representative to the same key, so highY is pure padding.
 *
 * Throws Error if no encodable key is found in 128 attempts (a broken RNG).
 */
export function generateElligatorKeyPair(random: Random = systemRandom): ElligatorKeyPair {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const key = new X25519Key(random.bytes(32));
    const rnd = random.bytes(1)[0]!;
    const representative = elligator2Encode(key.publicKey, (rnd & 0x01) !== 0, rnd >> 6);
    if (representative !== null) return { key, representative };
  }
  throw new Error(`no Elligator2-encodable X25519 key in ${MAX_ATTEMPTS} attempts: is the RNG broken?`);
}
