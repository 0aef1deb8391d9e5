/**
 * proxy/i2ptunnel: tunnels.conf client and server tunnels (i2pd 2.45.1 libi2pd_client/ClientContext.cpp
 * ReadTunnels builds each type; I2PTunnel.cpp runs them; ../shared/specs/docs/api-i2ptunnel.html,
 * ../shared/specs/spec/configuration.rst). The router (router/services.ts) hands each TunnelDef to
 * `startI2PTunnel` with its destination factory and connector; everything here uses the router's public
 * client surface only.
 *
 * Destinations, as i2pd: tunnels with the same non-transient key file share one local destination (the
 * caller passes the running one as `shared`); client tunnels' destinations do not publish their LeaseSet
 * (i2pd CreateNewLocalDestination(keys, isPublic = false)), server tunnels' do.
 *
 * Types: client → ClientTunnel; server, http, irc → ServerTunnel. socks and httpproxy sections, udpclient
 * and udpserver are not run here (a warning; the router's own proxies cover socks/httpproxy).
 * Deviation: a server tunnel that shares the key file of an earlier client tunnel keeps that destination
 * unpublished (i2pd switches it to public); a warning says so.
 */
import type { Logger } from 'pino';
import type { ServerTunnelDef, TunnelDef } from '../../conf/tunnels.js';
import type { ClientDestination } from '../../client/destination.js';
import type { I2PConnector } from '../connector.js';
import { ClientTunnel, type ClientTunnelLocal } from './client-tunnel.js';
import { ServerTunnel } from './server-tunnel.js';

export { ClientTunnel, connectTarget, DEFAULT_MAX_CLIENT_CONNECTIONS, DEFAULT_READY_WAIT_S, type ClientTunnelLocal, type ClientTunnelOptions } from './client-tunnel.js';
export { ServerTunnel, parseAccessList, uniqueLocalAddress, DEFAULT_MAX_SERVER_CONNECTIONS, type ServerTunnelOptions } from './server-tunnel.js';
export { IrcServerRewriter, type IrcServerRewriterOptions } from './irc-server.js';
export { IrcClientFilter, IrcClientFilterStream, INBOUND_ALLOWED, OUTBOUND_ALLOWED } from './irc-filter.js';
export {
  HttpServerRequestRewriter,
  HttpServerResponseFilter,
  HttpHeadError,
  MAX_REQUEST_HEAD,
  MAX_RESPONSE_HEAD,
  X_I2P_DEST_B32,
  X_I2P_DEST_B64,
  X_I2P_DEST_HASH,
  type HttpPeer,
} from './http-server.js';
export { LineSplitter, DEFAULT_MAX_LINE } from './lines.js';
export { FilteredDuplex, type DirectionFilter } from './filtered.js';

/** A local destination as the router's createDestination returns it. */
export interface TunnelLocalDestination extends ClientTunnelLocal {
  readonly name: string;
}

export interface TunnelDestinationSettings {
  name: string;
  keys: string;
  inbound: { length: number; quantity: number };
  outbound: { length: number; quantity: number };
  isPublic: boolean;
}

export interface I2PTunnelContext {
  createDestination(s: TunnelDestinationSettings): Promise<TunnelLocalDestination>;
  /** The connector client tunnels open streams with (address book names, b32). */
  connector(dest: ClientDestination): I2PConnector;
  logger: Logger;
  /** A running tunnel with the same (non-transient) key file, whose destination this one shares. */
  shared?: I2PTunnel | undefined;
}

/** A running tunnels.conf tunnel. */
export interface I2PTunnel {
  readonly name: string;
  readonly type: 'client' | 'server' | 'http' | 'irc';
  /** Key file as written in tunnels.conf. */
  readonly keys: string;
  readonly local: TunnelLocalDestination;
  readonly runner: ClientTunnel | ServerTunnel;
  close(): void;
}

class RunningTunnel implements I2PTunnel {
  constructor(
    readonly name: string,
    readonly type: I2PTunnel['type'],
    readonly keys: string,
    readonly local: TunnelLocalDestination,
    readonly runner: ClientTunnel | ServerTunnel,
  ) {}
  close(): void {
    this.runner.close();
  }
}

export function isI2PTunnel(x: unknown): x is I2PTunnel {
  return x instanceof RunningTunnel;
}

/** Whether two tunnels' key files name the same destination (transient keys never do). */
export function sameKeys(a: string, b: string): boolean {
  return a === b && !a.startsWith('transient');
}

/**
 * Start one tunnels.conf tunnel: its destination (or the shared one) and its listener / stream handler.
 * Returns undefined for types not run here. Throws if a client tunnel's port cannot be bound.
 */
export async function startI2PTunnel(t: TunnelDef, ctx: I2PTunnelContext): Promise<I2PTunnel | undefined> {
  const log = ctx.logger.child({ module: 'i2ptunnel' });
  if (t.type !== 'client' && t.type !== 'server' && t.type !== 'http' && t.type !== 'irc') {
    log.warn({ tunnel: t.name, type: t.type, file: t.file }, 'tunnel type not supported yet; skipped');
    return undefined;
  }
  const isServer = t.type !== 'client';
  if (ctx.shared && isServer && ctx.shared.type === 'client') {
    log.warn({ tunnel: t.name, sharedWith: ctx.shared.name }, 'server tunnel shares the keys of a client tunnel started before it; its LeaseSet is not published');
  }
  const local =
    ctx.shared?.local ??
    (await ctx.createDestination({
      name: t.name,
      keys: t.keys,
      inbound: { length: t.pool.inboundLength, quantity: t.pool.inboundQuantity },
      outbound: { length: t.pool.outboundLength, quantity: t.pool.outboundQuantity },
      isPublic: isServer,
    }));
  if (t.type === 'client') {
    const runner = await ClientTunnel.start(t, local, { connector: ctx.connector(local.destination), logger: log });
    log.info({ tunnel: t.name, listen: `${t.address}:${runner.address.port}`, destinationPort: t.destinationPort, ircfilter: t.ircFilter }, 'client tunnel started');
    return new RunningTunnel(t.name, t.type, t.keys, local, runner);
  }
  const st = t as ServerTunnelDef & { type: 'server' | 'http' | 'irc' };
  const runner = new ServerTunnel(st, local.destination, { logger: log });
  log.info({ tunnel: st.name, type: st.type, target: `${st.host}:${st.port}`, inport: st.inport }, 'server tunnel started');
  return new RunningTunnel(st.name, st.type, st.keys, local, runner);
}
