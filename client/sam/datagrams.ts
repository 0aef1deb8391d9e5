/**
 * SAM datagrams: the UDP socket (datagrams from clients to I2P, and received datagrams forwarded to a
 * client's UDP endpoint), sending from a DATAGRAM or RAW (sub)session, and the formats of what is delivered.
 *
 * Spec: ../shared/specs/docs/api-samv3.html ("Sending Repliable or Raw Datagrams", "SAM Repliable Datagrams :
 * Receiving a Datagram", "Forwarding Raw or Repliable Datagrams", "SAM Anonymous (Raw) Datagrams",
 * "DATAGRAM SEND, RAW SEND"), ../shared/specs/docs/ports.html.
 * i2pd 2.45.1 SAM.cpp: the UDP socket is bound to sam.address at sam.port - 1 (there is no option for it in
 * 2.45.1), HandleReceivedDatagram, HandleI2PDatagramReceive (`$dest\n$payload` forwarded; `DATAGRAM RECEIVED
 * DESTINATION=… SIZE=…\n` on the socket), HandleI2PRawDatagramReceive.
 *
 * Choices and deviations, written down:
 *   - FROM_PORT/TO_PORT (and PROTOCOL for raw) appear in received headers only when the session's control
 *     socket negotiated 3.2 or later (spec, Java); i2pd 2.45.1 (3.1 at most) never sends them.
 *   - Options in the UDP header line (FROM_PORT, TO_PORT, PROTOCOL) are honoured; SEND_TAGS, TAG_THRESHOLD,
 *     EXPIRES, SEND_LEASESET are accepted and ignored (allowed by the spec).
 *   - Sizes: repliable payloads 1..31744 bytes, raw 1..32768 (spec); anything else is dropped and counted.
 *   - A datagram whose target or session is unknown is dropped and counted (UDP has no reply path), as i2pd.
 *   - Raw PROTOCOL 6, 17, 19, 20 is refused (spec).
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import type { Logger } from 'pino';
import { toBase64 } from '../../data/base64.js';
import type { Destination } from '../../data/identity.js';
import { parseAddress, type DatagramInfo } from '../destination.js';
import { I2CPProtocol } from '../i2cp-payload.js';
import { hasPorts, intParam, parseUdpDatagram, SamParseError } from './protocol.js';
import type { DatagramSink, SamSession, SessionTable } from './sessions.js';
import { NameError, resolveTarget, type SamAddressBook } from './naming.js';

export const MAX_REPLIABLE_PAYLOAD = 31744;
export const MAX_RAW_PAYLOAD = 32768;
/** The largest UDP datagram we accept from clients (header line + payload). */
const MAX_UDP_IN = 65507;
const FORBIDDEN_RAW_PROTOCOLS = new Set([6, 17, 19, 20]);

export function rawProtocolError(p: number): string | undefined {
  return FORBIDDEN_RAW_PROTOCOLS.has(p) ? `PROTOCOL ${p} is not allowed for RAW (6, 17, 19, 20 are reserved)` : undefined;
}

export class SendError extends Error {
  constructor(
    readonly code: 'BAD_SIZE' | 'BAD_PARAM' | 'BAD_TARGET' | 'WRONG_STYLE',
    message: string,
  ) {
    super(message);
    this.name = 'SendError';
  }
}

/**
 * Send a datagram from a DATAGRAM or RAW (sub)session, with per-datagram FROM_PORT / TO_PORT / PROTOCOL
 * overriding the session's. Throws SendError; returns the destination's best-effort result.
 */
export function sendFromSession(s: SamSession, target: string, payload: Uint8Array, params: ReadonlyMap<string, string>, ab: SamAddressBook | undefined): boolean {
  if (s.style !== 'DATAGRAM' && s.style !== 'RAW') throw new SendError('WRONG_STYLE', `session ${s.id} is a ${s.style} session`);
  const max = s.style === 'DATAGRAM' ? MAX_REPLIABLE_PAYLOAD : MAX_RAW_PAYLOAD;
  if (payload.length < 1 || payload.length > max) throw new SendError('BAD_SIZE', `payload must be 1..${max} bytes`);
  const fromPort = intParam(params, 'FROM_PORT', s.opts.fromPort, 0, 65535);
  const toPort = intParam(params, 'TO_PORT', s.opts.toPort, 0, 65535);
  const protocol = intParam(params, 'PROTOCOL', s.opts.protocol, 0, 255);
  for (const v of [fromPort, toPort, protocol]) if (typeof v === 'string') throw new SendError('BAD_PARAM', v);
  if (s.style === 'RAW') {
    const bad = rawProtocolError(protocol as number);
    if (bad) throw new SendError('BAD_PARAM', bad);
  }
  let dest: string | Destination;
  try {
    dest = resolveTarget(target, ab);
  } catch (e) {
    if (e instanceof NameError) throw new SendError('BAD_TARGET', e.message);
    throw e;
  }
  const d = s.destination;
  if (s.style === 'DATAGRAM') return d.sendDatagram(dest, payload, { fromPort: fromPort as number, toPort: toPort as number });
  return d.send(parseAddress(dest).hash, payload, { protocol: protocol as number, fromPort: fromPort as number, toPort: toPort as number });
}

// ------------------------------------------------------------------ delivery formats

const enc = new TextEncoder();

export function datagramReceivedLine(s: SamSession, from: Destination, size: number, info: DatagramInfo): string {
  const ports = hasPorts(s.version) ? ` FROM_PORT=${info.fromPort} TO_PORT=${info.toPort}` : '';
  return `DATAGRAM RECEIVED DESTINATION=${toBase64(from.bytes)} SIZE=${size}${ports}\n`;
}

export function rawReceivedLine(s: SamSession, size: number, info: DatagramInfo): string {
  const ports = hasPorts(s.version) ? ` FROM_PORT=${info.fromPort} TO_PORT=${info.toPort} PROTOCOL=${I2CPProtocol.Raw}` : '';
  return `RAW RECEIVED SIZE=${size}${ports}\n`;
}

export function forwardedDatagramHead(s: SamSession, from: Destination, info: DatagramInfo): string {
  const ports = hasPorts(s.version) ? ` FROM_PORT=${info.fromPort} TO_PORT=${info.toPort}` : '';
  return `${toBase64(from.bytes)}${ports}\n`;
}

export function forwardedRawHead(s: SamSession, info: DatagramInfo): string {
  return s.opts.header ? `FROM_PORT=${info.fromPort} TO_PORT=${info.toPort} PROTOCOL=${I2CPProtocol.Raw}\n` : '';
}

// ------------------------------------------------------------------ the UDP socket

export interface SamUdpStats {
  received: number;
  sent: number;
  malformed: number;
  unknownSession: number;
  rejected: number;
  forwarded: number;
  dropped: number;
}

export class SamUdp implements DatagramSink {
  readonly stats: SamUdpStats = { received: 0, sent: 0, malformed: 0, unknownSession: 0, rejected: 0, forwarded: 0, dropped: 0 };
  readonly #sock: UdpSocket;
  readonly #log: Logger | undefined;
  #sessions: SessionTable | undefined;
  #ab: SamAddressBook | undefined;
  #closed = false;

  private constructor(sock: UdpSocket, log: Logger | undefined) {
    this.#sock = sock;
    this.#log = log;
  }

  /** Bind host:port (0: any free port). Rejects when the port cannot be bound. */
  static async bind(host: string, port: number, log?: Logger): Promise<SamUdp> {
    const sock = createSocket({ type: host.includes(':') ? 'udp6' : 'udp4' });
    await new Promise<void>((resolve, reject) => {
      sock.once('error', reject);
      sock.bind(port, host, () => {
        sock.off('error', reject);
        resolve();
      });
    });
    const u = new SamUdp(sock, log);
    sock.on('error', (e) => log?.debug({ err: e.message }, 'SAM: UDP socket error'));
    sock.on('message', (msg) => u.#onMessage(msg));
    return u;
  }

  get port(): number {
    return this.#sock.address().port;
  }

  attach(sessions: SessionTable, ab: SamAddressBook | undefined): void {
    this.#sessions = sessions;
    this.#ab = ab;
  }

  #onMessage(msg: Buffer): void {
    this.stats.received++;
    if (msg.length > MAX_UDP_IN) {
      this.stats.malformed++;
      return;
    }
    let dg;
    try {
      dg = parseUdpDatagram(msg);
    } catch (e) {
      if (!(e instanceof SamParseError)) throw e;
      this.stats.malformed++;
      this.#log?.debug({ code: e.code }, 'SAM: malformed UDP datagram dropped');
      return;
    }
    const s = this.#sessions?.get(dg.id);
    if (!s || s.closed) {
      this.stats.unknownSession++;
      return;
    }
    try {
      sendFromSession(s, dg.destination, dg.payload, dg.params, this.#ab);
      this.stats.sent++;
    } catch (e) {
      if (!(e instanceof SendError)) throw e;
      this.stats.rejected++;
      this.#log?.debug({ code: e.code, err: e.message }, 'SAM: UDP datagram rejected');
    }
  }

  #forward(to: { host: string; port: number }, parts: readonly Uint8Array[]): void {
    if (this.#closed) return;
    this.stats.forwarded++;
    this.#sock.send(parts as Uint8Array[], to.port, to.host, (err) => {
      if (err) {
        this.stats.dropped++;
        this.#log?.debug({ err: err.message }, 'SAM: forwarding a datagram failed');
      }
    });
  }

  datagram(s: SamSession, payload: Uint8Array, info: DatagramInfo): void {
    if (!info.from) return;
    if (s.opts.udp) this.#forward(s.opts.udp, [enc.encode(forwardedDatagramHead(s, info.from, info)), payload]);
    else if (!s.control.send([enc.encode(datagramReceivedLine(s, info.from, payload.length, info)), payload])) this.stats.dropped++;
  }

  raw(s: SamSession, payload: Uint8Array, info: DatagramInfo): void {
    if (s.opts.udp) {
      const head = forwardedRawHead(s, info);
      this.#forward(s.opts.udp, head ? [enc.encode(head), payload] : [payload]);
    } else if (!s.control.send([enc.encode(rawReceivedLine(s, payload.length, info)), payload])) this.stats.dropped++;
  }

  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    return new Promise((r) => this.#sock.close(() => r()));
  }
}
