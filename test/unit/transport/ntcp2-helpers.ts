/**
 * Test doubles for the NTCP2 tests (not a test file).
 *
 * The fake RouterInfo is NOT the I2P format: RouterInfo bytes are opaque to the handshake, which only
 * hands them to the injected `verifyRouterInfo`. Here: [32-byte NTCP2 static key][filler]; its "hash" is
 * SHA-256 of the bytes.
 */
import { sha256 } from '../../../crypto/hash.js';
import type { Random } from '../../../crypto/random.js';
import { X25519Key } from '../../../crypto/x25519.js';
import { ParseError } from '../../../data/errors.js';
import {
  Ntcp2Initiator,
  Ntcp2Responder,
  type InitiatorOptions,
  type ResponderOptions,
  type VerifyRouterInfo,
} from '../../../transport/ntcp2/handshake.js';
import { Ntcp2ReplayCache } from '../../../transport/ntcp2/replay.js';

/** Deterministic RNG: SHA-256 in counter mode over a seed. */
export function seededRandom(seed: number): Random {
  let counter = 0;
  const next = (): Uint8Array => {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setUint32(0, seed);
    new DataView(b.buffer).setUint32(4, counter++);
    return sha256(b);
  };
  return {
    bytes(n) {
      const out = new Uint8Array(n);
      for (let o = 0; o < n; o += 32) out.set(next().subarray(0, Math.min(32, n - o)), o);
      return out;
    },
    int(min, max) {
      const v = new DataView(next().buffer).getUint32(0);
      return min + (v % (max - min));
    },
  };
}

export function fakeRouterInfo(staticKey: Uint8Array, size = 400, fill = 0x42): Uint8Array {
  const ri = new Uint8Array(size).fill(fill);
  ri.set(staticKey, 0);
  return ri;
}

export const fakeVerifyRouterInfo: VerifyRouterInfo = (ri) => {
  if (ri.length < 32) throw new ParseError('TRUNCATED', 'RouterInfo', ri.length, 'too short');
  return { hash: sha256(ri), staticKey: ri.subarray(0, 32) };
};

export interface Peer {
  staticKey: X25519Key;
  routerHash: Uint8Array;
  iv: Uint8Array;
  routerInfo: Uint8Array;
}

export function makePeer(seed: number): Peer {
  const r = seededRandom(seed);
  const staticKey = new X25519Key(r.bytes(32));
  const routerInfo = fakeRouterInfo(staticKey.publicKey, 300 + (seed % 50), seed & 0xff);
  return { staticKey, routerHash: sha256(routerInfo), iv: r.bytes(16), routerInfo };
}

export const NET_ID = 2;
export const T0 = 1_700_000_000_000;

export function makeAlice(alice: Peer, bob: Peer, extra: Partial<InitiatorOptions> = {}): Ntcp2Initiator {
  return new Ntcp2Initiator({
    staticKey: alice.staticKey,
    routerInfo: alice.routerInfo,
    netId: NET_ID,
    now: () => T0,
    random: seededRandom(1000 + alice.iv[0]!),
    remote: { routerHash: bob.routerHash, staticKey: bob.staticKey.publicKey, iv: bob.iv },
    ...extra,
  });
}

export function makeBob(bob: Peer, extra: Partial<ResponderOptions> = {}): Ntcp2Responder {
  return new Ntcp2Responder({
    staticKey: bob.staticKey,
    routerHash: bob.routerHash,
    iv: bob.iv,
    netId: NET_ID,
    now: () => T0,
    random: seededRandom(2000 + bob.iv[0]!),
    replayCache: new Ntcp2ReplayCache(),
    verifyRouterInfo: fakeVerifyRouterInfo,
    ...extra,
  });
}
