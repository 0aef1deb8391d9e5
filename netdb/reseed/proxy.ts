/**
 * `reseed.proxy`: reach a reseed server through an HTTP (CONNECT) or SOCKS5 proxy, as i2pd does.
 *
 * Ground truth: i2pd 2.45.1 libi2pd/Reseed.cpp `Reseeder::HttpsRequest` (the proxy part); SOCKS5: RFC 1928;
 * HTTP CONNECT: RFC 9110 §9.3.6; Basic auth: RFC 7617.
 *
 * i2pd: `reseed.proxy` is a URL with scheme "http" (default port 80) or "socks" (default port 1080); anything
 * else is "Bad proxy url" and the download fails (it never falls back to a direct connection — neither do we).
 * - http: `CONNECT host:port HTTP/1.1`, with `Proxy-Authorization: Basic …` when the URL has user:password;
 *   status 200 required. We also send `Host` (RFC 9110 requires it; proxies accept it).
 * - socks: greeting 05 01 00 (no authentication), then CONNECT by domain name (ATYP 3) and port. i2pd reads a
 *   2-byte method reply without checking it and a fixed 10-byte reply (IPv4 form) checking only the status;
 *   we check the version, the chosen method and the status, and read the bound address by its ATYP (a proxy
 *   answering with a domain or IPv6 address would desynchronize i2pd). User/password SOCKS auth is not
 *   supported (i2pd: TODO), so credentials in a socks:// URL are refused rather than ignored.
 * Then TLS runs over the returned socket. Replies are bounded (HTTP headers 16 KiB).
 */
import { connect, type Socket } from 'node:net';

export const PROXY_REPLY_LIMIT = 16 * 1024;

/** A proxy failure (bad URL, refused, bad reply): the download fails with this code. */
export class ProxyError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'ProxyError';
    this.code = code;
  }
}

export interface ProxySpec {
  readonly type: 'http' | 'socks';
  readonly host: string;
  readonly port: number;
  readonly username: string;
  readonly password: string;
}

/** Parse `reseed.proxy` the way i2pd accepts it. ProxyError('BAD_PROXY') otherwise. Never echoes credentials. */
export function parseProxyUrl(proxy: string): ProxySpec {
  let u: URL;
  try {
    u = new URL(proxy);
  } catch {
    throw new ProxyError('BAD_PROXY', 'reseed.proxy is not a URL');
  }
  const type = u.protocol === 'http:' ? 'http' : u.protocol === 'socks:' ? 'socks' : undefined;
  if (!type) throw new ProxyError('BAD_PROXY', `reseed.proxy scheme ${u.protocol} not supported (http or socks)`);
  if (!u.hostname) throw new ProxyError('BAD_PROXY', 'reseed.proxy has no host');
  const host = u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname;
  const username = decodeURIComponent(u.username);
  const password = decodeURIComponent(u.password);
  if (type === 'socks' && (username || password)) {
    throw new ProxyError('BAD_PROXY', 'SOCKS proxy authentication is not supported (i2pd neither); refusing rather than connecting without it');
  }
  return { type, host, port: u.port ? Number(u.port) : type === 'http' ? 80 : 1080, username, password };
}

/**
 * Read from `socket` until `complete(buffered)` returns how many bytes the reply takes (or -1: need more).
 * Bytes after the reply are pushed back onto the socket (they belong to the tunnel).
 */
function readReply(socket: Socket, complete: (b: Buffer) => number, limit: number, signal: AbortSignal): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    const finish = (err: Error | undefined, reply?: Buffer, rest?: Buffer) => {
      socket.off('data', onData);
      socket.off('error', onError);
      socket.off('end', onEnd);
      socket.off('close', onEnd);
      signal.removeEventListener('abort', onAbort);
      if (err) return reject(err);
      socket.pause();
      if (rest && rest.length > 0) socket.unshift(rest);
      resolve(reply!);
    };
    const onData = (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      let n: number;
      try {
        n = complete(buf);
      } catch (e) {
        return finish(e as Error);
      }
      if (n >= 0) return finish(undefined, buf.subarray(0, n), buf.subarray(n));
      if (buf.length > limit) finish(new ProxyError('PROXY_BAD_REPLY', `proxy reply over ${limit} bytes`));
    };
    const onError = (e: Error) => finish(e);
    const onEnd = () => finish(new ProxyError('PROXY_CLOSED', 'proxy closed the connection'));
    const onAbort = () => finish(signal.reason instanceof Error ? signal.reason : new DOMException('aborted', 'AbortError'));
    if (signal.aborted) return onAbort();
    if (socket.destroyed || socket.readableEnded) return onEnd();
    socket.on('data', onData);
    socket.on('error', onError);
    socket.on('end', onEnd);
    socket.on('close', onEnd);
    signal.addEventListener('abort', onAbort, { once: true });
    socket.resume();
  });
}

function httpConnectRequest(spec: ProxySpec, host: string, port: number): string {
  const target = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  let req = `CONNECT ${target} HTTP/1.1\r\nHost: ${target}\r\n`;
  if (spec.username || spec.password) {
    req += `Proxy-Authorization: Basic ${Buffer.from(`${spec.username}:${spec.password}`).toString('base64')}\r\n`;
  }
  return `${req}\r\n`;
}

/** Length of an HTTP reply head (through CRLFCRLF), -1 if incomplete. */
function httpHeadLength(b: Buffer): number {
  const i = b.indexOf('\r\n\r\n');
  return i < 0 ? -1 : i + 4;
}

/** Length of a SOCKS5 CONNECT reply, -1 if incomplete. Throws ProxyError on a malformed reply. */
function socksReplyLength(b: Buffer): number {
  if (b.length < 5) return -1;
  if (b[0] !== 5) throw new ProxyError('PROXY_BAD_REPLY', `SOCKS reply version ${b[0]}`);
  const atyp = b[3];
  const addr = atyp === 1 ? 4 : atyp === 4 ? 16 : atyp === 3 ? 1 + b[4]! : -1;
  if (addr < 0) throw new ProxyError('PROXY_BAD_REPLY', `SOCKS reply address type ${atyp}`);
  const n = 4 + addr + 2;
  return b.length >= n ? n : -1;
}

const SOCKS_STATUS: Record<number, string> = {
  1: 'general failure',
  2: 'connection not allowed by ruleset',
  3: 'network unreachable',
  4: 'host unreachable',
  5: 'connection refused',
  6: 'TTL expired',
  7: 'command not supported',
  8: 'address type not supported',
};

/**
 * Open a TCP connection to `host:port` through the proxy. Resolves with the socket, positioned at the start of
 * the tunnel (paused). Rejects with ProxyError, the socket's error, or the signal's reason.
 */
export async function connectThroughProxy(spec: ProxySpec, host: string, port: number, signal: AbortSignal): Promise<Socket> {
  signal.throwIfAborted();
  const socket = connect({ host: spec.host, port: spec.port });
  // Between reads nobody else listens: an error then must not crash the process (the next read sees the close).
  socket.on('error', () => {});
  try {
    await new Promise<void>((resolve, reject) => {
      const onAbort = () => done(signal.reason instanceof Error ? signal.reason : new DOMException('aborted', 'AbortError'));
      const done = (err?: Error) => {
        socket.off('connect', onConnect);
        socket.off('error', done);
        signal.removeEventListener('abort', onAbort);
        if (err) reject(err);
        else resolve();
      };
      const onConnect = () => done();
      socket.once('connect', onConnect);
      socket.once('error', done);
      signal.addEventListener('abort', onAbort, { once: true });
    });
    if (spec.type === 'http') {
      socket.write(httpConnectRequest(spec, host, port));
      const head = (await readReply(socket, httpHeadLength, PROXY_REPLY_LIMIT, signal)).toString('latin1');
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(head);
      if (!m) throw new ProxyError('PROXY_BAD_REPLY', 'HTTP CONNECT malformed reply');
      if (m[1] !== '200') throw new ProxyError('PROXY_REFUSED', `HTTP CONNECT got status ${m[1]}`);
    } else {
      socket.write(Buffer.from([0x05, 0x01, 0x00]));
      const hello = await readReply(socket, (b) => (b.length >= 2 ? 2 : -1), 2, signal);
      if (hello[0] !== 5 || hello[1] !== 0) throw new ProxyError('PROXY_REFUSED', 'SOCKS proxy wants authentication or is not SOCKS5');
      const name = Buffer.from(host, 'utf8');
      if (name.length > 255) throw new ProxyError('BAD_URL', 'host name too long for SOCKS');
      const req = Buffer.alloc(7 + name.length);
      req.set([0x05, 0x01, 0x00, 0x03, name.length], 0);
      name.copy(req, 5);
      req.writeUInt16BE(port, 5 + name.length);
      socket.write(req);
      const reply = await readReply(socket, socksReplyLength, 4 + 1 + 255 + 2, signal);
      if (reply[1] !== 0) throw new ProxyError('PROXY_REFUSED', `SOCKS connect failed: ${SOCKS_STATUS[reply[1]!] ?? `status ${reply[1]}`}`);
    }
    // TLS takes over the socket's handle: it must be flowing (the server speaks only after our ClientHello).
    socket.resume();
    return socket;
  } catch (e) {
    socket.destroy();
    throw e;
  }
}
