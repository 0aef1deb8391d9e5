/**
 * Handshake message functions (ecies.rst "1b".."1g") on their own: round trips, and random or mutated input
 * throwing only ParseError/CryptoError.
 */
import test from 'ava';
import fc from 'fast-check';
import { CryptoError } from '../../../crypto/errors.js';
import { X25519Key } from '../../../crypto/x25519.js';
import { ParseError } from '../../../data/errors.js';
import { createNewSession, createNsr, NS_OVERHEAD, NSR_OVERHEAD, prepareNsr, readNewSession, readNsr } from '../../../garlic/handshake.js';
import { seededRandom } from './helpers.js';

const documented = (e: unknown) => e instanceof ParseError || e instanceof CryptoError;

const rnd = seededRandom('handshake');
const alice = new X25519Key(rnd.bytes(32));
const bob = new X25519Key(rnd.bytes(32));

test('NS/NSR round trip; sizes are 96 + payload and 72 + payload', (t) => {
  const payload = Uint8Array.of(1, 2, 3, 4, 5);
  const ns = createNewSession(bob.publicKey, alice, payload, rnd);
  t.is(ns.message.length, NS_OVERHEAD + payload.length);
  const inc = readNewSession(bob, ns.message);
  t.deepEqual(inc.aliceStatic, alice.publicKey);
  t.deepEqual(inc.payload, payload);
  t.deepEqual(inc.state.h, ns.state.h);
  t.deepEqual(inc.state.ck, ns.state.ck);
  const r = prepareNsr(inc.state, inc.aepk, inc.aliceStatic!, rnd);
  const tag = Uint8Array.of(1, 1, 1, 1, 2, 2, 2, 2);
  const nsr = createNsr(r, tag, Uint8Array.of(9, 9));
  t.is(nsr.length, NSR_OVERHEAD + 2);
  const got = readNsr(ns.state, ns.ephemeral, alice, nsr);
  t.deepEqual(got.payload, Uint8Array.of(9, 9));
  t.deepEqual(got.kAB, r.kAB);
  t.deepEqual(got.kBA, r.kBA);
  t.deepEqual(got.chainKey, r.chainKey);
  // the wrong Alice static key cannot read it
  t.throws(() => readNsr(ns.state, ns.ephemeral, bob, nsr), { instanceOf: CryptoError });
  // an NS to someone else does not decrypt
  t.throws(() => readNewSession(alice, ns.message), { instanceOf: CryptoError });
});

test('fuzz: readNewSession / readNsr on random and mutated bytes throw only ParseError/CryptoError', (t) => {
  const ns = createNewSession(bob.publicKey, alice, new Uint8Array(20), rnd);
  const inc = readNewSession(bob, ns.message);
  const nsr = createNsr(prepareNsr(inc.state, inc.aepk, inc.aliceStatic!, rnd), new Uint8Array(8), new Uint8Array(10));
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), fc.nat(), fc.integer({ min: 1, max: 255 }), (bytes, pos, x) => {
      // bits 6-7 of a representative's last byte are random padding, not authenticated (tested separately)
      const pad = (x & 0x3f) === 0;
      const mns = Uint8Array.from(ns.message);
      if (!(pad && pos % mns.length === 31)) mns[pos % mns.length]! ^= x;
      else mns[0]! ^= 1;
      const mnsr = Uint8Array.from(nsr);
      if (!(pad && pos % mnsr.length === 39)) mnsr[pos % mnsr.length]! ^= x;
      else mnsr[0]! ^= 1;
      for (const f of [
        () => readNewSession(bob, bytes),
        () => readNsr(ns.state, ns.ephemeral, alice, bytes),
        () => readNewSession(bob, mns),
        () => readNsr(ns.state, ns.ephemeral, alice, mnsr),
      ]) {
        try {
          f();
          return false;
        } catch (e) {
          if (!documented(e)) return false;
        }
      }
      return true;
    }),
    { numRuns: 200 },
  );
  // the state objects were never modified
  t.deepEqual(readNsr(ns.state, ns.ephemeral, alice, nsr).payload, new Uint8Array(10));
});

test('Elligator2 padding bits are not authenticated (as in i2pd): flipping them still decrypts', (t) => {
  const ns = createNewSession(bob.publicKey, alice, Uint8Array.of(1), rnd);
  const m = Uint8Array.from(ns.message);
  m[31]! ^= 0xc0;
  t.deepEqual(readNewSession(bob, m).payload, Uint8Array.of(1));
  const inc = readNewSession(bob, ns.message);
  const nsr = createNsr(prepareNsr(inc.state, inc.aepk, inc.aliceStatic!, rnd), new Uint8Array(8), Uint8Array.of(2));
  nsr[39]! ^= 0x40;
  t.deepEqual(readNsr(ns.state, ns.ephemeral, alice, nsr).payload, Uint8Array.of(2));
});
