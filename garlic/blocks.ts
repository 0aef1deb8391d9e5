/**
 * ECIES-X25519-AEAD-Ratchet payload blocks: the plaintext inside every NS, NSR and ES AEAD frame.
 *
 * Spec: ../shared/specs/spec/ecies.rst, "5) Payload" (block format, DateTime, Garlic Clove, Termination,
 * Options, Message Numbers, Next DH Ratchet Public Key, Ack, Ack Request, Padding), and
 * ../shared/specs/spec/i2np.rst "Garlic Clove Delivery Instructions".
 * i2pd 2.45.1: libi2pd/ECIESX25519AEADRatchetSession.cpp HandlePayload / CreatePayload / CreateGarlicClove,
 * libi2pd/Garlic.cpp GarlicDestination::HandleECIESx25519GarlicClove.
 *
 *   block  := type 1 | size 2 (big endian) | data (size bytes)
 *   clove  := flag 1 | [to hash 32] | [tunnel id 4] | I2NP type 1 | msg id 4 | expiration 4 (s) | body
 *
 * `parseBlocks` reads a whole payload (no trailing bytes: a block header or body that overruns the frame is
 * TRUNCATED). Unknown block types are kept as `Unknown` (spec: "receivers MUST ignore blocks with unknown type
 * numbers"). Fixed-size blocks must have their spec size (DateTime 4, Message Numbers 2, Ack Request 1, Next Key
 * 3 or 35 matching its key-present flag, Ack a non-zero multiple of 4, Termination at least 1, clove at least
 * its delivery instructions + 9). Block ordering rules are not enforced here (i2pd does not enforce them).
 *
 * Delivery-instruction flag bits 7 (encrypted) and 4 (delay) are unimplemented in the spec; like i2pd we read
 * only bits 6-5 and neither a session key nor a delay is ever read or written. The full flag byte is kept in
 * `flag` so a parsed clove serializes back byte-exact.
 */
import { Reader, Writer } from '../data/bytes.js';
import { ParseError } from '../data/errors.js';

export const BlockType = {
  DateTime: 0,
  Termination: 4,
  Options: 5,
  MessageNumbers: 6,
  NextKey: 7,
  Ack: 8,
  AckRequest: 9,
  GarlicClove: 11,
  Padding: 254,
} as const;
export type BlockTypeName = keyof typeof BlockType;

export function blockTypeName(b: number): BlockTypeName | undefined {
  for (const [k, v] of Object.entries(BlockType)) if (v === b) return k as BlockTypeName;
  return undefined;
}

export const BLOCK_HEADER_SIZE = 3;
/** Maximum plaintext of one ChaChaPoly frame (65535 - 16-byte tag). */
export const MAX_PAYLOAD_SIZE = 65519;
/** Maximum data of one block. */
export const MAX_BLOCK_DATA_SIZE = MAX_PAYLOAD_SIZE - BLOCK_HEADER_SIZE;

export const NEXT_KEY_KEY_PRESENT = 0x01;
export const NEXT_KEY_REVERSE = 0x02;
export const NEXT_KEY_REQUEST_REVERSE = 0x04;

export const DeliveryType = { Local: 0, Destination: 1, Router: 2, Tunnel: 3 } as const;

export type CloveDelivery =
  | { type: 'local' }
  | { type: 'destination'; hash: Uint8Array }
  | { type: 'router'; hash: Uint8Array }
  | { type: 'tunnel'; hash: Uint8Array; tunnelId: number };

export interface GarlicClove {
  delivery: CloveDelivery;
  /** Reserved flag bits (7, 4, 3-0) as received; 0 when building. Bits 6-5 come from `delivery`. */
  reservedFlags?: number;
  i2npType: number;
  msgId: number;
  /** Seconds since the epoch (the short I2NP header form). */
  expiration: number;
  body: Uint8Array;
}

export interface AckEntry {
  tagsetId: number;
  n: number;
}

export type Block =
  | { type: typeof BlockType.DateTime; timestamp: number }
  | { type: typeof BlockType.Termination; reason: number; data: Uint8Array }
  | { type: typeof BlockType.Options; data: Uint8Array }
  | { type: typeof BlockType.MessageNumbers; pn: number }
  | { type: typeof BlockType.NextKey; flags: number; keyId: number; publicKey?: Uint8Array }
  | { type: typeof BlockType.Ack; acks: AckEntry[] }
  | { type: typeof BlockType.AckRequest; flags: number }
  | { type: typeof BlockType.GarlicClove; clove: GarlicClove }
  | { type: typeof BlockType.Padding; padding: Uint8Array }
  | { type: 'unknown'; blockType: number; data: Uint8Array };

// ---- delivery instructions + clove ----

const HASH_SIZE = 32;
const CLOVE_I2NP_HEADER_SIZE = 9; // type 1 | msg id 4 | expiration 4

function deliverySize(d: CloveDelivery): number {
  switch (d.type) {
    case 'local':
      return 1;
    case 'destination':
    case 'router':
      return 1 + HASH_SIZE;
    case 'tunnel':
      return 1 + HASH_SIZE + 4;
  }
}

export function sizeOfClove(c: GarlicClove): number {
  return deliverySize(c.delivery) + CLOVE_I2NP_HEADER_SIZE + c.body.length;
}

function checkU32(v: number, what: string): void {
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new RangeError(`${what} must be a u32`);
}

export function writeClove(w: Writer, c: GarlicClove): void {
  const d = c.delivery;
  const dt =
    d.type === 'local' ? DeliveryType.Local : d.type === 'destination' ? DeliveryType.Destination : d.type === 'router' ? DeliveryType.Router : DeliveryType.Tunnel;
  const reserved = (c.reservedFlags ?? 0) & ~0x60;
  w.u8(reserved | (dt << 5));
  if (d.type !== 'local') {
    if (d.hash.length !== HASH_SIZE) throw new RangeError('clove delivery hash must be 32 bytes');
    w.bytes(d.hash);
  }
  if (d.type === 'tunnel') {
    checkU32(d.tunnelId, 'tunnelId');
    w.u32(d.tunnelId);
  }
  if (!Number.isInteger(c.i2npType) || c.i2npType < 0 || c.i2npType > 255) throw new RangeError('i2npType must be a byte');
  checkU32(c.msgId, 'msgId');
  checkU32(c.expiration, 'expiration');
  w.u8(c.i2npType).u32(c.msgId).u32(c.expiration).bytes(c.body);
}

/** Reads a clove filling the whole reader (the block's data). */
export function readClove(r: Reader): GarlicClove {
  const flag = r.u8();
  const dt = (flag >> 5) & 0x03;
  let delivery: CloveDelivery;
  switch (dt) {
    case DeliveryType.Local:
      delivery = { type: 'local' };
      break;
    case DeliveryType.Destination:
      delivery = { type: 'destination', hash: r.copy(HASH_SIZE, 'destination hash') };
      break;
    case DeliveryType.Router:
      delivery = { type: 'router', hash: r.copy(HASH_SIZE, 'router hash') };
      break;
    default: {
      const hash = r.copy(HASH_SIZE, 'gateway hash');
      delivery = { type: 'tunnel', hash, tunnelId: r.u32() };
      break;
    }
  }
  const i2npType = r.u8();
  const msgId = r.u32();
  const expiration = r.u32();
  const body = r.copy(r.remaining, 'clove body');
  const clove: GarlicClove = { delivery, i2npType, msgId, expiration, body };
  const reserved = flag & ~0x60;
  if (reserved) clove.reservedFlags = reserved;
  return clove;
}

// ---- blocks ----

function blockDataSize(b: Block): number {
  switch (b.type) {
    case BlockType.DateTime:
      return 4;
    case BlockType.Termination:
      return 1 + b.data.length;
    case BlockType.Options:
      return b.data.length;
    case BlockType.MessageNumbers:
      return 2;
    case BlockType.NextKey:
      return b.publicKey ? 35 : 3;
    case BlockType.Ack:
      return 4 * b.acks.length;
    case BlockType.AckRequest:
      return 1;
    case BlockType.GarlicClove:
      return sizeOfClove(b.clove);
    case BlockType.Padding:
      return b.padding.length;
    case 'unknown':
      return b.data.length;
  }
}

export function sizeOfBlock(b: Block): number {
  return BLOCK_HEADER_SIZE + blockDataSize(b);
}

export function sizeOfBlocks(blocks: readonly Block[]): number {
  let n = 0;
  for (const b of blocks) n += sizeOfBlock(b);
  return n;
}

function checkU16(v: number, what: string): void {
  if (!Number.isInteger(v) || v < 0 || v > 0xffff) throw new RangeError(`${what} must be a u16`);
}

export function writeBlock(w: Writer, b: Block): void {
  const size = blockDataSize(b);
  if (size > MAX_BLOCK_DATA_SIZE) throw new RangeError(`block data of ${size} bytes exceeds ${MAX_BLOCK_DATA_SIZE}`);
  const type = b.type === 'unknown' ? b.blockType : b.type;
  if (!Number.isInteger(type) || type < 0 || type > 255) throw new RangeError('block type must be a byte');
  w.u8(type).u16(size);
  switch (b.type) {
    case BlockType.DateTime:
      checkU32(b.timestamp, 'timestamp');
      w.u32(b.timestamp);
      break;
    case BlockType.Termination:
      if (!Number.isInteger(b.reason) || b.reason < 0 || b.reason > 255) throw new RangeError('reason must be a byte');
      w.u8(b.reason).bytes(b.data);
      break;
    case BlockType.Options:
      w.bytes(b.data);
      break;
    case BlockType.MessageNumbers:
      checkU16(b.pn, 'pn');
      w.u16(b.pn);
      break;
    case BlockType.NextKey: {
      checkU16(b.keyId, 'keyId');
      if (b.keyId > 32767) throw new RangeError('keyId must be 0..32767');
      const present = b.publicKey !== undefined;
      if (present && b.publicKey!.length !== 32) throw new RangeError('NextKey public key must be 32 bytes');
      if (((b.flags & NEXT_KEY_KEY_PRESENT) !== 0) !== present) throw new RangeError('NextKey key-present flag must match publicKey');
      w.u8(b.flags).u16(b.keyId);
      if (present) w.bytes(b.publicKey!);
      break;
    }
    case BlockType.Ack:
      if (b.acks.length === 0) throw new RangeError('Ack block needs at least one ack');
      for (const a of b.acks) {
        checkU16(a.tagsetId, 'tagsetId');
        checkU16(a.n, 'n');
        w.u16(a.tagsetId).u16(a.n);
      }
      break;
    case BlockType.AckRequest:
      w.u8(b.flags);
      break;
    case BlockType.GarlicClove:
      writeClove(w, b.clove);
      break;
    case BlockType.Padding:
      w.bytes(b.padding);
      break;
    case 'unknown':
      w.bytes(b.data);
      break;
  }
}

export function serializeBlocks(blocks: readonly Block[]): Uint8Array {
  const w = new Writer(sizeOfBlocks(blocks));
  for (const b of blocks) writeBlock(w, b);
  return w.done();
}

function expectSize(r: Reader, size: number, ok: boolean, what: string, at: number): void {
  if (!ok) throw new ParseError('BAD_SIZE', r.path, at, `${what} block of size ${size}`);
}

/** Parses one block (header + data) from r. */
export function readBlock(r: Reader): Block {
  const start = r.pos;
  const type = r.u8();
  const size = r.u16();
  r.need(size, 'block data');
  const end = r.pos + size;
  const sub = new Reader(r.buf, r.path, r.pos, end);
  r.pos = end;
  let b: Block;
  switch (type) {
    case BlockType.DateTime:
      expectSize(r, size, size === 4, 'DateTime', start);
      b = { type, timestamp: sub.u32() };
      break;
    case BlockType.Termination:
      expectSize(r, size, size >= 1, 'Termination', start);
      b = { type, reason: sub.u8(), data: sub.copy(sub.remaining) };
      break;
    case BlockType.Options:
      b = { type, data: sub.copy(size) };
      break;
    case BlockType.MessageNumbers:
      expectSize(r, size, size === 2, 'MessageNumbers', start);
      b = { type, pn: sub.u16() };
      break;
    case BlockType.NextKey: {
      expectSize(r, size, size === 3 || size === 35, 'NextKey', start);
      const flags = sub.u8();
      const keyId = sub.u16();
      const present = (flags & NEXT_KEY_KEY_PRESENT) !== 0;
      if (present !== (size === 35)) throw new ParseError('BAD_SIZE', r.path, start, 'NextKey size does not match its key-present flag');
      if (keyId > 32767) throw new ParseError('OUT_OF_RANGE', r.path, start + 4, 'NextKey key id above 32767');
      b = present ? { type, flags, keyId, publicKey: sub.copy(32) } : { type, flags, keyId };
      break;
    }
    case BlockType.Ack: {
      expectSize(r, size, size > 0 && size % 4 === 0, 'Ack', start);
      const acks: AckEntry[] = [];
      while (sub.remaining) acks.push({ tagsetId: sub.u16(), n: sub.u16() });
      b = { type, acks };
      break;
    }
    case BlockType.AckRequest:
      expectSize(r, size, size === 1, 'AckRequest', start);
      b = { type, flags: sub.u8() };
      break;
    case BlockType.GarlicClove:
      b = { type, clove: sub.at('clove', () => readClove(sub)) };
      break;
    case BlockType.Padding:
      b = { type, padding: sub.copy(size) };
      break;
    default:
      b = { type: 'unknown', blockType: type, data: sub.copy(size) };
  }
  sub.finish();
  return b;
}

/** Parses a whole decrypted payload into blocks. Throws ParseError only. */
export function parseBlocks(payload: Uint8Array, path = 'GarlicPayload'): Block[] {
  const r = new Reader(payload, path);
  const out: Block[] = [];
  while (r.remaining > 0) {
    const i = out.length;
    out.push(r.at(`blocks[${i}]`, () => readBlock(r)));
  }
  return out;
}

/** A local-delivery clove carrying an I2NP message (expiration in ms, rounded down to seconds). */
export function cloveBlock(msg: { type: number; msgId: number; expiration: number; payload: Uint8Array }, delivery: CloveDelivery = { type: 'local' }): Block {
  return {
    type: BlockType.GarlicClove,
    clove: { delivery, i2npType: msg.type, msgId: msg.msgId, expiration: Math.floor(msg.expiration / 1000), body: msg.payload },
  };
}
