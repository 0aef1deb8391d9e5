/**
 * The SAM v3 bridge: the TCP control port (one state machine per client socket), sessions on local
 * destinations, streams spliced onto client sockets, datagrams through the UDP port.
 *
 * Spec: ../shared/specs/docs/api-samv3.html (read whole: handshake, sessions, STREAM CONNECT / ACCEPT /
 * FORWARD, datagrams, PRIMARY sessions, utility commands, RESULT values, timeouts).
 * Behaviour reference: i2pd 2.45.1 libi2pd_client/SAM.cpp / SAM.h (reply strings, which errors close the
 * socket, SESSION STATUS only once the destination is ready, the incoming stream's destination line),
 * Java I2P net.i2p.sam (SAMv3Handler: 3.2/3.3 features, PRIMARY sessions, QUIT/STOP/EXIT, PING/PONG).
 *
 * Choices and deviations, written down:
 *   - Versions 3.0 to 3.3 (protocol.ts); i2pd 2.45.1 stops at 3.1. Ports in ACCEPT/FORWARD destination lines
 *     and datagram headers only for 3.2 and later (spec).
 *   - Timeouts (spec: implementation dependent): no HELLO within `helloTimeoutMs` → HELLO REPLY I2P_ERROR and
 *     close; a socket that has said HELLO but holds nothing (no session, stream, ACCEPT or FORWARD) and sends
 *     no command for `idleTimeoutMs` → SESSION STATUS I2P_ERROR and close. i2pd has no HELLO timeout.
 *   - Errors on a socket that owns a session never close it (that would kill the session): SESSION ADD
 *     failures, a second SESSION CREATE, stream commands on the control socket get an error line only.
 *     Elsewhere i2pd's rule holds: failed SESSION CREATE, STREAM CONNECT/ACCEPT/FORWARD close the socket.
 *   - Unknown commands and unparseable lines get `SESSION STATUS RESULT=I2P_ERROR MESSAGE=…` and the socket
 *     stays open (i2pd closes without a word). A line over 8 KiB closes the socket with that error
 *     (it cannot be resynchronised); so does a DATAGRAM SEND / RAW SEND without a valid SIZE.
 *   - SESSION CREATE waits for the destination to be ready (a LeaseSet and an outbound tunnel, i2pd
 *     IsReady) for at most `sessionReadyTimeoutMs`, then answers I2P_ERROR (i2pd waits forever).
 *   - Tunnel options: inbound/outbound.length (0..8, default 3) and .quantity (1..16, default 5, i2pd's
 *     defaults), i2cp.dontPublishLeaseSet. Other options are accepted and ignored (clove's destinations
 *     always publish an ECIES-X25519 LeaseSet2, whatever i2cp.leaseSetEncType says).
 *   - STREAM FORWARD and datagram forwarding: HOST must be an IP address (or `localhost`); names are never
 *     resolved. Without HOST, the address of the client's control socket (spec; i2pd always uses it).
 *     SSL=true is refused. The forward target must accept within 3 s (spec).
 *   - DATAGRAM SEND / RAW SEND take an optional ID (spec: "may be added"); without it, the socket's own
 *     DATAGRAM/RAW session, or on a PRIMARY's control socket its most recent subsession of that style.
 *     They never reply (v1/v2); failures are dropped and counted.
 *   - SESSION ADD / REMOVE replies follow Java (`SESSION STATUS RESULT=OK ID="…" MESSAGE="…"`); a REMOVE of
 *     an unknown ID gives INVALID_ID (i2pd: INVALID_KEY).
 *   - QUIT, STOP, EXIT close the socket without a reply. AUTH and HELP are not implemented (I2P_ERROR).
 *   - Bounds: connections (`maxConnections`, over it: HELLO REPLY I2P_ERROR and close), sessions and their
 *     tables (sessions.ts), bytes buffered per control socket while a command runs (`maxQueuedBytes`, the
 *     socket is paused beyond it), bytes queued towards a client for datagrams (dropped beyond it).
 */
import { createServer, connect as netConnect, isIP, type Server, type Socket } from 'node:net';
import type { Logger } from 'pino';
import { systemRandom, type Random } from '../../crypto/random.js';
import { toBase64 } from '../../data/base64.js';
import type { Destination } from '../../data/identity.js';
import type { PrivateKeyFile } from '../../data/private-key-file.js';
import { splice } from '../../proxy/pipe.js';
import type { Connection } from '../streaming/connection.js';
import type { StreamPorts } from '../streaming/manager.js';
import { MAX_RAW_PAYLOAD, MAX_REPLIABLE_PAYLOAD, rawProtocolError, SamUdp, sendFromSession, SendError } from './datagrams.js';
import { decodePrivateKey, generateSamKeys, privateKeyToBase64, SamKeyError } from './keys.js';
import { namingLookup, NameError, resolveTarget, type LeaseSetLookup, type SamAddressBook } from './naming.js';
import {
  boolParam,
  formatCommand,
  hasPorts,
  intParam,
  LineBuffer,
  MAX_LINE_BYTES,
  negotiateVersion,
  oneLine,
  parseCommand,
  SamParseError,
  type SamCommand,
  type SamVersion,
} from './protocol.js';
import {
  DEFAULT_SESSION_LIMITS,
  SamSession,
  SessionError,
  SessionTable,
  type ControlSocket,
  type SamLocalDestination,
  type SessionLimits,
  type SessionOptions,
  type SessionStyle,
} from './sessions.js';

/** What SESSION CREATE asks the router for (router/services.ts DestinationSettings accepts it). */
export interface SamDestinationSettings {
  name: string;
  keys: PrivateKeyFile;
  inbound: { length: number; quantity: number };
  outbound: { length: number; quantity: number };
  isPublic: boolean;
}

export interface SamBridgeLimits extends SessionLimits {
  maxConnections: number;
  helloTimeoutMs: number;
  idleTimeoutMs: number;
  sessionReadyTimeoutMs: number;
  connectTimeoutMs: number;
  lookupTimeoutMs: number;
  forwardConnectTimeoutMs: number;
  maxQueuedBytes: number;
}

export const DEFAULT_SAM_LIMITS: SamBridgeLimits = {
  ...DEFAULT_SESSION_LIMITS,
  maxConnections: 256,
  helloTimeoutMs: 60_000,
  idleTimeoutMs: 60_000,
  sessionReadyTimeoutMs: 180_000,
  connectTimeoutMs: 90_000,
  lookupTimeoutMs: 45_000,
  forwardConnectTimeoutMs: 3_000,
  maxQueuedBytes: 1024 * 1024,
};

export interface SamBridgeOptions {
  /** Listen address, default 127.0.0.1. */
  host?: string;
  /** TCP port (0: any free port). */
  port: number;
  /** UDP port; default `port - 1` as i2pd 2.45.1 (0 when `port` is 0). */
  udpPort?: number;
  createDestination(settings: SamDestinationSettings): Promise<SamLocalDestination>;
  /** Stop a session's destination and forget it; default: stop the destination and its pool. */
  closeDestination?(local: SamLocalDestination): void;
  addressBook?: SamAddressBook;
  lookupLeaseSet?: LeaseSetLookup;
  logger?: Logger;
  random?: Random;
  limits?: Partial<SamBridgeLimits>;
}

export interface SamBridgeStats {
  connections: number;
  rejectedConnections: number;
  commands: number;
  errors: number;
  sessionsCreated: number;
  streamsConnected: number;
  streamsAccepted: number;
  streamsForwarded: number;
  datagramsSent: number;
  datagramsRejected: number;
}

export interface SamBridge {
  readonly host: string;
  readonly port: number;
  readonly udpPort: number;
  readonly stats: SamBridgeStats;
  readonly udpStats: SamUdp['stats'];
  /** Sessions open now (subsessions included). */
  sessionCount(): number;
  close(): Promise<void>;
}

type Mode = 'hello' | 'ready' | 'creating' | 'session' | 'connecting' | 'accepting' | 'forwarding' | 'stream' | 'closed';

interface Ctx {
  readonly o: SamBridgeOptions;
  readonly limits: SamBridgeLimits;
  readonly log: Logger | undefined;
  readonly random: Random;
  readonly sessions: SessionTable;
  readonly stats: SamBridgeStats;
  readonly conns: Set<SamConnection>;
  release(l: SamLocalDestination): void;
}

let destCounter = 0;

function isReady(l: SamLocalDestination): boolean {
  return l.destination.leaseSet() !== undefined && l.pool.inbound().length > 0 && l.pool.outbound().length > 0;
}

function waitReady(l: SamLocalDestination, signal: AbortSignal, timeoutMs: number): Promise<boolean> {
  if (isReady(l)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const finish = (v: boolean) => {
      clearInterval(poll);
      clearTimeout(limit);
      signal.removeEventListener('abort', onAbort);
      resolve(v);
    };
    const onAbort = () => finish(false);
    const poll = setInterval(() => isReady(l) && finish(true), 200).unref();
    const limit = setTimeout(() => finish(isReady(l)), timeoutMs).unref();
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** A HOST parameter → an IP address to dial (never a DNS name), or an error message. */
function forwardHost(host: string | undefined, sock: Socket): string | { error: string } {
  if (host === undefined || host === '') {
    const a = sock.remoteAddress;
    return a ? a.replace(/^::ffff:/, '') : { error: 'cannot tell the address of this socket' };
  }
  if (host.toLowerCase() === 'localhost') return '127.0.0.1';
  const h = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  return isIP(h) ? h : { error: 'HOST must be an IP address' };
}

function destLine(remote: Destination, ports: StreamPorts, v: SamVersion): string {
  return `${toBase64(remote.bytes)}${hasPorts(v) ? ` FROM_PORT=${ports.fromPort} TO_PORT=${ports.toPort}` : ''}\n`;
}

function streamErrorResult(e: unknown): { result: 'CANT_REACH_PEER' | 'TIMEOUT' | 'I2P_ERROR' | 'INVALID_KEY'; message: string } {
  const code = (e as { code?: string }).code;
  const msg = oneLine((e as Error).message ?? String(e));
  if (code === 'ENOTFOUND') return { result: 'CANT_REACH_PEER', message: 'LeaseSet not found' };
  if (code === 'ECONNREFUSED' || code === 'ECONNRESET' || code === 'ECONNABORTED') return { result: 'CANT_REACH_PEER', message: msg };
  if (code === 'ETIMEDOUT') return { result: 'TIMEOUT', message: 'connect timed out' };
  if (e instanceof TypeError) return { result: 'INVALID_KEY', message: msg };
  return { result: 'I2P_ERROR', message: msg };
}

const SESSION_STYLES: ReadonlyMap<string, SessionStyle> = new Map([
  ['STREAM', 'STREAM'],
  ['DATAGRAM', 'DATAGRAM'],
  ['RAW', 'RAW'],
  ['PRIMARY', 'PRIMARY'],
  ['MASTER', 'PRIMARY'],
]);

interface PendingSend {
  style: 'DATAGRAM' | 'RAW';
  session: SamSession | undefined;
  target: string;
  params: ReadonlyMap<string, string>;
  size: number;
}

class SamConnection implements ControlSocket {
  readonly #c: Ctx;
  readonly #sock: Socket;
  readonly #buf = new LineBuffer(MAX_LINE_BYTES);
  readonly #life = new AbortController();
  #mode: Mode = 'hello';
  #version: SamVersion = '3.0';
  #busy = false;
  #timer: NodeJS.Timeout | undefined;
  /** The session this socket created (its control socket). */
  #session: SamSession | undefined;
  /** The session this socket streams, accepts or forwards for. */
  #member: SamSession | undefined;
  #pendingSend: PendingSend | undefined;
  #cleaned = false;
  readonly #onData = (chunk: Buffer) => {
    this.#buf.push(chunk);
    this.#pump();
  };

  constructor(c: Ctx, sock: Socket) {
    this.#c = c;
    this.#sock = sock;
    sock.setNoDelay(true);
    sock.on('data', this.#onData);
    sock.on('error', (e) => c.log?.debug({ err: e.message }, 'SAM: client socket error'));
    sock.on('end', () => {
      if (this.#mode !== 'stream') this.kill();
    });
    sock.on('close', () => this.#cleanup());
    this.#arm(c.limits.helloTimeoutMs);
  }

  // ---------------------------------------------------------------- ControlSocket / SessionMember

  send(parts: readonly Uint8Array[]): boolean {
    if (this.#mode === 'closed' || this.#sock.destroyed || this.#sock.writableLength > this.#c.limits.maxQueuedBytes) return false;
    for (const p of parts) this.#sock.write(p);
    return true;
  }

  kill(message?: string): void {
    if (this.#mode === 'closed') return;
    if (message !== undefined && this.#mode === 'accepting' && !this.#silent) {
      this.#reply(formatCommand('STREAM', 'STATUS', [['RESULT', 'I2P_ERROR'], ['MESSAGE', message]], { alwaysQuote: ['MESSAGE'] }), true);
      return;
    }
    this.#sock.destroy();
    this.#cleanup();
  }

  #silent = false;

  // ---------------------------------------------------------------- I/O

  #arm(ms: number): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.#onTimeout(), ms).unref();
  }

  #onTimeout(): void {
    this.#timer = undefined;
    if (this.#busy) return this.#arm(this.#c.limits.idleTimeoutMs);
    if (this.#mode === 'hello') this.#error('HELLO', 'REPLY', 'I2P_ERROR', `no HELLO within ${Math.round(this.#c.limits.helloTimeoutMs / 1000)} s`, true);
    else if (this.#mode === 'ready') this.#error('SESSION', 'STATUS', 'I2P_ERROR', `no command within ${Math.round(this.#c.limits.idleTimeoutMs / 1000)} s`, true);
  }

  #reply(line: string, close = false): void {
    if (this.#mode === 'closed' || this.#sock.destroyed) return;
    if (!close) {
      this.#sock.write(line);
      return;
    }
    this.#mode = 'closed';
    this.#sock.off('data', this.#onData);
    this.#sock.end(line, () => this.#sock.destroy());
    // a client that never reads must not keep the socket open
    setTimeout(() => this.#sock.destroy(), 5_000).unref();
    this.#cleanup();
  }

  #error(verb: string, sub: string, result: string, message: string | undefined, close: boolean, extra: [string, string][] = []): void {
    this.#c.stats.errors++;
    const params: [string, string][] = [['RESULT', result], ...extra];
    if (message !== undefined) params.push(['MESSAGE', oneLine(message)]);
    this.#reply(formatCommand(verb, sub, params, { alwaysQuote: ['MESSAGE'] }), close);
  }

  #cleanup(): void {
    this.#mode = 'closed';
    clearTimeout(this.#timer);
    if (this.#cleaned) return;
    this.#cleaned = true;
    this.#life.abort();
    this.#c.conns.delete(this);
    const m = this.#member;
    if (m) {
      m.members.delete(this);
      const i = m.acceptors.findIndex((a) => a.member === this);
      if (i >= 0) m.acceptors.splice(i, 1);
      if (m.forwarder?.member === this) m.forwarder = undefined;
    }
    if (this.#session) this.#c.sessions.close(this.#session);
  }

  #pump(): void {
    while (!this.#busy && (this.#mode !== 'closed' && this.#mode !== 'stream' && this.#mode !== 'connecting' && this.#mode !== 'accepting')) {
      if (this.#pendingSend) {
        const p = this.#pendingSend;
        const payload = this.#buf.take(p.size);
        if (!payload) break;
        this.#pendingSend = undefined;
        this.#datagramSend(p, payload);
        continue;
      }
      const r = this.#buf.next();
      if (r.type === 'more') break;
      if (r.type === 'overflow') {
        this.#error(this.#mode === 'hello' ? 'HELLO' : 'SESSION', this.#mode === 'hello' ? 'REPLY' : 'STATUS', 'I2P_ERROR', `line longer than ${MAX_LINE_BYTES} bytes`, true);
        return;
      }
      if (r.line.trim() === '') continue;
      this.#c.stats.commands++;
      const p = this.#line(r.line);
      if (p) {
        this.#busy = true;
        p.catch((e: unknown) => {
          this.#c.log?.warn({ err: (e as Error).message }, 'SAM: command failed');
          this.#error('SESSION', 'STATUS', 'I2P_ERROR', 'internal error', !this.#session);
        }).finally(() => {
          this.#busy = false;
          if (this.#mode === 'ready') this.#arm(this.#c.limits.idleTimeoutMs);
          this.#pump();
        });
      } else if (this.#mode === 'ready') this.#arm(this.#c.limits.idleTimeoutMs);
    }
    if (this.#mode === 'closed' || this.#mode === 'stream') return;
    if (this.#buf.length > this.#c.limits.maxQueuedBytes) this.#sock.pause();
    else if (this.#sock.isPaused()) this.#sock.resume();
  }

  // ---------------------------------------------------------------- commands

  #line(line: string): Promise<void> | undefined {
    let cmd: SamCommand;
    try {
      cmd = parseCommand(line);
    } catch (e) {
      if (!(e instanceof SamParseError)) throw e;
      if (this.#mode === 'hello') this.#error('HELLO', 'REPLY', 'I2P_ERROR', e.message, true);
      else this.#error('SESSION', 'STATUS', 'I2P_ERROR', e.message, false);
      return undefined;
    }
    const key = `${cmd.verb} ${cmd.sub}`;
    this.#c.log?.debug({ command: key }, 'SAM: command');
    if (this.#mode === 'hello') {
      if (key !== 'HELLO VERSION') this.#error('HELLO', 'REPLY', 'I2P_ERROR', 'expected HELLO VERSION', true);
      else this.#hello(cmd);
      return undefined;
    }
    switch (key) {
      case 'HELLO VERSION':
        this.#error('HELLO', 'REPLY', 'I2P_ERROR', 'HELLO already done', false);
        return undefined;
      case 'SESSION CREATE':
        return this.#sessionCreate(cmd.params);
      case 'SESSION ADD':
        this.#sessionAdd(cmd.params);
        return undefined;
      case 'SESSION REMOVE':
        this.#sessionRemove(cmd.params);
        return undefined;
      case 'STREAM CONNECT':
        return this.#streamConnect(cmd.params);
      case 'STREAM ACCEPT':
        this.#streamAccept(cmd.params);
        return undefined;
      case 'STREAM FORWARD':
        this.#streamForward(cmd.params);
        return undefined;
      case 'DATAGRAM SEND':
      case 'RAW SEND':
        this.#startDatagramSend(cmd.verb as 'DATAGRAM' | 'RAW', cmd.params);
        return undefined;
      case 'DEST GENERATE':
        this.#destGenerate(cmd.params);
        return undefined;
      case 'NAMING LOOKUP':
        return this.#namingLookup(cmd.params);
      case 'PING ':
        this.#reply(cmd.text === '' ? 'PONG\n' : `PONG ${oneLine(cmd.text, MAX_LINE_BYTES)}\n`);
        return undefined;
      case 'PONG ':
        return undefined;
      case 'QUIT ':
      case 'STOP ':
      case 'EXIT ':
        this.kill();
        return undefined;
      default:
        this.#error('SESSION', 'STATUS', 'I2P_ERROR', `unknown command ${oneLine(key.trim(), 64)}`, false);
        return undefined;
    }
  }

  #hello(cmd: SamCommand): void {
    const n = negotiateVersion(cmd.params.get('MIN'), cmd.params.get('MAX'));
    if (!n.ok) {
      if (n.result === 'NOVERSION') this.#reply('HELLO REPLY RESULT=NOVERSION\n', true);
      else this.#error('HELLO', 'REPLY', 'I2P_ERROR', n.message, true);
      return;
    }
    this.#version = n.version;
    this.#mode = 'ready';
    this.#reply(`HELLO REPLY RESULT=OK VERSION=${n.version}\n`);
    this.#arm(this.#c.limits.idleTimeoutMs);
  }

  #setRole(mode: Mode): void {
    this.#mode = mode;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Session options common to SESSION CREATE and SESSION ADD; a message on error. */
  #sessionOptions(style: SessionStyle, params: ReadonlyMap<string, string>, sub: boolean): SessionOptions | string {
    const fromPort = intParam(params, 'FROM_PORT', 0, 0, 65535);
    const toPort = intParam(params, 'TO_PORT', 0, 0, 65535);
    const protocol = intParam(params, 'PROTOCOL', 18, 0, 255);
    for (const v of [fromPort, toPort, protocol]) if (typeof v === 'string') return v;
    const listenPort = intParam(params, 'LISTEN_PORT', fromPort as number, 0, 65535);
    const listenProtocol = intParam(params, 'LISTEN_PROTOCOL', style === 'RAW' ? (protocol as number) : 0, 0, 255);
    const header = boolParam(params, 'HEADER', false);
    for (const v of [listenPort, listenProtocol, header]) if (typeof v === 'string') return v;
    if (style === 'RAW') {
      const bad = rawProtocolError(protocol as number);
      if (bad) return bad;
      if (listenProtocol === 6) return 'LISTEN_PROTOCOL 6 (streaming) is not allowed for RAW';
    }
    if (style === 'STREAM' && listenPort !== 0 && listenPort !== fromPort) return 'LISTEN_PORT of a STREAM session must be FROM_PORT or 0';
    let udp: SessionOptions['udp'];
    if (style === 'DATAGRAM' || style === 'RAW') {
      const port = intParam(params, 'PORT', 0, 0, 65535);
      if (typeof port === 'string') return port;
      if (port > 0) {
        const host = forwardHost(params.get('HOST'), this.#sock);
        if (typeof host !== 'string') return host.error;
        udp = { host, port };
      }
    } else if (sub && style === 'STREAM' && (params.has('PORT') || params.has('HOST'))) return 'PORT and HOST are invalid for STREAM';
    return { fromPort: fromPort as number, toPort: toPort as number, protocol: protocol as number, listenPort: listenPort as number, listenProtocol: listenProtocol as number, header: header as boolean, udp };
  }

  async #sessionCreate(params: ReadonlyMap<string, string>): Promise<void> {
    const fail = (result: string, message: string | undefined, close = true) => this.#error('SESSION', 'STATUS', result, message, close);
    if (this.#mode !== 'ready') return fail('I2P_ERROR', 'this socket already has a session or a stream', this.#mode !== 'session');
    const style = SESSION_STYLES.get(params.get('STYLE') ?? '');
    if (!style) return fail('I2P_ERROR', `unsupported STYLE ${oneLine(params.get('STYLE') ?? '(missing)', 40)}`);
    const id = params.get('ID') ?? '';
    if (id === '') return fail('INVALID_ID', 'ID is missing');
    const dest = params.get('DESTINATION');
    if (dest === undefined || dest === '') return fail('INVALID_KEY', 'DESTINATION is missing');
    let keys: PrivateKeyFile;
    try {
      keys = dest === 'TRANSIENT' ? generateSamKeys(params, this.#c.random) : decodePrivateKey(dest);
    } catch (e) {
      if (e instanceof SamKeyError) return fail(e.result, e.message);
      throw e;
    }
    if (keys.offline && style === 'DATAGRAM') return fail('I2P_ERROR', 'repliable datagrams cannot be sent with offline keys');
    const opts = this.#sessionOptions(style, params, false);
    if (typeof opts === 'string') return fail('I2P_ERROR', opts);
    const tun = (k: string, def: number, min: number, max: number) => intParam(params, k, def, min, max);
    const il = tun('inbound.length', 3, 0, 8);
    const iq = tun('inbound.quantity', 5, 1, 16);
    const ol = tun('outbound.length', 3, 0, 8);
    const oq = tun('outbound.quantity', 5, 1, 16);
    const hidden = boolParam(params, 'i2cp.dontPublishLeaseSet', false);
    for (const v of [il, iq, ol, oq, hidden]) if (typeof v === 'string') return fail('I2P_ERROR', v);
    const hash = Buffer.from(keys.identity.hash).toString('hex');
    try {
      this.#c.sessions.reserve(id, hash);
    } catch (e) {
      if (e instanceof SessionError) return fail(e.result, e.message);
      throw e;
    }
    this.#mode = 'creating';
    clearTimeout(this.#timer);
    let local: SamLocalDestination;
    try {
      local = await this.#c.o.createDestination({
        name: `sam-${id}-${++destCounter}`,
        keys,
        inbound: { length: il as number, quantity: iq as number },
        outbound: { length: ol as number, quantity: oq as number },
        isPublic: !(hidden as boolean),
      });
    } catch (e) {
      this.#c.sessions.unreserve(id, hash);
      return fail('I2P_ERROR', `cannot create the destination: ${(e as Error).message}`);
    }
    const ready = await waitReady(local, this.#life.signal, this.#c.limits.sessionReadyTimeoutMs);
    if (!ready || this.#life.signal.aborted) {
      this.#c.sessions.unreserve(id, hash);
      this.#c.release(local);
      return fail('I2P_ERROR', 'tunnels were not ready in time');
    }
    const s = new SamSession({ id, style, local, control: this, version: this.#version, opts });
    this.#c.sessions.activate(s);
    this.#session = s;
    this.#c.stats.sessionsCreated++;
    this.#setRole('session');
    this.#c.log?.debug({ style }, 'SAM: session created');
    this.#reply(formatCommand('SESSION', 'STATUS', [['RESULT', 'OK'], ['DESTINATION', privateKeyToBase64(keys)]]));
  }

  #sessionAdd(params: ReadonlyMap<string, string>): void {
    const p = this.#session;
    const fail = (result: string, message: string) => this.#error('SESSION', 'STATUS', result, message, false);
    if (!p || p.style !== 'PRIMARY') return fail('I2P_ERROR', 'SESSION ADD needs a PRIMARY session created on this socket');
    const style = SESSION_STYLES.get(params.get('STYLE') ?? '');
    if (!style || style === 'PRIMARY') return fail('I2P_ERROR', `unsupported STYLE ${oneLine(params.get('STYLE') ?? '(missing)', 40)}`);
    if (params.has('DESTINATION')) return fail('I2P_ERROR', 'DESTINATION is not allowed on SESSION ADD');
    const id = params.get('ID') ?? '';
    if (id === '') return fail('INVALID_ID', 'ID is missing');
    const opts = this.#sessionOptions(style, params, true);
    if (typeof opts === 'string') return fail('I2P_ERROR', opts);
    if (style === 'DATAGRAM' && p.local.destination.keys.offline) return fail('I2P_ERROR', 'repliable datagrams cannot be sent with offline keys');
    try {
      this.#c.sessions.addSubsession(p, { id, style, opts });
    } catch (e) {
      if (e instanceof SessionError) return fail(e.result, e.message);
      throw e;
    }
    this.#reply(formatCommand('SESSION', 'STATUS', [['RESULT', 'OK'], ['ID', id], ['MESSAGE', `ADD ${id}`]], { alwaysQuote: ['ID', 'MESSAGE'] }));
  }

  #sessionRemove(params: ReadonlyMap<string, string>): void {
    const p = this.#session;
    const fail = (result: string, message: string) => this.#error('SESSION', 'STATUS', result, message, false);
    if (!p || p.style !== 'PRIMARY') return fail('I2P_ERROR', 'SESSION REMOVE needs a PRIMARY session created on this socket');
    const id = params.get('ID') ?? '';
    const sub = p.subsessions.get(id);
    if (!sub) return fail('INVALID_ID', `no subsession ${oneLine(id, 64)} on this PRIMARY session`);
    this.#c.sessions.close(sub, 'subsession removed');
    this.#reply(formatCommand('SESSION', 'STATUS', [['RESULT', 'OK'], ['ID', id], ['MESSAGE', `REMOVE ${id}`]], { alwaysQuote: ['ID', 'MESSAGE'] }));
  }

  /** The STREAM session for a stream command; replies and returns undefined when there is none. */
  #streamSession(params: ReadonlyMap<string, string>): SamSession | undefined {
    if (this.#mode !== 'ready') {
      this.#error('STREAM', 'STATUS', 'I2P_ERROR', 'socket already in use', this.#mode !== 'session');
      return undefined;
    }
    const silent = boolParam(params, 'SILENT', false);
    if (typeof silent === 'string') {
      this.#error('STREAM', 'STATUS', 'I2P_ERROR', silent, true);
      return undefined;
    }
    this.#silent = silent;
    const s = this.#c.sessions.get(params.get('ID') ?? '');
    if (!s || s.closed) {
      this.#streamFail('INVALID_ID', 'no such session');
      return undefined;
    }
    if (s.style !== 'STREAM') {
      this.#streamFail('I2P_ERROR', s.style === 'PRIMARY' ? 'use a STREAM subsession of this PRIMARY session' : `session is ${s.style}, not STREAM`);
      return undefined;
    }
    return s;
  }

  /** A failed CONNECT/ACCEPT: STREAM STATUS unless SILENT, then close. */
  #streamFail(result: string, message: string): void {
    if (this.#silent) {
      this.#c.stats.errors++;
      this.#reply('', true);
    } else this.#error('STREAM', 'STATUS', result, message, true);
  }

  #join(s: SamSession, mode: Mode): void {
    this.#member = s;
    s.members.add(this);
    this.#setRole(mode);
  }

  async #streamConnect(params: ReadonlyMap<string, string>): Promise<void> {
    const s = this.#streamSession(params);
    if (!s) return;
    let target: string | Destination;
    try {
      target = resolveTarget(params.get('DESTINATION') ?? '', this.#c.o.addressBook);
    } catch (e) {
      if (e instanceof NameError) return this.#streamFail('INVALID_KEY', e.message);
      throw e;
    }
    const fromPort = intParam(params, 'FROM_PORT', s.opts.fromPort, 0, 65535);
    const toPort = intParam(params, 'TO_PORT', s.opts.toPort, 0, 65535);
    if (typeof fromPort === 'string' || typeof toPort === 'string') return this.#streamFail('I2P_ERROR', typeof fromPort === 'string' ? fromPort : (toPort as string));
    this.#join(s, 'connecting');
    let conn: Connection;
    try {
      conn = await s.destination.connect(target, toPort, { fromPort, signal: this.#life.signal, timeout: this.#c.limits.connectTimeoutMs });
    } catch (e) {
      if (this.#life.signal.aborted) return;
      const r = streamErrorResult(e);
      return this.#streamFail(r.result, r.message);
    }
    conn.on('error', () => undefined);
    if (this.#life.signal.aborted) {
      conn.destroy();
      return;
    }
    this.#c.stats.streamsConnected++;
    this.#startStream(conn, this.#silent ? '' : 'STREAM STATUS RESULT=OK\n');
  }

  #streamAccept(params: ReadonlyMap<string, string>): void {
    const s = this.#streamSession(params);
    if (!s) return;
    if (s.forwarder) return this.#streamFail('I2P_ERROR', 'the session is forwarding (STREAM FORWARD)');
    if (s.acceptors.length >= this.#c.limits.maxAccepts) return this.#streamFail('I2P_ERROR', `too many pending accepts (limit ${this.#c.limits.maxAccepts})`);
    this.#join(s, 'accepting');
    if (!this.#silent) this.#reply('STREAM STATUS RESULT=OK\n');
    const deliver = (conn: Connection, ports: StreamPorts) => {
      if (this.#mode !== 'accepting') {
        this.#c.sessions.offerStream(s, conn, ports); // this acceptor went away meanwhile
        return;
      }
      this.#c.stats.streamsAccepted++;
      this.#startStream(conn, this.#silent ? '' : destLine(conn.remote, ports, this.#version));
    };
    const waiting = this.#c.sessions.takeWaiting(s);
    if (waiting) deliver(waiting.conn, waiting.ports);
    else s.acceptors.push({ member: this, deliver });
  }

  #streamForward(params: ReadonlyMap<string, string>): void {
    const s = this.#streamSession(params);
    if (!s) return;
    const fail = (m: string) => this.#error('STREAM', 'STATUS', 'I2P_ERROR', m, true);
    if (s.acceptors.length > 0) return fail('the session has pending STREAM ACCEPTs');
    if (s.forwarder) return fail('the session is already forwarding');
    const ssl = boolParam(params, 'SSL', false);
    if (ssl !== false) return fail(typeof ssl === 'string' ? ssl : 'SSL=true is not supported');
    if (!params.has('PORT')) return fail('PORT is missing');
    const port = intParam(params, 'PORT', 0, 1, 65535);
    if (typeof port === 'string') return fail(port);
    const host = forwardHost(params.get('HOST'), this.#sock);
    if (typeof host !== 'string') return fail(host.error);
    const silent = this.#silent;
    const version = this.#version;
    const c = this.#c;
    this.#join(s, 'forwarding');
    s.forwarder = {
      member: this,
      deliver: (conn, ports) => {
        const out = netConnect({ host, port });
        out.setNoDelay(true);
        const timer = setTimeout(() => out.destroy(new Error('forward target did not accept in time')), c.limits.forwardConnectTimeoutMs).unref();
        out.once('error', (e) => {
          clearTimeout(timer);
          c.log?.debug({ err: e.message }, 'SAM: forward target unreachable');
          conn.destroy();
        });
        out.once('connect', () => {
          clearTimeout(timer);
          c.stats.streamsForwarded++;
          out.on('error', () => undefined);
          if (!silent) out.write(destLine(conn.remote, ports, version));
          splice(out, conn);
        });
      },
    };
    this.#reply('STREAM STATUS RESULT=OK\n');
    for (let w = c.sessions.takeWaiting(s); w; w = c.sessions.takeWaiting(s)) s.forwarder.deliver(w.conn, w.ports);
  }

  /** The socket becomes the stream: `first` (a status or destination line) then data both ways. */
  #startStream(conn: Connection, first: string): void {
    this.#mode = 'stream';
    this.#sock.off('data', this.#onData);
    this.#sock.pause();
    const head = this.#buf.takeAll();
    if (first !== '') this.#sock.write(first);
    const sp = splice(this.#sock, conn, head);
    void sp.done.then(() => this.#cleanup());
  }

  #startDatagramSend(style: 'DATAGRAM' | 'RAW', params: ReadonlyMap<string, string>): void {
    const max = style === 'DATAGRAM' ? MAX_REPLIABLE_PAYLOAD : MAX_RAW_PAYLOAD;
    const size = intParam(params, 'SIZE', -1, 1, max);
    if (typeof size === 'string' || size < 0) {
      this.#error('SESSION', 'STATUS', 'I2P_ERROR', typeof size === 'string' ? size : 'SIZE is missing', true);
      return;
    }
    let session: SamSession | undefined;
    const id = params.get('ID');
    if (id !== undefined) session = this.#c.sessions.get(id);
    else if (this.#session?.style === 'PRIMARY') session = [...this.#session.subsessions.values()].reverse().find((x) => x.style === style);
    else session = this.#session;
    this.#pendingSend = { style, session, target: params.get('DESTINATION') ?? '', params, size };
  }

  #datagramSend(p: PendingSend, payload: Uint8Array): void {
    const s = p.session;
    if (!s || s.closed || s.style !== p.style) {
      this.#c.stats.datagramsRejected++;
      this.#c.log?.debug({ style: p.style }, 'SAM: datagram send without a matching session dropped');
      return;
    }
    try {
      sendFromSession(s, p.target, payload, p.params, this.#c.o.addressBook);
      this.#c.stats.datagramsSent++;
    } catch (e) {
      if (!(e instanceof SendError)) throw e;
      this.#c.stats.datagramsRejected++;
      this.#c.log?.debug({ code: e.code, err: e.message }, 'SAM: datagram send rejected');
    }
  }

  #destGenerate(params: ReadonlyMap<string, string>): void {
    let keys: PrivateKeyFile;
    try {
      keys = generateSamKeys(params, this.#c.random);
    } catch (e) {
      if (e instanceof SamKeyError) return this.#error('DEST', 'REPLY', 'I2P_ERROR', e.message, false);
      throw e;
    }
    this.#reply(formatCommand('DEST', 'REPLY', [['PUB', toBase64(keys.identity.bytes)], ['PRIV', privateKeyToBase64(keys)]]));
  }

  async #namingLookup(params: ReadonlyMap<string, string>): Promise<void> {
    const name = params.get('NAME') ?? '';
    const me = (this.#session ?? this.#member)?.destination.destination;
    const r = await namingLookup(name, {
      me,
      addressBook: this.#c.o.addressBook,
      lookupLeaseSet: this.#c.o.lookupLeaseSet,
      timeoutMs: this.#c.limits.lookupTimeoutMs,
      signal: this.#life.signal,
    });
    if (r.result === 'OK') this.#reply(formatCommand('NAMING', 'REPLY', [['RESULT', 'OK'], ['NAME', name], ['VALUE', r.value]]));
    else this.#error('NAMING', 'REPLY', r.result, r.message, false, [['NAME', name]]);
  }
}

/** Start the SAM bridge: TCP control port and UDP datagram port, both on `host` (127.0.0.1 by default). */
export async function startSamBridge(o: SamBridgeOptions): Promise<SamBridge> {
  const host = o.host ?? '127.0.0.1';
  const limits: SamBridgeLimits = { ...DEFAULT_SAM_LIMITS, ...o.limits };
  const log = o.logger;
  const udpPort = o.udpPort ?? (o.port === 0 ? 0 : o.port - 1);
  const udp = await SamUdp.bind(host, udpPort, log);
  const release =
    o.closeDestination ??
    ((l: SamLocalDestination) => {
      l.destination.stop();
      (l.pool as { stop?: () => void }).stop?.();
    });
  const stats: SamBridgeStats = {
    connections: 0,
    rejectedConnections: 0,
    commands: 0,
    errors: 0,
    sessionsCreated: 0,
    streamsConnected: 0,
    streamsAccepted: 0,
    streamsForwarded: 0,
    datagramsSent: 0,
    datagramsRejected: 0,
  };
  const sessions = new SessionTable({ limits, sink: udp, release, ...(log ? { logger: log } : {}) });
  udp.attach(sessions, o.addressBook);
  const ctx: Ctx = { o, limits, log, random: o.random ?? systemRandom, sessions, stats, conns: new Set(), release };
  const server: Server = createServer((sock) => {
    if (ctx.conns.size >= limits.maxConnections) {
      stats.rejectedConnections++;
      sock.on('error', () => undefined);
      sock.end(formatCommand('HELLO', 'REPLY', [['RESULT', 'I2P_ERROR'], ['MESSAGE', 'too many SAM connections']], { alwaysQuote: ['MESSAGE'] }));
      setTimeout(() => sock.destroy(), 1_000).unref();
      return;
    }
    stats.connections++;
    ctx.conns.add(new SamConnection(ctx, sock));
  });
  server.on('error', (e) => log?.warn({ err: e.message }, 'SAM: server error'));
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(o.port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (e) {
    await udp.close();
    throw e;
  }
  const port = (server.address() as { port: number }).port;
  let closed = false;
  return {
    host,
    port,
    udpPort: udp.port,
    stats,
    udpStats: udp.stats,
    sessionCount: () => sessions.size,
    async close() {
      if (closed) return;
      closed = true;
      const done = new Promise<void>((r) => server.close(() => r()));
      sessions.closeAll();
      for (const c of [...ctx.conns]) c.kill();
      await Promise.all([done, udp.close()]);
    },
  };
}
