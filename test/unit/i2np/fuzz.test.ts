/**
 * Fuzz: random bytes and mutated valid encodings into every i2np parser; the only error allowed out is
 * ParseError (anything else fails the property).
 */
import test from 'ava';
import fc from 'fast-check';
import { ParseError } from '../../../data/errors.js';
import { parseI2NPShort, parseI2NPStandard, serializeI2NPShort, serializeI2NPStandard } from '../../../i2np/header.js';
import { decompressRouterInfo, compressRouterInfo, parseDatabaseStore, serializeDatabaseStore } from '../../../i2np/database-store.js';
import { parseDatabaseLookup, serializeDatabaseLookup } from '../../../i2np/database-lookup.js';
import { parseDatabaseSearchReply, serializeDatabaseSearchReply } from '../../../i2np/database-search-reply.js';
import { parseDeliveryStatus, serializeDeliveryStatus } from '../../../i2np/delivery-status.js';
import { parseGarlic, serializeGarlic } from '../../../i2np/garlic.js';
import { parseData, serializeData } from '../../../i2np/data.js';
import { parseTunnelData, serializeTunnelData } from '../../../i2np/tunnel-data.js';
import { parseTunnelGateway, serializeTunnelGateway } from '../../../i2np/tunnel-gateway.js';
import { BuildFormat, parseTunnelBuildRecords, serializeTunnelBuildRecords } from '../../../i2np/tunnel-build.js';
import { parseI2NPPayload, serializeI2NPPayload } from '../../../i2np/index.js';
import {
  dataMessage,
  databaseLookup,
  databaseSearchReply,
  databaseStore,
  deliveryStatus,
  garlic,
  i2npBody,
  i2npMessage,
  mutated,
  records,
  tunnelData,
  tunnelGateway,
} from './arbitraries.js';

function onlyParseError(parse: (b: Uint8Array) => unknown): (b: Uint8Array) => void {
  return (b) => {
    try {
      parse(b);
    } catch (e) {
      if (!(e instanceof ParseError)) throw e;
    }
  };
}

const targets: [string, (b: Uint8Array) => unknown, fc.Arbitrary<Uint8Array>][] = [
  ['I2NP standard', (b) => parseI2NPStandard(b), i2npMessage.map(serializeI2NPStandard)],
  ['I2NP standard (no checksum)', (b) => parseI2NPStandard(b, { verifyChecksum: false }), i2npMessage.map(serializeI2NPStandard)],
  ['I2NP short', parseI2NPShort, i2npMessage.map(serializeI2NPShort)],
  ['DatabaseStore', (b) => parseDatabaseStore(b), databaseStore.map((x) => serializeDatabaseStore(x))],
  ['RouterInfo gzip', (b) => decompressRouterInfo(b), fc.uint8Array({ minLength: 1, maxLength: 2000 }).chain((d) => fc.boolean().map((s) => compressRouterInfo(d, s)))],
  ['DatabaseLookup', parseDatabaseLookup, databaseLookup.map(serializeDatabaseLookup)],
  ['DatabaseSearchReply', parseDatabaseSearchReply, databaseSearchReply.map(serializeDatabaseSearchReply)],
  ['DeliveryStatus', parseDeliveryStatus, deliveryStatus.map(serializeDeliveryStatus)],
  ['Garlic', parseGarlic, garlic.map(serializeGarlic)],
  ['Data', parseData, dataMessage.map(serializeData)],
  ['TunnelData', parseTunnelData, tunnelData.map(serializeTunnelData)],
  ['TunnelGateway', (b) => parseTunnelGateway(b), tunnelGateway.map(serializeTunnelGateway)],
  ...Object.values(BuildFormat).map(
    (f) =>
      [
        f.name,
        (b: Uint8Array) => parseTunnelBuildRecords(b, f),
        records(f.recordSize, f.fixedCount ?? 1, f.fixedCount ?? 8).map((x) => serializeTunnelBuildRecords(x, f)),
      ] as [string, (b: Uint8Array) => unknown, fc.Arbitrary<Uint8Array>],
  ),
];

for (const [name, parse, valid] of targets) {
  test(`fuzz ${name}: random bytes → only ParseError`, (t) => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 1200 }), onlyParseError(parse)), { numRuns: 300 });
    t.pass();
  });
  test(`fuzz ${name}: mutated valid encodings → only ParseError`, (t) => {
    fc.assert(fc.property(mutated(valid), onlyParseError(parse)), { numRuns: 300 });
    t.pass();
  });
}

test('fuzz parseI2NPPayload: any type byte with random or mutated payloads → only ParseError', (t) => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 255 }), fc.uint8Array({ maxLength: 1200 }), (type, b) => onlyParseError((p) => parseI2NPPayload(type, p))(b)),
    { numRuns: 500 },
  );
  fc.assert(
    fc.property(
      i2npBody.chain((m) => mutated(fc.constant(serializeI2NPPayload(m))).map((b) => [m.type, b] as const)),
      ([type, b]) => onlyParseError((p) => parseI2NPPayload(type, p))(b),
    ),
    { numRuns: 300 },
  );
  t.pass();
});
