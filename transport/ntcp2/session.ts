/**
 * NTCP2 connection over a net.Socket: drives the sans-IO handshake (handshake.ts), then the data phase
 * (frames.ts). ../shared/specs/spec/ntcp2.rst "4) Data Phase", "5) Termination", "AEAD Error Handling".
 * Timeouts follow i2pd 2.45.1 NTCP2.h: handshake 10 s (NTCP2_ESTABLISH_TIMEOUT), idle 120 s
 * (NTCP2_TERMINATION_TIMEOUT); padding per frame like i2pd CreatePaddingBlock (random, up to 6 % of the
 * payload, payloads under 256 bytes counted as 256).
 *
 * Usage (outbound): `const s = await connectNtcp2({ host, port, ...InitiatorOptions })`; inbound sessions
 * come from Ntcp2Listener's 'session' event. Then:
 *   s.on('i2np', (m) => ...)            // { msgType, msgId, expiration, body } (body: view, copy to keep long)
 *   s.on('routerinfo', (ri, flood) => ...)
 *   s.on('close', ({ reason, remote, error }) => ...)
 *   s.sendI2NP([{ msgType, msgId, expiration, body }])  // false: over the high-water mark, wait for 'drain'
 *   s.close(TerminationReason.NormalClose)
 *
 * Backpressure: `sendI2NP` returns false once the socket's write buffer is above `highWaterMark`; it keeps
 * accepting until `maxWriteBufferBytes`, above which messages are dropped and counted (`stats.dropped`):
 * I2NP is best effort. Bad data-phase input ends the session with a Termination block (reasons 4, 9, 10),
 * never a throw. Timers are unref()ed.
 */
import { EventEmitter } from 'node:events';
import { connect as netConnect, type Socket } from 'node:net';
import { CryptoError } from '../../crypto/errors.js';
import { systemRandom, type Random } from '../../crypto/random.js';
import { ParseError } from '../../data/errors.js';
import {
  BLOCK_HEADER_LENGTH,
  FrameDecoder,
  FrameEncoder,
  I2NP_SHORT_HEADER_LENGTH,
  MAX_PAYLOAD_LENGTH,
  terminationBlock,
  TerminationReason,
  type Block,
  type PaddingOptions,
} from './frames.js';
import {
  createFrameCodec,
  Ntcp2Initiator,
  type Established,
  type HandshakeFailure,
  type HandshakeStep,
  type InitiatorOptions,
  type Ntcp2Responder,
} from './handshake.js';

export type I2npBlock = Extract<Block, { type: 'i2np' }>;
/** An I2NP message for sending: header fields + body (the 9-byte NTCP2 short header is built here). */
export type OutgoingI2np = Omit<I2npBlock, 'type'>;

/** Largest I2NP body that fits in one frame next to its block header. */
export const MAX_I2NP_BODY = MAX_PAYLOAD_LENGTH - BLOCK_HEADER_LENGTH - I2NP_SHORT_HEADER_LENGTH;

export interface SessionOptions {
  /** Whole handshake must finish within this (ms). Default 10 000. */
  handshakeTimeoutMs?: number;
  /** Close with IdleTimeout after this long without a frame either way (ms). Default 120 000. */
  idleTimeoutMs?: number;
  /** `sendI2NP` returns false above this many buffered bytes. Default 256 KiB. */
  highWaterMark?: number;
  /** Messages are dropped (and counted) above this many buffered bytes. Default 4 MiB. */
  maxWriteBufferBytes?: number;
  /** Add i2pd-style random padding blocks to data frames. Default true. */
  padding?: boolean;
  random?: Random;
}

export interface SessionCloseInfo {
  /** Termination reason: sent by us, or received from the peer (`remote`). */
  reason: number;
  /** True when the peer sent a Termination block or closed the socket. */
  remote: boolean;
  error?: ParseError | CryptoError | Error;
  /** The handshake failure, when the session never got established. */
  handshake?: HandshakeFailure;
}

export interface SessionStats {
  framesSent: number;
  framesReceived: number;
  bytesSent: number;
  bytesReceived: number;
  /** I2NP messages dropped: write buffer over maxWriteBufferBytes, too large, or session not open. */
  dropped: number;
}

export interface Ntcp2SessionEvents {
  established: [info: Omit<Established, 'keys'>];
  i2np: [msg: I2npBlock];
  routerinfo: [routerInfo: Uint8Array, flood: boolean];
  datetime: [timestamp: number];
  options: [options: PaddingOptions];
  drain: [];
  close: [info: SessionCloseInfo];
}

type State = 'handshake' | 'established' | 'closing' | 'closed';

export class Ntcp2Session extends EventEmitter<Ntcp2SessionEvents> {
  readonly socket: Socket;
  readonly direction: 'inbound' | 'outbound';
  readonly stats: SessionStats = { framesSent: 0, framesReceived: 0, bytesSent: 0, bytesReceived: 0, dropped: 0 };
  /** Set once established. */
  peer?: Omit<Established, 'keys'>;

  private state: State = 'handshake';
  private readonly machine: Ntcp2Initiator | Ntcp2Responder;
  private encoder?: FrameEncoder;
  private decoder?: FrameDecoder;
  private readonly random: Random;
  private readonly highWaterMark: number;
  private readonly maxWriteBuffer: number;
  private readonly padding: boolean;
  private readonly idleTimeoutMs: number;
  private handshakeTimer?: NodeJS.Timeout;
  private idleTimer?: NodeJS.Timeout;
  private graceTimer?: NodeJS.Timeout;
  private closeInfo?: SessionCloseInfo;
  private needDrain = false;

  constructor(socket: Socket, machine: Ntcp2Initiator | Ntcp2Responder, opts: SessionOptions = {}) {
    super();
    this.socket = socket;
    this.machine = machine;
    this.direction = machine instanceof Ntcp2Initiator ? 'outbound' : 'inbound';
    this.random = opts.random ?? systemRandom;
    this.highWaterMark = opts.highWaterMark ?? 256 * 1024;
    this.maxWriteBuffer = opts.maxWriteBufferBytes ?? 4 * 1024 * 1024;
    this.padding = opts.padding ?? true;
    this.idleTimeoutMs = opts.idleTimeoutMs ?? 120_000;
    socket.setNoDelay(true);
    this.handshakeTimer = setTimeout(() => this.onHandshakeTimeout(), opts.handshakeTimeoutMs ?? 10_000).unref();
    socket.on('data', this.onData);
    socket.on('error', this.onError);
    socket.on('close', this.onSocketClose);
    socket.on('end', this.onEnd);
    socket.on('drain', this.onDrain);
    if (machine instanceof Ntcp2Initiator) {
      // Defer so callers can attach listeners first.
      queueMicrotask(() => {
        if (this.state !== 'handshake') return;
        this.handleStep(machine.start());
      });
    }
  }

  get isEstablished(): boolean {
    return this.state === 'established';
  }

  get isClosed(): boolean {
    return this.state === 'closing' || this.state === 'closed';
  }

  /**
   * Queue I2NP messages (packed into as few frames as fit). Returns false when the caller should wait for
   * 'drain'. Messages that cannot be sent (closed session, body over MAX_I2NP_BODY, buffer full) are
   * dropped and counted.
   */
  sendI2NP(msgs: OutgoingI2np | readonly OutgoingI2np[]): boolean {
    const list = Array.isArray(msgs) ? (msgs as readonly OutgoingI2np[]) : [msgs as OutgoingI2np];
    if (this.state !== 'established') {
      this.stats.dropped += list.length;
      return false;
    }
    let blocks: Block[] = [];
    let size = 0;
    const limit = MAX_PAYLOAD_LENGTH - (this.padding ? 64 : 0);
    for (const m of list) {
      if (m.body.length > MAX_I2NP_BODY) {
        this.stats.dropped++;
        continue;
      }
      if (this.socket.writableLength > this.maxWriteBuffer) {
        this.stats.dropped++;
        continue;
      }
      const len = BLOCK_HEADER_LENGTH + I2NP_SHORT_HEADER_LENGTH + m.body.length;
      if (size + len > limit && blocks.length) {
        this.writeFrame(blocks, size);
        blocks = [];
        size = 0;
      }
      blocks.push({ type: 'i2np', ...m });
      size += len;
    }
    if (blocks.length) this.writeFrame(blocks, size);
    return this.backpressureOk();
  }

  /** Send a RouterInfo block (e.g. ours after an update; Bob may send his first). */
  sendRouterInfo(routerInfo: Uint8Array, flood = false): boolean {
    if (this.state !== 'established') return false;
    this.writeFrame([{ type: 'routerinfo', flood, routerInfo }], BLOCK_HEADER_LENGTH + 1 + routerInfo.length);
    return this.backpressureOk();
  }

  /** Send a DateTime block with our time (Unix seconds, rounded). */
  sendDateTime(nowMs = Date.now()): boolean {
    if (this.state !== 'established') return false;
    this.writeFrame([{ type: 'datetime', timestamp: Math.floor((nowMs + 500) / 1000) >>> 0 }], 7);
    return this.backpressureOk();
  }

  /** Send a Termination block with `reason` (if established), then end the connection. */
  close(reason: number = TerminationReason.NormalClose): void {
    if (this.isClosed) return;
    if (this.state === 'established' && this.encoder && this.decoder) {
      this.writeFrame([terminationBlock(this.decoder.framesReceived, reason)], BLOCK_HEADER_LENGTH + 9, true);
    }
    this.finish({ reason, remote: false }, 'end');
  }

  /** Abort at once (no Termination block). */
  destroy(error?: Error): void {
    if (this.state === 'closed') return;
    this.finish({ reason: TerminationReason.NormalClose, remote: false, ...(error ? { error } : {}) }, 'destroy');
  }

  // --- internals

  private backpressureOk(): boolean {
    const ok = this.socket.writableLength < this.highWaterMark;
    if (!ok) this.needDrain = true;
    return ok;
  }

  private writeFrame(blocks: Block[], size: number, noPadding = false): void {
    const enc = this.encoder!;
    if (this.padding && !noPadding) {
      const base = Math.max(size, 256);
      let max = Math.floor((base * 6) / 100);
      max = Math.min(max, MAX_PAYLOAD_LENGTH - size - BLOCK_HEADER_LENGTH);
      if (max >= 0) {
        const n = max > 0 ? this.random.int(0, max + 1) : 0;
        blocks.push({ type: 'padding', data: new Uint8Array(n) });
      }
    }
    const frame = enc.encode(blocks);
    this.stats.framesSent++;
    this.stats.bytesSent += frame.length;
    this.socket.write(frame);
    this.idleTimer?.refresh();
  }

  private readonly onData = (chunk: Buffer): void => {
    if (this.state === 'closing' || this.state === 'closed') return;
    const data = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    this.stats.bytesReceived += data.length;
    try {
      if (this.state === 'handshake') this.handleStep(this.machine.receive(data));
      else this.feed(data);
    } catch (e) {
      // Not reachable by bad input (the machines and the decoder report it as failures); a listener
      // throwing, or a bug, must not take the process down from a socket callback.
      this.destroy(e instanceof Error ? e : new Error(String(e)));
    }
  };

  private handleStep(step: HandshakeStep): void {
    if (step.failed) {
      const info: SessionCloseInfo = { reason: step.failed.reason, remote: false, error: step.failed.error, handshake: step.failed };
      if (step.send) {
        this.socket.write(step.send);
        this.finish(info, 'end');
      } else if (step.failed.probingResistance) {
        // Spec "AEAD Error Handling": wait a random time, reading (and discarding), then close.
        this.state = 'closing';
        this.closeInfo = info;
        this.clearTimers();
        this.graceTimer = setTimeout(() => this.finish(info, 'reset'), this.random.int(500, 3000)).unref();
      } else {
        this.finish(info, 'reset');
      }
      return;
    }
    if (step.send) this.socket.write(step.send);
    if (step.established) {
      const { keys, ...peer } = step.established;
      const codec = createFrameCodec(keys);
      this.encoder = codec.encoder;
      this.decoder = codec.decoder;
      this.peer = peer;
      this.state = 'established';
      if (this.handshakeTimer) clearTimeout(this.handshakeTimer);
      this.handshakeTimer = undefined;
      this.idleTimer = setTimeout(() => this.close(TerminationReason.IdleTimeout), this.idleTimeoutMs).unref();
      this.emit('established', peer);
      if (step.rest && this.state === 'established') this.feed(step.rest);
    }
  }

  private feed(data: Uint8Array): void {
    const dec = this.decoder!;
    dec.push(data);
    for (;;) {
      if (this.state !== 'established') return;
      let blocks: Block[] | null;
      try {
        blocks = dec.next();
      } catch (e) {
        const reason =
          e instanceof CryptoError
            ? TerminationReason.DataPhaseAEADFailure
            : e instanceof ParseError && e.code === 'BAD_FRAME_LENGTH'
              ? TerminationReason.AEADFramingError
              : TerminationReason.PayloadFormatError;
        this.closeWithError(reason, e as Error);
        return;
      }
      if (!blocks) return;
      this.stats.framesReceived++;
      this.idleTimer?.refresh();
      for (const b of blocks) {
        if (this.state !== 'established') return;
        this.dispatch(b);
      }
    }
  }

  private dispatch(b: Block): void {
    switch (b.type) {
      case 'i2np':
        this.emit('i2np', b);
        break;
      case 'routerinfo':
        this.emit('routerinfo', b.routerInfo, b.flood);
        break;
      case 'datetime':
        this.emit('datetime', b.timestamp);
        break;
      case 'options':
        this.emit('options', b.options);
        break;
      case 'termination':
        this.finish({ reason: b.reason, remote: true }, 'end');
        break;
      default:
        break; // padding, unknown: ignored (spec)
    }
  }

  private closeWithError(reason: number, error: Error): void {
    if (this.encoder && this.decoder) {
      this.writeFrame([terminationBlock(this.decoder.framesReceived, reason)], BLOCK_HEADER_LENGTH + 9, true);
    }
    this.finish({ reason, remote: false, error }, 'end');
  }

  private readonly onError = (err: Error): void => {
    this.finish({ reason: TerminationReason.NormalClose, remote: true, error: err }, 'destroy');
  };

  private readonly onEnd = (): void => {
    if (this.state === 'handshake' || this.state === 'established') {
      this.finish({ reason: TerminationReason.NormalClose, remote: true }, 'end');
    }
  };

  private readonly onSocketClose = (): void => {
    this.finish(this.closeInfo ?? { reason: TerminationReason.NormalClose, remote: true }, 'none');
  };

  private readonly onDrain = (): void => {
    if (this.needDrain && this.state === 'established' && this.socket.writableLength < this.highWaterMark) {
      this.needDrain = false;
      this.emit('drain');
    }
  };

  private onHandshakeTimeout(): void {
    if (this.state !== 'handshake') return;
    this.finish(
      {
        reason: TerminationReason.IntraFrameReadTimeout,
        remote: false,
        error: new ParseError('HANDSHAKE_TIMEOUT', 'NTCP2/handshake', -1, 'handshake timed out'),
      },
      'reset',
    );
  }

  private clearTimers(): void {
    if (this.handshakeTimer) clearTimeout(this.handshakeTimer);
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.handshakeTimer = this.idleTimer = undefined;
  }

  /**
   * Close once: 'end' flushes what was written and sends FIN (destroying after a 2 s grace), 'reset' is an
   * abnormal close (TCP RST, as the spec asks for handshake failures), 'destroy' just destroys, 'none' is for
   * a socket already closed. Emits 'close' exactly once, when the socket has closed.
   */
  private finish(info: SessionCloseInfo, how: 'end' | 'reset' | 'destroy' | 'none'): void {
    if (this.state === 'closed') return;
    if (this.state === 'closing' && how === 'end') return;
    if (this.state === 'handshake' && !info.handshake) {
      // Every close before establishment reports a handshake failure (timeout, peer closed, socket error).
      const error =
        info.error instanceof ParseError || info.error instanceof CryptoError
          ? info.error
          : new ParseError('CLOSED_DURING_HANDSHAKE', 'NTCP2/handshake', -1, info.error?.message ?? 'connection closed during handshake');
      info = {
        ...info,
        error: info.error ?? error,
        handshake: { reason: info.reason as HandshakeFailure['reason'], error, ban: false, probingResistance: false },
      };
    }
    if (this.state !== 'closing' || !this.closeInfo) this.closeInfo = info;
    this.clearTimers();
    this.encoder?.wipe();
    if (how === 'none' || this.socket.destroyed) {
      if (this.graceTimer) clearTimeout(this.graceTimer);
      this.state = 'closed';
      this.socket.off('data', this.onData);
      this.emit('close', this.closeInfo);
      return;
    }
    this.state = 'closing';
    if (how === 'end') {
      this.socket.end();
      if (!this.graceTimer) this.graceTimer = setTimeout(() => this.socket.destroy(), 2000).unref();
    } else if (how === 'reset') {
      if (this.graceTimer) clearTimeout(this.graceTimer);
      if (typeof this.socket.resetAndDestroy === 'function' && this.socket.readyState !== 'opening') this.socket.resetAndDestroy();
      else this.socket.destroy();
    } else {
      this.socket.destroy();
    }
  }
}

export interface ConnectOptions extends InitiatorOptions, SessionOptions {
  host: string;
  port: number;
  signal?: AbortSignal;
  /** TCP connect timeout (ms). Default 5 000 (i2pd NTCP2_CONNECT_TIMEOUT). */
  connectTimeoutMs?: number;
  /** Local address to bind before connecting. */
  localAddress?: string;
}

/**
 * Dial Bob and run the handshake; resolves with the established session, rejects with the failure
 * (ParseError / CryptoError from the handshake, a socket error, a timeout or the abort reason).
 */
export function connectNtcp2(opts: ConnectOptions): Promise<Ntcp2Session> {
  return new Promise((resolve, reject) => {
    if (opts.signal?.aborted) {
      reject(opts.signal.reason);
      return;
    }
    const socket = netConnect({ host: opts.host, port: opts.port, ...(opts.localAddress ? { localAddress: opts.localAddress } : {}) });
    const session = new Ntcp2Session(socket, new Ntcp2Initiator(opts), opts);
    const connectTimer = setTimeout(() => {
      if (socket.connecting) session.destroy(new ParseError('CONNECT_TIMEOUT', 'NTCP2/connect', -1, 'connect timed out'));
    }, opts.connectTimeoutMs ?? 5000).unref();
    const onAbort = (): void => session.destroy(opts.signal!.reason instanceof Error ? opts.signal!.reason : new Error('aborted'));
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    const done = (): void => {
      clearTimeout(connectTimer);
      opts.signal?.removeEventListener('abort', onAbort);
      session.off('established', onEstablished);
      session.off('close', onClose);
    };
    const onEstablished = (): void => {
      done();
      resolve(session);
    };
    const onClose = (info: SessionCloseInfo): void => {
      done();
      reject(info.error ?? new ParseError('CLOSED', 'NTCP2/handshake', -1, `closed during handshake (reason ${info.reason})`));
    };
    session.on('established', onEstablished);
    session.on('close', onClose);
  });
}
