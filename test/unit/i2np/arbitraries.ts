/**
 * fast-check arbitraries for i2np/ models, shared by the round-trip and fuzz tests.
 */
import fc from 'fast-check';
import { I2NPType } from '../../../i2np/header.js';
import type { I2NPMessage } from '../../../i2np/header.js';
import { DatabaseStoreType } from '../../../i2np/database-store.js';
import type { DatabaseStore } from '../../../i2np/database-store.js';
import { DatabaseLookupType } from '../../../i2np/database-lookup.js';
import type { DatabaseLookup } from '../../../i2np/database-lookup.js';
import type { DatabaseSearchReply } from '../../../i2np/database-search-reply.js';
import type { DeliveryStatus } from '../../../i2np/delivery-status.js';
import type { Garlic } from '../../../i2np/garlic.js';
import type { DataMessage } from '../../../i2np/data.js';
import type { TunnelData } from '../../../i2np/tunnel-data.js';
import type { TunnelGateway } from '../../../i2np/tunnel-gateway.js';
import type { TunnelBuildRecords } from '../../../i2np/tunnel-build.js';
import type { I2NPBody } from '../../../i2np/index.js';

/** fc.record without null-prototype objects (node:assert deepStrictEqual compares prototypes). */
function rec<T>(model: { [K in keyof T]: fc.Arbitrary<T[K]> }): fc.Arbitrary<T> {
  return fc.record(model, { noNullPrototype: true }) as fc.Arbitrary<T>;
}

export const bytesN = (n: number): fc.Arbitrary<Uint8Array> => fc.uint8Array({ minLength: n, maxLength: n });
export const hash = bytesN(32);
export const u32 = fc.integer({ min: 0, max: 0xffffffff });
export const u32nz = fc.integer({ min: 1, max: 0xffffffff });
export const ms = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER });

export const i2npMessage: fc.Arbitrary<I2NPMessage> = rec({
  type: fc.integer({ min: 0, max: 255 }),
  msgId: u32,
  expiration: ms,
  payload: fc.uint8Array({ maxLength: 1500 }),
});

/** Messages whose expiration survives the short form exactly (whole seconds, < 2^32 s). */
export const i2npMessageShortExact: fc.Arbitrary<I2NPMessage> = rec({
  type: fc.integer({ min: 0, max: 255 }),
  msgId: u32,
  expiration: u32.map((s) => s * 1000),
  payload: fc.uint8Array({ maxLength: 1500 }),
});

export const databaseStore: fc.Arbitrary<DatabaseStore> = rec({
  key: hash,
  storeType: fc.constantFrom(...Object.values(DatabaseStoreType)),
  reply: fc.option(rec({ token: u32nz, tunnelId: u32, gateway: hash }), { nil: null }),
  // mix compressible (repeated) and incompressible content, around the 940-byte stored/deflate boundary
  data: fc.oneof(
    fc.uint8Array({ minLength: 1, maxLength: 3000 }),
    fc.tuple(fc.uint8Array({ minLength: 1, maxLength: 16 }), fc.integer({ min: 1, max: 200 })).map(([b, n]) => {
      const out = new Uint8Array(b.length * n);
      for (let i = 0; i < n; i++) out.set(b, i * b.length);
      return out;
    }),
  ),
});

export const databaseLookup: fc.Arbitrary<DatabaseLookup> = rec({
  key: hash,
  from: hash,
  lookupType: fc.constantFrom(...Object.values(DatabaseLookupType)),
  replyTunnelId: fc.option(u32, { nil: null }),
  excludedPeers: fc.array(hash, { maxLength: 20 }),
  replyEncryption: fc.option(
    fc.oneof(
      rec({ kind: fc.constant('ecies' as const), key: bytesN(32), tag: bytesN(8) }),
      rec({ kind: fc.constant('elgamal' as const), key: bytesN(32), tags: fc.array(bytesN(32), { minLength: 1, maxLength: 32 }) }),
    ),
    { nil: null },
  ),
});

export const databaseSearchReply: fc.Arbitrary<DatabaseSearchReply> = rec({
  key: hash,
  peers: fc.array(hash, { maxLength: 40 }),
  from: hash,
});

export const deliveryStatus: fc.Arbitrary<DeliveryStatus> = rec({ msgId: u32, timestamp: ms });
export const garlic: fc.Arbitrary<Garlic> = rec({ data: fc.uint8Array({ maxLength: 3000 }) });
export const dataMessage: fc.Arbitrary<DataMessage> = rec({ data: fc.uint8Array({ maxLength: 3000 }) });
export const tunnelData: fc.Arbitrary<TunnelData> = rec({ tunnelId: u32, data: bytesN(1024) });
export const tunnelGateway: fc.Arbitrary<TunnelGateway> = rec({ tunnelId: u32, message: i2npMessage });

export const records = (size: number, min: number, max: number): fc.Arbitrary<TunnelBuildRecords> =>
  rec({ records: fc.array(bytesN(size), { minLength: min, maxLength: max }) });

export const i2npBody: fc.Arbitrary<I2NPBody> = fc.oneof(
  databaseStore.map((body) => ({ type: I2NPType.DatabaseStore, body }) as const),
  databaseLookup.map((body) => ({ type: I2NPType.DatabaseLookup, body }) as const),
  databaseSearchReply.map((body) => ({ type: I2NPType.DatabaseSearchReply, body }) as const),
  deliveryStatus.map((body) => ({ type: I2NPType.DeliveryStatus, body }) as const),
  garlic.map((body) => ({ type: I2NPType.Garlic, body }) as const),
  tunnelData.map((body) => ({ type: I2NPType.TunnelData, body }) as const),
  tunnelGateway.map((body) => ({ type: I2NPType.TunnelGateway, body }) as const),
  dataMessage.map((body) => ({ type: I2NPType.Data, body }) as const),
  records(528, 8, 8).map((body) => ({ type: I2NPType.TunnelBuild, body }) as const),
  records(528, 8, 8).map((body) => ({ type: I2NPType.TunnelBuildReply, body }) as const),
  records(528, 1, 8).map((body) => ({ type: I2NPType.VariableTunnelBuild, body }) as const),
  records(528, 1, 8).map((body) => ({ type: I2NPType.VariableTunnelBuildReply, body }) as const),
  records(218, 1, 8).map((body) => ({ type: I2NPType.ShortTunnelBuild, body }) as const),
  records(218, 1, 8).map((body) => ({ type: I2NPType.OutboundTunnelBuildReply, body }) as const),
);

/** Apply random byte edits, truncation and extension to a valid encoding. */
export function mutated(valid: fc.Arbitrary<Uint8Array>): fc.Arbitrary<Uint8Array> {
  return fc
    .tuple(
      valid,
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
      fc.option(fc.nat(), { nil: undefined }),
      fc.uint8Array({ maxLength: 40 }),
    )
    .map(([b, edits, cut, extra]) => {
      const out = Uint8Array.from(b);
      if (out.length > 0) for (const [p, v] of edits) out[p % out.length] = v;
      const truncated = cut === undefined || out.length === 0 ? out : out.subarray(0, cut % (out.length + 1));
      if (extra.length === 0) return truncated;
      const ext = new Uint8Array(truncated.length + extra.length);
      ext.set(truncated);
      ext.set(extra, truncated.length);
      return ext;
    });
}
