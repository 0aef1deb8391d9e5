/**
 * Server tunnels (tunnels.conf `type = server | http | irc`): streams that reach a local destination are
 * forwarded to a local TCP (or TLS, `ssl = true`) service, as i2pd 2.45.1 does (libi2pd_client/I2PTunnel.cpp
 * I2PServerTunnel, I2PServerTunnelHTTP, I2PServerTunnelIRC; ClientContext.cpp ReadTunnels;
 * ../shared/specs/docs/api-i2ptunnel.html "Server Modes"; ../shared/specs/spec/configuration.rst tunnels).
 *
 * - Port dispatch (i2pd CreateStreamingDestination / AcceptStreams): each tunnel listens on its `inport`, or
 *   on its local `port` when inport is 0; a stream goes to the tunnel of its destination port, else to the
 *   first server tunnel started on that destination (i2pd's default acceptor). Tunnels sharing a key file
 *   share the destination and this dispatch.
 * - `accesslist` (or the older `whitelist`): comma-separated b32 addresses (with or without `.b32.i2p`); a
 *   stream from any other destination is closed (i2pd: Close(), a warning naming the address). An entry that
 *   is not a b32 address is skipped with a warning — the list stays in force even if no entry is valid.
 * - `address`: the local address to connect from. Else `enableuniquelocal` (default true) on Linux, when
 *   `host` is an IPv4 address in 127/8: connect from 127.h0.h1.h2, the first three bytes of the remote
 *   destination's hash (i2pd GetLoopbackAddressFor / MapToLoopback, `#ifdef __linux__`), so the local
 *   service can tell remote peers apart.
 * - `http`: request and response heads rewritten (http-server.ts); `irc`: the client's registration
 *   rewritten, WEBIRC sent first with `webircpassword` (irc-server.ts); `server`: bytes as they are.
 * - `ssl`: TLS to the local service without certificate checks (i2pd: verify_none), SNI = hostoverride
 *   (http) or host when it is a name.
 *
 * Deviations from i2pd, written down:
 * - `host` given as a name is connected to by name (Node resolves it per connection); unique local
 *   addresses apply only when `host` is an IPv4 literal in 127/8 (i2pd resolves the name once, then checks).
 * - At most `maxConnections` (default 512) streams per tunnel are forwarded at once; more are reset
 *   (i2pd: no bound).
 * - `gzip` is not used here (the destination's I2CP layer decides compression).
 */
import { connect as netConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import type { ServerTunnelDef } from '../../conf/tunnels.js';
import type { ClientDestination } from '../../client/destination.js';
import type { Connection } from '../../client/streaming/connection.js';
import type { StreamPorts } from '../../client/streaming/manager.js';
import { b32Address, fromBase32, toBase64 } from '../../data/base64.js';
import { splice } from '../pipe.js';
import { FilteredDuplex } from './filtered.js';
import { HttpServerRequestRewriter, HttpServerResponseFilter } from './http-server.js';
import { IrcServerRewriter } from './irc-server.js';

export const DEFAULT_MAX_SERVER_CONNECTIONS = 512;
/** How long a refused stream may take to close gracefully before it is reset. */
const REFUSE_GRACE_MS = 30_000;

/** 127.h0.h1.h2 for a destination hash (i2pd GetLoopbackAddressFor). */
export function uniqueLocalAddress(hash: Uint8Array): string {
  return `127.${hash[0]}.${hash[1]}.${hash[2]}`;
}

/** Parse an accesslist: hex hashes of the valid entries, and the entries that are not b32 addresses. */
export function parseAccessList(entries: readonly string[]): { hashes: Set<string>; invalid: string[] } {
  const hashes = new Set<string>();
  const invalid: string[] = [];
  for (const e of entries) {
    const s = e.trim().toLowerCase().replace(/\.b32\.i2p$/, '');
    try {
      if (!/^[a-z2-7]{52}$/.test(s)) throw new Error('not b32');
      const h = fromBase32(s);
      if (h.length !== 32) throw new Error('not 32 bytes');
      hashes.add(Buffer.from(h).toString('hex'));
    } catch {
      invalid.push(e);
    }
  }
  return { hashes, invalid };
}

interface Acceptor {
  readonly name: string;
  accept(stream: Connection, ports: StreamPorts): void;
}

/** One per destination: routes incoming streams to the server tunnel of their port (i2pd's acceptors). */
class StreamDispatch {
  readonly #byPort = new Map<number, Acceptor>();
  readonly #order: Acceptor[] = [];
  readonly #onStream = (stream: Connection, ports: StreamPorts): void => {
    const a = this.#byPort.get(ports.toPort) ?? this.#order[0];
    if (a) a.accept(stream, ports);
    else stream.destroy();
  };

  constructor(readonly dest: ClientDestination) {}

  add(port: number, a: Acceptor): void {
    if (this.#order.length === 0) this.dest.on('stream', this.#onStream);
    if (!this.#byPort.has(port)) this.#byPort.set(port, a);
    this.#order.push(a);
  }

  remove(a: Acceptor): void {
    for (const [p, x] of this.#byPort) if (x === a) this.#byPort.delete(p);
    const i = this.#order.indexOf(a);
    if (i >= 0) this.#order.splice(i, 1);
    if (this.#order.length === 0) {
      this.dest.off('stream', this.#onStream);
      dispatchers.delete(this.dest);
    }
  }
}

const dispatchers = new WeakMap<ClientDestination, StreamDispatch>();

export interface ServerTunnelOptions {
  logger: Logger;
  maxConnections?: number;
  /** Platform for enableuniquelocal (default process.platform; only 'linux' maps to 127/8 addresses). */
  platform?: NodeJS.Platform;
}

export class ServerTunnel implements Acceptor {
  readonly def: ServerTunnelDef;
  readonly name: string;
  readonly #dest: ClientDestination;
  readonly #log: Logger;
  readonly #max: number;
  readonly #platform: NodeJS.Platform;
  readonly #access: Set<string> | undefined;
  readonly #active = new Set<Duplex>();
  #closed = false;
  /** Streams refused by the access list, the connection bound, or a failed local connect. */
  readonly stats = { accepted: 0, refusedAccess: 0, refusedBusy: 0, localFailed: 0 };

  constructor(def: ServerTunnelDef, dest: ClientDestination, o: ServerTunnelOptions) {
    this.def = def;
    this.name = def.name;
    this.#dest = dest;
    this.#log = o.logger;
    this.#max = o.maxConnections ?? DEFAULT_MAX_SERVER_CONNECTIONS;
    this.#platform = o.platform ?? process.platform;
    if (def.accessList.length > 0) {
      const { hashes, invalid } = parseAccessList(def.accessList);
      for (const e of invalid) this.#log.warn({ tunnel: def.name, entry: e }, 'accesslist entry is not a b32 address; ignored');
      this.#access = hashes;
    }
    if (def.type === 'udpserver') throw new RangeError('udpserver tunnels are not TCP server tunnels');
    let d = dispatchers.get(dest);
    if (!d) dispatchers.set(dest, (d = new StreamDispatch(dest)));
    d.add(def.inport > 0 ? def.inport : def.port, this);
  }

  /** Connections being forwarded now. */
  get active(): number {
    return this.#active.size;
  }

  accept(stream: Connection, _ports: StreamPorts): void {
    const def = this.def;
    stream.on('error', (e) => this.#log.debug({ tunnel: def.name, err: e.message }, 'server tunnel: stream error'));
    const hash = stream.remote.hash;
    const hex = Buffer.from(hash).toString('hex');
    if (this.#access && !this.#access.has(hex)) {
      this.stats.refusedAccess++;
      this.#log.warn({ tunnel: def.name, remote: b32Address(hash) }, 'address not in the access list; stream closed');
      refuse(stream);
      return;
    }
    if (this.#closed || this.#active.size >= this.#max) {
      this.stats.refusedBusy++;
      this.#log.debug({ tunnel: def.name, active: this.#active.size }, 'server tunnel: too many connections; stream reset');
      stream.destroy();
      return;
    }
    this.stats.accepted++;
    this.#active.add(stream);
    stream.once('close', () => this.#active.delete(stream));

    const localAddress = this.#localAddress(hash);
    const sock = this.#connectLocal(localAddress);
    const onConnectError = (e: Error): void => {
      this.stats.localFailed++;
      this.#log.debug({ tunnel: def.name, target: `${def.host}:${def.port}`, err: e.message }, 'server tunnel: cannot reach the local service');
      stream.destroy();
    };
    sock.once('error', onConnectError);
    sock.once(def.ssl ? 'secureConnect' : 'connect', () => {
      sock.off('error', onConnectError);
      sock.on('error', (e) => this.#log.debug({ tunnel: def.name, err: e.message }, 'server tunnel: local service error'));
      if (stream.destroyed) {
        sock.destroy();
        return;
      }
      splice(sock, this.#view(stream, sock));
    });
    stream.once('close', () => {
      if (sock.connecting) sock.destroy();
    });
  }

  /** The stream as the local service should see it: filtered for http and irc. */
  #view(stream: Connection, sock: Socket): Duplex {
    const def = this.def;
    const b32 = b32Address(stream.remote.hash);
    if (def.type === 'http') {
      const req = new HttpServerRequestRewriter({
        hostOverride: def.hostOverride,
        peer: { b32, hashBase64: toBase64(stream.remote.hash), destBase64: toBase64(stream.remote.bytes) },
      });
      return new FilteredDuplex(stream, { read: req, write: new HttpServerResponseFilter() });
    }
    if (def.type === 'irc') {
      const irc = new IrcServerRewriter({ clientB32: b32, webircPassword: def.webircPassword, localAddress: sock.localAddress ?? '127.0.0.1' });
      return new FilteredDuplex(stream, { read: irc });
    }
    return stream;
  }

  #localAddress(hash: Uint8Array): string | undefined {
    const def = this.def;
    if (def.address) return def.address;
    if (def.enableUniqueLocal && this.#platform === 'linux' && isIP(def.host) === 4 && def.host.startsWith('127.')) return uniqueLocalAddress(hash);
    return undefined;
  }

  #connectLocal(localAddress: string | undefined): Socket {
    const def = this.def;
    const base = { host: def.host, port: def.port, ...(localAddress ? { localAddress } : {}) };
    if (!def.ssl) return netConnect(base);
    const sni = def.type === 'http' && def.hostOverride ? def.hostOverride : def.host;
    return tlsConnect({ ...base, rejectUnauthorized: false, ...(isIP(sni) === 0 ? { servername: sni } : {}) });
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    dispatchers.get(this.#dest)?.remove(this);
    for (const s of this.#active) s.destroy();
    this.#active.clear();
  }
}

/** Close a stream we will not serve: FIN after discarding what it sends; reset if it lingers. */
function refuse(stream: Connection): void {
  stream.resume();
  stream.end();
  const t = setTimeout(() => stream.destroy(), REFUSE_GRACE_MS);
  t.unref();
  stream.once('close', () => clearTimeout(t));
}
