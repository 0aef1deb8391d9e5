import test from 'ava';
import fc from 'fast-check';
import { deepStrictEqual } from 'node:assert';
import { ParseError } from '../../../data/errors.js';
import { fromHex } from '../../../data/bytes.js';
import {
  I2NPType,
  parseI2NPBody,
  parseI2NPPayload,
  parseI2NPShort,
  parseI2NPStandard,
  serializeI2NPPayload,
  serializeI2NPShort,
  serializeI2NPStandard,
} from '../../../i2np/index.js';
import { i2npBody } from './arbitraries.js';

test('parseI2NPPayload dispatches every type and round-trips through both header forms', (t) => {
  const seen = new Set<number>();
  fc.assert(
    fc.property(i2npBody, fc.integer({ min: 0, max: 0xffffffff }), (m, msgId) => {
      seen.add(m.type);
      const payload = serializeI2NPPayload(m);
      deepStrictEqual(parseI2NPPayload(m.type, payload), m);
      const wire = { type: m.type, msgId, expiration: 1_700_000_000_000, payload };
      deepStrictEqual(parseI2NPBody(parseI2NPStandard(serializeI2NPStandard(wire))), m);
      deepStrictEqual(parseI2NPBody(parseI2NPShort(serializeI2NPShort(wire))), m);
    }),
    { numRuns: 300 },
  );
  t.deepEqual([...seen].sort((a, b) => a - b), Object.values(I2NPType).sort((a, b) => a - b));
});

test('unknown type → ParseError UNKNOWN_TYPE (reserved 0, gaps, experimental 224-254, 255)', (t) => {
  for (const type of [0, 4, 5, 9, 12, 17, 27, 100, 224, 254, 255]) {
    const e = t.throws(() => parseI2NPPayload(type, fromHex('00')), { instanceOf: ParseError });
    t.is(e?.code, 'UNKNOWN_TYPE');
  }
});

test('a known type with a bad payload reports that message in the path', (t) => {
  const e = t.throws(() => parseI2NPPayload(I2NPType.DeliveryStatus, fromHex('00')), { instanceOf: ParseError });
  t.is(e?.code, 'TRUNCATED');
  t.is(e?.path, 'DeliveryStatus');
});
