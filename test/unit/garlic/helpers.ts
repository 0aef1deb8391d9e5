/** Shared fixtures for garlic/ tests: a seeded RNG, a virtual clock, and Alice/Bob engines. */
import { createHash } from 'node:crypto';
import type { Random } from '../../../crypto/random.js';
import { X25519Key } from '../../../crypto/x25519.js';
import { BlockType } from '../../../garlic/blocks.js';
import type { Block } from '../../../garlic/blocks.js';
import { GarlicEngine } from '../../../garlic/session.js';
import type { GarlicEngineOptions } from '../../../garlic/session.js';

/** Deterministic RNG: SHA-256 in counter mode over a seed. */
export function seededRandom(seed: string): Random {
  let counter = 0;
  let pool = new Uint8Array(0);
  const bytes = (n: number): Uint8Array => {
    const out = new Uint8Array(n);
    let o = 0;
    while (o < n) {
      if (pool.length === 0) pool = new Uint8Array(createHash('sha256').update(`${seed}/${counter++}`).digest());
      const take = Math.min(pool.length, n - o);
      out.set(pool.subarray(0, take), o);
      pool = pool.subarray(take);
      o += take;
    }
    return out;
  };
  return {
    bytes,
    int: (min, max) => {
      const v = new DataView(bytes(4).buffer).getUint32(0);
      return min + (v % (max - min));
    },
  };
}

export class Clock {
  t: number;
  constructor(t = 1_700_000_000_000) {
    this.t = t;
  }
  now = (): number => this.t;
  advance(ms: number): void {
    this.t += ms;
  }
}

export function pair(seed: string, opts: Partial<GarlicEngineOptions> = {}) {
  const rnd = seededRandom(seed);
  const clock = new Clock();
  const aliceKey = new X25519Key(rnd.bytes(32));
  const bobKey = new X25519Key(rnd.bytes(32));
  const alice = new GarlicEngine({ staticKey: aliceKey, now: clock.now, random: seededRandom(`${seed}/alice`), ...opts });
  const bob = new GarlicEngine({ staticKey: bobKey, now: clock.now, random: seededRandom(`${seed}/bob`), ...opts });
  return { alice, bob, aliceKey, bobKey, clock };
}

export function clove(body: string | Uint8Array, msgId = 1): Block {
  return {
    type: BlockType.GarlicClove,
    clove: {
      delivery: { type: 'local' },
      i2npType: 20,
      msgId,
      expiration: 1_700_000_060,
      body: typeof body === 'string' ? new TextEncoder().encode(body) : body,
    },
  };
}

/** The clove bodies of a block list, as strings. */
export function bodies(blocks: readonly Block[]): string[] {
  const out: string[] = [];
  for (const b of blocks) if (b.type === BlockType.GarlicClove) out.push(new TextDecoder().decode(b.clove.body));
  return out;
}

/** Alice → NS → Bob → NSR → Alice → ES → Bob: an established session both ways. */
export function establish(p: ReturnType<typeof pair>) {
  const ns = p.alice.encrypt(p.bobKey.publicKey, [clove('ns')]);
  const r1 = p.bob.decrypt(ns.data);
  const nsr = p.bob.encrypt(p.aliceKey.publicKey, [clove('nsr')]);
  const r2 = p.alice.decrypt(nsr.data);
  const es = p.alice.encrypt(p.bobKey.publicKey, [clove('es1')]);
  const r3 = p.bob.decrypt(es.data);
  return { ns, nsr, es, r1, r2, r3 };
}
