import test from 'ava';
import fc from 'fast-check';
import { deepStrictEqual } from 'node:assert';
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { crc32, gzipSync } from 'node:zlib';
import { ParseError } from '../../../data/errors.js';
import { fromHex, toHex } from '../../../data/bytes.js';
import {
  DatabaseStoreType,
  compressRouterInfo,
  decompressRouterInfo,
  parseDatabaseStore,
  serializeDatabaseStore,
} from '../../../i2np/database-store.js';
import type { DatabaseStore } from '../../../i2np/database-store.js';
import { databaseStore } from './arbitraries.js';

const VECTORS = new URL('../../../../shared/vectors/i2pd-2.45.1/', import.meta.url);
const RI = new Uint8Array(readFileSync(new URL('router1-floodfill.info', VECTORS)));

/** SHA-256 of the RouterIdentity: 256 + 128 key bytes, then a certificate (type 1, length 2, payload). */
function identHash(ri: Uint8Array): Uint8Array {
  const certLen = (ri[385]! << 8) | ri[386]!;
  return new Uint8Array(createHash('sha256').update(ri.subarray(0, 384 + 3 + certLen)).digest());
}

const KEY = identHash(RI);
const GATEWAY = new Uint8Array(32).fill(0x47);
const le16 = (v: number): string => toHex(Uint8Array.of(v & 0xff, v >> 8));
const le32 = (v: number): string => toHex(Uint8Array.of(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24));

test('real i2pd RouterInfo: DatabaseStore layout (spec) with i2pd stored gzip, decompresses exactly', (t) => {
  t.is(RI.length, 864);
  const b = serializeDatabaseStore({ key: KEY, storeType: 0, reply: null, data: RI });
  // key 32 | type 0 | reply token 0 | size 2 | gzip; 37 + 2 + 864 + 23 = 926 <= 940 → i2pd GzipNoCompression
  t.is(b.length, 32 + 1 + 4 + 2 + RI.length + 23);
  t.is(toHex(b.subarray(0, 32)), toHex(KEY));
  t.is(toHex(b.subarray(32, 39)), '00' + '00000000' + (RI.length + 23).toString(16).padStart(4, '0'));
  const gz = b.subarray(39);
  // i2pd Gzip.cpp GzipNoCompression: 1F 8B 08 00 | mtime 0 | XFL 02 | OS FF | 01 (BFINAL, stored) | LEN | NLEN
  t.is(toHex(gz.subarray(0, 15)), '1f8b08000000000002ff01' + le16(RI.length) + le16(0xffff - RI.length));
  t.is(toHex(gz.subarray(15, 15 + RI.length)), toHex(RI));
  t.is(toHex(gz.subarray(15 + RI.length)), le32(crc32(RI)) + le32(RI.length));
  const back = parseDatabaseStore(b);
  t.deepEqual(back, { key: KEY, storeType: 0, reply: null, data: RI });
  t.is(toHex(back.data), toHex(RI));
});

test('real i2pd RouterInfo with reply token: tunnel id + gateway follow the token (spec layout)', (t) => {
  const x: DatabaseStore = { key: KEY, storeType: 0, reply: { token: 0xdeadbeef, tunnelId: 0x01020304, gateway: GATEWAY }, data: RI };
  const b = serializeDatabaseStore(x);
  t.is(toHex(b.subarray(32, 37 + 36 + 2)), '00' + 'deadbeef' + '01020304' + toHex(GATEWAY) + (RI.length + 23).toString(16).padStart(4, '0'));
  // 37 + 36 + 2 + 864 = 939 <= 940: still stored, as i2pd would
  t.is(toHex(b.subarray(75, 75 + 11)), '1f8b08000000000002ff01');
  t.deepEqual(parseDatabaseStore(b), x);
});

test('deflated RouterInfo (i2pd GzipDeflator form: XFL 00, OS FF) decompresses exactly', (t) => {
  const gz = compressRouterInfo(RI, false);
  t.is(toHex(gz.subarray(0, 10)), '1f8b08000000000000ff');
  t.true(gz.length < RI.length);
  t.is(toHex(decompressRouterInfo(gz)), toHex(RI));
  // and a DatabaseStore forced to deflate still carries the same RouterInfo
  const b = serializeDatabaseStore({ key: KEY, storeType: 0, reply: null, data: RI }, false);
  t.is(toHex(parseDatabaseStore(b).data), toHex(RI));
  // a plain zlib/Java-style gzip (OS 03, XFL 02 at level 9) is accepted too
  t.is(toHex(decompressRouterInfo(new Uint8Array(gzipSync(RI, { level: 9 })))), toHex(RI));
});

test('i2pd rule: a payload over 940 bytes is deflated, at or under is stored', (t) => {
  const atLimit = new Uint8Array(940 - 39).fill(7);
  t.is(serializeDatabaseStore({ key: KEY, storeType: 0, reply: null, data: atLimit })[39 + 10], 0x01);
  const over = new Uint8Array(940 - 38).fill(7);
  const b = serializeDatabaseStore({ key: KEY, storeType: 0, reply: null, data: over });
  t.is(toHex(b.subarray(39, 49)), '1f8b08000000000000ff');
  t.deepEqual(parseDatabaseStore(b).data, over);
});

test('LeaseSet types carry raw bytes after the header; type byte values 1/3/5/7', (t) => {
  const ls = fromHex('aabbccdd');
  for (const type of [1, 3, 5, 7] as const) {
    const b = serializeDatabaseStore({ key: KEY, storeType: type, reply: null, data: ls });
    t.is(toHex(b), toHex(KEY) + type.toString(16).padStart(2, '0') + '00000000' + 'aabbccdd');
    t.deepEqual(parseDatabaseStore(b), { key: KEY, storeType: type, reply: null, data: ls });
  }
  t.deepEqual(Object.values(DatabaseStoreType), [0, 1, 3, 5, 7]);
});

test('unknown store type, empty data, truncation → ParseError', (t) => {
  const good = serializeDatabaseStore({ key: KEY, storeType: 3, reply: null, data: fromHex('01') });
  for (const bad of [2, 4, 6, 8, 0x11, 0xff]) {
    const b = Uint8Array.from(good);
    b[32] = bad;
    const e = t.throws(() => parseDatabaseStore(b), { instanceOf: ParseError });
    t.is(e?.code, 'UNKNOWN_STORE_TYPE');
    t.is(e?.offset, 32);
  }
  t.is(t.throws(() => parseDatabaseStore(good.subarray(0, 37)), { instanceOf: ParseError })?.code, 'EMPTY_DATA');
  // token nonzero but reply fields cut short
  const withReply = serializeDatabaseStore({ key: KEY, storeType: 1, reply: { token: 1, tunnelId: 0, gateway: GATEWAY }, data: fromHex('01') });
  t.is(t.throws(() => parseDatabaseStore(withReply.subarray(0, 50)), { instanceOf: ParseError })?.code, 'TRUNCATED');
});

test('RouterInfo gzip errors: bad CRC, bytes after the member, size past the end, truncated member', (t) => {
  const b = serializeDatabaseStore({ key: KEY, storeType: 0, reply: null, data: RI });
  const crcAt = b.length - 8;
  const badCrc = Uint8Array.from(b);
  badCrc[crcAt] ^= 1;
  const e = t.throws(() => parseDatabaseStore(badCrc), { instanceOf: ParseError });
  t.is(e?.code, 'BAD_GZIP');
  t.is(e?.offset, crcAt); // offsets are positions in the DatabaseStore payload
  t.is(e?.path, 'DatabaseStore/routerInfo');

  // size field covers one extra byte after the gzip member (i2pd would ignore it; we refuse)
  const extra = new Uint8Array(b.length + 1);
  extra.set(b);
  extra[37] = ((RI.length + 24) >> 8) & 0xff;
  extra[38] = (RI.length + 24) & 0xff;
  t.is(t.throws(() => parseDatabaseStore(extra), { instanceOf: ParseError })?.code, 'TRAILING_BYTES');

  // size larger than what is present
  const long = Uint8Array.from(b);
  long[37] = 0xff;
  t.is(t.throws(() => parseDatabaseStore(long), { instanceOf: ParseError })?.code, 'TRUNCATED');

  // deflated member cut before its trailer
  const gz = compressRouterInfo(RI, false);
  for (const cut of [0, 5, 10, 20, gz.length - 8, gz.length - 1]) {
    t.throws(() => decompressRouterInfo(gz.subarray(0, cut)), { instanceOf: ParseError }, `cut ${cut}`);
  }
  // two concatenated members: only one is allowed
  const two = new Uint8Array(gz.length * 2);
  two.set(gz);
  two.set(gz, gz.length);
  t.is(t.throws(() => decompressRouterInfo(two), { instanceOf: ParseError })?.code, 'TRAILING_BYTES');
});

test('gzip bomb (16 MiB of zeros in < 64 KiB) is refused with ParseError TOO_LARGE', (t) => {
  const bomb = new Uint8Array(gzipSync(new Uint8Array(16 * 1024 * 1024), { level: 9 }));
  t.true(bomb.length < 0xffff, 'fits the 2-byte DatabaseStore length');
  const e = t.throws(() => decompressRouterInfo(bomb), { instanceOf: ParseError });
  t.is(e?.code, 'TOO_LARGE');

  const head = fromHex(toHex(KEY) + '00' + '00000000');
  const dsm = new Uint8Array(head.length + 2 + bomb.length);
  dsm.set(head);
  dsm[37] = bomb.length >> 8;
  dsm[38] = bomb.length & 0xff;
  dsm.set(bomb, 39);
  t.is(t.throws(() => parseDatabaseStore(dsm), { instanceOf: ParseError })?.code, 'TOO_LARGE');
  // the cap is configurable; a real RouterInfo over it is refused the same way
  const ri = serializeDatabaseStore({ key: KEY, storeType: 0, reply: null, data: RI });
  t.is(t.throws(() => parseDatabaseStore(ri, { maxRouterInfoSize: RI.length - 1 }), { instanceOf: ParseError })?.code, 'TOO_LARGE');
  t.is(parseDatabaseStore(ri, { maxRouterInfoSize: RI.length }).data.length, RI.length);
});

test('gzip header options zlib accepts (FNAME, FEXTRA, FCOMMENT, FHCRC) are skipped; reserved flags refused', (t) => {
  const body = gzipSync(RI).subarray(10);
  const name = new TextEncoder().encode('router.info\0');
  const comment = new TextEncoder().encode('c\0');
  const base = fromHex('1f8b08' + '1c' + '00000000' + '00' + 'ff' + '0300' + 'aabbcc'); // FEXTRA|FNAME|FCOMMENT, xlen 3
  const head = new Uint8Array([...base, ...name, ...comment]);
  const withHcrc = new Uint8Array([...head, 0, 0]);
  withHcrc[3] |= 0x02;
  const hcrc = crc32(withHcrc.subarray(0, head.length)) & 0xffff;
  withHcrc[head.length] = hcrc & 0xff;
  withHcrc[head.length + 1] = hcrc >> 8;
  t.is(toHex(decompressRouterInfo(new Uint8Array([...head, ...body]))), toHex(RI));
  t.is(toHex(decompressRouterInfo(new Uint8Array([...withHcrc, ...body]))), toHex(RI));
  const badHcrc = new Uint8Array([...withHcrc, ...body]);
  badHcrc[head.length] ^= 1;
  t.is(t.throws(() => decompressRouterInfo(badHcrc), { instanceOf: ParseError })?.code, 'BAD_GZIP');
  const reserved = new Uint8Array(gzipSync(RI));
  reserved[3] = 0x20;
  t.is(t.throws(() => decompressRouterInfo(reserved), { instanceOf: ParseError })?.code, 'BAD_GZIP');
  const notGzip = new Uint8Array(gzipSync(RI));
  notGzip[2] = 7;
  t.is(t.throws(() => decompressRouterInfo(notGzip), { instanceOf: ParseError })?.code, 'BAD_GZIP');
});

test('serializer misuse throws RangeError', (t) => {
  const ok: DatabaseStore = { key: KEY, storeType: 1, reply: null, data: fromHex('01') };
  t.throws(() => serializeDatabaseStore({ ...ok, key: new Uint8Array(31) }), { instanceOf: RangeError });
  t.throws(() => serializeDatabaseStore({ ...ok, storeType: 2 as never }), { instanceOf: RangeError });
  t.throws(() => serializeDatabaseStore({ ...ok, reply: { token: 0, tunnelId: 0, gateway: GATEWAY } }), { instanceOf: RangeError });
  t.throws(() => serializeDatabaseStore({ ...ok, data: new Uint8Array(0) }), { instanceOf: RangeError });
});

test('DatabaseStore round-trips (RouterInfo decompressed, LeaseSets raw, with and without reply)', (t) => {
  fc.assert(
    fc.property(databaseStore, (x) => {
      const b = serializeDatabaseStore(x);
      const back = parseDatabaseStore(b);
      deepStrictEqual(back, x);
      deepStrictEqual(serializeDatabaseStore(back), b);
    }),
    { numRuns: 200 },
  );
  t.pass();
});
