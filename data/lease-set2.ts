/**
 * Lease2, OfflineSignature and LeaseSet2 (I2NP DatabaseStore type 3).
 *
 * Spec: ../shared/specs/spec/common-structures.rst, "Lease2", "OfflineSignature", "LeaseSet2Header",
 * "LeaseSet2". Checked against i2pd 2.45.1 libi2pd/LeaseSet.cpp (LeaseSet2::ReadFromBuffer,
 * ReadStandardLS2TypeSpecificPart, VerifySignature, LocalLeaseSet2) and LeaseSet.h ProcessOfflineSignature.
 *
 * - The LeaseSet2 signature covers the DatabaseStore type byte (3) followed by everything before the
 *   signature: `sign(0x03 || content)` — i2pd temporarily writes the store type into buf[-1] to verify.
 * - With flag bit 0 (offline keys) the header carries an OfflineSignature: expires (4 bytes, seconds),
 *   transient sig type (2), transient public key, and a signature by the Destination's key over
 *   `expires || sigtype || transient key`. The LeaseSet2 signature is then by the transient key.
 * - Times are seconds here (published, end dates, offline expiry), as on the wire; `expires` is the
 *   offset in seconds from `published`.
 *
 * Decisions / deviations:
 * - Parsing is stricter than i2pd: the options Mapping is parsed (i2pd skips it), at least one encryption
 *   key (spec: 1 <= numk), a key of a known type must have that type's length, at most 16 leases
 *   (spec; i2pd MAX_NUM_LEASES), no trailing bytes (i2pd ignores them).
 * - `verifyLeaseSet2` rejects an expired offline signature (as i2pd ProcessOfflineSignature does) using
 *   `now` (ms, default Date.now()).
 */
import { Reader, Writer, concatBytes } from './bytes.js';
import { type Destination, readKeysAndCert, signatureLength } from './identity.js';
import { type Signer, cryptoPublicKeyLength, sigTypeInfo, verifySignature } from './key-types.js';
import { type Mapping, buildMapping, checkUint, readMapping, sizeOfMapping, writeMapping } from './primitives.js';

export const DATABASE_STORE_TYPE_LEASESET2 = 3;

export const LS2_FLAG_OFFLINE_KEYS = 0x0001;
export const LS2_FLAG_UNPUBLISHED = 0x0002;
/** Will be blinded and encrypted when published (set LS2_FLAG_UNPUBLISHED too). */
export const LS2_FLAG_PUBLISHED_ENCRYPTED = 0x0004;

export const LEASE2_SIZE = 40;
export const MAX_LEASES = 16;

export interface Lease2 {
  /** SHA-256 of the tunnel gateway's RouterIdentity. */
  readonly gateway: Uint8Array;
  readonly tunnelId: number;
  /** Seconds since the epoch. */
  readonly endDate: number;
}

export interface OfflineSignature {
  /** Seconds since the epoch. */
  readonly expires: number;
  readonly transientSigType: number;
  readonly transientPublicKey: Uint8Array;
  /** By the Destination's signing key over expires || transientSigType || transientPublicKey. */
  readonly signature: Uint8Array;
}

export interface EncryptionKey {
  readonly type: number;
  readonly key: Uint8Array;
}

export interface LeaseSet2 {
  readonly destination: Destination;
  /** Seconds since the epoch. */
  readonly published: number;
  /** Seconds after `published`. */
  readonly expires: number;
  readonly flags: number;
  readonly offlineSignature: OfflineSignature | undefined;
  readonly options: Mapping;
  readonly encryptionKeys: readonly EncryptionKey[];
  readonly leases: readonly Lease2[];
  readonly signature: Uint8Array;
  /** The complete serialized LeaseSet2 (without the store type byte). */
  readonly raw: Uint8Array;
}

// ---- Lease2 ----

export function readLease2(r: Reader): Lease2 {
  const gateway = r.copy(32, 'tunnel_gw');
  const tunnelId = r.u32();
  const endDate = r.u32();
  return { gateway, tunnelId, endDate };
}

export function writeLease2(w: Writer, l: Lease2): void {
  if (l.gateway.length !== 32) throw new RangeError('lease gateway must be 32 bytes');
  w.bytes(l.gateway).u32(checkUint(l.tunnelId, 32, 'tunnelId')).u32(checkUint(l.endDate, 32, 'endDate'));
}

// ---- OfflineSignature ----

/** Read an OfflineSignature; the signature length comes from the signing Destination's type. */
export function readOfflineSignature(r: Reader, destinationSigType: number): OfflineSignature {
  const expires = r.u32();
  const at = r.pos;
  const transientSigType = r.u16();
  const info = sigTypeInfo(transientSigType);
  if (!info) r.fail('UNSUPPORTED_SIG_TYPE', `unknown transient signing type ${transientSigType}`, at);
  const transientPublicKey = r.copy(info.publicKeyLength, 'transient key');
  const signature = r.copy(sigTypeInfo(destinationSigType)!.signatureLength, 'offline signature');
  return { expires, transientSigType, transientPublicKey, signature };
}

export function sizeOfOfflineSignature(o: OfflineSignature): number {
  return 6 + o.transientPublicKey.length + o.signature.length;
}

export function writeOfflineSignature(w: Writer, o: OfflineSignature): void {
  w.bytes(offlineSignedBytes(o)).bytes(o.signature);
}

/** What the Destination signs: expires (4) || sigtype (2) || transient public key. */
export function offlineSignedBytes(o: Pick<OfflineSignature, 'expires' | 'transientSigType' | 'transientPublicKey'>): Uint8Array {
  const w = new Writer(6 + o.transientPublicKey.length);
  w.u32(checkUint(o.expires, 32, 'expires')).u16(checkUint(o.transientSigType, 16, 'sigtype')).bytes(o.transientPublicKey);
  return w.done();
}

/** Create the offline signature block: `destinationSigner` signs with the Destination's long-term key. */
export function createOfflineSignature(
  input: { expires: number; transientSigType: number; transientPublicKey: Uint8Array },
  destinationSigner: Signer,
): OfflineSignature {
  const info = sigTypeInfo(input.transientSigType);
  if (!info) throw new RangeError(`unknown signing type ${input.transientSigType}`);
  if (input.transientPublicKey.length !== info.publicKeyLength) throw new RangeError('transient key length does not match its type');
  const signature = destinationSigner.sign(offlineSignedBytes(input));
  return { ...input, transientPublicKey: Uint8Array.prototype.slice.call(input.transientPublicKey), signature };
}

/** Verify an offline signature by the Destination's key (expiry not checked here). */
export function verifyOfflineSignature(destination: Destination, o: OfflineSignature): boolean {
  return verifySignature(destination.sigType, destination.signingPublicKey, offlineSignedBytes(o), o.signature);
}

// ---- LeaseSet2 ----

type Ls2Body = Omit<LeaseSet2, 'signature' | 'raw'>;

function sizeOfBody(ls: Ls2Body): number {
  let n = ls.destination.bytes.length + 4 + 2 + 2;
  if (ls.offlineSignature) n += sizeOfOfflineSignature(ls.offlineSignature);
  n += sizeOfMapping(ls.options) + 1;
  for (const k of ls.encryptionKeys) n += 4 + k.key.length;
  return n + 1 + LEASE2_SIZE * ls.leases.length;
}

function writeBody(w: Writer, ls: Ls2Body): void {
  if (Boolean(ls.flags & LS2_FLAG_OFFLINE_KEYS) !== Boolean(ls.offlineSignature)) {
    throw new RangeError('offline-keys flag and offlineSignature disagree');
  }
  if (ls.encryptionKeys.length < 1 || ls.encryptionKeys.length > 255) throw new RangeError('1..255 encryption keys');
  if (ls.leases.length > MAX_LEASES) throw new RangeError(`more than ${MAX_LEASES} leases`);
  w.bytes(ls.destination.bytes);
  w.u32(checkUint(ls.published, 32, 'published')).u16(checkUint(ls.expires, 16, 'expires')).u16(checkUint(ls.flags, 16, 'flags'));
  if (ls.offlineSignature) writeOfflineSignature(w, ls.offlineSignature);
  writeMapping(w, ls.options);
  w.u8(ls.encryptionKeys.length);
  for (const k of ls.encryptionKeys) w.u16(checkUint(k.type, 16, 'key type')).u16(checkUint(k.key.length, 16, 'key length')).bytes(k.key);
  w.u8(ls.leases.length);
  for (const l of ls.leases) writeLease2(w, l);
}

/** The signature length for this LeaseSet2: the transient key's type when offline, else the Destination's. */
export function leaseSet2SignatureLength(ls: Pick<LeaseSet2, 'destination' | 'offlineSignature'>): number {
  return ls.offlineSignature ? sigTypeInfo(ls.offlineSignature.transientSigType)!.signatureLength : signatureLength(ls.destination);
}

/** Read a LeaseSet2 from a Reader (ends at the end of its signature). */
export function readLeaseSet2(r: Reader): LeaseSet2 {
  const start = r.pos;
  const destination = r.at('destination', () => readKeysAndCert(r));
  const published = r.u32();
  const expires = r.u16();
  const flags = r.u16();
  const offlineSignature =
    flags & LS2_FLAG_OFFLINE_KEYS ? r.at('offline_signature', () => readOfflineSignature(r, destination.sigType)) : undefined;
  const options = r.at('options', () => readMapping(r));
  const numkAt = r.pos;
  const numk = r.u8();
  if (numk === 0) r.fail('BAD_LEASESET', 'no encryption keys', numkAt);
  const encryptionKeys: EncryptionKey[] = [];
  for (let i = 0; i < numk; i++) {
    encryptionKeys.push(
      r.at(`keys[${i}]`, () => {
        const type = r.u16();
        const lenAt = r.pos;
        const len = r.u16();
        const expected = cryptoPublicKeyLength(type);
        if (expected !== undefined && len !== expected) r.fail('BAD_KEY_LENGTH', `key type ${type} must be ${expected} bytes, not ${len}`, lenAt);
        return { type, key: r.copy(len, 'encryption key') };
      }),
    );
  }
  const numAt = r.pos;
  const num = r.u8();
  if (num > MAX_LEASES) r.fail('BAD_LEASESET', `${num} leases (max ${MAX_LEASES})`, numAt);
  const leases: Lease2[] = [];
  for (let i = 0; i < num; i++) leases.push(r.at(`leases[${i}]`, () => readLease2(r)));
  const signature = r.at('signature', () => r.copy(leaseSet2SignatureLength({ destination, offlineSignature }), 'signature'));
  const raw = Uint8Array.prototype.slice.call(r.buf.subarray(start, r.pos));
  return { destination, published, expires, flags, offlineSignature, options, encryptionKeys, leases, signature, raw };
}

/** Parse exactly one LeaseSet2 (no store type byte; trailing bytes are ParseError). Signature not checked. */
export function parseLeaseSet2(bytes: Uint8Array): LeaseSet2 {
  const r = new Reader(bytes, 'LeaseSet2');
  const ls = readLeaseSet2(r);
  r.finish();
  return ls;
}

/** Re-encode from the fields (byte-identical to `raw` for anything parsed). */
export function serializeLeaseSet2(ls: LeaseSet2): Uint8Array {
  const w = new Writer(sizeOfBody(ls) + ls.signature.length);
  writeBody(w, ls);
  w.bytes(ls.signature);
  return w.done();
}

/**
 * Verify: the offline signature (by the Destination, not expired at `now` ms) if present, then the
 * LeaseSet2 signature over 0x03 || content by the transient or Destination key. Never throws.
 */
export function verifyLeaseSet2(ls: LeaseSet2, opts: { now?: number } = {}): boolean {
  const sigLen = ls.signature.length;
  if (ls.raw.length <= sigLen) return false;
  const signed = concatBytes(Uint8Array.of(DATABASE_STORE_TYPE_LEASESET2), ls.raw.subarray(0, ls.raw.length - sigLen));
  const sig = ls.raw.subarray(ls.raw.length - sigLen);
  const o = ls.offlineSignature;
  if (o) {
    if (o.expires * 1000 < (opts.now ?? Date.now())) return false;
    if (!verifyOfflineSignature(ls.destination, o)) return false;
    return verifySignature(o.transientSigType, o.transientPublicKey, signed, sig);
  }
  return verifySignature(ls.destination.sigType, ls.destination.signingPublicKey, signed, sig);
}

/**
 * Build and sign a LeaseSet2. Options are sorted (signature-stable). With `offlineSignature` the
 * offline-keys flag is set and `signer` must be the transient key; otherwise the Destination's key.
 */
export function buildLeaseSet2(
  input: {
    destination: Destination;
    published: number;
    expires: number;
    flags?: number;
    offlineSignature?: OfflineSignature;
    options?: Record<string, string> | Iterable<readonly [string, string]>;
    encryptionKeys: readonly EncryptionKey[];
    leases: readonly Lease2[];
  },
  signer: Signer,
): LeaseSet2 {
  let flags = (input.flags ?? 0) & ~LS2_FLAG_OFFLINE_KEYS;
  if (input.offlineSignature) flags |= LS2_FLAG_OFFLINE_KEYS;
  const body: Ls2Body = {
    destination: input.destination,
    published: input.published,
    expires: input.expires,
    flags,
    offlineSignature: input.offlineSignature,
    options: buildMapping(input.options ?? {}),
    encryptionKeys: input.encryptionKeys,
    leases: input.leases,
  };
  const sigLen = leaseSet2SignatureLength(body);
  const size = sizeOfBody(body);
  const w = new Writer(1 + size + sigLen);
  w.u8(DATABASE_STORE_TYPE_LEASESET2);
  writeBody(w, body);
  const signature = signer.sign(w.buf.subarray(0, w.pos));
  if (signature.length !== sigLen) throw new RangeError(`signer returned ${signature.length} bytes, expected ${sigLen}`);
  w.bytes(signature);
  return { ...body, signature: Uint8Array.prototype.slice.call(signature), raw: w.done().subarray(1) };
}

/** When the LeaseSet2 expires, in ms since the epoch. */
export function leaseSet2ExpiresAt(ls: Pick<LeaseSet2, 'published' | 'expires'>): number {
  return (ls.published + ls.expires) * 1000;
}

/** The netDb key of a LeaseSet2: the Destination hash. */
export function leaseSet2Hash(ls: LeaseSet2): Uint8Array {
  return ls.destination.hash;
}
