/**
 * Chaining to a clearnet outproxy that speaks SOCKS5 (Tor's SocksPort, or any SOCKS5 server): used by the
 * SOCKS proxy when `socksproxy.outproxy.enabled` is set and by the HTTP proxy for `httpproxy.outproxy =
 * socks://host:port`.
 *
 * RFC 1928, no authentication. The target is always passed to the outproxy as given — names as ATYP 3
 * (DOMAINNAME) so that the outproxy, not this machine, resolves them: nothing here calls DNS for a target.
 * (i2pd 2.45.1 speaks SOCKS4a to its upstream; SOCKS5 also carries IPv6 targets and reply codes.)
 * Only the outproxy's own address goes through net.connect, so configure it as an IP literal if the
 * machine's resolver must not see it either.
 */
import { connect as netConnect, isIP, type Socket } from 'node:net';
import { Socks5Reply } from './socks-protocol.js';

/** Raised when the outproxy can't be reached or refuses; `reply` is the SOCKS5 reply code to pass on. */
export class OutproxyError extends Error {
  override readonly name = 'OutproxyError';
  constructor(
    readonly reply: number,
    message: string,
  ) {
    super(message);
  }
}

export interface OutproxyAddress {
  readonly host: string;
  readonly port: number;
}

const MAX_REPLY = 4 + 1 + 255 + 2;

/**
 * Open a TCP connection to `outproxy` and ask it (SOCKS5 CONNECT) for `host:port`. Resolves with the connected
 * socket (already past the handshake) and any bytes that followed the reply.
 */
export async function connectViaSocks5(
  outproxy: OutproxyAddress,
  host: string,
  port: number,
  opts: { signal?: AbortSignal } = {},
): Promise<{ socket: Socket; head: Uint8Array }> {
  opts.signal?.throwIfAborted();
  const socket = netConnect({ host: outproxy.host, port: outproxy.port });
  let buf = Buffer.alloc(0);
  let stage: 'connect' | 'method' | 'reply' = 'connect';

  return new Promise((resolve, reject) => {
    const done = (err: Error | undefined, head?: Uint8Array): void => {
      socket.off('data', onData);
      socket.off('error', onError);
      socket.off('close', onClose);
      socket.off('connect', onConnect);
      opts.signal?.removeEventListener('abort', onAbort);
      if (err) {
        socket.destroy();
        reject(err);
      } else {
        resolve({ socket, head: head ?? new Uint8Array(0) });
      }
    };
    const onAbort = (): void => done(opts.signal?.reason instanceof Error ? opts.signal.reason : new Error('aborted'));
    const onError = (e: Error): void =>
      done(new OutproxyError(stage === 'connect' ? Socks5Reply.NETWORK_UNREACHABLE : Socks5Reply.GENERAL_FAILURE, `outproxy: ${e.message}`));
    const onClose = (): void => done(new OutproxyError(Socks5Reply.GENERAL_FAILURE, 'outproxy closed the connection during the handshake'));
    const onConnect = (): void => {
      stage = 'method';
      socket.write(Uint8Array.of(5, 1, 0));
    };
    const onData = (chunk: Buffer): void => {
      buf = Buffer.concat([buf, chunk]);
      if (buf.length > MAX_REPLY + 2) return done(new OutproxyError(Socks5Reply.GENERAL_FAILURE, 'outproxy sent too much'));
      if (stage === 'method') {
        if (buf.length < 2) return;
        if (buf[0] !== 5 || buf[1] !== 0) return done(new OutproxyError(Socks5Reply.GENERAL_FAILURE, 'outproxy refused the no-auth method'));
        buf = buf.subarray(2);
        stage = 'reply';
        socket.write(requestBytes(host, port));
      }
      if (stage === 'reply') {
        if (buf.length < 5) return;
        let len: number;
        if (buf[3] === 1) len = 10;
        else if (buf[3] === 4) len = 22;
        else if (buf[3] === 3) len = 7 + buf[4]!;
        else return done(new OutproxyError(Socks5Reply.GENERAL_FAILURE, 'outproxy sent a bad reply'));
        if (buf.length < len) return;
        if (buf[0] !== 5) return done(new OutproxyError(Socks5Reply.GENERAL_FAILURE, 'outproxy sent a bad reply'));
        if (buf[1] !== 0) return done(new OutproxyError(buf[1]! <= 8 ? buf[1]! : Socks5Reply.GENERAL_FAILURE, `outproxy replied ${buf[1]}`));
        done(undefined, buf.subarray(len));
      }
    };
    socket.on('connect', onConnect);
    socket.on('data', onData);
    socket.on('error', onError);
    socket.on('close', onClose);
    opts.signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function requestBytes(host: string, port: number): Uint8Array {
  const v = isIP(host);
  if (v === 4) return Uint8Array.of(5, 1, 0, 1, ...host.split('.').map(Number), port >> 8, port & 0xff);
  if (v === 6) {
    const groups = expandIPv6(host);
    const bytes: number[] = [];
    for (const g of groups) bytes.push(g >> 8, g & 0xff);
    return Uint8Array.of(5, 1, 0, 4, ...bytes, port >> 8, port & 0xff);
  }
  const name = Buffer.from(host, 'latin1');
  if (name.length > 255) throw new OutproxyError(Socks5Reply.GENERAL_FAILURE, 'host name too long');
  return Uint8Array.of(5, 1, 0, 3, name.length, ...name, port >> 8, port & 0xff);
}

function expandIPv6(host: string): number[] {
  // Embedded IPv4 tail (::ffff:1.2.3.4) → two groups.
  let h = host;
  const m = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(h);
  if (m) {
    const [a, b, c, d] = m.slice(1).map(Number) as [number, number, number, number];
    h = h.slice(0, m.index) + ((a << 8) | b).toString(16) + ':' + ((c << 8) | d).toString(16);
  }
  const [left, right] = h.includes('::') ? (h.split('::') as [string, string]) : [h, undefined];
  const l = left ? left.split(':').map((x) => parseInt(x, 16)) : [];
  const r = right !== undefined && right ? right.split(':').map((x) => parseInt(x, 16)) : [];
  const fill = right !== undefined ? new Array<number>(8 - l.length - r.length).fill(0) : [];
  return [...l, ...fill, ...r];
}
