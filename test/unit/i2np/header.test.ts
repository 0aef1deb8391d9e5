import test from 'ava';
import fc from 'fast-check';
import { deepStrictEqual } from 'node:assert';
import { createHash } from 'node:crypto';
import { ParseError } from '../../../data/errors.js';
import { fromHex, toHex } from '../../../data/bytes.js';
import {
  I2NPType,
  I2NP_HEADER_SIZE,
  I2NP_SHORT_HEADER_SIZE,
  i2npTypeName,
  parseI2NPShort,
  parseI2NPStandard,
  serializeI2NPShort,
  serializeI2NPStandard,
  toI2NPType,
} from '../../../i2np/header.js';
import { i2npMessage, i2npMessageShortExact } from './arbitraries.js';

// Spec i2np.rst "I2NP message header", standard 16 bytes:
//   type 1 | msg_id 4 | expiration 8 (Date, ms) | size 2 | chks 1 (SHA256(payload) truncated to first byte)
// SHA-256("abc") = ba7816bf... (FIPS 180-2 example), so chks of payload "abc" is 0xba.
const ABC = new TextEncoder().encode('abc');
const STANDARD_ABC = fromHex(
  '0a' + // type 10 DeliveryStatus (any type; payload is opaque at this layer)
    '01020304' + // msg_id
    '0000018bcfe56800' + // expiration 1700000000000 ms
    '0003' + // size
    'ba' + // chks
    '616263', // payload "abc"
);

test('standard header: spec layout of a hand-built message, checksum = SHA-256(payload)[0]', (t) => {
  t.is(I2NP_HEADER_SIZE, 16);
  t.is(createHash('sha256').update(ABC).digest()[0], 0xba);
  const m = parseI2NPStandard(STANDARD_ABC);
  t.is(m.type, 10);
  t.is(m.msgId, 0x01020304);
  t.is(m.expiration, 1_700_000_000_000);
  t.deepEqual(m.payload, ABC);
  t.is(toHex(serializeI2NPStandard(m)), toHex(STANDARD_ABC));
});

test('standard header: empty payload has size 0 and chks 0xe3 (SHA-256 of "" = e3b0c442...)', (t) => {
  const b = serializeI2NPStandard({ type: 1, msgId: 0xffffffff, expiration: 0, payload: new Uint8Array(0) });
  t.is(toHex(b), '01' + 'ffffffff' + '0000000000000000' + '0000' + 'e3');
});

test('standard header: wrong checksum → ParseError BAD_CHECKSUM at byte 15, accepted with verifyChecksum:false', (t) => {
  const bad = Uint8Array.from(STANDARD_ABC);
  bad[15] = 0x00; // what i2pd writes after FromNTCP2
  const e = t.throws(() => parseI2NPStandard(bad), { instanceOf: ParseError });
  t.is(e?.code, 'BAD_CHECKSUM');
  t.is(e?.offset, 15);
  t.deepEqual(parseI2NPStandard(bad, { verifyChecksum: false }).payload, ABC);
});

test('standard header: truncation and trailing bytes are ParseErrors', (t) => {
  for (let n = 0; n < STANDARD_ABC.length; n++) {
    const e = t.throws(() => parseI2NPStandard(STANDARD_ABC.subarray(0, n)), { instanceOf: ParseError });
    t.is(e?.code, 'TRUNCATED', `cut at ${n}`);
  }
  const long = new Uint8Array(STANDARD_ABC.length + 1);
  long.set(STANDARD_ABC);
  t.is(t.throws(() => parseI2NPStandard(long), { instanceOf: ParseError })?.code, 'TRAILING_BYTES');
});

test('standard header: expiration above 2^53-1 is refused as OUT_OF_RANGE', (t) => {
  const b = Uint8Array.from(STANDARD_ABC);
  b.set(fromHex('ffffffffffffffff'), 5);
  t.is(t.throws(() => parseI2NPStandard(b), { instanceOf: ParseError })?.code, 'OUT_OF_RANGE');
});

test('standard header: serializer refuses misuse with RangeError', (t) => {
  const ok = { type: 1, msgId: 1, expiration: 1, payload: new Uint8Array(1) };
  t.throws(() => serializeI2NPStandard({ ...ok, payload: new Uint8Array(0x10000) }), { instanceOf: RangeError });
  t.throws(() => serializeI2NPStandard({ ...ok, type: 256 }), { instanceOf: RangeError });
  t.throws(() => serializeI2NPStandard({ ...ok, msgId: -1 }), { instanceOf: RangeError });
  t.throws(() => serializeI2NPStandard({ ...ok, expiration: 1.5 }), { instanceOf: RangeError });
  t.notThrows(() => serializeI2NPStandard({ ...ok, payload: new Uint8Array(0xffff) }));
});

// Spec: short form (NTCP2, SSU2, ECIES cloves), 9 bytes: type 1 | msg_id 4 | short_expiration 4 (seconds)
test('short header: spec layout of a hand-built message; expiration seconds ⇄ ms', (t) => {
  t.is(I2NP_SHORT_HEADER_SIZE, 9);
  const b = fromHex('0b' + 'a1b2c3d4' + '6553f100' + '616263'); // 0x6553f100 = 1700000000 s
  const m = parseI2NPShort(b);
  t.deepEqual(m, { type: 11, msgId: 0xa1b2c3d4, expiration: 1_700_000_000_000, payload: ABC });
  t.is(toHex(serializeI2NPShort(m)), toHex(b));
  // ms are floored to whole seconds like i2pd ToNTCP2 (ms / 1000)
  t.is(toHex(serializeI2NPShort({ ...m, expiration: 1_700_000_000_999 })), toHex(b));
  // header only, empty payload
  t.deepEqual(parseI2NPShort(b.subarray(0, 9)).payload, new Uint8Array(0));
  t.is(t.throws(() => parseI2NPShort(b.subarray(0, 8)), { instanceOf: ParseError })?.code, 'TRUNCATED');
});

test('short header: expiration past 2^32 s wraps like i2pd (htobe32 of ms/1000)', (t) => {
  const b = serializeI2NPShort({ type: 1, msgId: 0, expiration: (2 ** 32 + 5) * 1000, payload: new Uint8Array(0) });
  t.is(toHex(b.subarray(5, 9)), '00000005');
});

test('standard form round-trips any message', (t) => {
  fc.assert(fc.property(i2npMessage, (m) => deepStrictEqual(parseI2NPStandard(serializeI2NPStandard(m)), m)));
  t.pass();
});

test('short form round-trips messages with whole-second expirations', (t) => {
  fc.assert(fc.property(i2npMessageShortExact, (m) => deepStrictEqual(parseI2NPShort(serializeI2NPShort(m)), m)));
  t.pass();
});

test('standard → short → standard keeps type, id, payload and floor(expiration/1000)', (t) => {
  fc.assert(
    fc.property(i2npMessage, (m) => {
      const back = parseI2NPStandard(serializeI2NPStandard(parseI2NPShort(serializeI2NPShort(m))));
      deepStrictEqual(back, { ...m, expiration: (Math.floor(m.expiration / 1000) % 2 ** 32) * 1000 });
    }),
  );
  t.pass();
});

test('type map matches the spec table; unknown bytes give undefined', (t) => {
  t.deepEqual(
    { ...I2NPType },
    {
      DatabaseStore: 1,
      DatabaseLookup: 2,
      DatabaseSearchReply: 3,
      DeliveryStatus: 10,
      Garlic: 11,
      TunnelData: 18,
      TunnelGateway: 19,
      Data: 20,
      TunnelBuild: 21,
      TunnelBuildReply: 22,
      VariableTunnelBuild: 23,
      VariableTunnelBuildReply: 24,
      ShortTunnelBuild: 25,
      OutboundTunnelBuildReply: 26,
    },
  );
  t.is(toI2NPType(19), 19);
  t.is(i2npTypeName(26), 'OutboundTunnelBuildReply');
  for (const b of [0, 4, 9, 12, 17, 27, 224, 254, 255]) {
    t.is(toI2NPType(b), undefined);
    t.is(i2npTypeName(b), undefined);
  }
});
