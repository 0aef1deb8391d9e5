/**
 * ECIES-X25519 tunnel build records: request and reply records, long (528 bytes, VariableTunnelBuild) and
 * short (218 bytes, ShortTunnelBuild / OutboundTunnelBuildReply), for both the creator and the hop.
 *
 * Spec: ../shared/specs/spec/tunnel-creation-ecies.rst
 *   "Long Record Specification" → "Request Record Unencrypted" (464 bytes), "Request Record Encrypted",
 *     "Reply Record Unencrypted" (512 bytes), "Symmetric Encryption of Records", "KDF for Initial ck and h",
 *     "KDF for Request Record", "Reply Record Encryption";
 *   "Short Record Specification" → "Short Request Record Unencrypted" (154 bytes), "Short Request Record
 *     Encrypted", "Short Reply Record Unencrypted" (202 bytes), "KDF", "Record Encryption".
 * i2pd 2.45.1: libi2pd/TunnelConfig.cpp (EncryptECIES, {Long,Short}ECIESTunnelHopConfig::
 * CreateBuildRequestRecord / DecryptBuildResponseRecord / DecryptRecord), I2NPProtocol.cpp
 * (HandleBuildRequestRecords, HandleShortTunnelBuildMsg), RouterContext.cpp DecryptECIESTunnelBuildRecord,
 * Crypto.cpp InitNoiseNState / ChaCha20.
 *
 * Request encryption is Noise "N" (Noise_N_25519_ChaChaPoly_SHA256): h = SHA256(name||0); ck = name||0;
 * MixHash(empty prologue); MixHash(hop's static X25519 key); MixHash(sender ephemeral); MixKey(DH);
 * EncryptAndHash(cleartext) with n = 0, ad = h. crypto/noise.ts SymmetricState does exactly that.
 *
 * Reply encryption:
 *   long:  own record: ChaChaPoly(k = ck, n = 0, ad = h) over 512 bytes; every other record: AES-256-CBC with
 *          the reply key and reply IV from the request cleartext, each record on its own (no chaining).
 *   short: reply key / layer key / IV key (and for the OBEP the garlic reply key and tag) from HKDF on ck
 *          ("SMTunnelReplyKey", "SMTunnelLayerKey", "TunnelLayerIVKey", "RGarlicKeyAndTag");
 *          own record: ChaChaPoly(k = replyKey, n = record index, ad = h) over 202 bytes; every other record:
 *          ChaCha20 stream with the reply key, nonce = 12 bytes all zero but byte 4 = record index.
 *
 * Deviations / i2pd details that the spec leaves open, followed here for byte compatibility:
 *  - The ChaCha20 stream on the other records starts at block counter 1 (i2pd Crypto.cpp ChaCha20:
 *    `iv[0] = htole32 (1)`), i.e. the same keystream the AEAD uses for its payload. The spec does not say.
 *  - i2pd fills the request padding (and leaves the reply padding) with zeros / stale bytes; we write random
 *    padding as the spec says. Neither side looks at padding.
 *  - i2pd never reads the request or reply options Mapping. We parse it leniently: a Mapping that does not
 *    parse is reported (`optionsMalformed`) but does not reject the record, so a creator that puts random
 *    bytes there still gets a tunnel, as with i2pd.
 *  - Stricter than i2pd: a receive tunnel id of 0 (spec: "nonzero") and a flags byte with both IBGW and OBEP
 *    set (spec: "Both cannot be set at once") are ParseError('BAD_FIELD').
 */
import { Reader, Writer, equalBytes } from '../../data/bytes.js';
import { ParseError } from '../../data/errors.js';
import { checkUint, readMapping, sizeOfMapping, writeMapping, type Mapping } from '../../data/primitives.js';
import { SymmetricState } from '../../crypto/noise.js';
import { hkdf } from '../../crypto/hash.js';
import { chachaDecrypt, chachaEncrypt, nonceFromCounter } from '../../crypto/chacha.js';
import { aesCbcDecrypt, aesCbcEncrypt } from '../../crypto/aes.js';
import { X25519Key } from '../../crypto/x25519.js';
import type { Random } from '../../crypto/random.js';
import { createCipheriv } from 'node:crypto';

// ---- sizes and offsets (i2pd I2NPProtocol.h) ----

export const LONG_RECORD_SIZE = 528;
export const SHORT_RECORD_SIZE = 218;
export const RECORD_TO_PEER_OFFSET = 0;
export const RECORD_TO_PEER_SIZE = 16;
export const RECORD_EPHEMERAL_OFFSET = RECORD_TO_PEER_OFFSET + RECORD_TO_PEER_SIZE; // 16
export const RECORD_ENCRYPTED_OFFSET = RECORD_EPHEMERAL_OFFSET + 32; // 48
export const MAC_SIZE = 16;

export const LONG_REQUEST_CLEARTEXT_SIZE = 464;
export const SHORT_REQUEST_CLEARTEXT_SIZE = 154;
export const LONG_REPLY_CLEARTEXT_SIZE = 512;
export const SHORT_REPLY_CLEARTEXT_SIZE = 202;

/** Short request cleartext layout (spec "Short Request Record Unencrypted"; i2pd SHORT_REQUEST_RECORD_*). */
export const SHORT_REQUEST_OFFSETS = {
  receiveTunnel: 0,
  nextTunnel: 4,
  nextIdent: 8,
  flags: 40,
  moreFlags: 41,
  layerEncryptionType: 43,
  requestTime: 44,
  requestExpiration: 48,
  nextMsgId: 52,
  options: 56,
} as const;
/** Long request cleartext layout (spec "Request Record Unencrypted"; i2pd ECIES_BUILD_REQUEST_RECORD_*). */
export const LONG_REQUEST_OFFSETS = {
  receiveTunnel: 0,
  nextTunnel: 4,
  nextIdent: 8,
  layerKey: 40,
  ivKey: 72,
  replyKey: 104,
  replyIV: 136,
  flags: 152,
  moreFlags: 153,
  requestTime: 156,
  requestExpiration: 160,
  nextMsgId: 164,
  options: 168,
} as const;

/** Largest options Mapping, length field included (spec: 98 short / 296 long request; 201 / 511 reply). */
export const MAX_SHORT_REQUEST_OPTIONS = 98;
export const MAX_LONG_REQUEST_OPTIONS = 296;
export const MAX_SHORT_REPLY_OPTIONS = 201;
export const MAX_LONG_REPLY_OPTIONS = 511;

/** Flags byte (spec "The flags field"): bit 7 IBGW ("allow messages from anyone"), bit 6 OBEP. */
export const BUILD_FLAG_IBGW = 0x80;
export const BUILD_FLAG_OBEP = 0x40;

/** The only request expiration the spec allows today (10 minutes). */
export const DEFAULT_REQUEST_EXPIRATION = 600;
/** Layer encryption type 0 = AES (the only one defined). */
export const LAYER_ENCRYPTION_AES = 0;

/** Reply byte values (spec/tunnel-creation.rst; the ECIES spec only uses 0 and 30, to avoid fingerprinting). */
export const BuildReplyStatus = {
  Accept: 0,
  RejectProbabilistic: 10,
  RejectTransient: 20,
  RejectBandwidth: 30,
  RejectCritical: 50,
} as const;

export const NOISE_N_PROTOCOL_NAME = 'Noise_N_25519_ChaChaPoly_SHA256';

const EMPTY = new Uint8Array(0);

// ---- fields ----

/** The fields common to both request cleartexts. */
export interface BuildRequestFields {
  /** Tunnel id the hop receives on; nonzero. */
  receiveTunnelId: number;
  nextTunnelId: number;
  /** Next router's identity hash (32 bytes). */
  nextIdent: Uint8Array;
  /** BUILD_FLAG_IBGW / BUILD_FLAG_OBEP or 0. */
  flags: number;
  /** Short records only (long records have no such field; 0 there). */
  layerEncryptionType: number;
  /** Minutes since the epoch, rounded down. */
  requestTime: number;
  /** Seconds since creation; 600. */
  requestExpiration: number;
  /** Message id the hop uses for the message it sends on (the reply, at the OBEP / last hop). */
  nextMsgId: number;
  options: Mapping;
}

/** The keys a long (528-byte) request carries explicitly. */
export interface LongRecordKeys {
  layerKey: Uint8Array;
  ivKey: Uint8Array;
  replyKey: Uint8Array;
  /** 16 bytes. */
  replyIV: Uint8Array;
}

export type LongBuildRequestFields = BuildRequestFields & LongRecordKeys;

/** A parsed request cleartext. */
export interface ParsedBuildRequest extends BuildRequestFields {
  /** The options field did not parse as a Mapping (then `options` is empty). */
  optionsMalformed: boolean;
}

/** Keys a short record derives from the Noise chaining key (spec "KDF"). */
export interface ShortRecordKeys {
  replyKey: Uint8Array;
  layerKey: Uint8Array;
  ivKey: Uint8Array;
  /** OBEP only: key and 8-byte tag for the garlic-wrapped OutboundTunnelBuildReply. */
  garlicReplyKey?: Uint8Array;
  garlicReplyTag?: Uint8Array;
}

/**
 * Everything needed, on either side, to encrypt or decrypt one hop's reply record and to apply that hop's
 * symmetric layer to the other records of the message.
 */
export type ReplyCrypto =
  | { kind: 'short'; h: Uint8Array; replyKey: Uint8Array }
  | { kind: 'long'; h: Uint8Array; ck: Uint8Array; replyKey: Uint8Array; replyIV: Uint8Array };

/** The X25519 identity of a hop as the creator sees it (from its RouterInfo). */
export interface BuildHopKey {
  /** SHA-256 of the hop's RouterIdentity (32 bytes). */
  routerHash: Uint8Array;
  /** The hop's X25519 encryption public key (RouterIdentity crypto key, type 4). */
  x25519PublicKey: Uint8Array;
}

// ---- cleartext codecs ----

function checkFields(f: BuildRequestFields): void {
  checkUint(f.receiveTunnelId, 32, 'receiveTunnelId');
  checkUint(f.nextTunnelId, 32, 'nextTunnelId');
  checkUint(f.flags, 8, 'flags');
  checkUint(f.layerEncryptionType, 8, 'layerEncryptionType');
  checkUint(f.requestTime, 32, 'requestTime');
  checkUint(f.requestExpiration, 32, 'requestExpiration');
  checkUint(f.nextMsgId, 32, 'nextMsgId');
  if (f.nextIdent.length !== 32) throw new RangeError('nextIdent must be 32 bytes');
}

function writeOptionsAndPadding(w: Writer, options: Mapping, max: number, random: Random): void {
  const size = sizeOfMapping(options);
  if (size > max) throw new RangeError(`build options Mapping of ${size} bytes exceeds ${max}`);
  writeMapping(w, options);
  const pad = w.buf.length - w.pos;
  if (pad > 0) w.bytes(random.bytes(pad));
}

/** Lenient Mapping read bounded by the cleartext: malformed → empty + flag. */
function readOptions(r: Reader): { options: Mapping; optionsMalformed: boolean } {
  try {
    return { options: readMapping(r), optionsMalformed: false };
  } catch (e) {
    if (e instanceof ParseError) return { options: [], optionsMalformed: true };
    throw e;
  }
}

/** The 154-byte short request cleartext, random padding. */
export function encodeShortRequestCleartext(f: BuildRequestFields, random: Random): Uint8Array {
  checkFields(f);
  const w = new Writer(SHORT_REQUEST_CLEARTEXT_SIZE);
  w.u32(f.receiveTunnelId).u32(f.nextTunnelId).bytes(f.nextIdent).u8(f.flags).zeros(2).u8(f.layerEncryptionType);
  w.u32(f.requestTime).u32(f.requestExpiration).u32(f.nextMsgId);
  writeOptionsAndPadding(w, f.options, MAX_SHORT_REQUEST_OPTIONS, random);
  return w.done();
}

function checkParsed(r: Reader, receiveTunnelId: number, flags: number, flagsAt: number): void {
  if (receiveTunnelId === 0) r.fail('BAD_FIELD', 'receive tunnel id is 0', 0);
  if ((flags & BUILD_FLAG_IBGW) && (flags & BUILD_FLAG_OBEP)) r.fail('BAD_FIELD', 'both IBGW and OBEP flags set', flagsAt);
}

/** Parse the 154-byte short request cleartext. ParseError only. */
export function decodeShortRequestCleartext(b: Uint8Array): ParsedBuildRequest {
  const r = new Reader(b, 'ShortBuildRequestRecord');
  if (b.length !== SHORT_REQUEST_CLEARTEXT_SIZE) r.fail('BAD_LENGTH', `cleartext must be ${SHORT_REQUEST_CLEARTEXT_SIZE} bytes`, 0);
  const receiveTunnelId = r.u32();
  const nextTunnelId = r.u32();
  const nextIdent = r.copy(32);
  const flags = r.u8();
  r.skip(2); // more flags
  const layerEncryptionType = r.u8();
  const requestTime = r.u32();
  const requestExpiration = r.u32();
  const nextMsgId = r.u32();
  checkParsed(r, receiveTunnelId, flags, SHORT_REQUEST_OFFSETS.flags);
  return { receiveTunnelId, nextTunnelId, nextIdent, flags, layerEncryptionType, requestTime, requestExpiration, nextMsgId, ...readOptions(r) };
}

/** The 464-byte long request cleartext, random padding. */
export function encodeLongRequestCleartext(f: LongBuildRequestFields, random: Random): Uint8Array {
  checkFields(f);
  for (const [k, n] of [['layerKey', 32], ['ivKey', 32], ['replyKey', 32], ['replyIV', 16]] as const) {
    if (f[k].length !== n) throw new RangeError(`${k} must be ${n} bytes`);
  }
  const w = new Writer(LONG_REQUEST_CLEARTEXT_SIZE);
  w.u32(f.receiveTunnelId).u32(f.nextTunnelId).bytes(f.nextIdent);
  w.bytes(f.layerKey).bytes(f.ivKey).bytes(f.replyKey).bytes(f.replyIV);
  w.u8(f.flags).zeros(3).u32(f.requestTime).u32(f.requestExpiration).u32(f.nextMsgId);
  writeOptionsAndPadding(w, f.options, MAX_LONG_REQUEST_OPTIONS, random);
  return w.done();
}

/** Parse the 464-byte long request cleartext. ParseError only. */
export function decodeLongRequestCleartext(b: Uint8Array): ParsedBuildRequest & LongRecordKeys {
  const r = new Reader(b, 'BuildRequestRecord');
  if (b.length !== LONG_REQUEST_CLEARTEXT_SIZE) r.fail('BAD_LENGTH', `cleartext must be ${LONG_REQUEST_CLEARTEXT_SIZE} bytes`, 0);
  const receiveTunnelId = r.u32();
  const nextTunnelId = r.u32();
  const nextIdent = r.copy(32);
  const layerKey = r.copy(32);
  const ivKey = r.copy(32);
  const replyKey = r.copy(32);
  const replyIV = r.copy(16);
  const flags = r.u8();
  r.skip(3);
  const requestTime = r.u32();
  const requestExpiration = r.u32();
  const nextMsgId = r.u32();
  checkParsed(r, receiveTunnelId, flags, LONG_REQUEST_OFFSETS.flags);
  return {
    receiveTunnelId, nextTunnelId, nextIdent, flags, layerEncryptionType: LAYER_ENCRYPTION_AES, requestTime, requestExpiration,
    nextMsgId, layerKey, ivKey, replyKey, replyIV, ...readOptions(r),
  };
}

// ---- Noise N ----

const PROTOCOL_H = (() => {
  const st = new SymmetricState(NOISE_N_PROTOCOL_NAME);
  return { h: st.h, ck: st.ck };
})();

/**
 * The state every build request to a router with static key `staticPublicKey` starts from:
 * InitializeSymmetric("Noise_N_25519_ChaChaPoly_SHA256"), MixHash(empty prologue), MixHash(hepk).
 * A hop can compute it once and clone it per record (i2pd RouterContext m_InitialNoiseState).
 */
export function buildRecordInitialState(staticPublicKey: Uint8Array): SymmetricState {
  if (staticPublicKey.length !== 32) throw new RangeError('X25519 public key must be 32 bytes');
  const st = new SymmetricState({ h: PROTOCOL_H.h, ck: PROTOCOL_H.ck });
  st.mixHash(EMPTY); // MixHash(null prologue): h = SHA256(h)
  st.mixHash(staticPublicKey);
  return st;
}

/** Short-record key schedule (spec "KDF"); `ck` is the chaining key after the request's MixKey. */
export function deriveShortRecordKeys(ck: Uint8Array, isObep: boolean): ShortRecordKeys {
  let kd = hkdf(ck, EMPTY, 'SMTunnelReplyKey', 64);
  const replyKey = kd.slice(32, 64);
  kd = hkdf(kd.subarray(0, 32), EMPTY, 'SMTunnelLayerKey', 64);
  const layerKey = kd.slice(32, 64);
  if (!isObep) return { replyKey, layerKey, ivKey: kd.slice(0, 32) };
  kd = hkdf(kd.subarray(0, 32), EMPTY, 'TunnelLayerIVKey', 64);
  const ivKey = kd.slice(32, 64);
  kd = hkdf(kd.subarray(0, 32), EMPTY, 'RGarlicKeyAndTag', 64);
  return { replyKey, layerKey, ivKey, garlicReplyKey: kd.slice(32, 64), garlicReplyTag: kd.slice(0, 8) };
}

function encryptRecord(hop: BuildHopKey, cleartext: Uint8Array, recordSize: number, random: Random): { record: Uint8Array; st: SymmetricState } {
  if (hop.routerHash.length !== 32) throw new RangeError('routerHash must be 32 bytes');
  const st = buildRecordInitialState(hop.x25519PublicKey);
  const eph = new X25519Key(random.bytes(32));
  st.mixHash(eph.publicKey);
  const shared = eph.dh(hop.x25519PublicKey);
  st.mixKey(shared);
  shared.fill(0);
  eph.privateKey.fill(0);
  const ct = st.encryptAndHash(cleartext);
  const record = new Uint8Array(recordSize);
  record.set(hop.routerHash.subarray(0, RECORD_TO_PEER_SIZE), RECORD_TO_PEER_OFFSET);
  record.set(eph.publicKey, RECORD_EPHEMERAL_OFFSET);
  record.set(ct, RECORD_ENCRYPTED_OFFSET);
  return { record, st };
}

export interface ShortRequestRecord {
  /** 218 bytes. */
  record: Uint8Array;
  /** Handshake hash after MixHash(ciphertext): the AD of this hop's reply. */
  h: Uint8Array;
  /** Chaining key after MixKey (before the short-record KDF). */
  ck: Uint8Array;
  keys: ShortRecordKeys;
  reply: ReplyCrypto;
}

/** Creator: encrypt a short request record to `hop` (Noise N with a fresh ephemeral key). */
export function encryptShortRequestRecord(hop: BuildHopKey, fields: BuildRequestFields, random: Random): ShortRequestRecord {
  const { record, st } = encryptRecord(hop, encodeShortRequestCleartext(fields, random), SHORT_RECORD_SIZE, random);
  const keys = deriveShortRecordKeys(st.ck, (fields.flags & BUILD_FLAG_OBEP) !== 0);
  return { record, h: st.h, ck: st.ck, keys, reply: { kind: 'short', h: st.h, replyKey: keys.replyKey } };
}

export interface LongRequestRecord {
  /** 528 bytes. */
  record: Uint8Array;
  h: Uint8Array;
  ck: Uint8Array;
  reply: ReplyCrypto;
}

/** Creator: encrypt a long request record (keys travel in the cleartext; the reply AEAD key is ck). */
export function encryptLongRequestRecord(hop: BuildHopKey, fields: LongBuildRequestFields, random: Random): LongRequestRecord {
  const { record, st } = encryptRecord(hop, encodeLongRequestCleartext(fields, random), LONG_RECORD_SIZE, random);
  return {
    record, h: st.h, ck: st.ck,
    reply: { kind: 'long', h: st.h, ck: st.ck, replyKey: Uint8Array.prototype.slice.call(fields.replyKey), replyIV: Uint8Array.prototype.slice.call(fields.replyIV) },
  };
}

export type DecryptedRequest =
  | { kind: 'short'; fields: ParsedBuildRequest; h: Uint8Array; ck: Uint8Array; keys: ShortRecordKeys; reply: ReplyCrypto }
  | { kind: 'long'; fields: ParsedBuildRequest & LongRecordKeys; h: Uint8Array; ck: Uint8Array; keys: LongRecordKeys; reply: ReplyCrypto };

/**
 * A hop's record decryptor: caches the Noise prefix for its static key (`buildRecordInitialState`).
 */
export class BuildRecordDecryptor {
  readonly #key: X25519Key;
  readonly #hash: Uint8Array;
  readonly #initial: SymmetricState;

  constructor(ourKey: X25519Key, ourHash: Uint8Array) {
    if (ourHash.length !== 32) throw new RangeError('router hash must be 32 bytes');
    this.#key = ourKey;
    this.#hash = Uint8Array.prototype.slice.call(ourHash);
    this.#initial = buildRecordInitialState(ourKey.publicKey);
  }

  /** True if the record's toPeer field is the first 16 bytes of our hash. */
  isOurs(record: Uint8Array): boolean {
    return record.length >= RECORD_TO_PEER_SIZE && equalBytes(record.subarray(0, RECORD_TO_PEER_SIZE), this.#hash.subarray(0, RECORD_TO_PEER_SIZE));
  }

  /**
   * Decrypt one request record addressed to us; its size (218 or 528) selects the format.
   * Throws ParseError (wrong size, not ours, bad fields) or CryptoError (bad ephemeral key, bad MAC).
   */
  decrypt(record: Uint8Array): DecryptedRequest {
    const size = record.length;
    if (size !== SHORT_RECORD_SIZE && size !== LONG_RECORD_SIZE) {
      throw new ParseError('BAD_LENGTH', 'BuildRequestRecord', 0, `record of ${size} bytes (218 or 528)`);
    }
    if (!this.isOurs(record)) throw new ParseError('NOT_OURS', 'BuildRequestRecord/toPeer', 0, 'record is not addressed to us');
    const st = this.#initial.clone();
    const eph = record.subarray(RECORD_EPHEMERAL_OFFSET, RECORD_ENCRYPTED_OFFSET);
    st.mixHash(eph);
    const shared = this.#key.dh(eph); // CryptoError on a bad point
    st.mixKey(shared);
    shared.fill(0);
    const clear = st.decryptAndHash(record.subarray(RECORD_ENCRYPTED_OFFSET)); // CryptoError('BAD_TAG')
    if (size === SHORT_RECORD_SIZE) {
      const fields = decodeShortRequestCleartext(clear);
      const keys = deriveShortRecordKeys(st.ck, (fields.flags & BUILD_FLAG_OBEP) !== 0);
      return { kind: 'short', fields, h: st.h, ck: st.ck, keys, reply: { kind: 'short', h: st.h, replyKey: keys.replyKey } };
    }
    const fields = decodeLongRequestCleartext(clear);
    const keys = { layerKey: fields.layerKey, ivKey: fields.ivKey, replyKey: fields.replyKey, replyIV: fields.replyIV };
    return { kind: 'long', fields, h: st.h, ck: st.ck, keys, reply: { kind: 'long', h: st.h, ck: st.ck, replyKey: fields.replyKey, replyIV: fields.replyIV } };
  }
}

/** Participant: decrypt a request record addressed to us (one-shot form of BuildRecordDecryptor). */
export function decryptRequestRecord(ourKey: X25519Key, ourHash: Uint8Array, record: Uint8Array): DecryptedRequest {
  return new BuildRecordDecryptor(ourKey, ourHash).decrypt(record);
}

// ---- reply records ----

/** Raw ChaCha20 (RFC 7539) with block counter 1, as i2pd's i2p::crypto::ChaCha20. Returns a new array. */
export function chacha20(key: Uint8Array, nonce: Uint8Array, data: Uint8Array): Uint8Array {
  if (key.length !== 32 || nonce.length !== 12) throw new RangeError('ChaCha20 key 32 bytes, nonce 12 bytes');
  const iv = new Uint8Array(16);
  iv[0] = 1; // little-endian block counter = 1
  iv.set(nonce, 4);
  const c = createCipheriv('chacha20', key, iv);
  return new Uint8Array(c.update(data));
}

export interface BuildReplyCleartext {
  status: number;
  options: Mapping;
  optionsMalformed: boolean;
}

function encodeReplyCleartext(size: number, status: number, options: Mapping, random: Random): Uint8Array {
  checkUint(status, 8, 'status');
  const w = new Writer(new Uint8Array(size));
  const max = size === SHORT_REPLY_CLEARTEXT_SIZE ? MAX_SHORT_REPLY_OPTIONS : MAX_LONG_REPLY_OPTIONS;
  const o = sizeOfMapping(options);
  if (o > max) throw new RangeError(`reply options Mapping of ${o} bytes exceeds ${max}`);
  writeMapping(w, options);
  w.bytes(random.bytes(size - 1 - w.pos));
  w.u8(status);
  return w.done();
}

function decodeReplyCleartext(clear: Uint8Array): BuildReplyCleartext {
  const r = new Reader(clear, 'BuildReplyRecord', 0, clear.length - 1);
  return { status: clear[clear.length - 1]!, ...readOptions(r) };
}

/**
 * Participant: the hop's own reply record, encrypted with ChaChaPoly (short: k = replyKey, n = index;
 * long: k = ck, n = 0; ad = h both). Returns 218 / 528 bytes.
 */
export function sealReplyRecord(c: ReplyCrypto, index: number, status: number, options: Mapping, random: Random): Uint8Array {
  if (c.kind === 'short') {
    return chachaEncrypt(c.replyKey, nonceFromCounter(index), encodeReplyCleartext(SHORT_REPLY_CLEARTEXT_SIZE, status, options, random), c.h);
  }
  return chachaEncrypt(c.ck, nonceFromCounter(0), encodeReplyCleartext(LONG_REPLY_CLEARTEXT_SIZE, status, options, random), c.h);
}

/** Creator: open one hop's reply record (after all later hops' layers were removed). CryptoError / ParseError. */
export function openReplyRecord(c: ReplyCrypto, index: number, record: Uint8Array): BuildReplyCleartext {
  const size = c.kind === 'short' ? SHORT_RECORD_SIZE : LONG_RECORD_SIZE;
  if (record.length !== size) throw new ParseError('BAD_LENGTH', 'BuildReplyRecord', 0, `reply record must be ${size} bytes`);
  const clear =
    c.kind === 'short'
      ? chachaDecrypt(c.replyKey, nonceFromCounter(index), record, c.h)
      : chachaDecrypt(c.ck, nonceFromCounter(0), record, c.h);
  return decodeReplyCleartext(clear);
}

/**
 * The hop's symmetric layer on a record that is not its own, as the hop applies it (revealing the next
 * request record / hiding earlier replies): short: ChaCha20(replyKey, nonce index); long: AES-256-CBC
 * encrypt (replyKey, replyIV). Returns a new array.
 */
export function encryptOtherRecord(c: ReplyCrypto, index: number, record: Uint8Array): Uint8Array {
  if (c.kind === 'short') return chacha20(c.replyKey, nonceFromCounter(index), record);
  return aesCbcEncrypt(c.replyKey, c.replyIV, record);
}

/** The inverse of encryptOtherRecord: what the creator applies (pre-decryption of requests, reply unwrapping). */
export function decryptOtherRecord(c: ReplyCrypto, index: number, record: Uint8Array): Uint8Array {
  if (c.kind === 'short') return chacha20(c.replyKey, nonceFromCounter(index), record);
  return aesCbcDecrypt(c.replyKey, c.replyIV, record);
}
