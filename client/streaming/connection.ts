/**
 * One streaming connection, as a Node Duplex with backpressure.
 *
 * Spec: ../shared/specs/spec/streaming.rst ("Packet Format", "Flags and Option Data Fields") and
 * ../shared/specs/docs/api-streaming.html ("Setup", "MTU Selection and Negotiation", "Optional Delay",
 * "Transmit/Receive Windows and Choking", "Congestion Control", "Close", "Other Parameters").
 * Behaviour follows i2pd 2.45.1 libi2pd/Streaming.cpp (Stream::*), which is what the network runs:
 *
 * - SYN: sendStreamId 0, our random receiveStreamId, seq 0, NO_ACK, FROM + MAX_PACKET_SIZE + signature
 *   (+ OFFLINE_SIGNATURE with offline keys), resendDelay = RTO/1000. The SYN reply is sent as soon as the
 *   SYN is processed, flags SYN|FROM|SIG|MAXPS, ackThrough 0. Both sit in the resend queue until acked;
 *   a duplicate SYN re-sends the SYN reply at once (i2pd waits for its resend timer).
 * - Data: flags 0, no options, ackThrough = last in-order seq. Plain ACKs (seq 0, not SYN) carry NACKs
 *   for the holes below the highest seq received (at most 255), are sent after min(RTT/10, ackDelay)
 *   (at least 2 ms) for in-order data and at once for a hole or a duplicate, and are never acked.
 * - Window in packets: starts at 1, +1 per ACKed packet up to 6 (slow start), then +1 per RTT up to 128
 *   (congestion avoidance); halved (min 1) on the first resend timeout (i2pd ProcessAck/HandleResendTimer).
 * - Resend timer at RTO, packets older than RTO resent, RTO doubled each time; after `maxResends`
 *   timeouts without any ACK (i2pd MAX_NUM_RESEND_ATTEMPTS = 6) the connection fails with ETIMEDOUT.
 * - CLOSE (signed, sequenced, resent until acked) once the write side has ended and all data is queued;
 *   a received CLOSE ends the readable side (half-close; with allowHalfOpen false, the default, our own
 *   CLOSE follows). RESET (signed) aborts at once in either direction.
 *
 * Deviations (deliberate, all compatible on the wire):
 * - RTT/RTO: RFC 6298 (alpha 1/8, beta 1/4, K 4, Karn's rule) bounded to [100 ms, 45 s] with initial RTO
 *   9 s, the values api-streaming.html lists. i2pd 2.45.1 uses a running mean and RTO = 1.5 RTT, unbounded.
 * - Fast retransmit: a packet NACKed twice is resent at once (spec: "Two NACKs of a packet is a request
 *   for a 'fast retransmit'"); i2pd 2.45.1 ignores NACKs beyond not freeing the packet.
 * - Choking: when the receive buffer passes half its bound, ACKs carry DELAY_REQUESTED 60001 ("choke"),
 *   and 0 once the reader has drained it below a quarter; a packet that does not fit the bound is dropped
 *   unacked. A choked sender keeps at most one packet in flight (a probe) and resend timeouts while choked
 *   do not count towards `maxResends`. i2pd 2.45.1 neither sends nor honours choke.
 * - A RESET is acted on whatever its sequence number (after its signature verifies); i2pd processes it
 *   only in sequence. CLOSE and RESET without a valid signature are dropped (i2pd closes the stream on a
 *   bad signature, which lets anyone who guesses a stream id close it).
 * - We send a RESET when the connection is destroyed before a clean close (i2pd 2.45.1 never sends one).
 * - Data is sent only once the peer's stream id is known (as i2pd); data in the SYN is not sent.
 */
import { Duplex } from 'node:stream';
import type { Destination } from '../../data/identity.js';
import { equalBytes } from '../../data/bytes.js';
import { sigTypeInfo } from '../../data/key-types.js';
import { Timer, realClock, type StreamingClock } from './clock.js';
import {
  DELAY_CHOKE,
  MAX_DELAY_UNCHOKED,
  MIN_MTU,
  PacketFlag,
  STREAMING_MTU,
  STREAMING_MTU_RATCHETS,
  type PacketVerifier,
  type ParsedPacket,
  type StreamPacket,
  type StreamingSigner,
  hasFlag,
  nacksFromHash,
  serializePacket,
  signPacket,
  verifierFor,
  verifyPacket,
} from './packet.js';

export interface StreamingConfig {
  /** Our maximum payload size, sent in the SYN (i2pd: 1812 over ECIES-ratchet sessions, 1730 otherwise). */
  mtu: number;
  initialWindow: number;
  /** Window size where slow start ends (i2pd WINDOW_SIZE). */
  slowStartThreshold: number;
  maxWindow: number;
  initialRto: number;
  minRto: number;
  maxRto: number;
  /** Resend timeouts in a row without an ACK before the connection fails. */
  maxResends: number;
  /** Upper bound of the delay before ACKing in-order data (i2p.streaming.initialAckDelay, i2pd default 200). */
  ackDelay: number;
  /** Bytes written but not yet packetized before write() returns false (i2p.streaming.bufferSize). */
  sendBufferSize: number;
  /** Bytes received but not yet read, in-order and out-of-order together. */
  receiveBufferSize: number;
  /** Idle time before a keepalive ACK (i2p.streaming.inactivityTimeout, action "send"); 0 disables. */
  inactivityTimeout: number;
  /** Put the target's hash in the SYN's NACKs (replay prevention, 0.9.58). */
  synReplayHash: boolean;
  /** How long a closed connection stays to answer retransmitted CLOSEs. */
  linger: number;
}

export const DEFAULT_CONFIG: Readonly<StreamingConfig> = Object.freeze({
  mtu: STREAMING_MTU_RATCHETS,
  initialWindow: 1,
  slowStartThreshold: 6,
  maxWindow: 128,
  initialRto: 9000,
  minRto: 100,
  maxRto: 45000,
  maxResends: 6,
  ackDelay: 200,
  sendBufferSize: 64 * 1024,
  receiveBufferSize: STREAMING_MTU_RATCHETS * (128 + 2),
  inactivityTimeout: 90_000,
  synReplayHash: true,
  linger: 10_000,
});

/** Largest reordering distance accepted beyond the last in-order packet. */
const MAX_REORDER_SPAN = 512;

export type ConnectionState = 'syn-sent' | 'open' | 'closed' | 'reset';

export interface ConnectionOptions {
  local: StreamingSigner;
  remote: Destination;
  /** True for an outgoing connection (we send the SYN). */
  initiator: boolean;
  /** Our stream id (nonzero). */
  recvStreamId: number;
  /** Sends one packet to the remote destination. */
  output: (packet: Uint8Array) => void;
  clock?: StreamingClock | undefined;
  config?: Partial<StreamingConfig> | undefined;
  allowHalfOpen?: boolean | undefined;
  /** Called once when the connection is finished with (closed, reset, failed or destroyed). */
  onTerminated?: ((c: Connection) => void) | undefined;
}

interface Sent {
  readonly seq: number;
  readonly bytes: Uint8Array;
  readonly payloadLength: number;
  readonly fin: boolean;
  sentAt: number;
  retransmitted: boolean;
  nacks: number;
}

interface Held {
  readonly seq: number;
  readonly flags: number;
  readonly payload: Uint8Array;
  readonly maxPacketSize: number | undefined;
}

export interface ConnectionStats {
  packetsSent: number;
  packetsResent: number;
  packetsReceived: number;
  duplicatesReceived: number;
  droppedBadSignature: number;
  droppedBufferFull: number;
  bytesSent: number;
  bytesReceived: number;
}

export class StreamError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'StreamError';
    this.code = code;
  }
}

export class Connection extends Duplex {
  readonly recvStreamId: number;
  readonly remote: Destination;
  readonly initiator: boolean;
  readonly config: Readonly<StreamingConfig>;
  readonly stats: ConnectionStats = {
    packetsSent: 0,
    packetsResent: 0,
    packetsReceived: 0,
    duplicatesReceived: 0,
    droppedBadSignature: 0,
    droppedBufferFull: 0,
    bytesSent: 0,
    bytesReceived: 0,
  };

  #sendStreamId = 0;
  #state: ConnectionState;
  #local: StreamingSigner;
  #output: (packet: Uint8Array) => void;
  #clock: StreamingClock;
  #onTerminated: ((c: Connection) => void) | undefined;
  #verifier: PacketVerifier;
  #remoteMtu = STREAMING_MTU;
  #gotPeerSyn = false;

  // sending
  #nextSeq = 0;
  #unacked = new Map<number, Sent>(); // insertion order = seq order
  #window: number;
  #lastWindowIncrease = 0;
  #srtt = 0;
  #rttvar = 0;
  #rttSampled = false;
  #rto: number;
  #resendAttempts = 0;
  #sendQueue: Uint8Array[] = [];
  #sendQueued = 0;
  #writeCb: ((err?: Error | null) => void) | undefined;
  #finalCb: ((err?: Error | null) => void) | undefined;
  #finSeq = -1;
  #finBytes: Uint8Array | undefined;
  /** Both CLOSEs sent/received and all data ACKed; only our CLOSE awaits its ACK. */
  #finWait = false;
  #finAcked = false;
  #remoteChoked = false;

  // receiving
  #lastReceived = -1;
  #held = new Map<number, Held>();
  #heldBytes = 0;
  #readQueue: Uint8Array[] = [];
  #readQueued = 0;
  #wantRead = false;
  #remoteFin = false;
  #readEnded = false;
  #choking = false;
  /** Highest ackThrough we have sent. */
  #lastAckSent = -1;

  #resendTimer: Timer;
  #ackTimer: Timer;
  #inactivityTimer: Timer;
  #lingerTimer: Timer;
  #terminated = false;

  constructor(o: ConnectionOptions) {
    super({ allowHalfOpen: o.allowHalfOpen ?? false, emitClose: true, autoDestroy: true });
    if (!Number.isInteger(o.recvStreamId) || o.recvStreamId <= 0 || o.recvStreamId > 0xffffffff) throw new RangeError('recvStreamId must be a nonzero u32');
    this.recvStreamId = o.recvStreamId;
    this.remote = o.remote;
    this.initiator = o.initiator;
    this.#local = o.local;
    this.#output = o.output;
    this.#clock = o.clock ?? realClock;
    this.#onTerminated = o.onTerminated;
    const config = { ...DEFAULT_CONFIG, ...o.config };
    if (!o.config?.receiveBufferSize) config.receiveBufferSize = config.mtu * (config.maxWindow + 2);
    this.config = Object.freeze(config);
    this.#verifier = { sigType: o.remote.sigType, publicKey: o.remote.signingPublicKey };
    this.#state = o.initiator ? 'syn-sent' : 'open';
    this.#window = config.initialWindow;
    this.#rto = config.initialRto;
    this.#resendTimer = new Timer(this.#clock, () => this.#onResendTimer());
    this.#ackTimer = new Timer(this.#clock, () => this.#sendAck());
    this.#inactivityTimer = new Timer(this.#clock, () => this.#onInactivity());
    this.#lingerTimer = new Timer(this.#clock, () => this.#terminate());
  }

  // ---- introspection ----

  get state(): ConnectionState {
    return this.#state;
  }
  get sendStreamId(): number {
    return this.#sendStreamId;
  }
  get windowSize(): number {
    return this.#window;
  }
  get rto(): number {
    return this.#rto;
  }
  get rtt(): number {
    return this.#rttSampled ? this.#srtt : 0;
  }
  get inFlight(): number {
    return this.#unacked.size;
  }
  /** Signature length of the peer's packets (for parsing CLOSE/RESET without FROM). */
  get remoteSignatureLength(): number {
    return sigTypeInfo(this.#verifier.sigType)?.signatureLength ?? 0;
  }
  /** Effective payload size we send: the smaller of both MTUs. */
  get mtu(): number {
    return Math.min(this.config.mtu, this.#remoteMtu);
  }

  // ---- driving ----

  /** Outgoing: send the SYN. */
  start(): void {
    if (!this.initiator || this.#nextSeq !== 0) throw new Error('start() is for a new outgoing connection');
    const flags = PacketFlag.SYNCHRONIZE | PacketFlag.FROM_INCLUDED | PacketFlag.MAX_PACKET_SIZE_INCLUDED | PacketFlag.NO_ACK;
    const bytes = signPacket(
      {
        sendStreamId: 0,
        receiveStreamId: this.recvStreamId,
        sequenceNum: 0,
        ackThrough: 0,
        nacks: this.config.synReplayHash ? nacksFromHash(this.remote.hash) : [],
        resendDelay: this.#resendDelayField(),
        flags,
        from: this.#local.destination,
        maxPacketSize: this.config.mtu,
        payload: new Uint8Array(0),
      },
      this.#local,
    );
    this.#nextSeq = 1;
    this.#transmit({ seq: 0, bytes, payloadLength: 0, fin: false, sentAt: 0, retransmitted: false, nacks: 0 });
    this.#touch();
  }

  /**
   * Feed a packet for this connection. The manager has routed it here and, for a SYN opening an incoming
   * connection, has verified its signature and FROM already (`preverified`).
   */
  handlePacket(p: ParsedPacket, preverified = false): void {
    if (this.#terminated) return;
    this.stats.packetsReceived++;
    if (this.#state === 'closed' || this.#state === 'reset') {
      // lingering: re-ACK retransmitted packets and repeat our CLOSE so the peer can finish
      if (this.#state === 'closed' && p.sequenceNum > 0 && p.sequenceNum <= this.#lastReceived) {
        this.#sendAck();
        if (this.#finBytes) this.#send(this.#finBytes);
      }
      return;
    }
    this.#touch();
    const syn = hasFlag(p, PacketFlag.SYNCHRONIZE);
    if (preverified) {
      // the manager verified this SYN; remember a transient key for later CLOSE/RESET
      if (p.from) this.#verifier = verifierFor(p.from, p.offlineSignature, this.#clock.now()) ?? this.#verifier;
    } else if (!this.#checkSignature(p)) {
      this.stats.droppedBadSignature++;
      return;
    }
    if (hasFlag(p, PacketFlag.RESET)) {
      this.#fail(new StreamError('ECONNRESET', 'stream reset by peer'), false);
      return;
    }
    if (!this.#sendStreamId && p.receiveStreamId) this.#sendStreamId = p.receiveStreamId;
    if (hasFlag(p, PacketFlag.DELAY_REQUESTED) && p.delay !== undefined) {
      const choked = p.delay > MAX_DELAY_UNCHOKED;
      if (this.#remoteChoked && !choked) {
        this.#remoteChoked = false;
        this.#trySend();
      } else this.#remoteChoked = choked;
    }
    if (!hasFlag(p, PacketFlag.NO_ACK)) this.#processAck(p.ackThrough, p.nacks);
    if (this.#terminated || this.#state !== 'open' && this.#state !== 'syn-sent') return;

    const seq = p.sequenceNum;
    if (seq === 0 && !syn) {
      this.#maybeFinish();
      return; // plain ACK
    }
    if (seq === this.#lastReceived + 1) {
      if (!this.#accept({ seq, flags: p.flags, payload: p.payload, maxPacketSize: p.maxPacketSize })) return;
      for (;;) {
        const next = this.#held.get(this.#lastReceived + 1);
        if (!next) break;
        this.#held.delete(next.seq);
        this.#heldBytes -= next.payload.length;
        if (!this.#accept(next)) break;
      }
      if (this.#held.size > 0) this.#sendAck();
      else if (this.#remoteFin) this.#sendAck();
      else if (this.#lastReceived > this.#lastAckSent) this.#ackTimer.ensure(this.#ackTimeout());
    } else if (seq <= this.#lastReceived) {
      this.stats.duplicatesReceived++;
      if (syn && !this.initiator && this.#unacked.has(0)) this.#retransmit(this.#unacked.get(0)!);
      else this.#sendAck();
    } else {
      if (seq - this.#lastReceived <= MAX_REORDER_SPAN && !this.#held.has(seq)) {
        if (this.#buffered() + p.payload.length <= this.config.receiveBufferSize) {
          const payload = Uint8Array.prototype.slice.call(p.payload) as Uint8Array;
          this.#held.set(seq, { seq, flags: p.flags, payload, maxPacketSize: p.maxPacketSize });
          this.#heldBytes += payload.length;
        } else {
          this.stats.droppedBufferFull++;
          this.#choking = true;
        }
      }
      if (this.#lastReceived >= 0) this.#sendAck();
    }
    this.#maybeFinish();
  }

  // ---- receive side ----

  #buffered(): number {
    return this.#readQueued + this.#heldBytes;
  }

  /** Deliver an in-order packet; false when it did not fit (dropped unacked). */
  #accept(h: Held): boolean {
    const syn = (h.flags & PacketFlag.SYNCHRONIZE) !== 0;
    if (h.payload.length > 0 && this.#buffered() + h.payload.length > this.config.receiveBufferSize) {
      this.stats.droppedBufferFull++;
      this.#choking = true;
      this.#sendAck();
      return false;
    }
    this.#lastReceived = h.seq;
    if (syn) {
      this.#gotPeerSyn = true;
      if (h.maxPacketSize !== undefined) this.#remoteMtu = Math.max(MIN_MTU, h.maxPacketSize);
      if (this.initiator) {
        if (this.#state === 'syn-sent') {
          this.#state = 'open';
          this.emit('connect');
        }
      } else if (this.#nextSeq === 0) this.#sendSynReply();
    }
    if (h.payload.length > 0) {
      this.stats.bytesReceived += h.payload.length;
      const copy = Uint8Array.prototype.slice.call(h.payload) as Uint8Array;
      this.#readQueue.push(copy);
      this.#readQueued += copy.length;
      if (this.#readQueued > this.config.receiveBufferSize / 2) this.#choking = true;
    }
    if (h.flags & PacketFlag.CLOSE) this.#remoteFin = true;
    this.#flushRead();
    this.#trySend();
    return true;
  }

  #flushRead(): void {
    while (this.#wantRead && this.#readQueue.length > 0) {
      const chunk = this.#readQueue.shift()!;
      this.#readQueued -= chunk.length;
      this.#wantRead = this.push(chunk);
    }
    if (this.#remoteFin && this.#readQueue.length === 0 && !this.#readEnded) {
      this.#readEnded = true;
      this.push(null);
    }
    if (this.#choking && this.#buffered() < this.config.receiveBufferSize / 4) {
      this.#choking = false;
      if (this.#state === 'open') this.#sendAck(0);
    }
  }

  override _read(): void {
    this.#wantRead = true;
    this.#flushRead();
  }

  #ackTimeout(): number {
    const base = this.#rttSampled ? this.#srtt / 10 : this.config.ackDelay;
    return Math.max(2, Math.min(this.config.ackDelay, Math.round(base)));
  }

  /** Plain ACK with NACKs for the holes below the highest held packet (i2pd SendQuickAck). */
  #sendAck(delay?: number): void {
    this.#ackTimer.stop();
    if (this.#terminated || !this.#sendStreamId || this.#lastReceived < 0) return;
    let ackThrough = this.#lastReceived;
    const nacks: number[] = [];
    if (this.#held.size > 0) {
      const seqs = [...this.#held.keys()].sort((a, b) => a - b);
      let next = this.#lastReceived + 1;
      for (const s of seqs) {
        if (nacks.length + (s - next) > 255) break;
        for (let i = next; i < s; i++) nacks.push(i);
        ackThrough = s;
        next = s + 1;
      }
    }
    const d = delay ?? (this.#choking ? DELAY_CHOKE : undefined);
    this.#lastAckSent = Math.max(this.#lastAckSent, this.#lastReceived);
    const bytes = serializePacket({
      sendStreamId: this.#sendStreamId,
      receiveStreamId: this.recvStreamId,
      sequenceNum: 0,
      ackThrough,
      nacks,
      resendDelay: 0,
      flags: d !== undefined ? PacketFlag.DELAY_REQUESTED : 0,
      delay: d,
      payload: new Uint8Array(0),
    });
    this.#send(bytes);
  }

  // ---- send side ----

  #resendDelayField(): number {
    return Math.min(255, Math.floor(this.#rto / 1000));
  }

  #sendSynReply(): void {
    const bytes = signPacket(
      {
        sendStreamId: this.#sendStreamId,
        receiveStreamId: this.recvStreamId,
        sequenceNum: 0,
        ackThrough: this.#lastReceived,
        nacks: [],
        resendDelay: this.#resendDelayField(),
        flags: PacketFlag.SYNCHRONIZE | PacketFlag.FROM_INCLUDED | PacketFlag.MAX_PACKET_SIZE_INCLUDED,
        from: this.#local.destination,
        maxPacketSize: this.config.mtu,
        payload: new Uint8Array(0),
      },
      this.#local,
    );
    this.#nextSeq = 1;
    this.#lastAckSent = this.#lastReceived;
    this.#ackTimer.stop(); // the SYN reply ACKs the SYN
    this.#transmit({ seq: 0, bytes, payloadLength: 0, fin: false, sentAt: 0, retransmitted: false, nacks: 0 });
  }

  #dataPacket(seq: number, payload: Uint8Array): Uint8Array {
    const delay = this.#choking ? DELAY_CHOKE : undefined;
    this.#lastAckSent = Math.max(this.#lastAckSent, this.#lastReceived);
    return serializePacket({
      sendStreamId: this.#sendStreamId,
      receiveStreamId: this.recvStreamId,
      sequenceNum: seq,
      ackThrough: Math.max(0, this.#lastReceived),
      nacks: [],
      resendDelay: this.#resendDelayField(),
      flags: delay !== undefined ? PacketFlag.DELAY_REQUESTED : 0,
      delay,
      payload,
    });
  }

  #closePacket(seq: number): Uint8Array {
    this.#lastAckSent = Math.max(this.#lastAckSent, this.#lastReceived);
    return signPacket(
      {
        sendStreamId: this.#sendStreamId,
        receiveStreamId: this.recvStreamId,
        sequenceNum: seq,
        ackThrough: Math.max(0, this.#lastReceived),
        nacks: [],
        resendDelay: 0,
        flags: PacketFlag.CLOSE,
        payload: new Uint8Array(0),
      },
      this.#local,
    );
  }

  #send(bytes: Uint8Array): void {
    this.stats.packetsSent++;
    try {
      this.#output(bytes);
    } catch {
      // the handle is best-effort like I2NP; losses are recovered by resends
    }
  }

  #transmit(s: Sent): void {
    s.sentAt = this.#clock.now();
    this.#unacked.set(s.seq, s);
    this.stats.bytesSent += s.payloadLength;
    this.#send(s.bytes);
    this.#resendTimer.ensure(this.#rto);
  }

  #retransmit(s: Sent): void {
    s.sentAt = this.#clock.now();
    s.retransmitted = true;
    s.nacks = 0;
    this.stats.packetsResent++;
    this.#send(s.bytes);
  }

  #effectiveWindow(): number {
    return this.#remoteChoked ? 1 : this.#window;
  }

  #trySend(): void {
    if (this.#terminated || this.#state !== 'open' || !this.#sendStreamId || !this.#gotPeerSyn) return;
    const mtu = this.mtu;
    let sentData = false;
    while (this.#sendQueued > 0 && this.#unacked.size < this.#effectiveWindow()) {
      const n = Math.min(mtu, this.#sendQueued);
      const payload = this.#takeSendBytes(n);
      const seq = this.#nextSeq++;
      this.#transmit({ seq, bytes: this.#dataPacket(seq, payload), payloadLength: n, fin: false, sentAt: 0, retransmitted: false, nacks: 0 });
      sentData = true;
    }
    if (sentData && this.#held.size === 0) this.#ackTimer.stop(); // the data carried the ACK
    if (this.#finalCb && this.#finSeq < 0 && this.#sendQueued === 0 && this.#unacked.size < Math.max(1, this.#effectiveWindow())) {
      const seq = this.#nextSeq++;
      this.#finSeq = seq;
      this.#finBytes = this.#closePacket(seq);
      this.#transmit({ seq, bytes: this.#finBytes, payloadLength: 0, fin: true, sentAt: 0, retransmitted: false, nacks: 0 });
      if (this.#held.size === 0) this.#ackTimer.stop();
    }
    this.#releaseWriter();
  }

  #takeSendBytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    let o = 0;
    while (o < n) {
      const head = this.#sendQueue[0]!;
      const take = Math.min(head.length, n - o);
      out.set(head.subarray(0, take), o);
      o += take;
      if (take === head.length) this.#sendQueue.shift();
      else this.#sendQueue[0] = head.subarray(take);
    }
    this.#sendQueued -= n;
    return out;
  }

  #releaseWriter(): void {
    if (this.#writeCb && this.#sendQueued < this.config.sendBufferSize) {
      const cb = this.#writeCb;
      this.#writeCb = undefined;
      cb();
    }
  }

  override _write(chunk: Buffer | Uint8Array, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    if (this.#state === 'reset' || this.#terminated) {
      cb(new StreamError('EPIPE', 'stream is not writable'));
      return;
    }
    if (chunk.length > 0) {
      this.#sendQueue.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length).slice());
      this.#sendQueued += chunk.length;
    }
    this.#writeCb = cb;
    this.#trySend();
  }

  override _final(cb: (err?: Error | null) => void): void {
    if (this.#state === 'reset' || this.#terminated) {
      cb(new StreamError('EPIPE', 'stream is not writable'));
      return;
    }
    this.#finalCb = cb;
    this.#trySend();
    this.#maybeFinish();
  }

  #processAck(ackThrough: number, nacks: readonly number[]): void {
    if (ackThrough >= this.#nextSeq) return; // acks something never sent: ignore (i2pd logs and ignores)
    const now = this.#clock.now();
    const nacked = nacks.length > 0 ? new Set(nacks) : undefined;
    let acked = false;
    for (const s of this.#unacked.values()) {
      if (s.seq > ackThrough) break;
      if (nacked?.has(s.seq)) {
        // fast retransmit on the second NACK, at most once per RTT
        if (++s.nacks >= 2 && this.#state === 'open' && now - s.sentAt >= (this.#rttSampled ? this.#srtt : this.#rto)) this.#retransmit(s);
        continue;
      }
      this.#unacked.delete(s.seq);
      acked = true;
      if (s.fin) this.#finAcked = true;
      if (!s.retransmitted) this.#rttSample(Math.max(1, now - s.sentAt));
      if (this.#window < this.config.slowStartThreshold) this.#window++;
      else if (now > this.#lastWindowIncrease + (this.#rttSampled ? this.#srtt : this.#rto)) {
        this.#window = Math.min(this.config.maxWindow, this.#window + 1);
        this.#lastWindowIncrease = now;
      }
    }
    if (acked) {
      this.#resendAttempts = 0;
      this.#resendTimer.stop();
      if (this.#unacked.size > 0) this.#resendTimer.start(this.#rto);
      this.#trySend();
    }
  }

  #rttSample(r: number): void {
    if (!this.#rttSampled) {
      this.#srtt = r;
      this.#rttvar = r / 2;
      this.#rttSampled = true;
    } else {
      this.#rttvar = 0.75 * this.#rttvar + 0.25 * Math.abs(this.#srtt - r);
      this.#srtt = 0.875 * this.#srtt + 0.125 * r;
    }
    this.#rto = Math.min(this.config.maxRto, Math.max(this.config.minRto, Math.round(this.#srtt + 4 * this.#rttvar)));
  }

  #onResendTimer(): void {
    if (this.#terminated || this.#unacked.size === 0) return;
    if (this.#finWait && this.#resendAttempts >= this.config.maxResends) {
      this.#enterClosed();
      return;
    }
    if (!this.#remoteChoked && this.#resendAttempts >= this.config.maxResends) {
      this.#fail(new StreamError('ETIMEDOUT', `no ACK after ${this.config.maxResends} resends`), true);
      return;
    }
    const now = this.#clock.now();
    let any = false;
    for (const s of this.#unacked.values()) {
      if (now >= s.sentAt + this.#rto) {
        this.#retransmit(s);
        any = true;
      }
    }
    if (any) {
      if (!this.#remoteChoked) {
        this.#resendAttempts++;
        if (this.#resendAttempts === 1) this.#window = Math.max(1, this.#window >> 1);
      }
      this.#rto = Math.min(this.config.maxRto, this.#rto * 2);
    }
    this.#resendTimer.start(any ? this.#rto : Math.max(1, this.#earliestDue() - now));
  }

  #earliestDue(): number {
    let t = Infinity;
    for (const s of this.#unacked.values()) t = Math.min(t, s.sentAt + this.#rto);
    return t;
  }

  // ---- signatures ----

  #checkSignature(p: ParsedPacket): boolean {
    const needs = hasFlag(p, PacketFlag.SYNCHRONIZE) || hasFlag(p, PacketFlag.CLOSE) || hasFlag(p, PacketFlag.RESET);
    if (!hasFlag(p, PacketFlag.SIGNATURE_INCLUDED)) return !needs;
    let v = this.#verifier;
    if (p.from) {
      if (!equalBytes(p.from.hash, this.remote.hash)) return false;
      const fv = verifierFor(p.from, p.offlineSignature, this.#clock.now());
      if (!fv) return false;
      v = fv;
    }
    if (!verifyPacket(p, v)) return false;
    if (p.from) this.#verifier = v;
    return true;
  }

  // ---- lifecycle ----

  #touch(): void {
    if (this.config.inactivityTimeout > 0) this.#inactivityTimer.start(this.config.inactivityTimeout);
  }

  #onInactivity(): void {
    if (this.#terminated || this.#state !== 'open') return;
    this.#sendAck();
    this.#touch();
  }

  /** Close complete when both CLOSEs are in and all our data is acknowledged. */
  #maybeFinish(): void {
    if (this.#terminated || this.#state !== 'open' || this.#finSeq < 0) return;
    for (const s of this.#unacked.values()) if (!s.fin) return;
    if (!(this.#finAcked || this.#remoteFin)) return;
    if (this.#finalCb) {
      const cb = this.#finalCb;
      this.#finalCb = undefined;
      cb();
    }
    if (!this.#remoteFin) return;
    if (!this.#finAcked) {
      // their CLOSE is in, ours is not acknowledged yet: keep resending it (the resend timer gives up
      // cleanly after maxResends — i2pd 2.45.1 terminates on the CLOSE exchange and never ACKs ours)
      this.#finWait = true;
      return;
    }
    this.#enterClosed();
  }

  #enterClosed(): void {
    // both sides have closed: ACK their CLOSE, stop resending ours, linger for retransmissions
    this.#finWait = false;
    this.#sendAck();
    this.#state = 'closed';
    this.#unacked.clear();
    this.#resendTimer.stop();
    this.#ackTimer.stop();
    this.#inactivityTimer.stop();
    this.#lingerTimer.start(this.config.linger);
    this.emit('closed');
  }

  #sendReset(): void {
    if (!this.#sendStreamId && !this.initiator) return;
    const bytes = signPacket(
      {
        sendStreamId: this.#sendStreamId,
        receiveStreamId: this.recvStreamId,
        sequenceNum: this.#nextSeq,
        ackThrough: Math.max(0, this.#lastReceived),
        nacks: [],
        resendDelay: 0,
        flags: PacketFlag.RESET | PacketFlag.FROM_INCLUDED,
        from: this.#local.destination,
        payload: new Uint8Array(0),
      },
      this.#local,
    );
    this.#send(bytes);
  }

  #fail(err: StreamError, sendReset: boolean): void {
    if (this.#terminated) return;
    if (this.#state === 'closed') {
      this.#terminate();
      return;
    }
    if (sendReset && this.#sendStreamId) this.#sendReset();
    this.#state = 'reset';
    this.#stopTimers();
    const cbs = [this.#writeCb, this.#finalCb];
    this.#writeCb = this.#finalCb = undefined;
    for (const cb of cbs) cb?.(err);
    this.destroy(err);
  }

  /** Abort with a RESET to the peer (like socket.resetAndDestroy()). */
  reset(): void {
    this.#fail(new StreamError('ERR_STREAM_RESET', 'stream reset locally'), true);
  }

  #stopTimers(): void {
    this.#resendTimer.stop();
    this.#ackTimer.stop();
    this.#inactivityTimer.stop();
  }

  #terminate(): void {
    if (this.#terminated) return;
    this.#terminated = true;
    this.#stopTimers();
    this.#lingerTimer.stop();
    this.#unacked.clear();
    this.#held.clear();
    this.#heldBytes = 0;
    this.#onTerminated?.(this);
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    if (this.#state === 'closed' || (this.#finWait && !err)) {
      // clean close: stay for `linger` to answer retransmitted CLOSEs (the linger timer terminates)
      cb(err);
      return;
    }
    if (this.#state !== 'reset') {
      this.#sendReset();
      this.#state = 'reset';
    }
    const pending = [this.#writeCb, this.#finalCb];
    this.#writeCb = this.#finalCb = undefined;
    for (const c of pending) c?.(err ?? new StreamError('ERR_STREAM_DESTROYED', 'stream destroyed'));
    this.#readQueue = [];
    this.#readQueued = 0;
    this.#terminate();
    cb(err);
  }
}
