/**
 * Test helpers for tunnels/ (not a test file): a deterministic RNG and simulated routers (an X25519 key and
 * a random 32-byte "router hash"; the build code only needs the hash and the encryption key).
 */
import { sha256 } from '../../../crypto/hash.js';
import type { Random } from '../../../crypto/random.js';
import { X25519Key } from '../../../crypto/x25519.js';
import { BuildRecordDecryptor } from '../../../tunnels/build/records.js';

/** Deterministic RNG: SHA-256 in counter mode over a seed. */
export function seededRandom(seed: number): Random {
  let counter = 0;
  let pool: Uint8Array = new Uint8Array(0);
  const take = (n: number): Uint8Array => {
    const out = new Uint8Array(n);
    let o = 0;
    while (o < n) {
      if (pool.length === 0) {
        const b = new Uint8Array(8);
        new DataView(b.buffer).setUint32(0, seed);
        new DataView(b.buffer).setUint32(4, counter++);
        pool = sha256(b);
      }
      const k = Math.min(pool.length, n - o);
      out.set(pool.subarray(0, k), o);
      pool = pool.subarray(k);
      o += k;
    }
    return out;
  };
  return {
    bytes: take,
    int: (min, max) => {
      const span = max - min;
      const v = new DataView(take(8).buffer).getBigUint64(0);
      return min + Number(v % BigInt(span));
    },
  };
}

export interface SimRouter {
  key: X25519Key;
  hash: Uint8Array;
  decryptor: BuildRecordDecryptor;
  hop: { routerHash: Uint8Array; x25519PublicKey: Uint8Array };
}

export function simRouter(random: Random): SimRouter {
  const key = new X25519Key(random.bytes(32));
  const hash = random.bytes(32);
  return { key, hash, decryptor: new BuildRecordDecryptor(key, hash), hop: { routerHash: hash, x25519PublicKey: key.publicKey } };
}
