/**
 * SipHash-2-4 against the reference test vectors (SipHash reference implementation `vectors.h`,
 * vectors_sip64: key 00..0f, message 00..(n-1) for n = 0..63, output as little-endian bytes; the same table
 * is in the SipHash paper's appendix for n = 15 and in many ports, e.g. rust-lang's old libstd sip.rs).
 * The NTCP2 mask chain is cross-checked with an independent bigint implementation written here.
 */
import test from 'ava';
import fc from 'fast-check';
import { SipHash24, SipHashLengthMask, siphash24 } from '../../../crypto/siphash.js';
import { fromHex, toHex } from '../../../data/bytes.js';

const VECTORS = [
  '310e0edd47db6f72', 'fd67dc93c539f874', '5a4fa9d909806c0d', '2d7efbd796666785',
  'b7877127e09427cf', '8da699cd64557618', 'cee3fe586e46c9cb', '37d1018bf50002ab',
  '6224939a79f5f593', 'b0e4a90bdf82009e', 'f3b9dd94c5bb5d7a', 'a7ad6b22462fb3f4',
  'fbe50e86bc8f1e75', '903d84c02756ea14', 'eef27a8e90ca23f7', 'e545be4961ca29a1',
  'db9bc2577fcc2a3f', '9447be2cf5e99a69', '9cd38d96f0b3c14b', 'bd6179a71dc96dbb',
  '98eea21af25cd6be', 'c7673b2eb0cbf2d0', '883ea3e395675393', 'c8ce5ccd8c030ca8',
  '94af49f6c650adb8', 'eab8858ade92e1bc', 'f315bb5bb835d817', 'adcf6b0763612e2f',
  'a5c91da7acaa4dde', '716595876650a2a6', '28ef495c53a387ad', '42c341d8fa92d832',
  'ce7cf2722f512771', 'e37859f94623f3a7', '381205bb1ab0e012', 'ae97a10fd434e015',
  'b4a31508beff4d31', '81396229f0907902', '4d0cf49ee5d4dcca', '5c73336a76d8bf9a',
  'd0a704536ba93e0e', '925958fcd6420cad', 'a915c29bc8067318', '952b79f3bc0aa6d4',
  'f21df2e41d4535f9', '87577519048f53a9', '10a56cf5dfcd9adb', 'eb75095ccd986cd0',
  '51a9cb9ecba312e6', '96afadfc2ce666c7', '72fe52975a4364ee', '5a1645b276d592a1',
  'b274cb8ebf87870a', '6f9bb4203de7b381', 'eaecb2a30b22a87f', '9924a43cc1315724',
  'bd838d3aafbf8db7', '0b1a2a3265d51aea', '135079a3231ce660', '932b2846e4d70666',
  'e1915f5cb1eca46c', 'f325965ca16d629f', '575ff28e60381be5', '724506eb4c328a95',
];

const KEY = fromHex('000102030405060708090a0b0c0d0e0f');

test('reference vectors: all 64 message lengths', (t) => {
  t.is(VECTORS.length, 64);
  const sip = new SipHash24(KEY);
  for (let n = 0; n < 64; n++) {
    const msg = new Uint8Array(n).map((_, i) => i);
    t.is(toHex(sip.hash(msg)), VECTORS[n], `length ${n}`);
    t.is(toHex(siphash24(KEY, msg)), VECTORS[n], `one-shot length ${n}`);
  }
});

test('paper example: 15-byte message gives a129ca6149be45e5', (t) => {
  const msg = fromHex('000102030405060708090a0b0c0d0e');
  const out = siphash24(KEY, msg);
  t.is(new DataView(out.buffer).getBigUint64(0, true), 0xa129ca6149be45e5n);
});

test('rejects a key that is not 16 bytes', (t) => {
  t.throws(() => new SipHash24(new Uint8Array(15)), { instanceOf: RangeError });
  t.throws(() => new SipHashLengthMask(new Uint8Array(16), new Uint8Array(7)), { instanceOf: RangeError });
});

// Independent bigint SipHash-2-4 for 8-byte messages, written straight from the paper.
const M64 = (1n << 64n) - 1n;
const rotl = (x: bigint, b: bigint) => ((x << b) | (x >> (64n - b))) & M64;
function refSip8(key: Uint8Array, msg: Uint8Array): bigint {
  const dv = new DataView(key.buffer, key.byteOffset, 16);
  const k0 = dv.getBigUint64(0, true);
  const k1 = dv.getBigUint64(8, true);
  let v0 = 0x736f6d6570736575n ^ k0;
  let v1 = 0x646f72616e646f6dn ^ k1;
  let v2 = 0x6c7967656e657261n ^ k0;
  let v3 = 0x7465646279746573n ^ k1;
  const round = () => {
    v0 = (v0 + v1) & M64; v1 = rotl(v1, 13n); v1 ^= v0; v0 = rotl(v0, 32n);
    v2 = (v2 + v3) & M64; v3 = rotl(v3, 16n); v3 ^= v2;
    v0 = (v0 + v3) & M64; v3 = rotl(v3, 21n); v3 ^= v0;
    v2 = (v2 + v1) & M64; v1 = rotl(v1, 17n); v1 ^= v2; v2 = rotl(v2, 32n);
  };
  const words = [new DataView(msg.buffer, msg.byteOffset, 8).getBigUint64(0, true), 8n << 56n];
  for (const m of words) {
    v3 ^= m; round(); round(); v0 ^= m;
  }
  v2 ^= 0xffn;
  round(); round(); round(); round();
  return v0 ^ v1 ^ v2 ^ v3;
}

test('NTCP2 mask chain: IV[n] = SipHash(IV[n-1]), mask = low 16 bits (differential vs bigint reference)', (t) => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.uint8Array({ minLength: 8, maxLength: 8 }), (key, iv0) => {
      const chain = new SipHashLengthMask(key, iv0);
      let iv = BigInt(new DataView(iv0.buffer, iv0.byteOffset, 8).getBigUint64(0, true));
      for (let i = 0; i < 5; i++) {
        const ivBytes = new Uint8Array(8);
        new DataView(ivBytes.buffer).setBigUint64(0, iv, true);
        iv = refSip8(key, ivBytes);
        if (chain.next() !== Number(iv & 0xffffn)) return false;
      }
      return true;
    }),
    { numRuns: 200 },
  );
  t.pass();
});

test('the chain does not alias its inputs', (t) => {
  const key = new Uint8Array(16).fill(7);
  const iv = new Uint8Array(8).fill(9);
  const a = new SipHashLengthMask(key, iv);
  const first = a.next();
  t.deepEqual(iv, new Uint8Array(8).fill(9));
  const b = new SipHashLengthMask(key, iv);
  t.is(b.next(), first);
});
