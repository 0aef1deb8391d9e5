/**
 * The transport manager: one place that knows every session with every peer.
 *
 * - Picks a peer's NTCP2 address from its RouterInfo (published, v=2, with host/port/s/i; spec/ntcp2.rst
 *   "Published Router Info") and dials it on demand, sending our RouterInfo in SessionConfirmed.
 * - One session per peer: an inbound session carries outbound traffic too; a second session with the same
 *   peer (simultaneous dials) is closed, the first one kept.
 * - Received RouterInfos (Alice's in SessionConfirmed, RouterInfo blocks) are verified and handed to the
 *   router (`onRouterInfo`); I2NP messages go to `onMessage` with the sender's router hash.
 * - Bounded everywhere: sessions, dials in progress, messages queued per peer while dialing; I2NP is best
 *   effort — what does not fit is dropped and counted.
 * - `reservedrange = true` refuses peers in reserved ranges both ways (i2pd); test networks turn it off.
 */
import { EventEmitter } from 'node:events';
import { isIPv4 } from 'node:net';
import type { Logger } from 'pino';
import { parseRouterInfo, verifyRouterInfo, routerInfoNetId, addressOption, type RouterInfo } from '../data/router-info.js';
import { fromBase64, toBase64 } from '../data/base64.js';
import { ParseError } from '../data/errors.js';
import type { I2NPMessage } from '../i2np/header.js';
import type { Random } from '../crypto/random.js';
import type { X25519Key } from '../crypto/x25519.js';
import { Ntcp2Listener } from './ntcp2/listener.js';
import { connectNtcp2, type Ntcp2Session } from './ntcp2/session.js';
import { TerminationReason } from './ntcp2/frames.js';
import type { VerifiedRouterInfo } from './ntcp2/handshake.js';
import { isReservedAddress } from './reserved.js';

export interface TransportsOptions {
  /** Our router hash. */
  routerHash: Uint8Array;
  /** Our current RouterInfo bytes (sent in SessionConfirmed). */
  routerInfo: () => Uint8Array;
  netId: number;
  /** bindHost: listen address; localAddress: source address for dials (i2pd `address4`), if set. */
  ntcp2: { staticKey: X25519Key; iv: Uint8Array; bindHost: string; port: number; localAddress?: string } | undefined;
  /** Refuse peers in reserved address ranges (i2pd `reservedrange`). */
  reservedRange: boolean;
  /** The netDb handle: a peer's RouterInfo, if known. */
  lookupRouterInfo: (hash: Uint8Array) => RouterInfo | undefined;
  /** A verified RouterInfo received from a peer (in the handshake or a RouterInfo block). */
  onRouterInfo: (ri: RouterInfo, from: Uint8Array) => void;
  /** An I2NP message received from a peer. `payload` is the caller's to keep. */
  onMessage: (msg: I2NPMessage, from: Uint8Array) => void;
  logger: Logger;
  now: () => number;
  random: Random;
  maxSessions?: number;
  maxDials?: number;
  maxQueuedPerPeer?: number;
}

export interface SessionInfo {
  peer: string; // router hash, I2P base64
  transport: 'NTCP2';
  direction: 'inbound' | 'outbound';
  remoteAddress: string;
  established: number; // ms
  bytesSent: number;
  bytesReceived: number;
  messagesSent: number;
  messagesReceived: number;
}

export interface TransportStats {
  messagesReceived: number;
  messagesSent: number;
  /** Messages dropped: no route to the peer, queue full, dial failed, session refused them. */
  messagesDropped: number;
  dialsFailed: number;
  handshakesFailed: number;
  /** Inbound handshake failures by NTCP2 termination reason code. */
  handshakeFailureReasons: Record<number, number>;
  bytesReceived: number;
  bytesSent: number;
}

interface Peer {
  session: Ntcp2Session;
  direction: 'inbound' | 'outbound';
  remoteAddress: string;
  established: number;
  messagesSent: number;
  messagesReceived: number;
}

interface Dial {
  queue: I2NPMessage[];
  abort: AbortController;
}

export interface TransportsEvents {
  connected: [peer: Uint8Array, direction: 'inbound' | 'outbound'];
  disconnected: [peer: Uint8Array];
}

export class Transports extends EventEmitter<TransportsEvents> {
  readonly #o: TransportsOptions;
  readonly #peers = new Map<string, Peer>();
  readonly #dials = new Map<string, Dial>();
  readonly #stats: TransportStats = {
    messagesReceived: 0,
    messagesSent: 0,
    messagesDropped: 0,
    dialsFailed: 0,
    handshakesFailed: 0,
    handshakeFailureReasons: {},
    bytesReceived: 0,
    bytesSent: 0,
  };
  #listener: Ntcp2Listener | undefined;
  #stopped = false;
  readonly #maxSessions: number;
  readonly #maxDials: number;
  readonly #maxQueued: number;

  constructor(opts: TransportsOptions) {
    super();
    this.#o = opts;
    this.#maxSessions = opts.maxSessions ?? 1024;
    this.#maxDials = opts.maxDials ?? 64;
    this.#maxQueued = opts.maxQueuedPerPeer ?? 64;
  }

  /** Start listening (NTCP2). Resolves with the bound port. */
  async start(): Promise<{ ntcp2Port?: number }> {
    const n = this.#o.ntcp2;
    if (!n) return {};
    const l = new Ntcp2Listener({
      host: n.bindHost,
      port: n.port,
      staticKey: n.staticKey,
      routerHash: this.#o.routerHash,
      iv: n.iv,
      netId: this.#o.netId,
      verifyRouterInfo: (b) => this.#verifyPeerRouterInfo(b),
      now: this.#o.now,
      random: this.#o.random,
      maxSessions: this.#maxSessions,
    });
    l.on('session', (s) => {
      const remote = s.socket.remoteAddress ?? '';
      if (this.#o.reservedRange && isReservedAddress(remote)) {
        s.close(TerminationReason.Banned);
        return;
      }
      // Alice's RouterInfo came in SessionConfirmed: it is verified; hand it to the netDb.
      if (s.peer?.peerRouterInfo) this.#receivedRouterInfo(s.peer.peerRouterInfo, s.peer.peerRouterHash);
      this.#adopt(s, 'inbound', remote);
    });
    l.on('handshakeFailed', (remote, f) => {
      this.#stats.handshakesFailed++;
      const r = this.#stats.handshakeFailureReasons;
      r[f.reason] = (r[f.reason] ?? 0) + 1;
      this.#o.logger.debug({ remote, reason: f.reason, code: f.error.code }, 'inbound NTCP2 handshake failed');
    });
    l.on('error', (e) => this.#o.logger.warn({ err: e.message }, 'NTCP2 listener error'));
    const { port } = await l.listen();
    this.#listener = l;
    return { ntcp2Port: port };
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    for (const d of this.#dials.values()) d.abort.abort(new Error('transports stopped'));
    this.#dials.clear();
    for (const p of this.#peers.values()) p.session.close(TerminationReason.RouterShutdown);
    this.#peers.clear();
    await this.#listener?.close();
    this.#listener = undefined;
  }

  /** Counters since start; bytes include the sessions still open. */
  get stats(): TransportStats {
    let sent = 0;
    let received = 0;
    for (const p of this.#peers.values()) {
      sent += p.session.stats.bytesSent;
      received += p.session.stats.bytesReceived;
    }
    return { ...this.#stats, handshakeFailureReasons: { ...this.#stats.handshakeFailureReasons }, bytesSent: this.#stats.bytesSent + sent, bytesReceived: this.#stats.bytesReceived + received };
  }

  /** Established sessions per transport. */
  counts(): { ntcp2: number; ssu2: number } {
    return { ntcp2: this.#peers.size, ssu2: 0 };
  }

  isConnected(peer: Uint8Array): boolean {
    return this.#peers.has(toBase64(peer));
  }

  sessions(): SessionInfo[] {
    return [...this.#peers.entries()].map(([peer, p]) => ({
      peer,
      transport: 'NTCP2',
      direction: p.direction,
      remoteAddress: p.remoteAddress,
      established: p.established,
      bytesSent: p.session.stats.bytesSent,
      bytesReceived: p.session.stats.bytesReceived,
      messagesSent: p.messagesSent,
      messagesReceived: p.messagesReceived,
    }));
  }

  /**
   * Send an I2NP message to a router, dialing it if needed. Returns false when the message was dropped at
   * once (no usable address, too many dials, queue full); true means sent or queued behind a dial.
   */
  send(peer: Uint8Array, msg: I2NPMessage): boolean {
    if (this.#stopped) return this.#drop();
    const key = toBase64(peer);
    const p = this.#peers.get(key);
    if (p) return this.#write(p, msg);
    const d = this.#dials.get(key);
    if (d) {
      if (d.queue.length >= this.#maxQueued) return this.#drop();
      d.queue.push(msg);
      return true;
    }
    if (!this.#dial(peer, key, [msg])) return this.#drop();
    return true;
  }

  /** Open a session to a router without sending anything (e.g. to publish to it next). */
  connect(peer: Uint8Array): boolean {
    const key = toBase64(peer);
    if (this.#peers.has(key) || this.#dials.has(key)) return true;
    return this.#dial(peer, key, []);
  }

  /** Close the session with a peer, if any. */
  disconnect(peer: Uint8Array, reason: number = TerminationReason.NormalClose): void {
    this.#peers.get(toBase64(peer))?.session.close(reason);
  }

  // ------------------------------------------------------------------ internals

  #drop(): false {
    this.#stats.messagesDropped++;
    return false;
  }

  #write(p: Peer, msg: I2NPMessage): boolean {
    const before = p.session.stats.dropped;
    p.session.sendI2NP({ msgType: msg.type, msgId: msg.msgId, expiration: Math.floor(msg.expiration / 1000), body: msg.payload });
    if (p.session.stats.dropped !== before) return this.#drop();
    p.messagesSent++;
    this.#stats.messagesSent++;
    return true;
  }

  /** The NTCP2 address we can dial, from a RouterInfo. */
  #ntcp2Address(ri: RouterInfo): { host: string; port: number; s: Uint8Array; i: Uint8Array } | undefined {
    for (const a of ri.addresses) {
      if (a.transportStyle !== 'NTCP2' && a.transportStyle !== 'NTCP') continue;
      const host = addressOption(a, 'host');
      const port = Number(addressOption(a, 'port'));
      const s = addressOption(a, 's');
      const i = addressOption(a, 'i');
      const v = addressOption(a, 'v') ?? '';
      if (!host || !isIPv4(host) || !s || !i || !v.split(',').includes('2')) continue;
      if (!Number.isInteger(port) || port <= 0 || port > 65535) continue;
      if (this.#o.reservedRange && isReservedAddress(host)) continue;
      try {
        const sb = fromBase64(s);
        const ib = fromBase64(i);
        if (sb.length === 32 && ib.length === 16) return { host, port, s: sb, i: ib };
      } catch {
        // a malformed address: try the next one
      }
    }
    return undefined;
  }

  #dial(peer: Uint8Array, key: string, queue: I2NPMessage[]): boolean {
    const n = this.#o.ntcp2;
    if (!n || this.#stopped) return false;
    if (this.#dials.size >= this.#maxDials || this.#peers.size >= this.#maxSessions) return false;
    const ri = this.#o.lookupRouterInfo(peer);
    const addr = ri && this.#ntcp2Address(ri);
    if (!addr) return false;
    const dial: Dial = { queue, abort: new AbortController() };
    this.#dials.set(key, dial);
    connectNtcp2({
      host: addr.host,
      port: addr.port,
      staticKey: n.staticKey,
      netId: this.#o.netId,
      routerInfo: this.#o.routerInfo(),
      remote: { routerHash: peer, staticKey: addr.s, iv: addr.i },
      now: this.#o.now,
      random: this.#o.random,
      signal: dial.abort.signal,
      ...(n.localAddress ? { localAddress: n.localAddress } : {}),
    }).then(
      (s) => {
        this.#dials.delete(key);
        if (this.#stopped) {
          s.close(TerminationReason.RouterShutdown);
          return;
        }
        const p = this.#adopt(s, 'outbound', `${addr.host}:${addr.port}`);
        if (!p) {
          // Another session with this peer won: send the queue there.
          const other = this.#peers.get(key);
          for (const m of dial.queue) (other ? this.#write(other, m) : this.#drop());
          return;
        }
        for (const m of dial.queue) this.#write(p, m);
      },
      (e: unknown) => {
        this.#dials.delete(key);
        this.#stats.dialsFailed++;
        this.#stats.messagesDropped += dial.queue.length;
        this.#o.logger.debug({ peer: key, host: addr.host, port: addr.port, err: (e as Error).message }, 'NTCP2 dial failed');
      },
    );
    return true;
  }

  /** Take an established session into the table; undefined when a session with that peer already exists. */
  #adopt(s: Ntcp2Session, direction: 'inbound' | 'outbound', remoteAddress: string): Peer | undefined {
    const hash = s.peer!.peerRouterHash;
    const key = toBase64(hash);
    if (this.#peers.has(key) || this.#peers.size >= this.#maxSessions) {
      s.close(TerminationReason.NormalClose);
      return undefined;
    }
    const p: Peer = { session: s, direction, remoteAddress, established: this.#o.now(), messagesSent: 0, messagesReceived: 0 };
    this.#peers.set(key, p);
    s.on('i2np', (b) => {
      p.messagesReceived++;
      this.#stats.messagesReceived++;
      try {
        this.#o.onMessage(
          { type: b.msgType, msgId: b.msgId, expiration: b.expiration * 1000, payload: Uint8Array.prototype.slice.call(b.body) },
          hash,
        );
      } catch (e) {
        // A handler bug must not take the router down with it: log it loudly, drop the message.
        this.#stats.messagesDropped++;
        this.#o.logger.error({ err: e instanceof Error ? e.stack : String(e), type: b.msgType }, 'I2NP handler failed');
      }
    });
    s.on('routerinfo', (bytes) => this.#receivedRouterInfo(bytes, hash));
    s.on('close', (info) => {
      this.#stats.bytesSent += s.stats.bytesSent;
      this.#stats.bytesReceived += s.stats.bytesReceived;
      if (this.#peers.get(key) === p) this.#peers.delete(key);
      this.#o.logger.debug({ peer: key, reason: info.reason, remote: info.remote }, 'NTCP2 session closed');
      this.emit('disconnected', hash);
    });
    this.#o.logger.debug({ peer: key, direction, remoteAddress }, 'NTCP2 session established');
    this.emit('connected', hash, direction);
    return p;
  }

  #receivedRouterInfo(bytes: Uint8Array, from: Uint8Array): void {
    try {
      const ri = parseRouterInfo(Uint8Array.prototype.slice.call(bytes));
      if (!verifyRouterInfo(ri)) throw new ParseError('BAD_SIGNATURE', 'RouterInfo', -1, 'bad signature');
      if (routerInfoNetId(ri) !== this.#o.netId) throw new ParseError('WRONG_NETID', 'RouterInfo', -1, 'another network');
      this.#o.onRouterInfo(ri, from);
    } catch (e) {
      if (e instanceof ParseError) this.#o.logger.debug({ from: toBase64(from), code: e.code }, 'RouterInfo from peer refused');
      else this.#o.logger.error({ err: e instanceof Error ? e.stack : String(e) }, 'RouterInfo handler failed');
    }
  }

  /** Alice's RouterInfo in SessionConfirmed: parse, verify, return her hash and NTCP2 static keys. */
  #verifyPeerRouterInfo(bytes: Uint8Array): VerifiedRouterInfo {
    const ri = parseRouterInfo(bytes);
    if (!verifyRouterInfo(ri)) throw new ParseError('BAD_SIGNATURE', 'RouterInfo', -1, 'bad RouterInfo signature');
    if (routerInfoNetId(ri) !== this.#o.netId) throw new ParseError('WRONG_NETID', 'RouterInfo', -1, 'RouterInfo of another network');
    const keys: Uint8Array[] = [];
    for (const a of ri.addresses) {
      if (a.transportStyle !== 'NTCP2' && a.transportStyle !== 'NTCP') continue;
      const s = addressOption(a, 's');
      if (!s) continue;
      try {
        keys.push(fromBase64(s));
      } catch {
        // ignore a malformed s; the handshake fails if none matches
      }
    }
    return { hash: ri.identity.hash, staticKey: keys };
  }
}
