/**
 * The floodfill role: acknowledging stores, flooding, and answering DatabaseLookups.
 *
 * Spec: ../shared/specs/docs/how-network-database.html, "Flooding" (after storing a valid, newer entry
 * received with a nonzero reply token, send it with a zero token, directly, to the 3 floodfills closest to
 * its routing key; never an expired LeaseSet nor a RouterInfo published more than one hour ago),
 * "RouterInfo and LeaseSet Lookup", "Exploration"; ../shared/specs/spec/i2np.rst DatabaseLookup,
 * DatabaseSearchReply, DeliveryStatus.
 * i2pd 2.45.1: NetDb.cpp HandleDatabaseStoreMsg (DeliveryStatus sent before any check, directly when the
 * reply tunnel id is 0), Flood (3 closest, not ourselves nor the entry's own hash), HandleDatabaseLookupMsg
 * (RouterInfo/normal lookups: the RouterInfo if known; LeaseSet/normal: the LeaseSet if not expired; else a
 * DatabaseSearchReply of up to 3 floodfills closer to the key than us, minus the excluded; exploratory: up
 * to 3 closest non-floodfill routers not excluded), GetClosestFloodfills, GetClosestNonFloodfill;
 * I2NPProtocol.cpp CreateDatabaseSearchReply (`from` = our hash), CreateDeliveryStatusMsg.
 *
 * Deviations, written down:
 *   - i2pd picks the 3 closest floodfills and THEN drops excluded ones (so it may return fewer than 3);
 *     here excluded ones are skipped first. We never name ourselves in a search reply (i2pd can).
 *   - floodTargets/flood can also skip a given router; the netDb does not use it for stores it received (a
 *     LeaseSet arrives from the publisher's outbound endpoint, which may be a floodfill without it), as i2pd.
 *   - LeaseSets are served only when we are a floodfill (i2pd answers from any netDb, which lets anyone
 *     probe which LeaseSets a non-floodfill has seen: the spec's "segmentation" concern).
 *   - Replies to a reply tunnel (delivery flag with a nonzero tunnel id) go through the `sendToTunnel`
 *     hook, with the requested reply encryption; without the hook they are dropped and counted.
 */
import { equalBytes } from '../data/bytes.js';
import { isFloodfill, type RouterInfo } from '../data/router-info.js';
import { leaseSet2ExpiresAt, type LeaseSet2 } from '../data/lease-set2.js';
import { I2NPType, type I2NPMessage } from '../i2np/header.js';
import { DatabaseStoreType, serializeDatabaseStore, type DatabaseStoreReply, type DatabaseStoreTypeValue } from '../i2np/database-store.js';
import { DatabaseLookupType, type DatabaseLookup, type DatabaseLookupReplyEncryption } from '../i2np/database-lookup.js';
import { serializeDatabaseSearchReply } from '../i2np/database-search-reply.js';
import { serializeDeliveryStatus } from '../i2np/delivery-status.js';
import { HashSet, closest, closestBy, compareDistance, routingKey } from './kademlia.js';
import { I2NP_MESSAGE_EXPIRATION } from './lookup.js';

/** Spec "currently 3"; i2pd Flood loops 3 times. */
export const FLOOD_COUNT = 3;
/** i2pd answers with 3 peers (spec: at most 16). */
export const SEARCH_REPLY_PEERS = 3;
/** Spec: never flood a RouterInfo published more than one hour ago. */
export const MAX_FLOOD_ROUTER_INFO_AGE = 3_600_000;

export interface FloodfillContext {
  ourHash: Uint8Array;
  ourRouterInfo(): RouterInfo;
  now(): number;
  newMsgId(): number;
  send(peer: Uint8Array, msg: I2NPMessage): boolean;
  getRouter(hash: Uint8Array): RouterInfo | undefined;
  getLeaseSet(hash: Uint8Array): LeaseSet2 | undefined;
  floodfillHashes(): Iterable<Uint8Array>;
  routers(): Iterable<RouterInfo>;
  /**
   * Hook for replies through tunnels (tunnels/ + garlic/ later): deliver `msg` to tunnel `tunnelId` at
   * `gateway`, wrapped with `encryption` when given. Absent: such replies are dropped.
   */
  sendToTunnel?(gateway: Uint8Array, tunnelId: number, msg: I2NPMessage, encryption: DatabaseLookupReplyEncryption | null): boolean;
}

function message(ctx: Pick<FloodfillContext, 'now' | 'newMsgId'>, type: number, payload: Uint8Array): I2NPMessage {
  return { type, msgId: ctx.newMsgId(), expiration: ctx.now() + I2NP_MESSAGE_EXPIRATION, payload };
}

export function deliveryStatusMessage(ctx: Pick<FloodfillContext, 'now' | 'newMsgId'>, token: number): I2NPMessage {
  return message(ctx, I2NPType.DeliveryStatus, serializeDeliveryStatus({ msgId: token, timestamp: ctx.now() }));
}

/** Answer a store's reply token with a DeliveryStatus (i2pd: before any validation). Returns whether it went out. */
export function acknowledgeStore(ctx: FloodfillContext, reply: DatabaseStoreReply): boolean {
  const ds = deliveryStatusMessage(ctx, reply.token);
  if (reply.tunnelId === 0) return ctx.send(reply.gateway, ds);
  return ctx.sendToTunnel?.(reply.gateway, reply.tunnelId, ds, null) ?? false;
}

export function databaseStoreMessage(
  ctx: Pick<FloodfillContext, 'now' | 'newMsgId'>,
  key: Uint8Array,
  storeType: DatabaseStoreTypeValue,
  data: Uint8Array,
): I2NPMessage {
  return message(ctx, I2NPType.DatabaseStore, serializeDatabaseStore({ key, storeType, reply: null, data }));
}

/** Whether an entry may be flooded (spec: no expired LeaseSet, no RouterInfo older than 1 hour). */
export function mayFlood(now: number, entry: { routerInfo: RouterInfo } | { leaseSet: LeaseSet2 }): boolean {
  if ('routerInfo' in entry) return now - entry.routerInfo.published <= MAX_FLOOD_ROUTER_INFO_AGE;
  return now < leaseSet2ExpiresAt(entry.leaseSet);
}

/** The floodfills a store of `key` is flooded to: the FLOOD_COUNT closest, not us, not the key, not `from`. */
export function floodTargets(ctx: FloodfillContext, key: Uint8Array, from?: Uint8Array): Uint8Array[] {
  const exclude = new HashSet([ctx.ourHash, key]);
  if (from) exclude.add(from);
  return closest(routingKey(key, ctx.now()), ctx.floodfillHashes(), FLOOD_COUNT, exclude);
}

/** Flood a stored entry (zero reply token). Returns the floodfills it was handed to. */
export function flood(
  ctx: FloodfillContext,
  key: Uint8Array,
  storeType: DatabaseStoreTypeValue,
  data: Uint8Array,
  from?: Uint8Array,
): Uint8Array[] {
  const sent: Uint8Array[] = [];
  for (const ff of floodTargets(ctx, key, from)) {
    if (ctx.send(ff, databaseStoreMessage(ctx, key, storeType, data))) sent.push(ff);
  }
  return sent;
}

/** Up to `n` floodfills closer to `key` than we are, not excluded, not us (i2pd GetClosestFloodfills(closeThanUsOnly)). */
export function closerFloodfills(ctx: FloodfillContext, key: Uint8Array, n: number, excluded: HashSet): Uint8Array[] {
  const rk = routingKey(key, ctx.now());
  const skip = { has: (h: Uint8Array) => excluded.has(h) || equalBytes(h, ctx.ourHash) || compareDistance(rk, h, ctx.ourHash) > 0 };
  return closest(rk, ctx.floodfillHashes(), n, skip);
}

/** Up to `n` non-floodfill routers closest to `key`, not excluded (i2pd GetClosestNonFloodfill × n). */
export function closestNonFloodfills(ctx: FloodfillContext, key: Uint8Array, n: number, excluded: HashSet): Uint8Array[] {
  const rk = routingKey(key, ctx.now());
  const nonFf = (function* () {
    for (const ri of ctx.routers()) if (!isFloodfill(ri)) yield ri;
  })();
  return closestBy(rk, nonFf, n, (ri) => ri.identity.hash, excluded).map((ri) => ri.identity.hash);
}

/**
 * The reply to a DatabaseLookup (i2pd HandleDatabaseLookupMsg), or undefined for a lookup that gets none
 * (zero key). `serveLeaseSets`: we are a floodfill.
 */
export function answerLookup(ctx: FloodfillContext, l: DatabaseLookup, opts: { serveLeaseSets: boolean }): I2NPMessage | undefined {
  if (l.key.every((b) => b === 0)) return undefined;
  const excluded = new HashSet(l.excludedPeers);
  const searchReply = (peers: Uint8Array[]): I2NPMessage =>
    message(ctx, I2NPType.DatabaseSearchReply, serializeDatabaseSearchReply({ key: l.key, peers, from: ctx.ourHash }));
  if (l.lookupType === DatabaseLookupType.Exploratory) {
    excluded.add(l.from);
    return searchReply(closestNonFloodfills(ctx, l.key, SEARCH_REPLY_PEERS, excluded));
  }
  if (l.lookupType === DatabaseLookupType.RouterInfo || l.lookupType === DatabaseLookupType.Normal) {
    const ri = equalBytes(l.key, ctx.ourHash) ? ctx.ourRouterInfo() : ctx.getRouter(l.key);
    if (ri) return databaseStoreMessage(ctx, l.key, DatabaseStoreType.RouterInfo, ri.raw);
  }
  if (opts.serveLeaseSets && (l.lookupType === DatabaseLookupType.LeaseSet || l.lookupType === DatabaseLookupType.Normal)) {
    const ls = ctx.getLeaseSet(l.key);
    if (ls && ctx.now() < leaseSet2ExpiresAt(ls)) return databaseStoreMessage(ctx, l.key, DatabaseStoreType.LeaseSet2, ls.raw);
  }
  return searchReply(closerFloodfills(ctx, l.key, SEARCH_REPLY_PEERS, excluded));
}

/** Send `reply` where the lookup asked: directly to `from`, or through the tunnel hook. */
export function sendLookupReply(ctx: FloodfillContext, l: DatabaseLookup, reply: I2NPMessage): boolean {
  if (l.replyTunnelId) return ctx.sendToTunnel?.(l.from, l.replyTunnelId, reply, l.replyEncryption) ?? false;
  return ctx.send(l.from, reply);
}
