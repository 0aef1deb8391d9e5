/**
 * Tunnel creator: builds a ShortTunnelBuild (25) or VariableTunnelBuild (23) message for a list of ECIES hops
 * and reads the reply (ShortTunnelBuild / OutboundTunnelBuildReply 26 for short builds,
 * VariableTunnelBuild / VariableTunnelBuildReply 24 for long ones). Sans-IO: records in, records out.
 *
 * Spec: ../shared/specs/spec/tunnel-creation-ecies.rst "Symmetric Encryption of Records", "Build Records"
 * (Implementation Notes), "Message Flow"; ../shared/specs/docs/tunnels-implementation.html "Tunnel Creation".
 * i2pd 2.45.1: libi2pd/Tunnel.cpp Tunnel::Build / Tunnel::HandleTunnelBuildResponse, TunnelConfig.h
 * TunnelConfig (inbound / outbound constructors), TunnelHopConfig::SetNext / SetReplyHop.
 *
 * Placement, as i2pd does it:
 *  - numRecords = 4 when hops <= 4, else 8 (i2pd STANDARD_NUM_RECORDS / MAX_NUM_RECORDS); overridable.
 *  - every record index shuffled; unused slots filled with random bytes.
 *  - each hop's record is pre-"decrypted" with the symmetric layer of every earlier hop, last earlier hop
 *    first, so each hop's layer reveals the next one's record (ChaCha20 is its own inverse; long records use
 *    AES-CBC decrypt here and the hop encrypts).
 *  - inbound: hops[0] is the IBGW, the last hop's next router is us and its next tunnel id (random) is the
 *    id this tunnel delivers to us on; outbound: the last hop is the OBEP and forwards the reply to the
 *    given reply tunnel; hops[0] is not flagged (we are the gateway).
 *  - the last hop's next message id is `replyMsgId` (how the reply is matched); others are random.
 * Not done (same as i2pd 2.45.1): the spec's extra "fake record for the originating router" in inbound builds.
 */
import { ParseError } from '../../data/errors.js';
import { checkUint, type Mapping } from '../../data/primitives.js';
import { I2NPType } from '../../i2np/header.js';
import type { Random } from '../../crypto/random.js';
import {
  BUILD_FLAG_IBGW,
  BUILD_FLAG_OBEP,
  DEFAULT_REQUEST_EXPIRATION,
  LAYER_ENCRYPTION_AES,
  LONG_RECORD_SIZE,
  SHORT_RECORD_SIZE,
  decryptOtherRecord,
  encryptLongRequestRecord,
  encryptShortRequestRecord,
  openReplyRecord,
  type BuildHopKey,
  type BuildRequestFields,
  type ReplyCrypto,
} from './records.js';

export const STANDARD_NUM_RECORDS = 4;
export const MAX_NUM_RECORDS = 8;

export interface TunnelBuildHop extends BuildHopKey {
  /** Build options for this hop (e.g. bandwidth "m"/"r"/"l"); empty by default. */
  options?: Mapping;
}

export interface CreateTunnelBuildOptions {
  /** 'short': ShortTunnelBuild with 218-byte records; 'long': VariableTunnelBuild with 528-byte records. */
  format: 'short' | 'long';
  direction: 'inbound' | 'outbound';
  /** 1..8 hops, gateway first. */
  hops: readonly TunnelBuildHop[];
  /** Inbound: our router hash (the last hop forwards the build to us). */
  ourHash?: Uint8Array;
  /** Outbound: the gateway router and tunnel id of the (inbound) tunnel the OBEP sends the reply into. */
  replyRouter?: Uint8Array;
  replyTunnelId?: number;
  /** The message id the reply arrives with. */
  replyMsgId: number;
  /** Records in the message (hops..8); default 4 for up to 4 hops, else 8. */
  numRecords?: number;
  /** Milliseconds since the epoch (request time is written in minutes). */
  now: number;
  random: Random;
}

export interface PendingHop {
  routerHash: Uint8Array;
  recordIndex: number;
  receiveTunnelId: number;
  nextTunnelId: number;
  nextIdent: Uint8Array;
  flags: number;
  layerKey: Uint8Array;
  ivKey: Uint8Array;
  reply: ReplyCrypto;
}

export interface PendingTunnelBuild {
  format: 'short' | 'long';
  direction: 'inbound' | 'outbound';
  /** ShortTunnelBuild (25) or VariableTunnelBuild (23). */
  messageType: number;
  /**
   * The type the reply arrives as: inbound builds come back as the build type itself (the last hop forwards
   * it to us); outbound ones as OutboundTunnelBuildReply (26) / VariableTunnelBuildReply (24).
   */
  replyMessageType: number;
  replyMsgId: number;
  /** The build message's records, ready for serializeShortTunnelBuild / serializeVariableTunnelBuild. */
  records: Uint8Array[];
  /** Gateway first. Holds key material: never log. */
  hops: PendingHop[];
  /**
   * i2pd TunnelConfig::GetTunnelID: inbound → the last hop's next tunnel id (we receive on it);
   * outbound → hops[0].receiveTunnelId (we send TunnelData with it to hops[0]).
   */
  tunnelId: number;
  /**
   * Outbound short builds whose reply router is not the OBEP itself: the OBEP garlic-wraps the
   * OutboundTunnelBuildReply as an ECIES existing-session message with this key and 8-byte tag; hand them to
   * the garlic layer before sending (i2pd Tunnel::Build → AddECIESx25519Key).
   */
  garlicReply?: { key: Uint8Array; tag: Uint8Array };
}

function nonZeroU32(random: Random): number {
  return random.int(1, 0x1_0000_0000);
}

/** Fisher–Yates with the injected RNG. */
function shuffled(n: number, random: Random): number[] {
  const a = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = random.int(0, i + 1);
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

/** Create the build message for `opts.hops`. RangeError on misuse (hop count, missing reply parameters). */
export function createTunnelBuild(opts: CreateTunnelBuildOptions): PendingTunnelBuild {
  const { hops, random } = opts;
  const n = hops.length;
  if (n < 1 || n > MAX_NUM_RECORDS) throw new RangeError(`a tunnel build needs 1..${MAX_NUM_RECORDS} hops, got ${n}`);
  const numRecords = opts.numRecords ?? (n <= STANDARD_NUM_RECORDS ? STANDARD_NUM_RECORDS : MAX_NUM_RECORDS);
  if (!Number.isInteger(numRecords) || numRecords < n || numRecords > MAX_NUM_RECORDS) throw new RangeError(`numRecords must be ${n}..${MAX_NUM_RECORDS}`);
  checkUint(opts.replyMsgId, 32, 'replyMsgId');
  let lastNextIdent: Uint8Array;
  let lastNextTunnel: number;
  if (opts.direction === 'inbound') {
    if (!opts.ourHash || opts.ourHash.length !== 32) throw new RangeError('inbound build needs ourHash (32 bytes)');
    lastNextIdent = opts.ourHash;
    lastNextTunnel = nonZeroU32(random);
  } else {
    if (!opts.replyRouter || opts.replyRouter.length !== 32) throw new RangeError('outbound build needs replyRouter (32 bytes)');
    checkUint(opts.replyTunnelId ?? -1, 32, 'replyTunnelId');
    lastNextIdent = opts.replyRouter;
    lastNextTunnel = opts.replyTunnelId!;
  }

  const receiveIds = hops.map(() => nonZeroU32(random));
  const order = shuffled(numRecords, random);
  const recordSize = opts.format === 'short' ? SHORT_RECORD_SIZE : LONG_RECORD_SIZE;
  const records: Uint8Array[] = new Array(numRecords);
  const requestTime = Math.floor(opts.now / 60_000);
  const pending: PendingHop[] = [];
  let garlic: { key: Uint8Array; tag: Uint8Array } | undefined;

  for (let i = 0; i < n; i++) {
    const hop = hops[i]!;
    const last = i === n - 1;
    let flags = 0;
    if (opts.direction === 'inbound' && i === 0) flags |= BUILD_FLAG_IBGW;
    if (opts.direction === 'outbound' && last) flags |= BUILD_FLAG_OBEP;
    const fields: BuildRequestFields = {
      receiveTunnelId: receiveIds[i]!,
      nextTunnelId: last ? lastNextTunnel : receiveIds[i + 1]!,
      nextIdent: last ? lastNextIdent : hops[i + 1]!.routerHash,
      flags,
      layerEncryptionType: LAYER_ENCRYPTION_AES,
      requestTime,
      requestExpiration: DEFAULT_REQUEST_EXPIRATION,
      nextMsgId: last ? opts.replyMsgId : random.int(0, 0x1_0000_0000),
      options: hop.options ?? [],
    };
    const recordIndex = order[i]!;
    let layerKey: Uint8Array;
    let ivKey: Uint8Array;
    let reply: ReplyCrypto;
    if (opts.format === 'short') {
      const r = encryptShortRequestRecord(hop, fields, random);
      records[recordIndex] = r.record;
      ({ layerKey, ivKey } = r.keys);
      reply = r.reply;
      if (last && opts.direction === 'outbound' && r.keys.garlicReplyKey && !sameHash(hop.routerHash, lastNextIdent)) {
        garlic = { key: r.keys.garlicReplyKey, tag: r.keys.garlicReplyTag! };
      }
    } else {
      layerKey = random.bytes(32);
      ivKey = random.bytes(32);
      const r = encryptLongRequestRecord(hop, { ...fields, layerKey, ivKey, replyKey: random.bytes(32), replyIV: random.bytes(16) }, random);
      records[recordIndex] = r.record;
      reply = r.reply;
    }
    pending.push({
      routerHash: Uint8Array.prototype.slice.call(hop.routerHash),
      recordIndex,
      receiveTunnelId: fields.receiveTunnelId,
      nextTunnelId: fields.nextTunnelId,
      nextIdent: Uint8Array.prototype.slice.call(fields.nextIdent),
      flags,
      layerKey,
      ivKey,
      reply,
    });
  }
  for (let i = n; i < numRecords; i++) records[order[i]!] = random.bytes(recordSize);

  // Pre-decrypt: for each hop (second-to-last down to the first), undo its layer on every later hop's record.
  for (let i = n - 2; i >= 0; i--) {
    const h = pending[i]!;
    for (let j = i + 1; j < n; j++) {
      const idx = pending[j]!.recordIndex;
      records[idx] = decryptOtherRecord(h.reply, idx, records[idx]!);
    }
  }

  const build: PendingTunnelBuild = {
    format: opts.format,
    direction: opts.direction,
    messageType: opts.format === 'short' ? I2NPType.ShortTunnelBuild : I2NPType.VariableTunnelBuild,
    replyMessageType:
      opts.direction === 'inbound'
        ? opts.format === 'short' ? I2NPType.ShortTunnelBuild : I2NPType.VariableTunnelBuild
        : opts.format === 'short' ? I2NPType.OutboundTunnelBuildReply : I2NPType.VariableTunnelBuildReply,
    replyMsgId: opts.replyMsgId,
    records,
    hops: pending,
    tunnelId: opts.direction === 'inbound' ? lastNextTunnel : receiveIds[0]!,
  };
  if (garlic) build.garlicReply = garlic;
  return build;
}

function sameHash(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export interface HopReply {
  routerHash: Uint8Array;
  /** The reply byte: 0 accept, 30 TUNNEL_REJECT_BANDWIDTH, ... */
  status: number;
  options: Mapping;
  optionsMalformed: boolean;
}

export interface TunnelBuildResult {
  /** True when every hop replied 0. */
  accepted: boolean;
  /** One per hop, gateway first. */
  hops: HopReply[];
  /**
   * Layer keys, gateway first (for crypto/tunnel-layer TunnelLayer). The creator applies `decrypt` with the
   * last hop's layer first and the first hop's last, in both directions (i2pd keeps m_Hops in that order):
   * an outbound gateway before sending, an inbound endpoint after receiving.
   */
  layers: { layerKey: Uint8Array; ivKey: Uint8Array }[];
}

/**
 * Read the reply to `build`: undo the hops' layers last hop first, open each hop's own record (AEAD) and read
 * its status. The input records are not modified. Throws ParseError (record count or size) or
 * CryptoError('BAD_TAG') (a reply record was tampered with, or is not a reply for this build).
 */
export function readTunnelBuildReply(build: PendingTunnelBuild, replyRecords: readonly Uint8Array[]): TunnelBuildResult {
  const recordSize = build.format === 'short' ? SHORT_RECORD_SIZE : LONG_RECORD_SIZE;
  if (replyRecords.length !== build.records.length) {
    throw new ParseError('BAD_RECORD_COUNT', 'TunnelBuildReply', 0, `${replyRecords.length} records, expected ${build.records.length}`);
  }
  const recs = replyRecords.map((r, i) => {
    if (r.length !== recordSize) throw new ParseError('BAD_LENGTH', `TunnelBuildReply/records[${i}]`, 0, `record must be ${recordSize} bytes`);
    return Uint8Array.prototype.slice.call(r) as Uint8Array;
  });
  const replies: HopReply[] = new Array(build.hops.length);
  for (let i = build.hops.length - 1; i >= 0; i--) {
    const hop = build.hops[i]!;
    const opened = openReplyRecord(hop.reply, hop.recordIndex, recs[hop.recordIndex]!);
    replies[i] = { routerHash: hop.routerHash, ...opened };
    for (let j = i - 1; j >= 0; j--) {
      const idx = build.hops[j]!.recordIndex;
      recs[idx] = decryptOtherRecord(hop.reply, idx, recs[idx]!);
    }
  }
  return {
    accepted: replies.every((r) => r.status === 0),
    hops: replies,
    layers: build.hops.map((h) => ({ layerKey: h.layerKey, ivKey: h.ivKey })),
  };
}
