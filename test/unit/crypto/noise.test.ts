/**
 * Noise SymmetricState: the NTCP2 initial values against the constants i2pd 2.45.1 hard-codes
 * (libi2pd/Crypto.cpp InitNoiseXKState / InitNoiseNState), and each operation against the spec's
 * HMAC formulation computed with @noble/hashes + @noble/ciphers (differential).
 */
import test from 'ava';
import fc from 'fast-check';
import { hkdf as nobleHkdf } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { NTCP2_PROTOCOL_NAME, ntcp2InitialState, SymmetricState } from '../../../crypto/noise.js';
import { CryptoError } from '../../../crypto/errors.js';
import { concatBytes, fromHex, toHex } from '../../../data/bytes.js';

const hm = (k: Uint8Array, ...d: Uint8Array[]) => hmac(nobleSha256, k, concatBytes(...d));
const nonce = (n: number) => {
  const b = new Uint8Array(12);
  new DataView(b.buffer).setBigUint64(4, BigInt(n), true);
  return b;
};

test('NTCP2 protocol name is 48 bytes; h = ck = SHA256(name) (i2pd protocolNameHash)', (t) => {
  t.is(new TextEncoder().encode(NTCP2_PROTOCOL_NAME).length, 48);
  const st = new SymmetricState(NTCP2_PROTOCOL_NAME);
  t.is(toHex(st.h), '72e842c545e18080d39c4493bb91d7edf228981771218c1f624e206f28d32f71');
  t.deepEqual(st.ck, st.h);
  t.is(st.k, null);
});

test('MixHash(null prologue) gives i2pd hh; MixHash(rs) follows', (t) => {
  const st = new SymmetricState(NTCP2_PROTOCOL_NAME);
  st.mixHash(new Uint8Array(0));
  t.is(toHex(st.h), '49ff483fc404b9b26b11943672ff05b561270331ba89b8fc3315938757dd3d1e');
  const rs = fromHex('11'.repeat(32));
  const init = ntcp2InitialState(rs);
  t.deepEqual(init.h, nobleSha256(concatBytes(st.h, rs)));
  t.is(toHex(init.ck), '72e842c545e18080d39c4493bb91d7edf228981771218c1f624e206f28d32f71');
});

test('short protocol names are zero-padded, not hashed (Noise_N: i2pd hh = SHA256(name || 0))', (t) => {
  const st = new SymmetricState('Noise_N_25519_ChaChaPoly_SHA256');
  const expect = new Uint8Array(32);
  expect.set(new TextEncoder().encode('Noise_N_25519_ChaChaPoly_SHA256'));
  t.deepEqual(st.h, expect);
  t.is(toHex(nobleSha256(st.h)), '694d52445a27d9adfad29c7632395dc1e4354c69b4f92eac8a1ee46a9ed21554');
});

test('mixKey: ck = HMAC(temp, 1), k = HMAC(temp, ck || 2) with temp = HMAC(ck, ikm); n resets', (t) => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ minLength: 32, maxLength: 32 }), (ck, ikm) => {
      const st = new SymmetricState({ h: new Uint8Array(32), ck, n: 5 });
      st.mixKey(ikm);
      const temp = hm(ck, ikm);
      const ck2 = hm(temp, Uint8Array.of(1));
      const k2 = hm(temp, ck2, Uint8Array.of(2));
      const noble = nobleHkdf(nobleSha256, ikm, ck, new Uint8Array(0), 64);
      return (
        toHex(st.ck) === toHex(ck2) &&
        toHex(st.k!) === toHex(k2) &&
        toHex(noble) === toHex(concatBytes(ck2, k2)) &&
        st.n === 0
      );
    }),
    { numRuns: 50 },
  );
  t.pass();
});

test('encryptAndHash / decryptAndHash: ChaChaPoly(k, n, ad = h), then h = SHA256(h || c)', (t) => {
  const ck = fromHex('a1'.repeat(32));
  const a = new SymmetricState({ h: fromHex('b2'.repeat(32)), ck });
  a.mixKey(fromHex('c3'.repeat(32)));
  const b = a.clone();
  const k = a.k!;
  let h = a.h;
  for (let i = 0; i < 3; i++) {
    const p = new TextEncoder().encode(`payload ${i}`);
    const c = a.encryptAndHash(p);
    t.deepEqual(c, chacha20poly1305(k, nonce(i), h).encrypt(p), `ciphertext ${i}`);
    h = nobleSha256(concatBytes(h, c));
    t.deepEqual(a.h, h);
    t.is(a.n, i + 1);
    t.deepEqual(b.decryptAndHash(c), p);
    t.deepEqual(b.h, a.h);
  }
});

test('decryptAndHash with a bad tag throws CryptoError and leaves h and n unchanged', (t) => {
  const a = new SymmetricState(NTCP2_PROTOCOL_NAME);
  a.mixKey(new Uint8Array(32).fill(1));
  const b = a.clone();
  const c = a.encryptAndHash(new Uint8Array(16));
  c[3] ^= 1;
  const h = b.h;
  t.throws(() => b.decryptAndHash(c), { instanceOf: CryptoError });
  t.deepEqual(b.h, h);
  t.is(b.n, 0);
  // and a short ciphertext
  t.throws(() => b.decryptAndHash(new Uint8Array(5)), { instanceOf: CryptoError });
});

test('without a key, encryptAndHash is the identity plus MixHash (Noise 5.2)', (t) => {
  const st = new SymmetricState(NTCP2_PROTOCOL_NAME);
  const h0 = st.h;
  const p = Uint8Array.of(1, 2, 3);
  t.deepEqual(st.encryptAndHash(p), p);
  t.deepEqual(st.h, nobleSha256(concatBytes(h0, p)));
});

test('split: k1 = HMAC(temp, 1), k2 = HMAC(temp, k1 || 2), temp = HMAC(ck, "")', (t) => {
  const ck = fromHex('5a'.repeat(32));
  const st = new SymmetricState({ h: new Uint8Array(32), ck });
  const [k1, k2] = st.split();
  const temp = hm(ck, new Uint8Array(0));
  t.deepEqual(k1, hm(temp, Uint8Array.of(1)));
  t.deepEqual(k2, hm(temp, k1, Uint8Array.of(2)));
});

test('clone is independent', (t) => {
  const a = ntcp2InitialState(new Uint8Array(32).fill(3));
  const b = a.clone();
  b.mixHash(Uint8Array.of(1));
  t.notDeepEqual(a.h, b.h);
});
