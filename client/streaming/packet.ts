/**
 * Streaming protocol packets: codec, signing and verification.
 *
 * Spec: ../shared/specs/spec/streaming.rst, "Packet Format", "Flags and Option Data Fields", "Variable
 * Length Signature Notes", "Replay prevention"; ping/pong rules from ../shared/specs/docs/api-streaming.html
 * ("Ping / Pong"). Checked against i2pd 2.45.1 libi2pd/Streaming.h (Packet accessors, PACKET_FLAG_*) and
 * Streaming.cpp (Stream::SendBuffer, SendQuickAck, SendPing, SendClose, ProcessOptions).
 *
 *   sendStreamId(4) receiveStreamId(4) sequenceNum(4) ackThrough(4) nackCount(1) nacks(4*nc)
 *   resendDelay(1) flags(2) optionSize(2) optionData(optionSize) payload(rest)
 *
 * Option data, in this order, each present iff its flag is set: DELAY_REQUESTED (2), FROM_INCLUDED
 * (Destination), MAX_PACKET_SIZE_INCLUDED (2), OFFLINE_SIGNATURE (OfflineSignature), SIGNATURE_INCLUDED
 * (Signature). The signature covers the whole packet (header, options, payload) with the signature bytes
 * set to zero; it is made by the Destination's key, or by the transient key when OFFLINE_SIGNATURE is set.
 *
 * Signature length: from the transient key type with OFFLINE_SIGNATURE, else from FROM's signing type, else
 * from `signatureLength` supplied by the caller (the connection knows the peer from its SYN), else — a
 * stray CLOSE/RESET — the rest of the option data (spec, "Variable Length Signature Notes").
 *
 * Decisions:
 * - Option bytes after the last option the flags announce are ignored (room for future options, as i2pd
 *   does: it jumps to the payload by optionSize). Too few option bytes is ParseError('BAD_OPTIONS').
 * - `nacks` is kept as numbers. In a SYN a NACK count of 8 carries the 32-byte hash of the destination the
 *   SYN is for (replay prevention, 0.9.58); `synTargetHash` / `nacksFromHash` convert.
 * - `parsePacket` allows no trailing-bytes question: the payload is the rest of the packet (no length field).
 */
import { Reader, Writer } from '../../data/bytes.js';
import { ParseError } from '../../data/errors.js';
import { type Destination, readKeysAndCert, signatureLength as destinationSignatureLength } from '../../data/identity.js';
import { type Signer, sigTypeInfo, verifySignature } from '../../data/key-types.js';
import {
  type OfflineSignature,
  readOfflineSignature,
  sizeOfOfflineSignature,
  verifyOfflineSignature,
  writeOfflineSignature,
} from '../../data/lease-set2.js';

export const PacketFlag = {
  SYNCHRONIZE: 0x0001,
  CLOSE: 0x0002,
  RESET: 0x0004,
  SIGNATURE_INCLUDED: 0x0008,
  SIGNATURE_REQUESTED: 0x0010,
  FROM_INCLUDED: 0x0020,
  DELAY_REQUESTED: 0x0040,
  MAX_PACKET_SIZE_INCLUDED: 0x0080,
  PROFILE_INTERACTIVE: 0x0100,
  ECHO: 0x0200,
  NO_ACK: 0x0400,
  OFFLINE_SIGNATURE: 0x0800,
} as const;

/** Header without NACKs or options (spec: "The minimum header size ... is 22 bytes"). */
export const MIN_HEADER_SIZE = 22;
/** Offsets of the fixed fields. */
export const OFF_SEND_STREAM_ID = 0;
export const OFF_RECEIVE_STREAM_ID = 4;
export const OFF_SEQUENCE_NUM = 8;
export const OFF_ACK_THROUGH = 12;
export const OFF_NACK_COUNT = 16;
export const OFF_NACKS = 17;
/** A delay requested above this value means "choked" (api-streaming.html, "Transmit/Receive Windows and Choking"). */
export const MAX_DELAY_UNCHOKED = 60000;
export const DELAY_CHOKE = 60001;
/** i2pd 2.45.1 STREAMING_MTU and STREAMING_MTU_RATCHETS (payload bytes). */
export const STREAMING_MTU = 1730;
export const STREAMING_MTU_RATCHETS = 1812;
/** Spec MIN_MESSAGE_SIZE: a peer advertising less is taken as this. */
export const MIN_MTU = 512;
/** Ping payload returned in a pong at most (api-streaming.html, "Ping / Pong"). */
export const MAX_PONG_PAYLOAD = 32;

export interface StreamPacket {
  readonly sendStreamId: number;
  readonly receiveStreamId: number;
  readonly sequenceNum: number;
  readonly ackThrough: number;
  readonly nacks: readonly number[];
  /** Seconds; informational. */
  readonly resendDelay: number;
  readonly flags: number;
  /** DELAY_REQUESTED option (ms). */
  readonly delay?: number | undefined;
  /** FROM_INCLUDED option. */
  readonly from?: Destination | undefined;
  /** MAX_PACKET_SIZE_INCLUDED option. */
  readonly maxPacketSize?: number | undefined;
  /** OFFLINE_SIGNATURE option. */
  readonly offlineSignature?: OfflineSignature | undefined;
  /** SIGNATURE_INCLUDED option. */
  readonly signature?: Uint8Array | undefined;
  readonly payload: Uint8Array;
}

export interface ParsedPacket extends StreamPacket {
  /** The packet bytes as received (a view of the input). */
  readonly raw: Uint8Array;
  /** Offset of the signature in `raw` (-1 without SIGNATURE_INCLUDED). */
  readonly signatureOffset: number;
}

export function hasFlag(p: { readonly flags: number }, f: number): boolean {
  return (p.flags & f) !== 0;
}

function u32(v: number, what: string): number {
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new RangeError(`${what} must be a 32-bit unsigned integer`);
  return v;
}

function u16(v: number, what: string): number {
  if (!Number.isInteger(v) || v < 0 || v > 0xffff) throw new RangeError(`${what} must be a 16-bit unsigned integer`);
  return v;
}

function checkOptions(p: StreamPacket): void {
  const pairs: [number, unknown, string][] = [
    [PacketFlag.DELAY_REQUESTED, p.delay, 'delay'],
    [PacketFlag.FROM_INCLUDED, p.from, 'from'],
    [PacketFlag.MAX_PACKET_SIZE_INCLUDED, p.maxPacketSize, 'maxPacketSize'],
    [PacketFlag.OFFLINE_SIGNATURE, p.offlineSignature, 'offlineSignature'],
    [PacketFlag.SIGNATURE_INCLUDED, p.signature, 'signature'],
  ];
  for (const [flag, v, name] of pairs) {
    if (hasFlag(p, flag) !== (v !== undefined)) throw new RangeError(`${name} must be present iff its flag is set`);
  }
  if (p.nacks.length > 255) throw new RangeError('at most 255 NACKs');
}

export function sizeOfOptions(p: StreamPacket): number {
  let n = 0;
  if (p.delay !== undefined) n += 2;
  if (p.from) n += p.from.bytes.length;
  if (p.maxPacketSize !== undefined) n += 2;
  if (p.offlineSignature) n += sizeOfOfflineSignature(p.offlineSignature);
  if (p.signature) n += p.signature.length;
  return n;
}

export function sizeOfPacket(p: StreamPacket): number {
  return MIN_HEADER_SIZE + 4 * p.nacks.length + sizeOfOptions(p) + p.payload.length;
}

/** Write a packet; returns the offset of the signature within the written packet (-1 if none). */
export function writePacket(w: Writer, p: StreamPacket): number {
  checkOptions(p);
  const start = w.pos;
  w.u32(u32(p.sendStreamId, 'sendStreamId')).u32(u32(p.receiveStreamId, 'receiveStreamId'));
  w.u32(u32(p.sequenceNum, 'sequenceNum')).u32(u32(p.ackThrough, 'ackThrough'));
  w.u8(p.nacks.length);
  for (const n of p.nacks) w.u32(u32(n, 'NACK'));
  if (!Number.isInteger(p.resendDelay) || p.resendDelay < 0 || p.resendDelay > 255) throw new RangeError('resendDelay must be 0..255');
  w.u8(p.resendDelay).u16(u16(p.flags, 'flags'));
  const optSize = sizeOfOptions(p);
  w.u16(u16(optSize, 'option size'));
  if (p.delay !== undefined) w.u16(u16(p.delay, 'delay'));
  if (p.from) w.bytes(p.from.bytes);
  if (p.maxPacketSize !== undefined) w.u16(u16(p.maxPacketSize, 'maxPacketSize'));
  if (p.offlineSignature) writeOfflineSignature(w, p.offlineSignature);
  let sigAt = -1;
  if (p.signature) {
    sigAt = w.pos - start;
    w.bytes(p.signature);
  }
  w.bytes(p.payload);
  return sigAt;
}

export function serializePacket(p: StreamPacket): Uint8Array {
  const w = new Writer(sizeOfPacket(p));
  writePacket(w, p);
  return w.done();
}

export interface ParseOptions {
  /** Signature length to assume when the packet carries neither FROM nor an offline signature. */
  signatureLength?: number | undefined;
}

/** Parse one packet (the whole input; the payload is whatever follows the options). */
export function parsePacket(bytes: Uint8Array, opts: ParseOptions = {}): ParsedPacket {
  const r = new Reader(bytes, 'StreamPacket');
  const sendStreamId = r.u32();
  const receiveStreamId = r.u32();
  const sequenceNum = r.u32();
  const ackThrough = r.u32();
  const nc = r.u8();
  r.need(4 * nc + 5, 'NACKs and flags');
  const nacks: number[] = new Array(nc);
  for (let i = 0; i < nc; i++) nacks[i] = r.u32();
  const resendDelay = r.u8();
  const flags = r.u16();
  const optSize = r.u16();
  const optStart = r.pos;
  r.need(optSize, 'option data');
  const optEnd = optStart + optSize;
  const o = new Reader(bytes, 'StreamPacket/options', optStart, optEnd);
  let delay: number | undefined;
  let from: Destination | undefined;
  let maxPacketSize: number | undefined;
  let offlineSignature: OfflineSignature | undefined;
  let signature: Uint8Array | undefined;
  let signatureOffset = -1;
  const bad = (e: unknown): never => {
    if (e instanceof ParseError && e.code === 'TRUNCATED') throw new ParseError('BAD_OPTIONS', e.path, e.offset, 'option data shorter than its flags require');
    throw e;
  };
  try {
    if (flags & PacketFlag.DELAY_REQUESTED) delay = o.at('delay', () => o.u16());
    if (flags & PacketFlag.FROM_INCLUDED) from = o.at('from', () => readKeysAndCert(o));
    if (flags & PacketFlag.MAX_PACKET_SIZE_INCLUDED) maxPacketSize = o.at('maxPacketSize', () => o.u16());
    if (flags & PacketFlag.OFFLINE_SIGNATURE) {
      if (!from) o.fail('BAD_OPTIONS', 'OFFLINE_SIGNATURE without FROM_INCLUDED');
      offlineSignature = o.at('offlineSignature', () => readOfflineSignature(o, from!.sigType));
    }
    if (flags & PacketFlag.SIGNATURE_INCLUDED) {
      let len: number;
      if (offlineSignature) len = sigTypeInfo(offlineSignature.transientSigType)!.signatureLength;
      else if (from) len = destinationSignatureLength(from);
      else len = opts.signatureLength ?? o.remaining;
      if (len === 0) o.fail('BAD_OPTIONS', 'empty signature');
      signatureOffset = o.pos;
      signature = o.at('signature', () => o.copy(len, 'signature'));
    }
  } catch (e) {
    bad(e);
  }
  r.pos = optEnd;
  const payload = r.rest();
  return {
    sendStreamId,
    receiveStreamId,
    sequenceNum,
    ackThrough,
    nacks,
    resendDelay,
    flags,
    delay,
    from,
    maxPacketSize,
    offlineSignature,
    signature,
    payload,
    raw: bytes,
    signatureOffset,
  };
}

// ---- signing ----

/** What a local destination signs streaming packets with. */
export interface StreamingSigner {
  readonly destination: Destination;
  /** Signs with the Destination's key, or the transient key when `offlineSignature` is set. */
  readonly signer: Signer;
  /** Length of signatures `signer` makes. */
  readonly signatureLength: number;
  readonly offlineSignature?: OfflineSignature | undefined;
}

/**
 * Serialize `p` with a signature: SIGNATURE_INCLUDED (and OFFLINE_SIGNATURE with its block, for offline
 * keys) is set, the signature field is zeroed, the whole packet signed and the signature written in place.
 */
export function signPacket(p: Omit<StreamPacket, 'signature' | 'offlineSignature'>, s: StreamingSigner, withOffline = hasFlag(p, PacketFlag.FROM_INCLUDED)): Uint8Array {
  let flags = p.flags | PacketFlag.SIGNATURE_INCLUDED;
  const offline = withOffline && s.offlineSignature ? s.offlineSignature : undefined;
  if (offline) flags |= PacketFlag.OFFLINE_SIGNATURE;
  else flags &= ~PacketFlag.OFFLINE_SIGNATURE;
  const full: StreamPacket = { ...p, flags, offlineSignature: offline, signature: new Uint8Array(s.signatureLength) };
  const w = new Writer(sizeOfPacket(full));
  const at = writePacket(w, full);
  const out = w.done();
  const sig = s.signer.sign(out);
  if (sig.length !== s.signatureLength) throw new RangeError('signer produced a signature of unexpected length');
  out.set(sig, at);
  return out;
}

/** A key that verifies a peer's packets. */
export interface PacketVerifier {
  readonly sigType: number;
  readonly publicKey: Uint8Array;
}

/**
 * The key that verifies packets from `from`: the transient key of a valid, unexpired offline signature,
 * else the Destination's key. Undefined when the offline signature is bad or expired.
 */
export function verifierFor(from: Destination, offline: OfflineSignature | undefined, nowMs: number): PacketVerifier | undefined {
  if (!offline) return { sigType: from.sigType, publicKey: from.signingPublicKey };
  if (offline.expires * 1000 < nowMs) return undefined;
  if (!verifyOfflineSignature(from, offline)) return undefined;
  return { sigType: offline.transientSigType, publicKey: offline.transientPublicKey };
}

/** Verify a parsed packet's signature (false when it has none). */
export function verifyPacket(p: ParsedPacket, v: PacketVerifier): boolean {
  if (!p.signature || p.signatureOffset < 0) return false;
  const copy = Uint8Array.prototype.slice.call(p.raw) as Uint8Array;
  copy.fill(0, p.signatureOffset, p.signatureOffset + p.signature.length);
  return verifySignature(v.sigType, v.publicKey, copy, p.signature);
}

// ---- replay prevention (0.9.58) ----

/** NACKs field carrying a 32-byte destination hash (8 NACKs). */
export function nacksFromHash(hash: Uint8Array): number[] {
  if (hash.length !== 32) throw new RangeError('hash must be 32 bytes');
  const v = new DataView(hash.buffer, hash.byteOffset, 32);
  return Array.from({ length: 8 }, (_, i) => v.getUint32(4 * i));
}

/** The destination hash in a SYN's NACKs field, or undefined when it carries none. */
export function synTargetHash(p: StreamPacket): Uint8Array | undefined {
  if (!hasFlag(p, PacketFlag.SYNCHRONIZE) || p.nacks.length !== 8) return undefined;
  const out = new Uint8Array(32);
  const v = new DataView(out.buffer);
  p.nacks.forEach((n, i) => v.setUint32(4 * i, n));
  return out;
}

/** A pong for a ping (i2pd HandlePing / api-streaming.html): 22-byte header, ECHO only, payload echoed. */
export function buildPong(ping: StreamPacket): Uint8Array {
  return serializePacket({
    sendStreamId: 0,
    receiveStreamId: ping.sendStreamId,
    sequenceNum: 0,
    ackThrough: 0,
    nacks: [],
    resendDelay: 0,
    flags: PacketFlag.ECHO,
    payload: ping.payload.subarray(0, MAX_PONG_PAYLOAD),
  });
}
