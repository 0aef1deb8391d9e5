/**
 * Local destinations and what runs on them: server tunnels from tunnels.conf (i2pd `type = server` / `http`:
 * streams to a destination are forwarded to a local TCP service) and the HTTP and SOCKS proxies on a shared
 * proxy destination (i2pd `httpproxy.*` / `socksproxy.*` keys). The same `createDestination` is what an
 * embedding app uses.
 *
 * Key files use i2pd's PrivateKeyFile format and i2pd's naming: `keys = name.dat` is DATADIR/name.dat,
 * created on first use; `transient…` makes fresh keys each start. A destination whose identity carries no
 * X25519 key (i2pd's default ElGamal type) gets a fresh X25519 LeaseSet key each start, as i2pd does.
 */
import { readFile } from 'node:fs/promises';
import { connect as netConnect } from 'node:net';
import { isAbsolute, join } from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../conf/load.js';
import type { ServerTunnelDef, TunnelDef } from '../conf/tunnels.js';
import { loadTunnelsDetailed } from '../conf/tunnels.js';
import { ClientDestination } from '../client/destination.js';
import { realClock } from '../client/streaming/clock.js';
import type { Random } from '../crypto/random.js';
import { X25519Key } from '../crypto/x25519.js';
import { CryptoType } from '../data/key-types.js';
import { ParseError } from '../data/errors.js';
import { generateDestinationKeys, parsePrivateKeyFile, serializePrivateKeyFile, type PrivateKeyFile } from '../data/private-key-file.js';
import type { I2NPMessage } from '../i2np/header.js';
import type { NetDb } from '../netdb/netdb.js';
import type { TunnelManager } from '../tunnels/manager.js';
import type { TunnelPool } from '../tunnels/pool.js';
import { I2PConnectError, type I2PConnector } from '../proxy/connector.js';
import { startHttpProxy, httpProxyOptionsFromConfig, type HttpProxy } from '../proxy/http.js';
import { startSocksProxy, socksProxyOptionsFromConfig, type SocksProxy } from '../proxy/socks.js';
import { splice } from '../proxy/pipe.js';
import { writeFileAtomic } from './fs.js';

export interface DestinationSettings {
  /** Name shown by the console (tunnels.conf section, 'httpproxy', …). */
  name: string;
  /** Key file (relative to the datadir) or `transient…`; or keys given directly. */
  keys?: string | PrivateKeyFile;
  inbound?: { length: number; quantity: number };
  outbound?: { length: number; quantity: number };
  isPublic?: boolean;
}

export interface LocalDestination {
  readonly name: string;
  readonly destination: ClientDestination;
  readonly pool: TunnelPool;
}

export interface DestinationInfo {
  name: string;
  b32: string;
  tunnels: { inbound: number; outbound: number };
  leaseSetPublished: boolean;
}

interface Deps {
  config: Config;
  tunnels: TunnelManager;
  netdb: NetDb;
  random: Random;
  logger: Logger;
  /** Router-level dispatch for what arrives at a client pool but is the router's business. */
  fallback: (m: I2NPMessage) => void;
}

export class Services {
  readonly #d: Deps;
  readonly #dests = new Map<string, LocalDestination>();
  readonly #servers: { close(): void }[] = [];
  #http: HttpProxy | undefined;
  #socks: SocksProxy | undefined;

  constructor(d: Deps) {
    this.#d = d;
  }

  async createDestination(s: DestinationSettings): Promise<LocalDestination> {
    if (this.#dests.has(s.name)) throw new RangeError(`a destination named '${s.name}' exists`);
    const keys = typeof s.keys === 'object' ? s.keys : await this.#loadKeys(s.keys ?? 'transient');
    const d = this.#d;
    let dest: ClientDestination | undefined;
    const pool = d.tunnels.createPool({
      name: s.name,
      inbound: s.inbound ?? { length: 3, quantity: 3 },
      outbound: s.outbound ?? { length: 3, quantity: 3 },
      deliver: (m) => dest?.deliver(m),
      onInboundChange: () => dest?.tunnelsChanged(),
    });
    dest = new ClientDestination({
      keys,
      pool,
      netdb: {
        getLeaseSet: (h) => d.netdb.store.getLeaseSet(h),
        floodfills: () => d.netdb.floodfills(),
        lookupLeaseSet: (h, o) => d.netdb.lookupLeaseSet(h, o),
      },
      clock: realClock,
      random: d.random,
      logger: d.logger.child({ module: 'client', destination: s.name }),
      fallback: d.fallback,
      ...(keys.identity.cryptoType === CryptoType.X25519 ? {} : { encryptionPrivateKey: new X25519Key(d.random.bytes(32)).privateKey }),
      ...(s.isPublic === undefined ? {} : { isPublic: s.isPublic }),
    });
    const local: LocalDestination = { name: s.name, destination: dest, pool };
    this.#dests.set(s.name, local);
    return local;
  }

  destinations(): DestinationInfo[] {
    return [...this.#dests.values()].map((l) => ({
      name: l.name,
      b32: l.destination.b32,
      tunnels: { inbound: l.pool.inbound().length, outbound: l.pool.outbound().length },
      leaseSetPublished: l.destination.stats.published > 0,
    }));
  }

  /** Server tunnels from tunnels.conf + tunnels.d, and the proxies, per the config. */
  async start(): Promise<void> {
    const c = this.#d.config;
    const log = this.#d.logger;
    const { tunnels, warnings } = loadTunnelsDetailed(c.path('tunconf'), c.path('tunnelsdir'), { fileRequired: !c.isDefault('tunconf') });
    for (const w of warnings) log.warn(w);
    for (const t of tunnels) await this.#startTunnel(t);
    if (c.get('httpproxy.enabled') || c.get('socksproxy.enabled')) {
      const p = (k: 'inbound.length' | 'outbound.length' | 'inbound.quantity' | 'outbound.quantity') => c.get(`httpproxy.${k}`);
      const proxyDest = await this.createDestination({
        name: 'httpproxy',
        keys: c.get('httpproxy.keys'),
        inbound: { length: p('inbound.length'), quantity: p('inbound.quantity') },
        outbound: { length: p('outbound.length'), quantity: p('outbound.quantity') },
        isPublic: false,
      });
      const connector = destinationConnector(proxyDest.destination);
      if (c.get('httpproxy.enabled')) {
        this.#http = await startHttpProxy(httpProxyOptionsFromConfig(c, connector, undefined, log.child({ module: 'httpproxy' })));
        log.info({ address: c.get('httpproxy.address'), port: c.get('httpproxy.port') }, 'HTTP proxy listening');
      }
      if (c.get('socksproxy.enabled')) {
        this.#socks = await startSocksProxy(socksProxyOptionsFromConfig(c, connector, log.child({ module: 'socksproxy' })));
        log.info({ address: c.get('socksproxy.address'), port: c.get('socksproxy.port') }, 'SOCKS proxy listening');
      }
    }
  }

  async stop(): Promise<void> {
    await this.#http?.close();
    await this.#socks?.close();
    for (const s of this.#servers) s.close();
    for (const l of this.#dests.values()) {
      l.destination.stop();
      l.pool.stop();
    }
    this.#dests.clear();
  }

  async #startTunnel(t: TunnelDef): Promise<void> {
    const log = this.#d.logger;
    if (t.type !== 'server' && t.type !== 'http') {
      log.warn({ tunnel: t.name, type: t.type, file: t.file }, 'tunnel type not supported yet; skipped');
      return;
    }
    const local = await this.createDestination({
      name: t.name,
      keys: t.keys,
      inbound: { length: t.pool.inboundLength, quantity: t.pool.inboundQuantity },
      outbound: { length: t.pool.outboundLength, quantity: t.pool.outboundQuantity },
    });
    serveTcp(local.destination, t, log);
    log.info({ tunnel: t.name, target: `${t.host}:${t.port}` }, 'server tunnel started');
  }

  async #loadKeys(name: string): Promise<PrivateKeyFile> {
    if (name.startsWith('transient')) return generateDestinationKeys({ random: this.#d.random, cryptoType: 4 });
    const file = isAbsolute(name) ? name : join(this.#d.config.datadir, name);
    let bytes: Uint8Array | undefined;
    try {
      bytes = new Uint8Array(await readFile(file));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    if (!bytes) {
      const keys = generateDestinationKeys({ random: this.#d.random, cryptoType: 4 });
      await writeFileAtomic(file, serializePrivateKeyFile(keys), 0o600);
      return keys;
    }
    try {
      return parsePrivateKeyFile(bytes);
    } catch (e) {
      if (e instanceof ParseError) throw new Error(`${file}: not a valid destination key file (${e.message})`, { cause: e });
      throw e;
    }
  }
}

/** Forward each incoming stream (on the tunnel's inport, or any) to the local TCP service. */
function serveTcp(dest: ClientDestination, t: ServerTunnelDef, log: Logger): void {
  dest.on('stream', (stream, ports) => {
    if (t.inport && ports.toPort !== t.inport) {
      stream.destroy();
      return;
    }
    const sock = netConnect({ host: t.host, port: t.port, ...(t.address ? { localAddress: t.address } : {}) });
    sock.on('error', (e) => log.debug({ tunnel: t.name, err: e.message }, 'server tunnel: local service error'));
    stream.on('error', (e) => log.debug({ tunnel: t.name, err: e.message }, 'server tunnel: stream error'));
    splice(sock, stream);
  });
}

/** The proxies' connector on a client destination: b32 hosts and base64 destinations. */
export function destinationConnector(dest: ClientDestination): I2PConnector {
  return {
    async connect(host, port, { signal }) {
      const h = host.toLowerCase();
      if (!h.endsWith('.b32.i2p')) throw new I2PConnectError('NOT_FOUND', `${host}: not in the address book (only .b32.i2p addresses for now)`);
      try {
        const conn = await dest.connect(h, port, { ...(signal ? { signal } : {}) });
        conn.on('error', () => undefined); // the proxy's splice reports stream errors
        return conn;
      } catch (e) {
        if (signal?.aborted) throw e;
        const code = (e as { code?: string }).code;
        if (code === 'ENOTFOUND') throw new I2PConnectError('NOT_FOUND', `${host}: no LeaseSet found`);
        if (code === 'ETIMEDOUT') throw new I2PConnectError('TIMEOUT', `${host}: timed out`);
        if (code === 'ECONNREFUSED' || code === 'ECONNRESET') throw new I2PConnectError('REFUSED', `${host}: connection refused`);
        if (code === 'BAD_ADDRESS' || e instanceof ParseError) throw new I2PConnectError('BAD_ADDRESS', `${host}: not an I2P address`);
        throw new I2PConnectError('UNREACHABLE', `${host}: ${(e as Error).message}`);
      }
    },
  };
}
