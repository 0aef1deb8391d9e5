/**
 * Garlic (I2NP type 11), carried opaque: the content is ElGamal/AES or ECIES-X25519-AEAD-Ratchet ciphertext
 * that garlic/ decrypts.
 *
 * Spec: ../shared/specs/spec/i2np.rst, "Messages" → "Garlic" (the "Encrypted" layout).
 * i2pd 2.45.1: Garlic.cpp GarlicDestination::HandleGarlicMessage, ECIESX25519AEADRatchetSession.cpp.
 *
 *   length 4 | data (length bytes)
 *
 * length is bounded by the bytes present (the enclosing I2NP size is at most 65535), so nothing is allocated
 * from it; `data` is a subarray view. No trailing bytes (i2pd ignores them).
 */
import { Reader, Writer } from '../data/bytes.js';

export const GARLIC_LENGTH_SIZE = 4;

export interface Garlic {
  data: Uint8Array;
}

export function sizeOfGarlic(x: Garlic): number {
  return GARLIC_LENGTH_SIZE + x.data.length;
}

export function writeGarlic(w: Writer, x: Garlic): void {
  w.u32(x.data.length).bytes(x.data);
}

export function readGarlic(r: Reader): Garlic {
  return r.at('Garlic', () => {
    const length = r.u32();
    return { data: r.bytes(length, 'garlic data') };
  });
}

/** Parse a Garlic payload; no trailing bytes allowed. */
export function parseGarlic(bytes: Uint8Array): Garlic {
  const r = new Reader(bytes);
  const x = readGarlic(r);
  r.at('Garlic', () => r.finish());
  return x;
}

export function serializeGarlic(x: Garlic): Uint8Array {
  const w = new Writer(sizeOfGarlic(x));
  writeGarlic(w, x);
  return w.done();
}
