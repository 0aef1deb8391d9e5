/**
 * Differential checks of the ECIES-X25519-AEAD-Ratchet KDFs (ecies.rst "1f", "1g", "4) Ratchets") against an
 * independent re-implementation of the spec text on @noble/hashes, @noble/ciphers and @noble/curves, and
 * against the constants i2pd 2.45.1 hard-codes (libi2pd/Crypto.cpp InitNoiseIKState).
 *
 * The "independent Alice" below builds NS and ES and reads NSR and ES using only noble + the spec, and talks
 * to a GarlicEngine Bob: if both sides agree, every KDF step, nonce and AD matches the spec as written.
 */
import test from 'ava';
import fc from 'fast-check';
import { hkdf as nHkdf } from '@noble/hashes/hkdf.js';
import { sha256 as nSha256 } from '@noble/hashes/sha2.js';
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { x25519 } from '@noble/curves/ed25519.js';
import { elligator2Decode, generateElligatorKeyPair } from '../../../crypto/elligator2.js';
import { X25519Key } from '../../../crypto/x25519.js';
import { concatBytes, toHex } from '../../../data/bytes.js';
import { BlockType, parseBlocks, serializeBlocks } from '../../../garlic/blocks.js';
import { ECIES_PROTOCOL_NAME, initialState } from '../../../garlic/handshake.js';
import { GarlicEngine } from '../../../garlic/session.js';
import { RatchetTagSet } from '../../../garlic/tagset.js';
import { bodies, Clock, clove, seededRandom } from './helpers.js';

const enc = new TextEncoder();
const EMPTY = new Uint8Array(0);
const H = (...d: Uint8Array[]) => nSha256(concatBytes(...d));
const HKDF = (salt: Uint8Array, ikm: Uint8Array, info: string, n: number) => nHkdf(nSha256, ikm, salt, enc.encode(info), n);
const nonce = (n: number) => {
  const b = new Uint8Array(12);
  new DataView(b.buffer).setBigUint64(4, BigInt(n), true);
  return b;
};
const ENCRYPT = (k: Uint8Array, n: number, p: Uint8Array, ad: Uint8Array) => chacha20poly1305(k, nonce(n), ad).encrypt(p);
const DECRYPT = (k: Uint8Array, n: number, c: Uint8Array, ad: Uint8Array) => chacha20poly1305(k, nonce(n), ad).decrypt(c);

/** Independent tag set per "DH INITIALIZATION KDF", "4b", "4c". */
function specTagset(rootKey: Uint8Array, k: Uint8Array, count: number) {
  const kd = HKDF(rootKey, k, 'KDFDHRatchetStep', 64);
  const nextRootKey = kd.slice(0, 32);
  const kd2 = HKDF(kd.slice(32), EMPTY, 'TagAndKeyGenKeys', 64);
  const st = HKDF(kd2.slice(0, 32), EMPTY, 'STInitialization', 64);
  let tagCk = st.slice(0, 32);
  const constant = st.slice(32);
  let symCk = kd2.slice(32);
  const tags: Uint8Array[] = [];
  const keys: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const t = HKDF(tagCk, constant, 'SessionTagKeyGen', 64);
    tagCk = t.slice(0, 32);
    tags.push(t.slice(32, 40));
    const s = HKDF(symCk, EMPTY, 'SymmetricRatchet', 64);
    symCk = s.slice(0, 32);
    keys.push(s.slice(32));
  }
  return { nextRootKey, tags, keys };
}

test('IK initial state matches i2pd InitNoiseIKState constants', (t) => {
  t.is(enc.encode(ECIES_PROTOCOL_NAME).length, 40);
  const h0 = H(enc.encode(ECIES_PROTOCOL_NAME));
  t.is(toHex(h0), '4caf11ef2c8e36564c53e88885064dbaacbe0054ad178f8079a646827e6ee40c');
  t.is(toHex(H(h0)), '9ccf852cc93bb9504441e950e01d52322e0d47add1e9a555f755b569ae183b5c');
  const bpk = new Uint8Array(32).fill(9);
  const st = initialState(bpk);
  t.deepEqual(st.ck, h0);
  t.deepEqual(st.h, H(H(h0), bpk));
});

test('RatchetTagSet equals the spec KDF (tags, keys, nextRootKey), any access order', (t) => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.shuffledSubarray([...Array(12).keys()], { minLength: 1 }), (rk, k, order) => {
      const ref = specTagset(rk, k, 12);
      const ts = new RatchetTagSet(rk, k);
      if (toHex(ts.nextRootKey) !== toHex(ref.nextRootKey)) return false;
      for (let i = 0; i < 12; i++) {
        const x = ts.nextTag()!;
        if (x.index !== i || toHex(x.tag) !== toHex(ref.tags[i]!)) return false;
      }
      for (const i of order) {
        const got = ts.keyFor(i)!;
        if (toHex(got.key) !== toHex(ref.keys[i]!)) return false;
        got.commit();
        if (ts.keyFor(i) !== null) return false; // used once
      }
      return true;
    }),
    { numRuns: 40 },
  );
  t.pass();
});

test('keyFor without commit changes nothing', (t) => {
  const ts = new RatchetTagSet(new Uint8Array(32).fill(1), new Uint8Array(32).fill(2));
  const ref = specTagset(new Uint8Array(32).fill(1), new Uint8Array(32).fill(2), 5);
  const a = ts.keyFor(4)!; // not committed
  t.deepEqual(a.key, ref.keys[4]);
  const b = ts.keyFor(1)!;
  t.deepEqual(b.key, ref.keys[1]);
  b.commit();
  t.is(ts.skippedKeyCount, 1); // index 0
  t.deepEqual(ts.keyFor(0)!.key, ref.keys[0]);
  t.deepEqual(ts.keyFor(4)!.key, ref.keys[4]);
});

test('independent spec Alice (noble) ↔ GarlicEngine Bob: NS, NSR, ES both ways', (t) => {
  const rnd = seededRandom('independent');
  const clock = new Clock();
  const bobKey = new X25519Key(rnd.bytes(32));
  const bob = new GarlicEngine({ staticKey: bobKey, now: clock.now, random: rnd });
  const ask = rnd.bytes(32);
  const apk = x25519.getPublicKey(ask);
  const bpk = bobKey.publicKey;

  // ---- NS (1f), as the spec text says ----
  const eph = generateElligatorKeyPair(rnd);
  const aesk = eph.key.privateKey;
  const aepk = x25519.getPublicKey(aesk);
  t.deepEqual(elligator2Decode(eph.representative), aepk);
  let ck = H(enc.encode(ECIES_PROTOCOL_NAME));
  let h = H(ck);
  h = H(h, bpk);
  h = H(h, aepk);
  let kd = HKDF(ck, x25519.getSharedSecret(aesk, bpk), '', 64);
  ck = kd.slice(0, 32);
  let k = kd.slice(32);
  const staticCt = ENCRYPT(k, 0, apk, h);
  h = H(h, staticCt);
  kd = HKDF(ck, x25519.getSharedSecret(ask, bpk), '', 64);
  ck = kd.slice(0, 32);
  k = kd.slice(32);
  const payload = serializeBlocks([{ type: BlockType.DateTime, timestamp: Math.floor(clock.t / 1000) }, clove('from spec alice')]);
  const payloadCt = ENCRYPT(k, 0, payload, h);
  h = H(h, payloadCt);
  const r1 = bob.decrypt(concatBytes(eph.representative, staticCt, payloadCt));
  t.is(r1.kind, 'new-session');
  if (r1.kind === 'new-session') t.deepEqual(r1.peer, apk);
  t.deepEqual(bodies(r1.blocks), ['from spec alice']);

  // ---- NSR (1g) from the engine, read per spec ----
  const nsr = bob.encrypt(apk, [clove('engine nsr')]).data;
  const nsrTs = specTagset(ck, HKDF(ck, EMPTY, 'SessionReplyTags', 32), 1);
  t.deepEqual(nsr.subarray(0, 8), nsrTs.tags[0]);
  const bepk = elligator2Decode(nsr.subarray(8, 40));
  let h2 = H(h, nsr.subarray(0, 8));
  h2 = H(h2, bepk);
  let ck2 = HKDF(ck, x25519.getSharedSecret(aesk, bepk), '', 64).slice(0, 32); // ee
  const kd2 = HKDF(ck2, x25519.getSharedSecret(ask, bepk), '', 64); // se
  ck2 = kd2.slice(0, 32);
  t.deepEqual(DECRYPT(kd2.slice(32), 0, nsr.subarray(40, 56), h2), EMPTY);
  h2 = H(h2, nsr.subarray(40, 56));
  const split = HKDF(ck2, EMPTY, '', 64);
  const kAB = split.slice(0, 32);
  const kBA = split.slice(32);
  const pk = HKDF(kBA, EMPTY, 'AttachPayloadKDF', 32);
  const nsrPayload = DECRYPT(pk, 0, nsr.subarray(56), h2);
  t.deepEqual(bodies(parseBlocks(nsrPayload)), ['engine nsr']);

  // ---- ES (1h) Alice → Bob with tagset_ab ----
  const ab = specTagset(ck2, kAB, 3);
  const esPayload = serializeBlocks([clove('spec es')]);
  const es = concatBytes(ab.tags[0]!, ENCRYPT(ab.keys[0]!, 0, esPayload, ab.tags[0]!));
  const r3 = bob.decrypt(es);
  t.is(r3.kind, 'existing');
  t.deepEqual(bodies(r3.blocks), ['spec es']);
  // index 2 out of order: nonce = index
  const es2 = concatBytes(ab.tags[2]!, ENCRYPT(ab.keys[2]!, 2, serializeBlocks([clove('spec es 2')]), ab.tags[2]!));
  t.deepEqual(bodies(bob.decrypt(es2).blocks), ['spec es 2']);

  // ---- ES Bob → Alice with tagset_ba ----
  const ba = specTagset(ck2, kBA, 2);
  const back = bob.encrypt(apk, [clove('engine es')]).data;
  t.deepEqual(back.subarray(0, 8), ba.tags[0]);
  t.deepEqual(bodies(parseBlocks(DECRYPT(ba.keys[0]!, 0, back.subarray(8), ba.tags[0]!))), ['engine es']);
});

test('independent spec Bob (noble) reads an engine NS (bound and one-time)', (t) => {
  const rnd = seededRandom('independent-bob');
  const clock = new Clock();
  const aliceKey = new X25519Key(rnd.bytes(32));
  const alice = new GarlicEngine({ staticKey: aliceKey, now: clock.now, random: rnd });
  const bsk = rnd.bytes(32);
  const bpk = x25519.getPublicKey(bsk);
  for (const oneTime of [false, true]) {
    const msg = oneTime ? alice.encryptOneTime(bpk, [clove('ot')]) : alice.encrypt(bpk, [clove('bound')]).data;
    const aepk = elligator2Decode(msg.subarray(0, 32));
    let ck = H(enc.encode(ECIES_PROTOCOL_NAME));
    let h = H(H(ck), bpk);
    h = H(h, aepk);
    let kd = HKDF(ck, x25519.getSharedSecret(bsk, aepk), '', 64);
    ck = kd.slice(0, 32);
    let k = kd.slice(32);
    const fs = DECRYPT(k, 0, msg.subarray(32, 80), h);
    h = H(h, msg.subarray(32, 80));
    let payload: Uint8Array;
    if (oneTime) {
      t.deepEqual(fs, new Uint8Array(32));
      payload = DECRYPT(k, 1, msg.subarray(80), h); // same k, n = 1
    } else {
      t.deepEqual(fs, aliceKey.publicKey);
      kd = HKDF(ck, x25519.getSharedSecret(bsk, fs), '', 64);
      k = kd.slice(32);
      payload = DECRYPT(k, 0, msg.subarray(80), h);
    }
    const blocks = parseBlocks(payload);
    t.is(blocks[0]!.type, BlockType.DateTime);
    t.deepEqual(bodies(blocks), [oneTime ? 'ot' : 'bound']);
  }
});
