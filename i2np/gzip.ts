/**
 * Bounded single-member gzip (RFC 1952) for I2NP payloads: the RouterInfo in a DatabaseStore
 * (spec/i2np.rst "DatabaseStore", data for type 0) and, later, Data-message payloads of streaming/datagrams.
 *
 * What i2pd 2.45.1 emits (libi2pd/Gzip.cpp, I2NPProtocol.cpp CreateDatabaseStoreMsg):
 *   - "stored" (GzipNoCompression) when the whole DatabaseStore payload is <= 940 bytes (fits one tunnel
 *     message): header 1F 8B 08 00 00000000 02 FF, one final stored deflate block (01, LEN le16, NLEN le16,
 *     data), CRC32 le32, ISIZE le32;
 *   - otherwise zlib deflate at the default level (6) in gzip mode, OS byte overwritten with 0xFF:
 *     header 1F 8B 08 00 00000000 00 FF.
 *   The spec's Java recommendation (XFL 02) differs only in that byte for deflated output.
 * What i2pd accepts (GzipInflator::Inflate): any gzip member zlib accepts, output < MAX_RI_BUFFER_SIZE (3072)
 * for a RouterInfo; a stored block at byte 10 is copied without CRC check; bytes after the member are ignored.
 *
 * gunzipBounded is stricter than i2pd: exactly one member, CRC32 and ISIZE checked, no trailing bytes,
 * and output capped at `maxOutput` before it is allocated in full (node:zlib maxOutputLength).
 * Deflated bytes are not promised to be bit-identical to i2pd's (Node bundles a different zlib build);
 * the decompressed content is what peers compare.
 */
import { constants as bufferConstants } from 'node:buffer';
import { crc32, gzipSync, inflateRawSync } from 'node:zlib';
import { Reader } from '../data/bytes.js';
import { ParseError } from '../data/errors.js';

const GZIP_ID1 = 0x1f;
const GZIP_ID2 = 0x8b;
const GZIP_CM_DEFLATE = 8;
const GZIP_FLG_FHCRC = 0x02;
const GZIP_FLG_FEXTRA = 0x04;
const GZIP_FLG_FNAME = 0x08;
const GZIP_FLG_FCOMMENT = 0x10;
const GZIP_FLG_RESERVED = 0xe0;
const GZIP_OS_OFFSET = 9;
const GZIP_OS_UNKNOWN = 0xff;
export const GZIP_HEADER_SIZE = 10;
export const GZIP_TRAILER_SIZE = 8;
/** Header + stored-block header (5) + trailer: what GzipNoCompression adds to its input. */
export const GZIP_STORED_OVERHEAD = GZIP_HEADER_SIZE + 5 + GZIP_TRAILER_SIZE; // 23
const MAX_STORED_BLOCK = 0xffff;

/** i2pd's GzipNoCompression header: no flags, mtime 0, XFL 02, OS FF; then BFINAL=1/BTYPE=00. */
const STORED_PREFIX = Uint8Array.of(0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0xff, 0x01);

function le16(b: Uint8Array, o: number, v: number): void {
  b[o] = v & 0xff;
  b[o + 1] = (v >>> 8) & 0xff;
}

function le32(b: Uint8Array, o: number, v: number): void {
  le16(b, o, v & 0xffff);
  le16(b, o + 2, (v >>> 16) & 0xffff);
}

function readLe32(b: Uint8Array, o: number): number {
  return (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;
}

/** A gzip member with one stored (uncompressed) block, byte-identical to i2pd GzipNoCompression. */
export function gzipStored(data: Uint8Array): Uint8Array {
  if (data.length > MAX_STORED_BLOCK) throw new RangeError(`gzipStored: ${data.length} bytes exceed one stored block`);
  const out = new Uint8Array(data.length + GZIP_STORED_OVERHEAD);
  out.set(STORED_PREFIX, 0);
  le16(out, 11, data.length);
  le16(out, 13, 0xffff - data.length);
  out.set(data, 15);
  le32(out, 15 + data.length, crc32(data));
  le32(out, 19 + data.length, data.length);
  return out;
}

/** A gzip member deflated at zlib's default level, OS byte 0xFF (as i2pd GzipDeflator). */
export function gzipDeflate(data: Uint8Array): Uint8Array {
  const gz = new Uint8Array(gzipSync(data, { level: 6 }));
  gz[GZIP_OS_OFFSET] = GZIP_OS_UNKNOWN;
  return gz;
}

/**
 * Decompress exactly one gzip member of untrusted input, producing at most `maxOutput` bytes.
 * Throws ParseError only: BAD_GZIP (format/deflate/CRC/size errors), TOO_LARGE (output over the cap),
 * TRUNCATED, TRAILING_BYTES.
 */
export function gunzipBounded(gz: Uint8Array, maxOutput: number, path = 'gzip'): Uint8Array {
  return gunzipRange(gz, 0, gz.length, maxOutput, path);
}

/** gunzipBounded of buf[start, end); ParseError offsets are positions in `buf`. */
export function gunzipRange(buf: Uint8Array, start: number, end: number, maxOutput: number, path = 'gzip'): Uint8Array {
  if (!Number.isSafeInteger(maxOutput) || maxOutput < 1 || maxOutput > bufferConstants.MAX_LENGTH) {
    throw new RangeError('gunzip: maxOutput must be 1..buffer.constants.MAX_LENGTH');
  }
  if (!(0 <= start && start <= end && end <= buf.length)) throw new RangeError('gunzip: bad range');
  const r = new Reader(buf, path, start, end);
  if (r.u8() !== GZIP_ID1 || r.u8() !== GZIP_ID2) r.fail('BAD_GZIP', 'not a gzip member', start);
  if (r.u8() !== GZIP_CM_DEFLATE) r.fail('BAD_GZIP', 'compression method is not deflate', start + 2);
  const flgAt = r.pos;
  const flg = r.u8();
  if (flg & GZIP_FLG_RESERVED) r.fail('BAD_GZIP', 'reserved gzip flags set', flgAt);
  r.skip(6); // mtime 4, xfl 1, os 1
  if (flg & GZIP_FLG_FEXTRA) {
    const lo = r.u8();
    const xlen = lo | (r.u8() << 8);
    r.skip(xlen);
  }
  const skipZeroTerminated = (): void => {
    while (r.u8() !== 0) {
      /* bounded by r.u8() throwing TRUNCATED at the end */
    }
  };
  if (flg & GZIP_FLG_FNAME) skipZeroTerminated();
  if (flg & GZIP_FLG_FCOMMENT) skipZeroTerminated();
  if (flg & GZIP_FLG_FHCRC) {
    const at = r.pos;
    const hcrc = r.u8() | (r.u8() << 8);
    if ((crc32(buf.subarray(start, at)) & 0xffff) !== hcrc) r.fail('BAD_GZIP', 'header CRC mismatch', at);
  }
  const bodyAt = r.pos;
  const body = r.rest();
  let out: Uint8Array;
  let consumed: number;
  try {
    const res = inflateRawSync(body, { maxOutputLength: maxOutput, info: true }) as unknown as {
      buffer: Buffer;
      engine: { bytesWritten: number };
    };
    out = new Uint8Array(res.buffer.buffer, res.buffer.byteOffset, res.buffer.byteLength);
    consumed = res.engine.bytesWritten;
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    if (code === 'ERR_BUFFER_TOO_LARGE') throw new ParseError('TOO_LARGE', path, bodyAt, `decompressed size exceeds ${maxOutput}`);
    if (code === 'Z_BUF_ERROR') throw new ParseError('TRUNCATED', path, end, 'deflate stream truncated');
    throw new ParseError('BAD_GZIP', path, bodyAt, `inflate failed: ${String(code ?? e)}`);
  }
  // A complete stream stops before the 8-byte trailer; an unfinished one consumes all input.
  const trailerAt = bodyAt + consumed;
  const left = end - trailerAt;
  if (left < GZIP_TRAILER_SIZE) throw new ParseError('TRUNCATED', path, trailerAt, 'gzip trailer missing');
  if (left > GZIP_TRAILER_SIZE) throw new ParseError('TRAILING_BYTES', path, trailerAt + GZIP_TRAILER_SIZE, `${left - GZIP_TRAILER_SIZE} bytes after gzip member`);
  if (readLe32(buf, trailerAt) !== crc32(out)) throw new ParseError('BAD_GZIP', path, trailerAt, 'CRC32 mismatch');
  if (readLe32(buf, trailerAt + 4) !== out.length >>> 0) throw new ParseError('BAD_GZIP', path, trailerAt + 4, 'ISIZE mismatch');
  return out;
}
