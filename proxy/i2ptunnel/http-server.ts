/**
 * Server side of `type = http` tunnels: the request head a remote client sends and the response head of the
 * local web server are rewritten as i2pd 2.45.1 does (libi2pd_client/I2PTunnel.cpp
 * I2PServerTunnelConnectionHTTP::Write / ::WriteToStream; ../shared/specs/docs/api-i2ptunnel.html "Server
 * Modes / HTTP": "Add X-I2P headers so the webserver knows where the request came from", "Host header
 * replacement", "Force connection: close", "Stripping of some privacy-problematic headers"). Sans-IO.
 *
 * Request head (only the first request on a stream, as i2pd; everything after it — body, any further
 * request — passes byte-exact):
 * - lines starting (any case) with `Keep-Alive:` or `X-I2P` are removed, so a client cannot spoof the
 *   X-I2P-* headers;
 * - `Host:` (any case) becomes `Host: <hostoverride>\r\n` when `hostoverride` is set (i2pd passes only
 *   hostoverride, never the tunnel's `host`, so without it the client's Host passes unchanged);
 * - `Connection:` (any case) becomes `Connection: close\r\n`, except — i2pd's exact test — when "pgrade"
 *   occurs past the start and the char before it is not 'u'/'U' (so `Connection: Upgrade` is closed too,
 *   as i2pd 2.45.1 does); one `Connection: close\r\n` is added if the head had none;
 * - then `X-I2P-DestB32: <b32>.b32.i2p`, `X-I2P-DestHash: <hash base64>`, `X-I2P-DestB64: <destination
 *   base64>` for the remote peer, the empty line, and the bytes after the head.
 * - Other lines pass as they came (a line ends at '\n'; its '\r' is kept). The head ends at a line "\r".
 * - A head longer than 8192 bytes (I2P_TUNNEL_HTTP_MAX_HEADER_SIZE) is an error: the stream is closed.
 * Response head (the first one): lines starting (case-sensitive, as i2pd) with `Server:`, `Date:`,
 * `X-Runtime:`, `X-Powered-By:` or `Proxy` are removed; the rest passes.
 *
 * Deviations from i2pd, written down:
 * - i2pd 2.45.1 stops reading the head at the first Keep-Alive/X-I2P line (`break` instead of `continue`,
 *   fixed in later i2pd), which stalls the request until the client sends more; we drop the line and go on.
 * - A head line split between two stream reads is joined first (i2pd processes the pieces as two lines).
 * - The response head is bounded (64 KiB; i2pd: no bound): past that the response passes unfiltered
 *   from there on — nothing is lost — and `responseHeadTooLong` is set.
 */
import { latin1 } from './lines.js';

/** i2pd I2P_TUNNEL_HTTP_MAX_HEADER_SIZE. */
export const MAX_REQUEST_HEAD = 8192;
export const MAX_RESPONSE_HEAD = 64 * 1024;

export const X_I2P_DEST_B32 = 'X-I2P-DestB32';
export const X_I2P_DEST_HASH = 'X-I2P-DestHash';
export const X_I2P_DEST_B64 = 'X-I2P-DestB64';

export class HttpHeadError extends Error {
  override readonly name = 'HttpHeadError';
  readonly code = 'HEAD_TOO_LONG';
}

/** The remote peer as the X-I2P-* headers name it. */
export interface HttpPeer {
  /** `<52 chars>.b32.i2p` */
  b32: string;
  /** I2P base64 of the destination hash. */
  hashBase64: string;
  /** I2P base64 of the whole destination. */
  destBase64: string;
}

function startsWithCI(line: string, prefix: string): boolean {
  return line.length >= prefix.length && line.slice(0, prefix.length).toLowerCase() === prefix.toLowerCase();
}

/** Request side: remote client → local web server. */
export class HttpServerRequestRewriter {
  readonly #hostOverride: string;
  readonly #peer: HttpPeer;
  readonly #maxHead: number;
  #buf = '';
  #done = false;

  constructor(o: { hostOverride?: string; peer: HttpPeer; maxHead?: number }) {
    this.#hostOverride = o.hostOverride ?? '';
    this.#peer = o.peer;
    this.#maxHead = o.maxHead ?? MAX_REQUEST_HEAD;
  }

  /** The head was rewritten; the rest passes through. */
  get headDone(): boolean {
    return this.#done;
  }

  /** Bytes from the I2P stream → bytes for the web server. Throws HttpHeadError on a head over the bound. */
  push(chunk: Uint8Array): Buffer {
    if (this.#done) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    this.#buf += Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).toString('latin1');
    const end = this.#findEnd();
    if (end < 0) {
      if (this.#buf.length > this.#maxHead) throw new HttpHeadError(`HTTP request head exceeds ${this.#maxHead} bytes`);
      return Buffer.alloc(0);
    }
    if (end > this.#maxHead) throw new HttpHeadError(`HTTP request head exceeds ${this.#maxHead} bytes`);
    const head = this.#buf.slice(0, end);
    const rest = this.#buf.slice(end + 2); // after the "\r\n" line
    this.#buf = '';
    this.#done = true;
    return latin1(this.#rewrite(head) + rest);
  }

  /** Index of the end line "\r\n" (at the start or after a '\n'), or -1. */
  #findEnd(): number {
    if (this.#buf.startsWith('\r\n')) return 0;
    const i = this.#buf.indexOf('\n\r\n');
    return i < 0 ? -1 : i + 1;
  }

  /** `head`: every line up to, not including, the end line; each line ends with '\n'. */
  #rewrite(head: string): string {
    let out = '';
    let connection = false;
    const lines = head.split('\n');
    lines.pop(); // after the last '\n'
    for (const line of lines) {
      if (startsWithCI(line, 'Keep-Alive:') || startsWithCI(line, 'X-I2P')) continue;
      if (this.#hostOverride !== '' && startsWithCI(line, 'Host:')) out += `Host: ${this.#hostOverride}\r\n`;
      else if (startsWithCI(line, 'Connection:')) {
        const x = line.indexOf('pgrade');
        if (x > 0 && line[x - 1]!.toLowerCase() !== 'u') out += line + '\n';
        else out += 'Connection: close\r\n';
        connection = true;
      } else out += line + '\n';
    }
    if (!connection) out += 'Connection: close\r\n';
    out += `${X_I2P_DEST_B32}: ${this.#peer.b32}\r\n`;
    out += `${X_I2P_DEST_HASH}: ${this.#peer.hashBase64}\r\n`;
    out += `${X_I2P_DEST_B64}: ${this.#peer.destBase64}\r\n`;
    return out + '\r\n';
  }
}

const RESPONSE_EXCLUDED = ['Server:', 'Date:', 'X-Runtime:', 'X-Powered-By:', 'Proxy'];

/** Response side: local web server → remote client. */
export class HttpServerResponseFilter {
  readonly #maxHead: number;
  #buf = '';
  #done = false;
  responseHeadTooLong = false;

  constructor(o: { maxHead?: number } = {}) {
    this.#maxHead = o.maxHead ?? MAX_RESPONSE_HEAD;
  }

  push(chunk: Uint8Array): Buffer {
    if (this.#done) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    this.#buf += Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).toString('latin1');
    const end = this.#buf.startsWith('\r\n') ? 0 : ((i) => (i < 0 ? -1 : i + 1))(this.#buf.indexOf('\n\r\n'));
    if (end < 0 || end > this.#maxHead) {
      if (this.#buf.length <= this.#maxHead) return Buffer.alloc(0);
      this.responseHeadTooLong = true;
      return this.end();
    }
    const lines = this.#buf.slice(0, end).split('\n');
    lines.pop();
    let out = '';
    for (const line of lines) if (!RESPONSE_EXCLUDED.some((p) => line.startsWith(p))) out += line + '\n';
    out += this.#buf.slice(end);
    this.#buf = '';
    this.#done = true;
    return latin1(out);
  }

  /** End of the response (or give up filtering): whatever is buffered, as it is. */
  end(): Buffer {
    const b = latin1(this.#buf);
    this.#buf = '';
    this.#done = true;
    return b;
  }
}
