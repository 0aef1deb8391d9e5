/**
 * Tunnel message preprocessing: the gateway packs I2NP messages (standard 16-byte header form) with tunnel
 * delivery instructions into fixed 1028-byte tunnel messages; the endpoint checks them, parses the fragments
 * and reassembles the messages. Both sans-IO; layer encryption (crypto/tunnel-layer.ts) is the caller's,
 * on `message.subarray(4)` (IV + 1008 bytes).
 *
 * Spec: ../shared/specs/spec/tunnel-message.rst "Tunnel Message (Decrypted)", "Tunnel Message Delivery
 * Instructions" (first and follow-on fragments), "I2NP Message Maximum Size";
 * ../shared/specs/docs/tunnels-implementation.html "Gateway Processing", "Endpoint Processing".
 * i2pd 2.45.1: libi2pd/TunnelGateway.cpp (TunnelGatewayBuffer::PutI2NPMsg, CompleteCurrentTunnelDataMessage),
 * TunnelEndpoint.cpp (HandleDecryptedTunnelDataMsg, fragment bookkeeping, Cleanup), TunnelBase.h.
 *
 *   tunnelId 4 | IV 16 | checksum 4 | nonzero padding | 0x00 | (delivery instructions | fragment)+
 *   checksum = first 4 bytes of SHA-256(everything after the zero byte || IV)
 *   1003 bytes (TUNNEL_DATA_MAX_PAYLOAD_SIZE) after checksum and zero byte hold the fragments.
 *
 * Wire details as i2pd writes and reads them:
 *  - The fragment message id of a fragmented message is the I2NP header's msgId (bytes 1..4).
 *  - The fragments end exactly at byte 1028 (padding goes before, never after); the endpoint parses up to the
 *    end and treats any overrun as a bad tunnel message (dropped whole, before anything is delivered).
 *  - Zero-length fragments are accepted (i2pd's gateway can emit a zero-length first fragment); ours never
 *    writes one.
 *  - The delay (bit 4) and extended options (bit 2) flags are skipped as the spec describes; i2pd ignores
 *    the bits. Delivery type 3 is a ParseError.
 * Packing policy (the spec leaves it to the gateway): a message that fits the current tunnel message goes
 * there whole; one that would fit a fresh tunnel message is not split but starts a new one; a bigger one starts
 * in the current message if at least MIN_FIRST_FRAGMENT bytes fit there and continues in follow-on fragments
 * of up to 996 bytes; the last fragment leaves its room for the next message.
 * Delivery policy (which delivery types an inbound endpoint accepts) is the caller's: i2pd drops TUNNEL and
 * ROUTER delivery arriving at the endpoint of an inbound tunnel.
 */
import { Reader, equalBytes } from '../data/bytes.js';
import { ParseError } from '../data/errors.js';
import { checkUint } from '../data/primitives.js';
import { sha256 } from '../crypto/hash.js';
import { systemRandom, type Random } from '../crypto/random.js';
import {
  I2NP_HEADER_SIZE,
  I2NP_MAX_STANDARD_PAYLOAD,
  I2PD_MAX_MESSAGE_SIZE,
  parseI2NPStandard,
  serializeI2NPStandard,
  type I2NPMessage,
} from '../i2np/header.js';

export const TUNNEL_MESSAGE_SIZE = 1028;
export const TUNNEL_IV_OFFSET = 4;
export const TUNNEL_CHECKSUM_OFFSET = 20;
export const TUNNEL_PADDING_OFFSET = 24;
/** Bytes available for delivery instructions + fragments (1028 - 4 - 16 - 4 - 1). */
export const TUNNEL_DATA_MAX_PAYLOAD_SIZE = 1003;
export const FOLLOW_ON_HEADER_SIZE = 7;
/** Largest follow-on fragment: 1003 - 7. */
export const MAX_FOLLOW_ON_FRAGMENT = TUNNEL_DATA_MAX_PAYLOAD_SIZE - FOLLOW_ON_HEADER_SIZE; // 996
/** Fragment numbers are 6 bits: follow-ons 1..63. */
export const MAX_FRAGMENT_NUMBER = 63;
/**
 * Largest I2NP message (header included) the gateway accepts: i2pd 2.45.1 reassembles into a buffer of
 * I2NP_MAX_MESSAGE_SIZE (62708) that also holds some headroom, and drops anything that does not fit.
 */
export const MAX_TUNNEL_I2NP_MESSAGE_SIZE = I2PD_MAX_MESSAGE_SIZE - 64;
/** The gateway does not start a fragmented message in the current tunnel message for less than this. */
export const MIN_FIRST_FRAGMENT = 16;
/** i2pd I2NP_MESSAGE_EXPIRATION_TIMEOUT: incomplete messages are dropped after this. */
export const DEFAULT_FRAGMENT_TIMEOUT_MS = 8000;

const FLAG_FOLLOW_ON = 0x80;
const FLAG_DELAY = 0x10;
const FLAG_FRAGMENTED = 0x08;
const FLAG_EXTENDED = 0x04;

export const DeliveryType = { Local: 0, Tunnel: 1, Router: 2 } as const;

export type DeliveryInstructions =
  | { type: 'local' }
  | { type: 'tunnel'; tunnelId: number; hash: Uint8Array }
  | { type: 'router'; hash: Uint8Array };

export type TunnelFragment =
  /** An unfragmented message. */
  | { kind: 'whole'; instructions: DeliveryInstructions; data: Uint8Array }
  /** The first fragment of a fragmented message. */
  | { kind: 'first'; instructions: DeliveryInstructions; msgId: number; data: Uint8Array }
  /** Fragment number 1..63 of message msgId. */
  | { kind: 'follow'; msgId: number; fragmentNum: number; last: boolean; data: Uint8Array };

export function sizeOfInstructions(di: DeliveryInstructions): number {
  return 1 + (di.type === 'tunnel' ? 4 : 0) + (di.type === 'local' ? 0 : 32);
}

export function sizeOfFragment(f: TunnelFragment): number {
  switch (f.kind) {
    case 'whole':
      return sizeOfInstructions(f.instructions) + 2 + f.data.length;
    case 'first':
      return sizeOfInstructions(f.instructions) + 6 + f.data.length;
    case 'follow':
      return FOLLOW_ON_HEADER_SIZE + f.data.length;
  }
}

function checkInstructions(di: DeliveryInstructions): void {
  if (di.type === 'local') return;
  if (di.hash.length !== 32) throw new RangeError('delivery hash must be 32 bytes');
  if (di.type === 'tunnel') checkUint(di.tunnelId, 32, 'tunnelId');
}

function writeFragment(buf: Uint8Array, dv: DataView, o: number, f: TunnelFragment): number {
  if (f.data.length > 0xffff) throw new RangeError('fragment too large');
  if (f.kind === 'follow') {
    if (!Number.isInteger(f.fragmentNum) || f.fragmentNum < 1 || f.fragmentNum > MAX_FRAGMENT_NUMBER) throw new RangeError('fragmentNum must be 1..63');
    checkUint(f.msgId, 32, 'msgId');
    buf[o] = FLAG_FOLLOW_ON | (f.fragmentNum << 1) | (f.last ? 1 : 0);
    dv.setUint32(o + 1, f.msgId);
    dv.setUint16(o + 5, f.data.length);
    buf.set(f.data, o + 7);
    return o + 7 + f.data.length;
  }
  const di = f.instructions;
  checkInstructions(di);
  const type = di.type === 'local' ? DeliveryType.Local : di.type === 'tunnel' ? DeliveryType.Tunnel : DeliveryType.Router;
  buf[o++] = (type << 5) | (f.kind === 'first' ? FLAG_FRAGMENTED : 0);
  if (di.type === 'tunnel') {
    dv.setUint32(o, di.tunnelId);
    o += 4;
  }
  if (di.type !== 'local') {
    buf.set(di.hash, o);
    o += 32;
  }
  if (f.kind === 'first') {
    checkUint(f.msgId, 32, 'msgId');
    dv.setUint32(o, f.msgId);
    o += 4;
  }
  dv.setUint16(o, f.data.length);
  buf.set(f.data, o + 2);
  return o + 2 + f.data.length;
}

/** Random bytes with every zero replaced (nonzero padding). */
function nonZeroRandom(random: Random, n: number): Uint8Array {
  const b = random.bytes(n);
  for (let i = 0; i < n; i++) if (b[i] === 0) b[i] = 1 + random.int(0, 255);
  return b;
}

/**
 * One plaintext tunnel message (1028 bytes, tunnel id set) from fragments totalling at most 1003 bytes:
 * random IV, checksum, nonzero padding, zero byte, fragments. RangeError on misuse.
 */
export function writeTunnelMessage(tunnelId: number, fragments: readonly TunnelFragment[], random: Random = systemRandom): Uint8Array {
  checkUint(tunnelId, 32, 'tunnelId');
  let total = 0;
  for (const f of fragments) total += sizeOfFragment(f);
  if (total > TUNNEL_DATA_MAX_PAYLOAD_SIZE) throw new RangeError(`fragments of ${total} bytes exceed ${TUNNEL_DATA_MAX_PAYLOAD_SIZE}`);
  const buf = new Uint8Array(TUNNEL_MESSAGE_SIZE);
  const dv = new DataView(buf.buffer);
  dv.setUint32(0, tunnelId);
  const iv = random.bytes(16);
  buf.set(iv, TUNNEL_IV_OFFSET);
  const start = TUNNEL_MESSAGE_SIZE - total;
  let o = start;
  for (const f of fragments) o = writeFragment(buf, dv, o, f);
  buf[start - 1] = 0;
  const pad = start - 1 - TUNNEL_PADDING_OFFSET;
  if (pad > 0) buf.set(nonZeroRandom(random, pad), TUNNEL_PADDING_OFFSET);
  buf.set(sha256(buf.subarray(start), iv).subarray(0, 4), TUNNEL_CHECKSUM_OFFSET);
  return buf;
}

export interface ParsedTunnelMessage {
  /** Present when a 1028-byte message (with tunnel id) was parsed. */
  tunnelId?: number;
  /** Fragment data are subarray views into the input. */
  fragments: TunnelFragment[];
}

function readInstructions(r: Reader, flag: number, flagAt: number): DeliveryInstructions {
  const type = (flag >> 5) & 0x03;
  switch (type) {
    case DeliveryType.Local:
      return { type: 'local' };
    case DeliveryType.Tunnel: {
      const tunnelId = r.u32();
      return { type: 'tunnel', tunnelId, hash: r.copy(32, 'to hash') };
    }
    case DeliveryType.Router:
      return { type: 'router', hash: r.copy(32, 'to hash') };
    default:
      return r.fail('BAD_DELIVERY_TYPE', 'delivery type 3', flagAt);
  }
}

/**
 * Parse a decrypted tunnel message: 1028 bytes (tunnel id first) or 1024 (IV first). Verifies the checksum.
 * Throws ParseError only: BAD_LENGTH, NO_ZERO_BYTE, BAD_CHECKSUM, BAD_DELIVERY_TYPE, BAD_FRAGMENT_NUMBER,
 * TRUNCATED.
 */
export function parseTunnelMessage(buf: Uint8Array): ParsedTunnelMessage {
  const path = 'TunnelMessage';
  let base: number;
  if (buf.length === TUNNEL_MESSAGE_SIZE) base = 4;
  else if (buf.length === TUNNEL_MESSAGE_SIZE - 4) base = 0;
  else throw new ParseError('BAD_LENGTH', path, 0, `tunnel message of ${buf.length} bytes (1028 or 1024)`);
  const ivAt = base;
  const checksumAt = base + 16;
  let zero = -1;
  for (let i = checksumAt + 4; i < buf.length; i++) {
    if (buf[i] === 0) {
      zero = i;
      break;
    }
  }
  if (zero < 0) throw new ParseError('NO_ZERO_BYTE', path, checksumAt + 4, 'no zero byte after the padding');
  const start = zero + 1;
  const sum = sha256(buf.subarray(start), buf.subarray(ivAt, ivAt + 16));
  if (!equalBytes(sum.subarray(0, 4), buf.subarray(checksumAt, checksumAt + 4))) {
    throw new ParseError('BAD_CHECKSUM', path, checksumAt, 'tunnel message checksum mismatch');
  }
  const r = new Reader(buf, path, start, buf.length);
  const fragments: TunnelFragment[] = [];
  while (r.remaining > 0) {
    r.at(`fragments[${fragments.length}]`, () => {
      const flagAt = r.pos;
      const flag = r.u8();
      if (flag & FLAG_FOLLOW_ON) {
        const fragmentNum = (flag >> 1) & 0x3f;
        if (fragmentNum === 0) r.fail('BAD_FRAGMENT_NUMBER', 'follow-on fragment number 0', flagAt);
        const msgId = r.u32();
        const size = r.u16();
        fragments.push({ kind: 'follow', msgId, fragmentNum, last: (flag & 1) === 1, data: r.bytes(size, 'fragment') });
        return;
      }
      const instructions = readInstructions(r, flag, flagAt);
      if (flag & FLAG_DELAY) r.skip(1);
      const fragmented = (flag & FLAG_FRAGMENTED) !== 0;
      const msgId = fragmented ? r.u32() : 0;
      if (flag & FLAG_EXTENDED) r.skip(r.u8());
      const size = r.u16();
      const data = r.bytes(size, 'fragment');
      fragments.push(fragmented ? { kind: 'first', instructions, msgId, data } : { kind: 'whole', instructions, data });
    });
  }
  const out: ParsedTunnelMessage = { fragments };
  if (base === 4) out.tunnelId = new DataView(buf.buffer, buf.byteOffset).getUint32(0);
  return out;
}

// ---- gateway ----

export interface TunnelGatewayOptions {
  /** Tunnel id written into every tunnel message (the next hop's receive id). */
  tunnelId: number;
  random?: Random;
  /** Tunnel messages held between flushes; put() refuses messages beyond it. Default 256. */
  maxQueued?: number;
}

/**
 * Gateway preprocessing (spec "Message preprocessing"): put() messages, flush() to get the 1028-byte
 * plaintext tunnel messages (encrypt `subarray(4)` per hop before sending).
 */
export class TunnelGateway {
  readonly #tunnelId: number;
  readonly #random: Random;
  readonly #maxQueued: number;
  #current: TunnelFragment[] = [];
  #used = 0;
  #done: Uint8Array[] = [];

  constructor(opts: TunnelGatewayOptions) {
    checkUint(opts.tunnelId, 32, 'tunnelId');
    this.#tunnelId = opts.tunnelId;
    this.#random = opts.random ?? systemRandom;
    this.#maxQueued = opts.maxQueued ?? 256;
    if (!Number.isSafeInteger(this.#maxQueued) || this.#maxQueued < 1) throw new RangeError('maxQueued must be a positive integer');
  }

  /** Tunnel messages completed or in progress. */
  get queued(): number {
    return this.#done.length + (this.#current.length ? 1 : 0);
  }

  /**
   * Queue one I2NP message (standard form: an I2NPMessage, or its serialized bytes, which are referenced, not
   * copied, until the tunnel message holding them is complete). Returns false (message dropped) when the
   * queue bound would be exceeded. RangeError for a message over
   * MAX_TUNNEL_I2NP_MESSAGE_SIZE or bad instructions.
   */
  put(message: Uint8Array | I2NPMessage, instructions: DeliveryInstructions): boolean {
    checkInstructions(instructions);
    const bytes = message instanceof Uint8Array ? message : serializeI2NPStandard(message);
    const len = bytes.length;
    if (len > MAX_TUNNEL_I2NP_MESSAGE_SIZE) throw new RangeError(`I2NP message of ${len} bytes exceeds ${MAX_TUNNEL_I2NP_MESSAGE_SIZE}`);
    const di = sizeOfInstructions(instructions);
    const whole = di + 2 + len;
    const remaining = TUNNEL_DATA_MAX_PAYLOAD_SIZE - this.#used;

    if (whole <= remaining || whole <= TUNNEL_DATA_MAX_PAYLOAD_SIZE) {
      const needNew = whole > remaining;
      const after = this.#done.length + (needNew && this.#current.length ? 1 : 0) + 1;
      if (after > this.#maxQueued) return false;
      if (needNew) this.#complete();
      this.#append({ kind: 'whole', instructions, data: bytes }, whole);
      return true;
    }

    // fragmented
    let first = remaining - di - 6;
    const followOnsFor = (f: number): number => Math.ceil((len - f) / MAX_FOLLOW_ON_FRAGMENT);
    const startNew = first < MIN_FIRST_FRAGMENT || followOnsFor(first) > MAX_FRAGMENT_NUMBER;
    if (startNew) first = TUNNEL_DATA_MAX_PAYLOAD_SIZE - di - 6;
    const follow = followOnsFor(first);
    if (follow > MAX_FRAGMENT_NUMBER) throw new RangeError(`I2NP message of ${len} bytes needs more than ${MAX_FRAGMENT_NUMBER} follow-on fragments`);
    // upper bound on the tunnel messages this adds: the one being completed, the first, the follow-ons
    if (this.#done.length + follow + 2 > this.#maxQueued) return false;
    if (startNew) this.#complete();

    const msgId = len >= 5 ? new DataView(bytes.buffer, bytes.byteOffset).getUint32(1) : this.#random.int(0, 0x1_0000_0000);
    this.#append({ kind: 'first', instructions, msgId, data: bytes.subarray(0, first) }, di + 6 + first);
    this.#complete();
    let off = first;
    for (let n = 1; off < len; n++) {
      const size = Math.min(MAX_FOLLOW_ON_FRAGMENT, len - off);
      const last = off + size === len;
      this.#append({ kind: 'follow', msgId, fragmentNum: n, last, data: bytes.subarray(off, off + size) }, FOLLOW_ON_HEADER_SIZE + size);
      if (!last) this.#complete();
      off += size;
    }
    return true;
  }

  /** Complete the current tunnel message and hand out every queued one. */
  flush(): Uint8Array[] {
    this.#complete();
    const out = this.#done;
    this.#done = [];
    return out;
  }

  #append(f: TunnelFragment, size: number): void {
    this.#current.push(f);
    this.#used += size;
    if (this.#used === TUNNEL_DATA_MAX_PAYLOAD_SIZE) this.#complete();
  }

  #complete(): void {
    if (this.#current.length === 0) return;
    this.#done.push(writeTunnelMessage(this.#tunnelId, this.#current, this.#random));
    this.#current = [];
    this.#used = 0;
  }
}

// ---- endpoint ----

export interface TunnelEndpointOptions {
  /** Milliseconds clock (injectable for tests / virtual time). */
  now?: () => number;
  /** Incomplete messages are dropped this long after their first fragment arrived. Default 8000 ms. */
  fragmentTimeoutMs?: number;
  /** Incomplete messages kept at once; the oldest is evicted beyond it. Default 64. */
  maxIncompleteMessages?: number;
  /** Fragment bytes buffered across all incomplete messages. Default 1 MiB. */
  maxBufferedBytes?: number;
  /** Largest reassembled message. Default 16 + 65535 (the standard header's limit). */
  maxMessageSize?: number;
  /** Message ids remembered after completion to drop late duplicates. Default 256. */
  maxRecentCompleted?: number;
  /**
   * Check the I2NP header checksum byte of delivered messages. Default false, as i2pd 2.45.1, which never
   * verifies it (and writes 0 there for messages it received over NTCP2/SSU2).
   */
  verifyI2NPChecksum?: boolean;
}

export interface DeliveredMessage {
  instructions: DeliveryInstructions;
  /** The reassembled standard-form I2NP message bytes (owned, not a view into the input). */
  bytes: Uint8Array;
  /** Parsed from `bytes` (its payload is a view into `bytes`). */
  message: I2NPMessage;
}

export interface TunnelEndpointStats {
  tunnelMessages: number;
  /** Tunnel messages dropped whole: bad length, no zero byte, bad checksum, malformed fragments. */
  badTunnelMessages: number;
  badChecksum: number;
  delivered: number;
  /** Reassembled or whole messages that are not a valid standard-form I2NP message (size field ≠ length, ...). */
  badI2NP: number;
  duplicates: number;
  /** Incomplete messages dropped: timeout. */
  expired: number;
  /** Incomplete messages dropped: limits (count, bytes, size) or contradictory fragments. */
  dropped: number;
}

interface Partial {
  created: number;
  instructions?: DeliveryInstructions;
  first?: Uint8Array;
  follow: (Uint8Array | undefined)[];
  /** Number of the last fragment, 0 while unknown. */
  lastNum: number;
  bytes: number;
}

/**
 * Endpoint processing: feed decrypted tunnel messages to receive(); complete messages come back with their
 * delivery instructions. Bad input is counted in `stats` and dropped, never thrown. Every table is bounded.
 */
export class TunnelEndpoint {
  readonly stats: TunnelEndpointStats = {
    tunnelMessages: 0, badTunnelMessages: 0, badChecksum: 0, delivered: 0, badI2NP: 0, duplicates: 0, expired: 0, dropped: 0,
  };
  readonly #now: () => number;
  readonly #timeout: number;
  readonly #maxIncomplete: number;
  readonly #maxBytes: number;
  readonly #maxSize: number;
  readonly #maxRecent: number;
  readonly #verifyChecksum: boolean;
  /** Insertion order = creation order (used for expiry and eviction). */
  readonly #partials = new Map<number, Partial>();
  readonly #recent = new Map<number, number>();
  #bytes = 0;

  constructor(opts: TunnelEndpointOptions = {}) {
    this.#now = opts.now ?? Date.now;
    this.#timeout = opts.fragmentTimeoutMs ?? DEFAULT_FRAGMENT_TIMEOUT_MS;
    this.#maxIncomplete = opts.maxIncompleteMessages ?? 64;
    this.#maxBytes = opts.maxBufferedBytes ?? 1 << 20;
    this.#maxSize = opts.maxMessageSize ?? I2NP_HEADER_SIZE + I2NP_MAX_STANDARD_PAYLOAD;
    this.#maxRecent = opts.maxRecentCompleted ?? 256;
    this.#verifyChecksum = opts.verifyI2NPChecksum ?? false;
    for (const [k, v] of [['fragmentTimeoutMs', this.#timeout], ['maxIncompleteMessages', this.#maxIncomplete], ['maxBufferedBytes', this.#maxBytes], ['maxMessageSize', this.#maxSize], ['maxRecentCompleted', this.#maxRecent]] as const) {
      if (!Number.isSafeInteger(v) || v < 1) throw new RangeError(`${k} must be a positive integer`);
    }
  }

  /** Incomplete messages held. */
  get pendingMessages(): number {
    return this.#partials.size;
  }

  /** Fragment bytes held. */
  get bufferedBytes(): number {
    return this.#bytes;
  }

  /** One decrypted tunnel message (1028 or 1024 bytes). Returns the messages it completed. */
  receive(buf: Uint8Array): DeliveredMessage[] {
    this.stats.tunnelMessages++;
    this.expire();
    let parsed: ParsedTunnelMessage;
    try {
      parsed = parseTunnelMessage(buf);
    } catch (e) {
      if (!(e instanceof ParseError)) throw e;
      this.stats.badTunnelMessages++;
      if (e.code === 'BAD_CHECKSUM') this.stats.badChecksum++;
      return [];
    }
    const out: DeliveredMessage[] = [];
    for (const f of parsed.fragments) {
      if (f.kind === 'whole') this.#deliver(f.instructions, f.data.slice(), out);
      else this.#fragment(f, out);
    }
    return out;
  }

  /** Drop incomplete messages older than the timeout; returns how many. Also called by receive(). */
  expire(): number {
    const now = this.#now();
    let n = 0;
    for (const [id, p] of this.#partials) {
      if (now - p.created <= this.#timeout) break;
      this.#drop(id, p);
      n++;
    }
    this.stats.expired += n;
    for (const [id, t] of this.#recent) {
      if (now - t <= this.#timeout) break;
      this.#recent.delete(id);
    }
    return n;
  }

  #drop(id: number, p: Partial): void {
    this.#bytes -= p.bytes;
    this.#partials.delete(id);
  }

  #fragment(f: Extract<TunnelFragment, { kind: 'first' | 'follow' }>, out: DeliveredMessage[]): void {
    const id = f.msgId;
    if (this.#recent.has(id)) {
      this.stats.duplicates++;
      return;
    }
    let p = this.#partials.get(id);
    if (!p) {
      while (this.#partials.size >= this.#maxIncomplete) this.#evictOldest();
      p = { created: this.#now(), follow: [], lastNum: 0, bytes: 0 };
      this.#partials.set(id, p);
    }
    if (f.kind === 'first') {
      if (p.first) {
        this.stats.duplicates++;
        return;
      }
      p.first = f.data.slice();
      p.instructions = f.instructions;
    } else {
      const n = f.fragmentNum;
      if (p.follow[n]) {
        this.stats.duplicates++;
        return;
      }
      if ((p.lastNum && n > p.lastNum) || (f.last && ((p.lastNum && p.lastNum !== n) || p.follow.length > n + 1))) {
        this.#drop(id, p); // contradictory fragment numbering
        this.stats.dropped++;
        return;
      }
      if (f.last) p.lastNum = n;
      p.follow[n] = f.data.slice();
    }
    p.bytes += f.data.length;
    this.#bytes += f.data.length;
    if (p.bytes > this.#maxSize) {
      this.#drop(id, p);
      this.stats.dropped++;
      return;
    }
    while (this.#bytes > this.#maxBytes) {
      const oldest = this.#partials.keys().next().value as number;
      if (oldest === id) {
        this.#drop(id, p);
        this.stats.dropped++;
        return;
      }
      this.#evictOldest();
    }
    this.#tryComplete(id, p, out);
  }

  #evictOldest(): void {
    const first = this.#partials.entries().next();
    if (first.done) return;
    this.#drop(first.value[0], first.value[1]);
    this.stats.dropped++;
  }

  #tryComplete(id: number, p: Partial, out: DeliveredMessage[]): void {
    if (!p.first || !p.lastNum) return;
    for (let n = 1; n <= p.lastNum; n++) if (!p.follow[n]) return;
    const bytes = new Uint8Array(p.bytes);
    bytes.set(p.first, 0);
    let o = p.first.length;
    for (let n = 1; n <= p.lastNum; n++) {
      bytes.set(p.follow[n]!, o);
      o += p.follow[n]!.length;
    }
    this.#drop(id, p);
    this.#recent.set(id, this.#now());
    while (this.#recent.size > this.#maxRecent) this.#recent.delete(this.#recent.keys().next().value as number);
    this.#deliver(p.instructions!, bytes, out);
  }

  #deliver(instructions: DeliveryInstructions, bytes: Uint8Array, out: DeliveredMessage[]): void {
    try {
      out.push({ instructions, bytes, message: parseI2NPStandard(bytes, { verifyChecksum: this.#verifyChecksum }) });
      this.stats.delivered++;
    } catch (e) {
      if (!(e instanceof ParseError)) throw e;
      this.stats.badI2NP++;
    }
  }
}
