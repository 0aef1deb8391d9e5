/**
 * NTCP2 handshake as sans-IO state machines: Alice (initiator) and Bob (responder).
 * ../shared/specs/spec/ntcp2.rst "1) SessionRequest", "2) SessionCreated", "3) SessionConfirmed", the KDF
 * sections, "Key Derivation Function (KDF) (for data phase)" and "Clock Skew Guidelines".
 * Ground truth: i2pd 2.45.1 libi2pd/NTCP2.cpp (NTCP2Establisher, KeyDerivationFunctionDataPhase).
 *
 * Verified against a real i2pd 2.45.1 in both directions (replayed in test/unit/transport/ntcp2-i2pd-vectors.test.ts
 * from captures described in test/unit/transport/vectors/README.md).
 *
 * Feed received bytes with `receive()`; each call returns a `HandshakeStep`: bytes to write (a whole
 * message, to flush at once), and at most one of `established` / `failed`. After `failed` the machine is
 * poisoned: further `receive()` calls return the same failure and process nothing. Nothing thrown for bad
 * input: failures carry a ParseError or CryptoError and a termination reason code.
 *
 * Interop choices (i2pd 2.45.1):
 *  - Handshake padding sent in messages 1 and 2 is 0..222 bytes (i2pd `rand() % (287 - 64)`): i2pd refuses
 *    more than 223. Accepted padding defaults to 256 (the Java limit quoted by the spec) — `maxPadding`.
 *  - Timestamps are rounded to the nearest second ((ms + 500) / 1000); the skew window is ±60 s
 *    (NTCP2_CLOCK_SKEW), compared against floor(now / 1000) as i2pd does.
 *  - Message 1 options: a nonzero netId other than ours is refused (zero is accepted, as in i2pd); ver must be 2;
 *    m3p2len must be >= 16. Reserved fields are ignored.
 *  - Message 3 part 2 is sent as RouterInfo block (flag 0), the optional Options block, and a Padding block
 *    (i2pd sends the RouterInfo block only; it reads only the first block, so trailing blocks are safe).
 *
 * Deviations from i2pd (all towards the spec):
 *  - Bob keeps a replay cache of X (i2pd has none) — failure Message1Error / code REPLAY.
 *  - On clock skew Bob reads Alice's padding before sending SessionCreated, so that Alice can verify it and
 *    learn tsB (i2pd sends it at once, mixing unread padding into h, so Alice can't decrypt it if padLen > 0),
 *    then fails with reason ClockSkew.
 *  - Bob checks message 3 part 2 block order strictly (RouterInfo, [Options], [Padding]) and refuses extra data
 *    after message 1 (spec "Bob must fail the connection if any incoming data remains").
 *  - After message 3 decrypts, failures (RouterInfo invalid 13/15, static key mismatch 16) come with a
 *    Termination frame to send before closing (i2pd sends one for 13/15 and closes silently on 16).
 */
import { aesCbcDecrypt, aesCbcEncrypt } from '../../crypto/aes.js';
import { CryptoError } from '../../crypto/errors.js';
import { hkdf } from '../../crypto/hash.js';
import { ntcp2InitialState, type SymmetricState } from '../../crypto/noise.js';
import { systemRandom, type Random } from '../../crypto/random.js';
import { X25519Key } from '../../crypto/x25519.js';
import { concatBytes, equalBytes, Writer } from '../../data/bytes.js';
import { ParseError } from '../../data/errors.js';
import {
  encodeBlocks,
  FrameDecoder,
  FrameEncoder,
  MAX_FRAME_LENGTH,
  parseBlocks,
  terminationBlock,
  TerminationReason,
  type Block,
  type DirectionKeys,
  type PaddingOptions,
  type TerminationReasonCode,
} from './frames.js';
import type { ReplayCache } from './replay.js';

/** Fixed part of messages 1 and 2: 32-byte obfuscated ephemeral key + 32-byte ChaChaPoly frame. */
export const MSG12_FIXED_LENGTH = 64;
/** Message 3 part 1: Alice's static key, encrypted (32 + MAC). */
export const MSG3_PART1_LENGTH = 48;
/** Max message 3 part 2 frame (spec: both parts together at most 65535). */
export const MSG3_PART2_MAX_LENGTH = MAX_FRAME_LENGTH - MSG3_PART1_LENGTH;
/** i2pd NTCP2_CLOCK_SKEW. */
export const DEFAULT_MAX_CLOCK_SKEW_SECONDS = 60;
/** Largest message 1/2 padding we send: i2pd refuses anything above 287 - 64 = 223. */
export const DEFAULT_SEND_PADDING_MAX = 222;
/** Largest message 1/2 padding we accept. */
export const DEFAULT_MAX_PADDING = 256;
export const NTCP2_VERSION = 2;

const EMPTY = new Uint8Array(0);

export interface DataPhaseKeys {
  send: DirectionKeys;
  receive: DirectionKeys;
}

export interface Established {
  keys: DataPhaseKeys;
  /** Router hash of the peer: Bob's as configured (Alice), from Alice's RouterInfo (Bob). */
  peerRouterHash: Uint8Array;
  /** Peer's NTCP2 static key. */
  peerStaticKey: Uint8Array;
  /** Bob only: Alice's RouterInfo bytes (a copy), as verified by `verifyRouterInfo`. */
  peerRouterInfo?: Uint8Array;
  /** Bob only: the RouterInfo block's flood flag. */
  peerRouterInfoFlood?: boolean;
  /** Bob only: Alice's Options block from message 3, if any. */
  peerOptions?: PaddingOptions;
  /** Peer timestamp minus our clock, in seconds (positive: peer ahead). */
  clockSkewSeconds: number;
  /** Final handshake hash h (for channel binding / logs; not secret). */
  handshakeHash: Uint8Array;
}

export interface HandshakeFailure {
  reason: TerminationReasonCode;
  error: ParseError | CryptoError;
  /** The spec asks to block the peer (e.g. a foreign netId). */
  ban: boolean;
  /**
   * Message 1 AEAD failure: the spec asks for probing resistance — wait a random time and read a random
   * number of bytes before closing.
   */
  probingResistance: boolean;
  /** Peer timestamp minus our clock (s) when the failure was a clock skew. */
  clockSkewSeconds?: number;
}

export interface HandshakeStep {
  /** Bytes to write, all at once. On failure: a last message to flush before closing, if any. */
  send?: Uint8Array;
  established?: Established;
  failed?: HandshakeFailure;
  /** Bytes received after the handshake: the start of the data phase (feed them to the FrameDecoder). */
  rest?: Uint8Array;
}

export type VerifiedRouterInfo = {
  /** SHA-256 of the RouterIdentity. */
  hash: Uint8Array;
  /** NTCP2 `s` of the RouterInfo's NTCP/NTCP2 address(es) with v=2; several if it has several addresses. */
  staticKey: Uint8Array | readonly Uint8Array[] | null | undefined;
};

/**
 * Validates Alice's RouterInfo from message 3 (signature, timestamp, ...). Throws ParseError on failure;
 * code 'BAD_SIGNATURE' maps to reason 15 (RI signature verification fail), any other to 13 (message 3 error).
 */
export type VerifyRouterInfo = (routerInfo: Uint8Array) => VerifiedRouterInfo;

interface CommonOptions {
  /** Our NTCP2 static key (the `s` we publish). */
  staticKey: X25519Key;
  netId: number;
  /** Clock in ms since the epoch. Default Date.now. */
  now?: () => number;
  random?: Random;
  /** ±window for the peer's timestamp, seconds. Default 60. */
  maxClockSkewSeconds?: number;
  /** Largest handshake padding accepted from the peer. Default 256. */
  maxPadding?: number;
  /** Largest handshake padding we send (uniform 0..this). Default 222 (i2pd refuses > 223). */
  sendPaddingMax?: number;
  /** Ephemeral key to use (tests); default: fresh from `random`. */
  ephemeralKey?: X25519Key;
}

export interface InitiatorOptions extends CommonOptions {
  /** Our RouterInfo, sent in message 3 (its NTCP2 address must carry our `s`). */
  routerInfo: Uint8Array;
  /** Bob: router hash (AES key), static key `s`, IV `i` from his NTCP2 address. */
  remote: { routerHash: Uint8Array; staticKey: Uint8Array; iv: Uint8Array };
  /** Options block to send in message 3 part 2 (omitted by default, as i2pd). */
  options?: PaddingOptions;
  /** Padding block size in message 3 part 2: uniform 0..this; -1 for no padding block. Default 31. */
  m3p2PaddingMax?: number;
}

export interface ResponderOptions extends CommonOptions {
  /** Our router hash (AES key for X and Y). */
  routerHash: Uint8Array;
  /** Our published IV `i` (16). */
  iv: Uint8Array;
  /** Shared across all inbound connections of a listener. */
  replayCache: ReplayCache;
  verifyRouterInfo: VerifyRouterInfo;
  /** `ntcp2InitialState(staticKey.publicKey)`, precomputed once per listener (cloned per connection). */
  initialState?: SymmetricState;
}

/** Data-phase KDF (spec "Key Derivation Function (KDF) (for data phase)"; i2pd KeyDerivationFunctionDataPhase). */
export function deriveDataPhaseKeys(ck: Uint8Array, h: Uint8Array, initiator: boolean): DataPhaseKeys {
  const k = hkdf(ck, EMPTY, EMPTY, 64); // k_ab || k_ba
  const askMaster = hkdf(ck, EMPTY, 'ask', 32);
  const sipMaster = hkdf(askMaster, concatBytes(h, new TextEncoder().encode('siphash')), EMPTY, 32);
  const sip = hkdf(sipMaster, EMPTY, EMPTY, 64); // sipkeys_ab || sipkeys_ba
  askMaster.fill(0);
  sipMaster.fill(0);
  const ab: DirectionKeys = { key: k.slice(0, 32), sipKey: sip.slice(0, 16), sipIv: sip.slice(16, 24) };
  const ba: DirectionKeys = { key: k.slice(32, 64), sipKey: sip.slice(32, 48), sipIv: sip.slice(48, 56) };
  k.fill(0);
  sip.fill(0);
  return initiator ? { send: ab, receive: ba } : { send: ba, receive: ab };
}

/** Frame codec for an established session. */
export function createFrameCodec(keys: DataPhaseKeys): { encoder: FrameEncoder; decoder: FrameDecoder } {
  return { encoder: new FrameEncoder(keys.send), decoder: new FrameDecoder(keys.receive) };
}

/** Round ms to the nearest Unix second, as a u32 (i2pd: (ms + 500) / 1000). */
function tsSeconds(ms: number): number {
  return Math.floor((ms + 500) / 1000) >>> 0;
}

/** Peer timestamp minus our floor(now) in seconds, with the i2pd skew test. */
function skewOf(peerTs: number, nowMs: number): number {
  return peerTs - Math.floor(nowMs / 1000);
}

function fail(
  reason: TerminationReasonCode,
  error: ParseError | CryptoError,
  extra: Partial<Omit<HandshakeFailure, 'reason' | 'error'>> = {},
): HandshakeFailure {
  return { reason, error, ban: extra.ban ?? false, probingResistance: extra.probingResistance ?? false, ...extra };
}

function asDocumented(e: unknown, path: string): ParseError | CryptoError {
  if (e instanceof ParseError || e instanceof CryptoError) return e;
  return new ParseError('INTERNAL', path, -1, e instanceof Error ? e.message : String(e));
}

function randomPadding(random: Random, max: number): Uint8Array {
  if (max <= 0) return EMPTY;
  const n = random.int(0, max + 1);
  return random.bytes(n);
}

type AliceState = 'init' | 'wait-created' | 'established' | 'failed';

/** Alice: SessionRequest → (SessionCreated) → SessionConfirmed, then established. */
export class Ntcp2Initiator {
  private state: AliceState = 'init';
  private readonly opts: InitiatorOptions;
  private readonly now: () => number;
  private readonly random: Random;
  private readonly maxSkew: number;
  private readonly maxPadding: number;
  private readonly eph: X25519Key;
  private readonly sym: SymmetricState;
  private readonly m3p2Plain: Uint8Array;
  private cbcIv: Uint8Array = EMPTY;
  private buf: Uint8Array = EMPTY;
  private Y: Uint8Array = EMPTY;
  private padLen = -1;
  private skew = 0;
  private failure: HandshakeFailure | null = null;

  constructor(opts: InitiatorOptions) {
    const { remote } = opts;
    if (remote.routerHash.length !== 32) throw new RangeError('remote router hash must be 32 bytes');
    if (remote.staticKey.length !== 32) throw new RangeError('remote static key must be 32 bytes');
    if (remote.iv.length !== 16) throw new RangeError('remote IV must be 16 bytes');
    if (opts.netId < 0 || opts.netId > 255) throw new RangeError('netId must be a byte');
    this.opts = opts;
    this.now = opts.now ?? Date.now;
    this.random = opts.random ?? systemRandom;
    this.maxSkew = opts.maxClockSkewSeconds ?? DEFAULT_MAX_CLOCK_SKEW_SECONDS;
    this.maxPadding = opts.maxPadding ?? DEFAULT_MAX_PADDING;
    this.eph = opts.ephemeralKey ?? new X25519Key(this.random.bytes(32));
    this.sym = ntcp2InitialState(remote.staticKey);
    const blocks: Block[] = [{ type: 'routerinfo', flood: false, routerInfo: opts.routerInfo }];
    if (opts.options) blocks.push({ type: 'options', options: opts.options });
    const padMax = opts.m3p2PaddingMax ?? 31;
    if (padMax >= 0) blocks.push({ type: 'padding', data: new Uint8Array(padMax > 0 ? this.random.int(0, padMax + 1) : 0) });
    this.m3p2Plain = encodeBlocks(blocks);
    if (this.m3p2Plain.length + 16 > MSG3_PART2_MAX_LENGTH) throw new RangeError('RouterInfo too large for message 3');
  }

  get isEstablished(): boolean {
    return this.state === 'established';
  }

  get isFailed(): boolean {
    return this.state === 'failed';
  }

  /** How many more bytes SessionCreated needs at least; 0 when not waiting for it. */
  get expecting(): number {
    if (this.state !== 'wait-created') return 0;
    return Math.max(0, (this.padLen < 0 ? MSG12_FIXED_LENGTH : MSG12_FIXED_LENGTH + this.padLen) - this.buf.length);
  }

  /** Build SessionRequest. Fails (reason Message1Error) only if Bob's static key is a low-order point. */
  start(): HandshakeStep {
    if (this.state !== 'init') throw new Error(`NTCP2 initiator: start() in state ${this.state}`);
    const { remote } = this.opts;
    const X = this.eph.publicKey;
    const encX = aesCbcEncrypt(remote.routerHash, remote.iv, X);
    this.cbcIv = encX.slice(16, 32);
    this.sym.mixHash(X);
    try {
      this.sym.mixKey(this.eph.dh(remote.staticKey));
    } catch (e) {
      return this.fail(fail(TerminationReason.Message1Error, asDocumented(e, 'NTCP2/SessionRequest')));
    }
    const padding = randomPadding(this.random, this.opts.sendPaddingMax ?? DEFAULT_SEND_PADDING_MAX);
    const m3p2Len = this.m3p2Plain.length + 16;
    const options = new Writer(16)
      .u8(this.opts.netId)
      .u8(NTCP2_VERSION)
      .u16(padding.length)
      .u16(m3p2Len)
      .u16(0)
      .u32(tsSeconds(this.now()))
      .u32(0)
      .done();
    const frame = this.sym.encryptAndHash(options);
    if (padding.length > 0) this.sym.mixHash(padding);
    this.state = 'wait-created';
    return { send: concatBytes(encX, frame, padding) };
  }

  /** Feed bytes from Bob. */
  receive(data: Uint8Array): HandshakeStep {
    if (this.state === 'failed') return { failed: this.failure! };
    if (this.state !== 'wait-created') throw new Error(`NTCP2 initiator: receive() in state ${this.state}`);
    this.buf = this.buf.length ? concatBytes(this.buf, data) : Uint8Array.prototype.slice.call(data);
    if (this.padLen < 0) {
      if (this.buf.length < MSG12_FIXED_LENGTH) return {};
      const r = this.processCreated(this.buf.subarray(0, MSG12_FIXED_LENGTH));
      if (r) return r;
    }
    const total = MSG12_FIXED_LENGTH + this.padLen;
    if (this.buf.length < total) return {};
    if (this.buf.length > total) {
      return this.fail(
        fail(
          TerminationReason.Message2Error,
          new ParseError('TRAILING_DATA', 'NTCP2/SessionCreated', total, 'data after SessionCreated before SessionConfirmed'),
        ),
      );
    }
    if (this.padLen > 0) this.sym.mixHash(this.buf.subarray(MSG12_FIXED_LENGTH, total));
    return this.confirm();
  }

  private processCreated(msg: Uint8Array): HandshakeStep | null {
    const path = 'NTCP2/SessionCreated';
    const { remote } = this.opts;
    const Y = aesCbcDecrypt(remote.routerHash, this.cbcIv, msg.subarray(0, 32));
    this.sym.mixHash(Y);
    let opts: Uint8Array;
    try {
      this.sym.mixKey(this.eph.dh(Y));
      opts = this.sym.decryptAndHash(msg.subarray(32, 64));
    } catch (e) {
      return this.fail(fail(TerminationReason.Message2Error, asDocumented(e, path)));
    }
    const view = new DataView(opts.buffer, opts.byteOffset, 16);
    const padLen = view.getUint16(2);
    const tsB = view.getUint32(8);
    const skew = skewOf(tsB, this.now());
    if (Math.abs(skew) > this.maxSkew) {
      return this.fail(
        fail(TerminationReason.ClockSkew, new ParseError('CLOCK_SKEW', path, 40, `tsB differs from our clock by ${skew} s`), {
          clockSkewSeconds: skew,
        }),
      );
    }
    if (padLen > this.maxPadding) {
      return this.fail(
        fail(TerminationReason.Message2Error, new ParseError('PADDING_TOO_LONG', path, 34, `padding ${padLen} > ${this.maxPadding}`)),
      );
    }
    this.Y = Y;
    this.skew = skew;
    this.padLen = padLen;
    return null;
  }

  private confirm(): HandshakeStep {
    const part1 = this.sym.encryptAndHash(this.opts.staticKey.publicKey); // n = 1
    try {
      this.sym.mixKey(this.opts.staticKey.dh(this.Y));
    } catch (e) {
      return this.fail(fail(TerminationReason.Message2Error, asDocumented(e, 'NTCP2/SessionConfirmed')));
    }
    const part2 = this.sym.encryptAndHash(this.m3p2Plain); // n = 0
    const keys = deriveDataPhaseKeys(this.sym.ck, this.sym.h, true);
    const established: Established = {
      keys,
      peerRouterHash: Uint8Array.prototype.slice.call(this.opts.remote.routerHash),
      peerStaticKey: Uint8Array.prototype.slice.call(this.opts.remote.staticKey),
      clockSkewSeconds: this.skew,
      handshakeHash: Uint8Array.prototype.slice.call(this.sym.h),
    };
    this.state = 'established';
    this.buf = EMPTY;
    this.sym.wipe();
    return { send: concatBytes(part1, part2), established };
  }

  private fail(f: HandshakeFailure): HandshakeStep {
    this.state = 'failed';
    this.failure = f;
    this.buf = EMPTY;
    this.sym.wipe();
    return { failed: f };
  }
}

type BobState = 'wait-request' | 'wait-confirmed' | 'established' | 'failed';

/** Bob: (SessionRequest) → SessionCreated → (SessionConfirmed), then established. */
export class Ntcp2Responder {
  private state: BobState = 'wait-request';
  private readonly opts: ResponderOptions;
  private readonly now: () => number;
  private readonly random: Random;
  private readonly maxSkew: number;
  private readonly maxPadding: number;
  private readonly eph: X25519Key;
  private readonly sym: SymmetricState;
  private buf: Uint8Array = EMPTY;
  private X: Uint8Array = EMPTY;
  private cbcIv: Uint8Array = EMPTY;
  private padLen = -1;
  private m3p2Len = 0;
  private skew = 0;
  private skewed = false;
  private failure: HandshakeFailure | null = null;

  constructor(opts: ResponderOptions) {
    if (opts.routerHash.length !== 32) throw new RangeError('router hash must be 32 bytes');
    if (opts.iv.length !== 16) throw new RangeError('IV must be 16 bytes');
    if (opts.netId < 0 || opts.netId > 255) throw new RangeError('netId must be a byte');
    this.opts = opts;
    this.now = opts.now ?? Date.now;
    this.random = opts.random ?? systemRandom;
    this.maxSkew = opts.maxClockSkewSeconds ?? DEFAULT_MAX_CLOCK_SKEW_SECONDS;
    this.maxPadding = opts.maxPadding ?? DEFAULT_MAX_PADDING;
    this.eph = opts.ephemeralKey ?? new X25519Key(this.random.bytes(32));
    this.sym = opts.initialState ? opts.initialState.clone() : ntcp2InitialState(opts.staticKey.publicKey);
  }

  get isEstablished(): boolean {
    return this.state === 'established';
  }

  get isFailed(): boolean {
    return this.state === 'failed';
  }

  /** How many more bytes the current message needs at least (for read timeouts/limits); 0 when done. */
  get expecting(): number {
    switch (this.state) {
      case 'wait-request':
        return Math.max(0, (this.padLen < 0 ? MSG12_FIXED_LENGTH : MSG12_FIXED_LENGTH + this.padLen) - this.buf.length);
      case 'wait-confirmed':
        return Math.max(0, MSG3_PART1_LENGTH + this.m3p2Len - this.buf.length);
      default:
        return 0;
    }
  }

  receive(data: Uint8Array): HandshakeStep {
    if (this.state === 'failed') return { failed: this.failure! };
    if (this.state === 'established') throw new Error('NTCP2 responder: receive() after establishment');
    this.buf = this.buf.length ? concatBytes(this.buf, data) : Uint8Array.prototype.slice.call(data);
    if (this.state === 'wait-request') return this.onRequestBytes();
    return this.onConfirmedBytes();
  }

  private onRequestBytes(): HandshakeStep {
    const path = 'NTCP2/SessionRequest';
    if (this.padLen < 0) {
      if (this.buf.length < MSG12_FIXED_LENGTH) return {};
      const r = this.processRequest(this.buf.subarray(0, MSG12_FIXED_LENGTH));
      if (r) return r;
    }
    const total = MSG12_FIXED_LENGTH + this.padLen;
    if (this.buf.length < total) return {};
    if (this.buf.length > total) {
      return this.fail(
        fail(TerminationReason.Message1Error, new ParseError('TRAILING_DATA', path, total, 'data after SessionRequest before SessionCreated')),
      );
    }
    if (this.padLen > 0) this.sym.mixHash(this.buf.subarray(MSG12_FIXED_LENGTH, total));
    this.buf = EMPTY;
    return this.created();
  }

  private processRequest(msg: Uint8Array): HandshakeStep | null {
    const path = 'NTCP2/SessionRequest';
    const { opts } = this;
    const encX = msg.subarray(0, 32);
    const X = aesCbcDecrypt(opts.routerHash, opts.iv, encX);
    this.cbcIv = encX.slice(16, 32);
    this.sym.mixHash(X);
    let o: Uint8Array;
    try {
      this.sym.mixKey(opts.staticKey.dh(X));
    } catch (e) {
      return this.fail(fail(TerminationReason.Message1Error, asDocumented(e, path), { probingResistance: true }));
    }
    try {
      o = this.sym.decryptAndHash(msg.subarray(32, 64));
    } catch (e) {
      return this.fail(fail(TerminationReason.Message1Error, asDocumented(e, path), { probingResistance: true }));
    }
    const view = new DataView(o.buffer, o.byteOffset, 16);
    const netId = o[0]!;
    const ver = o[1]!;
    const padLen = view.getUint16(2);
    const m3p2Len = view.getUint16(4);
    const tsA = view.getUint32(8);
    if (netId !== 0 && netId !== opts.netId) {
      return this.fail(
        fail(TerminationReason.Message1Error, new ParseError('NETID_MISMATCH', path, 32, `netId ${netId}, expected ${opts.netId}`), {
          ban: true,
        }),
      );
    }
    if (ver !== NTCP2_VERSION) {
      return this.fail(fail(TerminationReason.Message1Error, new ParseError('BAD_VERSION', path, 33, `version ${ver}`)));
    }
    if (m3p2Len < 16) {
      return this.fail(fail(TerminationReason.Message1Error, new ParseError('BAD_M3P2_LENGTH', path, 36, `m3p2len ${m3p2Len} < 16`)));
    }
    if (padLen > this.maxPadding) {
      return this.fail(
        fail(TerminationReason.Message1Error, new ParseError('PADDING_TOO_LONG', path, 34, `padding ${padLen} > ${this.maxPadding}`)),
      );
    }
    const nowMs = this.now();
    if (!opts.replayCache.checkAndAdd(X, nowMs)) {
      return this.fail(fail(TerminationReason.Message1Error, new ParseError('REPLAY', path, 0, 'SessionRequest X seen before')));
    }
    const skew = skewOf(tsA, nowMs);
    this.skew = skew;
    this.skewed = Math.abs(skew) > this.maxSkew;
    this.X = X;
    this.padLen = padLen;
    this.m3p2Len = m3p2Len;
    return null;
  }

  private created(): HandshakeStep {
    const path = 'NTCP2/SessionCreated';
    const { opts } = this;
    const Y = this.eph.publicKey;
    const encY = aesCbcEncrypt(opts.routerHash, this.cbcIv, Y);
    this.sym.mixHash(Y);
    try {
      this.sym.mixKey(this.eph.dh(this.X));
    } catch (e) {
      return this.fail(fail(TerminationReason.Message1Error, asDocumented(e, path)));
    }
    const padding = randomPadding(this.random, opts.sendPaddingMax ?? DEFAULT_SEND_PADDING_MAX);
    const options = new Writer(16).u16(0).u16(padding.length).u32(0).u32(tsSeconds(this.now())).u32(0).done();
    const frame = this.sym.encryptAndHash(options);
    if (padding.length > 0) this.sym.mixHash(padding);
    const send = concatBytes(encY, frame, padding);
    if (this.skewed) {
      // Spec "Clock Skew Guidelines": reply with SessionCreated so Alice learns our time, then close.
      const f = fail(
        TerminationReason.ClockSkew,
        new ParseError('CLOCK_SKEW', 'NTCP2/SessionRequest', 40, `tsA differs from our clock by ${this.skew} s`),
        { clockSkewSeconds: this.skew },
      );
      const step = this.fail(f);
      return { ...step, send };
    }
    this.state = 'wait-confirmed';
    return { send };
  }

  private onConfirmedBytes(): HandshakeStep {
    const total = MSG3_PART1_LENGTH + this.m3p2Len;
    if (this.buf.length < total) return {};
    const path = 'NTCP2/SessionConfirmed';
    const msg = this.buf.subarray(0, total);
    const rest = this.buf.length > total ? this.buf.slice(total) : undefined;
    let s: Uint8Array;
    let payload: Uint8Array;
    try {
      s = this.sym.decryptAndHash(msg.subarray(0, MSG3_PART1_LENGTH)); // n = 1
      this.sym.mixKey(this.eph.dh(s));
      payload = this.sym.decryptAndHash(msg.subarray(MSG3_PART1_LENGTH)); // n = 0
    } catch (e) {
      return this.fail(fail(TerminationReason.Message3Error, asDocumented(e, path)));
    }
    const keys = deriveDataPhaseKeys(this.sym.ck, this.sym.h, false);
    const handshakeHash = Uint8Array.prototype.slice.call(this.sym.h);
    const failWithTermination = (reason: TerminationReasonCode, error: ParseError | CryptoError): HandshakeStep => {
      const enc = new FrameEncoder(keys.send);
      const frame = enc.encode([terminationBlock(0, reason)]);
      enc.wipe();
      return { ...this.fail(fail(reason, error)), send: frame };
    };
    let blocks: Block[];
    try {
      blocks = parseBlocks(payload, 'm3p2', `${path}/part2`);
    } catch (e) {
      return failWithTermination(TerminationReason.Message3Error, asDocumented(e, path));
    }
    const ri = blocks[0] as Extract<Block, { type: 'routerinfo' }>;
    const optionsBlock = blocks.find((b) => b.type === 'options') as Extract<Block, { type: 'options' }> | undefined;
    let verified: VerifiedRouterInfo;
    try {
      verified = this.opts.verifyRouterInfo(ri.routerInfo);
    } catch (e) {
      const err = asDocumented(e, `${path}/RouterInfo`);
      const reason =
        err.code === 'BAD_SIGNATURE' ? TerminationReason.RouterInfoSignatureVerificationFail : TerminationReason.Message3Error;
      return failWithTermination(reason, err);
    }
    const keysInRi = verified.staticKey == null ? [] : verified.staticKey instanceof Uint8Array ? [verified.staticKey] : verified.staticKey;
    if (!keysInRi.some((k) => equalBytes(k, s))) {
      return failWithTermination(
        TerminationReason.IncorrectSParameter,
        new ParseError('S_MISMATCH', `${path}/RouterInfo`, -1, "Alice's static key is not the s of her RouterInfo"),
      );
    }
    const established: Established = {
      keys,
      peerRouterHash: Uint8Array.prototype.slice.call(verified.hash),
      peerStaticKey: s,
      peerRouterInfo: Uint8Array.prototype.slice.call(ri.routerInfo),
      peerRouterInfoFlood: ri.flood,
      clockSkewSeconds: this.skew,
      handshakeHash,
    };
    if (optionsBlock) established.peerOptions = { ...optionsBlock.options, more: optionsBlock.options.more.slice() };
    this.state = 'established';
    this.buf = EMPTY;
    this.sym.wipe();
    return rest ? { established, rest } : { established };
  }

  private fail(f: HandshakeFailure): HandshakeStep {
    this.state = 'failed';
    this.failure = f;
    this.buf = EMPTY;
    this.sym.wipe();
    return { failed: f };
  }
}

