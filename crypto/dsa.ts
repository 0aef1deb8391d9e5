/**
 * DSA-SHA1 signature verification (I2P signature type 0), for legacy destinations: i2pd's SAM bridge makes
 * DSA destinations by default (DEST GENERATE without SIGNATURE_TYPE), and older hidden sites still use them.
 * clove never signs with DSA.
 *
 * Spec: ../shared/specs/spec/cryptography.rst "DSA" (1024-bit p, 160-bit q, the fixed p/q/g below; public key
 * y as 128 bytes big-endian; signature r || s, 20 bytes each), spec/common-structures.rst "Signature".
 * i2pd 2.45.1 libi2pd/Signature.h DSAVerifier (OpenSSL DSA_do_verify over SHA-1 of the data).
 *
 * node:crypto has no raw DSA key import: the public key is wrapped as an X.509 SubjectPublicKeyInfo (DER:
 * id-dsa with Dss-Parms p, q, g; BIT STRING holding INTEGER y) and imported once per key (bounded cache).
 */
import { createPublicKey, verify as nodeVerify, type KeyObject } from 'node:crypto';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

export const DSA_P = hex(`9C05B2AA 960D9B97 B8931963 C9CC9E8C 3026E9B8 ED92FAD0 A69CC886 D5BF8015 FCADAE31 A0AD18FA
  B3F01B00 A358DE23 7655C496 4AFAA2B3 37E96AD3 16B9FB1C C564B5AE C5B69A9F F6C3E454 8707FEF8 503D91DD 8602E867
  E6D35D22 35C1869C E2479C3B 9D5401DE 04E0727F B33D6511 285D4CF2 9538D9E3 B6051F5B 22CC1C93`);
export const DSA_Q = hex('A5DFC28F EF4CA1E2 86744CD8 EED9D29D 684046B7');
export const DSA_G = hex(`0C1F4D27 D40093B4 29E962D7 223824E0 BBC47E7C 832A3923 6FC683AF 84889581 075FF908 2ED32353
  D4374D73 01CDA1D2 3C431F46 98599DDA 02451824 FF369752 593647CC 3DDC197D E985E43D 136CDCFC 6BD5409C D2F45082
  1142A5E6 F8EB1C3A B5D0484B 8129FCF1 7BCE4F7F 33321C3C B3DBB14A 905E7B2B 3E93BE47 08CBCC82`);

// ---- minimal DER ----

function derLength(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let x = n; x > 0; x >>= 8) bytes.unshift(x & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function tlv(tag: number, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from([tag]), derLength(body.length), body]);
}

/** A non-negative DER INTEGER from big-endian bytes: leading zeros dropped, a zero byte added if the top bit is set. */
function derUint(b: Uint8Array): Buffer {
  let i = 0;
  while (i < b.length - 1 && b[i] === 0) i++;
  const v = Buffer.from(b.subarray(i));
  return tlv(0x02, v[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), v]) : v);
}

const ID_DSA = Buffer.from([0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x38, 0x04, 0x01]); // 1.2.840.10040.4.1
const ALGORITHM = tlv(0x30, Buffer.concat([ID_DSA, tlv(0x30, Buffer.concat([derUint(DSA_P), derUint(DSA_Q), derUint(DSA_G)]))]));

/** The SubjectPublicKeyInfo DER of an I2P DSA public key (128 bytes, y). */
export function dsaSpki(y: Uint8Array): Buffer {
  const bitString = tlv(0x03, Buffer.concat([Buffer.from([0]), derUint(y)]));
  return tlv(0x30, Buffer.concat([ALGORITHM, bitString]));
}

const MAX_CACHED_KEYS = 256;
const keys = new Map<string, KeyObject>();

function importKey(y: Uint8Array): KeyObject {
  const id = Buffer.from(y).toString('base64');
  let k = keys.get(id);
  if (k) return k;
  k = createPublicKey({ key: dsaSpki(y), format: 'der', type: 'spki' });
  if (keys.size >= MAX_CACHED_KEYS) keys.delete(keys.keys().next().value!);
  keys.set(id, k);
  return k;
}

/** Verify an I2P DSA-SHA1 signature (r || s, 40 bytes) by public key y (128 bytes). Never throws. */
export function dsaVerify(y: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (y.length !== 128 || signature.length !== 40) return false;
  try {
    return nodeVerify('sha1', message, { key: importKey(y), dsaEncoding: 'ieee-p1363' }, signature);
  } catch {
    return false;
  }
}
