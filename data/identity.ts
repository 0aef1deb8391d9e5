/**
 * Certificate, KeysAndCert, RouterIdentity, Destination.
 *
 * Spec: ../shared/specs/spec/common-structures.rst, "Certificate" (incl. "Key Certificates"),
 * "KeysAndCert" (incl. "Padding Generation Guidelines"), "RouterIdentity", "Destination".
 *
 * Layout: 384 bytes = a 256-byte crypto public key field (key aligned at the start) + a 128-byte signing
 * public key field (key aligned at the end), padding in between, then the Certificate. Keys longer than
 * their field (ECDSA P-521, RSA) continue in the KEY certificate payload after the two type codes: excess
 * signing key data first, then excess crypto key data.
 *
 * A KeysAndCert keeps its full serialized bytes (padding included) and its SHA-256 hash: it is immutable,
 * hashed everywhere and re-serialized verbatim.
 *
 * Decisions / deviations:
 * - Certificate lengths are enforced as the spec advises: a NULL certificate must have an empty payload and
 *   a KEY certificate exactly 4 + excess key bytes (i2pd 2.45.1 IdentityEx::FromBuffer does not check).
 *   Certificate types above KEY (5) are rejected; the deprecated types 1–4 parse as ElGamal + DSA_SHA1.
 * - An unknown signing type is ParseError('UNSUPPORTED_SIG_TYPE') (its key and signature lengths are
 *   unknown, so nothing signed by it can even be parsed); an unknown crypto type parses with
 *   `cryptoPublicKey` undefined (only used for encryption, and i2pd does the same).
 * - Padding (createRouterIdentity/createDestination) follows i2pd 2.45.1 IdentityEx::IdentityEx and
 *   Proposal 161: one random 32-byte block repeated (X25519 + Ed25519 router: 10 copies; destination without
 *   a real crypto key: the block also fills the crypto key field, 11 copies for ElGamal type).
 */
import { Reader, Writer, concatBytes } from './bytes.js';
import { sha256 } from '../crypto/hash.js';
import { systemRandom, type Random } from '../crypto/random.js';
import { CryptoType, SigType, cryptoPublicKeyLength, sigTypeInfo } from './key-types.js';

export const CertificateType = {
  NULL: 0,
  HASHCASH: 1,
  HIDDEN: 2,
  SIGNED: 3,
  MULTIPLE: 4,
  KEY: 5,
} as const;

export interface Certificate {
  readonly type: number;
  readonly payload: Uint8Array;
}

export const NULL_CERTIFICATE: Certificate = { type: CertificateType.NULL, payload: new Uint8Array(0) };

export function readCertificate(r: Reader): Certificate {
  const type = r.u8();
  const len = r.u16();
  const payload = r.copy(len, 'certificate payload');
  return { type, payload };
}

export function writeCertificate(w: Writer, c: Certificate): void {
  w.u8(c.type).u16(c.payload.length).bytes(c.payload);
}

export function sizeOfCertificate(c: Certificate): number {
  return 3 + c.payload.length;
}

export const PUBLIC_KEY_FIELD = 256;
export const SIGNING_KEY_FIELD = 128;
export const KEYS_SIZE = PUBLIC_KEY_FIELD + SIGNING_KEY_FIELD; // 384
export const MIN_KEYS_AND_CERT_SIZE = KEYS_SIZE + 3; // 387

export interface KeysAndCert {
  /** The full structure as on the wire: 384 bytes + certificate. */
  readonly bytes: Uint8Array;
  readonly certificate: Certificate;
  readonly sigType: number;
  readonly cryptoType: number;
  /** The complete signing public key (excess data from the certificate appended). */
  readonly signingPublicKey: Uint8Array;
  /** The complete crypto public key; undefined for an unknown crypto type. */
  readonly cryptoPublicKey: Uint8Array | undefined;
  /** SHA-256 of `bytes`: the router hash / destination hash. */
  readonly hash: Uint8Array;
}

export type RouterIdentity = KeysAndCert;
export type Destination = KeysAndCert;

/** Read a KeysAndCert (RouterIdentity or Destination). The result does not alias the input. */
export function readKeysAndCert(r: Reader): KeysAndCert {
  const start = r.pos;
  r.need(MIN_KEYS_AND_CERT_SIZE, 'KeysAndCert');
  r.skip(KEYS_SIZE);
  const certAt = r.pos;
  const certificate = r.at('certificate', () => readCertificate(r));
  const bytes = Uint8Array.prototype.slice.call(r.buf.subarray(start, r.pos));
  let sigType: number = SigType.DSA_SHA1;
  let cryptoType: number = CryptoType.ElGamal;
  let excess = new Uint8Array(0);
  switch (certificate.type) {
    case CertificateType.NULL:
      if (certificate.payload.length !== 0) r.fail('BAD_CERTIFICATE', 'NULL certificate with payload', certAt);
      break;
    case CertificateType.HASHCASH:
    case CertificateType.HIDDEN:
    case CertificateType.SIGNED:
    case CertificateType.MULTIPLE:
      break;
    case CertificateType.KEY: {
      const p = certificate.payload;
      if (p.length < 4) r.fail('BAD_CERTIFICATE', 'KEY certificate shorter than 4 bytes', certAt);
      sigType = (p[0]! << 8) | p[1]!;
      cryptoType = (p[2]! << 8) | p[3]!;
      excess = bytes.subarray(KEYS_SIZE + 3 + 4);
      break;
    }
    default:
      r.fail('BAD_CERTIFICATE', `unknown certificate type ${certificate.type}`, certAt);
  }
  const sig = sigTypeInfo(sigType);
  if (!sig) return r.fail('UNSUPPORTED_SIG_TYPE', `unknown signing key type ${sigType}`, certAt);
  const sigExcess = Math.max(0, sig.publicKeyLength - SIGNING_KEY_FIELD);
  const cryptoLen = cryptoPublicKeyLength(cryptoType);
  const cryptoExcess = cryptoLen === undefined ? 0 : Math.max(0, cryptoLen - PUBLIC_KEY_FIELD);
  if (excess.length !== sigExcess + cryptoExcess) {
    r.fail('BAD_CERTIFICATE', `KEY certificate has ${excess.length} excess bytes, expected ${sigExcess + cryptoExcess}`, certAt);
  }
  const signingField = bytes.subarray(PUBLIC_KEY_FIELD, KEYS_SIZE);
  const signingPublicKey =
    sigExcess > 0
      ? concatBytes(signingField, excess.subarray(0, sigExcess))
      : signingField.subarray(SIGNING_KEY_FIELD - sig.publicKeyLength);
  let cryptoPublicKey: Uint8Array | undefined;
  if (cryptoLen !== undefined) {
    cryptoPublicKey =
      cryptoExcess > 0 ? concatBytes(bytes.subarray(0, PUBLIC_KEY_FIELD), excess.subarray(sigExcess)) : bytes.subarray(0, cryptoLen);
  }
  return { bytes, certificate, sigType, cryptoType, signingPublicKey, cryptoPublicKey, hash: sha256(bytes) };
}

export function writeKeysAndCert(w: Writer, k: KeysAndCert): void {
  w.bytes(k.bytes);
}

export function sizeOfKeysAndCert(k: KeysAndCert): number {
  return k.bytes.length;
}

/** Parse exactly one KeysAndCert (trailing bytes are ParseError). */
export function parseKeysAndCert(bytes: Uint8Array, path = 'KeysAndCert'): KeysAndCert {
  const r = new Reader(bytes, path);
  const k = readKeysAndCert(r);
  r.finish();
  return k;
}

export function parseRouterIdentity(bytes: Uint8Array): RouterIdentity {
  return parseKeysAndCert(bytes, 'RouterIdentity');
}

export function parseDestination(bytes: Uint8Array): Destination {
  return parseKeysAndCert(bytes, 'Destination');
}

/** Signature length of the identity's signing type. */
export function signatureLength(k: KeysAndCert): number {
  return sigTypeInfo(k.sigType)!.signatureLength;
}

/**
 * Assemble a KeysAndCert from its keys and the padding to put between them. `padding` must be exactly
 * 384 - (crypto key bytes in the first field) - (signing key bytes in the second field) long. A KEY
 * certificate is used unless both types are 0 (ElGamal + DSA_SHA1), which gets the NULL certificate.
 */
export function buildKeysAndCert(parts: {
  cryptoType: number;
  cryptoPublicKey: Uint8Array;
  sigType: number;
  signingPublicKey: Uint8Array;
  padding: Uint8Array;
}): KeysAndCert {
  const { cryptoType, cryptoPublicKey, sigType, signingPublicKey, padding } = parts;
  const sig = sigTypeInfo(sigType);
  const cryptoLen = cryptoPublicKeyLength(cryptoType);
  if (!sig) throw new RangeError(`unknown signing type ${sigType}`);
  if (cryptoLen === undefined) throw new RangeError(`unknown crypto type ${cryptoType}`);
  if (signingPublicKey.length !== sig.publicKeyLength) throw new RangeError(`signing key must be ${sig.publicKeyLength} bytes`);
  if (cryptoPublicKey.length !== cryptoLen) throw new RangeError(`crypto key must be ${cryptoLen} bytes`);
  const cryptoIn = Math.min(cryptoLen, PUBLIC_KEY_FIELD);
  const sigIn = Math.min(sig.publicKeyLength, SIGNING_KEY_FIELD);
  if (padding.length !== KEYS_SIZE - cryptoIn - sigIn) throw new RangeError(`padding must be ${KEYS_SIZE - cryptoIn - sigIn} bytes`);
  const isNull = sigType === SigType.DSA_SHA1 && cryptoType === CryptoType.ElGamal;
  const excess = concatBytes(signingPublicKey.subarray(SIGNING_KEY_FIELD), cryptoPublicKey.subarray(PUBLIC_KEY_FIELD));
  const payload = isNull ? new Uint8Array(0) : concatBytes(Uint8Array.of(sigType >> 8, sigType & 255, cryptoType >> 8, cryptoType & 255), excess);
  const w = new Writer(KEYS_SIZE + 3 + payload.length);
  w.bytes(cryptoPublicKey.subarray(0, cryptoIn));
  w.bytes(padding);
  w.bytes(signingPublicKey.subarray(0, sigIn));
  writeCertificate(w, { type: isNull ? CertificateType.NULL : CertificateType.KEY, payload });
  return parseKeysAndCert(w.done());
}

/** `n` bytes made of one random 32-byte block repeated (Proposal 161, as i2pd 2.45.1 does). */
export function repeatedPadding(n: number, block: Uint8Array): Uint8Array {
  if (block.length !== 32) throw new RangeError('padding block must be 32 bytes');
  const out = new Uint8Array(n);
  for (let o = 0; o < n; o += 32) out.set(block.subarray(0, Math.min(32, n - o)), o);
  return out;
}

/** A RouterIdentity with an X25519 crypto key and an Ed25519 signing key, KEY certificate, i2pd padding. */
export function createRouterIdentity(opts: { cryptoPublicKey: Uint8Array; signingPublicKey: Uint8Array; random?: Random }): RouterIdentity {
  const block = (opts.random ?? systemRandom).bytes(32);
  return buildKeysAndCert({
    cryptoType: CryptoType.X25519,
    cryptoPublicKey: opts.cryptoPublicKey,
    sigType: SigType.EdDSA_SHA512_Ed25519,
    signingPublicKey: opts.signingPublicKey,
    padding: repeatedPadding(KEYS_SIZE - 32 - 32, block),
  });
}

/**
 * A Destination with an Ed25519 signing key. The crypto key field of a Destination is unused (LeaseSet2
 * carries the encryption keys); like i2pd 2.45.1 it is filled with the random padding block unless
 * `cryptoPublicKey` is given. `cryptoType` defaults to ElGamal (0), i2pd's default for destinations
 * (11 copies of the block); X25519 (4) gives 10 copies + the key.
 */
export function createDestination(opts: {
  signingPublicKey: Uint8Array;
  cryptoType?: 0 | 4;
  cryptoPublicKey?: Uint8Array;
  random?: Random;
}): Destination {
  const cryptoType = opts.cryptoType ?? CryptoType.ElGamal;
  const cryptoLen = cryptoPublicKeyLength(cryptoType)!;
  const block = (opts.random ?? systemRandom).bytes(32);
  const cryptoPublicKey = opts.cryptoPublicKey ?? repeatedPadding(cryptoLen, block);
  return buildKeysAndCert({
    cryptoType,
    cryptoPublicKey,
    sigType: SigType.EdDSA_SHA512_Ed25519,
    signingPublicKey: opts.signingPublicKey,
    padding: repeatedPadding(KEYS_SIZE - cryptoLen - 32, block),
  });
}
