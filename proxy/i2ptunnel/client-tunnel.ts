/**
 * Client tunnels (tunnels.conf `type = client`): a local TCP listener whose connections each open a stream
 * to one I2P destination, as i2pd 2.45.1 does (libi2pd_client/I2PTunnel.cpp I2PClientTunnel,
 * I2PClientTunnelHandler; I2PService.cpp CreateStream / AddReadyCallback; ClientContext.cpp ReadTunnels;
 * ../shared/specs/docs/api-i2ptunnel.html "Client Modes / Standard" and "IRC Client").
 *
 * - `destination`: a `.b32.i2p` address, a base64 Destination (connected to by its hash), or a name the
 *   I2PConnector resolves (the address book). Names are never resolved through DNS.
 * - `destinationport` is the stream's destination port (0: any).
 * - `connecttimeout` (seconds): how long a connection waits for the local destination to have tunnels
 *   (i2pd AddReadyCallback) and then, again, for the stream to open.
 * - `keepaliveinterval` (seconds): a streaming ping to the remote every interval (i2pd SendPing), once a
 *   stream has told us the remote's Destination.
 * - `ircfilter = true` (clove key): lines are filtered as Java I2P's IRC client tunnels do (irc-filter.ts).
 * - A connection whose stream cannot be opened is closed (local socket ended, then destroyed) with a debug
 *   log naming the reason (I2PConnectError code).
 *
 * Deviations from i2pd, written down:
 * - Without `connecttimeout` a connection still waits up to DEFAULT_READY_WAIT_S for the local destination
 *   to have tunnels (i2pd tries at once and fails while the tunnels are being built).
 * - At most `maxConnections` (default 256) connections at once; more are closed at accept (i2pd: no bound).
 * - `matchtunnels` is not supported (a warning; the tunnel uses its own pool).
 */
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import type { ClientTunnelDef } from '../../conf/tunnels.js';
import type { ClientDestination } from '../../client/destination.js';
import type { Destination } from '../../data/identity.js';
import { parseDestination } from '../../data/identity.js';
import { b32Address, fromBase64 } from '../../data/base64.js';
import { isI2PConnectError, type I2PConnector } from '../connector.js';
import { splice } from '../pipe.js';
import { FilteredDuplex } from './filtered.js';
import { IrcClientFilterStream } from './irc-filter.js';

export const DEFAULT_MAX_CLIENT_CONNECTIONS = 256;
export const DEFAULT_READY_WAIT_S = 60;
const READY_POLL_MS = 250;

/** The local destination as a client tunnel needs it (router/services.ts LocalDestination fits). */
export interface ClientTunnelLocal {
  readonly destination: ClientDestination;
  readonly pool: { inbound(): readonly unknown[]; outbound(): readonly unknown[] };
}

export interface ClientTunnelOptions {
  connector: I2PConnector;
  logger: Logger;
  maxConnections?: number;
}

/**
 * What to hand the connector for a tunnels.conf `destination`: b32 addresses and names as written, a base64
 * Destination as its b32 address.
 */
export function connectTarget(destination: string): string {
  const d = destination.trim();
  if (/\.i2p$/i.test(d)) return d.toLowerCase();
  if (d.length >= 516 && /^[A-Za-z0-9~=-]+$/.test(d)) {
    try {
      return b32Address(parseDestination(fromBase64(d)).hash);
    } catch {
      return d; // the connector answers BAD_ADDRESS
    }
  }
  return d;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    t.unref();
    function done(): void {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

export class ClientTunnel {
  readonly def: ClientTunnelDef;
  readonly name: string;
  readonly target: string;
  readonly #local: ClientTunnelLocal;
  readonly #o: ClientTunnelOptions;
  readonly #log: Logger;
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  readonly #closing = new AbortController();
  #keepAlive: NodeJS.Timeout | undefined;
  #remote: Destination | undefined;
  readonly stats = { accepted: 0, refusedBusy: 0, failed: 0, opened: 0 };

  private constructor(def: ClientTunnelDef, local: ClientTunnelLocal, o: ClientTunnelOptions) {
    this.def = def;
    this.name = def.name;
    this.target = connectTarget(def.destination);
    this.#local = local;
    this.#o = o;
    this.#log = o.logger;
    this.#server = createServer({ pauseOnConnect: true }, (s) => this.#onConnection(s));
    this.#server.on('error', (e) => this.#log.warn({ tunnel: def.name, err: e.message }, 'client tunnel listener error'));
  }

  /** Listen on the tunnel's address and port. Rejects if the port cannot be bound. */
  static async start(def: ClientTunnelDef, local: ClientTunnelLocal, o: ClientTunnelOptions): Promise<ClientTunnel> {
    if (def.type !== 'client') throw new RangeError(`${def.type} tunnels are not TCP client tunnels`);
    const t = new ClientTunnel(def, local, o);
    if (def.matchTunnels) o.logger.warn({ tunnel: def.name }, 'matchtunnels is not supported; the tunnel uses its own pool');
    await new Promise<void>((resolve, reject) => {
      const onErr = (e: Error): void => reject(new Error(`tunnel [${def.name}]: cannot listen on ${def.address}:${def.port} (${e.message})`, { cause: e }));
      t.#server.once('error', onErr);
      t.#server.listen(def.port, def.address, () => {
        t.#server.off('error', onErr);
        resolve();
      });
    });
    if (def.keepAliveInterval > 0) {
      t.#keepAlive = setInterval(() => t.#ping(), def.keepAliveInterval * 1000);
      t.#keepAlive.unref();
    }
    return t;
  }

  get address(): AddressInfo {
    return this.#server.address() as AddressInfo;
  }

  /** Local connections open now. */
  get active(): number {
    return this.#sockets.size;
  }

  #ready(): boolean {
    const p = this.#local.pool;
    return p.inbound().length > 0 && p.outbound().length > 0;
  }

  #onConnection(sock: Socket): void {
    const def = this.def;
    sock.on('error', (e) => this.#log.debug({ tunnel: def.name, err: e.message }, 'client tunnel: local socket error'));
    if (this.#closing.signal.aborted || this.#sockets.size >= (this.#o.maxConnections ?? DEFAULT_MAX_CLIENT_CONNECTIONS)) {
      this.stats.refusedBusy++;
      this.#log.debug({ tunnel: def.name, active: this.#sockets.size }, 'client tunnel: too many connections; closed');
      sock.destroy();
      return;
    }
    this.stats.accepted++;
    this.#sockets.add(sock);
    sock.once('close', () => this.#sockets.delete(sock));
    void this.#open(sock);
  }

  async #open(sock: Socket): Promise<void> {
    const def = this.def;
    const gone = new AbortController();
    const onGone = (): void => gone.abort();
    sock.once('close', onGone);
    const signal = AbortSignal.any([gone.signal, this.#closing.signal]);
    let stream: Duplex | undefined;
    try {
      const readyBy = Date.now() + (def.connectTimeout > 0 ? def.connectTimeout : DEFAULT_READY_WAIT_S) * 1000;
      while (!this.#ready() && !signal.aborted && Date.now() < readyBy) await sleep(READY_POLL_MS, signal);
      if (signal.aborted) return;
      if (!this.#ready()) throw new Error('the tunnel has no inbound/outbound tunnels yet');
      const connectSignal = def.connectTimeout > 0 ? AbortSignal.any([signal, AbortSignal.timeout(def.connectTimeout * 1000)]) : signal;
      stream = await this.#o.connector.connect(this.target, def.destinationPort, { signal: connectSignal });
    } catch (e) {
      sock.off('close', onGone);
      if (gone.signal.aborted || this.#closing.signal.aborted) return;
      this.stats.failed++;
      const code = isI2PConnectError(e) ? e.code : (e as Error).name === 'TimeoutError' || (e as Error).name === 'AbortError' ? 'TIMEOUT' : 'UNREACHABLE';
      this.#log.debug({ tunnel: def.name, code, err: (e as Error).message }, 'client tunnel: cannot open the stream; local connection closed');
      sock.destroySoon();
      return;
    }
    sock.off('close', onGone);
    if (sock.destroyed || signal.aborted) {
      stream.destroy();
      return;
    }
    this.stats.opened++;
    const remote = (stream as { remote?: unknown }).remote;
    if (remote && typeof remote === 'object' && 'hash' in remote) this.#remote = remote as Destination;
    stream.on('error', (e) => this.#log.debug({ tunnel: def.name, err: e.message }, 'client tunnel: stream error'));
    const view = def.ircFilter ? ircView(stream) : stream;
    splice(sock, view); // pipe() resumes the socket (paused since accept)
  }

  #ping(): void {
    const remote = this.#remote;
    if (!remote || !this.#ready()) return;
    this.#local.destination.streams.ping(remote, { port: this.def.destinationPort }).catch(() => undefined);
  }

  /** Stop listening and close every connection. */
  close(): void {
    if (this.#closing.signal.aborted) return;
    this.#closing.abort();
    if (this.#keepAlive) clearInterval(this.#keepAlive);
    this.#server.close();
    for (const s of this.#sockets) s.destroy();
    this.#sockets.clear();
  }
}

/** The stream with Java I2P's IRC client filter on both directions. */
function ircView(stream: Duplex): Duplex {
  const f = new IrcClientFilterStream();
  return new FilteredDuplex(stream, {
    write: { push: (c) => f.outbound(c), end: () => f.endOutbound() },
    read: { push: (c) => f.inbound(c), end: () => f.endInbound() },
  });
}
