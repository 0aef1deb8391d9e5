/**
 * DatabaseSearchReply (I2NP type 3).
 *
 * Spec: ../shared/specs/spec/i2np.rst, "Messages" → "DatabaseSearchReply".
 * i2pd 2.45.1: I2NPProtocol.cpp CreateDatabaseSearchReply, NetDb.cpp NetDb::HandleDatabaseSearchReplyMsg.
 *
 *   key 32 | num 1 | num × peer hash 32 | from 32
 *
 * num is a byte, so at most 255 peers (spec recommends returning at most 16; i2pd sends 3). No trailing bytes
 * (i2pd ignores them). Hashes are subarray views into the input.
 */
import { Reader, Writer } from '../data/bytes.js';

const HASH_SIZE = 32;
export const DATABASE_SEARCH_REPLY_MAX_PEERS = 255;

export interface DatabaseSearchReply {
  /** Hash of the object searched for. */
  key: Uint8Array;
  /** Router hashes the replier thinks are close to the key. */
  peers: Uint8Array[];
  /** Hash of the replying router (unauthenticated). */
  from: Uint8Array;
}

export function sizeOfDatabaseSearchReply(x: DatabaseSearchReply): number {
  return HASH_SIZE + 1 + x.peers.length * HASH_SIZE + HASH_SIZE;
}

export function writeDatabaseSearchReply(w: Writer, x: DatabaseSearchReply): void {
  if (x.key.length !== HASH_SIZE || x.from.length !== HASH_SIZE) throw new RangeError('DatabaseSearchReply key/from must be 32 bytes');
  if (x.peers.length > DATABASE_SEARCH_REPLY_MAX_PEERS) throw new RangeError('DatabaseSearchReply: more than 255 peers');
  if (x.peers.some((p) => p.length !== HASH_SIZE)) throw new RangeError('DatabaseSearchReply peer hash must be 32 bytes');
  w.bytes(x.key).u8(x.peers.length);
  for (const p of x.peers) w.bytes(p);
  w.bytes(x.from);
}

export function readDatabaseSearchReply(r: Reader): DatabaseSearchReply {
  return r.at('DatabaseSearchReply', () => {
    const key = r.bytes(HASH_SIZE, 'key');
    const num = r.u8();
    r.need(num * HASH_SIZE, 'peer hashes');
    const peers: Uint8Array[] = [];
    for (let i = 0; i < num; i++) peers.push(r.bytes(HASH_SIZE));
    const from = r.bytes(HASH_SIZE, 'from');
    return { key, peers, from };
  });
}

/** Parse a DatabaseSearchReply payload; no trailing bytes allowed. */
export function parseDatabaseSearchReply(bytes: Uint8Array): DatabaseSearchReply {
  const r = new Reader(bytes);
  const x = readDatabaseSearchReply(r);
  r.at('DatabaseSearchReply', () => r.finish());
  return x;
}

export function serializeDatabaseSearchReply(x: DatabaseSearchReply): Uint8Array {
  const w = new Writer(sizeOfDatabaseSearchReply(x));
  writeDatabaseSearchReply(w, x);
  return w.done();
}
