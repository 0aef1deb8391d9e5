/**
 * The private key file format: destination keys (i2pd *.dat, Java eepPriv.dat) and i2pd's router.keys.
 *
 * Spec: there is no spec section for the file; the layout is i2pd 2.45.1 libi2pd/Identity.cpp
 * PrivateKeys::FromBuffer / ToBuffer (Java I2P PrivateKeyFile is the same), built from the structures in
 * ../shared/specs/spec/common-structures.rst ("KeysAndCert", "PrivateKey", "SigningPrivateKey",
 * "OfflineSignature"):
 *
 *   KeysAndCert (Destination or RouterIdentity)
 *   crypto private key     32 bytes for X25519 (type 4), 256 bytes for every other type (i2pd GetPrivateKeyLen)
 *   signing private key    length by signing type (32 for Ed25519)
 *   if the signing private key is all zeros (offline keys):
 *     expires (4, seconds) || transient sig type (2) || transient public key || signature by the identity
 *     transient signing private key (length by the transient type)
 *
 * Checks on parse (all ParseError): the Ed25519 signing private key must give the identity's signing
 * public key, the offline signature must verify (i2pd checks it too), a transient Ed25519 private key must
 * give the transient public key, and with `checkCryptoKey` (router keys) the X25519 private key must give
 * the identity's crypto public key. Destinations are not crypto-checked by default: i2pd 2.45.1
 * (CreateRandomKeys with isDestination) writes a random, unrelated crypto key pair into destination files,
 * because a Destination's crypto key is unused. No trailing bytes (i2pd ignores them).
 */
import { Reader, Writer, equalBytes } from './bytes.js';
import { Ed25519Key } from '../crypto/ed25519.js';
import { X25519Key } from '../crypto/x25519.js';
import { systemRandom, type Random } from '../crypto/random.js';
import { type KeysAndCert, createDestination, createRouterIdentity, readKeysAndCert } from './identity.js';
import { CryptoType, SigType, type Signer, cryptoPrivateKeyFileLength, sigTypeInfo } from './key-types.js';
import {
  type OfflineSignature,
  createOfflineSignature,
  readOfflineSignature,
  sizeOfOfflineSignature,
  verifyOfflineSignature,
  writeOfflineSignature,
} from './lease-set2.js';

export interface PrivateKeyFile {
  readonly identity: KeysAndCert;
  readonly cryptoPrivateKey: Uint8Array;
  /** All zeros when `offline` is present. */
  readonly signingPrivateKey: Uint8Array;
  readonly offline?: { readonly signature: OfflineSignature; readonly transientPrivateKey: Uint8Array } | undefined;
}

function isAllZero(b: Uint8Array): boolean {
  for (const x of b) if (x !== 0) return false;
  return true;
}

export function parsePrivateKeyFile(bytes: Uint8Array, opts: { checkCryptoKey?: boolean } = {}): PrivateKeyFile {
  const r = new Reader(bytes, 'PrivateKeyFile');
  const identity = r.at('identity', () => readKeysAndCert(r));
  const cryptoPrivateKey = r.at('cryptoPrivateKey', () => r.copy(cryptoPrivateKeyFileLength(identity.cryptoType)));
  const sig = sigTypeInfo(identity.sigType)!;
  if (sig.privateKeyLength > 128) r.fail('UNSUPPORTED_SIG_TYPE', `signing type ${identity.sigType} not supported in key files`, 384);
  const spkAt = r.pos;
  const signingPrivateKey = r.at('signingPrivateKey', () => r.copy(sig.privateKeyLength));
  let offline: PrivateKeyFile['offline'];
  if (isAllZero(signingPrivateKey)) {
    offline = r.at('offline', () => {
      const at = r.pos;
      const signature = readOfflineSignature(r, identity.sigType);
      if (!verifyOfflineSignature(identity, signature)) r.fail('BAD_SIGNATURE', 'offline signature does not verify', at);
      const tInfo = sigTypeInfo(signature.transientSigType)!;
      if (tInfo.privateKeyLength > 128) r.fail('UNSUPPORTED_SIG_TYPE', `transient type ${signature.transientSigType}`, at + 4);
      const tpkAt = r.pos;
      const transientPrivateKey = r.copy(tInfo.privateKeyLength, 'transient private key');
      if (signature.transientSigType === SigType.EdDSA_SHA512_Ed25519 && !equalBytes(new Ed25519Key(transientPrivateKey).publicKey, signature.transientPublicKey)) {
        r.fail('KEY_MISMATCH', 'transient private key does not match the transient public key', tpkAt);
      }
      return { signature, transientPrivateKey };
    });
  } else if (identity.sigType === SigType.EdDSA_SHA512_Ed25519 && !equalBytes(new Ed25519Key(signingPrivateKey).publicKey, identity.signingPublicKey)) {
    r.at('signingPrivateKey', () => r.fail('KEY_MISMATCH', 'signing private key does not match the identity', spkAt));
  }
  if (opts.checkCryptoKey) {
    const at = identity.bytes.length;
    if (identity.cryptoType !== CryptoType.X25519) r.fail('UNSUPPORTED_CRYPTO_TYPE', `cannot check crypto type ${identity.cryptoType}`, at);
    if (!equalBytes(new X25519Key(cryptoPrivateKey).publicKey, identity.cryptoPublicKey!)) {
      r.at('cryptoPrivateKey', () => r.fail('KEY_MISMATCH', 'crypto private key does not match the identity', at));
    }
  }
  r.finish();
  return { identity, cryptoPrivateKey, signingPrivateKey, offline };
}

/** router.keys: like parsePrivateKeyFile, and the X25519 private key must match the RouterIdentity. */
export function parseRouterKeys(bytes: Uint8Array): PrivateKeyFile {
  return parsePrivateKeyFile(bytes, { checkCryptoKey: true });
}

export function serializePrivateKeyFile(k: PrivateKeyFile): Uint8Array {
  const sig = sigTypeInfo(k.identity.sigType)!;
  if (k.cryptoPrivateKey.length !== cryptoPrivateKeyFileLength(k.identity.cryptoType)) throw new RangeError('crypto private key length');
  if (k.signingPrivateKey.length !== sig.privateKeyLength) throw new RangeError('signing private key length');
  if (Boolean(k.offline) !== isAllZero(k.signingPrivateKey)) throw new RangeError('offline section present iff signing private key is all zeros');
  let n = k.identity.bytes.length + k.cryptoPrivateKey.length + k.signingPrivateKey.length;
  if (k.offline) n += sizeOfOfflineSignature(k.offline.signature) + k.offline.transientPrivateKey.length;
  const w = new Writer(n);
  w.bytes(k.identity.bytes).bytes(k.cryptoPrivateKey).bytes(k.signingPrivateKey);
  if (k.offline) {
    writeOfflineSignature(w, k.offline.signature);
    w.bytes(k.offline.transientPrivateKey);
  }
  return w.done();
}

/** Router keys: X25519 crypto key + Ed25519 signing key, i2pd-style padding. */
export function generateRouterKeys(random: Random = systemRandom): PrivateKeyFile {
  const ck = new X25519Key(random.bytes(32));
  const sk = new Ed25519Key(random.bytes(32));
  const identity = createRouterIdentity({ cryptoPublicKey: ck.publicKey, signingPublicKey: sk.publicKey, random });
  return { identity, cryptoPrivateKey: ck.privateKey, signingPrivateKey: sk.seed };
}

/**
 * Destination keys with an Ed25519 signing key. Default crypto type X25519 with a real key pair; with
 * `cryptoType: 0` the i2pd default is reproduced (random padding as the unused ElGamal public key field
 * and 256 random bytes as the unused private key).
 */
export function generateDestinationKeys(opts: { random?: Random; cryptoType?: 0 | 4 } = {}): PrivateKeyFile {
  const random = opts.random ?? systemRandom;
  const sk = new Ed25519Key(random.bytes(32));
  if (opts.cryptoType === CryptoType.ElGamal) {
    const identity = createDestination({ signingPublicKey: sk.publicKey, cryptoType: 0, random });
    return { identity, cryptoPrivateKey: random.bytes(256), signingPrivateKey: sk.seed };
  }
  const ck = new X25519Key(random.bytes(32));
  const identity = createDestination({ signingPublicKey: sk.publicKey, cryptoType: 4, cryptoPublicKey: ck.publicKey, random });
  return { identity, cryptoPrivateKey: ck.privateKey, signingPrivateKey: sk.seed };
}

/**
 * The signer to use for this key file: the transient key with offline keys, else the identity key.
 * Only Ed25519 can sign here (RangeError otherwise).
 */
export function privateKeyFileSigner(k: PrivateKeyFile): Signer {
  const type = k.offline ? k.offline.signature.transientSigType : k.identity.sigType;
  if (type !== SigType.EdDSA_SHA512_Ed25519) throw new RangeError(`cannot sign with signing type ${type}`);
  return new Ed25519Key(k.offline ? k.offline.transientPrivateKey : k.signingPrivateKey);
}

/**
 * Offline keys (as i2pd PrivateKeys::CreateOfflineKeys): a new Ed25519 transient key, signed by the
 * identity's key until `expires` (seconds); the long-term signing private key is zeroed in the result.
 */
export function createOfflineKeys(k: PrivateKeyFile, opts: { expires: number; random?: Random }): PrivateKeyFile {
  const transient = new Ed25519Key((opts.random ?? systemRandom).bytes(32));
  const signature = createOfflineSignature(
    { expires: opts.expires, transientSigType: SigType.EdDSA_SHA512_Ed25519, transientPublicKey: transient.publicKey },
    privateKeyFileSigner({ ...k, offline: undefined }),
  );
  return {
    identity: k.identity,
    cryptoPrivateKey: k.cryptoPrivateKey,
    signingPrivateKey: new Uint8Array(k.signingPrivateKey.length),
    offline: { signature, transientPrivateKey: transient.seed },
  };
}
