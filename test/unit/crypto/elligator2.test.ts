/**
 * Elligator2 (crypto/elligator2.ts): i2pd 2.45.1 vectors (tests/test-elligator.cpp, via
 * ../shared/vectors/elligator2.json), round-trip properties, and a differential test of the forward map
 * against @noble/curves' RFC 9380 map_to_curve_elligator2_curve25519.
 */
import test from 'ava';
import fc from 'fast-check';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { _map_to_curve_elligator2_curve25519 } from '@noble/curves/ed25519.js';
import { elligator2Decode, elligator2Encode, generateElligatorKeyPair } from '../../../crypto/elligator2.js';
import { CryptoError } from '../../../crypto/errors.js';
import type { Random } from '../../../crypto/random.js';
import { X25519Key } from '../../../crypto/x25519.js';
import { equalBytes, fromHex, toHex } from '../../../data/bytes.js';

interface Vectors {
  encode: { key: string; highY: boolean; representative: string }[];
  decode: { representative: string; key: string }[];
  encodeFails: { key: string }[];
}
const vectors = JSON.parse(
  readFileSync(new URL('../../../../shared/vectors/elligator2.json', import.meta.url), 'utf8'),
) as Vectors;

const P = (1n << 255n) - 19n;
const A = 486662n;
const HALF = (P - 1n) / 2n;

function modPow(b: bigint, e: bigint): bigint {
  let r = 1n;
  b %= P;
  while (e > 0n) {
    if (e & 1n) r = (r * b) % P;
    b = (b * b) % P;
    e >>= 1n;
  }
  return r;
}
const isSquare = (a: bigint): boolean => modPow(((a % P) + P) % P, HALF) === 1n;
const g = (u: bigint): bigint => (((u * u * u + A * u * u + u) % P) + P) % P;

function le(n: bigint): Uint8Array {
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) out[i] = Number((n >> BigInt(8 * i)) & 0xffn);
  return out;
}
function fromLE(b: Uint8Array): bigint {
  let n = 0n;
  for (let i = 31; i >= 0; i--) n = (n << 8n) | BigInt(b[i]!);
  return n;
}

/** u coordinate from noble's RFC 9380 map of field element r, as 32 bytes little-endian. */
function nobleMap(r: bigint): Uint8Array {
  const { xMn, xMd } = _map_to_curve_elligator2_curve25519(r);
  return le((xMn * modPow(xMd, P - 2n)) % P);
}

/** Deterministic Random: SHA-256 in counter mode over a seed. */
function seededRandom(seed: string): Random {
  let counter = 0;
  let pool = new Uint8Array(0);
  const bytes = (n: number): Uint8Array => {
    while (pool.length < n) {
      const block = createHash('sha256').update(`${seed}/${counter++}`).digest();
      const next = new Uint8Array(pool.length + block.length);
      next.set(pool);
      next.set(block, pool.length);
      pool = next;
    }
    const out = pool.slice(0, n);
    pool = pool.slice(n);
    return out;
  };
  return {
    bytes,
    int: (min, max) => min + (new DataView(bytes(4).buffer).getUint32(0) % (max - min)),
  };
}

// ---- i2pd vectors ----

test('encode: i2pd vectors (highY false and true, no random bits)', (t) => {
  t.true(vectors.encode.length >= 2);
  for (const v of vectors.encode) {
    const rep = elligator2Encode(fromHex(v.key), v.highY);
    t.not(rep, null);
    t.is(toHex(rep!), v.representative, `highY=${v.highY}`);
  }
});

// i2pd's encode vector key has its top bit set (u ≥ 2^255 > p); i2pd reduces it mod p before encoding, so the
// representative decodes to the canonical u mod p.
const canonical = (hex: string): string => toHex(le(fromLE(fromHex(hex)) % P));

test('encode: i2pd vector representatives decode back to the key (mod p)', (t) => {
  t.not(canonical(vectors.encode[0]!.key), vectors.encode[0]!.key); // the vector really is non-canonical
  for (const v of vectors.encode) t.is(toHex(elligator2Decode(fromHex(v.representative))), canonical(v.key));
});

test('encode: a non-canonical key encodes like its reduction mod p', (t) => {
  for (const v of vectors.encode) {
    t.is(toHex(elligator2Encode(fromHex(canonical(v.key)), v.highY)!), v.representative);
  }
});

test('encode: random top bits go into bits 6..7 of the last byte only', (t) => {
  for (const v of vectors.encode) {
    const base = fromHex(v.representative);
    for (let bits = 0; bits < 4; bits++) {
      const rep = elligator2Encode(fromHex(v.key), v.highY, bits)!;
      const expected = base.slice();
      expected[31]! |= bits << 6;
      t.is(toHex(rep), toHex(expected));
      t.is(rep[31]! >> 6, bits);
      t.is(toHex(elligator2Decode(rep)), canonical(v.key));
    }
  }
});

test('decode: i2pd vectors', (t) => {
  t.true(vectors.decode.length >= 3);
  for (const v of vectors.decode) t.is(toHex(elligator2Decode(fromHex(v.representative))), v.key);
});

test('decode: the two top bits are ignored', (t) => {
  for (const v of vectors.decode) {
    for (let bits = 0; bits < 4; bits++) {
      const rep = fromHex(v.representative);
      rep[31] = (rep[31]! & 0x3f) | (bits << 6);
      t.is(toHex(elligator2Decode(rep)), v.key);
    }
  }
});

test('decode does not modify its input', (t) => {
  const rep = fromHex('95a16019041dbefed9832048ede11928d90365f24a38aa7aef1b97e23954101b');
  rep[31]! |= 0xc0;
  const copy = rep.slice();
  elligator2Decode(rep);
  t.true(equalBytes(rep, copy));
});

test('encode: i2pd encodeFails vectors return null for both highY', (t) => {
  t.true(vectors.encodeFails.length >= 1);
  for (const v of vectors.encodeFails) {
    t.is(elligator2Encode(fromHex(v.key), false), null);
    t.is(elligator2Encode(fromHex(v.key), true), null);
    // and the reason is the Elligator2 image condition, not some other rejection
    const u = fromLE(fromHex(v.key));
    t.false(isSquare(-2n * u * (u + A)));
  }
});

// ---- range boundary (i2pd rejects masked r > (p-1)/2) ----

test('decode: (p-1)/2 is accepted, (p-1)/2 + 1 .. 2^254 - 1 are rejected like i2pd', (t) => {
  t.notThrows(() => elligator2Decode(le(HALF))); // also the i2pd vector f6ff..ff3f
  for (const r of [HALF + 1n, HALF + 5n, (1n << 254n) - 1n]) {
    for (const bits of [0, 3]) {
      const rep = le(r);
      rep[31]! |= bits << 6;
      const err = t.throws(() => elligator2Decode(rep), { instanceOf: CryptoError });
      t.is(err?.code, 'ELLIGATOR_RANGE');
    }
  }
});

test('decode: r = 0 maps to u = 0, as the formulas give', (t) => {
  t.is(toHex(elligator2Decode(new Uint8Array(32))), '00'.repeat(32));
});

// ---- properties ----

const privateKey = fc.uint8Array({ minLength: 32, maxLength: 32 });

test('property: encode(pub) non-null ⇒ decode(encode(pub)) = pub, for both highY and all top bits', (t) => {
  let encodable = 0;
  fc.assert(
    fc.property(privateKey, fc.integer({ min: 0, max: 3 }), (priv, bits) => {
      const pub = new X25519Key(priv).publicKey;
      const lo = elligator2Encode(pub, false, bits);
      const hi = elligator2Encode(pub, true, bits);
      // encodability does not depend on highY
      if ((lo === null) !== (hi === null)) return false;
      if (lo === null || hi === null) return true;
      encodable++;
      return (
        equalBytes(elligator2Decode(lo), pub) &&
        equalBytes(elligator2Decode(hi), pub) &&
        !equalBytes(lo, hi) &&
        lo[31]! >> 6 === bits &&
        hi[31]! >> 6 === bits &&
        // both representatives are the low square root (≤ (p-1)/2) after masking
        fromLE(mask(lo)) <= HALF &&
        fromLE(mask(hi)) <= HALF
      );
    }),
    { numRuns: 200 },
  );
  // guard against a vacuous pass: about half of the 200 keys must have been encodable
  t.true(encodable > 50 && encodable < 150, `encodable: ${encodable}/200`);
});

function mask(rep: Uint8Array): Uint8Array {
  const m = rep.slice();
  m[31]! &= 0x3f;
  return m;
}

test('property: encode output also decodes to pub under noble’s RFC 9380 map (independent decoder)', (t) => {
  let checked = 0;
  fc.assert(
    fc.property(privateKey, fc.boolean(), (priv, highY) => {
      const pub = new X25519Key(priv).publicKey;
      const rep = elligator2Encode(pub, highY);
      if (rep === null) return true;
      checked++;
      return equalBytes(nobleMap(fromLE(rep)), pub);
    }),
    { numRuns: 100 },
  );
  t.true(checked > 20, `checked ${checked}`);
});

test('property: encodable iff −2u(u+A) is a square, for real public keys', (t) => {
  fc.assert(
    fc.property(privateKey, (priv) => {
      const pub = new X25519Key(priv).publicKey;
      const u = fromLE(pub);
      return (elligator2Encode(pub, false) !== null) === isSquare(-2n * u * (u + A));
    }),
    { numRuns: 100 },
  );
  t.pass();
});

test('differential: decode = noble map_to_curve_elligator2_curve25519 for random r in [0, (p-1)/2]', (t) => {
  fc.assert(
    fc.property(fc.bigInt({ min: 0n, max: HALF }), fc.integer({ min: 0, max: 3 }), (r, bits) => {
      const rep = le(r);
      rep[31]! |= bits << 6;
      return equalBytes(elligator2Decode(rep), nobleMap(r));
    }),
    { numRuns: 500 },
  );
  // and at the edges of the range
  for (const r of [0n, 1n, 2n, HALF - 1n, HALF]) t.is(toHex(elligator2Decode(le(r))), toHex(nobleMap(r)));
});

test('property: decoded keys are on the curve (g(u) square or u = 0)', (t) => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (rep) => {
      let u: bigint;
      try {
        u = fromLE(elligator2Decode(rep));
      } catch (e) {
        return e instanceof CryptoError && fromLE(mask(rep)) > HALF;
      }
      return u < P && (u === 0n || isSquare(g(u)));
    }),
    { numRuns: 300 },
  );
  t.pass();
});

// ---- inputs that are not valid curve points ----

test('encode: null for u ≡ 0, u ≡ −A, and twist points', (t) => {
  for (const u of [0n, P, P - A]) {
    t.is(elligator2Encode(le(u), false), null);
    t.is(elligator2Encode(le(u), true), null);
  }
  // a twist point (g(u) non-square) that passes the −2u(u+A) test: the map could not return it
  let w = 2n;
  while (isSquare(g(w)) || !isSquare(-2n * w * (w + A))) w++;
  t.is(elligator2Encode(le(w), false), null);
  t.is(elligator2Encode(le(w), true), null);
});

test('misuse throws RangeError', (t) => {
  const key = fromHex(vectors.encode[0]!.key);
  t.throws(() => elligator2Decode(new Uint8Array(31)), { instanceOf: RangeError });
  t.throws(() => elligator2Decode(new Uint8Array(33)), { instanceOf: RangeError });
  t.throws(() => elligator2Encode(new Uint8Array(31), false), { instanceOf: RangeError });
  t.throws(() => elligator2Encode(key, false, 4), { instanceOf: RangeError });
  t.throws(() => elligator2Encode(key, false, -1), { instanceOf: RangeError });
  t.throws(() => elligator2Encode(key, false, 1.5), { instanceOf: RangeError });
});

// ---- key generation ----

test('generateElligatorKeyPair: representative decodes to key.publicKey and DH agrees', (t) => {
  const peer = X25519Key.generate();
  for (let i = 0; i < 16; i++) {
    const { key, representative } = generateElligatorKeyPair();
    t.is(representative.length, 32);
    const decoded = elligator2Decode(representative);
    t.is(toHex(decoded), toHex(key.publicKey));
    t.is(toHex(peer.dh(decoded)), toHex(key.dh(peer.publicKey)));
  }
});

test('generateElligatorKeyPair: uses both highY choices and all four top-bit values', (t) => {
  const highYs = new Set<boolean>();
  const tops = new Set<number>();
  for (let i = 0; i < 64; i++) {
    const { key, representative } = generateElligatorKeyPair();
    tops.add(representative[31]! >> 6);
    const masked = toHex(mask(representative));
    if (masked === toHex(elligator2Encode(key.publicKey, true)!)) highYs.add(true);
    else if (masked === toHex(elligator2Encode(key.publicKey, false)!)) highYs.add(false);
    else t.fail('representative is neither of the two encodings');
  }
  t.deepEqual([...highYs].sort(), [false, true]);
  t.deepEqual([...tops].sort(), [0, 1, 2, 3]);
});

test('generateElligatorKeyPair: deterministic under a seeded Random', (t) => {
  const a = generateElligatorKeyPair(seededRandom('clove'));
  const b = generateElligatorKeyPair(seededRandom('clove'));
  const c = generateElligatorKeyPair(seededRandom('other'));
  t.is(toHex(a.key.privateKey), toHex(b.key.privateKey));
  t.is(toHex(a.representative), toHex(b.representative));
  t.not(toHex(a.key.privateKey), toHex(c.key.privateKey));
});

test('generateElligatorKeyPair: gives up (throws) with an RNG that only yields unencodable keys', (t) => {
  const rng = seededRandom('find-unencodable');
  let bad: Uint8Array | undefined;
  while (!bad) {
    const priv = rng.bytes(32);
    if (elligator2Encode(new X25519Key(priv).publicKey, false) === null) bad = priv;
  }
  const stuck: Random = { bytes: (n) => (n === 32 ? bad.slice() : new Uint8Array(n)), int: (min) => min };
  t.throws(() => generateElligatorKeyPair(stuck), { message: /attempts/ });
});
