/**
 * The I2CP payload carried in a Data I2NP message (type 20): one gzip member whose header holds the I2CP
 * ports and protocol.
 *
 * Spec: ../shared/specs/spec/i2cp.rst ("Payload", gzip format of the I2CP overview: ports in the mtime field, protocol in the OS field) and
 * ../shared/specs/spec/datagrams.rst ("I2CP Protocol Number and Ports"); RFC 1952 for the member.
 * i2pd 2.45.1: Streaming.cpp StreamingDestination::CreateDataMessage, Datagram.cpp
 * DatagramDestination::CreateDataMessage (write), Destination.cpp ClientDestination::HandleDataMessage (read).
 *
 *   gzip header: 1F 8B 08 FLG | MTIME[0..1] = fromPort (big endian) | MTIME[2..3] = toPort (big endian)
 *                | XFL | OS = protocol (6 streaming, 17 repliable datagram, 18 raw datagram)
 *
 * i2pd writes the ports with htobe16 over bytes 4-5 and 6-7 of the member (so the gzip "mtime" reads as a
 * little-endian number with the ports swapped — that is the spec's layout, not a bug) and the protocol over
 * byte 9. It deflates SYN packets (and everything when its gzip option is on) and uses a stored block
 * otherwise; we do the same (`compress`), and accept any single gzip member gunzip accepts (bounded).
 *
 * parse: exactly one gzip member, no trailing bytes, output capped (stricter than i2pd, which inflates into
 * a fixed buffer and ignores what follows). Throws ParseError only.
 */
import { ParseError } from '../data/errors.js';
import { gunzipBounded, gzipDeflate, gzipStored, GZIP_HEADER_SIZE } from '../i2np/gzip.js';

export const I2CPProtocol = {
  Streaming: 6,
  Datagram: 17,
  Raw: 18,
} as const;
export type I2CPProtocolValue = (typeof I2CPProtocol)[keyof typeof I2CPProtocol];

/** Offsets inside the gzip header (i2pd CreateDataMessage: buf + 4, buf + 6, buf[9]). */
export const I2CP_FROM_PORT_OFFSET = 4;
export const I2CP_TO_PORT_OFFSET = 6;
export const I2CP_PROTOCOL_OFFSET = 9;

/** Default cap on a decompressed payload: the largest datagram (spec/datagrams.rst: 64 KB less headers). */
export const DEFAULT_MAX_I2CP_PAYLOAD = 64 * 1024;
/** Largest payload a stored block can carry; bigger payloads are deflated. */
const MAX_STORED = 0xffff;

export interface I2CPPayload {
  protocol: number;
  fromPort: number;
  toPort: number;
  payload: Uint8Array;
}

function checkPort(p: number, what: string): void {
  if (!Number.isInteger(p) || p < 0 || p > 0xffff) throw new RangeError(`${what} must be 0..65535`);
}

/** gzip `x.payload` and write ports and protocol into the header. `compress`: deflate (i2pd: SYN packets). */
export function serializeI2CPPayload(x: I2CPPayload, opts: { compress?: boolean } = {}): Uint8Array {
  checkPort(x.fromPort, 'fromPort');
  checkPort(x.toPort, 'toPort');
  if (!Number.isInteger(x.protocol) || x.protocol < 0 || x.protocol > 0xff) throw new RangeError('protocol must be a byte');
  const gz = opts.compress || x.payload.length > MAX_STORED ? gzipDeflate(x.payload) : gzipStored(x.payload);
  gz[I2CP_FROM_PORT_OFFSET] = x.fromPort >>> 8;
  gz[I2CP_FROM_PORT_OFFSET + 1] = x.fromPort & 0xff;
  gz[I2CP_TO_PORT_OFFSET] = x.toPort >>> 8;
  gz[I2CP_TO_PORT_OFFSET + 1] = x.toPort & 0xff;
  gz[I2CP_PROTOCOL_OFFSET] = x.protocol;
  return gz;
}

/** Read ports and protocol, then gunzip at most `maxOutput` bytes. Throws ParseError only. */
export function parseI2CPPayload(gz: Uint8Array, maxOutput = DEFAULT_MAX_I2CP_PAYLOAD): I2CPPayload {
  if (gz.length < GZIP_HEADER_SIZE) throw new ParseError('TRUNCATED', 'I2CPPayload', gz.length, 'shorter than a gzip header');
  const fromPort = (gz[I2CP_FROM_PORT_OFFSET]! << 8) | gz[I2CP_FROM_PORT_OFFSET + 1]!;
  const toPort = (gz[I2CP_TO_PORT_OFFSET]! << 8) | gz[I2CP_TO_PORT_OFFSET + 1]!;
  const protocol = gz[I2CP_PROTOCOL_OFFSET]!;
  const payload = gunzipBounded(gz, maxOutput, 'I2CPPayload');
  return { protocol, fromPort, toPort, payload };
}
