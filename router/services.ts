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
import { isAbsolute, join } from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../conf/load.js';
import type { TunnelDef } from '../conf/tunnels.js';
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
import { isI2PTunnel, sameKeys, startI2PTunnel, type I2PTunnel } from '../proxy/i2ptunnel/index.js';
import { AddressBook, addressBookOptionsFromConfig, i2pHttpFetch, resolveI2PHost } from '../proxy/addressbook/index.js';
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
  #addressBook: AddressBook | undefined;
  #sam: { readonly port: number; close(): Promise<void> } | undefined;

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
    if (c.get('addressbook.enabled')) {
      const book = new AddressBook(await addressBookOptionsFromConfig(c, log.child({ module: 'addressbook' })));
      await book.load();
      this.#addressBook = book;
    }
    let proxyClient: ClientDestination | undefined;
    if (c.get('httpproxy.enabled') || c.get('socksproxy.enabled')) {
      const p = (k: 'inbound.length' | 'outbound.length' | 'inbound.quantity' | 'outbound.quantity') => c.get(`httpproxy.${k}`);
      const proxyDest = await this.createDestination({
        name: 'httpproxy',
        keys: c.get('httpproxy.keys'),
        inbound: { length: p('inbound.length'), quantity: p('inbound.quantity') },
        outbound: { length: p('outbound.length'), quantity: p('outbound.quantity') },
        isPublic: false,
      });
      proxyClient = proxyDest.destination;
      const connector = destinationConnector(proxyDest.destination, this.#addressBook);
      if (c.get('httpproxy.enabled')) {
        this.#http = await startHttpProxy(httpProxyOptionsFromConfig(c, connector, this.#addressBook, log.child({ module: 'httpproxy' })));
        log.info({ address: c.get('httpproxy.address'), port: c.get('httpproxy.port') }, 'HTTP proxy listening');
      }
      if (c.get('socksproxy.enabled')) {
        this.#socks = await startSocksProxy(socksProxyOptionsFromConfig(c, connector, log.child({ module: 'socksproxy' })));
        log.info({ address: c.get('socksproxy.address'), port: c.get('socksproxy.port') }, 'SOCKS proxy listening');
      }
    }
    const book = this.#addressBook;
    if (book?.wantsSubscriptions) {
      // i2pd fetches subscriptions through its shared local destination; here the proxies' one, else our own.
      const dest = proxyClient ?? (await this.createDestination({ name: 'addressbook', keys: 'transient', isPublic: false })).destination;
      book.start({ fetch: i2pHttpFetch(destinationConnector(dest, book)), ready: () => dest.leaseSet() !== undefined });
    }
    if (c.get('sam.enabled')) {
      const { startSamBridge } = await import('../client/sam/bridge.js');
      const d = this.#d;
      this.#sam = await startSamBridge({
        host: c.get('sam.address'),
        port: c.get('sam.port'), // UDP: sam.port - 1, as i2pd 2.45.1 (it has no option for it)
        createDestination: (s) => this.createDestination(s),
        closeDestination: (l) => {
          const own = this.#dests.get(l.name);
          if (own !== l) return;
          own.destination.stop();
          own.pool.stop();
          this.#dests.delete(l.name);
        },
        addressBook: { lookup: (name) => this.#addressBook?.lookup(name) },
        lookupLeaseSet: async (h, o) => (d.netdb.store.getLeaseSet(h) ?? (await d.netdb.lookupLeaseSet(h, o)))?.destination,
        logger: log.child({ module: 'sam' }),
        random: d.random,
      });
      log.info({ address: c.get('sam.address'), port: this.#sam.port }, 'SAM bridge listening');
    }
  }

  /** The address book (undefined when `addressbook.enabled` is false or before start). */
  get addressBook(): AddressBook | undefined {
    return this.#addressBook;
  }

  async stop(): Promise<void> {
    await this.#sam?.close();
    this.#sam = undefined;
    await this.#addressBook?.stop();
    this.#addressBook = undefined;
    await this.#http?.close();
    await this.#socks?.close();
    for (const s of this.#servers) s.close();
    for (const l of this.#dests.values()) {
      l.destination.stop();
      l.pool.stop();
    }
    this.#dests.clear();
  }

  /** One tunnels.conf tunnel (proxy/i2ptunnel); tunnels with the same key file share a destination, as in i2pd. */
  async #startTunnel(t: TunnelDef): Promise<void> {
    const shared = this.#servers.find((s): s is I2PTunnel => isI2PTunnel(s) && sameKeys(s.keys, t.keys));
    const tunnel = await startI2PTunnel(t, {
      createDestination: (s) => this.createDestination(s),
      // the address book is looked up per connection: it may start after the tunnels
      connector: (dest) => ({ connect: (host, port, o) => destinationConnector(dest, this.#addressBook).connect(host, port, o) }),
      logger: this.#d.logger,
      shared,
    });
    if (tunnel) this.#servers.push(tunnel);
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

/** The proxies' connector on a client destination: b32 hosts, base64 destinations, names from the address book. */
export function destinationConnector(dest: ClientDestination, book?: AddressBook): I2PConnector {
  return {
    async connect(host, port, { signal }) {
      const target = resolveI2PHost(host, book); // throws I2PConnectError NOT_FOUND / BAD_ADDRESS
      try {
        const conn = await dest.connect(target, port, { ...(signal ? { signal } : {}) });
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
