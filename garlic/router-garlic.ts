/**
 * ECIES garlic for routers: one-time Noise "N" messages to a router's X25519 key, and the single-use reply
 * key + tag of proposal 154 (DatabaseLookup replies, tunnel build replies through garlic).
 *
 * Spec: ../shared/specs/spec/ecies-routers.rst ("KDF for Initial ck and h", "KDF for Message", "Payload",
 * "Reply encryption"); ../shared/specs/proposals/154-ecies-lookups.rst; ../shared/specs/spec/ecies.rst
 * "1h) Existing session format".
 * i2pd 2.45.1: libi2pd/ECIESX25519AEADRatchetSession.cpp WrapECIESX25519MessageForRouter,
 * RouterIncomingRatchetSession::HandleNextMessage, WrapECIESX25519Message, SymmetricKeyTagSet;
 * libi2pd/RouterContext.cpp ProcessGarlicMessage (tag first, then Noise N); libi2pd/Garlic.cpp
 * AddECIESx25519Key.
 *
 *   N message  := epk 32 (raw X25519, NOT Elligator2) | ENCRYPT(k, 0, payload, h) len+16
 *                 h = MixHash(MixHash(SHA256(name || 0)) ... : InitializeSymmetric("Noise_N_25519_ChaChaPoly_SHA256"),
 *                 MixHash(empty prologue), MixHash(router key), MixHash(epk); [ck, k] = MixKey(DH(e, s))
 *   reply      := tag 8 | ENCRYPT(key, 0, payload, ad = tag) len+16
 *
 * The payload is ECIES blocks (blocks.ts); N messages carry a DateTime block first (ecies-routers.rst
 * "All messages must contain a DateTime block"), which `RouterGarlic` checks against its clock.
 */
import { chachaDecrypt, chachaEncrypt, nonceFromCounter, TAG_LENGTH } from '../crypto/chacha.js';
import { CryptoError } from '../crypto/errors.js';
import { SymmetricState } from '../crypto/noise.js';
import { systemRandom } from '../crypto/random.js';
import type { Random } from '../crypto/random.js';
import { X25519Key } from '../crypto/x25519.js';
import { toHex } from '../data/bytes.js';
import { ParseError } from '../data/errors.js';
import { BlockType, parseBlocks, serializeBlocks } from './blocks.js';
import type { Block } from './blocks.js';

export const NOISE_N_PROTOCOL_NAME = 'Noise_N_25519_ChaChaPoly_SHA256';
export const N_OVERHEAD = 32 + TAG_LENGTH; // 48
export const REPLY_OVERHEAD = 8 + TAG_LENGTH; // 24

const EMPTY = new Uint8Array(0);

/** The N state before the ephemeral key: InitializeSymmetric(name), MixHash(prologue), MixHash(router key). */
export function noiseNInitialState(routerKey: Uint8Array): SymmetricState {
  if (routerKey.length !== 32) throw new RangeError('router key must be 32 bytes');
  const st = new SymmetricState(NOISE_N_PROTOCOL_NAME);
  st.mixHash(EMPTY);
  st.mixHash(routerKey);
  return st;
}

/** Encrypts `payload` (serialized blocks) to a router's X25519 encryption key. */
export function encryptToRouter(routerKey: Uint8Array, payload: Uint8Array, random: Random = systemRandom): Uint8Array {
  const st = noiseNInitialState(routerKey);
  const e = new X25519Key(random.bytes(32));
  st.mixHash(e.publicKey);
  st.mixKey(e.dh(routerKey));
  const c = chachaEncrypt(st.k!, nonceFromCounter(0), payload, st.h);
  const out = new Uint8Array(32 + c.length);
  out.set(e.publicKey, 0);
  out.set(c, 32);
  return out;
}

/**
 * Decrypts an N message with the router's key. `initial` = noiseNInitialState(our public key), cloned.
 * Throws ParseError('TRUNCATED') or CryptoError (BAD_KEY, LOW_ORDER, BAD_TAG).
 */
export function decryptFromAnonymous(routerKey: X25519Key, message: Uint8Array, initial?: SymmetricState): Uint8Array {
  if (message.length < N_OVERHEAD) throw new ParseError('TRUNCATED', 'NoiseN', message.length, `needs ${N_OVERHEAD} bytes`);
  const st = initial ? initial.clone() : noiseNInitialState(routerKey.publicKey);
  const epk = message.subarray(0, 32);
  st.mixHash(epk);
  st.mixKey(routerKey.dh(epk));
  return chachaDecrypt(st.k!, nonceFromCounter(0), message.subarray(32), st.h);
}

/** Encrypts a reply with a proposal-154 reply key and tag (nonce 0, AD = tag). */
export function encryptWithReplyKey(key: Uint8Array, tag: Uint8Array, payload: Uint8Array): Uint8Array {
  if (key.length !== 32) throw new RangeError('reply key must be 32 bytes');
  if (tag.length !== 8) throw new RangeError('reply tag must be 8 bytes');
  const c = chachaEncrypt(key, nonceFromCounter(0), payload, tag);
  const out = new Uint8Array(8 + c.length);
  out.set(tag, 0);
  out.set(c, 8);
  return out;
}

/**
 * The reply to a lookup that carried a reply key + tag: `blocks` serialized and encrypted with them.
 * i2pd 2.45.1 (SymmetricKeyTagSet::HandleNextMessage) reads only the FIRST block and requires it to be a
 * Garlic Clove, so that is enforced here (RangeError otherwise); Padding may follow, no DateTime.
 */
export function encryptReplyBlocks(key: Uint8Array, tag: Uint8Array, blocks: readonly Block[]): Uint8Array {
  if (blocks[0]?.type !== BlockType.GarlicClove) throw new RangeError('a reply-key message must start with a Garlic Clove block (i2pd)');
  return encryptWithReplyKey(key, tag, serializeBlocks(blocks));
}

/** Decrypts a reply whose first 8 bytes are the tag. Throws ParseError('TRUNCATED') or CryptoError('BAD_TAG'). */
export function decryptWithReplyKey(key: Uint8Array, message: Uint8Array): Uint8Array {
  if (message.length < REPLY_OVERHEAD) throw new ParseError('TRUNCATED', 'ReplyKeyMessage', message.length, `needs ${REPLY_OVERHEAD} bytes`);
  return chachaDecrypt(key, nonceFromCounter(0), message.subarray(8), message.subarray(0, 8));
}

/**
 * Bounded single-use table of reply keys by tag, with expiry. Shared by RouterGarlic and GarlicEngine
 * (a client destination's lookups get replies the same way).
 */
export class ReplyKeyTable {
  private readonly keys = new Map<string, { key: Uint8Array; expiresAt: number }>();
  constructor(readonly maxEntries = 4096) {}

  get size(): number {
    return this.keys.size;
  }

  /** Adds a key; when full the oldest entry is dropped (returns false then). */
  add(key: Uint8Array, tag: Uint8Array, expiresAt: number): boolean {
    if (key.length !== 32 || tag.length !== 8) throw new RangeError('reply key 32 bytes, tag 8 bytes');
    let evicted = false;
    const id = toHex(tag);
    this.keys.delete(id);
    if (this.keys.size >= this.maxEntries) {
      const oldest = this.keys.keys().next().value;
      if (oldest !== undefined) this.keys.delete(oldest);
      evicted = true;
    }
    this.keys.set(id, { key: Uint8Array.prototype.slice.call(key), expiresAt });
    return !evicted;
  }

  has(tag: Uint8Array): boolean {
    return this.keys.has(toHex(tag));
  }

  /**
   * If `message` starts with a known tag: decrypt it and consume the tag (only on success). Returns null when
   * the tag is unknown or expired. Throws CryptoError('BAD_TAG') on a forged/corrupt message (tag kept).
   */
  tryDecrypt(message: Uint8Array, now: number): Uint8Array | null {
    if (message.length < 8) return null;
    const id = toHex(message.subarray(0, 8));
    const e = this.keys.get(id);
    if (!e) return null;
    if (now > e.expiresAt) {
      this.keys.delete(id);
      return null;
    }
    const p = decryptWithReplyKey(e.key, message);
    this.keys.delete(id);
    return p;
  }

  expire(now: number): void {
    for (const [id, e] of this.keys) if (now > e.expiresAt) this.keys.delete(id);
  }
}

export interface RouterGarlicOptions {
  /** The router's X25519 encryption key (RouterIdentity crypto key). */
  staticKey: X25519Key;
  now?: () => number;
  maxReplyKeys?: number;
  /** Max |DateTime - now| for N messages (ms); default 5 minutes. null disables the check. */
  maxClockSkewMs?: number | null;
}

export type RouterGarlicResult = { kind: 'reply-key' | 'anonymous'; blocks: Block[] };

/**
 * The router's own garlic endpoint (i2pd RouterContext::ProcessGarlicMessage): tag first (reply keys we
 * handed out), then Noise N with the router key. Input is the Garlic message `data` (after the length).
 */
export class RouterGarlic {
  readonly replyKeys: ReplyKeyTable;
  private readonly staticKey: X25519Key;
  private readonly initial: SymmetricState;
  private readonly now: () => number;
  private readonly maxSkew: number | null;

  constructor(opts: RouterGarlicOptions) {
    this.staticKey = opts.staticKey;
    this.initial = noiseNInitialState(opts.staticKey.publicKey);
    this.now = opts.now ?? Date.now;
    this.replyKeys = new ReplyKeyTable(opts.maxReplyKeys ?? 4096);
    this.maxSkew = opts.maxClockSkewMs === undefined ? 5 * 60_000 : opts.maxClockSkewMs;
  }

  /** Throws ParseError or CryptoError only. */
  decrypt(data: Uint8Array): RouterGarlicResult {
    const now = this.now();
    const r = this.replyKeys.tryDecrypt(data, now);
    if (r) return { kind: 'reply-key', blocks: parseBlocks(r) };
    const blocks = parseBlocks(decryptFromAnonymous(this.staticKey, data, this.initial));
    if (this.maxSkew !== null) checkDateTime(blocks, now, this.maxSkew);
    return { kind: 'anonymous', blocks };
  }

  expire(): void {
    this.replyKeys.expire(this.now());
  }
}

/** Requires a DateTime block first, within maxSkew ms of now. Throws CryptoError('STALE') otherwise. */
export function checkDateTime(blocks: readonly Block[], now: number, maxSkew: number): void {
  const b = blocks[0];
  if (!b || b.type !== BlockType.DateTime) throw new CryptoError('STALE', 'new session without a leading DateTime block');
  if (Math.abs(b.timestamp * 1000 - now) > maxSkew) throw new CryptoError('STALE', 'DateTime outside the allowed clock skew');
}
