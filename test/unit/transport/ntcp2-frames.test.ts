/**
 * NTCP2 data-phase frames (spec "4) Data Phase"): round trips, length obfuscation computed independently,
 * block rules, and bad input → ParseError / CryptoError only.
 */
import test from 'ava';
import fc from 'fast-check';
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { CryptoError } from '../../../crypto/errors.js';
import { SipHash24 } from '../../../crypto/siphash.js';
import { concatBytes } from '../../../data/bytes.js';
import { ParseError } from '../../../data/errors.js';
import {
  encodeBlocks,
  FrameDecoder,
  FrameEncoder,
  MAX_PAYLOAD_LENGTH,
  parseBlocks,
  terminationBlock,
  type Block,
  type DirectionKeys,
} from '../../../transport/ntcp2/frames.js';
import { seededRandom } from './ntcp2-helpers.js';

function keys(seed: number): DirectionKeys {
  const r = seededRandom(seed);
  return { key: r.bytes(32), sipKey: r.bytes(16), sipIv: r.bytes(8) };
}

const sample: Block[] = [
  { type: 'datetime', timestamp: 1_700_000_000 },
  {
    type: 'options',
    options: { tmin: 1, tmax: 2, rmin: 3, rmax: 4, tdmy: 5, rdmy: 6, tdelay: 7, rdelay: 8, more: Uint8Array.of(9, 9) },
  },
  { type: 'routerinfo', flood: true, routerInfo: new Uint8Array(100).fill(3) },
  { type: 'i2np', msgType: 19, msgId: 0xdeadbeef, expiration: 1_700_000_060, body: new Uint8Array(50).fill(7) },
  { type: 'unknown', blockType: 224, data: Uint8Array.of(1, 2, 3) },
  terminationBlock(12, 2, Uint8Array.of(0x41)),
  { type: 'padding', data: new Uint8Array(17) },
];

test('block encoding is byte-exact with the spec layouts', (t) => {
  const dt = encodeBlocks([{ type: 'datetime', timestamp: 0x01020304 }]);
  t.deepEqual(dt, Uint8Array.of(0, 0, 4, 1, 2, 3, 4));
  const i2np = encodeBlocks([{ type: 'i2np', msgType: 1, msgId: 0x0a0b0c0d, expiration: 0x11223344, body: Uint8Array.of(0xff) }]);
  t.deepEqual(i2np, Uint8Array.of(3, 0, 10, 1, 0x0a, 0x0b, 0x0c, 0x0d, 0x11, 0x22, 0x33, 0x44, 0xff));
  const term = encodeBlocks([terminationBlock(258, 4)]);
  t.deepEqual(term, Uint8Array.of(4, 0, 9, 0, 0, 0, 0, 0, 0, 1, 2, 4));
  const ri = encodeBlocks([{ type: 'routerinfo', flood: true, routerInfo: Uint8Array.of(5, 6) }]);
  t.deepEqual(ri, Uint8Array.of(2, 0, 3, 1, 5, 6));
  const pad = encodeBlocks([{ type: 'padding', data: new Uint8Array(2) }]);
  t.deepEqual(pad, Uint8Array.of(254, 0, 2, 0, 0));
});

test('parseBlocks(encodeBlocks(x)) = x for all block types', (t) => {
  const parsed = parseBlocks(encodeBlocks(sample));
  t.deepEqual(parsed, sample);
});

test('frames round-trip; length field = BE(len) ^ low16(SipHash chain); nonce counts frames', (t) => {
  const k = keys(1);
  const enc = new FrameEncoder(k);
  const dec = new FrameDecoder(k);
  const sip = new SipHash24(k.sipKey);
  const iv = Uint8Array.prototype.slice.call(k.sipIv);
  for (let i = 0; i < 4; i++) {
    const blocks: Block[] = [{ type: 'i2np', msgType: 2, msgId: i, expiration: 5, body: new Uint8Array(i * 100) }];
    const frame = enc.encode(blocks);
    sip.hash(iv, iv);
    const mask = iv[0]! | (iv[1]! << 8);
    const len = ((frame[0]! << 8) | frame[1]!) ^ mask;
    t.is(len, frame.length - 2);
    // independent AEAD check with noble: nonce = 4 zero bytes || counter LE, no AD
    const nonce = new Uint8Array(12);
    new DataView(nonce.buffer).setBigUint64(4, BigInt(i), true);
    t.deepEqual(chacha20poly1305(k.key, nonce).decrypt(frame.subarray(2)), encodeBlocks(blocks));
    dec.push(frame);
    t.deepEqual(dec.next(), blocks);
    t.is(dec.next(), null);
  }
  t.is(enc.framesSent, 4);
  t.is(dec.framesReceived, 4);
});

test('decoder reassembles frames split at every byte and concatenated', (t) => {
  const k = keys(2);
  const enc = new FrameEncoder(k);
  const frames = [enc.encode(sample), enc.encode([{ type: 'padding', data: new Uint8Array(0) }]), enc.encode([])];
  const all = concatBytes(...frames);
  const dec = new FrameDecoder(k);
  const got: Block[][] = [];
  for (let i = 0; i < all.length; i++) {
    dec.push(all.subarray(i, i + 1));
    for (let f = dec.next(); f; f = dec.next()) got.push(f);
  }
  t.is(got.length, 3);
  t.deepEqual(got[0], sample);
  t.deepEqual(got[1], [{ type: 'padding', data: new Uint8Array(0) }]);
  t.deepEqual(got[2], []);
  t.is(dec.bufferedBytes, 0);
});

test('max payload 65519 is accepted; larger is a RangeError for the sender', (t) => {
  const k = keys(3);
  const enc = new FrameEncoder(k);
  const dec = new FrameDecoder(k);
  const big: Block[] = [{ type: 'padding', data: new Uint8Array(MAX_PAYLOAD_LENGTH - 3) }];
  const frame = enc.encode(big);
  t.is(frame.length, 2 + 65535);
  dec.push(frame);
  t.is(dec.next()![0]!.type, 'padding');
  t.throws(() => enc.encode([{ type: 'padding', data: new Uint8Array(MAX_PAYLOAD_LENGTH - 2) }]), { instanceOf: RangeError });
});

test('tampered frame → CryptoError BAD_TAG, then the decoder stays poisoned', (t) => {
  const k = keys(4);
  const enc = new FrameEncoder(k);
  const dec = new FrameDecoder(k);
  const frame = enc.encode(sample);
  frame[10] ^= 0x80;
  dec.push(frame);
  const e = t.throws(() => dec.next(), { instanceOf: CryptoError });
  t.is((e as CryptoError).code, 'BAD_TAG');
  dec.push(enc.encode(sample));
  t.throws(() => dec.next(), { instanceOf: CryptoError });
});

test('a de-obfuscated length below 16 is a ParseError (AEAD framing error)', (t) => {
  const k = keys(5);
  const sip = new SipHash24(k.sipKey);
  const iv = Uint8Array.prototype.slice.call(k.sipIv);
  sip.hash(iv, iv);
  const mask = iv[0]! | (iv[1]! << 8);
  const obf = 15 ^ mask;
  const dec = new FrameDecoder(k);
  dec.push(Uint8Array.of(obf >>> 8, obf & 0xff));
  const e = t.throws(() => dec.next(), { instanceOf: ParseError });
  t.is((e as ParseError).code, 'BAD_FRAME_LENGTH');
});

test('wrong SipHash keys desynchronise the length → failure, never a crash', (t) => {
  const k = keys(6);
  const enc = new FrameEncoder(k);
  const dec = new FrameDecoder({ ...k, sipIv: new Uint8Array(8) });
  dec.push(enc.encode(sample));
  try {
    const r = dec.next();
    t.is(r, null); // waiting for a longer frame than was sent
  } catch (e) {
    t.true(e instanceof ParseError || e instanceof CryptoError);
  }
});

const rule = (blocks: Uint8Array, context: 'data' | 'm3p2' = 'data') => {
  const e = t_throws(() => parseBlocks(blocks, context));
  return e;
};
function t_throws(fn: () => unknown): ParseError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ParseError) return e;
    throw e;
  }
  throw new Error('expected a ParseError');
}

test('block ordering: padding last, termination last but padding, one padding', (t) => {
  const pad: Block = { type: 'padding', data: new Uint8Array(1) };
  const dt: Block = { type: 'datetime', timestamp: 1 };
  t.is(rule(encodeBlocks([pad, dt])).code, 'BLOCK_ORDER');
  t.is(rule(encodeBlocks([pad, pad])).code, 'BLOCK_ORDER');
  t.is(rule(encodeBlocks([terminationBlock(0, 0), dt])).code, 'BLOCK_ORDER');
  t.notThrows(() => parseBlocks(encodeBlocks([dt, terminationBlock(0, 0), pad])));
  t.notThrows(() => parseBlocks(encodeBlocks([dt, dt, { type: 'i2np', msgType: 1, msgId: 1, expiration: 1, body: new Uint8Array(0) }])));
});

test('message 3 part 2: RouterInfo, [Options], [Padding] only', (t) => {
  const ri: Block = { type: 'routerinfo', flood: false, routerInfo: new Uint8Array(40) };
  const opt: Block = { type: 'options', options: { tmin: 0, tmax: 0, rmin: 0, rmax: 0, tdmy: 0, rdmy: 0, tdelay: 0, rdelay: 0, more: new Uint8Array(0) } };
  const pad: Block = { type: 'padding', data: new Uint8Array(3) };
  t.deepEqual(parseBlocks(encodeBlocks([ri, opt, pad]), 'm3p2'), [ri, opt, pad]);
  t.deepEqual(parseBlocks(encodeBlocks([ri]), 'm3p2'), [ri]);
  t.deepEqual(parseBlocks(encodeBlocks([ri, pad]), 'm3p2'), [ri, pad]);
  t.is(rule(encodeBlocks([opt, ri]), 'm3p2').code, 'BLOCK_ORDER');
  t.is(rule(encodeBlocks([ri, pad, opt]), 'm3p2').code, 'BLOCK_ORDER');
  t.is(rule(encodeBlocks([ri, ri]), 'm3p2').code, 'BLOCK_ORDER');
  t.is(rule(encodeBlocks([ri, opt, opt]), 'm3p2').code, 'BLOCK_ORDER');
  t.is(rule(encodeBlocks([ri, { type: 'datetime', timestamp: 1 }]), 'm3p2').code, 'BLOCK_ORDER');
  t.is(rule(encodeBlocks([ri, { type: 'unknown', blockType: 200, data: new Uint8Array(0) }]), 'm3p2').code, 'BLOCK_ORDER');
  t.is(rule(new Uint8Array(0), 'm3p2').code, 'BLOCK_ORDER');
});

test('malformed blocks: overrun, bad sizes', (t) => {
  t.is(rule(Uint8Array.of(3, 0, 20, 1, 2, 3)).code, 'TRUNCATED'); // size runs past the payload
  t.is(rule(Uint8Array.of(3, 0)).code, 'TRUNCATED');
  t.is(rule(Uint8Array.of(0, 0, 3, 1, 2, 3)).code, 'BAD_BLOCK_SIZE');
  t.is(rule(Uint8Array.of(4, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0)).code, 'BAD_BLOCK_SIZE');
  t.is(rule(Uint8Array.of(3, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0)).code, 'BAD_BLOCK_SIZE');
  t.is(rule(Uint8Array.of(1, 0, 11, ...new Uint8Array(11))).code, 'BAD_BLOCK_SIZE');
  t.is(rule(Uint8Array.of(2, 0, 0)).code, 'BAD_BLOCK_SIZE');
  const e = rule(Uint8Array.of(0, 0, 4, 0, 0, 0, 0, 3, 0, 20));
  t.is(e.path, 'NTCP2/frame/blocks[1]');
});

const arbBlock: fc.Arbitrary<Block> = fc.oneof(
  fc.record({ type: fc.constant('datetime' as const), timestamp: fc.nat({ max: 0xffffffff }) }),
  fc.record({
    type: fc.constant('options' as const),
    options: fc.record({
      tmin: fc.nat({ max: 255 }), tmax: fc.nat({ max: 255 }), rmin: fc.nat({ max: 255 }), rmax: fc.nat({ max: 255 }),
      tdmy: fc.nat({ max: 65535 }), rdmy: fc.nat({ max: 65535 }), tdelay: fc.nat({ max: 65535 }), rdelay: fc.nat({ max: 65535 }),
      more: fc.uint8Array({ maxLength: 20 }),
    }),
  }),
  fc.record({ type: fc.constant('routerinfo' as const), flood: fc.boolean(), routerInfo: fc.uint8Array({ maxLength: 300 }) }),
  fc.record({
    type: fc.constant('i2np' as const),
    msgType: fc.nat({ max: 255 }), msgId: fc.nat({ max: 0xffffffff }), expiration: fc.nat({ max: 0xffffffff }),
    body: fc.uint8Array({ maxLength: 300 }),
  }),
  fc.record({ type: fc.constant('unknown' as const), blockType: fc.integer({ min: 5, max: 253 }), data: fc.uint8Array({ maxLength: 30 }) }),
);

test('fast-check: decode(encode(blocks)) = blocks through the frame codec', (t) => {
  fc.assert(
    fc.property(fc.array(arbBlock, { maxLength: 6 }), fc.boolean(), fc.nat({ max: 40 }), (blocks, term, padLen) => {
      const list: Block[] = [...blocks];
      if (term) list.push(terminationBlock(7, 3));
      list.push({ type: 'padding', data: new Uint8Array(padLen) });
      const k = keys(7);
      const enc = new FrameEncoder(k);
      const dec = new FrameDecoder(k);
      dec.push(enc.encode(list));
      const got = dec.next();
      t.deepEqual(got, list);
      return dec.next() === null;
    }),
    { numRuns: 200 },
  );
});

test('fast-check: random bytes into the frame decoder → only ParseError/CryptoError', (t) => {
  fc.assert(
    fc.property(fc.array(fc.uint8Array({ maxLength: 200 }), { maxLength: 8 }), (chunks) => {
      const dec = new FrameDecoder(keys(8));
      try {
        for (const c of chunks) {
          dec.push(c);
          while (dec.next() !== null) {
            /* decode all */
          }
        }
      } catch (e) {
        return e instanceof ParseError || e instanceof CryptoError;
      }
      return true;
    }),
    { numRuns: 500 },
  );
  t.pass();
});

test('fast-check: random payloads into parseBlocks → only ParseError', (t) => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), fc.constantFrom('data' as const, 'm3p2' as const), (payload, ctx) => {
      try {
        parseBlocks(payload, ctx);
      } catch (e) {
        return e instanceof ParseError;
      }
      return true;
    }),
    { numRuns: 1000 },
  );
  t.pass();
});
