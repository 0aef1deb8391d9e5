/**
 * Our own tunnels and the pools that keep them at quantity (exploratory pool; client pools later).
 *
 * Spec: ../shared/specs/docs/tunnels-implementation.html ("Tunnel Pools", "Tunnel Testing", "Tunnel Lifetime"),
 * ../shared/specs/docs/how-tunnel-routing.html.
 * i2pd 2.45.1: libi2pd/TunnelPool.cpp (CreateTunnels, TestTunnels, ProcessDeliveryStatus, GetNextTunnel,
 * TunnelCreated / TunnelExpired), Tunnel.cpp (ManageInboundTunnels / ManageOutboundTunnels: recreation 90 s and
 * "expiring" 60 s before the 660 s expiration), TunnelPool.h (TUNNEL_POOL_MANAGE_INTERVAL 10 s,
 * TUNNEL_POOL_MAX_*_TUNNELS_QUANTITY 16, TUNNEL_POOL_MAX_NUM_BUILD_REQUESTS 2).
 *
 * A pool does not build or send itself: the TunnelManager (its host) does, so the pool only holds tunnels
 * and decides how many builds it needs. Differences from i2pd: builds still pending count towards the
 * quantity (i2pd counts established tunnels only, so it can overbuild); tests pick pairs the same way.
 */
import type { I2NPMessage } from '../i2np/header.js';
import type { DeliveryInstructions } from './fragment.js';
import type { InboundTunnelEndpoint, OutboundTunnelGateway } from './data-path.js';

/** i2pd TUNNEL_EXPIRATION_TIMEOUT: a tunnel is gone this long after its build started. */
export const TUNNEL_LIFETIME_MS = 660_000;
/** i2pd TUNNEL_RECREATION_THRESHOLD: rebuild this long before expiration. */
export const TUNNEL_RECREATION_THRESHOLD_MS = 90_000;
/** i2pd TUNNEL_EXPIRATION_THRESHOLD: not used for new traffic this long before expiration. */
export const TUNNEL_EXPIRING_THRESHOLD_MS = 60_000;
export const MAX_POOL_QUANTITY = 16;
export const MAX_BUILDS_PER_ROUND = 2;
export const MAX_TUNNEL_LENGTH = 8;

export type TunnelState = 'established' | 'testFailed' | 'failed' | 'expiring';

interface TunnelCommon {
  /** Router hashes, gateway first (empty for a zero-hop tunnel). */
  readonly hops: readonly Uint8Array[];
  readonly createdAt: number;
  readonly expiresAt: number;
  state: TunnelState;
  /** A replacement build was started. */
  recreated: boolean;
  pool: TunnelPool | undefined;
  readonly zeroHop: boolean;
  /** Mean test round trip share (ms), i2pd AddLatencySample; undefined until tested. */
  latency: number | undefined;
}

export interface InboundTunnel extends TunnelCommon {
  readonly direction: 'inbound';
  /** The id TunnelData arrives with at our endpoint (zero-hop: the id TunnelGateway messages carry). */
  readonly id: number;
  /** The gateway others send TunnelGateway to (us for a zero-hop tunnel) and its tunnel id (leases). */
  readonly gateway: Uint8Array;
  readonly gatewayTunnelId: number;
  readonly endpoint: InboundTunnelEndpoint | undefined;
}

export interface OutboundTunnel extends TunnelCommon {
  readonly direction: 'outbound';
  /** hops[0]'s receive tunnel id (0 for zero-hop). */
  readonly id: number;
  /** The OBEP (us for zero-hop). */
  readonly endpointHash: Uint8Array;
  readonly gateway: OutboundTunnelGateway | undefined;
}

export type OwnTunnel = InboundTunnel | OutboundTunnel;

export interface PoolSettings {
  inbound: { length: number; quantity: number };
  outbound: { length: number; quantity: number };
}

/** What the pool needs from the manager. */
export interface PoolHost {
  now(): number;
  random(max: number): number;
  sendThroughOutbound(tunnel: OutboundTunnel, msg: I2NPMessage, delivery: DeliveryInstructions): boolean;
  pendingBuilds(pool: TunnelPool, direction: 'inbound' | 'outbound'): number;
  build(pool: TunnelPool, direction: 'inbound' | 'outbound'): boolean;
  startTest(pool: TunnelPool, ob: OutboundTunnel, ib: InboundTunnel): void;
  removePool(pool: TunnelPool): void;
}

function checkSide(s: { length: number; quantity: number }, what: string): { length: number; quantity: number } {
  if (!Number.isInteger(s.length) || s.length < 0 || s.length > MAX_TUNNEL_LENGTH) throw new RangeError(`${what}.length must be 0..${MAX_TUNNEL_LENGTH}`);
  if (!Number.isInteger(s.quantity) || s.quantity < 0) throw new RangeError(`${what}.quantity must be a non-negative integer`);
  return { length: s.length, quantity: Math.min(s.quantity, MAX_POOL_QUANTITY) };
}

export class TunnelPool {
  readonly name: string;
  readonly settings: PoolSettings;
  /** Messages arriving (LOCAL delivery) at this pool's inbound tunnels; the manager's deliverLocal when unset. */
  readonly deliver: ((msg: I2NPMessage, tunnel: InboundTunnel) => void) | undefined;
  readonly #host: PoolHost;
  readonly #inbound = new Set<InboundTunnel>();
  readonly #outbound = new Set<OutboundTunnel>();
  readonly #onInboundChange: (() => void) | undefined;
  #active = true;

  constructor(
    host: PoolHost,
    name: string,
    settings: PoolSettings,
    deliver?: (msg: I2NPMessage, tunnel: InboundTunnel) => void,
    onInboundChange?: () => void,
  ) {
    this.#host = host;
    this.#onInboundChange = onInboundChange;
    this.name = name;
    this.settings = { inbound: checkSide(settings.inbound, 'inbound'), outbound: checkSide(settings.outbound, 'outbound') };
    this.deliver = deliver;
  }

  get active(): boolean {
    return this.#active;
  }

  /** Established inbound tunnels (not expiring, not failed). */
  inbound(): InboundTunnel[] {
    return [...this.#inbound].filter((t) => t.state === 'established');
  }

  outbound(): OutboundTunnel[] {
    return [...this.#outbound].filter((t) => t.state === 'established');
  }

  /** Every tunnel the pool holds, whatever its state. */
  all(): OwnTunnel[] {
    return [...this.#inbound, ...this.#outbound];
  }

  /** i2pd GetNextTunnel: a random one among the first half (+1) of the established ones. */
  nextInbound(exclude?: InboundTunnel): InboundTunnel | undefined {
    return this.#next(this.inbound(), exclude);
  }

  nextOutbound(exclude?: OutboundTunnel): OutboundTunnel | undefined {
    return this.#next(this.outbound(), exclude);
  }

  #next<T extends OwnTunnel>(list: T[], exclude?: T): T | undefined {
    const c = list.filter((t) => t !== exclude);
    if (c.length === 0) return exclude && exclude.state === 'established' ? exclude : undefined;
    return c[this.#host.random(Math.floor(c.length / 2) + 1)] ?? c[0];
  }

  /** Send `msg` through one of our outbound tunnels (or `tunnel`); the OBEP delivers per `delivery`. */
  sendThroughOutbound(msg: I2NPMessage, delivery: DeliveryInstructions, tunnel?: OutboundTunnel): boolean {
    const t = tunnel ?? this.nextOutbound();
    if (!t || t.state === 'failed') return false;
    return this.#host.sendThroughOutbound(t, msg, delivery);
  }

  /** Stop building; tunnels are detached and left to expire (i2pd StopTunnelPool / DetachTunnels). */
  stop(): void {
    if (!this.#active) return;
    this.#active = false;
    for (const t of this.all()) t.pool = undefined;
    this.#inbound.clear();
    this.#outbound.clear();
    this.#host.removePool(this);
  }

  // ---- called by the manager ----

  /** @internal */
  added(t: OwnTunnel): void {
    if (!this.#active) return;
    if (t.direction === 'inbound') {
      this.#inbound.add(t);
      this.#inboundChanged();
    } else this.#outbound.add(t);
  }

  /** @internal */
  removed(t: OwnTunnel): void {
    if (t.direction === 'inbound') {
      if (this.#inbound.delete(t)) this.#inboundChanged();
    } else this.#outbound.delete(t);
  }

  #inboundChanged(): void {
    const cb = this.#onInboundChange;
    if (cb) queueMicrotask(() => this.#active && cb());
  }

  /** @internal Tunnels that count towards the quantity: established and no replacement started yet. */
  #live(direction: 'inbound' | 'outbound'): number {
    const set: Set<OwnTunnel> = direction === 'inbound' ? this.#inbound : this.#outbound;
    let n = 0;
    for (const t of set) if (t.state === 'established' && !t.recreated) n++;
    return n;
  }

  /** @internal Start the builds needed to reach quantity (at most MAX_BUILDS_PER_ROUND per direction). */
  createTunnels(): void {
    if (!this.#active) return;
    for (const direction of ['outbound', 'inbound'] as const) {
      const want = this.settings[direction].quantity - this.#live(direction) - this.#host.pendingBuilds(this, direction);
      for (let i = 0; i < Math.min(want, MAX_BUILDS_PER_ROUND); i++) if (!this.#host.build(this, direction)) break;
    }
  }

  /** @internal i2pd TestTunnels' new tests: pair the i-th outbound with the i-th inbound. */
  testTunnels(): void {
    if (!this.#active) return;
    const ob = [...this.#outbound].filter((t) => t.state !== 'failed' && t.state !== 'expiring' && !t.zeroHop);
    const ib = [...this.#inbound].filter((t) => t.state !== 'failed' && t.state !== 'expiring' && !t.zeroHop);
    for (let i = 0; i < Math.min(ob.length, ib.length); i++) this.#host.startTest(this, ob[i]!, ib[i]!);
  }
}
