/**
 * The ECIES-X25519-AEAD-Ratchet handshake messages: New Session (NS, Noise IK "e es s ss" or the one-time
 * "N"-like form with an all-zero flags section) and New Session Reply (NSR, "e ee se"), as pure functions over
 * a Noise SymmetricState. The session bookkeeping lives in session.ts.
 *
 * Spec: ../shared/specs/spec/ecies.rst, "1b) New session format (with binding)", "1c)", "1d) One-time format",
 * "1f) KDFs for New Session Message", "1g) New Session Reply format" (KDF for Reply Key Section and Payload).
 * i2pd 2.45.1: libi2pd/ECIESX25519AEADRatchetSession.cpp NewOutgoingSessionMessage, HandleNewIncomingSession,
 * NewSessionReplyMessage, NextNewSessionReplyMessage, HandleNewOutgoingSessionReply; libi2pd/Crypto.cpp
 * InitNoiseIKState.
 *
 *   NS  := elg2(aepk) 32 | ENCRYPT(k1, 0, apk or 32 zeros, h) 48 | ENCRYPT(k2, n, payload, h) len+16
 *   NSR := tag 8 | elg2(bepk) 32 | ENCRYPT(k, 0, ZEROLEN, h) 16 | ENCRYPT(kp, 0, payload, h) len+16
 *
 * Matching i2pd:
 * - MixHash(aepk) / MixHash(bepk) mix the DECODED X25519 key (Alice's own public key), never the 32
 *   representative bytes sent on the wire.
 * - One-time NS (all-zero flags section): the "ss" MixKey is skipped and the payload uses the same k with
 *   nonce 1 (EncryptAndHash's counter gives exactly that).
 * - Further NSRs for one NS reuse Bob's ephemeral key, chain key and payload key; only the tag (and with it h)
 *   changes (NextNewSessionReplyMessage). The spec asks for a fresh ephemeral key per NSR, but then every NSR
 *   would derive different data-phase tag sets and i2pd Alice keeps those of the first NSR she gets; we follow
 *   i2pd. Note that this reuses the ChaCha20-Poly1305 (key, nonce 0) pair for the payloads of those NSRs.
 */
import { chachaDecrypt, chachaEncrypt, nonceFromCounter, TAG_LENGTH } from '../crypto/chacha.js';
import { elligator2Decode, generateElligatorKeyPair } from '../crypto/elligator2.js';
import { hkdf, sha256 } from '../crypto/hash.js';
import { SymmetricState } from '../crypto/noise.js';
import { systemRandom } from '../crypto/random.js';
import type { Random } from '../crypto/random.js';
import { X25519Key } from '../crypto/x25519.js';
import { ParseError } from '../data/errors.js';

export const ECIES_PROTOCOL_NAME = 'Noise_IKelg2+hs2_25519_ChaChaPoly_SHA256';

export const KEY_SIZE = 32;
export const SESSION_TAG_SIZE = 8;
/** elg2 key 32 + flags/static section 32 + MAC 16 + payload MAC 16. */
export const NS_OVERHEAD = KEY_SIZE + KEY_SIZE + TAG_LENGTH + TAG_LENGTH; // 96
/** tag 8 + elg2 key 32 + key section MAC 16 + payload MAC 16. */
export const NSR_OVERHEAD = SESSION_TAG_SIZE + KEY_SIZE + TAG_LENGTH + TAG_LENGTH; // 72
/** tag 8 + MAC 16. */
export const ES_OVERHEAD = SESSION_TAG_SIZE + TAG_LENGTH; // 24

const EMPTY = new Uint8Array(0);

/** InitializeSymmetric(name) (h = ck = SHA256(name), 40 bytes), MixHash(null prologue), MixHash(bpk). */
export function initialState(bobStaticKey: Uint8Array): SymmetricState {
  if (bobStaticKey.length !== KEY_SIZE) throw new RangeError('static key must be 32 bytes');
  const st = new SymmetricState(ECIES_PROTOCOL_NAME);
  st.mixHash(EMPTY);
  st.mixHash(bobStaticKey);
  return st;
}

function isZero(b: Uint8Array): boolean {
  let d = 0;
  for (const x of b) d |= x;
  return d === 0;
}

// ---- New Session ----

export interface OutgoingNewSession {
  message: Uint8Array;
  /** Noise state after the NS (h and ck feed the NSR KDF). */
  state: SymmetricState;
  /** Alice's ephemeral key (needed to read the NSR). */
  ephemeral: X25519Key;
}

/**
 * Alice: builds an NS to `bobStaticKey`. With `aliceStatic` the session is bound (IK); without it the
 * flags section is 32 zero bytes (one-time / unbound). Throws CryptoError if Bob's key is unusable.
 */
export function createNewSession(bobStaticKey: Uint8Array, aliceStatic: X25519Key | null, payload: Uint8Array, random: Random = systemRandom): OutgoingNewSession {
  const st = initialState(bobStaticKey);
  const { key: ephemeral, representative } = generateElligatorKeyPair(random);
  st.mixHash(ephemeral.publicKey);
  st.mixKey(ephemeral.dh(bobStaticKey)); // es
  const fs = aliceStatic ? aliceStatic.publicKey : new Uint8Array(KEY_SIZE);
  const staticSection = st.encryptAndHash(fs); // n = 0
  let payloadSection: Uint8Array;
  if (aliceStatic) {
    st.mixKey(aliceStatic.dh(bobStaticKey)); // ss
    payloadSection = st.encryptAndHash(payload); // n = 0
  } else {
    // n = 1 with the "es" key; i2pd does not MixHash this ciphertext (no reply can follow)
    payloadSection = chachaEncrypt(st.k!, nonceFromCounter(1), payload, st.h);
  }
  const message = new Uint8Array(KEY_SIZE + staticSection.length + payloadSection.length);
  message.set(representative, 0);
  message.set(staticSection, KEY_SIZE);
  message.set(payloadSection, KEY_SIZE + staticSection.length);
  return { message, state: st, ephemeral };
}

export interface IncomingNewSession {
  /** Alice's static key, or null for a one-time (unbound) NS. */
  aliceStatic: Uint8Array | null;
  /** Alice's decoded ephemeral key. */
  aepk: Uint8Array;
  payload: Uint8Array;
  /** Noise state after the NS (meaningful for bound sessions only). */
  state: SymmetricState;
}

/** Decodes the ephemeral key of an NS (cheap; lets callers drop replays before any DH). */
export function decodeNewSessionKey(message: Uint8Array): Uint8Array {
  if (message.length < NS_OVERHEAD) throw new ParseError('TRUNCATED', 'NewSession', message.length, `NS needs ${NS_OVERHEAD} bytes`);
  return elligator2Decode(message.subarray(0, KEY_SIZE));
}

/**
 * Bob: decrypts an NS with his static key. `initial` is initialState(bob's public key) (pass a precomputed
 * one; it is cloned, never modified). Throws ParseError('TRUNCATED') or CryptoError (ELLIGATOR_RANGE,
 * LOW_ORDER, BAD_KEY, BAD_TAG).
 */
export function readNewSession(bobStatic: X25519Key, message: Uint8Array, initial?: SymmetricState, aepk?: Uint8Array): IncomingNewSession {
  const key = aepk ?? decodeNewSessionKey(message);
  if (message.length < NS_OVERHEAD) throw new ParseError('TRUNCATED', 'NewSession', message.length, `NS needs ${NS_OVERHEAD} bytes`);
  const st = initial ? initial.clone() : initialState(bobStatic.publicKey);
  st.mixHash(key);
  st.mixKey(bobStatic.dh(key)); // es
  const fs = st.decryptAndHash(message.subarray(KEY_SIZE, KEY_SIZE + KEY_SIZE + TAG_LENGTH));
  const body = message.subarray(KEY_SIZE + KEY_SIZE + TAG_LENGTH);
  let payload: Uint8Array;
  let aliceStatic: Uint8Array | null = null;
  if (!isZero(fs)) {
    aliceStatic = fs;
    st.mixKey(bobStatic.dh(fs)); // ss
    payload = st.decryptAndHash(body);
  } else {
    payload = chachaDecrypt(st.k!, nonceFromCounter(1), body, st.h);
  }
  return { aliceStatic, aepk: key, payload, state: st };
}

// ---- New Session Reply ----

/** The data-phase keys both sides derive from the NSR: split() of the final chain key. */
export interface NsrSplit {
  /** chainKey after "se": the rootKey of DH_INITIALIZE for both data-phase tag sets. */
  chainKey: Uint8Array;
  /** Alice→Bob tag set key. */
  kAB: Uint8Array;
  /** Bob→Alice tag set key. */
  kBA: Uint8Array;
  /** HKDF(k_ba, ZEROLEN, "AttachPayloadKDF", 32): the NSR payload key. */
  payloadKey: Uint8Array;
}

function splitNsr(st: SymmetricState): NsrSplit {
  const kd = hkdf(st.ck, EMPTY, EMPTY, 64);
  const kAB = kd.slice(0, 32);
  const kBA = kd.slice(32, 64);
  return { chainKey: Uint8Array.prototype.slice.call(st.ck), kAB, kBA, payloadKey: hkdf(kBA, EMPTY, 'AttachPayloadKDF', 32) };
}

/** Bob's reply state for one NS: reused for every NSR he sends to it. */
export interface NsrResponder extends NsrSplit {
  /** h after the NS (each NSR restarts from it with its own tag). */
  hNs: Uint8Array;
  /** The representative of Bob's ephemeral key on the wire. */
  encodedKey: Uint8Array;
  bepk: Uint8Array;
  /** k after "se" (key section MAC key). */
  k: Uint8Array;
}

/** Bob: the ee/se DHs and split for replies to one NS. Throws CryptoError on a bad Alice key. */
export function prepareNsr(nsState: SymmetricState, aepk: Uint8Array, aliceStatic: Uint8Array, random: Random = systemRandom): NsrResponder {
  const st = nsState.clone();
  const { key: eph, representative } = generateElligatorKeyPair(random);
  st.mixKey(eph.dh(aepk)); // ee
  st.mixKey(eph.dh(aliceStatic)); // se
  // mixKey only depends on ck; the hash is mixed per NSR (tag first), see createNsr.
  return { ...splitNsr(st), hNs: Uint8Array.prototype.slice.call(nsState.h), encodedKey: representative, bepk: eph.publicKey, k: st.k! };
}

/** Bob: one NSR with `tag` (from the NSR tag set). */
export function createNsr(r: NsrResponder, tag: Uint8Array, payload: Uint8Array): Uint8Array {
  if (tag.length !== SESSION_TAG_SIZE) throw new RangeError('tag must be 8 bytes');
  let h = sha256(r.hNs, tag);
  h = sha256(h, r.bepk);
  const mac = chachaEncrypt(r.k, nonceFromCounter(0), EMPTY, h);
  h = sha256(h, mac);
  const body = chachaEncrypt(r.payloadKey, nonceFromCounter(0), payload, h);
  const out = new Uint8Array(SESSION_TAG_SIZE + KEY_SIZE + mac.length + body.length);
  out.set(tag, 0);
  out.set(r.encodedKey, SESSION_TAG_SIZE);
  out.set(mac, SESSION_TAG_SIZE + KEY_SIZE);
  out.set(body, SESSION_TAG_SIZE + KEY_SIZE + mac.length);
  return out;
}

export interface IncomingNsr extends NsrSplit {
  payload: Uint8Array;
}

/**
 * Alice: reads an NSR with the state of her NS (not modified). Throws ParseError('TRUNCATED') or
 * CryptoError (ELLIGATOR_RANGE, LOW_ORDER, BAD_TAG).
 */
export function readNsr(nsState: SymmetricState, ephemeral: X25519Key, aliceStatic: X25519Key, message: Uint8Array): IncomingNsr {
  if (message.length < NSR_OVERHEAD) throw new ParseError('TRUNCATED', 'NewSessionReply', message.length, `NSR needs ${NSR_OVERHEAD} bytes`);
  const tag = message.subarray(0, SESSION_TAG_SIZE);
  const bepk = elligator2Decode(message.subarray(SESSION_TAG_SIZE, SESSION_TAG_SIZE + KEY_SIZE));
  const st = nsState.clone();
  st.mixHash(tag);
  st.mixHash(bepk);
  st.mixKey(ephemeral.dh(bepk)); // ee
  st.mixKey(aliceStatic.dh(bepk)); // se
  const macAt = SESSION_TAG_SIZE + KEY_SIZE;
  st.decryptAndHash(message.subarray(macAt, macAt + TAG_LENGTH)); // ZEROLEN plaintext, MAC only
  const split = splitNsr(st);
  const payload = chachaDecrypt(split.payloadKey, nonceFromCounter(0), message.subarray(macAt + TAG_LENGTH), st.h);
  return { ...split, payload };
}
