/**
 * ECIES-X25519-AEAD-Ratchet sessions and the GarlicEngine that holds them: sans-IO, in = garlic data bytes,
 * out = payload blocks; in = (peer static key, blocks), out = garlic data bytes (the `data` of an I2NP Garlic
 * message, without its 4-byte length).
 *
 * Spec: ../shared/specs/spec/ecies.rst: "Sessions", "1) Message format" .. "1h) Existing session format",
 * "4) Ratchets" ("KEY AND TAG SET IDS", "DH RATCHET MESSAGE FLOW"), "5) Payload" (Next Key, Ack, Ack Request,
 * Termination), "Replay Prevention".
 * i2pd 2.45.1: libi2pd/ECIESX25519AEADRatchetSession.cpp/.h (ECIESX25519AEADRatchetSession: HandleNextMessage,
 * HandleExistingSessionMessage, HandleNextKey, NewNextSendRatchet, CreatePayload, CheckExpired) and
 * libi2pd/Garlic.cpp (GarlicDestination::HandleGarlicMessage, HandleECIESx25519TagMessage,
 * AddECIESx25519Session, GetRoutingSession, CleanupExpiredTags).
 *
 * Behaviour taken from i2pd (the constants keep i2pd's names):
 * - Receive look-ahead: a new data-phase tag set gets 24 tags (MIN_NUM_GENERATED_TAGS), an NSR tag set 12,
 *   a tag set after a DH ratchet 320 (MAX_NUM_GENERATED_TAGS). After message `index`, tags are generated up to
 *   min(24 + index/4, 320) ahead of it, and tags more than 320 behind it are dropped.
 * - DH ratchet: once the send index reaches 8192 (TAGSET_MAX_NUM_TAGS) the sender starts a NextKey exchange,
 *   repeating its forward NextKey block in every message until the reverse key arrives. Key IDs alternate as in
 *   i2pd NewNextSendRatchet (odd exchanges carry a new sender key, even ones ask the receiver for a new key);
 *   the new tag set id is 1 + sender key id + receiver key id; the old receive tag set lives 180 s more.
 * - A session restarts (new NS) once nothing was received for 90 s and it is older than 120 s; it expires
 *   600 s after the last receive and 480 s after the last send.
 * - Bob replies with NSRs until Alice's first ES arrives; all NSRs for one NS share Bob's ephemeral key
 *   (see handshake.ts). Alice sends a new NS (new ephemeral key, new state) for every message until an NSR
 *   arrives; whichever NS is answered first becomes the session, the other attempts are dropped.
 *
 * Deliberate differences from i2pd, all on the receive side and all stricter:
 * - A tag is consumed only when its message authenticates and parses (i2pd erases it on any attempt), so a
 *   forged message carrying a seen tag changes nothing.
 * - NS messages must start with a DateTime block within ±5 minutes (spec "DateTime": "Bob must validate that
 *   the message is recent"), and a decoded NS ephemeral key is accepted once (bounded replay cache). i2pd
 *   2.45.1 checks neither; every i2pd and Java NS carries a DateTime.
 * - Every table is bounded (sessions, NS attempts per peer, inbound tags, ack requests, replay cache); i2pd's
 *   are not.
 */
import { chachaDecrypt, chachaEncrypt, nonceFromCounter } from '../crypto/chacha.js';
import { CryptoError } from '../crypto/errors.js';
import type { SymmetricState } from '../crypto/noise.js';
import { systemRandom } from '../crypto/random.js';
import type { Random } from '../crypto/random.js';
import { X25519Key } from '../crypto/x25519.js';
import { equalBytes, toHex } from '../data/bytes.js';
import { ParseError } from '../data/errors.js';
import {
  BlockType,
  NEXT_KEY_KEY_PRESENT,
  NEXT_KEY_REQUEST_REVERSE,
  NEXT_KEY_REVERSE,
  parseBlocks,
  serializeBlocks,
} from './blocks.js';
import type { AckEntry, Block } from './blocks.js';
import {
  createNewSession,
  createNsr,
  decodeNewSessionKey,
  ES_OVERHEAD,
  initialState,
  NS_OVERHEAD,
  NSR_OVERHEAD,
  prepareNsr,
  readNewSession,
  readNsr,
  SESSION_TAG_SIZE,
} from './handshake.js';
import type { NsrResponder } from './handshake.js';
import { checkDateTime, ReplyKeyTable } from './router-garlic.js';
import { dhRatchetTagsetKey, nsrTagsetKey, RatchetTagSet } from './tagset.js';

// i2pd ECIESX25519AEADRatchetSession.h constants (seconds there, ms here)
export const RESTART_TIMEOUT_MS = 120_000;
export const INACTIVITY_TIMEOUT_MS = 90_000;
export const SEND_EXPIRATION_TIMEOUT_MS = 480_000;
export const RECEIVE_EXPIRATION_TIMEOUT_MS = 600_000;
export const PREVIOUS_TAGSET_EXPIRATION_TIMEOUT_MS = 180_000;
export const TAGSET_MAX_NUM_TAGS = 8192;
export const MIN_NUM_GENERATED_TAGS = 24;
export const MAX_NUM_GENERATED_TAGS = 320;
export const NSR_NUM_GENERATED_TAGS = 12;

const MAX_ACK_REQUESTS = 64;
/** Receive tag sets per session (current, previous ones during their 180 s grace, the NSR set). */
const MAX_RECEIVE_TAGSETS = 8;

/**
 * Largest payload the engine builds: an NS (96 bytes of overhead) plus the Garlic length field must fit an
 * I2NP payload (65535). Below the AEAD frame limit MAX_PAYLOAD_SIZE (65519).
 */
export const MAX_ENGINE_PAYLOAD = 0xffff - 4 - NS_OVERHEAD;

export type SessionState = 'ns-sent' | 'ns-received' | 'nsr-sent' | 'established';

interface DhRatchet {
  keyId: number;
  key: X25519Key | null;
  remote: Uint8Array | null;
  newKey: boolean;
}

class ReceiveTagSet {
  trimBehind = 0;
  expiresAt: number | null = null;
  /** Live tags of this set, index → tag id, in index order. */
  readonly live = new Map<number, bigint>();
  constructor(
    readonly ts: RatchetTagSet,
    readonly session: Session,
    readonly isNsr: boolean,
  ) {}
  expire(at: number): void {
    if (this.expiresAt === null) this.expiresAt = at;
  }
}

class Session {
  state: SessionState;
  readonly remoteStatic: Uint8Array;
  readonly remoteId: string;
  createdAt: number;
  lastActivity: number;
  lastSent = 0;
  terminated = false;
  /** Noise state after the NS (Alice: to read NSRs; Bob: to write them). */
  nsState: SymmetricState | null;
  /** Alice's NS ephemeral key. */
  ephemeral: X25519Key | null = null;
  /** Bob: Alice's ephemeral key and the NSR keys. */
  aepk: Uint8Array | null = null;
  nsr: NsrResponder | null = null;
  nsrSendTagset: RatchetTagSet | null = null;
  sendTagset: RatchetTagSet | null = null;
  readonly receiveTagsets = new Set<ReceiveTagSet>();
  nextSendRatchet: DhRatchet | null = null;
  nextReceiveRatchet: DhRatchet | null = null;
  sendForwardKey = false;
  sendReverseKey = false;
  ackRequests: AckEntry[] = [];

  constructor(state: SessionState, remoteStatic: Uint8Array, nsState: SymmetricState, now: number) {
    this.state = state;
    this.remoteStatic = remoteStatic;
    this.remoteId = toHex(remoteStatic);
    this.nsState = nsState;
    this.createdAt = now;
    this.lastActivity = now;
  }
}

type TagEntry = { rts: ReceiveTagSet; index: number };

export interface GarlicEngineOptions {
  /** Our static X25519 key (the destination's ECIES encryption key). */
  staticKey: X25519Key;
  /** Clock in ms since the epoch. */
  now?: () => number;
  random?: Random;
  /** All sessions (pending and established); the least recently active is evicted beyond it. Default 2048. */
  maxSessions?: number;
  /** All inbound tags; tag generation stops at this bound. Default 262144. */
  maxInboundTags?: number;
  /** Outstanding NS attempts (Alice) and unconfirmed NS sessions (Bob) per peer. Default 4. */
  maxPendingPerPeer?: number;
  /** Send index after which a DH ratchet starts. Default 8192 (i2pd). */
  ratchetThreshold?: number;
  /** NS DateTime tolerance in ms (null: no check). Default 5 minutes. */
  maxClockSkewMs?: number | null;
  /** NS ephemeral keys remembered for replay detection. Default 16384. */
  replayCacheSize?: number;
  /** Reply keys (proposal 154) held. Default 1024. */
  maxReplyKeys?: number;
  /** Append a random 1..16 byte Padding block (as i2pd) unless the caller's blocks end with one. Default true. */
  padding?: boolean;
}

export type MessageKind = 'new-session' | 'new-session-reply' | 'existing';

export interface EncryptResult {
  data: Uint8Array;
  kind: MessageKind;
  /** For ES: the tag set id and index (what an Ack block will name). */
  tagsetId?: number;
  index?: number;
}

export type DecryptResult =
  | { kind: 'new-session'; peer: Uint8Array | null; blocks: Block[] }
  | { kind: 'new-session-reply'; peer: Uint8Array; blocks: Block[] }
  | { kind: 'existing'; peer: Uint8Array; tagsetId: number; index: number; blocks: Block[] }
  | { kind: 'reply-key'; blocks: Block[] };

export interface SessionInfo {
  state: SessionState;
  sendTagsetId: number | null;
  sendIndex: number | null;
  receiveTagsetIds: number[];
  createdAt: number;
  lastActivity: number;
}

export interface GarlicStats {
  sessions: number;
  inboundTags: number;
  pendingAttempts: number;
  replayCache: number;
  replyKeys: number;
}

function tagId(b: Uint8Array, offset = 0): bigint {
  return new DataView(b.buffer, b.byteOffset + offset, 8).getBigUint64(0, true);
}

export class GarlicEngine {
  private readonly staticKey: X25519Key;
  private readonly now: () => number;
  private readonly random: Random;
  private readonly maxSessions: number;
  private readonly maxInboundTags: number;
  private readonly maxPendingPerPeer: number;
  private readonly ratchetThreshold: number;
  private readonly maxSkew: number | null;
  private readonly replayCacheSize: number;
  private readonly padding: boolean;
  private readonly initial: SymmetricState;

  /** Every live session, in least-recently-active-first order (re-inserted on activity). */
  private readonly all = new Set<Session>();
  /** The session used to send to a peer. */
  private readonly byPeer = new Map<string, Session>();
  /** Alice: NS attempts awaiting an NSR, per peer (oldest first). Bob: unconfirmed NS sessions, per peer. */
  private readonly pendingOut = new Map<string, Session[]>();
  private readonly pendingIn = new Map<string, Session[]>();
  private readonly tags = new Map<bigint, TagEntry>();
  private readonly replay = new Map<string, number>();
  /** The tag set of the last ES received (i2pd m_LastTagset), for the missing-tag fallback. */
  private lastTagset: ReceiveTagSet | null = null;
  readonly replyKeys: ReplyKeyTable;

  constructor(opts: GarlicEngineOptions) {
    this.staticKey = opts.staticKey;
    this.now = opts.now ?? Date.now;
    this.random = opts.random ?? systemRandom;
    this.maxSessions = opts.maxSessions ?? 2048;
    this.maxInboundTags = opts.maxInboundTags ?? 262_144;
    this.maxPendingPerPeer = opts.maxPendingPerPeer ?? 4;
    this.ratchetThreshold = opts.ratchetThreshold ?? TAGSET_MAX_NUM_TAGS;
    this.maxSkew = opts.maxClockSkewMs === undefined ? 5 * 60_000 : opts.maxClockSkewMs;
    this.replayCacheSize = opts.replayCacheSize ?? 16_384;
    this.padding = opts.padding ?? true;
    this.replyKeys = new ReplyKeyTable(opts.maxReplyKeys ?? 1024);
    this.initial = initialState(this.staticKey.publicKey);
    if (this.maxSessions < 1 || this.maxInboundTags < 1 || this.maxPendingPerPeer < 1) throw new RangeError('bounds must be >= 1');
    if (this.ratchetThreshold < 1 || this.ratchetThreshold > 65000) throw new RangeError('ratchetThreshold out of range');
  }

  get publicKey(): Uint8Array {
    return this.staticKey.publicKey;
  }

  // ------------------------------------------------------------------ encrypt

  /**
   * Wraps `blocks` for the peer with static key `peerStaticKey`: an ES when a session is established, an NSR
   * while we owe the peer a reply, otherwise a new NS (bound to our static key). The engine adds DateTime (NS,
   * NSR), Ack, NextKey and Padding blocks itself. Throws RangeError on misuse (oversized payload), CryptoError
   * if the peer's key is unusable.
   */
  encrypt(peerStaticKey: Uint8Array, blocks: readonly Block[]): EncryptResult {
    if (peerStaticKey.length !== 32) throw new RangeError('peer static key must be 32 bytes');
    const now = this.now();
    const id = toHex(peerStaticKey);
    let s = this.byPeer.get(id);
    // restart (new NS) when terminated, inactive (i2pd IsInactive) or out of tags; the old session keeps
    // receiving until it expires
    if (s && (s.terminated || (s.state === 'established' && (this.isInactive(s, now) || s.sendTagset!.exhausted)))) {
      this.byPeer.delete(id);
      s = undefined;
    }
    if (!s) return this.newSession(peerStaticKey, id, blocks, now);
    s.lastSent = now;
    this.touch(s);
    if (s.state === 'ns-received' || s.state === 'nsr-sent') return this.newSessionReply(s, blocks, now);
    return this.existingSession(s, blocks, now);
  }

  /** A one-time NS (all-zero flags section: no binding, no session, no reply possible). */
  encryptOneTime(peerStaticKey: Uint8Array, blocks: readonly Block[]): Uint8Array {
    const payload = this.buildPayload(null, blocks, true, this.now());
    return createNewSession(peerStaticKey, null, payload, this.random).message;
  }

  private newSession(peer: Uint8Array, id: string, blocks: readonly Block[], now: number): EncryptResult {
    const payload = this.buildPayload(null, blocks, true, now);
    const ns = createNewSession(peer, this.staticKey, payload, this.random);
    const s = new Session('ns-sent', Uint8Array.prototype.slice.call(peer), ns.state, now);
    s.ephemeral = ns.ephemeral;
    s.lastSent = now;
    this.admit(s);
    const attempts = this.pendingOut.get(id) ?? [];
    attempts.push(s);
    this.pendingOut.set(id, attempts);
    while (attempts.length > this.maxPendingPerPeer) this.dropSession(attempts[0]!);
    const nsrTs = new ReceiveTagSet(new RatchetTagSet(ns.state.ck, nsrTagsetKey(ns.state.ck)), s, true);
    nsrTs.expire(now + PREVIOUS_TAGSET_EXPIRATION_TIMEOUT_MS); // let an unanswered NS expire
    s.receiveTagsets.add(nsrTs);
    this.generateTags(nsrTs, NSR_NUM_GENERATED_TAGS);
    return { data: ns.message, kind: 'new-session' };
  }

  private newSessionReply(s: Session, blocks: readonly Block[], now: number): EncryptResult {
    if (s.state === 'ns-received') {
      // first NSR: ee/se, split, both data-phase tag sets (i2pd NewSessionReplyMessage)
      const r = prepareNsr(s.nsState!, s.aepk!, s.remoteStatic, this.random);
      s.nsr = r;
      s.nsrSendTagset = new RatchetTagSet(s.nsState!.ck, nsrTagsetKey(s.nsState!.ck));
      const rts = new ReceiveTagSet(new RatchetTagSet(r.chainKey, r.kAB), s, false);
      s.receiveTagsets.add(rts);
      s.sendTagset = new RatchetTagSet(r.chainKey, r.kBA);
      this.generateTags(rts, MIN_NUM_GENERATED_TAGS);
      s.state = 'nsr-sent';
      s.createdAt = now;
    }
    const t = s.nsrSendTagset!.nextTag();
    if (!t) throw new RangeError('NSR tag set exhausted');
    const payload = this.buildPayload(s, blocks, true, now);
    return { data: createNsr(s.nsr!, t.tag, payload), kind: 'new-session-reply' };
  }

  private existingSession(s: Session, blocks: readonly Block[], now: number): EncryptResult {
    const ts = s.sendTagset!;
    const payload = this.buildPayload(s, blocks, false, now);
    const t = ts.nextTag()!; // not exhausted: checked in encrypt()
    const k = ts.keyFor(t.index)!;
    k.commit();
    const c = chachaEncrypt(k.key, nonceFromCounter(t.index), payload, t.tag);
    const data = new Uint8Array(SESSION_TAG_SIZE + c.length);
    data.set(t.tag, 0);
    data.set(c, SESSION_TAG_SIZE);
    if (t.index >= this.ratchetThreshold && !s.sendForwardKey) this.newNextSendRatchet(s);
    return { data, kind: 'existing', tagsetId: ts.id, index: t.index };
  }

  /** i2pd CreatePayload order: DateTime, caller's blocks, Ack, NextKey (reverse, forward), Padding. */
  private buildPayload(s: Session | null, blocks: readonly Block[], first: boolean, now: number): Uint8Array {
    const out: Block[] = [];
    if (first) out.push({ type: BlockType.DateTime, timestamp: Math.floor(now / 1000) });
    let userPadding: Block | null = null;
    for (const b of blocks) {
      if (b.type === BlockType.Padding) userPadding = b;
      else out.push(b);
    }
    if (s && !first) {
      if (s.ackRequests.length) {
        out.push({ type: BlockType.Ack, acks: s.ackRequests });
        s.ackRequests = [];
      }
      if (s.sendReverseKey && s.nextReceiveRatchet) {
        const r = s.nextReceiveRatchet;
        let flags = NEXT_KEY_REVERSE;
        let keyId = r.keyId - 1;
        if (r.newKey) {
          flags |= NEXT_KEY_KEY_PRESENT;
          keyId++;
        }
        out.push(r.newKey ? { type: BlockType.NextKey, flags, keyId, publicKey: r.key!.publicKey } : { type: BlockType.NextKey, flags, keyId });
        s.sendReverseKey = false;
      }
      if (s.sendForwardKey && s.nextSendRatchet) {
        const r = s.nextSendRatchet;
        let flags = r.newKey ? NEXT_KEY_KEY_PRESENT : NEXT_KEY_REQUEST_REVERSE;
        if (r.keyId === 0) flags |= NEXT_KEY_REQUEST_REVERSE;
        out.push(r.newKey ? { type: BlockType.NextKey, flags, keyId: r.keyId, publicKey: r.key!.publicKey } : { type: BlockType.NextKey, flags, keyId: r.keyId });
      }
    }
    if (userPadding) out.push(userPadding);
    else if (this.padding) out.push({ type: BlockType.Padding, padding: new Uint8Array(1 + (this.random.bytes(1)[0]! & 0x0f)) });
    const payload = serializeBlocks(out);
    if (payload.length > MAX_ENGINE_PAYLOAD) throw new RangeError(`payload of ${payload.length} bytes exceeds ${MAX_ENGINE_PAYLOAD}`);
    return payload;
  }

  /** i2pd NewNextSendRatchet. */
  private newNextSendRatchet(s: Session): void {
    let r = s.nextSendRatchet;
    if (r) {
      if (!r.newKey || r.keyId === 0) {
        r.keyId++;
        r.newKey = true;
      } else r.newKey = false;
    } else {
      r = { keyId: 0, key: null, remote: null, newKey: true };
      s.nextSendRatchet = r;
    }
    if (r.keyId > 32767) {
      // key ids exhausted: stop ratcheting; the session restarts when its tag set runs out
      return;
    }
    if (r.newKey) r.key = new X25519Key(this.random.bytes(32));
    s.sendForwardKey = true;
  }

  // ------------------------------------------------------------------ decrypt

  /**
   * Decrypts garlic `data`: tag lookup first (ES, NSR, reply keys), then NS with our static key.
   * Throws ParseError (TRUNCATED, block codes) or CryptoError (BAD_TAG, ELLIGATOR_RANGE, LOW_ORDER, BAD_KEY,
   * NO_KEY, REPLAY, STALE). A message that fails changes no state.
   */
  decrypt(data: Uint8Array): DecryptResult {
    const now = this.now();
    if (data.length < ES_OVERHEAD) throw new ParseError('TRUNCATED', 'Garlic', data.length, `garlic data needs at least ${ES_OVERHEAD} bytes`);
    const entry = this.tags.get(tagId(data));
    if (entry) {
      if (entry.rts.expiresAt !== null && now > entry.rts.expiresAt) {
        this.removeTag(entry.rts, entry.index);
        throw new CryptoError('NO_KEY', 'session tag expired');
      }
      return entry.rts.isNsr ? this.handleNsr(entry, data, now) : this.handleEs(entry, data, now);
    }
    const reply = this.replyKeys.tryDecrypt(data, now);
    if (reply) return { kind: 'reply-key', blocks: parseBlocks(reply) };
    try {
      if (data.length < NS_OVERHEAD) throw new CryptoError('NO_KEY', 'unknown session tag');
      return this.handleNs(data, now);
    } catch (e) {
      const r = this.tryLastTagset(data, now);
      if (r) return r;
      throw e;
    }
  }

  /**
   * i2pd GarlicDestination::HandleGarlicMessage fallback: an unknown tag that is not an NS may be a tag of the
   * last tag set we received on, beyond our look-ahead (the sender's messages in between were lost). Search up
   * to 320 tags further (only while that set holds fewer than 3*320 indices), without changing anything unless
   * the tag is found and the message authenticates. A failed search disables the fallback until the next ES.
   */
  private tryLastTagset(data: Uint8Array, now: number): DecryptResult | null {
    const rts = this.lastTagset;
    if (!rts) return null;
    this.lastTagset = null;
    if (!rts.session.receiveTagsets.has(rts) || (rts.expiresAt !== null && now > rts.expiresAt)) return null;
    if (rts.ts.nextIndex - rts.trimBehind >= 3 * MAX_NUM_GENERATED_TAGS) return null;
    const want = data.subarray(0, SESSION_TAG_SIZE);
    const steps = rts.ts.findAhead(MAX_NUM_GENERATED_TAGS, (tag) => equalBytes(tag, want));
    if (steps === 0) return null;
    const index = rts.ts.nextIndex + steps - 1;
    // verify before registering the tags in between
    const k = rts.ts.keyFor(index);
    if (!k) return null;
    try {
      parseBlocks(chachaDecrypt(k.key, nonceFromCounter(index), data.subarray(SESSION_TAG_SIZE), want));
    } catch {
      return null;
    }
    if (this.tags.size + steps > this.maxInboundTags) return null;
    this.generateTags(rts, steps);
    return this.handleEs({ rts, index }, data, now);
  }

  private handleEs(entry: TagEntry, data: Uint8Array, now: number): DecryptResult {
    const { rts, index } = entry;
    const s = rts.session;
    const k = rts.ts.keyFor(index);
    if (!k) throw new CryptoError('NO_KEY', 'no key for this tag');
    const plain = chachaDecrypt(k.key, nonceFromCounter(index), data.subarray(SESSION_TAG_SIZE), data.subarray(0, SESSION_TAG_SIZE));
    const blocks = parseBlocks(plain, 'ExistingSession');
    // authentic and well-formed: commit
    k.commit();
    this.removeTag(rts, index);
    this.lastTagset = rts;
    s.lastActivity = now;
    this.touch(s);
    if (s.state === 'nsr-sent') this.confirmInbound(s, now);
    for (const b of blocks) {
      switch (b.type) {
        case BlockType.NextKey:
          this.handleNextKey(s, b, rts, now);
          break;
        case BlockType.AckRequest:
          if (s.ackRequests.length < MAX_ACK_REQUESTS) s.ackRequests.push({ tagsetId: rts.ts.id, n: index });
          break;
        case BlockType.Termination:
          s.terminated = true;
          if (this.byPeer.get(s.remoteId) === s) this.byPeer.delete(s.remoteId);
          rts.expire(now + PREVIOUS_TAGSET_EXPIRATION_TIMEOUT_MS);
          break;
        default:
          break;
      }
    }
    // look-ahead window (i2pd HandleExistingSessionMessage, default settings)
    const want = Math.min(MIN_NUM_GENERATED_TAGS + (index >> 2), MAX_NUM_GENERATED_TAGS) - (rts.ts.nextIndex - index);
    if (want > 0 && !s.terminated) this.generateTags(rts, want);
    const trim = index - MAX_NUM_GENERATED_TAGS;
    if (trim > rts.trimBehind) this.trim(rts, trim);
    return { kind: 'existing', peer: s.remoteStatic, tagsetId: rts.ts.id, index, blocks };
  }

  private handleNsr(entry: TagEntry, data: Uint8Array, now: number): DecryptResult {
    const { rts, index } = entry;
    const s = rts.session;
    const r = readNsr(s.nsState!, s.ephemeral!, this.staticKey, data);
    const blocks = parseBlocks(r.payload, 'NewSessionReply');
    this.removeTag(rts, index);
    s.lastActivity = now;
    this.touch(s);
    if (rts.ts.nextIndex - index < NSR_NUM_GENERATED_TAGS / 2) this.generateTags(rts, NSR_NUM_GENERATED_TAGS);
    if (s.state === 'ns-sent') {
      // first NSR: data-phase tag sets (later NSRs keep them, as i2pd)
      s.sendTagset = new RatchetTagSet(r.chainKey, r.kAB);
      const recv = new ReceiveTagSet(new RatchetTagSet(r.chainKey, r.kBA), s, false);
      s.receiveTagsets.add(recv);
      this.generateTags(recv, MIN_NUM_GENERATED_TAGS);
      s.state = 'established';
      s.createdAt = now;
      // this attempt wins; drop the other NS attempts to this peer
      const attempts = this.pendingOut.get(s.remoteId) ?? [];
      this.pendingOut.delete(s.remoteId);
      for (const a of attempts) if (a !== s) this.dropSession(a);
      this.install(s, now);
    }
    return { kind: 'new-session-reply', peer: s.remoteStatic, blocks };
  }

  private handleNs(data: Uint8Array, now: number): DecryptResult {
    const aepk = decodeNewSessionKey(data);
    const replayId = toHex(aepk);
    if (this.replay.has(replayId)) throw new CryptoError('REPLAY', 'new session ephemeral key seen before');
    const ns = readNewSession(this.staticKey, data, this.initial, aepk);
    const blocks = parseBlocks(ns.payload, 'NewSession');
    if (this.maxSkew !== null) checkDateTime(blocks, now, this.maxSkew);
    this.rememberReplay(replayId, now);
    if (!ns.aliceStatic) return { kind: 'new-session', peer: null, blocks };
    const peer = Uint8Array.prototype.slice.call(ns.aliceStatic);
    const s = new Session('ns-received', peer, ns.state, now);
    s.aepk = aepk;
    this.admit(s);
    const pend = this.pendingIn.get(s.remoteId) ?? [];
    pend.push(s);
    this.pendingIn.set(s.remoteId, pend);
    while (pend.length > this.maxPendingPerPeer) this.dropSession(pend[0]!);
    this.install(s, now);
    return { kind: 'new-session', peer, blocks };
  }

  /** i2pd HandleNextKey. */
  private handleNextKey(s: Session, b: Extract<Block, { type: typeof BlockType.NextKey }>, rts: ReceiveTagSet, now: number): void {
    const flags = b.flags;
    const keyId = b.keyId;
    if (flags & NEXT_KEY_REVERSE) {
      const r = s.nextSendRatchet;
      if (!s.sendForwardKey || !r || !r.key) return;
      const expected = ((!r.newKey || r.keyId === 0) && keyId === r.keyId) || (r.newKey && keyId === r.keyId - 1);
      if (!expected) return;
      const remote = flags & NEXT_KEY_KEY_PRESENT ? b.publicKey! : r.remote;
      if (!remote) return;
      let ss: Uint8Array;
      try {
        ss = r.key.dh(remote);
      } catch {
        return; // a bad key from an authenticated peer: ignore the block
      }
      r.remote = remote;
      const old = s.sendTagset!;
      s.sendTagset = new RatchetTagSet(old.nextRootKey, dhRatchetTagsetKey(ss), 1 + r.keyId + keyId);
      s.sendForwardKey = false;
      return;
    }
    // forward key from the tag sender
    const newKey = (flags & NEXT_KEY_REQUEST_REVERSE) !== 0;
    s.sendReverseKey = true;
    const prev = s.nextReceiveRatchet;
    if (prev && keyId === prev.keyId && newKey === prev.newKey) return; // duplicate
    const remote = flags & NEXT_KEY_KEY_PRESENT ? b.publicKey! : prev?.remote ?? null;
    const key = newKey ? new X25519Key(this.random.bytes(32)) : prev?.key ?? null;
    if (!remote || !key) {
      if (!prev) s.sendReverseKey = false;
      return;
    }
    let ss: Uint8Array;
    try {
      ss = key.dh(remote);
    } catch {
      if (!prev) s.sendReverseKey = false;
      return;
    }
    // i2pd keeps keyID 0 for the very first ratchet whatever the block says
    const r: DhRatchet = prev ?? { keyId: 0, key: null, remote: null, newKey: true };
    if (prev) r.keyId = keyId;
    r.key = key;
    r.remote = remote;
    r.newKey = newKey;
    s.nextReceiveRatchet = r;
    const tagsetId = 2 * keyId + (newKey ? 1 : 0); // i2pd: from the block's key id
    const next = new ReceiveTagSet(new RatchetTagSet(rts.ts.nextRootKey, dhRatchetTagsetKey(ss), tagsetId), s, false);
    s.receiveTagsets.add(next);
    // bound per session (i2pd has none): a peer ratcheting faster than old sets expire loses the oldest
    for (const old of s.receiveTagsets) {
      if (s.receiveTagsets.size <= MAX_RECEIVE_TAGSETS) break;
      if (old !== next && old !== rts) this.dropTagset(old);
    }
    this.generateTags(next, MAX_NUM_GENERATED_TAGS);
    rts.expire(now + PREVIOUS_TAGSET_EXPIRATION_TIMEOUT_MS);
  }

  // ------------------------------------------------------------------ tables

  private isInactive(s: Session, now: number): boolean {
    return now > s.lastActivity + INACTIVITY_TIMEOUT_MS && now > s.createdAt + RESTART_TIMEOUT_MS;
  }

  /** Makes `s` the sending session for its peer unless a young established one exists (i2pd AddECIESx25519Session). */
  private install(s: Session, now: number): void {
    const cur = this.byPeer.get(s.remoteId);
    if (cur && cur !== s && cur.state === 'established' && !cur.terminated && now <= cur.createdAt + RESTART_TIMEOUT_MS) return;
    this.byPeer.set(s.remoteId, s);
  }

  /** Bob got Alice's first ES on `s`: it becomes the session; the other unconfirmed NS sessions go. */
  private confirmInbound(s: Session, now: number): void {
    s.state = 'established';
    s.nsState = null;
    s.nsr = null;
    s.nsrSendTagset = null;
    s.aepk = null;
    const pend = this.pendingIn.get(s.remoteId) ?? [];
    this.pendingIn.delete(s.remoteId);
    for (const p of pend) if (p !== s) this.dropSession(p);
    const cur = this.byPeer.get(s.remoteId);
    if (cur !== s) {
      if (cur && cur.state === 'established' && now <= cur.createdAt + RESTART_TIMEOUT_MS && !cur.terminated) {
        // keep the young existing session for sending (i2pd); s still receives
      } else this.byPeer.set(s.remoteId, s);
    }
  }

  private admit(s: Session): void {
    while (this.all.size >= this.maxSessions) {
      // evict: an unconfirmed session first, else the least recently active
      let victim: Session | undefined;
      for (const x of this.all) {
        if (x.state !== 'established') {
          victim = x;
          break;
        }
      }
      victim ??= this.all.values().next().value;
      if (!victim) break;
      this.dropSession(victim);
    }
    this.all.add(s);
  }

  private touch(s: Session): void {
    if (this.all.delete(s)) this.all.add(s);
  }

  private dropSession(s: Session): void {
    this.all.delete(s);
    if (this.lastTagset?.session === s) this.lastTagset = null;
    for (const rts of s.receiveTagsets) this.dropTagset(rts);
    s.receiveTagsets.clear();
    if (this.byPeer.get(s.remoteId) === s) this.byPeer.delete(s.remoteId);
    for (const m of [this.pendingOut, this.pendingIn]) {
      const list = m.get(s.remoteId);
      if (!list) continue;
      const i = list.indexOf(s);
      if (i >= 0) list.splice(i, 1);
      if (list.length === 0) m.delete(s.remoteId);
    }
    s.terminated = true;
  }

  private dropTagset(rts: ReceiveTagSet): void {
    for (const id of rts.live.values()) this.tags.delete(id);
    rts.live.clear();
    rts.session.receiveTagsets.delete(rts);
  }

  private generateTags(rts: ReceiveTagSet, n: number): void {
    for (let i = 0; i < n; i++) {
      if (this.tags.size >= this.maxInboundTags) return;
      const t = rts.ts.nextTag();
      if (!t) return;
      const id = tagId(t.tag);
      if (this.tags.has(id)) continue; // 2^-64 collision: keep the first
      this.tags.set(id, { rts, index: t.index });
      rts.live.set(t.index, id);
    }
  }

  private removeTag(rts: ReceiveTagSet, index: number): void {
    const id = rts.live.get(index);
    if (id !== undefined) {
      this.tags.delete(id);
      rts.live.delete(index);
    }
    rts.ts.dropKey(index);
  }

  private trim(rts: ReceiveTagSet, below: number): void {
    rts.trimBehind = below;
    for (const [index, id] of rts.live) {
      if (index >= below) break;
      this.tags.delete(id);
      rts.live.delete(index);
      rts.ts.dropKey(index);
    }
  }

  private rememberReplay(id: string, now: number): void {
    this.replay.delete(id);
    while (this.replay.size >= this.replayCacheSize) {
      const oldest = this.replay.keys().next().value;
      if (oldest === undefined) break;
      this.replay.delete(oldest);
    }
    // an NS older than the clock skew window is refused anyway, so entries can go after twice that
    this.replay.set(id, now + 2 * (this.maxSkew ?? 5 * 60_000));
  }

  /** Housekeeping: expire sessions, tag sets, replay entries and reply keys. Call every few seconds. */
  tick(): void {
    const now = this.now();
    for (const s of [...this.all]) {
      const expired = now > s.lastActivity + RECEIVE_EXPIRATION_TIMEOUT_MS && now > s.lastSent + SEND_EXPIRATION_TIMEOUT_MS;
      if (expired || (s.terminated && s.receiveTagsets.size === 0)) {
        this.dropSession(s);
        continue;
      }
      for (const rts of [...s.receiveTagsets]) if (rts.expiresAt !== null && now > rts.expiresAt) this.dropTagset(rts);
      if (s.state === 'ns-sent' && s.receiveTagsets.size === 0) this.dropSession(s); // NS never answered
      else if (s.terminated && s.receiveTagsets.size === 0) this.dropSession(s);
    }
    for (const [id, exp] of this.replay) if (now > exp) this.replay.delete(id);
    this.replyKeys.expire(now);
  }

  /** Registers a proposal-154 reply key and tag we put in an outgoing lookup. */
  addReplyKey(key: Uint8Array, tag: Uint8Array, ttlMs = 60_000): void {
    this.replyKeys.add(key, tag, this.now() + ttlMs);
  }

  /** Drops everything about a peer (e.g. its LeaseSet changed key). */
  forget(peerStaticKey: Uint8Array): void {
    const id = toHex(peerStaticKey);
    for (const s of [...this.all]) if (s.remoteId === id) this.dropSession(s);
  }

  /** True when the session owes the peer an Ack or a reverse NextKey (send an ES, possibly with no blocks). */
  hasPendingControl(peerStaticKey: Uint8Array): boolean {
    const s = this.byPeer.get(toHex(peerStaticKey));
    return !!s && s.state === 'established' && (s.ackRequests.length > 0 || s.sendReverseKey);
  }

  sessionInfo(peerStaticKey: Uint8Array): SessionInfo | null {
    const s = this.byPeer.get(toHex(peerStaticKey));
    if (!s) return null;
    return {
      state: s.state,
      sendTagsetId: s.sendTagset?.id ?? null,
      sendIndex: s.sendTagset?.nextIndex ?? null,
      receiveTagsetIds: [...s.receiveTagsets].filter((r) => !r.isNsr).map((r) => r.ts.id),
      createdAt: s.createdAt,
      lastActivity: s.lastActivity,
    };
  }

  stats(): GarlicStats {
    let pending = 0;
    for (const l of this.pendingOut.values()) pending += l.length;
    return { sessions: this.all.size, inboundTags: this.tags.size, pendingAttempts: pending, replayCache: this.replay.size, replyKeys: this.replyKeys.size };
  }
}
