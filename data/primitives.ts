/**
 * Common types: Integer, Date, String, Mapping.
 *
 * Spec: ../shared/specs/spec/common-structures.rst, "Common type specification" → Integer, Date, String,
 * Mapping.
 *
 * Strings are decoded as UTF-8 with `fatal` (invalid UTF-8 is ParseError('BAD_STRING')) and without BOM
 * stripping, so decode → encode gives back the same bytes.
 *
 * Mapping decisions (checked against i2pd 2.45.1 libi2pd/RouterInfo.cpp ReadFromStream / LeaseSet.cpp):
 * - Parsing keeps the entries in wire order, duplicates included, so a parsed structure re-serializes
 *   byte-identically and its signature still verifies. i2pd does not reject duplicate keys either (it stores
 *   properties in a std::map, a later value replaces an earlier one); `mappingGet` therefore returns the
 *   last value for a key. (Java I2P rejects duplicates; the spec says they are "not allowed" in signed
 *   mappings — a router that signs one only hurts itself.)
 * - Parsing is stricter than i2pd in two ways: the '=' and ';' separators must be present (i2pd skips a byte
 *   without looking) and the entries must fill exactly `size` bytes.
 * - `buildMapping` (for anything we sign) sorts by key with Java String.compareTo order (UTF-16 code units,
 *   which is what JS `<` on strings does) and rejects duplicate keys.
 */
import { Reader, type Writer } from './bytes.js';

/** Mapping entries in order. Keys and values are at most 255 UTF-8 bytes each. */
export type Mapping = ReadonlyArray<readonly [key: string, value: string]>;

const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const utf8Encoder = new TextEncoder();

export const MAX_STRING_BYTES = 255;
export const MAX_MAPPING_SIZE = 65535;

// ---- Integer ----

/** Read an n-byte (1..6) big-endian unsigned Integer. Use r.u64()/u64n() for 8 bytes. */
export function readInteger(r: Reader, n: number): number {
  if (n < 1 || n > 6) throw new RangeError('readInteger: 1..6 bytes');
  const b = r.bytes(n, 'integer');
  let v = 0;
  for (const x of b) v = v * 256 + x;
  return v;
}

export function writeInteger(w: Writer, n: number, v: number): void {
  if (n < 1 || n > 6) throw new RangeError('writeInteger: 1..6 bytes');
  if (!Number.isInteger(v) || v < 0 || v >= 2 ** (8 * n)) throw new RangeError(`writeInteger: ${v} does not fit ${n} bytes`);
  for (let i = n - 1; i >= 0; i--) w.u8(Math.floor(v / 2 ** (8 * i)) % 256);
}

/** RangeError unless v is an integer in [0, 2^bits) — Writer's DataView setters would silently wrap. */
export function checkUint(v: number, bits: 8 | 16 | 32, what: string): number {
  if (!Number.isInteger(v) || v < 0 || v >= 2 ** bits) throw new RangeError(`${what}: ${v} is not a ${bits}-bit unsigned integer`);
  return v;
}

// ---- Date ----

/** Date: milliseconds since the epoch, 8 bytes. 0 means undefined/null. ParseError above 2^53-1. */
export function readDate(r: Reader): number {
  return r.u64n();
}

export function writeDate(w: Writer, ms: number): void {
  if (!Number.isSafeInteger(ms) || ms < 0) throw new RangeError(`bad Date ${ms}`);
  w.u64(ms);
}

export const DATE_SIZE = 8;

// ---- String ----

export function encodeString(s: string): Uint8Array {
  const b = utf8Encoder.encode(s);
  if (b.length > MAX_STRING_BYTES) throw new RangeError(`String longer than 255 bytes: ${b.length}`);
  return b;
}

export function readString(r: Reader): string {
  const len = r.u8();
  const at = r.pos;
  const b = r.bytes(len, 'string');
  try {
    return utf8Decoder.decode(b);
  } catch {
    return r.fail('BAD_STRING', 'invalid UTF-8', at);
  }
}

export function writeString(w: Writer, s: string): void {
  const b = encodeString(s);
  w.u8(b.length).bytes(b);
}

export function sizeOfString(s: string): number {
  return 1 + encodeString(s).length;
}

// ---- Mapping ----

const EQ = 0x3d; // '='
const SEMI = 0x3b; // ';'

/** Read a Mapping (2-byte size, then `key=value;` entries filling exactly `size` bytes). */
export function readMapping(r: Reader): Mapping {
  const size = r.u16();
  r.need(size, 'mapping');
  // A sub-reader bounded to the mapping: an entry cannot run into whatever follows it.
  const m = new Reader(r.buf, r.path, r.pos, r.pos + size);
  r.pos += size;
  const entries: Array<readonly [string, string]> = [];
  while (m.remaining > 0) {
    entries.push(
      m.at(`[${entries.length}]`, () => {
        const key = readString(m);
        if (m.u8() !== EQ) m.fail('BAD_MAPPING', "expected '='", m.pos - 1);
        const value = readString(m);
        if (m.u8() !== SEMI) m.fail('BAD_MAPPING', "expected ';'", m.pos - 1);
        return [key, value] as const;
      }),
    );
  }
  return entries;
}

export function sizeOfMapping(m: Mapping): number {
  let n = 2;
  for (const [k, v] of m) n += sizeOfString(k) + 1 + sizeOfString(v) + 1;
  if (n - 2 > MAX_MAPPING_SIZE) throw new RangeError(`Mapping too large: ${n - 2} bytes`);
  return n;
}

/** Write the entries in the order given (use buildMapping first for anything that gets signed). */
export function writeMapping(w: Writer, m: Mapping): void {
  w.u16(sizeOfMapping(m) - 2);
  for (const [k, v] of m) {
    writeString(w, k);
    w.u8(EQ);
    writeString(w, v);
    w.u8(SEMI);
  }
}

/**
 * Signature-stable Mapping: entries sorted by key (Java String.compareTo order); duplicate keys, keys or
 * values over 255 bytes, or a total over 65535 bytes are a RangeError.
 */
export function buildMapping(input: Record<string, string> | Iterable<readonly [string, string]>): Mapping {
  const list: Array<readonly [string, string]> =
    Symbol.iterator in input
      ? [...(input as Iterable<readonly [string, string]>)].map(([k, v]) => [k, v] as const)
      : Object.entries(input as Record<string, string>);
  list.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  for (let i = 1; i < list.length; i++) {
    if (list[i]![0] === list[i - 1]![0]) throw new RangeError(`duplicate Mapping key '${list[i]![0]}'`);
  }
  sizeOfMapping(list); // validates lengths
  return list;
}

/** True if keys are strictly ascending (sorted, no duplicates) — what a signature-stable mapping needs. */
export function isSortedMapping(m: Mapping): boolean {
  for (let i = 1; i < m.length; i++) if (!(m[i - 1]![0] < m[i]![0])) return false;
  return true;
}

/** Value for key; with duplicate keys the last one wins (as in i2pd). */
export function mappingGet(m: Mapping, key: string): string | undefined {
  for (let i = m.length - 1; i >= 0; i--) if (m[i]![0] === key) return m[i]![1];
  return undefined;
}

export function mappingToObject(m: Mapping): Record<string, string> {
  const o: Record<string, string> = Object.create(null);
  for (const [k, v] of m) o[k] = v;
  return o;
}
