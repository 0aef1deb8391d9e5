/**
 * The RNG handle. Everything that needs randomness takes a `Random` so in-process networks can run with a
 * seeded generator; the default is node:crypto's CSPRNG.
 */
import { randomBytes as nodeRandomBytes, randomInt } from 'node:crypto';

export interface Random {
  bytes(n: number): Uint8Array;
  /** Uniform integer in [min, max). */
  int(min: number, max: number): number;
}

export const systemRandom: Random = {
  bytes: (n) => new Uint8Array(nodeRandomBytes(n)),
  int: (min, max) => randomInt(min, max),
};
