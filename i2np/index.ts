/**
 * I2NP: header forms, one codec per message type, and dispatch from (type, payload) to a typed message.
 *
 * Spec: ../shared/specs/spec/i2np.rst ("Common structures", "Messages").
 *
 * parseI2NPPayload throws ParseError only: UNKNOWN_TYPE for a type byte with no codec here (reserved 0,
 * experimental 224-254, anything else), so the caller drops and counts it; the message's own codes otherwise.
 */
import { ParseError } from '../data/errors.js';
import { I2NPType } from './header.js';
import type { I2NPMessage, StandardParseOptions } from './header.js';
import { parseDatabaseStore, serializeDatabaseStore } from './database-store.js';
import type { DatabaseStore, DatabaseStoreParseOptions } from './database-store.js';
import { parseDatabaseLookup, serializeDatabaseLookup } from './database-lookup.js';
import type { DatabaseLookup } from './database-lookup.js';
import { parseDatabaseSearchReply, serializeDatabaseSearchReply } from './database-search-reply.js';
import type { DatabaseSearchReply } from './database-search-reply.js';
import { parseDeliveryStatus, serializeDeliveryStatus } from './delivery-status.js';
import type { DeliveryStatus } from './delivery-status.js';
import { parseGarlic, serializeGarlic } from './garlic.js';
import type { Garlic } from './garlic.js';
import { parseTunnelData, serializeTunnelData } from './tunnel-data.js';
import type { TunnelData } from './tunnel-data.js';
import { parseTunnelGateway, serializeTunnelGateway } from './tunnel-gateway.js';
import type { TunnelGateway } from './tunnel-gateway.js';
import { parseData, serializeData } from './data.js';
import type { DataMessage } from './data.js';
import { BuildFormat, parseTunnelBuildRecords, serializeTunnelBuildRecords } from './tunnel-build.js';
import type { TunnelBuildRecords } from './tunnel-build.js';

export * from './header.js';
export * from './gzip.js';
export * from './database-store.js';
export * from './database-lookup.js';
export * from './database-search-reply.js';
export * from './delivery-status.js';
export * from './garlic.js';
export * from './tunnel-data.js';
export * from './tunnel-gateway.js';
export * from './data.js';
export * from './tunnel-build.js';

/** A typed I2NP message body, discriminated by its type byte. */
export type I2NPBody =
  | { type: typeof I2NPType.DatabaseStore; body: DatabaseStore }
  | { type: typeof I2NPType.DatabaseLookup; body: DatabaseLookup }
  | { type: typeof I2NPType.DatabaseSearchReply; body: DatabaseSearchReply }
  | { type: typeof I2NPType.DeliveryStatus; body: DeliveryStatus }
  | { type: typeof I2NPType.Garlic; body: Garlic }
  | { type: typeof I2NPType.TunnelData; body: TunnelData }
  | { type: typeof I2NPType.TunnelGateway; body: TunnelGateway }
  | { type: typeof I2NPType.Data; body: DataMessage }
  | { type: typeof I2NPType.TunnelBuild; body: TunnelBuildRecords }
  | { type: typeof I2NPType.TunnelBuildReply; body: TunnelBuildRecords }
  | { type: typeof I2NPType.VariableTunnelBuild; body: TunnelBuildRecords }
  | { type: typeof I2NPType.VariableTunnelBuildReply; body: TunnelBuildRecords }
  | { type: typeof I2NPType.ShortTunnelBuild; body: TunnelBuildRecords }
  | { type: typeof I2NPType.OutboundTunnelBuildReply; body: TunnelBuildRecords };

export interface I2NPParseOptions extends DatabaseStoreParseOptions, StandardParseOptions {}

/** Parse the payload of a message of type `type` (from either header form). */
export function parseI2NPPayload(type: number, payload: Uint8Array, opts: I2NPParseOptions = {}): I2NPBody {
  switch (type) {
    case I2NPType.DatabaseStore:
      return { type, body: parseDatabaseStore(payload, opts) };
    case I2NPType.DatabaseLookup:
      return { type, body: parseDatabaseLookup(payload) };
    case I2NPType.DatabaseSearchReply:
      return { type, body: parseDatabaseSearchReply(payload) };
    case I2NPType.DeliveryStatus:
      return { type, body: parseDeliveryStatus(payload) };
    case I2NPType.Garlic:
      return { type, body: parseGarlic(payload) };
    case I2NPType.TunnelData:
      return { type, body: parseTunnelData(payload) };
    case I2NPType.TunnelGateway:
      return { type, body: parseTunnelGateway(payload, opts) };
    case I2NPType.Data:
      return { type, body: parseData(payload) };
    case I2NPType.TunnelBuild:
      return { type, body: parseTunnelBuildRecords(payload, BuildFormat.TunnelBuild) };
    case I2NPType.TunnelBuildReply:
      return { type, body: parseTunnelBuildRecords(payload, BuildFormat.TunnelBuildReply) };
    case I2NPType.VariableTunnelBuild:
      return { type, body: parseTunnelBuildRecords(payload, BuildFormat.VariableTunnelBuild) };
    case I2NPType.VariableTunnelBuildReply:
      return { type, body: parseTunnelBuildRecords(payload, BuildFormat.VariableTunnelBuildReply) };
    case I2NPType.ShortTunnelBuild:
      return { type, body: parseTunnelBuildRecords(payload, BuildFormat.ShortTunnelBuild) };
    case I2NPType.OutboundTunnelBuildReply:
      return { type, body: parseTunnelBuildRecords(payload, BuildFormat.OutboundTunnelBuildReply) };
    default:
      throw new ParseError('UNKNOWN_TYPE', 'I2NPMessage/type', -1, `unknown I2NP message type ${type}`);
  }
}

/** parseI2NPPayload of a parsed message (either header form). */
export function parseI2NPBody(m: I2NPMessage, opts: I2NPParseOptions = {}): I2NPBody {
  return parseI2NPPayload(m.type, m.payload, opts);
}

/** Serialize a typed body to its payload bytes (wrap with serializeI2NPStandard/Short to send). */
export function serializeI2NPPayload(m: I2NPBody): Uint8Array {
  switch (m.type) {
    case I2NPType.DatabaseStore:
      return serializeDatabaseStore(m.body);
    case I2NPType.DatabaseLookup:
      return serializeDatabaseLookup(m.body);
    case I2NPType.DatabaseSearchReply:
      return serializeDatabaseSearchReply(m.body);
    case I2NPType.DeliveryStatus:
      return serializeDeliveryStatus(m.body);
    case I2NPType.Garlic:
      return serializeGarlic(m.body);
    case I2NPType.TunnelData:
      return serializeTunnelData(m.body);
    case I2NPType.TunnelGateway:
      return serializeTunnelGateway(m.body);
    case I2NPType.Data:
      return serializeData(m.body);
    case I2NPType.TunnelBuild:
      return serializeTunnelBuildRecords(m.body, BuildFormat.TunnelBuild);
    case I2NPType.TunnelBuildReply:
      return serializeTunnelBuildRecords(m.body, BuildFormat.TunnelBuildReply);
    case I2NPType.VariableTunnelBuild:
      return serializeTunnelBuildRecords(m.body, BuildFormat.VariableTunnelBuild);
    case I2NPType.VariableTunnelBuildReply:
      return serializeTunnelBuildRecords(m.body, BuildFormat.VariableTunnelBuildReply);
    case I2NPType.ShortTunnelBuild:
      return serializeTunnelBuildRecords(m.body, BuildFormat.ShortTunnelBuild);
    case I2NPType.OutboundTunnelBuildReply:
      return serializeTunnelBuildRecords(m.body, BuildFormat.OutboundTunnelBuildReply);
  }
}
