/**
 * NTCP2 listener (Bob): accepts TCP connections and runs the responder handshake on each.
 * ../shared/specs/spec/ntcp2.rst "1) SessionRequest" notes (DoS mitigation: limit handshakes in progress,
 * read timeouts, block sources that fail; block a foreign netId) and "Published Addresses".
 *
 * Usage:
 *   const l = new Ntcp2Listener({ host: '0.0.0.0', port: 0, staticKey, routerHash, iv, netId, verifyRouterInfo });
 *   l.on('session', (s) => { s.on('i2np', ...); ... });   // established inbound Ntcp2Session (s.peer.peerRouterHash)
 *   l.on('handshakeFailed', (remoteAddress, failure) => ...);
 *   const { port } = await l.listen();
 *   ...
 *   await l.close();                                         // stops accepting, closes open sessions
 *
 * Bounds: `maxPendingHandshakes` concurrent handshakes and `maxSessions` open sessions (extra connections
 * are reset at once), a replay cache (shared by all handshakes; pass one to share across listeners), a
 * ban table of at most `maxBans` addresses (oldest evicted). Addresses are banned when a handshake
 * failure asks for it (foreign netId).
 * The listener hands out established sessions; it does not check for duplicate sessions with one peer
 * (the transport manager's job).
 */
import { EventEmitter } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import { ntcp2InitialState, type SymmetricState } from '../../crypto/noise.js';
import type { Random } from '../../crypto/random.js';
import type { X25519Key } from '../../crypto/x25519.js';
import { TerminationReason } from './frames.js';
import { Ntcp2Responder, type HandshakeFailure, type VerifyRouterInfo } from './handshake.js';
import { Ntcp2ReplayCache, type ReplayCache } from './replay.js';
import { Ntcp2Session, type SessionOptions } from './session.js';

export interface ListenerOptions extends SessionOptions {
  host: string;
  port: number;
  staticKey: X25519Key;
  routerHash: Uint8Array;
  iv: Uint8Array;
  netId: number;
  verifyRouterInfo: VerifyRouterInfo;
  now?: () => number;
  random?: Random;
  replayCache?: ReplayCache;
  maxClockSkewSeconds?: number;
  maxPadding?: number;
  sendPaddingMax?: number;
  /** Concurrent handshakes in progress. Default 64. */
  maxPendingHandshakes?: number;
  /** Established inbound sessions kept open at once; further connections are refused. Default 1024. */
  maxSessions?: number;
  /** How long a banned address is refused (ms). Default 1 hour. */
  banMs?: number;
  /** Ban table size. Default 4096. */
  maxBans?: number;
}

export interface Ntcp2ListenerEvents {
  session: [session: Ntcp2Session];
  handshakeFailed: [remoteAddress: string, failure: HandshakeFailure];
  error: [error: Error];
}

export class Ntcp2Listener extends EventEmitter<Ntcp2ListenerEvents> {
  readonly opts: ListenerOptions;
  readonly replayCache: ReplayCache;
  private readonly initialState: SymmetricState;
  private readonly server: Server;
  private readonly pending = new Set<Ntcp2Session>();
  private readonly sessions = new Set<Ntcp2Session>();
  private readonly bans = new Map<string, number>(); // address -> until (ms)
  /** Connections refused: too many pending handshakes, or banned. */
  refused = 0;

  constructor(opts: ListenerOptions) {
    super();
    this.opts = opts;
    this.replayCache = opts.replayCache ?? new Ntcp2ReplayCache();
    this.initialState = ntcp2InitialState(opts.staticKey.publicKey);
    this.server = createServer({ noDelay: true }, (socket) => this.onConnection(socket));
    this.server.on('error', (e) => this.emit('error', e));
  }

  private now(): number {
    return (this.opts.now ?? Date.now)();
  }

  /** Start listening; resolves with the bound address. */
  listen(): Promise<{ host: string; port: number }> {
    return new Promise((resolve, reject) => {
      const onError = (e: Error): void => reject(e);
      this.server.once('error', onError);
      this.server.listen(this.opts.port, this.opts.host, () => {
        this.server.off('error', onError);
        const a = this.server.address();
        if (a && typeof a === 'object') resolve({ host: a.address, port: a.port });
        else reject(new Error('no address'));
      });
    });
  }

  /** Refuse connections from `address` for `ms`. */
  ban(address: string, ms = this.opts.banMs ?? 3_600_000): void {
    this.bans.delete(address);
    const max = this.opts.maxBans ?? 4096;
    while (this.bans.size >= max) this.bans.delete(this.bans.keys().next().value as string);
    this.bans.set(address, this.now() + ms);
  }

  isBanned(address: string): boolean {
    const until = this.bans.get(address);
    if (until === undefined) return false;
    if (until <= this.now()) {
      this.bans.delete(address);
      return false;
    }
    return true;
  }

  get pendingHandshakes(): number {
    return this.pending.size;
  }

  get openSessions(): number {
    return this.sessions.size;
  }

  private onConnection(socket: Socket): void {
    const addr = socket.remoteAddress ?? '';
    socket.on('error', () => {}); // errors are handled by the session once it exists
    if (
      this.isBanned(addr) ||
      this.pending.size >= (this.opts.maxPendingHandshakes ?? 64) ||
      this.sessions.size + this.pending.size >= (this.opts.maxSessions ?? 1024)
    ) {
      this.refused++;
      socket.resetAndDestroy();
      return;
    }
    const o = this.opts;
    const responder = new Ntcp2Responder({
      staticKey: o.staticKey,
      routerHash: o.routerHash,
      iv: o.iv,
      netId: o.netId,
      replayCache: this.replayCache,
      verifyRouterInfo: o.verifyRouterInfo,
      initialState: this.initialState,
      ...(o.now ? { now: o.now } : {}),
      ...(o.random ? { random: o.random } : {}),
      ...(o.maxClockSkewSeconds !== undefined ? { maxClockSkewSeconds: o.maxClockSkewSeconds } : {}),
      ...(o.maxPadding !== undefined ? { maxPadding: o.maxPadding } : {}),
      ...(o.sendPaddingMax !== undefined ? { sendPaddingMax: o.sendPaddingMax } : {}),
    });
    const session = new Ntcp2Session(socket, responder, o);
    this.pending.add(session);
    session.once('established', () => {
      this.pending.delete(session);
      this.sessions.add(session);
      this.emit('session', session);
    });
    session.once('close', (info) => {
      this.pending.delete(session);
      this.sessions.delete(session);
      if (info.handshake) {
        if (info.handshake.ban) this.ban(addr);
        this.emit('handshakeFailed', addr, info.handshake);
      }
    });
  }

  /** Stop accepting; close pending handshakes and established sessions (RouterShutdown). */
  close(): Promise<void> {
    for (const s of this.pending) s.destroy();
    for (const s of this.sessions) s.close(TerminationReason.RouterShutdown);
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
