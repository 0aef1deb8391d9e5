/**
 * DatabaseLookup (I2NP type 2).
 *
 * Spec: ../shared/specs/spec/i2np.rst, "Messages" → "DatabaseLookup" (incl. "Reply Encryption"), and
 * ../shared/specs/proposals/154-ecies-lookups.rst "Specification" (flag bit 4, 8-byte ECIES reply tags).
 * i2pd 2.45.1: I2NPProtocol.cpp CreateRouterInfoDatabaseLookupMsg / CreateLeaseSetDatabaseLookupMsg (emit),
 * NetDb.cpp NetDb::HandleDatabaseLookupMsg (accept).
 *
 *   key 32 | from 32 | flags 1 | [reply_tunnelId 4 if flags bit 0] | size 2 | size × excluded hash 32
 *   | [reply_key 32 | tags 1 | tags × reply_tag (32 bytes ElGamal/AES, 8 bytes ECIES) if encryption requested]
 *
 *   flags: bit 0 delivery (reply to tunnel), bit 1 encryption (ElGamal/AES), bits 3-2 lookup type
 *          (00 normal/any, 01 LS, 10 RI, 11 exploratory), bit 4 ECIES, bits 7-5 reserved (ignored, written 0).
 *
 * Encryption (flag bits 4,1):
 *   0,0 none; 0,1 ElGamal/AES: key + 1..32 tags of 32 bytes; 1,0 ECIES: key + exactly 1 tag of 8 bytes;
 *   1,1 "future DH" (spec: key only, TBD) → ParseError UNSUPPORTED_ENCRYPTION. i2pd 2.45.1 would read 1,1 as
 *   ECIES with tags; nobody sends it.
 * Policy vs i2pd: excluded count > 512 → TOO_MANY_EXCLUDED (i2pd drops too); tag counts outside the spec
 * ranges → BAD_TAG_COUNT (i2pd replies unencrypted on 0 tags and reads only the first ECIES tag);
 * trailing bytes → TRAILING_BYTES (i2pd ignores them). The key fields are parsed whether or not the delivery
 * flag is set (the spec places them by flags alone; i2pd only uses them for tunnel replies).
 */
import { Reader, Writer } from '../data/bytes.js';

export const DatabaseLookupType = {
  Normal: 0,
  LeaseSet: 1,
  RouterInfo: 2,
  Exploratory: 3,
} as const;
export type DatabaseLookupTypeValue = (typeof DatabaseLookupType)[keyof typeof DatabaseLookupType];

export const DATABASE_LOOKUP_DELIVERY_FLAG = 0x01;
export const DATABASE_LOOKUP_ENCRYPTION_FLAG = 0x02;
export const DATABASE_LOOKUP_TYPE_FLAGS_MASK = 0x0c;
export const DATABASE_LOOKUP_TYPE_FLAGS_SHIFT = 2;
export const DATABASE_LOOKUP_ECIES_FLAG = 0x10;

const HASH_SIZE = 32;
export const DATABASE_LOOKUP_KEY_OFFSET = 0;
export const DATABASE_LOOKUP_FROM_OFFSET = DATABASE_LOOKUP_KEY_OFFSET + HASH_SIZE;
export const DATABASE_LOOKUP_FLAGS_OFFSET = DATABASE_LOOKUP_FROM_OFFSET + HASH_SIZE; // 64
export const DATABASE_LOOKUP_MAX_EXCLUDED = 512;
export const DATABASE_LOOKUP_REPLY_KEY_SIZE = 32;
export const DATABASE_LOOKUP_ELGAMAL_TAG_SIZE = 32;
export const DATABASE_LOOKUP_ECIES_TAG_SIZE = 8;
export const DATABASE_LOOKUP_MAX_ELGAMAL_TAGS = 32;

export type DatabaseLookupReplyEncryption =
  /** Flag bit 4 (proposal 154): ChaCha20/Poly1305 reply, one 8-byte tag. */
  | { kind: 'ecies'; key: Uint8Array; tag: Uint8Array }
  /** Flag bit 1: ElGamal/AES reply, 1..32 tags of 32 bytes. */
  | { kind: 'elgamal'; key: Uint8Array; tags: Uint8Array[] };

export interface DatabaseLookup {
  /** Hash of the object to look up (real hash, not routing key). */
  key: Uint8Array;
  /** Requesting router (direct reply) or reply tunnel gateway (tunnel reply). */
  from: Uint8Array;
  lookupType: DatabaseLookupTypeValue;
  /** Set ⇔ delivery flag: reply to this tunnel at `from`. */
  replyTunnelId: number | null;
  excludedPeers: Uint8Array[];
  replyEncryption: DatabaseLookupReplyEncryption | null;
}

function flagsOf(x: DatabaseLookup): number {
  let f = (x.lookupType << DATABASE_LOOKUP_TYPE_FLAGS_SHIFT) & DATABASE_LOOKUP_TYPE_FLAGS_MASK;
  if (x.replyTunnelId !== null) f |= DATABASE_LOOKUP_DELIVERY_FLAG;
  if (x.replyEncryption?.kind === 'ecies') f |= DATABASE_LOOKUP_ECIES_FLAG;
  if (x.replyEncryption?.kind === 'elgamal') f |= DATABASE_LOOKUP_ENCRYPTION_FLAG;
  return f;
}

function check(x: DatabaseLookup): void {
  const hash = (b: Uint8Array, what: string): void => {
    if (b.length !== HASH_SIZE) throw new RangeError(`DatabaseLookup ${what} must be ${HASH_SIZE} bytes`);
  };
  hash(x.key, 'key');
  hash(x.from, 'from');
  if (!Object.values(DatabaseLookupType).includes(x.lookupType)) throw new RangeError(`bad lookup type ${x.lookupType}`);
  if (x.replyTunnelId !== null && !(Number.isInteger(x.replyTunnelId) && x.replyTunnelId >= 0 && x.replyTunnelId <= 0xffffffff)) {
    throw new RangeError('reply tunnel id must be u32');
  }
  if (x.excludedPeers.length > DATABASE_LOOKUP_MAX_EXCLUDED) throw new RangeError(`more than ${DATABASE_LOOKUP_MAX_EXCLUDED} excluded peers`);
  x.excludedPeers.forEach((p, i) => hash(p, `excludedPeers[${i}]`));
  const e = x.replyEncryption;
  if (e) {
    if (e.key.length !== DATABASE_LOOKUP_REPLY_KEY_SIZE) throw new RangeError('reply key must be 32 bytes');
    if (e.kind === 'ecies') {
      if (e.tag.length !== DATABASE_LOOKUP_ECIES_TAG_SIZE) throw new RangeError('ECIES reply tag must be 8 bytes');
    } else {
      if (e.tags.length < 1 || e.tags.length > DATABASE_LOOKUP_MAX_ELGAMAL_TAGS) throw new RangeError('ElGamal reply tags: 1..32');
      if (e.tags.some((t) => t.length !== DATABASE_LOOKUP_ELGAMAL_TAG_SIZE)) throw new RangeError('ElGamal reply tag must be 32 bytes');
    }
  }
}

export function sizeOfDatabaseLookup(x: DatabaseLookup): number {
  let n = 2 * HASH_SIZE + 1 + (x.replyTunnelId !== null ? 4 : 0) + 2 + x.excludedPeers.length * HASH_SIZE;
  const e = x.replyEncryption;
  if (e) {
    n += DATABASE_LOOKUP_REPLY_KEY_SIZE + 1;
    n += e.kind === 'ecies' ? DATABASE_LOOKUP_ECIES_TAG_SIZE : e.tags.length * DATABASE_LOOKUP_ELGAMAL_TAG_SIZE;
  }
  return n;
}

export function writeDatabaseLookup(w: Writer, x: DatabaseLookup): void {
  check(x);
  w.bytes(x.key).bytes(x.from).u8(flagsOf(x));
  if (x.replyTunnelId !== null) w.u32(x.replyTunnelId);
  w.u16(x.excludedPeers.length);
  for (const p of x.excludedPeers) w.bytes(p);
  const e = x.replyEncryption;
  if (e?.kind === 'ecies') w.bytes(e.key).u8(1).bytes(e.tag);
  else if (e?.kind === 'elgamal') {
    w.bytes(e.key).u8(e.tags.length);
    for (const t of e.tags) w.bytes(t);
  }
}

export function readDatabaseLookup(r: Reader): DatabaseLookup {
  return r.at('DatabaseLookup', () => {
    const key = r.bytes(HASH_SIZE, 'key');
    const from = r.bytes(HASH_SIZE, 'from');
    const flagsAt = r.pos;
    const flags = r.u8();
    const lookupType = ((flags & DATABASE_LOOKUP_TYPE_FLAGS_MASK) >> DATABASE_LOOKUP_TYPE_FLAGS_SHIFT) as DatabaseLookupTypeValue;
    const replyTunnelId = flags & DATABASE_LOOKUP_DELIVERY_FLAG ? r.u32() : null;
    const excludedPeers = r.at('excludedPeers', () => {
      const sizeAt = r.pos;
      const size = r.u16();
      if (size > DATABASE_LOOKUP_MAX_EXCLUDED) r.fail('TOO_MANY_EXCLUDED', `${size} excluded peers (max ${DATABASE_LOOKUP_MAX_EXCLUDED})`, sizeAt);
      r.need(size * HASH_SIZE, 'excluded peers');
      const peers: Uint8Array[] = [];
      for (let i = 0; i < size; i++) peers.push(r.bytes(HASH_SIZE));
      return peers;
    });
    const ecies = (flags & DATABASE_LOOKUP_ECIES_FLAG) !== 0;
    const elgamal = (flags & DATABASE_LOOKUP_ENCRYPTION_FLAG) !== 0;
    let replyEncryption: DatabaseLookupReplyEncryption | null = null;
    if (ecies && elgamal) r.fail('UNSUPPORTED_ENCRYPTION', 'flag bits 4 and 1 both set (DH reply, undefined)', flagsAt);
    if (ecies || elgamal) {
      replyEncryption = r.at<DatabaseLookupReplyEncryption>('replyEncryption', () => {
        const k = r.bytes(DATABASE_LOOKUP_REPLY_KEY_SIZE, 'reply key');
        const nAt = r.pos;
        const n = r.u8();
        if (ecies) {
          if (n !== 1) r.fail('BAD_TAG_COUNT', `ECIES reply needs exactly 1 tag, got ${n}`, nAt);
          return { kind: 'ecies', key: k, tag: r.bytes(DATABASE_LOOKUP_ECIES_TAG_SIZE, 'reply tag') };
        }
        if (n < 1 || n > DATABASE_LOOKUP_MAX_ELGAMAL_TAGS) r.fail('BAD_TAG_COUNT', `ElGamal reply needs 1..32 tags, got ${n}`, nAt);
        r.need(n * DATABASE_LOOKUP_ELGAMAL_TAG_SIZE, 'reply tags');
        const tags: Uint8Array[] = [];
        for (let i = 0; i < n; i++) tags.push(r.bytes(DATABASE_LOOKUP_ELGAMAL_TAG_SIZE));
        return { kind: 'elgamal', key: k, tags };
      });
    }
    return { key, from, lookupType, replyTunnelId, excludedPeers, replyEncryption };
  });
}

/** Parse a DatabaseLookup payload; no trailing bytes allowed. */
export function parseDatabaseLookup(bytes: Uint8Array): DatabaseLookup {
  const r = new Reader(bytes);
  const x = readDatabaseLookup(r);
  r.at('DatabaseLookup', () => r.finish());
  return x;
}

export function serializeDatabaseLookup(x: DatabaseLookup): Uint8Array {
  const w = new Writer(sizeOfDatabaseLookup(x));
  writeDatabaseLookup(w, x);
  return w.done();
}
