/**
 * DSA-SHA1 verification (crypto/dsa.ts) against an independent reference: DSA signing written here with
 * BigInt over the spec's p, q, g (../shared/specs/spec/cryptography.rst "DSA"), the textbook FIPS 186 equations.
 */
import test from 'ava';
import { createHash, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { DSA_G, DSA_P, DSA_Q, dsaVerify } from '../../../crypto/dsa.js';
import { SigType, verifySignature, canVerify } from '../../../data/key-types.js';
import { parseRepliableDatagram } from '../../../client/datagram.js';

const big = (b: Uint8Array) => BigInt('0x' + (Buffer.from(b).toString('hex') || '0'));
const P = big(DSA_P);
const Q = big(DSA_Q);
const G = big(DSA_G);

function modPow(b: bigint, e: bigint, m: bigint): bigint {
  let r = 1n;
  b %= m;
  for (; e > 0n; e >>= 1n, b = (b * b) % m) if (e & 1n) r = (r * b) % m;
  return r;
}
const modInv = (a: bigint, m: bigint) => modPow(a, m - 2n, m); // q is prime
function fixed(n: bigint, len: number): Uint8Array {
  return Uint8Array.from(Buffer.from(n.toString(16).padStart(len * 2, '0'), 'hex'));
}
function randomBelow(m: bigint): bigint {
  for (;;) {
    const v = big(randomBytes(20));
    if (v > 0n && v < m) return v;
  }
}

function keyPair(): { x: bigint; y: Uint8Array } {
  const x = randomBelow(Q);
  return { x, y: fixed(modPow(G, x, P), 128) };
}

function sign(x: bigint, msg: Uint8Array): Uint8Array {
  const h = big(createHash('sha1').update(msg).digest());
  for (;;) {
    const k = randomBelow(Q);
    const r = modPow(G, k, P) % Q;
    const s = (modInv(k, Q) * (h + x * r)) % Q;
    if (r !== 0n && s !== 0n) return Uint8Array.from([...fixed(r, 20), ...fixed(s, 20)]);
  }
}

test('the spec parameters are consistent: q divides p - 1, g has order q', (t) => {
  t.is((P - 1n) % Q, 0n);
  t.is(modPow(G, Q, P), 1n);
  t.is(DSA_P.length, 128);
  t.is(DSA_Q.length, 20);
});

test('signatures made by the reference verify; any changed bit fails', (t) => {
  const { x, y } = keyPair();
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 600 }), fc.nat(), (msg, bit) => {
      const sig = sign(x, msg);
      if (!dsaVerify(y, msg, sig)) return false;
      if (!verifySignature(SigType.DSA_SHA1, y, msg, sig)) return false;
      const bad = Uint8Array.from(sig);
      bad[bit % 40]! ^= 1 << (bit % 8);
      const badMsg = Uint8Array.from([...msg, 1]);
      return !dsaVerify(y, msg, bad) && !dsaVerify(y, badMsg, sig);
    }),
    { numRuns: 40 },
  );
  t.true(canVerify(SigType.DSA_SHA1));
});

test('another key, wrong lengths, zero and out-of-range values: false, never a throw', (t) => {
  const a = keyPair();
  const b = keyPair();
  const msg = randomBytes(100);
  const sig = sign(a.x, msg);
  t.false(dsaVerify(b.y, msg, sig));
  t.false(dsaVerify(a.y.subarray(1), msg, sig));
  t.false(dsaVerify(a.y, msg, sig.subarray(1)));
  t.false(dsaVerify(a.y, msg, new Uint8Array(40)));
  t.false(dsaVerify(new Uint8Array(128), msg, sig));
  t.false(dsaVerify(new Uint8Array(128).fill(0xff), msg, sig));
  t.false(dsaVerify(a.y, msg, new Uint8Array(40).fill(0xff)));
});

test('a repliable datagram from a DSA destination (i2pd SAM default) verifies: the signature is over SHA-256(payload)', (t) => {
  const { x, y } = keyPair();
  // KeysAndCert: 256-byte ElGamal public key, 128-byte DSA key, NULL certificate
  const dest = Uint8Array.from([...randomBytes(256), ...y, 0, 0, 0]);
  const payload = randomBytes(300);
  const ok = parseRepliableDatagram(Uint8Array.from([...dest, ...sign(x, createHash('sha256').update(payload).digest()), ...payload]));
  t.truthy(ok);
  t.is(ok!.from.sigType, SigType.DSA_SHA1);
  t.deepEqual(Buffer.from(ok!.payload), Buffer.from(payload));
  // signed over the payload itself (the rule for every other type): refused
  t.is(parseRepliableDatagram(Uint8Array.from([...dest, ...sign(x, payload), ...payload])), undefined);
});
