/**
 * Tunnel data path, sans-IO: the four places a tunnel message is processed, built from fragment.ts and
 * crypto/tunnel-layer.ts.
 *   OutboundTunnelGateway  creator of an outbound tunnel: fragment, pre-decrypt with every hop's layer (last
 *                          hop first), TunnelData to hops[0]
 *   InboundTunnelEndpoint  creator of an inbound tunnel: decrypt with every hop's layer (last hop first), reassemble
 *   TransitTunnel          a hop: participant (encrypt, forward), IBGW (fragment local-delivery messages from
 *                          TunnelGateway messages, encrypt, forward), OBEP (encrypt, reassemble, hand out)
 *
 * Spec: ../shared/specs/docs/tunnels-implementation.html "Gateway Processing", "Participant Processing",
 * "Endpoint Processing"; ../shared/specs/spec/tunnel-message.rst.
 * i2pd 2.45.1: libi2pd/Tunnel.cpp (OutboundTunnel::SendTunnelDataMsg, InboundTunnel::HandleTunnelDataMsg,
 * Tunnel::EncryptTunnelMsg), TransitTunnel.cpp (TransitTunnelParticipant, TransitTunnelGateway — messages
 * from TunnelGateway go in with LOCAL delivery —, TransitTunnelEndpoint).
 *
 * Outputs are 1028-byte TunnelData payloads (next tunnel id, IV, data) for the caller to wrap in a TunnelData
 * I2NP message and send to `to`; delivered messages carry their delivery instructions, routing them is the
 * caller's (i2pd: an OBEP sends TUNNEL delivery as TunnelGateway to the gateway, ROUTER delivery as is, and
 * handles LOCAL itself; an inbound endpoint drops TUNNEL and ROUTER delivery).
 */
import { checkUint } from '../data/primitives.js';
import { TunnelLayer } from '../crypto/tunnel-layer.js';
import type { Random } from '../crypto/random.js';
import type { I2NPMessage } from '../i2np/header.js';
import { TUNNEL_DATA_DATA_SIZE, TUNNEL_DATA_SIZE } from '../i2np/tunnel-data.js';
import {
  TunnelEndpoint,
  TunnelGateway,
  type DeliveredMessage,
  type DeliveryInstructions,
  type TunnelEndpointOptions,
} from './fragment.js';
import type { HopRole } from './build/participant.js';

export interface LayerKeys {
  layerKey: Uint8Array;
  ivKey: Uint8Array;
}

/** A TunnelData payload (1028 bytes: tunnel id + IV + data) to send to router `to`. */
export interface TunnelDataOut {
  to: Uint8Array;
  data: Uint8Array;
}

function checkData(data: Uint8Array): Uint8Array {
  if (data.length === TUNNEL_DATA_SIZE) return data.subarray(4);
  if (data.length === TUNNEL_DATA_DATA_SIZE) return data;
  throw new RangeError(`tunnel data must be ${TUNNEL_DATA_SIZE} or ${TUNNEL_DATA_DATA_SIZE} bytes`);
}

/** The creator's gateway of an outbound tunnel. */
export class OutboundTunnelGateway {
  readonly #layers: TunnelLayer[];
  readonly #gateway: TunnelGateway;
  readonly #firstHop: Uint8Array;

  /**
   * @param layers hops' layer keys, gateway first (TunnelBuildResult.layers)
   * @param firstHop hops[0]'s router hash; `tunnelId` its receive tunnel id (PendingTunnelBuild.tunnelId)
   */
  constructor(opts: { layers: readonly LayerKeys[]; firstHop: Uint8Array; tunnelId: number; random?: Random; maxQueued?: number }) {
    if (opts.layers.length < 1) throw new RangeError('an outbound tunnel needs at least one hop');
    this.#layers = opts.layers.map((l) => new TunnelLayer(l.layerKey, l.ivKey));
    this.#firstHop = Uint8Array.prototype.slice.call(opts.firstHop);
    this.#gateway = new TunnelGateway({ tunnelId: opts.tunnelId, ...(opts.random ? { random: opts.random } : {}), ...(opts.maxQueued ? { maxQueued: opts.maxQueued } : {}) });
  }

  /** Queue a message for the OBEP to deliver per `instructions` (tunnel or router; spec: LOCAL is unimplemented here). */
  put(message: I2NPMessage | Uint8Array, instructions: DeliveryInstructions): boolean {
    return this.#gateway.put(message, instructions);
  }

  /** Fragment, pre-decrypt (last hop first) and return the TunnelData payloads for hops[0]. */
  flush(): TunnelDataOut[] {
    return this.#gateway.flush().map((m) => {
      const body = m.subarray(4);
      for (let i = this.#layers.length - 1; i >= 0; i--) this.#layers[i]!.decrypt(body);
      return { to: this.#firstHop, data: m };
    });
  }
}

/** The creator's endpoint of an inbound tunnel. */
export class InboundTunnelEndpoint {
  readonly #layers: TunnelLayer[];
  readonly endpoint: TunnelEndpoint;

  constructor(opts: { layers: readonly LayerKeys[]; endpoint?: TunnelEndpointOptions }) {
    if (opts.layers.length < 1) throw new RangeError('an inbound tunnel needs at least one hop');
    this.#layers = opts.layers.map((l) => new TunnelLayer(l.layerKey, l.ivKey));
    this.endpoint = new TunnelEndpoint(opts.endpoint);
  }

  /** A received TunnelData payload (1028, or the 1024 after the tunnel id), decrypted in place. */
  receive(data: Uint8Array): DeliveredMessage[] {
    const body = checkData(data);
    for (let i = this.#layers.length - 1; i >= 0; i--) this.#layers[i]!.decrypt(body);
    return this.endpoint.receive(body);
  }
}

export interface TransitTunnelOptions {
  role: HopRole;
  receiveTunnelId: number;
  nextTunnelId: number;
  nextIdent: Uint8Array;
  layerKey: Uint8Array;
  ivKey: Uint8Array;
  /** OBEP reassembly limits and clock. */
  endpoint?: TunnelEndpointOptions;
  /** IBGW fragmentation RNG and queue bound. */
  random?: Random;
  maxQueued?: number;
}

/** One transit tunnel at a hop (from OpenedBuildRequest: role, request ids, layer keys). */
export class TransitTunnel {
  readonly role: HopRole;
  readonly receiveTunnelId: number;
  readonly nextTunnelId: number;
  readonly nextIdent: Uint8Array;
  readonly #layer: TunnelLayer;
  readonly #gateway: TunnelGateway | undefined;
  readonly #endpoint: TunnelEndpoint | undefined;

  constructor(opts: TransitTunnelOptions) {
    checkUint(opts.receiveTunnelId, 32, 'receiveTunnelId');
    checkUint(opts.nextTunnelId, 32, 'nextTunnelId');
    this.role = opts.role;
    this.receiveTunnelId = opts.receiveTunnelId;
    this.nextTunnelId = opts.nextTunnelId;
    this.nextIdent = Uint8Array.prototype.slice.call(opts.nextIdent);
    this.#layer = new TunnelLayer(opts.layerKey, opts.ivKey);
    if (opts.role === 'ibgw') {
      this.#gateway = new TunnelGateway({ tunnelId: opts.nextTunnelId, ...(opts.random ? { random: opts.random } : {}), ...(opts.maxQueued ? { maxQueued: opts.maxQueued } : {}) });
    }
    if (opts.role === 'obep') this.#endpoint = new TunnelEndpoint(opts.endpoint);
  }

  /** OBEP reassembly state and counters (undefined for other roles). */
  get endpoint(): TunnelEndpoint | undefined {
    return this.#endpoint;
  }

  /**
   * Participant / OBEP: a TunnelData payload received on receiveTunnelId (1028 bytes, or the 1024 after the
   * tunnel id), encrypted with our layer in place. A participant returns it to forward (tunnel id rewritten to
   * nextTunnelId); an OBEP returns the messages it completed. An IBGW gets no TunnelData: RangeError.
   */
  handleTunnelData(data: Uint8Array): { forward?: TunnelDataOut; delivered: DeliveredMessage[] } {
    if (this.role === 'ibgw') throw new RangeError('an inbound gateway receives TunnelGateway messages, not TunnelData');
    const body = checkData(data);
    this.#layer.encrypt(body);
    if (this.role === 'obep') return { delivered: this.#endpoint!.receive(body) };
    const out = new Uint8Array(TUNNEL_DATA_SIZE);
    new DataView(out.buffer).setUint32(0, this.nextTunnelId);
    out.set(body, 4);
    return { forward: { to: this.nextIdent, data: out }, delivered: [] };
  }

  /** IBGW: queue the message of a TunnelGateway message (LOCAL delivery at the creator). False = dropped. */
  handleGatewayMessage(message: I2NPMessage | Uint8Array): boolean {
    if (!this.#gateway) throw new RangeError('only an inbound gateway takes TunnelGateway messages');
    return this.#gateway.put(message, { type: 'local' });
  }

  /** IBGW: fragment and encrypt what was queued; TunnelData payloads for the next hop. */
  flush(): TunnelDataOut[] {
    if (!this.#gateway) return [];
    return this.#gateway.flush().map((m) => {
      this.#layer.encrypt(m.subarray(4));
      return { to: this.nextIdent, data: m };
    });
  }
}
