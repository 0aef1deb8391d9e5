/**
 * Two (or more) StreamManagers, each with its own generated destination keys, on one in-memory Link in
 * virtual time.
 */
import { generateDestinationKeys, type PrivateKeyFile } from '../../../data/private-key-file.js';
import type { Connection, StreamingConfig } from '../../../client/streaming/connection.js';
import { StreamManager, type StreamManagerOptions } from '../../../client/streaming/manager.js';
import { Link, VirtualClock, seededRandom, type LinkConditions } from './helpers.js';

export interface Net {
  clock: VirtualClock;
  link: Link;
  node(opts?: Partial<StreamManagerOptions> & { keys?: PrivateKeyFile }): StreamManager;
}

export function makeNet(conditions: LinkConditions = {}, seed = 7, config?: Partial<StreamingConfig>): Net {
  const clock = new VirtualClock();
  const link = new Link(clock, conditions, seed);
  let n = 0;
  return {
    clock,
    link,
    node(opts = {}) {
      const keys = opts.keys ?? generateDestinationKeys();
      let m: StreamManager | undefined;
      m = new StreamManager({
        keys,
        transport: link.transportFor(() => m!.destination),
        clock,
        random: seededRandom(seed * 1000 + ++n),
        config,
        ...opts,
      });
      link.add(m);
      return m;
    },
  };
}

/** Collect everything a readable side delivers. */
export function collect(conn: Connection): { chunks: Uint8Array[]; ended: boolean; bytes(): Uint8Array; length: number } {
  const state = {
    chunks: [] as Uint8Array[],
    ended: false,
    length: 0,
    bytes() {
      return Buffer.concat(state.chunks);
    },
  };
  conn.on('data', (c: Uint8Array) => {
    state.chunks.push(c);
    state.length += c.length;
  });
  conn.on('end', () => (state.ended = true));
  return state;
}

export function pattern(n: number, seed: number): Uint8Array {
  const r = seededRandom(seed);
  return r.bytes(n);
}
