/**
 * SOCKS 4, 4a and 5 server handshake, sans-IO: bytes in → bytes out + one request event.
 *
 * Specs: ../shared/specs/docs/api-socks.html (I2P's SOCKS proxy), SOCKS4 (ssh.com protocol note) and its 4a
 * extension (openssh socks4a.protocol), RFC 1928 (SOCKS5), RFC 1929 (username/password).
 * Behaviour reference: i2pd 2.45.1 libi2pd_client/SOCKS.cpp, with these choices:
 * - SOCKS5 methods: NO AUTH (0) if offered, else USERNAME/PASSWORD (2) which is accepted with any
 *   credentials and ignored (as i2pd does); anything else gets 0xFF and the connection is closed.
 * - RFC 1929 sub-negotiation reply is `01 00` (i2pd sends `05 00`; RFC 1929 says the version byte is 1 —
 *   strict clients such as curl check it).
 * - An unknown SOCKS version byte closes the connection without a reply (i2pd). An unknown SOCKS5 command
 *   gets 07 "command not supported" (i2pd: 01); BIND and UDP ASSOCIATE get 07 as in i2pd; in SOCKS4 all
 *   non-CONNECT commands get 91 (0x5B).
 * - Bad request version or non-zero reserved byte: 01 general failure (i2pd); unknown SOCKS5 address type:
 *   08 (RFC 1928; i2pd sends 01).
 * - Sizes are bounded by the wire format: names ≤ 255 bytes, SOCKS4 user id ≤ 255 bytes (else 91).
 * - Bytes after the request (a client that pipelines its first data) are kept in `rest` for the upstream.
 */

/** RFC 1928 reply codes (and SOCKS4's two we use). */
export const Socks5Reply = {
  SUCCEEDED: 0x00,
  GENERAL_FAILURE: 0x01,
  NOT_ALLOWED: 0x02,
  NETWORK_UNREACHABLE: 0x03,
  HOST_UNREACHABLE: 0x04,
  CONNECTION_REFUSED: 0x05,
  TTL_EXPIRED: 0x06,
  COMMAND_NOT_SUPPORTED: 0x07,
  ADDRESS_TYPE_NOT_SUPPORTED: 0x08,
} as const;

export const Socks4Reply = {
  GRANTED: 0x5a,
  REJECTED: 0x5b,
} as const;

export const SocksCommand = { CONNECT: 1, BIND: 2, UDP_ASSOCIATE: 3 } as const;

const AUTH_NONE = 0x00;
const AUTH_USERPASS = 0x02;
const AUTH_UNACCEPTABLE = 0xff;
const ATYP_IPV4 = 0x01;
const ATYP_DOMAIN = 0x03;
const ATYP_IPV6 = 0x04;
const MAX_FIELD = 255;

export type SocksTarget =
  | { readonly type: 'domain'; readonly host: string }
  | { readonly type: 'ipv4'; readonly host: string }
  | { readonly type: 'ipv6'; readonly host: string };

export interface SocksRequest {
  readonly version: 4 | 5;
  readonly command: number;
  readonly target: SocksTarget;
  readonly port: number;
  /** SOCKS4 only: the IP field as sent (echoed in the reply, as i2pd does). */
  readonly socks4Ip?: Uint8Array;
}

export type SocksStep =
  /** Need more bytes. */
  | { readonly type: 'more' }
  /** Send `reply` and keep reading. */
  | { readonly type: 'reply'; readonly reply: Uint8Array }
  /** The request is complete; `reply` (if any) is the pending method/auth answer to send first. */
  | { readonly type: 'request'; readonly request: SocksRequest }
  /** Send `reply` (if any) and close. `reason` is for logs. */
  | { readonly type: 'fail'; readonly reply?: Uint8Array; readonly reason: string };

type State = 'version' | 'methods' | 'userpass' | 'request5' | 'request4' | 'done';

/** Most bytes a well-formed handshake can need before the request completes (userpass 513 + request 262 + greeting 257, 4a ≤ 520). */
export const MAX_HANDSHAKE_BYTES = 2048;

/**
 * Incremental parser. Feed bytes with `push`, then call `next()` until it returns 'more', 'request' or 'fail'.
 * After 'request', `rest()` gives the bytes that followed the request.
 */
export class SocksHandshake {
  #buf: Uint8Array = new Uint8Array(0);
  #state: State = 'version';
  #version: 4 | 5 | 0 = 0;

  get version(): 4 | 5 | 0 {
    return this.#version;
  }

  push(chunk: Uint8Array): void {
    if (this.#state === 'done') throw new RangeError('SocksHandshake: push after the request completed');
    const b = new Uint8Array(this.#buf.length + chunk.length);
    b.set(this.#buf, 0);
    b.set(chunk, this.#buf.length);
    this.#buf = b;
  }

  /** Bytes received after the request. */
  rest(): Uint8Array {
    return this.#buf;
  }

  next(): SocksStep {
    const r = this.#step();
    if (r.type === 'fail') this.#state = 'done';
    else if (r.type === 'more' && this.#buf.length > MAX_HANDSHAKE_BYTES) {
      this.#state = 'done';
      return { type: 'fail', reason: 'handshake too long' };
    }
    return r;
  }

  #consume(n: number): void {
    this.#buf = this.#buf.subarray(n);
  }

  #step(): SocksStep {
    const b = this.#buf;
    switch (this.#state) {
      case 'version': {
        if (b.length < 1) return { type: 'more' };
        if (b[0] === 5) {
          this.#version = 5;
          this.#state = 'methods';
          return this.#step();
        }
        if (b[0] === 4) {
          this.#version = 4;
          this.#state = 'request4';
          return this.#step();
        }
        return { type: 'fail', reason: `unknown SOCKS version ${b[0]}` };
      }
      case 'methods': {
        // VER NMETHODS METHODS...
        if (b.length < 2) return { type: 'more' };
        const n = b[1]!;
        if (b.length < 2 + n) return { type: 'more' };
        const methods = b.subarray(2, 2 + n);
        this.#consume(2 + n);
        if (methods.includes(AUTH_NONE)) {
          this.#state = 'request5';
          return { type: 'reply', reply: Uint8Array.of(5, AUTH_NONE) };
        }
        if (methods.includes(AUTH_USERPASS)) {
          this.#state = 'userpass';
          return { type: 'reply', reply: Uint8Array.of(5, AUTH_USERPASS) };
        }
        return { type: 'fail', reply: Uint8Array.of(5, AUTH_UNACCEPTABLE), reason: 'no acceptable authentication method' };
      }
      case 'userpass': {
        // VER(1) ULEN UNAME PLEN PASSWD — contents ignored.
        if (b.length < 2) return { type: 'more' };
        if (b[0] !== 1) return { type: 'fail', reply: Uint8Array.of(1, 1), reason: `bad username/password version ${b[0]}` };
        const ulen = b[1]!;
        if (b.length < 3 + ulen) return { type: 'more' };
        const plen = b[2 + ulen]!;
        if (b.length < 3 + ulen + plen) return { type: 'more' };
        this.#consume(3 + ulen + plen);
        this.#state = 'request5';
        return { type: 'reply', reply: Uint8Array.of(1, 0) };
      }
      case 'request5': {
        // VER CMD RSV ATYP DST.ADDR DST.PORT
        if (b.length < 4) return { type: 'more' };
        if (b[0] !== 5) return { type: 'fail', reply: socks5Reply(Socks5Reply.GENERAL_FAILURE), reason: `bad request version ${b[0]}` };
        if (b[2] !== 0) return { type: 'fail', reply: socks5Reply(Socks5Reply.GENERAL_FAILURE), reason: 'non-zero reserved byte' };
        const command = b[1]!;
        let target: SocksTarget;
        let at: number;
        switch (b[3]) {
          case ATYP_IPV4:
            if (b.length < 10) return { type: 'more' };
            target = { type: 'ipv4', host: Array.from(b.subarray(4, 8)).join('.') };
            at = 8;
            break;
          case ATYP_IPV6: {
            if (b.length < 22) return { type: 'more' };
            const parts: string[] = [];
            for (let i = 0; i < 16; i += 2) parts.push(((b[4 + i]! << 8) | b[5 + i]!).toString(16));
            target = { type: 'ipv6', host: parts.join(':') };
            at = 20;
            break;
          }
          case ATYP_DOMAIN: {
            if (b.length < 5) return { type: 'more' };
            const len = b[4]!;
            if (b.length < 5 + len + 2) return { type: 'more' };
            if (len === 0) return { type: 'fail', reply: socks5Reply(Socks5Reply.GENERAL_FAILURE), reason: 'empty host name' };
            target = { type: 'domain', host: latin1(b.subarray(5, 5 + len)) };
            at = 5 + len;
            break;
          }
          default:
            return { type: 'fail', reply: socks5Reply(Socks5Reply.ADDRESS_TYPE_NOT_SUPPORTED), reason: `unknown address type ${b[3]}` };
        }
        const port = (b[at]! << 8) | b[at + 1]!;
        this.#consume(at + 2);
        this.#state = 'done';
        return { type: 'request', request: { version: 5, command, target, port } };
      }
      case 'request4': {
        // VN CD DSTPORT(2) DSTIP(4) USERID NUL [HOST NUL]
        if (b.length < 9) return { type: 'more' };
        const command = b[1]!;
        const port = (b[2]! << 8) | b[3]!;
        const ip = b.slice(4, 8);
        const userEnd = b.indexOf(0, 8);
        if (userEnd < 0) {
          if (b.length - 8 > MAX_FIELD) return { type: 'fail', reply: socks4Reply(Socks4Reply.REJECTED, port, ip), reason: 'SOCKS4 user id too long' };
          return { type: 'more' };
        }
        let at = userEnd + 1;
        let target: SocksTarget;
        // SOCKS4a: 0.0.0.x with x != 0 means a host name follows the user id.
        if (ip[0] === 0 && ip[1] === 0 && ip[2] === 0 && ip[3] !== 0) {
          const hostEnd = b.indexOf(0, at);
          if (hostEnd < 0) {
            if (b.length - at > MAX_FIELD) return { type: 'fail', reply: socks4Reply(Socks4Reply.REJECTED, port, ip), reason: 'SOCKS4a host name too long' };
            return { type: 'more' };
          }
          if (hostEnd === at) return { type: 'fail', reply: socks4Reply(Socks4Reply.REJECTED, port, ip), reason: 'empty SOCKS4a host name' };
          if (hostEnd - at > MAX_FIELD) return { type: 'fail', reply: socks4Reply(Socks4Reply.REJECTED, port, ip), reason: 'SOCKS4a host name too long' };
          target = { type: 'domain', host: latin1(b.subarray(at, hostEnd)) };
          at = hostEnd + 1;
        } else {
          target = { type: 'ipv4', host: Array.from(ip).join('.') };
        }
        this.#consume(at);
        this.#state = 'done';
        return { type: 'request', request: { version: 4, command, target, port, socks4Ip: ip } };
      }
      case 'done':
        throw new RangeError('SocksHandshake: next() after the handshake finished');
    }
  }
}

function latin1(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1');
}

/** A SOCKS5 reply. Bound address: IPv4 0.0.0.0:0 (as i2pd answers for .i2p targets; nothing local is disclosed). */
export function socks5Reply(code: number): Uint8Array {
  return Uint8Array.of(5, code, 0, ATYP_IPV4, 0, 0, 0, 0, 0, 0);
}

/** A SOCKS4 reply: VN=0, CD, then port and IP echoed from the request (i2pd does the same). */
export function socks4Reply(code: number, port = 0, ip: Uint8Array = new Uint8Array(4)): Uint8Array {
  return Uint8Array.of(0, code, port >> 8, port & 0xff, ip[0] ?? 0, ip[1] ?? 0, ip[2] ?? 0, ip[3] ?? 0);
}
