/**
 * SAM destination keys: SIGNATURE_TYPE / CRYPTO_TYPE values, DEST GENERATE, and the base64 private keys that
 * SESSION CREATE takes (DESTINATION=$privkey) and SESSION STATUS / DEST REPLY return.
 *
 * Spec: ../shared/specs/docs/api-samv3.html ("Destination Key Generation", "Session Creation Request": the
 * $privkey is the base64 of a Private Key File — Destination, private key, signing private key, optional
 * offline signature section), data/private-key-file.ts for the layout.
 * i2pd 2.45.1 SAM.cpp: ProcessDestGenerate, SAMBridge::ResolveSignatureType (a number or one of its names;
 * CRYPTO_TYPE a number, default ElGamal 0, for which i2pd writes a random unused key pair).
 *
 * Deviations, written down:
 *   - The default signature type is Ed25519 (7), not DSA_SHA1 (0): clove signs with Ed25519 only (see
 *     privateKeyFileSigner), and the spec itself tells every client to ask for 7. Any other SIGNATURE_TYPE
 *     is refused with a message (i2pd falls back to DSA_SHA1 with a log line for names it does not know).
 *   - Names are matched case-insensitively (the spec says so; i2pd's table is case-sensitive).
 *   - CRYPTO_TYPE: 0 (the default, as i2pd: an unused random key — the LeaseSet gets its own X25519 key) or 4.
 *   - A private key without base64 padding is accepted (padding added), as some clients strip '='.
 */
import { systemRandom, type Random } from '../../crypto/random.js';
import { fromBase64, toBase64 } from '../../data/base64.js';
import { ParseError } from '../../data/errors.js';
import { SigType } from '../../data/key-types.js';
import { generateDestinationKeys, parsePrivateKeyFile, privateKeyFileSigner, serializePrivateKeyFile, type PrivateKeyFile } from '../../data/private-key-file.js';

/** i2pd's names (SAMBridge::m_SignatureTypes) plus Java's spellings of the same types. */
const SIG_NAMES: ReadonlyMap<string, number> = new Map([
  ['DSA_SHA1', SigType.DSA_SHA1],
  ['ECDSA_SHA256_P256', SigType.ECDSA_SHA256_P256],
  ['ECDSA_SHA384_P384', SigType.ECDSA_SHA384_P384],
  ['ECDSA_SHA512_P521', SigType.ECDSA_SHA512_P521],
  ['RSA_SHA256_2048', SigType.RSA_SHA256_2048],
  ['RSA_SHA384_3072', SigType.RSA_SHA384_3072],
  ['RSA_SHA512_4096', SigType.RSA_SHA512_4096],
  ['EDDSA_SHA512_ED25519', SigType.EdDSA_SHA512_Ed25519],
  ['EDDSA_SHA512_ED25519PH', SigType.EdDSA_SHA512_Ed25519ph],
  ['GOST_GOSTR3411256_GOSTR3410CRYPTOPROA', SigType.GOSTR3410_256],
  ['GOST_GOSTR3411512_GOSTR3410TC26A512', SigType.GOSTR3410_512],
  ['REDDSA_SHA512_ED25519', SigType.RedDSA_SHA512_Ed25519],
]);

export class SamKeyError extends Error {
  /** The SAM RESULT to answer with. */
  readonly result: 'INVALID_KEY' | 'I2P_ERROR';
  constructor(result: 'INVALID_KEY' | 'I2P_ERROR', message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SamKeyError';
    this.result = result;
  }
}

/** SIGNATURE_TYPE (a number or a name) → the type we can create, or SamKeyError. Absent → Ed25519. */
export function resolveSignatureType(value: string | undefined): number {
  if (value === undefined || value === '') return SigType.EdDSA_SHA512_Ed25519;
  const n = /^\d{1,5}$/.test(value) ? Number(value) : SIG_NAMES.get(value.toUpperCase());
  if (n === undefined) throw new SamKeyError('I2P_ERROR', `unknown SIGNATURE_TYPE ${value.slice(0, 40)}`);
  if (n !== SigType.EdDSA_SHA512_Ed25519) throw new SamKeyError('I2P_ERROR', `SIGNATURE_TYPE ${n} is not supported (only 7, EdDSA_SHA512_Ed25519)`);
  return n;
}

/** CRYPTO_TYPE → 0 or 4 (absent → 0, as i2pd), or SamKeyError. */
export function resolveCryptoType(value: string | undefined): 0 | 4 {
  if (value === undefined || value === '') return 0;
  if (value === '0') return 0;
  if (value === '4') return 4;
  throw new SamKeyError('I2P_ERROR', `CRYPTO_TYPE ${value.slice(0, 40)} is not supported (0 or 4)`);
}

/** DEST GENERATE / TRANSIENT: fresh keys for the given parameters. */
export function generateSamKeys(params: ReadonlyMap<string, string>, random: Random = systemRandom): PrivateKeyFile {
  resolveSignatureType(params.get('SIGNATURE_TYPE'));
  const cryptoType = resolveCryptoType(params.get('CRYPTO_TYPE'));
  return generateDestinationKeys({ random, cryptoType });
}

export function privateKeyToBase64(k: PrivateKeyFile): string {
  return toBase64(serializePrivateKeyFile(k));
}

/**
 * A $privkey from a client → PrivateKeyFile that clove can sign with. SamKeyError INVALID_KEY for anything
 * that is not a valid private key file; I2P_ERROR for valid keys of a signing type clove cannot use.
 */
export function decodePrivateKey(b64: string): PrivateKeyFile {
  const s = b64.length % 4 === 0 ? b64 : b64 + '='.repeat(4 - (b64.length % 4));
  let k: PrivateKeyFile;
  try {
    k = parsePrivateKeyFile(fromBase64(s, 'DESTINATION'));
  } catch (e) {
    if (e instanceof ParseError) throw new SamKeyError('INVALID_KEY', `not a valid private key: ${e.code}`, { cause: e });
    throw e;
  }
  try {
    privateKeyFileSigner(k);
  } catch (e) {
    if (e instanceof RangeError) throw new SamKeyError('I2P_ERROR', `${e.message} (only Ed25519 keys are supported)`, { cause: e });
    throw e;
  }
  return k;
}
