/**
 * ECIES payload blocks (ecies.rst "5) Payload"; i2np.rst "Garlic Clove Delivery Instructions").
 * Byte layouts are written out by hand from the spec tables and from i2pd 2.45.1 CreatePayload /
 * CreateGarlicClove (ECIESX25519AEADRatchetSession.cpp).
 */
import test from 'ava';
import fc from 'fast-check';
import { fromHex, toHex } from '../../../data/bytes.js';
import { ParseError } from '../../../data/errors.js';
import { BlockType, cloveBlock, parseBlocks, serializeBlocks } from '../../../garlic/blocks.js';
import type { Block, CloveDelivery } from '../../../garlic/blocks.js';

test('spec layouts: DateTime, NextKey, Ack, AckRequest, MessageNumbers, Termination, Padding', (t) => {
  const blocks: Block[] = [
    { type: BlockType.DateTime, timestamp: 0x65a1b2c3 },
    { type: BlockType.MessageNumbers, pn: 0x0102 },
    { type: BlockType.NextKey, flags: 0x05, keyId: 0, publicKey: new Uint8Array(32).fill(0xaa) },
    { type: BlockType.NextKey, flags: 0x02, keyId: 7 },
    { type: BlockType.Ack, acks: [{ tagsetId: 1, n: 2 }, { tagsetId: 3, n: 0xffff }] },
    { type: BlockType.AckRequest, flags: 0 },
    { type: BlockType.Termination, reason: 1, data: Uint8Array.of(9) },
    { type: BlockType.Padding, padding: new Uint8Array(3) },
  ];
  const hex =
    '00' + '0004' + '65a1b2c3' +
    '06' + '0002' + '0102' +
    '07' + '0023' + '05' + '0000' + 'aa'.repeat(32) +
    '07' + '0003' + '02' + '0007' +
    '08' + '0008' + '0001' + '0002' + '0003' + 'ffff' +
    '09' + '0001' + '00' +
    '04' + '0002' + '01' + '09' +
    'fe' + '0003' + '000000';
  t.is(toHex(serializeBlocks(blocks)), hex);
  t.deepEqual(parseBlocks(fromHex(hex)), blocks);
});

test('Garlic Clove: i2pd CreateGarlicClove layouts for local and destination delivery, tunnel and router too', (t) => {
  const hash = new Uint8Array(32).fill(0x11);
  const body = Uint8Array.of(1, 2, 3);
  const cases: [CloveDelivery, string][] = [
    [{ type: 'local' }, '00'],
    [{ type: 'destination', hash }, '20' + '11'.repeat(32)],
    [{ type: 'router', hash }, '40' + '11'.repeat(32)],
    [{ type: 'tunnel', hash, tunnelId: 0x01020304 }, '60' + '11'.repeat(32) + '01020304'],
  ];
  for (const [delivery, di] of cases) {
    const b: Block = { type: BlockType.GarlicClove, clove: { delivery, i2npType: 20, msgId: 0xdeadbeef, expiration: 0x65000000, body } };
    const data = di + '14' + 'deadbeef' + '65000000' + '010203';
    const hex = '0b' + (data.length / 2).toString(16).padStart(4, '0') + data;
    t.is(toHex(serializeBlocks([b])), hex);
    t.deepEqual(parseBlocks(fromHex(hex)), [b]);
  }
});

test('cloveBlock converts an I2NP message (ms expiration) to the short form (s)', (t) => {
  const b = cloveBlock({ type: 10, msgId: 5, expiration: 1_700_000_000_999, payload: Uint8Array.of(7) });
  t.is(b.type, BlockType.GarlicClove);
  if (b.type === BlockType.GarlicClove) t.is(b.clove.expiration, 1_700_000_000);
});

test('reserved delivery flag bits are ignored like i2pd but round-trip', (t) => {
  // flag 0x90: encrypted + delay bits set, delivery local: i2pd reads neither a key nor a delay
  const hex = '0b' + '000a' + '90' + '14' + '00000001' + '00000002';
  const [b] = parseBlocks(fromHex(hex));
  t.is(b!.type, BlockType.GarlicClove);
  if (b!.type === BlockType.GarlicClove) {
    t.deepEqual(b.clove.delivery, { type: 'local' });
    t.is(b.clove.reservedFlags, 0x90);
    t.is(b.clove.body.length, 0);
  }
  t.is(toHex(serializeBlocks([b!])), hex);
});

test('unknown block types are kept as unknown (spec: ignore, treat as padding)', (t) => {
  const hex = '01' + '0002' + 'abcd' + 'e0' + '0000';
  const blocks = parseBlocks(fromHex(hex));
  t.deepEqual(blocks, [
    { type: 'unknown', blockType: 1, data: fromHex('abcd') },
    { type: 'unknown', blockType: 0xe0, data: new Uint8Array(0) },
  ]);
  t.is(toHex(serializeBlocks(blocks)), hex);
});

test('malformed blocks → ParseError with code and path', (t) => {
  const bad: [string, string][] = [
    ['00', 'TRUNCATED'], // header cut
    ['000004aabb', 'TRUNCATED'], // data cut
    ['000003aabbcc', 'BAD_SIZE'], // DateTime must be 4
    ['060003000000', 'BAD_SIZE'],
    ['0700030100' + '00', 'BAD_SIZE'], // key-present flag, size 3
    ['070023' + '00' + '0000' + 'aa'.repeat(32), 'BAD_SIZE'], // size 35 without the flag
    ['070003' + '00' + '8000', 'OUT_OF_RANGE'], // key id 32768
    ['080003' + '000102', 'BAD_SIZE'], // ack not a multiple of 4
    ['080000', 'BAD_SIZE'], // empty ack
    ['090002' + '0000', 'BAD_SIZE'],
    ['040000', 'BAD_SIZE'],
    ['0b0005' + '20' + '11111111', 'TRUNCATED'], // destination hash cut
    ['0b0005' + '00' + '14' + '000000', 'TRUNCATED'], // clove header cut
  ];
  for (const [hex, code] of bad) {
    const e = t.throws(() => parseBlocks(fromHex(hex)), { instanceOf: ParseError }, hex);
    t.is(e?.code, code, hex);
    t.true(e!.path.startsWith('GarlicPayload/blocks[0]'), e!.path);
  }
});

const u8 = (min: number, max: number) => fc.uint8Array({ minLength: min, maxLength: max });
const hash = u8(32, 32);
const delivery: fc.Arbitrary<CloveDelivery> = fc.oneof(
  fc.constant<CloveDelivery>({ type: 'local' }),
  hash.map((h): CloveDelivery => ({ type: 'destination', hash: h })),
  hash.map((h): CloveDelivery => ({ type: 'router', hash: h })),
  fc.tuple(hash, fc.nat({ max: 0xffffffff })).map(([h, id]): CloveDelivery => ({ type: 'tunnel', hash: h, tunnelId: id })),
);
const u16 = fc.nat({ max: 0xffff });
const u32 = fc.nat({ max: 0xffffffff });
const block: fc.Arbitrary<Block> = fc.oneof(
  u32.map((timestamp): Block => ({ type: BlockType.DateTime, timestamp })),
  fc.tuple(fc.nat({ max: 255 }), u8(0, 20)).map(([reason, data]): Block => ({ type: BlockType.Termination, reason, data })),
  u8(0, 40).map((data): Block => ({ type: BlockType.Options, data })),
  u16.map((pn): Block => ({ type: BlockType.MessageNumbers, pn })),
  fc.tuple(fc.nat({ max: 32767 }), fc.boolean(), fc.nat({ max: 0x7f }), hash).map(([keyId, present, f, pk]): Block => {
    const flags = (f << 1) | (present ? 1 : 0);
    return present ? { type: BlockType.NextKey, flags, keyId, publicKey: pk } : { type: BlockType.NextKey, flags, keyId };
  }),
  fc.array(fc.record({ tagsetId: u16, n: u16 }), { minLength: 1, maxLength: 5 }).map((acks): Block => ({ type: BlockType.Ack, acks })),
  fc.nat({ max: 255 }).map((flags): Block => ({ type: BlockType.AckRequest, flags })),
  fc.record({ delivery, i2npType: fc.nat({ max: 255 }), msgId: u32, expiration: u32, body: u8(0, 60) }).map((clove): Block => ({ type: BlockType.GarlicClove, clove })),
  u8(0, 30).map((padding): Block => ({ type: BlockType.Padding, padding })),
  fc.tuple(fc.constantFrom(1, 2, 3, 10, 224, 253, 255), u8(0, 20)).map(([blockType, data]): Block => ({ type: 'unknown', blockType, data })),
);

test('fuzz: parseBlocks(serializeBlocks(x)) = x', (t) => {
  fc.assert(
    fc.property(fc.array(block, { maxLength: 8 }), (blocks) => {
      const bytes = serializeBlocks(blocks);
      t.deepEqual(parseBlocks(bytes), blocks);
      t.deepEqual(serializeBlocks(parseBlocks(bytes)), bytes);
    }),
    { numRuns: 300 },
  );
});

test('fuzz: random bytes → blocks or ParseError, never anything else; parsed input re-serializes byte-exact', (t) => {
  fc.assert(
    fc.property(u8(0, 200), (bytes) => {
      try {
        const blocks = parseBlocks(bytes);
        t.deepEqual(serializeBlocks(blocks), bytes);
      } catch (e) {
        if (!(e instanceof ParseError)) throw e;
      }
    }),
    { numRuns: 2000 },
  );
  t.pass();
});

test('serialize rejects misuse with RangeError', (t) => {
  t.throws(() => serializeBlocks([{ type: BlockType.NextKey, flags: 1, keyId: 0 }]), { instanceOf: RangeError });
  t.throws(() => serializeBlocks([{ type: BlockType.NextKey, flags: 0, keyId: 40000 }]), { instanceOf: RangeError });
  t.throws(() => serializeBlocks([{ type: BlockType.Ack, acks: [] }]), { instanceOf: RangeError });
  t.throws(() => serializeBlocks([{ type: BlockType.Padding, padding: new Uint8Array(65517) }]), { instanceOf: RangeError });
});
