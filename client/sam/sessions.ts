/**
 * SAM sessions: the bridge-wide table of session IDs (subsessions included), the local destination behind
 * each, and the routing of what arrives at a destination — streams, repliable datagrams, raw datagrams — to
 * the session, or for a PRIMARY session to the subsession whose style, LISTEN_PORT and LISTEN_PROTOCOL match.
 *
 * Spec: ../shared/specs/docs/api-samv3.html ("SAM Sessions", "SAM Virtual Streams : ACCEPT / FORWARD",
 * "SAM Repliable Datagrams : Receiving a Datagram", "Forwarding Raw or Repliable Datagrams",
 * "SAM PRIMARY Sessions (V3.3 and higher)"). i2pd 2.45.1 SAM.cpp (SAMBridge::CreateSession / CloseSession /
 * FindSession, SAMSubSession, HandleI2PAccept, HandleI2PDatagramReceive / HandleI2PRawDatagramReceive) and
 * its streaming destination's pending-incoming backlog (Streaming.h MAX_PENDING_INCOMING_BACKLOG 128,
 * PENDING_INCOMING_TIMEOUT 10 s).
 *
 * Choices and deviations, written down:
 *   - Session IDs are unique across the bridge, subsessions included (spec). Every table is bounded: sessions
 *     (`maxSessions`), subsessions per primary, pending ACCEPTs per session, the backlog of incoming streams
 *     waiting for an ACCEPT (`backlog`, each dropped after `backlogTimeoutMs`).
 *   - A stream that arrives for a session with neither a FORWARD nor a pending ACCEPT waits in the backlog
 *     (i2pd/Java behaviour); a datagram for a session with no matching (sub)session is dropped and counted.
 *   - Subsessions of style DATAGRAM and RAW are implemented (i2pd 2.45.1 has STREAM only). Raw datagrams
 *     arrive with protocol 18 only (client/destination.ts hands nothing else up), so LISTEN_PROTOCOL other
 *     than 0 or 18 is accepted but never matches.
 */
import type { Logger } from 'pino';
import type { ClientDestination, DatagramInfo } from '../destination.js';
import type { Connection } from '../streaming/connection.js';
import type { StreamPorts } from '../streaming/manager.js';
import type { SamVersion } from './protocol.js';

export type SessionStyle = 'STREAM' | 'DATAGRAM' | 'RAW' | 'PRIMARY';

/** What the bridge gets from the router for each session (router/services.ts LocalDestination fits). */
export interface SamLocalDestination {
  readonly name: string;
  readonly destination: ClientDestination;
  readonly pool: { inbound(): readonly unknown[]; outbound(): readonly unknown[] };
}

/** A socket tied to a session (its control socket, acceptors, forwarders, streams): killed with it. */
export interface SessionMember {
  /** End the socket; `message` is sent first as STREAM STATUS I2P_ERROR where the protocol allows. */
  kill(message?: string): void;
}

/** The control socket of a session: received datagrams are written to it when they are not forwarded. */
export interface ControlSocket extends SessionMember {
  /** Write unless too much is queued already; false when dropped. */
  send(parts: readonly Uint8Array[]): boolean;
}

/** A pending STREAM ACCEPT. */
export interface Acceptor {
  readonly member: SessionMember;
  deliver(conn: Connection, ports: StreamPorts): void;
}

/** An active STREAM FORWARD. */
export interface Forwarder {
  readonly member: SessionMember;
  deliver(conn: Connection, ports: StreamPorts): void;
}

/** Where received datagrams go: a UDP endpoint, or the control socket (v1/v2 style). */
export interface DatagramSink {
  datagram(s: SamSession, payload: Uint8Array, info: DatagramInfo): void;
  raw(s: SamSession, payload: Uint8Array, info: DatagramInfo): void;
}

export interface SessionOptions {
  fromPort: number;
  toPort: number;
  /** RAW: protocol of what we send (default 18). */
  protocol: number;
  listenPort: number;
  listenProtocol: number;
  /** RAW forwarded via UDP: prepend `FROM_PORT=… TO_PORT=… PROTOCOL=…\n`. */
  header: boolean;
  /** UDP forwarding target for DATAGRAM/RAW; undefined: to the control socket. */
  udp: { host: string; port: number } | undefined;
}

export interface SessionLimits {
  maxSessions: number;
  maxSubsessions: number;
  maxAccepts: number;
  backlog: number;
  backlogTimeoutMs: number;
}

export const DEFAULT_SESSION_LIMITS: SessionLimits = {
  maxSessions: 64,
  maxSubsessions: 16,
  maxAccepts: 64,
  backlog: 32,
  backlogTimeoutMs: 10_000,
};

interface Waiting {
  conn: Connection;
  ports: StreamPorts;
  timer: NodeJS.Timeout;
}

export class SamSession {
  readonly id: string;
  readonly style: SessionStyle;
  readonly local: SamLocalDestination;
  /** The PRIMARY this is a subsession of. */
  readonly primary: SamSession | undefined;
  /** The socket that created it: DATAGRAM RECEIVED lines go there; its close closes the session. */
  readonly control: ControlSocket;
  /** The control socket's negotiated version (ports in headers from 3.2 on). */
  readonly version: SamVersion;
  readonly opts: SessionOptions;
  readonly subsessions = new Map<string, SamSession>();
  readonly members = new Set<SessionMember>();
  readonly acceptors: Acceptor[] = [];
  forwarder: Forwarder | undefined;
  readonly backlog: Waiting[] = [];
  closed = false;
  readonly stats = { streamsIn: 0, streamsDropped: 0, datagramsIn: 0, rawIn: 0, dropped: 0 };

  constructor(init: { id: string; style: SessionStyle; local: SamLocalDestination; primary?: SamSession; control: ControlSocket; version: SamVersion; opts: SessionOptions }) {
    this.id = init.id;
    this.style = init.style;
    this.local = init.local;
    this.primary = init.primary;
    this.control = init.control;
    this.version = init.version;
    this.opts = init.opts;
  }

  get destination(): ClientDestination {
    return this.local.destination;
  }
}

export class SessionError extends Error {
  readonly result: 'DUPLICATED_ID' | 'DUPLICATED_DEST' | 'INVALID_ID' | 'I2P_ERROR';
  constructor(result: SessionError['result'], message: string) {
    super(message);
    this.name = 'SessionError';
    this.result = result;
  }
}

/** i2pd IsAcceptableSessionName, plus no whitespace (spec) and a length bound. */
export function isAcceptableId(id: string): boolean {
  return id.length > 0 && id.length <= 256 && !/[<>"'/\s\\]/.test(id);
}

export class SessionTable {
  readonly #limits: SessionLimits;
  readonly #log: Logger | undefined;
  readonly #sink: DatagramSink;
  readonly #release: (l: SamLocalDestination) => void;
  /** Every ID in use, reserved ones included (value undefined while a SESSION CREATE builds tunnels). */
  readonly #ids = new Map<string, SamSession | undefined>();
  /** Destination hash (hex) → root session ID, reserved ones included. */
  readonly #dests = new Map<string, string>();
  readonly #unhook = new Map<SamSession, () => void>();

  constructor(o: { limits: SessionLimits; sink: DatagramSink; release: (l: SamLocalDestination) => void; logger?: Logger }) {
    this.#limits = o.limits;
    this.#sink = o.sink;
    this.#release = o.release;
    this.#log = o.logger;
  }

  get size(): number {
    return this.#ids.size;
  }

  get(id: string): SamSession | undefined {
    return this.#ids.get(id);
  }

  all(): SamSession[] {
    return [...this.#ids.values()].filter((s): s is SamSession => s !== undefined && !s.primary);
  }

  /** Hold an ID (and a destination hash) while the session is being built. Throws SessionError. */
  reserve(id: string, destHash: string): void {
    if (!isAcceptableId(id)) throw new SessionError('INVALID_ID', 'invalid session ID');
    if (this.#ids.has(id)) throw new SessionError('DUPLICATED_ID', `session ID ${id} is in use`);
    if (this.#dests.has(destHash)) throw new SessionError('DUPLICATED_DEST', 'this destination is in use by another session');
    if (this.#ids.size >= this.#limits.maxSessions) throw new SessionError('I2P_ERROR', `too many sessions (limit ${this.#limits.maxSessions})`);
    this.#ids.set(id, undefined);
    this.#dests.set(destHash, id);
  }

  unreserve(id: string, destHash: string): void {
    if (this.#ids.has(id) && this.#ids.get(id) === undefined) this.#ids.delete(id);
    if (this.#dests.get(destHash) === id) this.#dests.delete(destHash);
  }

  /** A reserved root session is ready: hook it to its destination. */
  activate(s: SamSession): void {
    this.#ids.set(s.id, s);
    const d = s.destination;
    const onStream = (conn: Connection, ports: StreamPorts) => this.#onStream(s, conn, ports);
    const onDatagram = (payload: Uint8Array, info: DatagramInfo) => this.#onDatagram(s, 'DATAGRAM', payload, info);
    const onRaw = (payload: Uint8Array, info: DatagramInfo) => this.#onDatagram(s, 'RAW', payload, info);
    // listening for 'stream' makes the destination accept SYNs; without a listener it answers them with RESET
    if (s.style === 'STREAM' || s.style === 'PRIMARY') d.on('stream', onStream);
    d.on('datagram', onDatagram);
    d.on('raw', onRaw);
    this.#unhook.set(s, () => {
      d.off('stream', onStream);
      d.off('datagram', onDatagram);
      d.off('raw', onRaw);
    });
  }

  /** SESSION ADD. Throws SessionError. */
  addSubsession(primary: SamSession, init: { id: string; style: Exclude<SessionStyle, 'PRIMARY'>; opts: SessionOptions }): SamSession {
    if (!isAcceptableId(init.id)) throw new SessionError('INVALID_ID', 'invalid session ID');
    if (this.#ids.has(init.id)) throw new SessionError('DUPLICATED_ID', `session ID ${init.id} is in use`);
    if (this.#ids.size >= this.#limits.maxSessions) throw new SessionError('I2P_ERROR', `too many sessions (limit ${this.#limits.maxSessions})`);
    if (primary.subsessions.size >= this.#limits.maxSubsessions) throw new SessionError('I2P_ERROR', `too many subsessions (limit ${this.#limits.maxSubsessions})`);
    for (const o of primary.subsessions.values()) {
      if (o.style === init.style && o.opts.listenPort === init.opts.listenPort && (init.style !== 'RAW' || o.opts.listenProtocol === init.opts.listenProtocol)) {
        throw new SessionError('I2P_ERROR', `subsession ${o.id} already listens on ${init.style} port ${init.opts.listenPort}`);
      }
    }
    const s = new SamSession({ id: init.id, style: init.style, local: primary.local, primary, control: primary.control, version: primary.version, opts: init.opts });
    primary.subsessions.set(s.id, s);
    this.#ids.set(s.id, s);
    return s;
  }

  /** Close a session (a root: its destination and subsessions too). Idempotent. */
  close(s: SamSession, reason = 'session closed'): void {
    if (s.closed) return;
    s.closed = true;
    if (this.#ids.get(s.id) === s) this.#ids.delete(s.id);
    for (const sub of [...s.subsessions.values()]) this.close(sub, reason);
    s.subsessions.clear();
    if (s.primary) s.primary.subsessions.delete(s.id);
    for (const a of s.acceptors.splice(0)) a.member.kill(reason);
    s.forwarder?.member.kill();
    s.forwarder = undefined;
    for (const w of s.backlog.splice(0)) {
      clearTimeout(w.timer);
      w.conn.destroy();
    }
    for (const m of [...s.members]) m.kill();
    s.members.clear();
    if (!s.primary) {
      this.#unhook.get(s)?.();
      this.#unhook.delete(s);
      const hash = Buffer.from(s.destination.hash).toString('hex');
      if (this.#dests.get(hash) === s.id) this.#dests.delete(hash);
      try {
        this.#release(s.local);
      } catch (e) {
        this.#log?.warn({ err: (e as Error).message }, 'SAM: releasing a destination failed');
      }
      s.control.kill();
    }
  }

  closeAll(): void {
    for (const s of this.all()) this.close(s, 'SAM bridge closing');
  }

  /** The (sub)session of `root` that takes traffic of this style to `toPort` (and protocol, for RAW). */
  route(root: SamSession, style: Exclude<SessionStyle, 'PRIMARY'>, toPort: number, protocol = 18): SamSession | undefined {
    if (root.closed) return undefined;
    if (root.style !== 'PRIMARY') return root.style === style ? root : undefined;
    let fallback: SamSession | undefined;
    for (const s of root.subsessions.values()) {
      if (s.style !== style) continue;
      const protoOk = style !== 'RAW' || s.opts.listenProtocol === 0 || s.opts.listenProtocol === protocol;
      if (!protoOk) continue;
      if (s.opts.listenPort === toPort && toPort !== 0) return s;
      if (s.opts.listenPort === 0 && (!fallback || fallback.opts.listenProtocol !== 0)) fallback = s;
    }
    return fallback;
  }

  // ---------------------------------------------------------------- incoming

  #onStream(root: SamSession, conn: Connection, ports: StreamPorts): void {
    const s = this.route(root, 'STREAM', ports.toPort);
    conn.on('error', () => undefined); // reported where the stream is spliced
    if (!s) {
      root.stats.streamsDropped++;
      conn.destroy();
      return;
    }
    s.stats.streamsIn++;
    this.offerStream(s, conn, ports);
  }

  /** Hand an incoming stream to the FORWARD, the oldest pending ACCEPT, or the backlog. */
  offerStream(s: SamSession, conn: Connection, ports: StreamPorts): void {
    if (s.forwarder) {
      s.forwarder.deliver(conn, ports);
      return;
    }
    const a = s.acceptors.shift();
    if (a) {
      a.deliver(conn, ports);
      return;
    }
    if (s.backlog.length >= this.#limits.backlog) {
      s.stats.streamsDropped++;
      conn.destroy();
      return;
    }
    const w: Waiting = {
      conn,
      ports,
      timer: setTimeout(() => {
        const i = s.backlog.indexOf(w);
        if (i >= 0) s.backlog.splice(i, 1);
        s.stats.streamsDropped++;
        conn.destroy();
      }, this.#limits.backlogTimeoutMs).unref(),
    };
    conn.once('close', () => {
      const i = s.backlog.indexOf(w);
      if (i >= 0) {
        s.backlog.splice(i, 1);
        clearTimeout(w.timer);
      }
    });
    s.backlog.push(w);
  }

  /** A stream from the backlog for a new ACCEPT, if one waits. */
  takeWaiting(s: SamSession): { conn: Connection; ports: StreamPorts } | undefined {
    const w = s.backlog.shift();
    if (!w) return undefined;
    clearTimeout(w.timer);
    return { conn: w.conn, ports: w.ports };
  }

  #onDatagram(root: SamSession, style: 'DATAGRAM' | 'RAW', payload: Uint8Array, info: DatagramInfo): void {
    const s = this.route(root, style, info.toPort);
    if (!s) {
      root.stats.dropped++;
      return;
    }
    if (style === 'DATAGRAM') {
      s.stats.datagramsIn++;
      this.#sink.datagram(s, payload, info);
    } else {
      s.stats.rawIn++;
      this.#sink.raw(s, payload, info);
    }
  }
}
