/**
 * A local client destination: its LeaseSet2, publishing, garlic (ECIES-X25519-AEAD-Ratchet) to and from
 * remote destinations, and the I2CP protocols on top (streaming 6, datagrams 17 / 18).
 *
 * Spec: ../shared/specs/spec/ecies.rst ("1) Message format", "5) Payload" Garlic Clove / Ack / Ack Request),
 * ../shared/specs/spec/i2np.rst (Data, DatabaseStore, DeliveryStatus, Garlic Clove Delivery Instructions),
 * ../shared/specs/spec/common-structures.rst ("LeaseSet2"), ../shared/specs/docs/how-network-database.html
 * ("LeaseSet Storage to Floodfills": stored through an outbound tunnel, the reply through an inbound one).
 * i2pd 2.45.1, read for behaviour:
 *   - Destination.cpp LeaseSetDestination::Publish (closest floodfill by routing key excluding those tried,
 *     DatabaseStore with a random reply token and our inbound gateway, wrapped for an ECIES floodfill with
 *     Noise N, sent through an outbound tunnel with router delivery; 5 s confirmation, 20 s minimum interval,
 *     verification lookup 10 s after confirmation then every 100 s, republish when it differs or is missing),
 *     HandlePublishConfirmationTimer (an ECIES destination that gets no confirmation goes on to verify),
 *     SetLeaseSet (new LeaseSet → every session re-sends it, publish now), HandleDataMessage (I2CP payload).
 *   - ECIESX25519AEADRatchetSession.cpp CreatePayload / CreateLeaseSetClove / CreateGarlicClove: the payload is
 *     DateTime (NS/NSR) | our LeaseSet as a DatabaseStore clove (local delivery, token 0) while the session's
 *     LeaseSet status is "updated" | Ack Request (ES only) | the message clove with DESTINATION delivery to the
 *     remote hash | Ack | NextKey | Padding. NS messages carry the LeaseSet until an NSR arrives; in an ES the
 *     LeaseSet goes with an Ack Request and counts as delivered when an Ack names that message number, else it
 *     is sent again after 4 s. Sessions started by the peer do not attach our LeaseSet until it changes.
 *   - Streaming.cpp Stream::SendPackets / CreateDataMessage: each packet is one Data message in one garlic
 *     message, sent through an outbound tunnel to a lease of the remote LeaseSet (tunnel delivery), SYNs deflated.
 *
 * Deviations, written down:
 *   - Acks and reverse NextKeys owed to a peer (GarlicEngine.hasPendingControl) that no outgoing message has
 *     carried within CONTROL_FLUSH_DELAY_MS go out in an ES of their own.
 *   - A LeaseSet received in a clove is verified (signature, expiry, key = hash of its Destination) before it
 *     is cached; i2pd hands it to its netDb, which does the same checks.
 *   - When every known floodfill has been tried, the excluded list is cleared and publishing is retried
 *     after PUBLISH_MIN_INTERVAL (i2pd waits for the next LeaseSet change).
 *   - Cloves with destination delivery must name our hash (i2pd: "TODO: check destination"); cloves with
 *     tunnel or router delivery are dropped and counted (i2pd forwards tunnel-delivery cloves through its
 *     outbound tunnel for anyone who asks).
 *   - Every table is bounded (remote LeaseSets, lookups in flight, messages waiting for a lookup, LeaseSet
 *     status per peer). Bad input is dropped and counted in `stats`, never thrown out of `deliver`.
 *   - Lookups (i2pd RequestLeaseSet / SendLeaseSetRequest / HandleRequestTimoutTimer /
 *     HandleDatabaseSearchReplyMessage): a DatabaseLookup (LeaseSet type, reply to our inbound gateway, an
 *     ECIES reply key + 8-byte tag registered with our GarlicEngine) Noise-N-wrapped to the closest ECIES
 *     floodfill by routing key, sent through an outbound tunnel with router delivery; the reply comes back
 *     through an inbound tunnel encrypted with the reply key. Next floodfill after 5 s or a
 *     DatabaseSearchReply, at most 7 floodfills, 40 s in all. Publish verification uses the same path. With
 *     no floodfill or no tunnels, the `netdb` handle's lookupLeaseSet is asked instead.
 */
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import { CryptoError } from '../crypto/errors.js';
import { systemRandom, type Random } from '../crypto/random.js';
import { X25519Key } from '../crypto/x25519.js';
import { fromBase32, fromBase64, b32Address } from '../data/base64.js';
import { equalBytes, toHex } from '../data/bytes.js';
import { ParseError } from '../data/errors.js';
import { parseDestination, type Destination } from '../data/identity.js';
import { leaseSet2ExpiresAt, parseLeaseSet2, verifyLeaseSet2, type Lease2, type LeaseSet2 } from '../data/lease-set2.js';
import type { PrivateKeyFile } from '../data/private-key-file.js';
import type { RouterInfo } from '../data/router-info.js';
import { BlockType, cloveBlock, serializeBlocks, type Block } from '../garlic/blocks.js';
import { encryptToRouter } from '../garlic/router-garlic.js';
import { GarlicEngine, INACTIVITY_TIMEOUT_MS, RESTART_TIMEOUT_MS, type GarlicEngineOptions, type SessionInfo } from '../garlic/session.js';
import { parseData, serializeData } from '../i2np/data.js';
import { DatabaseStoreType, parseDatabaseStore, serializeDatabaseStore, type DatabaseStore } from '../i2np/database-store.js';
import { parseDeliveryStatus } from '../i2np/delivery-status.js';
import { DatabaseLookupType, serializeDatabaseLookup } from '../i2np/database-lookup.js';
import { parseDatabaseSearchReply } from '../i2np/database-search-reply.js';
import { parseGarlic, serializeGarlic } from '../i2np/garlic.js';
import { I2NPType, type I2NPMessage } from '../i2np/header.js';
import { closestBy, HashSet, routingKey } from '../netdb/kademlia.js';
import { realClock, type StreamingClock, type TimerHandle } from './streaming/clock.js';
import type { Connection } from './streaming/connection.js';
import { StreamManager, type StreamManagerOptions, type StreamPorts } from './streaming/manager.js';
import { PacketFlag } from './streaming/packet.js';
import { I2CPProtocol, parseI2CPPayload, serializeI2CPPayload } from './i2cp-payload.js';
import {
  buildLocalLeaseSet,
  leasesFromTunnels,
  leaseSetX25519Key,
  pickLease,
  sameLeases,
  LEASESET_CONFIRMATION_TIMEOUT_MS,
  PUBLISH_CONFIRMATION_TIMEOUT_MS,
  PUBLISH_MIN_INTERVAL_MS,
  PUBLISH_REGULAR_VERIFICATION_INTERVAL_MS,
  PUBLISH_VERIFICATION_TIMEOUT_MS,
  type LeaseTunnel,
} from './leaseset.js';
import { buildRepliableDatagram, parseRepliableDatagram } from './datagram.js';

/** i2pd I2NP_MESSAGE_EXPIRATION_TIMEOUT. */
export const I2NP_MESSAGE_EXPIRATION_MS = 8_000;
/** i2pd MAX_LEASESET_REQUEST_TIMEOUT. */
export const LEASESET_REQUEST_TIMEOUT_MS = 40_000;
export const CONTROL_FLUSH_DELAY_MS = 500;
export const TICK_INTERVAL_MS = 5_000;
/** i2pd LEASESET_REQUEST_TIMEOUT: the next floodfill after this long without an answer. */
export const LEASESET_FLOODFILL_TIMEOUT_MS = 5_000;
/** Publishing found no tunnels both ways: try again after this (a deviation from i2pd 2.45.1, see #publish). */
export const PUBLISH_RETRY_NO_TUNNELS_MS = 1_000;
/** How long connect() waits for our own first LeaseSet (inbound tunnels) before sending a SYN anyway. */
export const READY_WAIT_MS = 30_000;
/** i2pd MAX_NUM_FLOODFILLS_PER_REQUEST. */
export const MAX_FLOODFILLS_PER_REQUEST = 7;
/** How many floodfills a publish tries before the excluded list starts over (netdb/publish.ts). */
const MAX_PUBLISH_EXCLUDED = 15;
const ECIES_X25519 = 4;

/** The tunnel pool handle (tunnels/pool.ts TunnelPool satisfies it). */
export interface DestinationPool {
  inbound(): readonly LeaseTunnel[];
  outbound(): readonly unknown[];
  sendThroughOutbound(
    msg: I2NPMessage,
    delivery: { type: 'local' } | { type: 'router'; hash: Uint8Array } | { type: 'tunnel'; tunnelId: number; hash: Uint8Array },
  ): boolean;
}

/** The netDb handle. */
export interface DestinationNetDb {
  /** A LeaseSet already known to the router (verified), or undefined. */
  getLeaseSet(hash: Uint8Array): LeaseSet2 | undefined;
  floodfills(): readonly RouterInfo[];
  /**
   * The router's own lookup: used only when the destination cannot look up through its tunnels (no
   * floodfill with an X25519 key known, no tunnels yet, `tunnelLookups: false`). Publish verification may
   * call it for our own hash, so it should ask floodfills rather than answer from a local copy.
   */
  lookupLeaseSet(hash: Uint8Array, opts: { signal?: AbortSignal }): Promise<LeaseSet2 | undefined>;
  /** Optional: hand a verified remote LeaseSet learned from a garlic clove to the router's netDb. */
  storeLeaseSet?(ls: LeaseSet2): void;
}

export interface ClientDestinationOptions {
  keys: PrivateKeyFile;
  pool: DestinationPool;
  netdb: DestinationNetDb;
  clock?: StreamingClock;
  random?: Random;
  logger?: Logger;
  /** X25519 private key for the LeaseSet (type 4); default the key file's crypto key when it is X25519. */
  encryptionPrivateKey?: Uint8Array;
  /** Publish the LeaseSet to floodfills (i2pd's destinations are public unless configured otherwise). Default true. */
  isPublic?: boolean;
  garlic?: Partial<Omit<GarlicEngineOptions, 'staticKey' | 'now' | 'random'>>;
  streaming?: Partial<Omit<StreamManagerOptions, 'keys' | 'transport' | 'clock' | 'random' | 'logger'>>;
  maxRemoteLeaseSets?: number;
  maxLookups?: number;
  maxQueuedPerLookup?: number;
  /** Cap on a decompressed I2CP payload. Default 64 KiB. */
  maxPayload?: number;
  /** Look LeaseSets up through our own tunnels (i2pd). false: always ask the netdb handle. Default true. */
  tunnelLookups?: boolean;
  /**
   * Where messages go that arrive at our inbound tunnels but are the router's business: garlic our engine
   * cannot decrypt (e.g. an OutboundTunnelBuildReply wrapped with a reply key the router registered — the
   * TunnelManager uses this pool's inbound tunnels as reply path for its outbound builds), tunnel build
   * replies in the clear or in our cloves (i2pd HandleCloveI2NPMessage hands ShortTunnelBuildReply to the
   * router). Without it they are dropped and counted.
   */
  fallback?: (msg: I2NPMessage) => void;
}

export interface SendOptions {
  protocol: number;
  fromPort?: number;
  toPort?: number;
  /** Deflate the payload (i2pd: streaming SYNs); stored otherwise. */
  compress?: boolean;
}

export interface DatagramInfo extends StreamPorts {
  /** The sender (repliable datagrams, signature verified); undefined for raw ones. */
  from: Destination | undefined;
}

export interface ClientDestinationStats {
  garlicIn: number;
  garlicFailed: number;
  /** Handed to `fallback` (garlic we could not decrypt, build replies). */
  passedOn: number;
  garlicOut: number;
  clovesDropped: number;
  malformed: number;
  unhandled: number;
  dataIn: number;
  unknownProtocol: number;
  leaseSetsLearned: number;
  leaseSetsRejected: number;
  sendNoLeaseSet: number;
  sendNoLease: number;
  sendNoKey: number;
  sendNoTunnel: number;
  sendFailed: number;
  queueDropped: number;
  lookups: number;
  lookupsFailed: number;
  /** DatabaseLookups sent through our tunnels, and the search replies that came back. */
  lookupMessages: number;
  searchReplies: number;
  controlSent: number;
  datagramsBad: number;
  published: number;
  publishConfirmed: number;
  publishVerified: number;
  publishFailed: number;
}

export interface ClientDestination {
  on(event: 'stream', listener: (stream: Connection, ports: StreamPorts) => void): this;
  on(event: 'datagram', listener: (payload: Uint8Array, info: DatagramInfo) => void): this;
  on(event: 'raw', listener: (payload: Uint8Array, info: DatagramInfo) => void): this;
  on(event: 'leaseSet', listener: (ls: LeaseSet2) => void): this;
  on(event: 'published', listener: (ls: LeaseSet2) => void): this;
  on(event: string | symbol, listener: (...args: any[]) => void): this;
}

type LsStatus = { status: 'updated' } | { status: 'submitted'; index: number; at: number } | { status: 'upToDate' };

interface Remote {
  ls: LeaseSet2;
  lease?: Lease2 | undefined;
}

interface Lookup {
  promise: Promise<LeaseSet2 | undefined>;
  queue: Block[];
}

/** A lookup through our tunnels in flight (i2pd LeaseSetRequest). */
interface TunnelRequest {
  readonly hash: Uint8Array;
  readonly excluded: HashSet;
  readonly startedAt: number;
  timer: TimerHandle | undefined;
  finish(ls: LeaseSet2 | undefined): void;
}

function abortError(signal: AbortSignal): Error {
  const e = new Error('The operation was aborted', { cause: signal.reason });
  e.name = 'AbortError';
  return e;
}

/** A b32 address (`….b32.i2p`), a base64 Destination, a Destination, or a 32-byte hash. */
export function parseAddress(a: string | Destination | Uint8Array): { hash: Uint8Array; destination?: Destination } {
  if (a instanceof Uint8Array) {
    if (a.length !== 32) throw new RangeError('a destination hash is 32 bytes');
    return { hash: a };
  }
  if (typeof a !== 'string') return { hash: a.hash, destination: a };
  const s = a.trim();
  const m = /^([a-z2-7]{52})\.b32\.i2p$/i.exec(s);
  if (m) return { hash: fromBase32(m[1]!.toLowerCase()) };
  try {
    const d = parseDestination(fromBase64(s));
    return { hash: d.hash, destination: d };
  } catch (e) {
    if (e instanceof ParseError) throw new TypeError(`not a b32 address or base64 destination: ${e.message}`);
    throw e;
  }
}

function isSyn(packet: Uint8Array): boolean {
  // sendStreamId 4 | receiveStreamId 4 | seq 4 | ack 4 | nackCount 1 | nacks 4n | resendDelay 1 | flags 2
  if (packet.length < 18) return false;
  const at = 17 + 4 * packet[16]! + 1;
  return at + 2 <= packet.length && (((packet[at]! << 8) | packet[at + 1]!) & PacketFlag.SYNCHRONIZE) !== 0;
}

export class ClientDestination extends EventEmitter {
  readonly keys: PrivateKeyFile;
  readonly streams: StreamManager;
  readonly garlic: GarlicEngine;
  readonly stats: ClientDestinationStats = {
    garlicIn: 0,
    garlicFailed: 0,
    passedOn: 0,
    garlicOut: 0,
    clovesDropped: 0,
    malformed: 0,
    unhandled: 0,
    dataIn: 0,
    unknownProtocol: 0,
    leaseSetsLearned: 0,
    leaseSetsRejected: 0,
    sendNoLeaseSet: 0,
    sendNoLease: 0,
    sendNoKey: 0,
    sendNoTunnel: 0,
    sendFailed: 0,
    queueDropped: 0,
    lookups: 0,
    lookupsFailed: 0,
    lookupMessages: 0,
    searchReplies: 0,
    controlSent: 0,
    datagramsBad: 0,
    published: 0,
    publishConfirmed: 0,
    publishVerified: 0,
    publishFailed: 0,
  };
  /** When a floodfill last confirmed our LeaseSet (ms), or null. */
  lastPublishConfirmed: number | null = null;

  readonly #o: ClientDestinationOptions;
  readonly #clock: StreamingClock;
  readonly #random: Random;
  readonly #log: Logger | undefined;
  readonly #encryptionPublicKey: Uint8Array;
  readonly #isPublic: boolean;
  readonly #maxRemote: number;
  readonly #maxLookups: number;
  readonly #maxQueued: number;
  readonly #maxPayload: number;
  #ls: LeaseSet2 | undefined;
  readonly #remotes = new Map<string, Remote>(); // dest hash hex → remote LeaseSet
  readonly #byKey = new Map<string, string>(); // peer X25519 key hex → dest hash hex
  readonly #lsStatus = new Map<string, LsStatus>(); // peer X25519 key hex → our LeaseSet's status there
  readonly #lookups = new Map<string, Lookup>();
  readonly #requests = new Map<string, TunnelRequest>();
  readonly #control = new Map<string, TimerHandle>();
  readonly #lifetime = new AbortController();
  #tickTimer: TimerHandle | undefined;
  // publishing (i2pd LeaseSetDestination)
  #publishToken = 0;
  #lastSubmission = -Infinity;
  #excluded = new HashSet();
  #publishTimer: TimerHandle | undefined; // confirmation / delay
  #verifyTimer: TimerHandle | undefined;
  #stopped = false;

  constructor(o: ClientDestinationOptions) {
    super();
    this.#o = o;
    this.keys = o.keys;
    this.#clock = o.clock ?? realClock;
    this.#random = o.random ?? systemRandom;
    this.#log = o.logger;
    this.#isPublic = o.isPublic ?? true;
    this.#maxRemote = o.maxRemoteLeaseSets ?? 1024;
    this.#maxLookups = o.maxLookups ?? 64;
    this.#maxQueued = o.maxQueuedPerLookup ?? 32;
    this.#maxPayload = o.maxPayload ?? 64 * 1024;
    let priv = o.encryptionPrivateKey;
    if (!priv) {
      if (o.keys.identity.cryptoType !== ECIES_X25519) throw new RangeError('destination keys are not X25519: pass encryptionPrivateKey');
      priv = o.keys.cryptoPrivateKey;
    }
    const staticKey = new X25519Key(priv);
    this.#encryptionPublicKey = staticKey.publicKey;
    this.garlic = new GarlicEngine({ ...o.garlic, staticKey, now: () => this.#clock.now(), random: this.#random });
    this.streams = new StreamManager({
      ...o.streaming,
      keys: o.keys,
      clock: this.#clock,
      random: this.#random,
      logger: o.logger,
      transport: {
        send: (remote, packet, ports) =>
          void this.send(remote, packet, { protocol: I2CPProtocol.Streaming, fromPort: ports.fromPort, toPort: ports.toPort, compress: isSyn(packet) }),
      },
    });
    // forward 'stream' only while someone listens: with no listener the manager refuses SYNs with a RESET
    const forward = (c: Connection, ports: StreamPorts) => this.emit('stream', c, ports);
    this.on('newListener', (ev: string | symbol) => {
      if (ev === 'stream' && this.streams.listenerCount('stream') === 0) this.streams.on('stream', forward);
    });
    this.on('removeListener', (ev: string | symbol) => {
      if (ev === 'stream' && this.listenerCount('stream') === 0) this.streams.off('stream', forward);
    });
    this.#schedule();
    this.#updateLeaseSet();
  }

  get destination(): Destination {
    return this.keys.identity;
  }

  get hash(): Uint8Array {
    return this.keys.identity.hash;
  }

  get b32(): string {
    return b32Address(this.keys.identity.hash);
  }

  /** Our current LeaseSet2 (undefined until the pool has an inbound tunnel). */
  leaseSet(): LeaseSet2 | undefined {
    return this.#ls;
  }

  /** Open a stream to a b32 address or base64 Destination (its LeaseSet is looked up first). */
  async connect(
    remote: string | Destination | Uint8Array,
    port = 0,
    opts: { signal?: AbortSignal; fromPort?: number; timeout?: number } = {},
  ): Promise<Connection> {
    const { signal } = opts;
    if (signal?.aborted) throw abortError(signal);
    const { hash } = parseAddress(remote);
    // i2pd I2PService waits for its destination to be ready: a SYN sent before we have a LeaseSet carries
    // none, the remote cannot answer, and the stream waits for the first retransmission (9 s).
    if (!this.#ls) await this.#leaseSetReady(READY_WAIT_MS, signal);
    const ls = this.#remoteLeaseSet(hash) ?? (await this.#lookup(hash, signal));
    if (signal?.aborted) throw abortError(signal);
    if (!ls) {
      const e = new Error(`no LeaseSet found for ${b32Address(hash)}`);
      (e as Error & { code: string }).code = 'ENOTFOUND';
      throw e;
    }
    return this.streams.connect(ls.destination, { port, fromPort: opts.fromPort, signal, timeout: opts.timeout });
  }

  /** Resolves when we have a LeaseSet, or after `ms` (the caller goes on without one), or rejects on abort. */
  #leaseSetReady(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const cleanup = () => {
        timer.clear();
        this.off('leaseSet', done);
        this.#lifetime.signal.removeEventListener('abort', done);
        signal?.removeEventListener('abort', onAbort);
      };
      const done = () => {
        cleanup();
        resolve();
      };
      const onAbort = () => {
        cleanup();
        reject(abortError(signal!));
      };
      const timer = this.#clock.setTimeout(done, ms);
      this.on('leaseSet', done);
      this.#lifetime.signal.addEventListener('abort', done, { once: true });
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Send a repliable datagram (protocol 17), signed by us. */
  sendDatagram(remote: string | Destination | Uint8Array, payload: Uint8Array, ports: Partial<StreamPorts> = {}): boolean {
    const dg = buildRepliableDatagram(this.keys, payload);
    return this.send(parseAddress(remote).hash, dg, { protocol: I2CPProtocol.Datagram, fromPort: ports.fromPort ?? 0, toPort: ports.toPort ?? 0 });
  }

  /** Send a raw datagram (protocol 18). */
  sendRaw(remote: string | Destination | Uint8Array, payload: Uint8Array, ports: Partial<StreamPorts> = {}): boolean {
    return this.send(parseAddress(remote).hash, payload, { protocol: I2CPProtocol.Raw, fromPort: ports.fromPort ?? 0, toPort: ports.toPort ?? 0 });
  }

  /**
   * One I2CP payload to a remote destination: gzip with ports and protocol, in a Data message, in a garlic
   * clove with destination delivery, through an outbound tunnel to one of its leases. Best effort: false
   * when it was dropped (counted) or queued behind a LeaseSet lookup.
   */
  send(remote: Destination | Uint8Array, payload: Uint8Array, opts: SendOptions): boolean {
    if (this.#stopped) return false;
    const hash = remote instanceof Uint8Array ? remote : remote.hash;
    const now = this.#clock.now();
    const gz = serializeI2CPPayload({ protocol: opts.protocol, fromPort: opts.fromPort ?? 0, toPort: opts.toPort ?? 0, payload }, { compress: opts.compress });
    const clove = cloveBlock(
      { type: I2NPType.Data, msgId: this.#msgId(), expiration: now + I2NP_MESSAGE_EXPIRATION_MS, payload: serializeData({ data: gz }) },
      { type: 'destination', hash },
    );
    const ls = this.#remoteLeaseSet(hash);
    if (ls) return this.#transmit(hash, ls, [clove]);
    // wait for a lookup (bounded)
    const id = toHex(hash);
    let l = this.#lookups.get(id);
    if (!l) {
      if (this.#lookups.size >= this.#maxLookups) {
        this.stats.sendNoLeaseSet++;
        return false;
      }
      void this.#lookup(hash);
      l = this.#lookups.get(id);
      if (!l) {
        this.stats.sendNoLeaseSet++;
        return false;
      }
    }
    if (l.queue.length >= this.#maxQueued) {
      this.stats.queueDropped++;
      return false;
    }
    l.queue.push(clove);
    return false;
  }

  /**
   * Every I2NP message that arrives at one of our inbound tunnels (the pool's `deliver`). Never throws on
   * bad input: it is dropped and counted.
   */
  deliver(msg: I2NPMessage): void {
    if (this.#stopped) return;
    this.#handleI2NP(msg, 0, null);
  }

  /** Call when the pool's inbound tunnels changed (built, expired): rebuilds and republishes the LeaseSet. */
  tunnelsChanged(): void {
    if (!this.#stopped) this.#updateLeaseSet();
  }

  /** Housekeeping; also run every TICK_INTERVAL_MS by the destination itself. */
  tick(): void {
    if (this.#stopped) return;
    const now = this.#clock.now();
    this.#updateLeaseSet();
    this.garlic.tick();
    for (const [id, r] of this.#remotes) {
      if (leaseSet2ExpiresAt(r.ls) < now) this.#remotes.delete(id);
    }
    for (const [k, id] of this.#byKey) if (!this.#remotes.has(id)) this.#byKey.delete(k);
    for (const k of this.#lsStatus.keys()) if (!this.garlic.sessionInfo(Uint8Array.from(Buffer.from(k, 'hex')))) this.#lsStatus.delete(k);
  }

  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#lifetime.abort();
    this.#tickTimer?.clear();
    this.#publishTimer?.clear();
    this.#verifyTimer?.clear();
    for (const t of this.#control.values()) t.clear();
    this.#control.clear();
    this.streams.close();
    this.#lookups.clear();
    for (const r of [...this.#requests.values()]) r.finish(undefined);
  }

  // ------------------------------------------------------------------ outbound

  #msgId(): number {
    return this.#random.int(1, 0x100000000);
  }

  #schedule(): void {
    this.#tickTimer = this.#clock.setTimeout(() => {
      this.tick();
      if (!this.#stopped) this.#schedule();
    }, TICK_INTERVAL_MS);
  }

  #remoteLeaseSet(hash: Uint8Array): LeaseSet2 | undefined {
    const now = this.#clock.now();
    const id = toHex(hash);
    const r = this.#remotes.get(id);
    if (r && leaseSet2ExpiresAt(r.ls) > now) return r.ls;
    const ls = this.#o.netdb.getLeaseSet(hash);
    if (ls && leaseSet2ExpiresAt(ls) > now && equalBytes(ls.destination.hash, hash)) {
      this.#cacheRemote(ls);
      return ls;
    }
    return undefined;
  }

  #cacheRemote(ls: LeaseSet2): boolean {
    const id = toHex(ls.destination.hash);
    const cur = this.#remotes.get(id);
    if (cur && cur.ls.published >= ls.published) return false;
    if (!cur) {
      while (this.#remotes.size >= this.#maxRemote) {
        const oldest = this.#remotes.keys().next().value;
        if (oldest === undefined) break;
        this.#remotes.delete(oldest);
      }
    }
    this.#remotes.set(id, { ls, lease: cur?.lease });
    const key = leaseSetX25519Key(ls);
    if (key) this.#byKey.set(toHex(key), id);
    return true;
  }

  #lookup(hash: Uint8Array, signal?: AbortSignal): Promise<LeaseSet2 | undefined> {
    const id = toHex(hash);
    const existing = this.#lookups.get(id);
    const wait = (p: Promise<LeaseSet2 | undefined>) =>
      !signal
        ? p
        : new Promise<LeaseSet2 | undefined>((resolve, reject) => {
            const onAbort = () => reject(abortError(signal));
            signal.addEventListener('abort', onAbort, { once: true });
            p.then(
              (v) => {
                signal.removeEventListener('abort', onAbort);
                resolve(v);
              },
              (e: unknown) => {
                signal.removeEventListener('abort', onAbort);
                reject(e);
              },
            );
          });
    if (existing) return wait(existing.promise);
    if (this.#lookups.size >= this.#maxLookups) return Promise.resolve(undefined);
    this.stats.lookups++;
    const ctrl = new AbortController();
    const onStop = () => ctrl.abort();
    this.#lifetime.signal.addEventListener('abort', onStop, { once: true });
    const timer = this.#clock.setTimeout(() => ctrl.abort(), LEASESET_REQUEST_TIMEOUT_MS);
    const entry: Lookup = { queue: [], promise: undefined as unknown as Promise<LeaseSet2 | undefined> };
    entry.promise = (async () => {
      let ls: LeaseSet2 | undefined;
      try {
        ls = await this.#findLeaseSet(hash, ctrl.signal);
      } catch {
        ls = undefined;
      } finally {
        timer.clear();
        this.#lifetime.signal.removeEventListener('abort', onStop);
        this.#lookups.delete(id);
      }
      if (ls && (!equalBytes(ls.destination.hash, hash) || leaseSet2ExpiresAt(ls) <= this.#clock.now())) ls = undefined;
      if (!ls || this.#stopped) {
        this.stats.lookupsFailed++;
        this.stats.sendNoLeaseSet += entry.queue.length;
        return undefined;
      }
      this.#cacheRemote(ls);
      const cur = this.#remoteLeaseSet(hash) ?? ls;
      for (const clove of entry.queue) this.#transmit(hash, cur, [clove]);
      return cur;
    })();
    this.#lookups.set(id, entry);
    return wait(entry.promise);
  }

  /** Wrap `blocks` for the remote and send them to one of its leases. */
  #transmit(hash: Uint8Array, ls: LeaseSet2, blocks: Block[]): boolean {
    const now = this.#clock.now();
    const key = leaseSetX25519Key(ls);
    if (!key) {
      this.stats.sendNoKey++;
      return false;
    }
    const remote = this.#remotes.get(toHex(hash));
    const lease = pickLease(ls, now, (n) => this.#random.int(0, n), remote?.lease);
    if (!lease) {
      this.stats.sendNoLease++;
      return false;
    }
    if (remote) remote.lease = lease;
    const keyId = toHex(key);
    let st = this.#lsStatus.get(keyId);
    if (!st) {
      st = { status: 'updated' };
      this.#setStatus(keyId, st);
    }
    if (st.status === 'submitted' && now > st.at + LEASESET_CONFIRMATION_TIMEOUT_MS) {
      st = { status: 'updated' };
      this.#setStatus(keyId, st);
      if (remote) remote.lease = undefined; // i2pd: the path is invalidated
    }
    const established = isEstablished(this.garlic.sessionInfo(key), now);
    const out: Block[] = [];
    const attach = this.#ls !== undefined && st.status === 'updated';
    if (attach) {
      out.push(this.#leaseSetClove(now));
      if (established) out.push({ type: BlockType.AckRequest, flags: 0 });
    }
    out.push(...blocks);
    let data: Uint8Array;
    try {
      const r = this.garlic.encrypt(key, out);
      data = r.data;
      if (attach && established && r.kind === 'existing' && r.index !== undefined) this.#setStatus(keyId, { status: 'submitted', index: r.index, at: now });
    } catch (e) {
      if (!(e instanceof RangeError) && !(e instanceof CryptoError)) throw e;
      this.stats.sendFailed++;
      return false;
    }
    const msg: I2NPMessage = { type: I2NPType.Garlic, msgId: this.#msgId(), expiration: now + I2NP_MESSAGE_EXPIRATION_MS, payload: serializeGarlic({ data }) };
    if (!this.#o.pool.sendThroughOutbound(msg, { type: 'tunnel', tunnelId: lease.tunnelId, hash: lease.gateway })) {
      this.stats.sendNoTunnel++;
      return false;
    }
    this.stats.garlicOut++;
    return true;
  }

  #setStatus(keyId: string, st: LsStatus): void {
    if (!this.#lsStatus.has(keyId)) {
      const max = this.#maxRemote * 2;
      while (this.#lsStatus.size >= max) {
        const oldest = this.#lsStatus.keys().next().value;
        if (oldest === undefined) break;
        this.#lsStatus.delete(oldest);
      }
    }
    this.#lsStatus.set(keyId, st);
  }

  /** i2pd CreateLeaseSetClove: DatabaseStore of our LeaseSet2, token 0, local delivery. */
  #leaseSetClove(now: number): Block {
    const ls = this.#ls!;
    const payload = serializeDatabaseStore({ key: this.hash, storeType: DatabaseStoreType.LeaseSet2, reply: null, data: ls.raw });
    return cloveBlock({ type: I2NPType.DatabaseStore, msgId: this.#msgId(), expiration: now + I2NP_MESSAGE_EXPIRATION_MS, payload });
  }

  #scheduleControl(peer: Uint8Array): void {
    const id = toHex(peer);
    if (this.#control.has(id) || this.#control.size >= this.#maxRemote) return;
    const t = this.#clock.setTimeout(() => {
      this.#control.delete(id);
      if (this.#stopped || !this.garlic.hasPendingControl(peer)) return;
      const destId = this.#byKey.get(id);
      const r = destId ? this.#remotes.get(destId) : undefined;
      if (!r) return;
      if (this.#transmit(r.ls.destination.hash, r.ls, [])) this.stats.controlSent++;
    }, CONTROL_FLUSH_DELAY_MS);
    this.#control.set(id, t);
  }

  // ------------------------------------------------------------------ inbound

  #handleI2NP(m: I2NPMessage, depth: number, peer: Uint8Array | null): void {
    try {
      switch (m.type) {
        case I2NPType.Garlic:
          if (depth > 0) {
            this.stats.clovesDropped++; // garlic inside garlic: i2pd does not unwrap it for destinations either
            return;
          }
          this.#handleGarlic(m, parseGarlic(m.payload).data);
          return;
        case I2NPType.Data:
          this.#handleData(parseData(m.payload).data);
          return;
        case I2NPType.DatabaseStore:
          this.#handleStore(parseDatabaseStore(m.payload), peer);
          return;
        case I2NPType.DeliveryStatus:
          this.#handleDeliveryStatus(parseDeliveryStatus(m.payload).msgId);
          return;
        case I2NPType.DatabaseSearchReply:
          this.#handleSearchReply(parseDatabaseSearchReply(m.payload).key);
          return;
        case I2NPType.ShortTunnelBuild: // never for a destination
          this.stats.unhandled++;
          return;
        case I2NPType.TunnelBuildReply:
        case I2NPType.VariableTunnelBuildReply:
        case I2NPType.OutboundTunnelBuildReply:
          if (this.#o.fallback) {
            this.stats.passedOn++;
            this.#o.fallback(m);
          } else this.stats.unhandled++;
          return;
        default:
          this.stats.unhandled++;
      }
    } catch (e) {
      if (!(e instanceof ParseError) && !(e instanceof CryptoError)) throw e;
      this.stats.malformed++;
      this.#log?.debug({ code: e.code, type: m.type }, 'destination: malformed message dropped');
    }
  }

  #handleGarlic(m: I2NPMessage, data: Uint8Array): void {
    let r;
    try {
      r = this.garlic.decrypt(data);
    } catch (e) {
      if (!(e instanceof ParseError) && !(e instanceof CryptoError)) throw e;
      if (this.#o.fallback) {
        this.stats.passedOn++;
        this.#o.fallback(m);
      } else this.stats.garlicFailed++;
      return;
    }
    this.stats.garlicIn++;
    const peer = r.kind === 'reply-key' ? null : r.peer;
    const peerId = peer ? toHex(peer) : null;
    if (peerId) {
      if (r.kind === 'new-session-reply') this.#setStatus(peerId, { status: 'upToDate' }); // i2pd: the NSR answers our NS with our LeaseSet
      else if (r.kind === 'new-session' && !this.#lsStatus.has(peerId)) this.#setStatus(peerId, { status: 'upToDate' });
    }
    for (const b of r.blocks) {
      if (b.type === BlockType.Ack && peerId) {
        const st = this.#lsStatus.get(peerId);
        if (st?.status === 'submitted' && b.acks.some((a) => a.n === st.index)) this.#setStatus(peerId, { status: 'upToDate' });
        continue;
      }
      if (b.type !== BlockType.GarlicClove) continue;
      const c = b.clove;
      const forUs = c.delivery.type === 'local' || (c.delivery.type === 'destination' && equalBytes(c.delivery.hash, this.hash));
      if (!forUs) {
        this.stats.clovesDropped++;
        continue;
      }
      this.#handleI2NP({ type: c.i2npType, msgId: c.msgId, expiration: c.expiration * 1000, payload: c.body }, 1, peer);
    }
    if (peer && this.garlic.hasPendingControl(peer)) this.#scheduleControl(peer);
  }

  #handleData(gz: Uint8Array): void {
    const p = parseI2CPPayload(gz, this.#maxPayload);
    this.stats.dataIn++;
    const ports: StreamPorts = { fromPort: p.fromPort, toPort: p.toPort };
    switch (p.protocol) {
      case I2CPProtocol.Streaming:
        this.streams.receive(p.payload, ports);
        return;
      case I2CPProtocol.Datagram: {
        const dg = parseRepliableDatagram(p.payload);
        if (!dg) {
          this.stats.datagramsBad++;
          return;
        }
        this.emit('datagram', dg.payload, { ...ports, from: dg.from });
        return;
      }
      case I2CPProtocol.Raw:
        this.emit('raw', p.payload, { ...ports, from: undefined });
        return;
      default:
        this.stats.unknownProtocol++;
    }
  }

  #handleStore(ds: DatabaseStore, peer: Uint8Array | null): void {
    if (ds.storeType !== DatabaseStoreType.LeaseSet2) {
      this.stats.leaseSetsRejected++;
      return;
    }
    const ls = parseLeaseSet2(ds.data);
    const now = this.#clock.now();
    if (!equalBytes(ls.destination.hash, ds.key) || leaseSet2ExpiresAt(ls) <= now || !verifyLeaseSet2(ls, { now })) {
      this.stats.leaseSetsRejected++;
      return;
    }
    const req = this.#requests.get(toHex(ds.key));
    if (equalBytes(ds.key, this.hash)) {
      // our own LeaseSet: only as the answer to a verification lookup
      if (req) req.finish(ls);
      else this.stats.leaseSetsRejected++;
      return;
    }
    if (this.#cacheRemote(ls)) {
      this.stats.leaseSetsLearned++;
      this.#o.netdb.storeLeaseSet?.(ls);
    }
    req?.finish(this.#remotes.get(toHex(ds.key))?.ls ?? ls);
    if (peer) {
      // the peer's session key belongs to this destination only if the LeaseSet says so
      const key = leaseSetX25519Key(ls);
      if (key && equalBytes(key, peer)) this.#byKey.set(toHex(peer), toHex(ls.destination.hash));
    }
  }

  // ------------------------------------------------------------------ lookups through our tunnels

  /** i2pd RequestLeaseSet: through our tunnels when possible, else the netdb handle. */
  #findLeaseSet(hash: Uint8Array, signal: AbortSignal): Promise<LeaseSet2 | undefined> {
    const id = toHex(hash);
    if (this.#o.tunnelLookups === false || this.#requests.has(id) || this.#requests.size >= this.#maxLookups) {
      return this.#o.netdb.lookupLeaseSet(hash, { signal });
    }
    return new Promise<LeaseSet2 | undefined>((resolve) => {
      let done = false;
      const onAbort = () => req.finish(undefined);
      const req: TunnelRequest = {
        hash,
        excluded: new HashSet(),
        startedAt: this.#clock.now(),
        timer: undefined,
        finish: (ls) => {
          if (done) return;
          done = true;
          req.timer?.clear();
          signal.removeEventListener('abort', onAbort);
          if (this.#requests.get(id) === req) this.#requests.delete(id);
          resolve(ls);
        },
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.#requests.set(id, req);
      if (!this.#sendLookup(req)) {
        // no floodfill or no tunnels: the router's own lookup
        done = true;
        signal.removeEventListener('abort', onAbort);
        this.#requests.delete(id);
        this.#o.netdb.lookupLeaseSet(hash, { signal }).then(resolve, () => resolve(undefined));
      }
    });
  }

  /** i2pd SendLeaseSetRequest. */
  #sendLookup(req: TunnelRequest): boolean {
    const now = this.#clock.now();
    const inbound = this.#o.pool.inbound().filter((t) => t.expiresAt > now);
    if (inbound.length === 0 || this.#o.pool.outbound().length === 0) return false;
    const ff = this.#closestFloodfill(req.hash, req.excluded, now);
    if (!ff) return false;
    req.excluded.add(ff.identity.hash);
    const ib = inbound[this.#random.int(0, inbound.length)]!;
    const key = this.#random.bytes(32);
    const tag = this.#random.bytes(8);
    this.garlic.addReplyKey(key, tag, LEASESET_REQUEST_TIMEOUT_MS + LEASESET_FLOODFILL_TIMEOUT_MS);
    const lookup: I2NPMessage = {
      type: I2NPType.DatabaseLookup,
      msgId: this.#msgId(),
      expiration: now + I2NP_MESSAGE_EXPIRATION_MS,
      payload: serializeDatabaseLookup({
        key: req.hash,
        from: ib.gateway,
        lookupType: DatabaseLookupType.LeaseSet,
        replyTunnelId: ib.gatewayTunnelId,
        excludedPeers: [...req.excluded],
        replyEncryption: { kind: 'ecies', key, tag },
      }),
    };
    if (!this.#o.pool.sendThroughOutbound(this.#wrapForRouter(ff, lookup, now), { type: 'router', hash: ff.identity.hash })) return false;
    this.stats.lookupMessages++;
    req.timer?.clear();
    req.timer = this.#clock.setTimeout(() => this.#onLookupTimeout(req), LEASESET_FLOODFILL_TIMEOUT_MS);
    return true;
  }

  /** i2pd HandleRequestTimoutTimer: the next floodfill until 40 s have passed. */
  #onLookupTimeout(req: TunnelRequest): void {
    req.timer = undefined;
    if (this.#stopped || this.#clock.now() >= req.startedAt + LEASESET_REQUEST_TIMEOUT_MS || !this.#sendLookup(req)) req.finish(undefined);
  }

  /** i2pd HandleDatabaseSearchReplyMessage: not there; ask the next floodfill, up to 7. */
  #handleSearchReply(key: Uint8Array): void {
    this.stats.searchReplies++;
    const req = this.#requests.get(toHex(key));
    if (!req) return;
    if (req.excluded.size >= MAX_FLOODFILLS_PER_REQUEST || !this.#sendLookup(req)) req.finish(undefined);
  }

  /** i2pd WrapECIESX25519MessageForRouter: Noise N to the router key; DateTime, the clove (local delivery), padding. */
  #wrapForRouter(ri: RouterInfo, m: I2NPMessage, now: number): I2NPMessage {
    const payload = serializeBlocks([
      { type: BlockType.DateTime, timestamp: Math.floor(now / 1000) },
      cloveBlock(m),
      { type: BlockType.Padding, padding: new Uint8Array(this.#random.int(0, 16)) },
    ]);
    return {
      type: I2NPType.Garlic,
      msgId: this.#msgId(),
      expiration: m.expiration,
      payload: serializeGarlic({ data: encryptToRouter(ri.identity.cryptoPublicKey!, payload, this.#random) }),
    };
  }

  // ------------------------------------------------------------------ our LeaseSet, publishing

  #updateLeaseSet(): void {
    const now = this.#clock.now();
    const leases = leasesFromTunnels(this.#o.pool.inbound(), now);
    if (leases.length === 0) return; // i2pd: "No inbound tunnels for LeaseSet", keeps the old one
    const cur = this.#ls;
    // a new LeaseSet when the tunnels changed, or before the current one expires
    if (cur && sameLeases(cur.leases, leases) && leaseSet2ExpiresAt(cur) - now > PUBLISH_MIN_INTERVAL_MS * 3) return;
    this.#ls = buildLocalLeaseSet({
      keys: this.keys,
      encryptionPublicKey: this.#encryptionPublicKey,
      leases,
      now,
      previousPublished: cur?.published,
      isPublic: this.#isPublic,
    });
    for (const [k, st] of this.#lsStatus) if (st.status !== 'updated') this.#lsStatus.set(k, { status: 'updated' });
    this.emit('leaseSet', this.#ls);
    if (this.#isPublic) {
      this.#verifyTimer?.clear();
      this.#verifyTimer = undefined;
      this.#publish();
    }
  }

  /** i2pd LeaseSetDestination::Publish. */
  #publish(): void {
    const ls = this.#ls;
    if (!ls || this.#stopped) return;
    if (this.#publishToken) return; // pending
    const now = this.#clock.now();
    if (now < this.#lastSubmission + PUBLISH_MIN_INTERVAL_MS) {
      this.#publishTimer?.clear();
      this.#publishTimer = this.#clock.setTimeout(() => this.#publish(), PUBLISH_MIN_INTERVAL_MS);
      return;
    }
    const inbound = this.#o.pool.inbound().filter((t) => t.expiresAt > now);
    if (inbound.length === 0 || this.#o.pool.outbound().length === 0) {
      // i2pd 2.45.1 just returns and publishes at the next LeaseSet change; the first inbound tunnel usually
      // comes before the first outbound one, so that would leave a new destination unpublished for minutes.
      this.#log?.debug('destination: cannot publish yet, no tunnels; retrying');
      this.#publishTimer?.clear();
      this.#publishTimer = this.#clock.setTimeout(() => this.#publish(), PUBLISH_RETRY_NO_TUNNELS_MS);
      return;
    }
    if (this.#excluded.size >= MAX_PUBLISH_EXCLUDED) this.#excluded.clear();
    const ff = this.#closestFloodfill(this.hash, this.#excluded, now);
    if (!ff) {
      // i2pd clears the excluded list and waits for the next LeaseSet change; we retry after the minimum
      // interval so a destination with few floodfills known does not stay unpublished
      this.stats.publishFailed++;
      this.#excluded.clear();
      this.#log?.warn('destination: cannot publish the LeaseSet, no ECIES floodfill left to try');
      this.#publishTimer?.clear();
      this.#publishTimer = this.#clock.setTimeout(() => this.#publish(), PUBLISH_MIN_INTERVAL_MS);
      return;
    }
    this.#excluded.add(ff.identity.hash);
    const ib = inbound[this.#random.int(0, inbound.length)]!;
    let token = 0;
    while (token === 0) token = this.#random.int(1, 0x100000000);
    const store: I2NPMessage = {
      type: I2NPType.DatabaseStore,
      msgId: this.#msgId(),
      expiration: now + I2NP_MESSAGE_EXPIRATION_MS,
      payload: serializeDatabaseStore({
        key: this.hash,
        storeType: DatabaseStoreType.LeaseSet2,
        reply: { token, tunnelId: ib.gatewayTunnelId, gateway: ib.gateway },
        data: ls.raw,
      }),
    };
    if (!this.#o.pool.sendThroughOutbound(this.#wrapForRouter(ff, store, now), { type: 'router', hash: ff.identity.hash })) {
      this.stats.publishFailed++;
      return;
    }
    this.#publishToken = token;
    this.#lastSubmission = now;
    this.stats.published++;
    this.#publishTimer?.clear();
    this.#publishTimer = this.#clock.setTimeout(() => this.#onPublishTimeout(), PUBLISH_CONFIRMATION_TIMEOUT_MS);
  }

  /** i2pd NetDb::GetClosestFloodfill by the routing key of `key`, among floodfills with an X25519 router key. */
  #closestFloodfill(key: Uint8Array, excluded: HashSet, now: number): RouterInfo | undefined {
    const candidates = this.#o.netdb.floodfills().filter((ri) => ri.identity.cryptoType === ECIES_X25519 && ri.identity.cryptoPublicKey?.length === 32);
    return closestBy(routingKey(key, now), candidates, 1, (ri) => ri.identity.hash, excluded)[0];
  }

  /** i2pd HandlePublishConfirmationTimer: an ECIES destination goes on to verify, as Java floodfills may not reply. */
  #onPublishTimeout(): void {
    if (!this.#publishToken || this.#stopped) return;
    this.#publishToken = 0;
    this.#log?.debug('destination: no publish confirmation, verifying');
    this.#scheduleVerify(PUBLISH_VERIFICATION_TIMEOUT_MS);
  }

  #handleDeliveryStatus(msgId: number): void {
    if (msgId === 0 || msgId !== this.#publishToken) {
      this.stats.unhandled++;
      return;
    }
    this.#publishToken = 0;
    this.#excluded.clear();
    this.#publishTimer?.clear();
    this.#publishTimer = undefined;
    this.stats.publishConfirmed++;
    this.lastPublishConfirmed = this.#clock.now();
    if (this.#ls) this.emit('published', this.#ls);
    this.#scheduleVerify(PUBLISH_VERIFICATION_TIMEOUT_MS);
  }

  #scheduleVerify(ms: number): void {
    this.#verifyTimer?.clear();
    this.#verifyTimer = this.#clock.setTimeout(() => void this.#verify(), ms);
  }

  /** i2pd HandlePublishVerificationTimer: look our LeaseSet up; republish unless it is the one we published. */
  async #verify(): Promise<void> {
    const ls = this.#ls;
    if (!ls || this.#stopped) return;
    let found: LeaseSet2 | undefined;
    try {
      found = await this.#findLeaseSet(this.hash, this.#lifetime.signal);
    } catch {
      found = undefined;
    }
    if (this.#stopped || this.#ls !== ls) return; // a new LeaseSet was published meanwhile
    if (found && equalBytes(found.raw, ls.raw)) {
      this.stats.publishVerified++;
      this.#scheduleVerify(PUBLISH_REGULAR_VERIFICATION_INTERVAL_MS);
      return;
    }
    this.#log?.debug({ found: !!found }, 'destination: published LeaseSet not found as published, publishing again');
    this.#publish();
  }
}

function isEstablished(info: SessionInfo | null, now: number): boolean {
  if (!info || info.state !== 'established') return false;
  // GarlicEngine.encrypt starts a new session (an NS) for an inactive one: no Ack Request in an NS
  return !(now > info.lastActivity + INACTIVITY_TIMEOUT_MS && now > info.createdAt + RESTART_TIMEOUT_MS);
}
