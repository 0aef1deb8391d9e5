/**
 * X25519: RFC 7748 §5.2 (function vectors and iterations) and §6.1 (Diffie-Hellman), low-order points →
 * CryptoError('LOW_ORDER'), the i2pd top-bit rule → CryptoError('BAD_KEY'), and a differential test against
 * @noble/curves.
 */
import test from 'ava';
import fc from 'fast-check';
import { x25519 as nobleX25519 } from '@noble/curves/ed25519.js';
import { X25519Key, x25519, importX25519Public } from '../../../crypto/x25519.js';
import { CryptoError } from '../../../crypto/errors.js';
import { fromHex, toHex } from '../../../data/bytes.js';

const hex = (s: string) => fromHex(s.replace(/\s+/g, ''));

/** RFC 7748 §5: "implementations of X25519 MUST mask the most significant bit" of u. clove rejects that bit
 * (i2pd rule), so the RFC function is: mask, then DH. */
function rfcX25519(k: Uint8Array, u: Uint8Array): Uint8Array {
  const masked = u.slice();
  masked[31]! &= 0x7f;
  return new X25519Key(k).dh(masked);
}

// RFC 7748 §5.2, first and second test vector (scalar, input u-coordinate, output u-coordinate).
test('RFC 7748 §5.2 vector 1', (t) => {
  const k = hex('a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4');
  const u = hex('e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c');
  t.is(toHex(new X25519Key(k).dh(u)), 'c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552');
});

test('RFC 7748 §5.2 vector 2: top bit of u set → BAD_KEY (i2pd); masked it gives the RFC output', (t) => {
  const k = hex('4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d');
  const u = hex('e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493');
  t.throws(() => new X25519Key(k).dh(u), { instanceOf: CryptoError, code: 'BAD_KEY' });
  t.is(toHex(rfcX25519(k, u)), '95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957');
});

// RFC 7748 §5.2 iterated test: k = u = 9; repeat { (k, u) = (X25519(k, u), k) }.
test('RFC 7748 §5.2 iterations: 1 and 1,000', (t) => {
  let k: Uint8Array = hex('0900000000000000000000000000000000000000000000000000000000000000');
  let u: Uint8Array = k.slice();
  for (let i = 1; i <= 1000; i++) {
    [k, u] = [rfcX25519(k, u), k];
    if (i === 1) t.is(toHex(k), '422c8e7a6227d7bca1350b3e2bb7279f7897b87bb6854b783c60e80311ae3079');
  }
  t.is(toHex(k), '684cf59ba83309552800ef566f2f4d3c1c3887c49360e3875f2eb94d99532c51');
});

// RFC 7748 §6.1 Curve25519 Diffie-Hellman.
test('RFC 7748 §6.1: public keys and shared secret', (t) => {
  const alice = new X25519Key(hex('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a'));
  const bob = new X25519Key(hex('5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb'));
  t.is(toHex(alice.publicKey), '8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a');
  t.is(toHex(bob.publicKey), 'de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f');
  const shared = '4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742';
  t.is(toHex(alice.dh(bob.publicKey)), shared);
  t.is(toHex(bob.dh(alice.publicKey)), shared);
  t.is(toHex(x25519(alice.keyObject, importX25519Public(bob.publicKey))), shared);
  t.is(toHex(x25519(bob.keyObject, alice.publicKey)), shared);
});

test('the stored private key is a copy; publicKey is 32 bytes', (t) => {
  const raw = new Uint8Array(32).fill(7);
  const k = new X25519Key(raw);
  raw.fill(0);
  t.is(toHex(k.privateKey), '07'.repeat(32));
  t.is(k.publicKey.length, 32);
  t.throws(() => new X25519Key(new Uint8Array(31)), { instanceOf: RangeError });
});

// Points of order 1, 2, 4 or 8 with encodings below 2^255: 0, 1, the two order-8 points, p-1, p, p+1
// (the list libsodium and RFC 7748 §6.1's all-zero check guard against).
const LOW_ORDER = [
  '0000000000000000000000000000000000000000000000000000000000000000',
  '0100000000000000000000000000000000000000000000000000000000000000',
  'e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800',
  '5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
];

test('low-order peer points → CryptoError LOW_ORDER, not a crash', (t) => {
  const k = X25519Key.generate();
  for (const p of LOW_ORDER) {
    t.throws(() => k.dh(hex(p)), { instanceOf: CryptoError, code: 'LOW_ORDER' }, p);
    // @noble agrees these are invalid (all-zero shared secret)
    t.throws(() => nobleX25519.getSharedSecret(k.privateKey, hex(p)), undefined, p);
  }
});

test('bad peer key lengths → CryptoError BAD_KEY', (t) => {
  const k = X25519Key.generate();
  for (const n of [0, 31, 33]) t.throws(() => k.dh(new Uint8Array(n)), { instanceOf: CryptoError, code: 'BAD_KEY' });
  t.throws(() => importX25519Public(new Uint8Array(31)), { instanceOf: CryptoError, code: 'BAD_KEY' });
  const top = k.publicKey.slice();
  top[31]! |= 0x80;
  t.throws(() => importX25519Public(top), { instanceOf: CryptoError, code: 'BAD_KEY' });
});

const bytes32 = fc.uint8Array({ minLength: 32, maxLength: 32 });
const canonicalish = bytes32.map((u) => {
  const c = u.slice();
  c[31]! &= 0x7f;
  return c;
});

test('differential vs @noble/curves x25519: public keys and shared secrets', (t) => {
  fc.assert(
    fc.property(bytes32, canonicalish, (priv, peer) => {
      const k = new X25519Key(priv);
      if (toHex(k.publicKey) !== toHex(nobleX25519.getPublicKey(priv))) return false;
      let theirs: string | undefined;
      try {
        theirs = toHex(nobleX25519.getSharedSecret(priv, peer));
      } catch {
        theirs = undefined; // noble rejects an all-zero result (low-order point)
      }
      try {
        return toHex(k.dh(peer)) === theirs;
      } catch (e) {
        return theirs === undefined && e instanceof CryptoError && e.code === 'LOW_ORDER';
      }
    }),
    { numRuns: 300 },
  );
  t.pass();
});

test('property: DH is symmetric', (t) => {
  fc.assert(
    fc.property(bytes32, bytes32, (a, b) => {
      const ka = new X25519Key(a);
      const kb = new X25519Key(b);
      return toHex(ka.dh(kb.publicKey)) === toHex(kb.dh(ka.publicKey));
    }),
    { numRuns: 100 },
  );
  t.pass();
});

test('fuzz: random and low-order peer keys give 32 bytes or a CryptoError, nothing else', (t) => {
  const k = X25519Key.generate();
  const peer = fc.oneof(bytes32, fc.constantFrom(...LOW_ORDER).map(hex), fc.uint8Array({ maxLength: 40 }));
  fc.assert(
    fc.property(peer, (p) => {
      try {
        return k.dh(p).length === 32;
      } catch (e) {
        return e instanceof CryptoError;
      }
    }),
    { numRuns: 500 },
  );
  t.pass();
});
