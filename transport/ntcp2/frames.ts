/**
 * NTCP2 data phase: frames and blocks.
 * ../shared/specs/spec/ntcp2.rst "4) Data Phase", "SipHash obfuscated length", "Unencrypted data",
 * "Block Ordering Rules", DateTime / Options / RouterInfo / I2NP Message / Termination / Padding.
 * Cross-checked with i2pd 2.45.1 libi2pd/NTCP2.cpp (ProcessNextFrame, SetNextSentFrameLength, SendTermination).
 *
 * Frame on the wire: 2-byte big-endian length XOR SipHash mask, then ChaCha20-Poly1305(k, nonce = frame
 * counter, no associated data) over a payload of blocks [type u8][size u16 BE][data].
 *
 * Decoding is stricter than i2pd in these ways (all spec rules; i2pd ignores them):
 *  - a block running past the end of the payload is a ParseError (i2pd stops parsing the frame);
 *  - Padding must be last, Termination last except for Padding, at most one Padding;
 *  - DateTime must have size 4, Termination at least 9, Options at least 12, I2NP at least 9,
 *    RouterInfo at least 1 (the flag byte).
 * Unknown block types are returned as `unknown` (spec: ignore them) in the data phase, and refused in
 * message 3 part 2 (spec "Other block types").
 */
import { Reader, Writer } from '../../data/bytes.js';
import { ParseError } from '../../data/errors.js';
import { chachaDecrypt, chachaEncrypt, nonceFromCounter, TAG_LENGTH } from '../../crypto/chacha.js';
import { SipHashLengthMask } from '../../crypto/siphash.js';

export const BlockType = {
  DateTime: 0,
  Options: 1,
  RouterInfo: 2,
  I2NP: 3,
  Termination: 4,
  Padding: 254,
} as const;

/** Termination reasons (spec "Termination" block; i2pd NTCP2TerminationReason). */
export const TerminationReason = {
  NormalClose: 0,
  TerminationReceived: 1,
  IdleTimeout: 2,
  RouterShutdown: 3,
  DataPhaseAEADFailure: 4,
  IncompatibleOptions: 5,
  IncompatibleSignatureType: 6,
  ClockSkew: 7,
  PaddingViolation: 8,
  AEADFramingError: 9,
  PayloadFormatError: 10,
  Message1Error: 11,
  Message2Error: 12,
  Message3Error: 13,
  IntraFrameReadTimeout: 14,
  RouterInfoSignatureVerificationFail: 15,
  IncorrectSParameter: 16,
  Banned: 17,
} as const;
export type TerminationReasonCode = (typeof TerminationReason)[keyof typeof TerminationReason];

/** Maximum ChaChaPoly frame (ciphertext + MAC) — the 2-byte length field's range. */
export const MAX_FRAME_LENGTH = 65535;
/** Minimum frame: an empty payload plus the MAC. */
export const MIN_FRAME_LENGTH = TAG_LENGTH;
/** Maximum plaintext payload of one frame (i2pd NTCP2_UNENCRYPTED_FRAME_MAX_SIZE). */
export const MAX_PAYLOAD_LENGTH = MAX_FRAME_LENGTH - TAG_LENGTH; // 65519
/** Block header: type (1) + size (2). */
export const BLOCK_HEADER_LENGTH = 3;
/** I2NP block: type (1) + msg id (4) + short expiration (4) before the body. */
export const I2NP_SHORT_HEADER_LENGTH = 9;
/** Termination block data: valid frames received (8) + reason (1). */
export const TERMINATION_MIN_LENGTH = 9;
export const OPTIONS_MIN_LENGTH = 12;

export interface PaddingOptions {
  tmin: number;
  tmax: number;
  rmin: number;
  rmax: number;
  tdmy: number;
  rdmy: number;
  tdelay: number;
  rdelay: number;
  /** `more_options`, format TBD in the spec; kept opaque. */
  more: Uint8Array;
}

export type Block =
  | { type: 'datetime'; /** Unix seconds */ timestamp: number }
  | { type: 'options'; options: PaddingOptions }
  | { type: 'routerinfo'; flood: boolean; /** RouterInfo bytes, not compressed */ routerInfo: Uint8Array }
  | {
      type: 'i2np';
      /** I2NP type, message id and expiration (Unix seconds) from the 9-byte NTCP2 short header. */
      msgType: number;
      msgId: number;
      expiration: number;
      /** Message body (after the short header). */
      body: Uint8Array;
    }
  | { type: 'termination'; validFramesReceived: bigint; reason: number; extra: Uint8Array }
  | { type: 'padding'; /** Random or zero bytes; only the length matters. */ data: Uint8Array }
  | { type: 'unknown'; blockType: number; data: Uint8Array };

function blockDataLength(b: Block): number {
  switch (b.type) {
    case 'datetime':
      return 4;
    case 'options':
      return OPTIONS_MIN_LENGTH + b.options.more.length;
    case 'routerinfo':
      return 1 + b.routerInfo.length;
    case 'i2np':
      return I2NP_SHORT_HEADER_LENGTH + b.body.length;
    case 'termination':
      return TERMINATION_MIN_LENGTH + b.extra.length;
    case 'padding':
      return b.data.length;
    case 'unknown':
      return b.data.length;
  }
}

function blockTypeByte(b: Block): number {
  switch (b.type) {
    case 'datetime':
      return BlockType.DateTime;
    case 'options':
      return BlockType.Options;
    case 'routerinfo':
      return BlockType.RouterInfo;
    case 'i2np':
      return BlockType.I2NP;
    case 'termination':
      return BlockType.Termination;
    case 'padding':
      return BlockType.Padding;
    case 'unknown':
      return b.blockType;
  }
}

/** Encoded size of a list of blocks (headers included). */
export function sizeOfBlocks(blocks: readonly Block[]): number {
  let n = 0;
  for (const b of blocks) {
    const len = blockDataLength(b);
    if (len > MAX_PAYLOAD_LENGTH - BLOCK_HEADER_LENGTH) throw new RangeError(`block ${b.type} too large: ${len}`);
    n += BLOCK_HEADER_LENGTH + len;
  }
  return n;
}

export function writeBlocks(w: Writer, blocks: readonly Block[]): void {
  for (const b of blocks) {
    w.u8(blockTypeByte(b)).u16(blockDataLength(b));
    switch (b.type) {
      case 'datetime':
        w.u32(b.timestamp >>> 0);
        break;
      case 'options': {
        const o = b.options;
        w.u8(o.tmin).u8(o.tmax).u8(o.rmin).u8(o.rmax).u16(o.tdmy).u16(o.rdmy).u16(o.tdelay).u16(o.rdelay).bytes(o.more);
        break;
      }
      case 'routerinfo':
        w.u8(b.flood ? 1 : 0).bytes(b.routerInfo);
        break;
      case 'i2np':
        w.u8(b.msgType).u32(b.msgId >>> 0).u32(b.expiration >>> 0).bytes(b.body);
        break;
      case 'termination':
        w.u64(b.validFramesReceived).u8(b.reason).bytes(b.extra);
        break;
      case 'padding':
      case 'unknown':
        w.bytes(b.data);
        break;
    }
  }
}

/** Blocks to a payload; RangeError above MAX_PAYLOAD_LENGTH (the caller splits into frames). */
export function encodeBlocks(blocks: readonly Block[]): Uint8Array {
  const size = sizeOfBlocks(blocks);
  if (size > MAX_PAYLOAD_LENGTH) throw new RangeError(`frame payload too large: ${size} > ${MAX_PAYLOAD_LENGTH}`);
  const w = new Writer(size);
  writeBlocks(w, blocks);
  return w.done();
}

/** Which ordering rules apply: the data phase, or message 3 part 2 (RouterInfo, [Options], [Padding]). */
export type BlockContext = 'data' | 'm3p2';

/**
 * Parse a decrypted frame payload into blocks. Returned byte fields are views into `payload`.
 * Throws ParseError only.
 */
export function parseBlocks(payload: Uint8Array, context: BlockContext = 'data', path = 'NTCP2/frame'): Block[] {
  const r = new Reader(payload, path);
  const blocks: Block[] = [];
  let sawPadding = false;
  let sawTermination = false;
  while (r.remaining > 0) {
    const index = blocks.length;
    const block = r.at(`blocks[${index}]`, (): Block => {
      const start = r.pos;
      const type = r.u8();
      const size = r.u16();
      const data = r.bytes(size, 'block data');
      if (sawPadding) r.fail('BLOCK_ORDER', 'padding must be the last block', start);
      if (sawTermination && type !== BlockType.Padding) {
        r.fail('BLOCK_ORDER', 'termination must be the last block except for padding', start);
      }
      if (context === 'm3p2') {
        if (index === 0 && type !== BlockType.RouterInfo) {
          r.fail('BLOCK_ORDER', 'message 3 part 2 must start with a RouterInfo block', start);
        }
        if (index > 0 && type !== BlockType.Options && type !== BlockType.Padding) {
          r.fail('BLOCK_ORDER', `block type ${type} not allowed in message 3 part 2`, start);
        }
        if (index > 0 && type === BlockType.Options && blocks[index - 1]!.type !== 'routerinfo') {
          r.fail('BLOCK_ORDER', 'options must directly follow the RouterInfo block', start);
        }
      }
      const br = new Reader(data, r.path, 0, data.length);
      switch (type) {
        case BlockType.DateTime: {
          if (size !== 4) r.fail('BAD_BLOCK_SIZE', `datetime size ${size}, expected 4`, start);
          return { type: 'datetime', timestamp: br.u32() };
        }
        case BlockType.Options: {
          if (size < OPTIONS_MIN_LENGTH) r.fail('BAD_BLOCK_SIZE', `options size ${size} < 12`, start);
          const options: PaddingOptions = {
            tmin: br.u8(),
            tmax: br.u8(),
            rmin: br.u8(),
            rmax: br.u8(),
            tdmy: br.u16(),
            rdmy: br.u16(),
            tdelay: br.u16(),
            rdelay: br.u16(),
            more: br.rest(),
          };
          return { type: 'options', options };
        }
        case BlockType.RouterInfo: {
          if (size < 1) r.fail('BAD_BLOCK_SIZE', 'routerinfo block without flag', start);
          const flag = br.u8();
          return { type: 'routerinfo', flood: (flag & 1) === 1, routerInfo: br.rest() };
        }
        case BlockType.I2NP: {
          if (size < I2NP_SHORT_HEADER_LENGTH) r.fail('BAD_BLOCK_SIZE', `i2np size ${size} < 9`, start);
          return { type: 'i2np', msgType: br.u8(), msgId: br.u32(), expiration: br.u32(), body: br.rest() };
        }
        case BlockType.Termination: {
          if (size < TERMINATION_MIN_LENGTH) r.fail('BAD_BLOCK_SIZE', `termination size ${size} < 9`, start);
          sawTermination = true;
          return { type: 'termination', validFramesReceived: br.u64(), reason: br.u8(), extra: br.rest() };
        }
        case BlockType.Padding:
          sawPadding = true;
          return { type: 'padding', data };
        default:
          if (context === 'm3p2') r.fail('BLOCK_ORDER', `unknown block type ${type} in message 3 part 2`, start);
          return { type: 'unknown', blockType: type, data };
      }
    });
    blocks.push(block);
  }
  if (context === 'm3p2' && blocks.length === 0) r.fail('BLOCK_ORDER', 'message 3 part 2 is empty');
  return blocks;
}

/** Keys for one direction of the data phase. */
export interface DirectionKeys {
  /** ChaCha20-Poly1305 key (32). */
  key: Uint8Array;
  /** SipHash key k1||k2 (16). */
  sipKey: Uint8Array;
  /** SipHash IV[0] (8). */
  sipIv: Uint8Array;
}

/** Encrypts outgoing frames for one direction: its own nonce counter and SipHash chain. */
export class FrameEncoder {
  private readonly key: Uint8Array;
  private readonly mask: SipHashLengthMask;
  private counter = 0;

  constructor(keys: DirectionKeys) {
    if (keys.key.length !== 32) throw new RangeError('key must be 32 bytes');
    this.key = Uint8Array.prototype.slice.call(keys.key);
    this.mask = new SipHashLengthMask(keys.sipKey, keys.sipIv);
  }

  /** Frames sent so far (the next nonce). */
  get framesSent(): number {
    return this.counter;
  }

  /** Encrypt one payload (already block-encoded) into a frame: obfuscated length || ciphertext || MAC. */
  encryptPayload(payload: Uint8Array): Uint8Array {
    if (payload.length > MAX_PAYLOAD_LENGTH) throw new RangeError(`frame payload too large: ${payload.length}`);
    if (this.counter >= Number.MAX_SAFE_INTEGER) throw new RangeError('NTCP2 nonce space exhausted');
    const ct = chachaEncrypt(this.key, nonceFromCounter(this.counter), payload);
    this.counter++;
    const out = new Uint8Array(2 + ct.length);
    const len = ct.length ^ this.mask.next();
    out[0] = len >>> 8;
    out[1] = len & 0xff;
    out.set(ct, 2);
    return out;
  }

  /** Encode blocks and encrypt them as one frame. */
  encode(blocks: readonly Block[]): Uint8Array {
    return this.encryptPayload(encodeBlocks(blocks));
  }

  wipe(): void {
    this.key.fill(0);
  }
}

/**
 * Decrypts incoming frames for one direction. Sans-IO: `push()` received bytes, then call `next()` until
 * it returns null. Keep draining after each push: the internal buffer then never holds more than one
 * incomplete frame (at most 65537 bytes) plus the last chunk.
 *
 * `next()` throws ParseError('BAD_FRAME_LENGTH') for a length below 16 (the spec's "AEAD framing error")
 * and CryptoError('BAD_TAG') on authentication failure ("data phase AEAD failure"), or ParseError from
 * block parsing ("payload format error"). After any throw the decoder is poisoned and rethrows.
 */
export class FrameDecoder {
  private readonly key: Uint8Array;
  private readonly mask: SipHashLengthMask;
  private counter = 0;
  private chunks: Uint8Array[] = [];
  private buffered = 0;
  private pendingLength = -1;
  private error: Error | null = null;

  constructor(keys: DirectionKeys) {
    if (keys.key.length !== 32) throw new RangeError('key must be 32 bytes');
    this.key = Uint8Array.prototype.slice.call(keys.key);
    this.mask = new SipHashLengthMask(keys.sipKey, keys.sipIv);
  }

  /** Valid frames received so far (the value for a Termination block). */
  get framesReceived(): number {
    return this.counter;
  }

  /** Bytes buffered but not yet decoded. */
  get bufferedBytes(): number {
    return this.buffered;
  }

  push(chunk: Uint8Array): void {
    if (this.error) return;
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
  }

  private take(n: number): Uint8Array {
    // Precondition: n <= buffered
    const first = this.chunks[0]!;
    let out: Uint8Array;
    if (first.length >= n) {
      out = first.subarray(0, n);
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
    } else {
      out = new Uint8Array(n);
      let o = 0;
      while (o < n) {
        const c = this.chunks[0]!;
        const k = Math.min(c.length, n - o);
        out.set(c.subarray(0, k), o);
        o += k;
        if (k === c.length) this.chunks.shift();
        else this.chunks[0] = c.subarray(k);
      }
    }
    this.buffered -= n;
    return out;
  }

  /** Decrypt the next complete frame's payload, or null if more bytes are needed. */
  nextPayload(): Uint8Array | null {
    if (this.error) throw this.error;
    try {
      if (this.pendingLength < 0) {
        if (this.buffered < 2) return null;
        const lb = this.take(2);
        const len = ((lb[0]! << 8) | lb[1]!) ^ this.mask.next();
        if (len < MIN_FRAME_LENGTH) {
          throw new ParseError('BAD_FRAME_LENGTH', 'NTCP2/frame', -1, `frame length ${len} < ${MIN_FRAME_LENGTH}`);
        }
        this.pendingLength = len;
      }
      if (this.buffered < this.pendingLength) return null;
      const ct = this.take(this.pendingLength);
      this.pendingLength = -1;
      const pt = chachaDecrypt(this.key, nonceFromCounter(this.counter), ct);
      this.counter++;
      return pt;
    } catch (e) {
      this.poison(e as Error);
      throw e;
    }
  }

  /** Decrypt and parse the next complete frame, or null if more bytes are needed. */
  next(): Block[] | null {
    const pt = this.nextPayload();
    if (pt === null) return null;
    try {
      return parseBlocks(pt, 'data', `NTCP2/frame[${this.counter - 1}]`);
    } catch (e) {
      this.poison(e as Error);
      throw e;
    }
  }

  private poison(e: Error): void {
    this.error = e;
    this.chunks = [];
    this.buffered = 0;
    this.key.fill(0);
  }
}

/** A Termination block carrying `framesReceived` (the receive nonce) and a reason. */
export function terminationBlock(framesReceived: number | bigint, reason: number, extra: Uint8Array = new Uint8Array(0)): Block {
  return { type: 'termination', validFramesReceived: BigInt(framesReceived), reason, extra };
}
