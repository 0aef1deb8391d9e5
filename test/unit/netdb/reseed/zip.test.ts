import test from 'ava';
import fc from 'fast-check';
import { crc32, deflateRawSync } from 'node:zlib';
import { zipSync } from 'fflate';
import { ParseError } from '../../../../data/errors.js';
import { MAX_ZIP_ENTRY_SIZE, readReseedZip } from '../../../../netdb/reseed/zip.js';
import { makeRouterInfo, makeZip, riName } from './helpers.js';

const ris = [makeRouterInfo(), makeRouterInfo(), makeRouterInfo()];

function parseErr(t: import('ava').ExecutionContext, fn: () => unknown, code?: string): ParseError {
  const e = t.throws(fn, { instanceOf: ParseError }) as ParseError;
  if (code) t.is(e.code, code, e.message);
  return e;
}

/** Locate the central directory header of entry `i` in a zip made by fflate (no comment, no zip64). */
function centralHeader(zip: Uint8Array, i: number): number {
  const dv = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  const eocd = zip.length - 22;
  let at = dv.getUint32(eocd + 16, true);
  for (let k = 0; k < i; k++) at += 46 + dv.getUint16(at + 28, true) + dv.getUint16(at + 30, true) + dv.getUint16(at + 32, true);
  return at;
}

test('deflated and stored zips: every routerInfo-*.dat entry comes back byte-exact', (t) => {
  for (const level of [6, 0] as const) {
    const r = readReseedZip(makeZip(ris, {}, level));
    t.deepEqual(r.skipped, []);
    t.deepEqual(r.entries.map((e) => e.name).sort(), ris.map(riName).sort());
    for (const ri of ris) {
      const e = r.entries.find((x) => x.name === riName(ri))!;
      t.deepEqual([...e.data], [...ri.raw]);
    }
  }
});

test('entries written with data descriptors (Go archive/zip, Java ZipOutputStream style) read via the central directory', (t) => {
  const zip = handZip(
    ris.map((ri) => ({ name: riName(ri), method: 8, data: deflateRawSync(ri.raw), size: ri.raw.length, crc: crc32(ri.raw), descriptor: true })),
  );
  const r = readReseedZip(zip);
  t.deepEqual(r.skipped, []);
  t.deepEqual(r.entries.map((e) => [e.name, [...e.data]]), ris.map((ri) => [riName(ri), [...ri.raw]]));
});

test('entries with other names, or in folders, are skipped without inflating', (t) => {
  const r = readReseedZip(
    makeZip(ris.slice(0, 1), {
      'README.txt': new TextEncoder().encode('hello'),
      'sub/routerInfo-abc.dat': ris[1]!.raw,
      'routerInfo-x.dat.bak': ris[2]!.raw,
    }),
  );
  t.deepEqual(r.entries.map((e) => e.name), [riName(ris[0]!)]);
  t.deepEqual(r.skipped.map((s) => [s.name, s.reason]).sort(), [
    ['README.txt', 'NAME'],
    ['routerInfo-x.dat.bak', 'NAME'],
    ['sub/routerInfo-abc.dat', 'NAME'],
  ]);
});

test('a CRC mismatch drops that entry only (i2pd: "CRC32 verification failed")', (t) => {
  const zip = makeZip(ris);
  const at = centralHeader(zip, 1);
  const dv = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  dv.setUint32(at + 16, dv.getUint32(at + 16, true) ^ 1, true);
  const name = new TextDecoder().decode(zip.subarray(at + 46, at + 46 + dv.getUint16(at + 28, true)));
  const r = readReseedZip(zip);
  t.is(r.entries.length, 2);
  t.deepEqual(r.skipped, [{ name, reason: 'CRC' }]);
});

test('a corrupt deflate stream drops that entry only', (t) => {
  // Hand-made single-entry zip whose data is not valid deflate (reserved block type 3).
  const name = 'routerInfo-bad.dat';
  const good = makeZip([ris[0]!]);
  const zip = handZip([
    { name, method: 8, data: new Uint8Array([0xff, 0xff, 0xff, 0xff]), size: 10, crc: 0 },
  ]);
  t.deepEqual(readReseedZip(zip).skipped, [{ name, reason: 'INFLATE' }]);
  t.is(readReseedZip(good).entries.length, 1);
});

test('zip bomb, honest: a declared size over the entry bound is a ParseError before inflating', (t) => {
  const bomb = zipSync({ 'routerInfo-bomb.dat': new Uint8Array(MAX_ZIP_ENTRY_SIZE + 1) }, { level: 9 });
  parseErr(t, () => readReseedZip(bomb), 'ENTRY_TOO_LARGE');
});

test('zip bomb, lying: 10 MB of zeros declared as 100 bytes stops at the bound with a ParseError', (t) => {
  const payload = deflateRawSync(new Uint8Array(10 * 1024 * 1024), { level: 9 });
  const zip = handZip([{ name: 'routerInfo-liar.dat', method: 8, data: payload, size: 100, crc: 0 }]);
  const e = parseErr(t, () => readReseedZip(zip), 'ENTRY_TOO_LARGE');
  t.regex(e.message, /inflates past/);
});

test('total declared size and entry count are bounded', (t) => {
  const files: Record<string, Uint8Array> = {};
  for (let i = 0; i < 20; i++) files[`routerInfo-${i}.dat`] = new Uint8Array(1000);
  const zip = zipSync(files, { level: 0 });
  parseErr(t, () => readReseedZip(zip, { maxTotalSize: 5000 }), 'TOO_LARGE');
  parseErr(t, () => readReseedZip(zip, { maxEntries: 19 }), 'TOO_MANY_ENTRIES');
  t.is(readReseedZip(zip, { maxEntries: 20, maxTotalSize: 20000 }).entries.length, 20);
  parseErr(t, () => readReseedZip(zip, { maxSize: zip.length - 1 }), 'TOO_LARGE');
});

test('garbage, empty, truncated and ZIP64 inputs: ParseError', (t) => {
  parseErr(t, () => readReseedZip(new Uint8Array(0)), 'NOT_A_ZIP');
  parseErr(t, () => readReseedZip(new Uint8Array(100).fill(7)), 'NOT_A_ZIP');
  const zip = makeZip(ris);
  // Cut inside the central directory: the EOCD is gone.
  parseErr(t, () => readReseedZip(zip.subarray(0, zip.length - 30)));
  // Keep the EOCD, cut the front: offsets point nowhere.
  const tail = zip.subarray(zip.length - 200);
  parseErr(t, () => readReseedZip(tail));
  const z64 = zip.slice();
  new DataView(z64.buffer).setUint32(z64.length - 22 + 16, 0xffffffff, true);
  parseErr(t, () => readReseedZip(z64), 'UNSUPPORTED_ZIP64');
});

test('fuzz: random bytes and mutated zips give ParseError or a result, never another error', (t) => {
  const base = makeZip(ris.slice(0, 2));
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => {
      try {
        readReseedZip(bytes);
      } catch (e) {
        if (!(e instanceof ParseError)) throw e;
      }
    }),
    { numRuns: 1000 },
  );
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.nat(base.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }), (edits) => {
      const z = base.slice();
      for (const [at, v] of edits) z[at] = v;
      try {
        const r = readReseedZip(z);
        for (const e of r.entries) if (e.data.length > MAX_ZIP_ENTRY_SIZE) throw new Error('bound broken');
      } catch (e) {
        if (!(e instanceof ParseError)) throw e;
      }
    }),
    { numRuns: 2000 },
  );
  t.pass();
});

/** A minimal zip writer for cases fflate will not produce (lying sizes, broken deflate, data descriptors). `crc` defaults to the CRC of `data` (right for stored entries only). */
function handZip(entries: { name: string; method: number; data: Uint8Array; size: number; crc?: number; descriptor?: boolean }[]): Uint8Array {
  const enc = new TextEncoder();
  const locals: Uint8Array[] = [];
  const centrals: Uint8Array[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = enc.encode(e.name);
    const crc = e.crc ?? crc32(e.data);
    const lh = new Uint8Array(30 + name.length);
    const l = new DataView(lh.buffer);
    l.setUint32(0, 0x04034b50, true);
    l.setUint16(4, 20, true);
    l.setUint16(6, e.descriptor ? 0x0008 : 0, true);
    l.setUint16(8, e.method, true);
    // With a data descriptor (as Go's archive/zip and Java write), the local header's CRC and sizes are zero.
    if (!e.descriptor) {
      l.setUint32(14, crc, true);
      l.setUint32(18, e.data.length, true);
      l.setUint32(22, e.size, true);
    }
    l.setUint16(26, name.length, true);
    lh.set(name, 30);
    let dd = new Uint8Array(0);
    if (e.descriptor) {
      dd = new Uint8Array(16);
      const v = new DataView(dd.buffer);
      v.setUint32(0, 0x08074b50, true);
      v.setUint32(4, crc, true);
      v.setUint32(8, e.data.length, true);
      v.setUint32(12, e.size, true);
    }
    const ch = new Uint8Array(46 + name.length);
    const c = new DataView(ch.buffer);
    c.setUint32(0, 0x02014b50, true);
    c.setUint16(4, 20, true);
    c.setUint16(6, 20, true);
    c.setUint16(8, e.descriptor ? 0x0008 : 0, true);
    c.setUint16(10, e.method, true);
    c.setUint32(16, crc, true);
    c.setUint32(20, e.data.length, true);
    c.setUint32(24, e.size, true);
    c.setUint16(28, name.length, true);
    c.setUint32(42, offset, true);
    ch.set(name, 46);
    locals.push(lh, e.data, dd);
    centrals.push(ch);
    offset += lh.length + e.data.length + dd.length;
  }
  const cdSize = centrals.reduce((n, c) => n + c.length, 0);
  const eocd = new Uint8Array(22);
  const d = new DataView(eocd.buffer);
  d.setUint32(0, 0x06054b50, true);
  d.setUint16(8, entries.length, true);
  d.setUint16(10, entries.length, true);
  d.setUint32(12, cdSize, true);
  d.setUint32(16, offset, true);
  return new Uint8Array(Buffer.concat([...locals, ...centrals, eocd]));
}
