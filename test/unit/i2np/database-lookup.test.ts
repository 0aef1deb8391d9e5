import test from 'ava';
import fc from 'fast-check';
import { deepStrictEqual } from 'node:assert';
import { ParseError } from '../../../data/errors.js';
import { fromHex, toHex } from '../../../data/bytes.js';
import { DatabaseLookupType, parseDatabaseLookup, serializeDatabaseLookup } from '../../../i2np/database-lookup.js';
import type { DatabaseLookup } from '../../../i2np/database-lookup.js';
import { databaseLookup } from './arbitraries.js';

const h = (b: number): Uint8Array => new Uint8Array(32).fill(b);
const hx = (b: number): string => toHex(h(b));
const KEY = h(0x11);
const FROM = h(0x22);

const base: DatabaseLookup = {
  key: KEY,
  from: FROM,
  lookupType: DatabaseLookupType.RouterInfo,
  replyTunnelId: null,
  excludedPeers: [],
  replyEncryption: null,
};

// Layouts below follow spec i2np.rst "DatabaseLookup" and what i2pd 2.45.1 builds in
// CreateRouterInfoDatabaseLookupMsg / CreateLeaseSetDatabaseLookupMsg.
test('RouterInfo lookup, direct reply: key | from | flags 0x08 | size 0', (t) => {
  const b = serializeDatabaseLookup(base);
  t.is(toHex(b), hx(0x11) + hx(0x22) + '08' + '0000');
  t.deepEqual(parseDatabaseLookup(b), base);
});

test('exploratory lookup to a tunnel: flags 0x0d, tunnel id, excluded hashes', (t) => {
  const x: DatabaseLookup = { ...base, lookupType: DatabaseLookupType.Exploratory, replyTunnelId: 0x0a0b0c0d, excludedPeers: [h(0x33), h(0x44)] };
  const b = serializeDatabaseLookup(x);
  t.is(toHex(b), hx(0x11) + hx(0x22) + '0d' + '0a0b0c0d' + '0002' + hx(0x33) + hx(0x44));
  t.deepEqual(parseDatabaseLookup(b), x);
});

test('LeaseSet lookup with ECIES reply (proposal 154): flags 0x15, key 32, tags=1, 8-byte tag', (t) => {
  const x: DatabaseLookup = {
    ...base,
    lookupType: DatabaseLookupType.LeaseSet,
    replyTunnelId: 7,
    excludedPeers: [h(0x55)],
    replyEncryption: { kind: 'ecies', key: h(0x66), tag: fromHex('0102030405060708') },
  };
  const b = serializeDatabaseLookup(x);
  t.is(toHex(b), hx(0x11) + hx(0x22) + '15' + '00000007' + '0001' + hx(0x55) + hx(0x66) + '01' + '0102030405060708');
  t.deepEqual(parseDatabaseLookup(b), x);
});

test('LeaseSet lookup with ElGamal/AES reply: flags 0x07, key 32, tags n, n × 32-byte tags', (t) => {
  const x: DatabaseLookup = {
    ...base,
    lookupType: DatabaseLookupType.LeaseSet,
    replyTunnelId: 7,
    replyEncryption: { kind: 'elgamal', key: h(0x66), tags: [h(0x77), h(0x78)] },
  };
  const b = serializeDatabaseLookup(x);
  t.is(toHex(b), hx(0x11) + hx(0x22) + '07' + '00000007' + '0000' + hx(0x66) + '02' + hx(0x77) + hx(0x78));
  t.deepEqual(parseDatabaseLookup(b), x);
});

test('lookup type bits 3-2 map to normal / LS / RI / exploratory; reserved bits 7-5 are ignored', (t) => {
  const bytesFor = (flags: number): Uint8Array => fromHex(hx(0x11) + hx(0x22) + flags.toString(16).padStart(2, '0') + '0000');
  t.is(parseDatabaseLookup(bytesFor(0x00)).lookupType, DatabaseLookupType.Normal);
  t.is(parseDatabaseLookup(bytesFor(0x04)).lookupType, DatabaseLookupType.LeaseSet);
  t.is(parseDatabaseLookup(bytesFor(0x08)).lookupType, DatabaseLookupType.RouterInfo);
  t.is(parseDatabaseLookup(bytesFor(0x0c)).lookupType, DatabaseLookupType.Exploratory);
  t.deepEqual(parseDatabaseLookup(bytesFor(0xe8)), base);
});

test('flag bits 4 and 1 together (undefined DH reply) → UNSUPPORTED_ENCRYPTION', (t) => {
  const b = fromHex(hx(0x11) + hx(0x22) + '12' + '0000' + hx(0x66) + '01' + '0102030405060708');
  const e = t.throws(() => parseDatabaseLookup(b), { instanceOf: ParseError });
  t.is(e?.code, 'UNSUPPORTED_ENCRYPTION');
  t.is(e?.offset, 64);
});

test('excluded peers: 512 accepted, 513 refused before reading them, a short list is TRUNCATED', (t) => {
  const many = Array.from({ length: 512 }, (_, i) => h(i & 0xff));
  t.is(parseDatabaseLookup(serializeDatabaseLookup({ ...base, excludedPeers: many })).excludedPeers.length, 512);
  const over = fromHex(hx(0x11) + hx(0x22) + '08' + '0201');
  const e = t.throws(() => parseDatabaseLookup(over), { instanceOf: ParseError });
  t.is(e?.code, 'TOO_MANY_EXCLUDED');
  t.is(e?.offset, 65);
  const short = fromHex(hx(0x11) + hx(0x22) + '08' + '0002' + hx(0x33));
  t.is(t.throws(() => parseDatabaseLookup(short), { instanceOf: ParseError })?.code, 'TRUNCATED');
  t.throws(() => serializeDatabaseLookup({ ...base, excludedPeers: [...many, h(0)] }), { instanceOf: RangeError });
});

test('reply tag counts: ECIES exactly 1, ElGamal 1..32', (t) => {
  const withTags = (flags: string, n: number, tagSize: number): Uint8Array =>
    fromHex(hx(0x11) + hx(0x22) + flags + '0000' + hx(0x66) + n.toString(16).padStart(2, '0') + '00'.repeat(n * tagSize));
  for (const n of [0, 2]) t.is(t.throws(() => parseDatabaseLookup(withTags('14', n, 8)), { instanceOf: ParseError })?.code, 'BAD_TAG_COUNT');
  for (const n of [0, 33]) t.is(t.throws(() => parseDatabaseLookup(withTags('06', n, 32)), { instanceOf: ParseError })?.code, 'BAD_TAG_COUNT');
  const enc = parseDatabaseLookup(withTags('06', 32, 32)).replyEncryption;
  t.is(enc?.kind === 'elgamal' ? enc.tags.length : -1, 32);
  // encryption requested but key/tags missing
  t.is(t.throws(() => parseDatabaseLookup(fromHex(hx(0x11) + hx(0x22) + '14' + '0000')), { instanceOf: ParseError })?.code, 'TRUNCATED');
});

test('trailing bytes are refused', (t) => {
  const b = fromHex(toHex(serializeDatabaseLookup(base)) + '00');
  t.is(t.throws(() => parseDatabaseLookup(b), { instanceOf: ParseError })?.code, 'TRAILING_BYTES');
});

test('DatabaseLookup round-trips', (t) => {
  fc.assert(fc.property(databaseLookup, (x) => deepStrictEqual(parseDatabaseLookup(serializeDatabaseLookup(x)), x)));
  t.pass();
});
