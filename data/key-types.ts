/**
 * Signing and crypto key types: lengths, and signature verification by type.
 *
 * Spec: ../shared/specs/spec/common-structures.rst, "SigningPublicKey", "SigningPrivateKey", "Signature",
 * "PublicKey", "PrivateKey" and "Certificate" → "Key Certificates" (type code tables).
 * i2pd 2.45.1 (libi2pd/Identity.h, Signature.h) agrees on the sizes; it also defines the GOST types 9 and
 * 10 that the spec lists as reserved — they are listed here so identities using them still parse.
 *
 * Verification supports EdDSA_SHA512_Ed25519 (7), RedDSA_SHA512_Ed25519 (11: a RedDSA signature verifies
 * as a plain Ed25519 signature, as in i2pd's RedDSA25519Verifier), ECDSA P-256/P-384/P-521 (1–3) and
 * DSA_SHA1 (0, legacy destinations: crypto/dsa.ts) via node:crypto. Other types (RSA, Ed25519ph, GOST) parse
 * but never verify (`verifySignature` returns false), which is what i2pd does for RSA RouterInfos.
 */
import { createPublicKey, verify as nodeVerify } from 'node:crypto';
import { ed25519Verify } from '../crypto/ed25519.js';
import { dsaVerify } from '../crypto/dsa.js';

export const SigType = {
  DSA_SHA1: 0,
  ECDSA_SHA256_P256: 1,
  ECDSA_SHA384_P384: 2,
  ECDSA_SHA512_P521: 3,
  RSA_SHA256_2048: 4,
  RSA_SHA384_3072: 5,
  RSA_SHA512_4096: 6,
  EdDSA_SHA512_Ed25519: 7,
  EdDSA_SHA512_Ed25519ph: 8,
  GOSTR3410_256: 9,
  GOSTR3410_512: 10,
  RedDSA_SHA512_Ed25519: 11,
} as const;

export interface SigTypeInfo {
  readonly name: string;
  readonly publicKeyLength: number;
  readonly privateKeyLength: number;
  readonly signatureLength: number;
}

const SIG_TYPES: ReadonlyMap<number, SigTypeInfo> = new Map([
  [0, { name: 'DSA_SHA1', publicKeyLength: 128, privateKeyLength: 20, signatureLength: 40 }],
  [1, { name: 'ECDSA_SHA256_P256', publicKeyLength: 64, privateKeyLength: 32, signatureLength: 64 }],
  [2, { name: 'ECDSA_SHA384_P384', publicKeyLength: 96, privateKeyLength: 48, signatureLength: 96 }],
  [3, { name: 'ECDSA_SHA512_P521', publicKeyLength: 132, privateKeyLength: 66, signatureLength: 132 }],
  [4, { name: 'RSA_SHA256_2048', publicKeyLength: 256, privateKeyLength: 512, signatureLength: 256 }],
  [5, { name: 'RSA_SHA384_3072', publicKeyLength: 384, privateKeyLength: 768, signatureLength: 384 }],
  [6, { name: 'RSA_SHA512_4096', publicKeyLength: 512, privateKeyLength: 1024, signatureLength: 512 }],
  [7, { name: 'EdDSA_SHA512_Ed25519', publicKeyLength: 32, privateKeyLength: 32, signatureLength: 64 }],
  [8, { name: 'EdDSA_SHA512_Ed25519ph', publicKeyLength: 32, privateKeyLength: 32, signatureLength: 64 }],
  [9, { name: 'GOSTR3410_CRYPTO_PRO_A_GOSTR3411_256', publicKeyLength: 64, privateKeyLength: 32, signatureLength: 64 }],
  [10, { name: 'GOSTR3410_TC26_A_512_GOSTR3411_512', publicKeyLength: 128, privateKeyLength: 64, signatureLength: 128 }],
  [11, { name: 'RedDSA_SHA512_Ed25519', publicKeyLength: 32, privateKeyLength: 32, signatureLength: 64 }],
]);

/** Sizes for a signing type; undefined for unknown types. */
export function sigTypeInfo(type: number): SigTypeInfo | undefined {
  return SIG_TYPES.get(type);
}

export const CryptoType = {
  ElGamal: 0,
  P256: 1,
  P384: 2,
  P521: 3,
  X25519: 4,
  MLKEM512_X25519: 5,
  MLKEM768_X25519: 6,
  MLKEM1024_X25519: 7,
} as const;

const CRYPTO_PUBLIC_LENGTHS: ReadonlyMap<number, number> = new Map([
  [0, 256],
  [1, 64],
  [2, 96],
  [3, 132],
  [4, 32],
  [5, 32],
  [6, 32],
  [7, 32],
]);

/** Public key length for a crypto type; undefined for unknown types. */
export function cryptoPublicKeyLength(type: number): number | undefined {
  return CRYPTO_PUBLIC_LENGTHS.get(type);
}

/**
 * Private key length in a PrivateKeyFile (i2pd 2.45.1 PrivateKeys::GetPrivateKeyLen: 32 for X25519,
 * 256 for everything else).
 */
export function cryptoPrivateKeyFileLength(type: number): number {
  return type === CryptoType.X25519 ? 32 : 256;
}

const ECDSA: ReadonlyMap<number, { crv: string; hash: string; half: number }> = new Map([
  [1, { crv: 'P-256', hash: 'sha256', half: 32 }],
  [2, { crv: 'P-384', hash: 'sha384', half: 48 }],
  [3, { crv: 'P-521', hash: 'sha512', half: 66 }],
]);

/** True if `verifySignature` can verify this type. */
export function canVerify(sigType: number): boolean {
  return sigType === SigType.EdDSA_SHA512_Ed25519 || sigType === SigType.RedDSA_SHA512_Ed25519 || sigType === SigType.DSA_SHA1 || ECDSA.has(sigType);
}

/** Verify `signature` over `message` by a public key of `sigType`. Never throws; false when unsupported. */
export function verifySignature(sigType: number, publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  const info = SIG_TYPES.get(sigType);
  if (!info || publicKey.length !== info.publicKeyLength || signature.length !== info.signatureLength) return false;
  if (sigType === SigType.EdDSA_SHA512_Ed25519 || sigType === SigType.RedDSA_SHA512_Ed25519) {
    return ed25519Verify(publicKey, message, signature);
  }
  if (sigType === SigType.DSA_SHA1) return dsaVerify(publicKey, message, signature);
  const ec = ECDSA.get(sigType);
  if (!ec) return false;
  try {
    const b64u = (b: Uint8Array) => Buffer.from(b).toString('base64url');
    const key = createPublicKey({
      key: { kty: 'EC', crv: ec.crv, x: b64u(publicKey.subarray(0, ec.half)), y: b64u(publicKey.subarray(ec.half)) },
      format: 'jwk',
    });
    return nodeVerify(ec.hash, message, { key, dsaEncoding: 'ieee-p1363' }, signature);
  } catch {
    return false;
  }
}

/** Anything that signs: an Ed25519Key fits. */
export interface Signer {
  sign(message: Uint8Array): Uint8Array;
}
