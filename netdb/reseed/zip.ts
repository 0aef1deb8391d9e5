/**
 * The zip inside a reseed su3 (and a plain `reseed.zipfile`): RouterInfo entries out, bounded.
 *
 * Spec: ../shared/specs/spec/updates.rst, "SU3 Reseed File Specification" → SU3 Details ("Router info files in
 * the zip file must be at the top level ... named routerInfo-(44 character base 64 router hash).dat").
 * Zip structures: PKWARE APPNOTE.TXT 4.3.7 (local file header), 4.3.12 (central directory header), 4.3.16
 * (end of central directory record).
 * Ground truth: i2pd 2.45.1 libi2pd/Reseed.cpp `Reseeder::ProcessZIPStream`.
 *
 * i2pd walks the local file headers in order, inflates each entry (raw deflate, or stored), checks the CRC-32
 * of inflated entries, and hands every entry — whatever its name — to NetDb::AddRouterInfo, which parses it;
 * a bad entry is logged and skipped. Here:
 * - The central directory is read (it has the sizes even when the writer used data descriptors, as Java and Go
 *   do; i2pd scans for the descriptor signature instead). Each entry's local header gives the data offset.
 * - Only top-level `routerInfo-*.dat` entries are inflated; others are skipped and listed (the spec's naming
 *   rule; i2pd would try to parse them as RouterInfos and fail).
 * - CRC-32 is checked for every entry, stored ones too (i2pd checks inflated ones only). A CRC mismatch, an
 *   inflate error, encryption or an unknown method drops that entry, as i2pd does; the rest are kept.
 * - Bounds (a zip bomb is a ParseError, never an allocation): zip size, entry count, declared size per entry,
 *   and total declared size are checked before inflating; inflating stops at the entry bound (node:zlib
 *   `maxOutputLength`), so an entry lying about its size is caught after at most that many bytes.
 *
 * Why not fflate's `unzipSync` here (fflate still makes the zips in tests): it allocates the output from the
 * declared size, keeps decoding past it (so CPU scales with the compressed size × 1032), and has no CRC check.
 * ZIP64 archives are refused (a reseed bundle is far below the 4 GiB / 65535-entry limits).
 */
import { crc32, inflateRawSync } from 'node:zlib';
import { Reader } from '../../data/bytes.js';
import { ParseError } from '../../data/errors.js';

export const MAX_RESEED_ZIP_SIZE = 8 * 1024 * 1024;
/** Entries in the central directory, any name. A reseed bundle has ~75. */
export const MAX_ZIP_ENTRIES = 4096;
/** Uncompressed size of one RouterInfo entry (RouterInfos are at most 3072 bytes). */
export const MAX_ZIP_ENTRY_SIZE = 16 * 1024;
/** Sum of declared uncompressed sizes of the entries we inflate. */
export const MAX_ZIP_TOTAL_SIZE = 16 * 1024 * 1024;

const SIG_LOCAL = 0x04034b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_EOCD = 0x06054b50;
const SIG_ZIP64_LOCATOR = 0x07064b50;
const EOCD_SIZE = 22;
const CENTRAL_SIZE = 46;
const LOCAL_SIZE = 30;
const MAX_COMMENT = 0xffff;
const FLAG_ENCRYPTED = 0x0001;
const METHOD_STORED = 0;
const METHOD_DEFLATE = 8;

/** `routerInfo-<anything without a slash>.dat` at the top level. */
const ROUTER_INFO_NAME = /^routerInfo-[^/\\]+\.dat$/;

export interface ZipRouterInfoEntry {
  readonly name: string;
  /** The entry's bytes (a fresh buffer). */
  readonly data: Uint8Array;
}

export type ZipSkipReason = 'NAME' | 'ENCRYPTED' | 'METHOD' | 'INFLATE' | 'CRC' | 'SIZE';

export interface ZipRouterInfos {
  readonly entries: readonly ZipRouterInfoEntry[];
  /** Entries not returned, with why (at most MAX_ZIP_ENTRIES). */
  readonly skipped: readonly { name: string; reason: ZipSkipReason }[];
}

export interface ZipLimits {
  maxSize?: number;
  maxEntries?: number;
  maxEntrySize?: number;
  maxTotalSize?: number;
}

interface CentralEntry {
  name: string;
  flags: number;
  method: number;
  crc: number;
  compressedSize: number;
  size: number;
  localOffset: number;
}

function u16le(r: Reader): number {
  r.need(2);
  const v = r.view.getUint16(r.pos, true);
  r.pos += 2;
  return v;
}

function u32le(r: Reader): number {
  r.need(4);
  const v = r.view.getUint32(r.pos, true);
  r.pos += 4;
  return v;
}

const latin1 = new TextDecoder('latin1');
const utf8 = new TextDecoder('utf-8', { fatal: false });

function findEocd(bytes: Uint8Array, r: Reader): number {
  const view = r.view;
  const last = bytes.length - EOCD_SIZE;
  const first = Math.max(0, last - MAX_COMMENT);
  for (let at = last; at >= first; at--) {
    if (view.getUint32(at, true) === SIG_EOCD && at + EOCD_SIZE + view.getUint16(at + 20, true) === bytes.length) return at;
  }
  // Tolerate trailing junk after the comment the way most readers do: accept any EOCD signature.
  for (let at = last; at >= first; at--) if (view.getUint32(at, true) === SIG_EOCD) return at;
  return r.fail('NOT_A_ZIP', 'no end of central directory record', bytes.length);
}

/**
 * Read the RouterInfo entries of a reseed zip. Throws ParseError (only) when the archive itself is malformed or
 * over a bound; individual bad entries are skipped and listed.
 */
export function readReseedZip(bytes: Uint8Array, limits: ZipLimits = {}): ZipRouterInfos {
  const maxSize = limits.maxSize ?? MAX_RESEED_ZIP_SIZE;
  const maxEntries = limits.maxEntries ?? MAX_ZIP_ENTRIES;
  const maxEntrySize = limits.maxEntrySize ?? MAX_ZIP_ENTRY_SIZE;
  const maxTotal = limits.maxTotalSize ?? MAX_ZIP_TOTAL_SIZE;
  const r = new Reader(bytes, 'Zip');
  if (bytes.length > maxSize) r.fail('TOO_LARGE', `zip of ${bytes.length} bytes (limit ${maxSize})`, 0);
  if (bytes.length < EOCD_SIZE) r.fail('NOT_A_ZIP', `${bytes.length} bytes is too short for a zip`, 0);

  const eocd = findEocd(bytes, r);
  r.pos = eocd + 4;
  const disk = u16le(r);
  const cdDisk = u16le(r);
  const entriesOnDisk = u16le(r);
  const count = u16le(r);
  const cdSize = u32le(r);
  const cdOffset = u32le(r);
  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff || (eocd >= 20 && r.view.getUint32(eocd - 20, true) === SIG_ZIP64_LOCATOR)) {
    r.fail('UNSUPPORTED_ZIP64', 'ZIP64 archives are not supported', eocd);
  }
  if (disk !== 0 || cdDisk !== 0 || entriesOnDisk !== count) r.fail('UNSUPPORTED_MULTIDISK', 'multi-disk zip', eocd + 4);
  if (count > maxEntries) r.fail('TOO_MANY_ENTRIES', `${count} entries (limit ${maxEntries})`, eocd + 10);
  // The central directory sits before the EOCD. Some writers prepend data (self-extractors): allow an offset
  // shift as long as the directory ends at the EOCD.
  const cdStart = eocd - cdSize;
  if (cdStart < 0) r.fail('BAD_CENTRAL_DIRECTORY', `central directory of ${cdSize} bytes before byte ${eocd}`, eocd + 12);
  const shift = cdStart - cdOffset;
  if (shift < 0) r.fail('BAD_CENTRAL_DIRECTORY', `central directory offset ${cdOffset} past its end`, eocd + 16);

  const cd = new Reader(bytes, 'Zip/centralDirectory', cdStart, eocd);
  const central: CentralEntry[] = [];
  for (let i = 0; i < count; i++) {
    central.push(
      cd.at(`[${i}]`, () => {
        const at = cd.pos;
        cd.need(CENTRAL_SIZE, 'central directory header');
        if (u32le(cd) !== SIG_CENTRAL) cd.fail('BAD_SIGNATURE', 'central directory header signature expected', at);
        cd.skip(4); // versions
        const flags = u16le(cd);
        const method = u16le(cd);
        cd.skip(4); // time, date
        const crc = u32le(cd);
        const compressedSize = u32le(cd);
        const size = u32le(cd);
        const nameLen = u16le(cd);
        const extraLen = u16le(cd);
        const commentLen = u16le(cd);
        cd.skip(8); // disk, internal and external attributes
        const localOffset = u32le(cd) + shift;
        const nameBytes = cd.bytes(nameLen, 'file name');
        cd.skip(extraLen + commentLen);
        const name = (flags & 0x0800 ? utf8 : latin1).decode(nameBytes);
        return { name, flags, method, crc, compressedSize, size, localOffset };
      }),
    );
  }

  const entries: ZipRouterInfoEntry[] = [];
  const skipped: { name: string; reason: ZipSkipReason }[] = [];
  let total = 0;
  for (const [i, e] of central.entries()) {
    if (!ROUTER_INFO_NAME.test(e.name)) {
      skipped.push({ name: e.name, reason: 'NAME' });
      continue;
    }
    const path = `Zip/entries[${i}]`;
    if (e.size > maxEntrySize) {
      throw new ParseError('ENTRY_TOO_LARGE', path, -1, `entry '${e.name}' of ${e.size} bytes (limit ${maxEntrySize})`);
    }
    total += e.size;
    if (total > maxTotal) throw new ParseError('TOO_LARGE', path, -1, `entries total over ${maxTotal} bytes`);
    if (e.flags & FLAG_ENCRYPTED) {
      skipped.push({ name: e.name, reason: 'ENCRYPTED' });
      continue;
    }
    if (e.method !== METHOD_STORED && e.method !== METHOD_DEFLATE) {
      skipped.push({ name: e.name, reason: 'METHOD' });
      continue;
    }
    // Local header: only its variable lengths matter (sizes may be zero when a data descriptor follows).
    const lr = new Reader(bytes, `${path}/localHeader`, e.localOffset, cdStart);
    if (u32le(lr) !== SIG_LOCAL) lr.fail('BAD_SIGNATURE', 'local file header signature expected', e.localOffset);
    lr.skip(LOCAL_SIZE - 8);
    const nameLen = u16le(lr);
    const extraLen = u16le(lr);
    lr.skip(nameLen + extraLen);
    const raw = lr.at('data', () => lr.bytes(e.compressedSize, 'entry data'));
    let data: Uint8Array;
    if (e.method === METHOD_STORED) {
      if (raw.length !== e.size) {
        skipped.push({ name: e.name, reason: 'SIZE' });
        continue;
      }
      data = Uint8Array.prototype.slice.call(raw);
    } else {
      try {
        data = new Uint8Array(inflateRawSync(raw, { maxOutputLength: maxEntrySize }));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
          throw new ParseError('ENTRY_TOO_LARGE', path, -1, `entry '${e.name}' inflates past ${maxEntrySize} bytes (declared ${e.size})`);
        }
        skipped.push({ name: e.name, reason: 'INFLATE' });
        continue;
      }
      if (data.length !== e.size) {
        skipped.push({ name: e.name, reason: 'SIZE' });
        continue;
      }
    }
    if (crc32(data) >>> 0 !== e.crc) {
      skipped.push({ name: e.name, reason: 'CRC' });
      continue;
    }
    entries.push({ name: e.name, data });
  }
  return { entries, skipped };
}
