/**
 * The stream manager of one local destination: connect, accept, routing of incoming packets, ping.
 *
 * Spec: ../shared/specs/spec/streaming.rst ("Packet Format": stream ids; "Replay prevention") and
 * ../shared/specs/docs/api-streaming.html ("Setup", "Ping / Pong", "0-RTT Issues": packets for an unknown
 * id that arrive before the SYN are queued, not dropped). Routing follows i2pd 2.45.1
 * libi2pd/Streaming.cpp StreamingDestination::HandleNextPacket:
 *
 * - sendStreamId != 0: the connection whose receive id it is; an ECHO there is a ping (answered with a
 *   pong when `answerPings`, the i2p.streaming.answerPings default true); otherwise unknown ids are
 *   dropped and counted — without FROM there is nobody to send a RESET to (i2pd drops them too).
 * - sendStreamId == 0: an ECHO is a pong; a SYN with seq 0 opens an incoming connection (a repeated SYN
 *   goes to the connection it opened); anything else is a follow-on packet for the incoming connection
 *   keyed by the peer's receiveStreamId, or is saved (bounded) for `pendingIncomingTimeout` (i2pd
 *   PENDING_INCOMING_TIMEOUT 10 s) until its SYN arrives.
 *
 * A SYN must be signed by its FROM (or FROM's valid offline transient key); a SYN whose NACKs carry a
 * destination hash other than ours is dropped (replay prevention). A SYN refused by the port filter, the
 * stream limit or for want of a 'stream' listener gets a signed RESET (Java's i2p.streaming.limitAction
 * "reset"; i2pd 2.45.1 instead accepts and then closes).
 *
 * The router hands in `StreamingTransport` (send one packet to a destination with I2CP ports; it wraps
 * the packet as I2CP protocol 6, gzip included) and calls `receive()` for every protocol-6 payload that
 * arrives for this destination, already gunzipped.
 */
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import { equalBytes } from '../../data/bytes.js';
import { ParseError } from '../../data/errors.js';
import type { Destination } from '../../data/identity.js';
import { signatureLength as destinationSignatureLength } from '../../data/identity.js';
import { sigTypeInfo } from '../../data/key-types.js';
import { type PrivateKeyFile, privateKeyFileSigner } from '../../data/private-key-file.js';
import { systemRandom, type Random } from '../../crypto/random.js';
import { realClock, type StreamingClock, type TimerHandle } from './clock.js';
import { Connection, StreamError, type StreamingConfig } from './connection.js';
import {
  MIN_HEADER_SIZE,
  PacketFlag,
  type ParsedPacket,
  type StreamingSigner,
  buildPong,
  hasFlag,
  parsePacket,
  signPacket,
  synTargetHash,
  verifierFor,
  verifyPacket,
} from './packet.js';

export interface StreamPorts {
  /** The sender's port. */
  readonly fromPort: number;
  /** The receiver's port. */
  readonly toPort: number;
}

/** The narrow handle to the router: one streaming packet out to a destination (I2CP protocol 6). */
export interface StreamingTransport {
  send(remote: Destination | Uint8Array, packet: Uint8Array, opts: StreamPorts): void;
}

export interface StreamManagerOptions {
  /** The local destination's keys (offline keys are handled), or a ready StreamingSigner. */
  keys: PrivateKeyFile | StreamingSigner;
  transport: StreamingTransport;
  clock?: StreamingClock | undefined;
  random?: Random | undefined;
  logger?: Logger | undefined;
  config?: Partial<StreamingConfig> | undefined;
  /** Local ports incoming streams are accepted on; undefined accepts any port. */
  acceptPorts?: readonly number[] | undefined;
  /** Connections at once, incoming and outgoing (lingering ones included). */
  maxStreams?: number | undefined;
  /** Outgoing connections still waiting for their SYN reply. */
  maxPendingSyns?: number | undefined;
  /** Incoming stream ids with follow-on packets saved before their SYN (i2pd MAX_PENDING_INCOMING_BACKLOG 128). */
  maxPendingIncoming?: number | undefined;
  /** Saved packets per pending incoming id. */
  maxSavedPerStream?: number | undefined;
  pendingIncomingTimeout?: number | undefined;
  answerPings?: boolean | undefined;
  /** How long connect() waits for the SYN reply (i2p.streaming.connectTimeout, 5 minutes). */
  connectTimeout?: number | undefined;
  maxPendingPings?: number | undefined;
  allowHalfOpen?: boolean | undefined;
}

export interface ConnectOptions {
  /** Remote port (I2CP toPort). */
  port?: number | undefined;
  /** Local port (I2CP fromPort). */
  fromPort?: number | undefined;
  signal?: AbortSignal | undefined;
  timeout?: number | undefined;
}

export interface StreamManagerStats {
  malformed: number;
  unknownStream: number;
  badSignature: number;
  replayRejected: number;
  refused: number;
  savedDropped: number;
  pingsAnswered: number;
}

interface Saved {
  packets: Uint8Array[];
  timer: TimerHandle;
}

interface StreamEntry {
  conn: Connection;
  ports: StreamPorts;
  /** For an incoming connection: the peer's receive id (the key in #incoming). */
  peerId: number;
}

/** Streaming signer for a key file: the transient key and its offline block for offline keys. */
export function streamingSignerFromKeys(keys: PrivateKeyFile): StreamingSigner {
  const offline = keys.offline?.signature;
  const signatureLength = offline ? sigTypeInfo(offline.transientSigType)!.signatureLength : destinationSignatureLength(keys.identity);
  return { destination: keys.identity, signer: privateKeyFileSigner(keys), signatureLength, offlineSignature: offline };
}

function isSigner(k: PrivateKeyFile | StreamingSigner): k is StreamingSigner {
  return 'signer' in k;
}

function abortError(signal: AbortSignal): Error {
  const e = new Error('The operation was aborted', { cause: signal.reason });
  e.name = 'AbortError';
  (e as Error & { code: string }).code = 'ABORT_ERR';
  return e;
}

export interface StreamManager {
  on(event: 'stream', listener: (conn: Connection, ports: StreamPorts) => void): this;
  on(event: string | symbol, listener: (...args: any[]) => void): this;
}

export class StreamManager extends EventEmitter {
  readonly local: StreamingSigner;
  readonly stats: StreamManagerStats = {
    malformed: 0,
    unknownStream: 0,
    badSignature: 0,
    replayRejected: 0,
    refused: 0,
    savedDropped: 0,
    pingsAnswered: 0,
  };
  #o: StreamManagerOptions;
  #clock: StreamingClock;
  #random: Random;
  #streams = new Map<number, StreamEntry>(); // our receive id → connection
  #incoming = new Map<number, StreamEntry>(); // peer's receive id → incoming connection
  #saved = new Map<number, Saved>(); // peer's receive id → packets before the SYN
  #pings = new Map<number, (rtt: number) => void>();
  #closed = false;

  constructor(o: StreamManagerOptions) {
    super();
    this.#o = o;
    this.local = isSigner(o.keys) ? o.keys : streamingSignerFromKeys(o.keys);
    this.#clock = o.clock ?? realClock;
    this.#random = o.random ?? systemRandom;
  }

  get destination(): Destination {
    return this.local.destination;
  }

  /** Connections currently registered (open, closing or lingering). */
  get size(): number {
    return this.#streams.size;
  }

  #allocateId(): number {
    for (;;) {
      const id = this.#random.int(1, 0x100000000);
      if (!this.#streams.has(id) && !this.#pings.has(id)) return id;
    }
  }

  #newConnection(remote: Destination, initiator: boolean, ports: StreamPorts, peerId: number): StreamEntry {
    const recvStreamId = this.#allocateId();
    const entry = {} as StreamEntry;
    const conn = new Connection({
      local: this.local,
      remote,
      initiator,
      recvStreamId,
      output: (bytes) => this.#o.transport.send(remote, bytes, ports),
      clock: this.#clock,
      config: this.#o.config,
      allowHalfOpen: this.#o.allowHalfOpen,
      onTerminated: (c) => this.#remove(c, entry),
    });
    Object.assign(entry, { conn, ports, peerId });
    this.#streams.set(recvStreamId, entry);
    if (!initiator) this.#incoming.set(peerId, entry);
    return entry;
  }

  #remove(c: Connection, entry: StreamEntry): void {
    if (this.#streams.get(c.recvStreamId) === entry) this.#streams.delete(c.recvStreamId);
    if (!c.initiator && this.#incoming.get(entry.peerId) === entry) this.#incoming.delete(entry.peerId);
  }

  /** Open a stream to `remote`; resolves once the SYN reply arrives. */
  connect(remote: Destination, opts: ConnectOptions = {}): Promise<Connection> {
    const { signal } = opts;
    if (signal?.aborted) return Promise.reject(abortError(signal));
    if (this.#closed) return Promise.reject(new StreamError('ERR_MANAGER_CLOSED', 'stream manager closed'));
    const max = this.#o.maxStreams ?? 1024;
    if (this.#streams.size >= max) return Promise.reject(new StreamError('ERR_TOO_MANY_STREAMS', `limit of ${max} streams reached`));
    let pending = 0;
    for (const e of this.#streams.values()) if (e.conn.state === 'syn-sent') pending++;
    const maxPending = this.#o.maxPendingSyns ?? 64;
    if (pending >= maxPending) return Promise.reject(new StreamError('ERR_TOO_MANY_PENDING', `limit of ${maxPending} pending connects reached`));
    const ports = { fromPort: opts.fromPort ?? 0, toPort: opts.port ?? 0 };
    const { conn } = this.#newConnection(remote, true, ports, 0);
    return new Promise<Connection>((resolve, reject) => {
      const timeout = opts.timeout ?? this.#o.connectTimeout ?? 5 * 60 * 1000;
      const timer = this.#clock.setTimeout(() => fail(new StreamError('ETIMEDOUT', 'connect timed out'), true), timeout);
      const onConnect = () => {
        done();
        resolve(conn);
      };
      const onError = (e: Error) => fail((e as StreamError).code === 'ECONNRESET' ? new StreamError('ECONNREFUSED', 'connection refused (reset by peer)') : e, false);
      const onClose = () => fail(new StreamError('ECONNABORTED', 'stream closed before it was established'), false);
      const onAbort = () => fail(abortError(signal!), true);
      const done = () => {
        timer.clear();
        conn.off('connect', onConnect);
        conn.off('error', onError);
        conn.off('close', onClose);
        signal?.removeEventListener('abort', onAbort);
      };
      const fail = (e: Error, destroy: boolean) => {
        done();
        if (destroy) {
          conn.on('error', () => {}); // the caller gets the rejection instead
          conn.reset();
        }
        reject(e);
      };
      conn.once('connect', onConnect);
      conn.once('error', onError);
      conn.once('close', onClose);
      signal?.addEventListener('abort', onAbort, { once: true });
      conn.start();
    });
  }

  /** Ping `remote` (ECHO); resolves with the round-trip time in ms. */
  ping(remote: Destination, opts: { port?: number; signal?: AbortSignal; timeout?: number } = {}): Promise<number> {
    const { signal } = opts;
    if (signal?.aborted) return Promise.reject(abortError(signal));
    const maxPings = this.#o.maxPendingPings ?? 16;
    if (this.#pings.size >= maxPings) return Promise.reject(new StreamError('ERR_TOO_MANY_PINGS', 'too many pings outstanding'));
    const id = this.#allocateId();
    const bytes = signPacket(
      {
        sendStreamId: id,
        receiveStreamId: 0,
        sequenceNum: 0,
        ackThrough: 0,
        nacks: [],
        resendDelay: 0,
        flags: PacketFlag.ECHO | PacketFlag.FROM_INCLUDED,
        from: this.local.destination,
        payload: new Uint8Array(0),
      },
      this.local,
    );
    const sentAt = this.#clock.now();
    return new Promise<number>((resolve, reject) => {
      const timer = this.#clock.setTimeout(() => {
        done();
        reject(new StreamError('ETIMEDOUT', 'ping timed out'));
      }, opts.timeout ?? 30_000);
      const onAbort = () => {
        done();
        reject(abortError(signal!));
      };
      const done = () => {
        timer.clear();
        this.#pings.delete(id);
        signal?.removeEventListener('abort', onAbort);
      };
      this.#pings.set(id, (now) => {
        done();
        resolve(now - sentAt);
      });
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#o.transport.send(remote, bytes, { fromPort: 0, toPort: opts.port ?? 0 });
    });
  }

  /** Feed one incoming streaming packet (I2CP protocol 6 payload, gunzipped) with its I2CP ports. */
  receive(packet: Uint8Array, ports: StreamPorts): void {
    if (this.#closed) return;
    if (packet.length < MIN_HEADER_SIZE) {
      this.stats.malformed++;
      return;
    }
    const sendId = new DataView(packet.buffer, packet.byteOffset, packet.byteLength).getUint32(0);
    const entry = sendId ? this.#streams.get(sendId) : undefined;
    let p: ParsedPacket;
    try {
      p = parsePacket(packet, { signatureLength: entry?.conn.remoteSignatureLength });
    } catch (e) {
      if (!(e instanceof ParseError)) throw e;
      this.stats.malformed++;
      return;
    }
    if (hasFlag(p, PacketFlag.ECHO)) {
      if (sendId) this.#answerPing(p, ports);
      else this.#pings.get(p.receiveStreamId)?.(this.#clock.now());
      return;
    }
    if (sendId) {
      if (entry) entry.conn.handlePacket(p);
      else this.stats.unknownStream++;
      return;
    }
    if (hasFlag(p, PacketFlag.SYNCHRONIZE) && p.sequenceNum === 0) {
      this.#handleSyn(p, ports);
      return;
    }
    const inc = this.#incoming.get(p.receiveStreamId);
    if (inc) inc.conn.handlePacket(this.#reparse(p, inc.conn));
    else this.#save(p.receiveStreamId, packet);
  }

  #reparse(p: ParsedPacket, conn: Connection): ParsedPacket {
    // parsed without knowing the peer: re-read a signature without FROM at the peer's length
    if (!hasFlag(p, PacketFlag.SIGNATURE_INCLUDED) || p.from) return p;
    try {
      return parsePacket(p.raw, { signatureLength: conn.remoteSignatureLength });
    } catch {
      return p;
    }
  }

  #answerPing(p: ParsedPacket, ports: StreamPorts): void {
    if (!(this.#o.answerPings ?? true)) return;
    if (!p.from || !hasFlag(p, PacketFlag.SIGNATURE_INCLUDED)) return;
    const v = verifierFor(p.from, p.offlineSignature, this.#clock.now());
    if (!v || !verifyPacket(p, v)) {
      this.stats.badSignature++;
      return;
    }
    this.stats.pingsAnswered++;
    this.#o.transport.send(p.from, buildPong(p), { fromPort: ports.toPort, toPort: ports.fromPort });
  }

  #handleSyn(p: ParsedPacket, ports: StreamPorts): void {
    const from = p.from;
    if (!from || !hasFlag(p, PacketFlag.SIGNATURE_INCLUDED)) {
      this.stats.badSignature++;
      return;
    }
    const existing = this.#incoming.get(p.receiveStreamId);
    if (existing) {
      // a repeated SYN: the connection checks the signature and re-sends its SYN reply
      if (equalBytes(existing.conn.remote.hash, from.hash)) existing.conn.handlePacket(p);
      return;
    }
    const v = verifierFor(from, p.offlineSignature, this.#clock.now());
    if (!v || !verifyPacket(p, v)) {
      this.stats.badSignature++;
      this.#o.logger?.debug({ rSID: p.receiveStreamId }, 'streaming: SYN with a bad signature dropped');
      return;
    }
    const target = synTargetHash(p);
    if (target && !equalBytes(target, this.local.destination.hash)) {
      this.stats.replayRejected++;
      return;
    }
    const reply: StreamPorts = { fromPort: ports.toPort, toPort: ports.fromPort };
    const accept = this.#o.acceptPorts;
    const max = this.#o.maxStreams ?? 1024;
    if (
      (accept !== undefined && !accept.includes(ports.toPort)) ||
      this.#streams.size >= max ||
      this.listenerCount('stream') === 0
    ) {
      this.stats.refused++;
      this.#sendRefusal(p, from, reply);
      this.#dropSaved(p.receiveStreamId);
      return;
    }
    const entry = this.#newConnection(from, false, reply, p.receiveStreamId);
    entry.conn.handlePacket(p, true);
    const saved = this.#saved.get(p.receiveStreamId);
    if (saved) {
      this.#saved.delete(p.receiveStreamId);
      saved.timer.clear();
      for (const raw of saved.packets) {
        try {
          entry.conn.handlePacket(parsePacket(raw, { signatureLength: entry.conn.remoteSignatureLength }));
        } catch {
          this.stats.malformed++;
        }
      }
    }
    this.emit('stream', entry.conn, ports);
  }

  #sendRefusal(syn: ParsedPacket, from: Destination, ports: StreamPorts): void {
    const bytes = signPacket(
      {
        sendStreamId: syn.receiveStreamId,
        receiveStreamId: 0,
        sequenceNum: 0,
        ackThrough: 0,
        nacks: [],
        resendDelay: 0,
        flags: PacketFlag.RESET | PacketFlag.FROM_INCLUDED,
        from: this.local.destination,
        payload: new Uint8Array(0),
      },
      this.local,
    );
    this.#o.transport.send(from, bytes, ports);
  }

  #save(peerId: number, packet: Uint8Array): void {
    let s = this.#saved.get(peerId);
    if (!s) {
      if (this.#saved.size >= (this.#o.maxPendingIncoming ?? 128)) {
        this.stats.savedDropped++;
        return;
      }
      const timer = this.#clock.setTimeout(() => this.#dropSaved(peerId), this.#o.pendingIncomingTimeout ?? 10_000);
      s = { packets: [], timer };
      this.#saved.set(peerId, s);
    }
    if (s.packets.length >= (this.#o.maxSavedPerStream ?? 16)) {
      this.stats.savedDropped++;
      return;
    }
    s.packets.push(Uint8Array.prototype.slice.call(packet) as Uint8Array);
  }

  #dropSaved(peerId: number): void {
    const s = this.#saved.get(peerId);
    if (!s) return;
    s.timer.clear();
    this.#saved.delete(peerId);
  }

  /** Reset every connection and stop. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const { conn } of [...this.#streams.values()]) {
      if (!conn.destroyed) {
        if (conn.listenerCount('error') === 0) conn.on('error', () => {});
        conn.reset();
      }
    }
    this.#streams.clear();
    this.#incoming.clear();
    for (const s of this.#saved.values()) s.timer.clear();
    this.#saved.clear();
  }
}
