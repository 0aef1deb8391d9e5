/**
 * The su3 signed-file format: parse, build and verify.
 *
 * Spec: ../shared/specs/spec/updates.rst, "SU3 File Specification" (header layout, "Signature Details") and
 * "SU3 Reseed File Specification" (content type 3, file type 0).
 * Ground truth: i2pd 2.45.1 libi2pd/Reseed.cpp `Reseeder::ProcessSU3Stream`.
 *
 * Layout (big endian): 0-5 "I2Psu3", 6 = 0, 7 format version, 8-9 signature type, 10-11 signature length,
 * 12 unused, 13 version length, 14 unused, 15 signer ID length, 16-23 content length, 24 unused, 25 file type,
 * 26 unused, 27 content type, 28-39 unused; then version, signer ID, content, signature. The signature covers
 * every byte before it.
 *
 * Decisions / deviations:
 * - `parseSu3` is structural. Like i2pd it requires the magic and a zero byte 6 and ignores the format
 *   version and the other unused bytes. It does not insist on version length >= 16 (i2pd does not either).
 *   Signature-length/type agreement is checked by `verifySu3`, not by the parser (with reseed.verify off i2pd
 *   never looks at the signature).
 * - Trailing bytes after the signature are ignored and reported (`trailingBytes`): i2pd stops reading after the
 *   content and never checks for more.
 * - The signer ID is cut at its first NUL byte, as i2pd's C-string lookup does.
 * - RSA signatures are "raw" (Java NONEwithRSA): PKCS#1 v1.5 type-1 padding around the bare digest, no
 *   DigestInfo. i2pd computes s^e mod n and compares only the right-aligned 64 bytes of the digest (RSA-4096
 *   only). We check the whole padded block (strictly more demanding; every known signer — Java su3 tools and
 *   Go reseed-tools — pads properly) and support types 4/5/6.
 * - i2pd verifies RSA_SHA512_4096 only. We also verify ECDSA (1-3, raw r||s), EdDSA (7), Ed25519ph (8) and
 *   DSA_SHA1 (0) when the certificate carries a key of the matching kind. Nothing else differs.
 */
import { constants, createHash, privateEncrypt, publicDecrypt, sign as nodeSign, verify as nodeVerify, type KeyObject } from 'node:crypto';
import { ed25519ph } from '@noble/curves/ed25519.js';
import { Reader, Writer, equalBytes } from '../../data/bytes.js';
import { ParseError } from '../../data/errors.js';
import { SigType, sigTypeInfo } from '../../data/key-types.js';

export const SU3_MAGIC = new Uint8Array([0x49, 0x32, 0x50, 0x73, 0x75, 0x33]); // "I2Psu3"
export const SU3_HEADER_SIZE = 40;
/** Largest su3 accepted (a reseed bundle is ~100 KiB; i2pd has no bound). */
export const MAX_SU3_SIZE = 4 * 1024 * 1024;
/** Spec: "must be at least 16 for compatibility"; `buildSu3` pads to this. */
export const SU3_MIN_VERSION_LENGTH = 16;

// Header offsets.
const OFF_SIG_TYPE = 8;
const OFF_SIG_LEN = 10;
const OFF_VERSION_LEN = 13;
const OFF_SIGNER_LEN = 15;
const OFF_CONTENT_LEN = 16;
const OFF_FILE_TYPE = 25;
const OFF_CONTENT_TYPE = 27;

export const Su3FileType = {
  ZIP: 0,
  XML: 1,
  HTML: 2,
  XML_GZ: 3,
  TXT_GZ: 4,
  DMG: 5,
  EXE: 6,
} as const;

export const Su3ContentType = {
  UNKNOWN: 0,
  ROUTER_UPDATE: 1,
  PLUGIN: 2,
  RESEED: 3,
  NEWS: 4,
  BLOCKLIST: 5,
} as const;

export interface Su3File {
  readonly formatVersion: number;
  readonly sigType: number;
  /** From the header (bytes 10-11); equals `signature.length`. */
  readonly signatureLength: number;
  readonly fileType: number;
  readonly contentType: number;
  /** Version field decoded as UTF-8, trailing NULs removed (for reseed: seconds since the epoch). */
  readonly version: string;
  /** Signer ID (e.g. "zzz@mail.i2p"), UTF-8, cut at the first NUL. */
  readonly signerId: string;
  /** Views into the input. */
  readonly content: Uint8Array;
  readonly signature: Uint8Array;
  /** Everything the signature covers: header through content (a view into the input). */
  readonly signedBytes: Uint8Array;
  /** Bytes after the signature, ignored. */
  readonly trailingBytes: number;
}

const utf8 = new TextDecoder('utf-8', { fatal: false });

/**
 * Parse an su3 file. Throws ParseError only. Lengths are checked against the input before anything is
 * sliced; the result holds views into `bytes` (nothing is copied).
 */
export function parseSu3(bytes: Uint8Array, opts: { maxSize?: number } = {}): Su3File {
  const r = new Reader(bytes, 'Su3');
  const maxSize = opts.maxSize ?? MAX_SU3_SIZE;
  if (bytes.length > maxSize) r.fail('TOO_LARGE', `su3 of ${bytes.length} bytes (limit ${maxSize})`, 0);
  r.need(SU3_HEADER_SIZE, 'header');
  const magic = r.bytes(SU3_MAGIC.length);
  if (!equalBytes(magic, SU3_MAGIC) || r.u8() !== 0) r.fail('BAD_MAGIC', 'not an su3 file (magic "I2Psu3\\0" expected)', 0);
  const formatVersion = r.u8();
  const sigType = r.u16();
  const signatureLength = r.u16();
  r.pos = OFF_VERSION_LEN;
  const versionLength = r.u8();
  r.pos = OFF_SIGNER_LEN;
  const signerIdLength = r.u8();
  const contentLengthAt = OFF_CONTENT_LEN;
  const contentLength = r.u64();
  r.pos = OFF_FILE_TYPE;
  const fileType = r.u8();
  r.pos = OFF_CONTENT_TYPE;
  const contentType = r.u8();
  r.pos = SU3_HEADER_SIZE;
  // Everything after the header must fit; compare as bigint so an absurd u64 is rejected before any arithmetic.
  const need = BigInt(versionLength) + BigInt(signerIdLength) + contentLength + BigInt(signatureLength);
  if (need > BigInt(r.remaining)) {
    r.fail('TRUNCATED', `header announces ${need} bytes after it, ${r.remaining} present`, contentLengthAt);
  }
  const versionField = r.at('version', () => r.bytes(versionLength, 'version'));
  const signerField = r.at('signerId', () => r.bytes(signerIdLength, 'signer ID'));
  const content = r.at('content', () => r.bytes(Number(contentLength), 'content'));
  const signedBytes = bytes.subarray(0, r.pos);
  const signature = r.at('signature', () => r.bytes(signatureLength, 'signature'));
  return {
    formatVersion,
    sigType,
    signatureLength,
    fileType,
    contentType,
    version: utf8.decode(cutAtNul(versionField)),
    signerId: utf8.decode(cutAtNul(signerField)),
    content,
    signature,
    signedBytes,
    trailingBytes: r.remaining,
  };
}

function cutAtNul(b: Uint8Array): Uint8Array {
  const i = b.indexOf(0);
  return i < 0 ? b : b.subarray(0, i);
}

export interface Su3Input {
  sigType: number;
  /** UTF-8; NUL-padded to at least 16 bytes, at most 255 bytes. */
  version: string;
  /** UTF-8, at most 255 bytes. */
  signerId: string;
  fileType: number;
  contentType: number;
  content: Uint8Array;
}

/** Anything that produces an su3 signature over the signed bytes (see `su3Signer`). */
export type Su3Sign = (signedBytes: Uint8Array) => Uint8Array;

/** Build and sign an su3 file. RangeError on misuse (lengths out of range, signer output of the wrong length). */
export function buildSu3(input: Su3Input, sign: Su3Sign): Uint8Array {
  const info = sigTypeInfo(input.sigType);
  if (!info) throw new RangeError(`unknown signature type ${input.sigType}`);
  const enc = new TextEncoder();
  const versionRaw = enc.encode(input.version);
  const signer = enc.encode(input.signerId);
  const versionLength = Math.max(versionRaw.length, SU3_MIN_VERSION_LENGTH);
  if (versionLength > 255) throw new RangeError('su3 version longer than 255 bytes');
  if (signer.length > 255) throw new RangeError('su3 signer ID longer than 255 bytes');
  for (const [v, name] of [[input.fileType, 'fileType'], [input.contentType, 'contentType']] as const) {
    if (!Number.isInteger(v) || v < 0 || v > 255) throw new RangeError(`${name} out of range`);
  }
  const sigLen = info.signatureLength;
  const w = new Writer(SU3_HEADER_SIZE + versionLength + signer.length + input.content.length + sigLen);
  w.bytes(SU3_MAGIC).u8(0).u8(0); // magic, unused, format version 0
  w.u16(input.sigType).u16(sigLen).u8(0).u8(versionLength).u8(0).u8(signer.length);
  w.u64(input.content.length).u8(0).u8(input.fileType).u8(0).u8(input.contentType).zeros(12);
  w.bytes(versionRaw).zeros(versionLength - versionRaw.length);
  w.bytes(signer).bytes(input.content);
  const signature = sign(w.buf.subarray(0, w.pos));
  if (signature.length !== sigLen) throw new RangeError(`signer returned ${signature.length} bytes, expected ${sigLen}`);
  w.bytes(signature);
  return w.done();
}

const RSA: ReadonlyMap<number, { hash: string; bits: number }> = new Map([
  [SigType.RSA_SHA256_2048, { hash: 'sha256', bits: 2048 }],
  [SigType.RSA_SHA384_3072, { hash: 'sha384', bits: 3072 }],
  [SigType.RSA_SHA512_4096, { hash: 'sha512', bits: 4096 }],
]);

const ECDSA: ReadonlyMap<number, { hash: string; curve: string }> = new Map([
  [SigType.ECDSA_SHA256_P256, { hash: 'sha256', curve: 'prime256v1' }],
  [SigType.ECDSA_SHA384_P384, { hash: 'sha384', curve: 'secp384r1' }],
  [SigType.ECDSA_SHA512_P521, { hash: 'sha512', curve: 'secp521r1' }],
]);

/** Signature types `verifySu3` can check. */
export function su3CanVerify(sigType: number): boolean {
  return (
    RSA.has(sigType) ||
    ECDSA.has(sigType) ||
    sigType === SigType.EdDSA_SHA512_Ed25519 ||
    sigType === SigType.EdDSA_SHA512_Ed25519ph ||
    sigType === SigType.DSA_SHA1
  );
}

/** Why a key of this kind cannot have made a signature of this type, or undefined when it can. */
function keyMismatch(sigType: number, key: KeyObject): string | undefined {
  const kind = key.asymmetricKeyType;
  const rsa = RSA.get(sigType);
  if (rsa) {
    if (kind !== 'rsa') return `certificate key is ${kind}, signature type ${sigType} needs RSA`;
    const bits = key.asymmetricKeyDetails?.modulusLength;
    return bits === rsa.bits ? undefined : `certificate RSA key has ${bits} bits, signature type ${sigType} needs ${rsa.bits}`;
  }
  const ec = ECDSA.get(sigType);
  if (ec) {
    if (kind !== 'ec') return `certificate key is ${kind}, signature type ${sigType} needs ECDSA`;
    const curve = key.asymmetricKeyDetails?.namedCurve;
    return curve === ec.curve ? undefined : `certificate curve ${curve}, signature type ${sigType} needs ${ec.curve}`;
  }
  if (sigType === SigType.EdDSA_SHA512_Ed25519 || sigType === SigType.EdDSA_SHA512_Ed25519ph) {
    return kind === 'ed25519' ? undefined : `certificate key is ${kind}, signature type ${sigType} needs Ed25519`;
  }
  if (sigType === SigType.DSA_SHA1) return kind === 'dsa' ? undefined : `certificate key is ${kind}, signature type 0 needs DSA`;
  return `signature type ${sigType} is not supported`;
}

/** Verify a raw su3 signature with one public key. Never throws. */
export function verifySu3Signature(sigType: number, key: KeyObject, signedBytes: Uint8Array, signature: Uint8Array): boolean {
  const info = sigTypeInfo(sigType);
  if (!info || signature.length !== info.signatureLength || keyMismatch(sigType, key) !== undefined) return false;
  try {
    const rsa = RSA.get(sigType);
    if (rsa) {
      // NONEwithRSA: the PKCS#1 v1.5 type-1 block carries the bare digest. publicDecrypt checks the padding.
      const digest = createHash(rsa.hash).update(signedBytes).digest();
      const recovered = publicDecrypt({ key, padding: constants.RSA_PKCS1_PADDING }, signature);
      return equalBytes(recovered, digest);
    }
    const ec = ECDSA.get(sigType);
    if (ec) return nodeVerify(ec.hash, signedBytes, { key, dsaEncoding: 'ieee-p1363' }, signature);
    if (sigType === SigType.EdDSA_SHA512_Ed25519) return nodeVerify(null, signedBytes, key, signature);
    if (sigType === SigType.EdDSA_SHA512_Ed25519ph) {
      const x = key.export({ format: 'jwk' }).x;
      if (typeof x !== 'string') return false;
      return ed25519ph.verify(signature, signedBytes, new Uint8Array(Buffer.from(x, 'base64url')));
    }
    if (sigType === SigType.DSA_SHA1) return nodeVerify('sha1', signedBytes, { key, dsaEncoding: 'ieee-p1363' }, signature);
  } catch {
    return false;
  }
  return false;
}

/** A public key trusted for a signer ID (see certificates.ts). */
export interface Su3TrustedKey {
  readonly signerId: string;
  readonly publicKey: KeyObject;
  /** Where it came from (a certificate file), for messages. */
  readonly source: string;
}

export type Su3VerifyCode = 'NO_CERTIFICATE' | 'UNSUPPORTED_SIG_TYPE' | 'BAD_SIGNATURE_LENGTH' | 'KEY_MISMATCH' | 'BAD_SIGNATURE';

export type Su3Verification =
  | { readonly ok: true; readonly key: Su3TrustedKey }
  | { readonly ok: false; readonly code: Su3VerifyCode; readonly message: string };

/**
 * Verify an su3 against the keys trusted for its signer ID (`keysFor` returns them; several certificates may
 * name the same signer — any one verifying is enough). Never throws.
 */
export function verifySu3(su3: Su3File, keysFor: (signerId: string) => readonly Su3TrustedKey[]): Su3Verification {
  const keys = keysFor(su3.signerId);
  if (keys.length === 0) return { ok: false, code: 'NO_CERTIFICATE', message: `no certificate for signer '${su3.signerId}'` };
  if (!su3CanVerify(su3.sigType)) {
    return { ok: false, code: 'UNSUPPORTED_SIG_TYPE', message: `su3 signature type ${su3.sigType} is not supported` };
  }
  const expected = sigTypeInfo(su3.sigType)!.signatureLength;
  if (su3.signature.length !== expected) {
    return {
      ok: false,
      code: 'BAD_SIGNATURE_LENGTH',
      message: `su3 signature of ${su3.signature.length} bytes, type ${su3.sigType} has ${expected}`,
    };
  }
  const usable = keys.filter((k) => keyMismatch(su3.sigType, k.publicKey) === undefined);
  if (usable.length === 0) {
    return { ok: false, code: 'KEY_MISMATCH', message: `certificate for '${su3.signerId}': ${keyMismatch(su3.sigType, keys[0]!.publicKey)}` };
  }
  for (const key of usable) {
    if (verifySu3Signature(su3.sigType, key.publicKey, su3.signedBytes, su3.signature)) return { ok: true, key };
  }
  return { ok: false, code: 'BAD_SIGNATURE', message: `su3 signature by '${su3.signerId}' does not verify` };
}

/**
 * A signing function for `buildSu3` from a private key (for tests and for making reseed bundles). RSA is
 * signed the NONEwithRSA way (PKCS#1 v1.5 padding around the bare digest), ECDSA and DSA as raw r||s.
 */
export function su3Signer(sigType: number, privateKey: KeyObject): Su3Sign {
  const rsa = RSA.get(sigType);
  if (rsa) {
    return (data) => new Uint8Array(privateEncrypt({ key: privateKey, padding: constants.RSA_PKCS1_PADDING }, createHash(rsa.hash).update(data).digest()));
  }
  const ec = ECDSA.get(sigType);
  if (ec) return (data) => new Uint8Array(nodeSign(ec.hash, data, { key: privateKey, dsaEncoding: 'ieee-p1363' }));
  if (sigType === SigType.EdDSA_SHA512_Ed25519) return (data) => new Uint8Array(nodeSign(null, data, privateKey));
  if (sigType === SigType.EdDSA_SHA512_Ed25519ph) {
    const d = privateKey.export({ format: 'jwk' }).d;
    if (typeof d !== 'string') throw new RangeError('not an Ed25519 private key');
    const seed = new Uint8Array(Buffer.from(d, 'base64url'));
    return (data) => ed25519ph.sign(data, seed);
  }
  if (sigType === SigType.DSA_SHA1) return (data) => new Uint8Array(nodeSign('sha1', data, { key: privateKey, dsaEncoding: 'ieee-p1363' }));
  throw new RangeError(`cannot sign su3 with signature type ${sigType}`);
}

/** Reseed-specific checks i2pd makes (file type zip, content type reseed). Throws ParseError. */
export function checkReseedSu3(su3: Su3File): void {
  if (su3.fileType !== Su3FileType.ZIP) {
    throw new ParseError('UNEXPECTED_FILE_TYPE', 'Su3', OFF_FILE_TYPE, `file type ${su3.fileType}, reseed needs 0 (zip)`);
  }
  if (su3.contentType !== Su3ContentType.RESEED) {
    throw new ParseError('UNEXPECTED_CONTENT_TYPE', 'Su3', OFF_CONTENT_TYPE, `content type ${su3.contentType}, reseed needs 3`);
  }
}

/** Offsets exported for tests that corrupt specific fields. */
export const SU3_OFFSETS = {
  sigType: OFF_SIG_TYPE,
  sigLength: OFF_SIG_LEN,
  versionLength: OFF_VERSION_LEN,
  signerIdLength: OFF_SIGNER_LEN,
  contentLength: OFF_CONTENT_LEN,
  fileType: OFF_FILE_TYPE,
  contentType: OFF_CONTENT_TYPE,
} as const;
