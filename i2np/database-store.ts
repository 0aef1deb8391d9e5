/**
 * DatabaseStore (I2NP type 1).
 *
 * Spec: ../shared/specs/spec/i2np.rst, "Messages" → "DatabaseStore".
 * i2pd 2.45.1: I2NPProtocol.cpp CreateDatabaseStoreMsg (emit), NetDb.cpp NetDb::HandleDatabaseStoreMsg (accept).
 *
 *   key 32 | type 1 | reply_token 4 | [reply_tunnelId 4 | reply_gateway 32 when token != 0] | data
 *   data, type 0 (RouterInfo): size 2 | gzip member of `size` bytes
 *   data, types 1/3/5/7 (LeaseSet, LeaseSet2, EncryptedLeaseSet, MetaLeaseSet): the raw structure, to the end
 *
 * The model carries the RouterInfo DECOMPRESSED and LeaseSets raw, both opaque (data/ parses them).
 * parse decompresses with a cap (default 64 KiB); serialize compresses the way i2pd does: stored gzip when the
 * whole payload is <= 940 bytes, deflate otherwise (see gzip.ts).
 *
 * Policy (stricter than i2pd, written down):
 *   - Type byte must be 0, 1, 3, 5 or 7 (i2pd treats any nonzero byte as "some LeaseSet"; the spec marks
 *     the other values invalid) → UNKNOWN_STORE_TYPE.
 *   - No bytes may follow the gzip member of a RouterInfo (i2pd ignores them) → TRAILING_BYTES.
 *   - An empty LeaseSet/RouterInfo is refused → EMPTY_DATA.
 *   Left to netdb/: zero key, own-hash stores, i2pd's 3072-byte RouterInfo/LeaseSet limits (MAX_RI_BUFFER_SIZE,
 *   MAX_LS_BUFFER_SIZE), and ignoring reply fields when the message came down a tunnel.
 *
 * Byte arrays in parsed LeaseSet data, key and gateway are subarray views into the input.
 */
import { Reader, Writer } from '../data/bytes.js';
import { gunzipBounded, gunzipRange, gzipDeflate, gzipStored } from './gzip.js';

export const DatabaseStoreType = {
  RouterInfo: 0,
  LeaseSet: 1,
  LeaseSet2: 3,
  EncryptedLeaseSet: 5,
  MetaLeaseSet: 7,
} as const;
export type DatabaseStoreTypeValue = (typeof DatabaseStoreType)[keyof typeof DatabaseStoreType];

const STORE_TYPES = new Set<number>(Object.values(DatabaseStoreType));

export function toDatabaseStoreType(b: number): DatabaseStoreTypeValue | undefined {
  return STORE_TYPES.has(b) ? (b as DatabaseStoreTypeValue) : undefined;
}

const HASH_SIZE = 32;
// Layout (i2pd I2NPProtocol.h DATABASE_STORE_*).
export const DATABASE_STORE_KEY_OFFSET = 0;
export const DATABASE_STORE_TYPE_OFFSET = DATABASE_STORE_KEY_OFFSET + HASH_SIZE;
export const DATABASE_STORE_REPLY_TOKEN_OFFSET = DATABASE_STORE_TYPE_OFFSET + 1;
export const DATABASE_STORE_HEADER_SIZE = DATABASE_STORE_REPLY_TOKEN_OFFSET + 4; // 37
export const DATABASE_STORE_REPLY_SIZE = 4 + HASH_SIZE; // tunnel id + gateway
export const DATABASE_STORE_RI_LENGTH_SIZE = 2;
/** i2pd sends a stored (uncompressed) gzip when the whole DSM payload fits one tunnel message. */
export const I2PD_STORED_GZIP_MAX_PAYLOAD = 940;
/** Default cap on a decompressed RouterInfo. */
export const DEFAULT_MAX_ROUTER_INFO_SIZE = 64 * 1024;

export interface DatabaseStoreReply {
  /** Nonzero: a DeliveryStatus with this msg id is requested (and floodfills flood). */
  token: number;
  /** Inbound gateway tunnel id; 0 = reply directly to `gateway`. */
  tunnelId: number;
  /** Router hash of the reply gateway (or the router to reply to when tunnelId is 0). */
  gateway: Uint8Array;
}

export interface DatabaseStore {
  /** The "real" hash of the RouterIdentity/Destination (not the routing key). */
  key: Uint8Array;
  storeType: DatabaseStoreTypeValue;
  /** null ⇔ reply token 0. */
  reply: DatabaseStoreReply | null;
  /** Decompressed RouterInfo bytes (storeType 0), or the raw LeaseSet variant bytes. */
  data: Uint8Array;
}

export interface DatabaseStoreParseOptions {
  /** Cap on the decompressed RouterInfo; default 64 KiB. */
  maxRouterInfoSize?: number;
}

/** gzip a RouterInfo as i2pd would: stored when it fits `stored`, deflated otherwise. */
export function compressRouterInfo(routerInfo: Uint8Array, stored = routerInfo.length + DATABASE_STORE_HEADER_SIZE + DATABASE_STORE_RI_LENGTH_SIZE <= I2PD_STORED_GZIP_MAX_PAYLOAD): Uint8Array {
  return stored ? gzipStored(routerInfo) : gzipDeflate(routerInfo);
}

/** Bounded gunzip of a DatabaseStore RouterInfo; throws ParseError only (TOO_LARGE past `max`). */
export function decompressRouterInfo(gz: Uint8Array, max = DEFAULT_MAX_ROUTER_INFO_SIZE, path = 'DatabaseStore/routerInfo'): Uint8Array {
  return gunzipBounded(gz, max, path);
}

function checkHash(b: Uint8Array, what: string): void {
  if (b.length !== HASH_SIZE) throw new RangeError(`${what} must be ${HASH_SIZE} bytes`);
}

function checkU32(v: number, what: string): void {
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new RangeError(`${what} must be u32`);
}

function headerSize(x: DatabaseStore): number {
  return DATABASE_STORE_HEADER_SIZE + (x.reply ? DATABASE_STORE_REPLY_SIZE : 0);
}

export function readDatabaseStore(r: Reader, opts: DatabaseStoreParseOptions = {}): DatabaseStore {
  return r.at('DatabaseStore', () => {
    const key = r.bytes(HASH_SIZE, 'key');
    const typeAt = r.pos;
    const storeType = toDatabaseStoreType(r.u8());
    if (storeType === undefined) r.fail('UNKNOWN_STORE_TYPE', `store type ${r.buf[typeAt]}`, typeAt);
    const token = r.u32();
    let reply: DatabaseStoreReply | null = null;
    if (token !== 0) {
      const tunnelId = r.u32();
      const gateway = r.bytes(HASH_SIZE, 'reply gateway');
      reply = { token, tunnelId, gateway };
    }
    let data: Uint8Array;
    if (storeType === DatabaseStoreType.RouterInfo) {
      data = r.at('routerInfo', () => {
        const size = r.u16();
        const gzAt = r.pos;
        r.skip(size);
        return gunzipRange(r.buf, gzAt, gzAt + size, opts.maxRouterInfoSize ?? DEFAULT_MAX_ROUTER_INFO_SIZE, r.path);
      });
    } else {
      data = r.rest();
    }
    if (data.length === 0) r.fail('EMPTY_DATA', 'empty RouterInfo/LeaseSet');
    return { key, storeType, reply, data };
  });
}

/** Parse a DatabaseStore payload; no trailing bytes allowed. */
export function parseDatabaseStore(bytes: Uint8Array, opts: DatabaseStoreParseOptions = {}): DatabaseStore {
  const r = new Reader(bytes);
  const x = readDatabaseStore(r, opts);
  r.at('DatabaseStore', () => r.finish());
  return x;
}

/** Serialize; a RouterInfo is compressed here (stored/deflate by i2pd's 940-byte rule unless `stored` is given). */
export function serializeDatabaseStore(x: DatabaseStore, stored?: boolean): Uint8Array {
  checkHash(x.key, 'DatabaseStore key');
  if (toDatabaseStoreType(x.storeType) === undefined) throw new RangeError(`unknown DatabaseStore type ${x.storeType}`);
  if (x.reply) {
    checkU32(x.reply.token, 'reply token');
    if (x.reply.token === 0) throw new RangeError('reply token must be nonzero when reply is set (use reply: null)');
    checkU32(x.reply.tunnelId, 'reply tunnel id');
    checkHash(x.reply.gateway, 'reply gateway');
  }
  if (x.data.length === 0) throw new RangeError('DatabaseStore data is empty');
  const head = headerSize(x);
  let body = x.data;
  let bodyPrefix = 0;
  if (x.storeType === DatabaseStoreType.RouterInfo) {
    body = compressRouterInfo(x.data, stored ?? head + DATABASE_STORE_RI_LENGTH_SIZE + x.data.length <= I2PD_STORED_GZIP_MAX_PAYLOAD);
    if (body.length > 0xffff) throw new RangeError(`compressed RouterInfo too large: ${body.length}`);
    bodyPrefix = DATABASE_STORE_RI_LENGTH_SIZE;
  }
  const w = new Writer(head + bodyPrefix + body.length);
  w.bytes(x.key).u8(x.storeType);
  if (x.reply) w.u32(x.reply.token).u32(x.reply.tunnelId).bytes(x.reply.gateway);
  else w.u32(0);
  if (bodyPrefix) w.u16(body.length);
  w.bytes(body);
  return w.done();
}
