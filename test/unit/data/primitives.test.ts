import test from 'ava';
import fc from 'fast-check';
import { Reader, Writer, equalBytes } from '../../../data/bytes.js';
import { ParseError } from '../../../data/errors.js';
import {
  buildMapping,
  isSortedMapping,
  mappingGet,
  readDate,
  readInteger,
  readMapping,
  readString,
  sizeOfMapping,
  sizeOfString,
  writeDate,
  writeInteger,
  writeMapping,
  writeString,
  type Mapping,
} from '../../../data/primitives.js';

const enc = (s: string) => new TextEncoder().encode(s);

function mapBytes(m: Mapping): Uint8Array {
  const w = new Writer(sizeOfMapping(m));
  writeMapping(w, m);
  return w.done();
}

test('Integer and Date are big-endian', (t) => {
  const w = new Writer(3 + 8);
  writeInteger(w, 3, 0x010203);
  writeDate(w, 1_700_000_000_123);
  const b = w.done();
  t.deepEqual([...b.subarray(0, 3)], [1, 2, 3]);
  const r = new Reader(b);
  t.is(readInteger(r, 3), 0x010203);
  t.is(readDate(r), 1_700_000_000_123);
  t.throws(() => writeInteger(new Writer(1), 1, 256), { instanceOf: RangeError });
  const huge = new Reader(new Uint8Array(8).fill(0xff), 'D');
  t.is(t.throws(() => readDate(huge), { instanceOf: ParseError }).code, 'OUT_OF_RANGE');
});

test('String: length byte + UTF-8, byte-exact round trip', (t) => {
  const s = '\ufeffnetId=é😀';
  const w = new Writer(sizeOfString(s));
  writeString(w, s);
  const b = w.done();
  t.is(b[0], b.length - 1);
  t.is(readString(new Reader(b)), s); // BOM kept
  t.throws(() => writeString(new Writer(300), 'x'.repeat(256)), { instanceOf: RangeError });
  const bad = Uint8Array.of(2, 0xc3, 0x28);
  t.is(t.throws(() => readString(new Reader(bad, 'S')), { instanceOf: ParseError }).code, 'BAD_STRING');
});

test('Mapping wire format matches the spec example layout', (t) => {
  const b = mapBytes([['a', 'bc']]);
  t.deepEqual([...b], [0, 7, 1, 0x61, 0x3d, 2, 0x62, 0x63, 0x3b]);
  t.deepEqual(readMapping(new Reader(b)), [['a', 'bc']]);
  t.deepEqual([...mapBytes([])], [0, 0]);
});

test('parsing keeps order and duplicates; mappingGet returns the last value (i2pd)', (t) => {
  const m: Mapping = [['z', '1'], ['a', '2'], ['z', '3']];
  const b = mapBytes(m);
  const back = readMapping(new Reader(b));
  t.deepEqual(back, m);
  t.true(equalBytes(mapBytes(back), b));
  t.is(mappingGet(back, 'z'), '3');
  t.is(mappingGet(back, 'q'), undefined);
  t.false(isSortedMapping(back));
});

test('buildMapping sorts by key (Java compareTo order) and rejects duplicates', (t) => {
  const m = buildMapping({ port: '1', host: 'x', caps: 'B', Z: 'upper' });
  t.deepEqual(m.map(([k]) => k), ['Z', 'caps', 'host', 'port']);
  t.true(isSortedMapping(m));
  t.throws(() => buildMapping([['a', '1'], ['a', '2']]), { instanceOf: RangeError });
  t.throws(() => buildMapping({ a: 'x'.repeat(256) }), { instanceOf: RangeError });
  // UTF-16 code unit order: U+FF61 sorts after U+1F600's high surrogate? No: 0xD83D < 0xFF61
  t.deepEqual(buildMapping([['\uff61', '1'], ['😀', '2']]).map(([k]) => k), ['😀', '\uff61']);
});

test('readMapping rejects bad separators, overruns and truncation with ParseError', (t) => {
  const good = mapBytes([['ab', 'cd']]);
  const noEq = Uint8Array.prototype.slice.call(good);
  noEq[5] = 0x3a;
  const e1 = t.throws(() => readMapping(new Reader(noEq, 'M')), { instanceOf: ParseError });
  t.is(e1.code, 'BAD_MAPPING');
  t.is(e1.path, 'M/[0]');
  t.is(e1.offset, 5);
  const noSemi = Uint8Array.prototype.slice.call(good);
  noSemi[good.length - 1] = 0x2c;
  t.is(t.throws(() => readMapping(new Reader(noSemi)), { instanceOf: ParseError }).code, 'BAD_MAPPING');
  // size says 4 bytes but the entry needs 9: must not read past the mapping, even with bytes following
  const overrun = Uint8Array.of(0, 4, ...good.subarray(2), 0, 0, 0);
  t.is(t.throws(() => readMapping(new Reader(overrun)), { instanceOf: ParseError }).code, 'TRUNCATED');
  t.is(t.throws(() => readMapping(new Reader(good.subarray(0, 5))), { instanceOf: ParseError }).code, 'TRUNCATED');
});

test('Mapping round trip (fast-check)', (t) => {
  const str = fc.string({ maxLength: 40 });
  fc.assert(
    fc.property(fc.array(fc.tuple(str, str), { maxLength: 20 }), (entries) => {
      const b = mapBytes(entries);
      const r = new Reader(b);
      const back = readMapping(r);
      r.finish();
      return equalBytes(mapBytes(back), b) && back.length === entries.length;
    }),
  );
  t.pass();
});

test('readMapping on random bytes throws only ParseError', (t) => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), (b) => {
      try {
        readMapping(new Reader(b));
      } catch (e) {
        if (!(e instanceof ParseError)) throw e;
      }
    }),
    { numRuns: 3000 },
  );
  t.pass();
});
