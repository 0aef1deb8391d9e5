/**
 * I2NP message header, standard (16-byte) and short (9-byte) forms, and the message-type map.
 *
 * Spec: ../shared/specs/spec/i2np.rst, "Common structures" → "I2NP message header", and "Messages" (type table).
 * i2pd 2.45.1: libi2pd/I2NPProtocol.h (offsets, I2NPMessage::ToNTCP2/FromNTCP2).
 *
 *   Standard (16 bytes): type 1 | msg_id 4 | expiration 8 (ms) | size 2 | chks 1 | payload (size bytes)
 *   Short (NTCP2, SSU2, ECIES garlic cloves, 9 bytes): type 1 | msg_id 4 | short_expiration 4 (s) | payload
 *
 * `chks` is the first byte of SHA-256(payload). parseI2NPStandard verifies it by default; i2pd 2.45.1 never
 * verifies it on receive and writes 0 when it converts a short-form message back to standard form
 * (FromNTCP2/FromSSU), so callers that forward third-party standard-form messages may pass
 * `{ verifyChecksum: false }`.
 *
 * The short form has no size: the payload is everything after the 9 header bytes (the enclosing NTCP2/SSU2
 * block or garlic clove gives the length).
 *
 * Expiration in the model is always milliseconds since the epoch. Short form: parse multiplies the 4-byte
 * seconds by 1000; serialize writes floor(ms / 1000) mod 2^32, exactly like i2pd ToNTCP2 (htobe32 of a 64-bit
 * value divided by 1000), so sub-second precision is lost and dates after Feb 2106 wrap (spec note).
 *
 * Payloads returned by parsers are subarray views into the input: copy what outlives the packet.
 */
import { Reader, Writer } from '../data/bytes.js';
import { sha256 } from '../crypto/hash.js';

/** I2NP message types (spec/i2np.rst "Messages"). */
export const I2NPType = {
  DatabaseStore: 1,
  DatabaseLookup: 2,
  DatabaseSearchReply: 3,
  DeliveryStatus: 10,
  Garlic: 11,
  TunnelData: 18,
  TunnelGateway: 19,
  Data: 20,
  TunnelBuild: 21,
  TunnelBuildReply: 22,
  VariableTunnelBuild: 23,
  VariableTunnelBuildReply: 24,
  ShortTunnelBuild: 25,
  OutboundTunnelBuildReply: 26,
} as const;
export type I2NPTypeName = keyof typeof I2NPType;
export type I2NPTypeValue = (typeof I2NPType)[I2NPTypeName];

const TYPE_NAMES = new Map<number, I2NPTypeName>(
  (Object.entries(I2NPType) as [I2NPTypeName, I2NPTypeValue][]).map(([k, v]) => [v, k]),
);

/** The known message type for a type byte, or undefined. */
export function toI2NPType(b: number): I2NPTypeValue | undefined {
  return TYPE_NAMES.has(b) ? (b as I2NPTypeValue) : undefined;
}

/** The spec name of a type byte (for logs and metrics), or undefined if unknown. */
export function i2npTypeName(b: number): I2NPTypeName | undefined {
  return TYPE_NAMES.get(b);
}

// Standard header layout (i2pd I2NPProtocol.h I2NP_HEADER_*).
export const I2NP_HEADER_TYPEID_OFFSET = 0;
export const I2NP_HEADER_MSGID_OFFSET = I2NP_HEADER_TYPEID_OFFSET + 1;
export const I2NP_HEADER_EXPIRATION_OFFSET = I2NP_HEADER_MSGID_OFFSET + 4;
export const I2NP_HEADER_SIZE_OFFSET = I2NP_HEADER_EXPIRATION_OFFSET + 8;
export const I2NP_HEADER_CHKS_OFFSET = I2NP_HEADER_SIZE_OFFSET + 2;
export const I2NP_HEADER_SIZE = I2NP_HEADER_CHKS_OFFSET + 1; // 16

// Short header layout (NTCP2/SSU2 I2NP block, ECIES garlic clove; i2pd I2NP_NTCP2_HEADER_SIZE).
export const I2NP_SHORT_HEADER_TYPEID_OFFSET = 0;
export const I2NP_SHORT_HEADER_MSGID_OFFSET = I2NP_SHORT_HEADER_TYPEID_OFFSET + 1;
export const I2NP_SHORT_HEADER_EXPIRATION_OFFSET = I2NP_SHORT_HEADER_MSGID_OFFSET + 4;
export const I2NP_SHORT_HEADER_SIZE = I2NP_SHORT_HEADER_EXPIRATION_OFFSET + 4; // 9

/** Largest payload the 2-byte size field of the standard header can describe. */
export const I2NP_MAX_STANDARD_PAYLOAD = 0xffff;
/**
 * i2pd 2.45.1 I2NP_MAX_MESSAGE_SIZE: its buffer for one message (header included, plus 2 bytes of NTCP
 * framing). Informational for senders: i2pd truncates/drops anything bigger. Not enforced by these codecs.
 */
export const I2PD_MAX_MESSAGE_SIZE = 62708;

/** One I2NP message, independent of header form. */
export interface I2NPMessage {
  /** Type byte; may be a type this router does not know (see toI2NPType). */
  type: number;
  /** 4-byte message id. */
  msgId: number;
  /** Expiration, milliseconds since the epoch. */
  expiration: number;
  payload: Uint8Array;
}

export interface StandardParseOptions {
  /** Verify chks = SHA-256(payload)[0]; default true. */
  verifyChecksum?: boolean;
}

/** First byte of SHA-256(payload). */
export function i2npChecksum(payload: Uint8Array): number {
  return sha256(payload)[0]!;
}

function checkCommon(m: I2NPMessage): void {
  if (!Number.isInteger(m.type) || m.type < 0 || m.type > 0xff) throw new RangeError('I2NP type must be a byte');
  if (!Number.isInteger(m.msgId) || m.msgId < 0 || m.msgId > 0xffffffff) throw new RangeError('I2NP msgId must be u32');
  if (!Number.isSafeInteger(m.expiration) || m.expiration < 0) throw new RangeError('I2NP expiration must be a non-negative safe integer (ms)');
}

// ---- standard form ----

export function sizeOfI2NPStandard(m: I2NPMessage): number {
  return I2NP_HEADER_SIZE + m.payload.length;
}

export function writeI2NPStandard(w: Writer, m: I2NPMessage): void {
  checkCommon(m);
  if (m.payload.length > I2NP_MAX_STANDARD_PAYLOAD) throw new RangeError(`I2NP payload too large: ${m.payload.length}`);
  w.u8(m.type).u32(m.msgId).u64(m.expiration).u16(m.payload.length).u8(i2npChecksum(m.payload)).bytes(m.payload);
}

/** Read one standard-form message (header + exactly `size` payload bytes) from the cursor. */
export function readI2NPStandard(r: Reader, opts: StandardParseOptions = {}): I2NPMessage {
  return r.at('I2NPMessage', () => {
    const type = r.u8();
    const msgId = r.u32();
    const expiration = r.at('expiration', () => r.u64n());
    const size = r.u16();
    const chksAt = r.pos;
    const chks = r.u8();
    const payload = r.bytes(size, 'payload');
    if (opts.verifyChecksum !== false && i2npChecksum(payload) !== chks) {
      r.fail('BAD_CHECKSUM', 'I2NP header checksum does not match payload', chksAt);
    }
    return { type, msgId, expiration, payload };
  });
}

/** Parse a standard-form message; the input must be exactly one message (no trailing bytes). */
export function parseI2NPStandard(bytes: Uint8Array, opts: StandardParseOptions = {}): I2NPMessage {
  const r = new Reader(bytes);
  const m = readI2NPStandard(r, opts);
  r.at('I2NPMessage', () => r.finish());
  return m;
}

export function serializeI2NPStandard(m: I2NPMessage): Uint8Array {
  const w = new Writer(sizeOfI2NPStandard(m));
  writeI2NPStandard(w, m);
  return w.done();
}

// ---- short form ----

export function sizeOfI2NPShort(m: I2NPMessage): number {
  return I2NP_SHORT_HEADER_SIZE + m.payload.length;
}

export function writeI2NPShort(w: Writer, m: I2NPMessage): void {
  checkCommon(m);
  w.u8(m.type).u32(m.msgId).u32(Math.floor(m.expiration / 1000) % 0x1_0000_0000).bytes(m.payload);
}

/** Read a short-form message: the 9-byte header, then everything up to the reader's end is the payload. */
export function readI2NPShort(r: Reader): I2NPMessage {
  return r.at('I2NPMessage', () => {
    const type = r.u8();
    const msgId = r.u32();
    const expiration = r.u32() * 1000;
    const payload = r.rest();
    return { type, msgId, expiration, payload };
  });
}

/** Parse a short-form message (an NTCP2/SSU2 I2NP block body or ECIES clove); payload is the rest. */
export function parseI2NPShort(bytes: Uint8Array): I2NPMessage {
  return readI2NPShort(new Reader(bytes));
}

export function serializeI2NPShort(m: I2NPMessage): Uint8Array {
  const w = new Writer(sizeOfI2NPShort(m));
  writeI2NPShort(w, m);
  return w.done();
}
