/**
 * Tunnel build messages, records opaque (tunnels/build decrypts and interprets them):
 *   TunnelBuild (21), TunnelBuildReply (22):                 exactly 8 records of 528 bytes, no count byte
 *   VariableTunnelBuild (23), VariableTunnelBuildReply (24): num 1 | num × 528-byte record
 *   ShortTunnelBuild (25), OutboundTunnelBuildReply (26):    num 1 | num × 218-byte record
 *
 * Spec: ../shared/specs/spec/i2np.rst, "Messages" → "TunnelBuild", "TunnelBuildReply", "VariableTunnelBuild",
 * "VariableTunnelBuildReply", "ShortTunnelBuild", "OutboundTunnelBuildReply"; record sizes in
 * ../shared/specs/spec/tunnel-creation-ecies.rst (528 long / 218 short).
 * i2pd 2.45.1: I2NPProtocol.h TUNNEL_BUILD_RECORD_SIZE / SHORT_TUNNEL_BUILD_RECORD_SIZE,
 * I2NPProtocol.cpp HandleVariableTunnelBuildMsg / HandleShortTunnelBuildMsg / HandleTunnelBuildReplyMsg.
 *
 * num must be 1..8 (spec "Valid values: 1-8") → BAD_RECORD_COUNT otherwise, and the payload must be exactly
 * 1 + num × size → TRAILING_BYTES. i2pd only checks len >= 1 + num × size and does not bound num here.
 * i2pd 2.45.1 ignores TunnelBuild (21) and TunnelBuildReply (22) ("too old for ECIES router"); they are
 * parsed here for completeness. Records are subarray views into the input (build handling rewrites records
 * in place, as i2pd does).
 */
import { Reader, Writer } from '../data/bytes.js';

export const TUNNEL_BUILD_RECORD_SIZE = 528;
export const SHORT_TUNNEL_BUILD_RECORD_SIZE = 218;
export const NUM_TUNNEL_BUILD_RECORDS = 8;
export const MAX_TUNNEL_BUILD_RECORDS = 8;

export interface BuildRecordsFormat {
  readonly name: string;
  readonly recordSize: number;
  /** Fixed record count without a count byte (TunnelBuild/TunnelBuildReply), or null for `num` + records. */
  readonly fixedCount: number | null;
}

export const BuildFormat = {
  TunnelBuild: { name: 'TunnelBuild', recordSize: TUNNEL_BUILD_RECORD_SIZE, fixedCount: NUM_TUNNEL_BUILD_RECORDS },
  TunnelBuildReply: { name: 'TunnelBuildReply', recordSize: TUNNEL_BUILD_RECORD_SIZE, fixedCount: NUM_TUNNEL_BUILD_RECORDS },
  VariableTunnelBuild: { name: 'VariableTunnelBuild', recordSize: TUNNEL_BUILD_RECORD_SIZE, fixedCount: null },
  VariableTunnelBuildReply: { name: 'VariableTunnelBuildReply', recordSize: TUNNEL_BUILD_RECORD_SIZE, fixedCount: null },
  ShortTunnelBuild: { name: 'ShortTunnelBuild', recordSize: SHORT_TUNNEL_BUILD_RECORD_SIZE, fixedCount: null },
  OutboundTunnelBuildReply: { name: 'OutboundTunnelBuildReply', recordSize: SHORT_TUNNEL_BUILD_RECORD_SIZE, fixedCount: null },
} as const satisfies Record<string, BuildRecordsFormat>;

/** Any of the six build messages: the records, in order. */
export interface TunnelBuildRecords {
  records: Uint8Array[];
}
export type TunnelBuild = TunnelBuildRecords;
export type TunnelBuildReply = TunnelBuildRecords;
export type VariableTunnelBuild = TunnelBuildRecords;
export type VariableTunnelBuildReply = TunnelBuildRecords;
export type ShortTunnelBuild = TunnelBuildRecords;
export type OutboundTunnelBuildReply = TunnelBuildRecords;

export function sizeOfTunnelBuildRecords(x: TunnelBuildRecords, f: BuildRecordsFormat): number {
  return (f.fixedCount === null ? 1 : 0) + x.records.length * f.recordSize;
}

export function writeTunnelBuildRecords(w: Writer, x: TunnelBuildRecords, f: BuildRecordsFormat): void {
  const n = x.records.length;
  if (f.fixedCount !== null) {
    if (n !== f.fixedCount) throw new RangeError(`${f.name} needs exactly ${f.fixedCount} records, got ${n}`);
  } else {
    if (n < 1 || n > MAX_TUNNEL_BUILD_RECORDS) throw new RangeError(`${f.name} needs 1..${MAX_TUNNEL_BUILD_RECORDS} records, got ${n}`);
    w.u8(n);
  }
  for (const rec of x.records) {
    if (rec.length !== f.recordSize) throw new RangeError(`${f.name} record must be ${f.recordSize} bytes`);
    w.bytes(rec);
  }
}

export function readTunnelBuildRecords(r: Reader, f: BuildRecordsFormat): TunnelBuildRecords {
  return r.at(f.name, () => {
    let n: number;
    if (f.fixedCount !== null) n = f.fixedCount;
    else {
      const at = r.pos;
      n = r.u8();
      if (n < 1 || n > MAX_TUNNEL_BUILD_RECORDS) r.fail('BAD_RECORD_COUNT', `${n} records (valid 1..${MAX_TUNNEL_BUILD_RECORDS})`, at);
    }
    r.need(n * f.recordSize, 'build records');
    const records: Uint8Array[] = [];
    for (let i = 0; i < n; i++) records.push(r.bytes(f.recordSize));
    return { records };
  });
}

/** Parse any build message payload in format `f`; exact length required. */
export function parseTunnelBuildRecords(bytes: Uint8Array, f: BuildRecordsFormat): TunnelBuildRecords {
  const r = new Reader(bytes);
  const x = readTunnelBuildRecords(r, f);
  r.at(f.name, () => r.finish());
  return x;
}

export function serializeTunnelBuildRecords(x: TunnelBuildRecords, f: BuildRecordsFormat): Uint8Array {
  const w = new Writer(sizeOfTunnelBuildRecords(x, f));
  writeTunnelBuildRecords(w, x, f);
  return w.done();
}

export const parseTunnelBuild = (b: Uint8Array): TunnelBuild => parseTunnelBuildRecords(b, BuildFormat.TunnelBuild);
export const serializeTunnelBuild = (x: TunnelBuild): Uint8Array => serializeTunnelBuildRecords(x, BuildFormat.TunnelBuild);
export const parseTunnelBuildReply = (b: Uint8Array): TunnelBuildReply => parseTunnelBuildRecords(b, BuildFormat.TunnelBuildReply);
export const serializeTunnelBuildReply = (x: TunnelBuildReply): Uint8Array => serializeTunnelBuildRecords(x, BuildFormat.TunnelBuildReply);
export const parseVariableTunnelBuild = (b: Uint8Array): VariableTunnelBuild => parseTunnelBuildRecords(b, BuildFormat.VariableTunnelBuild);
export const serializeVariableTunnelBuild = (x: VariableTunnelBuild): Uint8Array => serializeTunnelBuildRecords(x, BuildFormat.VariableTunnelBuild);
export const parseVariableTunnelBuildReply = (b: Uint8Array): VariableTunnelBuildReply =>
  parseTunnelBuildRecords(b, BuildFormat.VariableTunnelBuildReply);
export const serializeVariableTunnelBuildReply = (x: VariableTunnelBuildReply): Uint8Array =>
  serializeTunnelBuildRecords(x, BuildFormat.VariableTunnelBuildReply);
export const parseShortTunnelBuild = (b: Uint8Array): ShortTunnelBuild => parseTunnelBuildRecords(b, BuildFormat.ShortTunnelBuild);
export const serializeShortTunnelBuild = (x: ShortTunnelBuild): Uint8Array => serializeTunnelBuildRecords(x, BuildFormat.ShortTunnelBuild);
export const parseOutboundTunnelBuildReply = (b: Uint8Array): OutboundTunnelBuildReply =>
  parseTunnelBuildRecords(b, BuildFormat.OutboundTunnelBuildReply);
export const serializeOutboundTunnelBuildReply = (x: OutboundTunnelBuildReply): Uint8Array =>
  serializeTunnelBuildRecords(x, BuildFormat.OutboundTunnelBuildReply);
