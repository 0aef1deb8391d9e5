/**
 * Datagram1 (repliable, I2CP protocol 17): from Destination | Signature | payload.
 *
 * Spec: ../shared/specs/spec/datagrams.rst ("Datagram1 (Repliable)"): the signature is by `from`'s signing
 * key over SHA-256(payload) for DSA_SHA1, over the payload itself for every other type; no offline
 * signature block is possible in this format.
 * i2pd 2.45.1: Datagram.cpp DatagramDestination::HandleDatagram / CreateDatagram.
 *
 * parseRepliableDatagram returns undefined (never throws) for anything malformed or not verifiable: the
 * caller counts it. Signing types this codebase cannot verify (RSA, GOST) are refused.
 */
import { createHash } from 'node:crypto';
import { Reader } from '../data/bytes.js';
import { concatBytes } from '../data/bytes.js';
import { readKeysAndCert, signatureLength, type Destination } from '../data/identity.js';
import { SigType, verifySignature } from '../data/key-types.js';
import { privateKeyFileSigner, type PrivateKeyFile } from '../data/private-key-file.js';

export interface RepliableDatagram {
  from: Destination;
  payload: Uint8Array;
}

/** Sign `payload` as a repliable datagram from `keys` (Ed25519, no offline keys: the format cannot carry them). */
export function buildRepliableDatagram(keys: PrivateKeyFile, payload: Uint8Array): Uint8Array {
  if (keys.offline) throw new RangeError('repliable datagrams cannot be sent with offline keys (spec/datagrams.rst)');
  const signature = privateKeyFileSigner(keys).sign(payload);
  return concatBytes(keys.identity.bytes, signature, payload);
}

/** Parse and verify; undefined when malformed or the signature does not verify. */
export function parseRepliableDatagram(bytes: Uint8Array): RepliableDatagram | undefined {
  try {
    const r = new Reader(bytes, 'Datagram1');
    const from = readKeysAndCert(r);
    const signature = r.bytes(signatureLength(from), 'signature');
    const payload = r.rest();
    // DSA_SHA1 signs SHA-256(payload) (i2pd HandleDatagram: "for DSA only" the hash is verified)
    const signed = from.sigType === SigType.DSA_SHA1 ? createHash('sha256').update(payload).digest() : payload;
    if (!verifySignature(from.sigType, from.signingPublicKey, signed, signature)) return undefined;
    return { from, payload };
  } catch {
    return undefined;
  }
}
