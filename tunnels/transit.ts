/**
 * Transit (participant) side of tunnels: answer tunnel build requests addressed to us, keep the bounded table
 * of transit tunnels (participant, IBGW, OBEP) and move their data.
 *
 * Spec: ../shared/specs/spec/tunnel-creation-ecies.rst ("Message Flow", "Short Record Specification",
 * "Reply Record Encryption"); ../shared/specs/docs/tunnels-implementation.html ("Participant Processing",
 * "Gateway Processing", "Endpoint Processing"); ../shared/specs/spec/i2np.rst (TunnelData, TunnelGateway,
 * ShortTunnelBuild, OutboundTunnelBuildReply).
 * i2pd 2.45.1: libi2pd/I2NPProtocol.cpp HandleShortTunnelBuildMsg / HandleBuildRequestRecords /
 * HandleVariableTunnelBuildMsg (accept / reject), TransitTunnel.cpp, TunnelEndpoint.cpp HandleNextMessage (OBEP
 * delivery), Tunnel.cpp Tunnels::AddTransitTunnel / ManageTransitTunnels / HandleTunnelGatewayMsg.
 *
 * Decisions, as i2pd 2.45.1 unless said otherwise:
 *  - Every rejection is status 30 (TUNNEL_REJECT_BANDWIDTH: "always reject with bandwidth reason"): transit
 *    disabled (`notransit`), transit table full, or a receive tunnel id already in use (AddTransitTunnel fails).
 *    Deviation: i2pd compares `size() > max` and so admits max + 1 tunnels; here at most `maxTunnels`.
 *  - A record that does not decrypt, has a bad field or an unknown layer encryption is dropped with no reply
 *    (nothing can be sealed for it).
 *  - Not in i2pd 2.45.1, taken from Java I2P (BuildHandler MAX_REQUEST_AGE_ECIES / MAX_REQUEST_FUTURE): a
 *    request whose request time is more than 8 minutes old or 5 minutes ahead is dropped without a reply, and
 *    a request whose ephemeral key we already answered (replay filter, kept for that whole window) is dropped.
 *  - Transit tunnels live 660 s after creation (i2pd TUNNEL_EXPIRATION_TIMEOUT, "11 minutes"): the creator
 *    stops using a tunnel at 10 minutes, the extra minute covers clock and path delay.
 *  - OBEP: an expired message (expiration + 1 minute skew < now) is dropped; TUNNEL delivery → TunnelGateway
 *    to that router; ROUTER delivery → the message itself to that router; LOCAL → handled by this router
 *    (i2pd HandleI2NPMessage). Anything addressed to ourselves goes through `loopback`.
 *  - The OBEP of a short build garlic-wraps its OutboundTunnelBuildReply with the record's reply key/tag
 *    unless the reply gateway is us; a local reply gateway gets the TunnelGateway through `loopback`.
 *  - IBGW: every TunnelGateway message is fragmented and flushed at once (i2pd batches per tunnel).
 */
import { toHex, equalBytes } from '../data/bytes.js';
import { ParseError } from '../data/errors.js';
import { CryptoError } from '../crypto/errors.js';
import type { Random } from '../crypto/random.js';
import { I2NPType, type I2NPMessage } from '../i2np/header.js';
import { BuildFormat, parseTunnelBuildRecords } from '../i2np/tunnel-build.js';
import { serializeTunnelGateway } from '../i2np/tunnel-gateway.js';
import { TUNNEL_DATA_SIZE } from '../i2np/tunnel-data.js';
import { RECORD_ENCRYPTED_OFFSET, RECORD_EPHEMERAL_OFFSET, BuildReplyStatus, type BuildRecordDecryptor } from './build/records.js';
import { buildForward, openBuildRequest, sealBuildReply, type HopRole } from './build/participant.js';
import { TransitTunnel } from './data-path.js';
import type { DeliveredMessage } from './fragment.js';

/** i2pd TUNNEL_EXPIRATION_TIMEOUT (660 s). */
export const TRANSIT_TUNNEL_LIFETIME_MS = 660_000;
/** i2pd I2NP_MESSAGE_EXPIRATION_TIMEOUT: expiration of the messages we create. */
export const I2NP_MESSAGE_EXPIRATION_MS = 8_000;
/** i2pd I2NP_MESSAGE_CLOCK_SKEW. */
export const I2NP_CLOCK_SKEW_MS = 60_000;
/** Java I2P BuildHandler MAX_REQUEST_AGE_ECIES / MAX_REQUEST_FUTURE. */
export const MAX_REQUEST_AGE_MS = 8 * 60_000;
export const MAX_REQUEST_FUTURE_MS = 5 * 60_000;

export interface TransitStats {
  /** Transit tunnel messages handled (TunnelData in, TunnelGateway in) and their bytes. */
  messages: number;
  bytes: number;
  accepted: number;
  rejected: { disabled: number; limit: number; duplicateId: number };
  dropped: {
    /** Unparseable build message or record, bad key / MAC, bad fields. */
    malformedBuild: number;
    /** No record for us (and not a reply we wait for). */
    notOurs: number;
    replay: number;
    expired: number;
    /** TunnelData / TunnelGateway for a role that does not take it, or queue full. */
    badData: number;
    /** OBEP: expired or undeliverable message. */
    obep: number;
    sendFailed: number;
  };
}

export interface TransitOptions {
  ourHash: Uint8Array;
  decryptor: BuildRecordDecryptor;
  send(peer: Uint8Array, msg: I2NPMessage): boolean;
  /** A message addressed to ourselves (handled on a later microtask by the manager). */
  loopback(msg: I2NPMessage): void;
  garlicWrapWithReplyKey(key: Uint8Array, tag: Uint8Array, msg: I2NPMessage): I2NPMessage;
  now(): number;
  random: Random;
  accept(): boolean;
  maxTunnels(): number;
  /** True when a receive tunnel id is already used by one of our own inbound tunnels. */
  idInUse(id: number): boolean;
  /** Replay filter entries; the oldest are forgotten beyond it. Default 65536. */
  maxReplayEntries?: number;
  logger?: { debug(obj: object, msg: string): void; info(obj: object, msg: string): void; warn(obj: object, msg: string): void };
}

interface Entry {
  tunnel: TransitTunnel;
  expiresAt: number;
}

/** Public view of one transit tunnel (no keys). */
export interface TransitTunnelInfo {
  role: HopRole;
  receiveTunnelId: number;
  nextTunnelId: number;
  nextIdent: Uint8Array;
  expiresAt: number;
}

export class TransitTunnels {
  readonly stats: TransitStats = {
    messages: 0,
    bytes: 0,
    accepted: 0,
    rejected: { disabled: 0, limit: 0, duplicateId: 0 },
    dropped: { malformedBuild: 0, notOurs: 0, replay: 0, expired: 0, badData: 0, obep: 0, sendFailed: 0 },
  };
  readonly #o: TransitOptions;
  /** By receive tunnel id; insertion order = creation order (expiry walks from the front). */
  readonly #tunnels = new Map<number, Entry>();
  /** Ephemeral keys (hex) of answered requests → forget-after time. */
  readonly #replay = new Map<string, number>();
  readonly #maxReplay: number;

  constructor(o: TransitOptions) {
    this.#o = o;
    this.#maxReplay = o.maxReplayEntries ?? 65536;
  }

  get size(): number {
    return this.#tunnels.size;
  }

  has(id: number): boolean {
    return this.#tunnels.has(id);
  }

  list(): TransitTunnelInfo[] {
    return [...this.#tunnels.values()].map((e) => ({
      role: e.tunnel.role,
      receiveTunnelId: e.tunnel.receiveTunnelId,
      nextTunnelId: e.tunnel.nextTunnelId,
      nextIdent: e.tunnel.nextIdent,
      expiresAt: e.expiresAt,
    }));
  }

  /**
   * A ShortTunnelBuild (25) or VariableTunnelBuild (23) that is not a reply to one of our builds. Never throws:
   * bad input is dropped and counted.
   */
  handleBuild(msg: I2NPMessage): void {
    const o = this.#o;
    const now = o.now();
    const format = msg.type === I2NPType.ShortTunnelBuild ? BuildFormat.ShortTunnelBuild : BuildFormat.VariableTunnelBuild;
    let records: Uint8Array[];
    try {
      records = parseTunnelBuildRecords(msg.payload, format).records;
    } catch (e) {
      if (!(e instanceof ParseError)) throw e;
      this.stats.dropped.malformedBuild++;
      return;
    }
    const ours = records.find((r) => o.decryptor.isOurs(r));
    if (!ours) {
      this.stats.dropped.notOurs++;
      return;
    }
    const eph = toHex(ours.subarray(RECORD_EPHEMERAL_OFFSET, RECORD_ENCRYPTED_OFFSET));
    this.#expireReplay(now);
    if (this.#replay.has(eph)) {
      this.stats.dropped.replay++;
      return;
    }
    let opened;
    try {
      opened = openBuildRequest(o.decryptor, records);
    } catch (e) {
      if (!(e instanceof ParseError) && !(e instanceof CryptoError)) throw e;
      this.stats.dropped.malformedBuild++;
      return;
    }
    if (!opened) {
      this.stats.dropped.notOurs++;
      return;
    }
    const req = opened.request;
    const requestTime = req.requestTime * 60_000;
    if (now - requestTime > MAX_REQUEST_AGE_MS || requestTime - now > MAX_REQUEST_FUTURE_MS) {
      this.stats.dropped.expired++;
      return;
    }
    while (this.#replay.size >= this.#maxReplay) this.#replay.delete(this.#replay.keys().next().value as string);
    this.#replay.set(eph, now + MAX_REQUEST_AGE_MS + MAX_REQUEST_FUTURE_MS);

    let status: number = BuildReplyStatus.Accept;
    if (!o.accept()) {
      status = BuildReplyStatus.RejectBandwidth;
      this.stats.rejected.disabled++;
    } else if (this.#tunnels.size >= o.maxTunnels()) {
      status = BuildReplyStatus.RejectBandwidth;
      this.stats.rejected.limit++;
    } else if (req.receiveTunnelId === 0 || this.#tunnels.has(req.receiveTunnelId) || o.idInUse(req.receiveTunnelId)) {
      status = BuildReplyStatus.RejectBandwidth;
      this.stats.rejected.duplicateId++;
    } else {
      const tunnel = new TransitTunnel({
        role: opened.role,
        receiveTunnelId: req.receiveTunnelId,
        nextTunnelId: req.nextTunnelId,
        nextIdent: req.nextIdent,
        layerKey: opened.layerKey,
        ivKey: opened.ivKey,
        endpoint: { now: o.now },
        random: o.random,
      });
      this.#tunnels.set(req.receiveTunnelId, { tunnel, expiresAt: now + TRANSIT_TUNNEL_LIFETIME_MS });
      this.stats.accepted++;
      o.logger?.debug({ role: opened.role, tunnelId: req.receiveTunnelId }, 'transit tunnel created');
    }

    const sealed = sealBuildReply(opened, records, status, { random: o.random });
    const fwd = buildForward(opened, sealed, { ourHash: o.ourHash, expiration: now + I2NP_MESSAGE_EXPIRATION_MS });
    if (fwd.kind === 'router') {
      this.#sendTo(fwd.to, fwd.message);
      return;
    }
    let inner = fwd.message;
    if (fwd.garlic) inner = o.garlicWrapWithReplyKey(fwd.garlic.key, fwd.garlic.tag, inner);
    const tg: I2NPMessage = {
      type: I2NPType.TunnelGateway,
      msgId: o.random.int(0, 0x1_0000_0000),
      expiration: now + I2NP_MESSAGE_EXPIRATION_MS,
      payload: serializeTunnelGateway({ tunnelId: fwd.tunnelId, message: inner }),
    };
    this.#sendTo(fwd.to, tg);
  }

  /** TunnelData for `tunnelId` (payload: the 1028-byte TunnelData payload). False: no such transit tunnel. */
  handleTunnelData(tunnelId: number, payload: Uint8Array): boolean {
    const e = this.#tunnels.get(tunnelId);
    if (!e) return false;
    this.stats.messages++;
    this.stats.bytes += payload.length;
    if (e.tunnel.role === 'ibgw' || payload.length !== TUNNEL_DATA_SIZE) {
      this.stats.dropped.badData++;
      return true;
    }
    const r = e.tunnel.handleTunnelData(Uint8Array.prototype.slice.call(payload));
    const now = this.#o.now();
    if (r.forward) {
      this.#sendTo(r.forward.to, { type: I2NPType.TunnelData, msgId: this.#o.random.int(0, 0x1_0000_0000), expiration: now + I2NP_MESSAGE_EXPIRATION_MS, payload: r.forward.data });
    }
    for (const d of r.delivered) this.#obepDeliver(d, now);
    return true;
  }

  /** The message of a TunnelGateway for `tunnelId`. False: no such transit tunnel. */
  handleTunnelGateway(tunnelId: number, message: I2NPMessage, size: number): boolean {
    const e = this.#tunnels.get(tunnelId);
    if (!e) return false;
    this.stats.messages++;
    this.stats.bytes += size;
    if (e.tunnel.role !== 'ibgw') {
      this.stats.dropped.badData++;
      return true;
    }
    let ok: boolean;
    try {
      ok = e.tunnel.handleGatewayMessage(message);
    } catch (err) {
      if (!(err instanceof RangeError)) throw err;
      ok = false; // too large for a tunnel
    }
    if (!ok) this.stats.dropped.badData++;
    const now = this.#o.now();
    for (const out of e.tunnel.flush()) {
      this.#sendTo(out.to, { type: I2NPType.TunnelData, msgId: this.#o.random.int(0, 0x1_0000_0000), expiration: now + I2NP_MESSAGE_EXPIRATION_MS, payload: out.data });
    }
    return true;
  }

  /** Drop transit tunnels past their lifetime and stale replay entries. Returns how many tunnels expired. */
  expire(now: number): number {
    let n = 0;
    for (const [id, e] of this.#tunnels) {
      if (e.expiresAt > now) continue; // lifetimes are equal, but ids may be re-added out of order: full scan
      this.#tunnels.delete(id);
      n++;
    }
    this.#expireReplay(now);
    return n;
  }

  clear(): void {
    this.#tunnels.clear();
    this.#replay.clear();
  }

  #expireReplay(now: number): void {
    for (const [k, t] of this.#replay) {
      if (t > now) break;
      this.#replay.delete(k);
    }
  }

  #obepDeliver(d: DeliveredMessage, now: number): void {
    const m = d.message;
    if (m.expiration + I2NP_CLOCK_SKEW_MS < now) {
      this.stats.dropped.obep++;
      return;
    }
    const di = d.instructions;
    if (di.type === 'local') {
      this.#o.loopback(m);
    } else if (di.type === 'router') {
      this.#sendTo(di.hash, m);
    } else {
      let payload: Uint8Array;
      try {
        payload = serializeTunnelGateway({ tunnelId: di.tunnelId, message: m });
      } catch (e) {
        if (!(e instanceof RangeError)) throw e;
        this.stats.dropped.obep++;
        return;
      }
      this.#sendTo(di.hash, { type: I2NPType.TunnelGateway, msgId: this.#o.random.int(0, 0x1_0000_0000), expiration: now + I2NP_MESSAGE_EXPIRATION_MS, payload });
    }
  }

  #sendTo(peer: Uint8Array, msg: I2NPMessage): void {
    if (equalBytes(peer, this.#o.ourHash)) {
      this.#o.loopback(msg);
      return;
    }
    if (!this.#o.send(peer, msg)) this.stats.dropped.sendFailed++;
  }
}
