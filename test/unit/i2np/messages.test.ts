import test from 'ava';
import fc from 'fast-check';
import { deepStrictEqual } from 'node:assert';
import { ParseError } from '../../../data/errors.js';
import { fromHex, toHex } from '../../../data/bytes.js';
import { parseDatabaseSearchReply, serializeDatabaseSearchReply } from '../../../i2np/database-search-reply.js';
import { parseDeliveryStatus, serializeDeliveryStatus } from '../../../i2np/delivery-status.js';
import { parseGarlic, serializeGarlic } from '../../../i2np/garlic.js';
import { parseData, serializeData } from '../../../i2np/data.js';
import { parseTunnelData, serializeTunnelData } from '../../../i2np/tunnel-data.js';
import { parseTunnelGateway, serializeTunnelGateway } from '../../../i2np/tunnel-gateway.js';
import { serializeI2NPStandard } from '../../../i2np/header.js';
import {
  BuildFormat,
  parseOutboundTunnelBuildReply,
  parseShortTunnelBuild,
  parseTunnelBuild,
  parseTunnelBuildRecords,
  parseTunnelBuildReply,
  parseVariableTunnelBuild,
  parseVariableTunnelBuildReply,
  serializeTunnelBuild,
  serializeTunnelBuildRecords,
  serializeVariableTunnelBuild,
} from '../../../i2np/tunnel-build.js';
import {
  dataMessage,
  databaseSearchReply,
  deliveryStatus,
  garlic,
  records,
  tunnelData,
  tunnelGateway,
} from './arbitraries.js';

const h = (b: number): Uint8Array => new Uint8Array(32).fill(b);
const hx = (b: number): string => toHex(h(b));
const code = (f: () => unknown): string | undefined => {
  try {
    f();
  } catch (e) {
    return e instanceof ParseError ? e.code : `not a ParseError: ${String(e)}`;
  }
  return undefined;
};

// ---- DatabaseSearchReply: key 32 | num 1 | num × 32 | from 32 ----
test('DatabaseSearchReply layout (spec), truncation and trailing bytes', (t) => {
  const x = { key: h(1), peers: [h(2), h(3), h(4)], from: h(5) };
  const b = serializeDatabaseSearchReply(x);
  t.is(toHex(b), hx(1) + '03' + hx(2) + hx(3) + hx(4) + hx(5));
  t.deepEqual(parseDatabaseSearchReply(b), x);
  t.is(toHex(serializeDatabaseSearchReply({ key: h(1), peers: [], from: h(5) })), hx(1) + '00' + hx(5));
  t.is(code(() => parseDatabaseSearchReply(b.subarray(0, b.length - 1))), 'TRUNCATED');
  t.is(code(() => parseDatabaseSearchReply(fromHex(toHex(b) + '00'))), 'TRAILING_BYTES');
  t.throws(() => serializeDatabaseSearchReply({ ...x, peers: Array.from({ length: 256 }, () => h(0)) }), { instanceOf: RangeError });
});

// ---- DeliveryStatus: msg_id 4 | time_stamp 8 ----
test('DeliveryStatus layout (spec): exactly 12 bytes', (t) => {
  const b = serializeDeliveryStatus({ msgId: 0xcafebabe, timestamp: 1_700_000_000_000 });
  t.is(toHex(b), 'cafebabe' + '0000018bcfe56800');
  t.deepEqual(parseDeliveryStatus(b), { msgId: 0xcafebabe, timestamp: 1_700_000_000_000 });
  // SSU-style netId timestamp (2) is just a small number
  t.is(parseDeliveryStatus(fromHex('00000001' + '0000000000000002')).timestamp, 2);
  t.is(code(() => parseDeliveryStatus(b.subarray(0, 11))), 'TRUNCATED');
  t.is(code(() => parseDeliveryStatus(fromHex(toHex(b) + '00'))), 'TRAILING_BYTES');
  t.is(code(() => parseDeliveryStatus(fromHex('00000001' + 'ffffffffffffffff'))), 'OUT_OF_RANGE');
});

// ---- Garlic / Data: length 4 | data ----
test('Garlic and Data layout (spec): 4-byte length then opaque data', (t) => {
  for (const [ser, par] of [
    [serializeGarlic, parseGarlic],
    [serializeData, parseData],
  ] as const) {
    const b = ser({ data: fromHex('010203') });
    t.is(toHex(b), '00000003' + '010203');
    t.deepEqual(par(b), { data: fromHex('010203') });
    t.deepEqual(par(fromHex('00000000')), { data: new Uint8Array(0) });
    t.is(code(() => par(fromHex('ffffffff01'))), 'TRUNCATED'); // huge length: refused, nothing allocated
    t.is(code(() => par(fromHex('0000000201'))), 'TRUNCATED');
    t.is(code(() => par(fromHex('000000010102'))), 'TRAILING_BYTES');
  }
});

// ---- TunnelData: tunnelId 4 | data 1024 ----
test('TunnelData layout (spec): tunnel id + exactly 1024 bytes', (t) => {
  const data = new Uint8Array(1024).map((_, i) => i & 0xff);
  const b = serializeTunnelData({ tunnelId: 0x01020304, data });
  t.is(b.length, 1028);
  t.is(toHex(b.subarray(0, 4)), '01020304');
  t.deepEqual(b.subarray(4), data);
  t.deepEqual(parseTunnelData(b), { tunnelId: 0x01020304, data });
  t.is(code(() => parseTunnelData(b.subarray(0, 1027))), 'TRUNCATED');
  t.is(code(() => parseTunnelData(fromHex(toHex(b) + '00'))), 'TRAILING_BYTES');
  t.throws(() => serializeTunnelData({ tunnelId: 1, data: new Uint8Array(1023) }), { instanceOf: RangeError });
});

// ---- TunnelGateway: tunnelId 4 | length 2 | standard-form I2NP message ----
test('TunnelGateway layout (spec): tunnel id, length, then a standard-header message', (t) => {
  const message = { type: 10, msgId: 0x01020304, expiration: 1_700_000_000_000, payload: new TextEncoder().encode('abc') };
  const inner = serializeI2NPStandard(message);
  t.is(toHex(inner), '0a' + '01020304' + '0000018bcfe56800' + '0003' + 'ba' + '616263');
  const b = serializeTunnelGateway({ tunnelId: 0xa0b0c0d0, message });
  t.is(toHex(b), 'a0b0c0d0' + '0013' + toHex(inner));
  t.deepEqual(parseTunnelGateway(b), { tunnelId: 0xa0b0c0d0, message });

  // inner message with a bad checksum: refused by default, accepted when asked
  const bad = Uint8Array.from(b);
  bad[6 + 15] ^= 0xff;
  const e = t.throws(() => parseTunnelGateway(bad), { instanceOf: ParseError });
  t.is(e?.code, 'BAD_CHECKSUM');
  t.is(e?.offset, 6 + 15);
  t.is(e?.path, 'TunnelGateway/data/I2NPMessage');
  t.deepEqual(parseTunnelGateway(bad, { verifyChecksum: false }).message.payload, message.payload);

  // length must be exactly the inner message: one byte more → trailing bytes inside data
  const longer = fromHex('a0b0c0d0' + '0014' + toHex(inner) + '00');
  t.is(code(() => parseTunnelGateway(longer)), 'TRAILING_BYTES');
  // inner size says more than length allows
  const shorter = fromHex('a0b0c0d0' + '0012' + toHex(inner).slice(0, -2));
  t.is(code(() => parseTunnelGateway(shorter)), 'TRUNCATED');
  t.is(code(() => parseTunnelGateway(fromHex(toHex(b) + '00'))), 'TRAILING_BYTES');
});

// ---- Tunnel build messages ----
test('TunnelBuild / TunnelBuildReply: exactly 8 × 528 = 4224 bytes, no count byte', (t) => {
  const recs = Array.from({ length: 8 }, (_, i) => new Uint8Array(528).fill(i + 1));
  const b = serializeTunnelBuild({ records: recs });
  t.is(b.length, 4224);
  t.is(b[0], 1);
  t.is(b[528], 2);
  t.deepEqual(parseTunnelBuild(b).records, recs);
  t.deepEqual(parseTunnelBuildReply(b).records, recs);
  t.is(code(() => parseTunnelBuild(b.subarray(0, 4223))), 'TRUNCATED');
  t.is(code(() => parseTunnelBuildReply(fromHex(toHex(b) + '00'))), 'TRAILING_BYTES');
  t.throws(() => serializeTunnelBuild({ records: recs.slice(1) }), { instanceOf: RangeError });
});

test('VariableTunnelBuild(Reply): num + num × 528; ShortTunnelBuild / OutboundTunnelBuildReply: num + num × 218', (t) => {
  const four528 = Array.from({ length: 4 }, (_, i) => new Uint8Array(528).fill(0x10 + i));
  const v = serializeVariableTunnelBuild({ records: four528 });
  t.is(v.length, 2113); // spec: "Typical number of records ... is 4, for a total size of 2113"
  t.is(v[0], 4);
  t.is(v[1], 0x10);
  t.is(v[1 + 528], 0x11);
  t.deepEqual(parseVariableTunnelBuild(v).records, four528);
  t.deepEqual(parseVariableTunnelBuildReply(v).records, four528);

  const four218 = Array.from({ length: 4 }, (_, i) => new Uint8Array(218).fill(0x20 + i));
  const s = serializeTunnelBuildRecords({ records: four218 }, BuildFormat.ShortTunnelBuild);
  t.is(s.length, 873); // spec: "a total size of 873"
  t.is(s[0], 4);
  t.is(s[1 + 218], 0x21);
  t.deepEqual(parseShortTunnelBuild(s).records, four218);
  t.deepEqual(parseOutboundTunnelBuildReply(s).records, four218);

  // num bounded 1..8, checked before reading records; exact length
  for (const n of [0, 9, 255]) {
    const bad = Uint8Array.from(s);
    bad[0] = n;
    t.is(code(() => parseShortTunnelBuild(bad)), 'BAD_RECORD_COUNT', `num ${n}`);
  }
  const five = Uint8Array.from(s);
  five[0] = 5;
  t.is(code(() => parseShortTunnelBuild(five)), 'TRUNCATED');
  const three = Uint8Array.from(s);
  three[0] = 3;
  t.is(code(() => parseShortTunnelBuild(three)), 'TRAILING_BYTES');
  t.is(code(() => parseVariableTunnelBuild(s)), 'TRUNCATED'); // short records in a long-record message
  t.throws(() => serializeVariableTunnelBuild({ records: [] }), { instanceOf: RangeError });
  t.throws(() => serializeVariableTunnelBuild({ records: four218 }), { instanceOf: RangeError });
});

test('round-trips: search reply, delivery status, garlic, data, tunnel data, tunnel gateway, build messages', (t) => {
  const prop = <T>(arb: fc.Arbitrary<T>, ser: (x: T) => Uint8Array, par: (b: Uint8Array) => T): void =>
    fc.assert(fc.property(arb, (x) => deepStrictEqual(par(ser(x)), x)), { numRuns: 100 });
  prop(databaseSearchReply, serializeDatabaseSearchReply, parseDatabaseSearchReply);
  prop(deliveryStatus, serializeDeliveryStatus, parseDeliveryStatus);
  prop(garlic, serializeGarlic, parseGarlic);
  prop(dataMessage, serializeData, parseData);
  prop(tunnelData, serializeTunnelData, parseTunnelData);
  prop(tunnelGateway, serializeTunnelGateway, (b) => parseTunnelGateway(b));
  for (const [name, f] of Object.entries(BuildFormat)) {
    const arb = f.fixedCount !== null ? records(f.recordSize, f.fixedCount, f.fixedCount) : records(f.recordSize, 1, 8);
    fc.assert(
      fc.property(arb, (x) => deepStrictEqual(parseTunnelBuildRecords(serializeTunnelBuildRecords(x, f), f), x)),
      { numRuns: 30 },
    );
    t.log(`${name} ok`);
  }
  t.pass();
});
