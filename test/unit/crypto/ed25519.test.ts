/**
 * Ed25519 (I2P signature type 7): RFC 8032 §7.1 TEST 1–3, rejection of altered signatures/messages/keys, and a
 * differential test against @noble/curves (deterministic signatures must be identical; verification must agree).
 */
import test from 'ava';
import fc from 'fast-check';
import { ed25519 as nobleEd } from '@noble/curves/ed25519.js';
import { Ed25519Key, ed25519Verify, importEd25519Public } from '../../../crypto/ed25519.js';
import { fromHex, toHex } from '../../../data/bytes.js';

const hex = (s: string) => fromHex(s.replace(/\s+/g, ''));

// RFC 8032 §7.1 "Test Vectors for Ed25519", TEST 1, TEST 2, TEST 3.
const RFC8032 = [
  {
    name: 'TEST 1 (empty message)',
    secret: '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60',
    public: 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
    message: '',
    signature:
      'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
  },
  {
    name: 'TEST 2 (1 byte)',
    secret: '4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb',
    public: '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c',
    message: '72',
    signature:
      '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00',
  },
  {
    name: 'TEST 3 (2 bytes)',
    secret: 'c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7',
    public: 'fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025',
    message: 'af82',
    signature:
      '6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a',
  },
];

for (const v of RFC8032) {
  test(`RFC 8032 §7.1 ${v.name}: public key, signature, verification`, (t) => {
    const key = new Ed25519Key(hex(v.secret));
    t.is(toHex(key.publicKey), v.public);
    t.is(toHex(key.seed), v.secret);
    t.is(toHex(key.sign(hex(v.message))), v.signature);
    t.true(ed25519Verify(hex(v.public), hex(v.message), hex(v.signature)));
    t.true(ed25519Verify(importEd25519Public(hex(v.public)), hex(v.message), hex(v.signature)));
  });
}

test('RFC 8032 §7.1 TEST 2: altered signature, message or key is rejected (false, no throw)', (t) => {
  const v = RFC8032[1]!;
  const pub = hex(v.public);
  const msg = hex(v.message);
  const sig = hex(v.signature);
  for (const at of [0, 31, 32, 63]) {
    const bad = sig.slice();
    bad[at]! ^= 0x01;
    t.false(ed25519Verify(pub, msg, bad), `signature byte ${at}`);
  }
  t.false(ed25519Verify(pub, hex('73'), sig), 'message');
  t.false(ed25519Verify(pub, new Uint8Array(0), sig), 'empty message');
  t.false(ed25519Verify(hex(RFC8032[0]!.public), msg, sig), 'other key');
  t.false(ed25519Verify(pub, msg, sig.subarray(0, 63)), 'short signature');
  t.false(ed25519Verify(pub, msg, new Uint8Array([...sig, 0])), 'long signature');
  t.false(ed25519Verify(pub.subarray(0, 31), msg, sig), 'short key');
  // S + L (non-canonical S, malleability) must be rejected: RFC 8032 §5.1.7 requires 0 <= S < L.
  const L = (1n << 252n) + 27742317777372353535851937790883648493n;
  let s = 0n;
  for (let i = 63; i >= 32; i--) s = (s << 8n) | BigInt(sig[i]!);
  s += L;
  const mall = sig.slice();
  for (let i = 32; i < 64; i++, s >>= 8n) mall[i] = Number(s & 0xffn);
  t.false(ed25519Verify(pub, msg, mall), 'S + L');
});

test('the seed is copied; wrong seed length is a RangeError', (t) => {
  const seed = hex(RFC8032[0]!.secret);
  const key = new Ed25519Key(seed);
  seed.fill(0);
  t.is(toHex(key.seed), RFC8032[0]!.secret);
  t.throws(() => new Ed25519Key(new Uint8Array(31)), { instanceOf: RangeError });
  t.throws(() => importEd25519Public(new Uint8Array(33)), { instanceOf: RangeError });
});

const seed = fc.uint8Array({ minLength: 32, maxLength: 32 });
const msg = fc.uint8Array({ maxLength: 600 });

test('differential vs @noble/curves ed25519: same public key and signature; both verify', (t) => {
  fc.assert(
    fc.property(seed, msg, (s, m) => {
      const key = new Ed25519Key(s);
      const sig = key.sign(m);
      return (
        toHex(key.publicKey) === toHex(nobleEd.getPublicKey(s)) &&
        toHex(sig) === toHex(nobleEd.sign(m, s)) &&
        ed25519Verify(key.publicKey, m, sig) &&
        nobleEd.verify(sig, m, key.publicKey, { zip215: false })
      );
    }),
    { numRuns: 200 },
  );
  t.pass();
});

test('differential: verification of mutated signature/message/key agrees with @noble (strict mode)', (t) => {
  const mutation = fc.record({ where: fc.constantFrom('sig', 'msg', 'pub'), at: fc.nat(), x: fc.integer({ min: 1, max: 255 }) });
  fc.assert(
    fc.property(seed, msg, mutation, (s, original, { where, at, x }) => {
      const m = original.slice();
      const key = new Ed25519Key(s);
      const sig = key.sign(m);
      const pub = key.publicKey.slice();
      const target = where === 'sig' ? sig : where === 'pub' ? pub : m;
      if (target.length === 0) return true;
      target[at % target.length]! ^= x;
      let theirs: boolean;
      try {
        theirs = nobleEd.verify(sig, m, pub, { zip215: false });
      } catch {
        theirs = false;
      }
      const ours = ed25519Verify(pub, m, sig);
      return ours === theirs && ours === false;
    }),
    { numRuns: 300 },
  );
  t.pass();
});

test('fuzz: ed25519Verify never throws on random keys, messages and signatures', (t) => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 40 }), msg, fc.uint8Array({ maxLength: 70 }), (pub, m, sig) => {
      return ed25519Verify(pub, m, sig) === false;
    }),
    { numRuns: 500 },
  );
  t.pass();
});
