/**
 * The handles the proxies (socks.ts, http.ts) get from the router: an I2P stream connector and, optionally,
 * the address book. Nothing here touches the network; the proxies use the router's public client surface
 * only (../shared/STYLE.md "client/, proxy/ and console/ use the router's public surface only").
 *
 * Naming rules (../shared/specs/docs/naming.html): hosts ending in `.i2p` are I2P names — `<52+ chars>.b32.i2p`
 * or a name the address book knows. Everything else (clearnet names, IPv4/IPv6 literals) is NOT an I2P host
 * and must never be resolved through DNS by the proxies: it is refused, or handed verbatim to an outproxy.
 */
import type { Duplex } from 'node:stream';
import { isIP } from 'node:net';

/** Why the I2P side could not open a stream. */
export type I2PConnectErrorCode =
  /** The name is not in the address book, or no leaseset was found for the destination. */
  | 'NOT_FOUND'
  /** Leaseset found but the destination did not answer (no route, tunnels failed). */
  | 'UNREACHABLE'
  /** The stream was not established in time. */
  | 'TIMEOUT'
  /** The destination answered with a reset (nothing listening on that port). */
  | 'REFUSED'
  /** The host string is not a valid I2P address (bad b32, bad base64, bad name). */
  | 'BAD_ADDRESS';

export const I2P_CONNECT_ERROR_CODES: readonly I2PConnectErrorCode[] = ['NOT_FOUND', 'UNREACHABLE', 'TIMEOUT', 'REFUSED', 'BAD_ADDRESS'];

/** The error a connector rejects with; the proxies map `code` to SOCKS replies and HTTP error pages. */
export class I2PConnectError extends Error {
  override readonly name = 'I2PConnectError';
  readonly code: I2PConnectErrorCode;
  constructor(code: I2PConnectErrorCode, message?: string, options?: { cause?: unknown }) {
    super(message ?? `I2P connect failed: ${code}`, options);
    this.code = code;
  }
}

export function isI2PConnectError(e: unknown): e is I2PConnectError {
  return e instanceof I2PConnectError || (e instanceof Error && e.name === 'I2PConnectError' && typeof (e as { code?: unknown }).code === 'string');
}

export interface I2PConnector {
  /** Open a stream to an I2P host: 'xxxx.b32.i2p', a base64 destination, or a name the address book knows. */
  connect(host: string, port: number, opts: { signal?: AbortSignal }): Promise<Duplex>;
}

/** The address book as the HTTP proxy's address helper needs it. `dest` is an I2P base64 Destination. */
export interface AddressBookHandle {
  lookup(name: string): string | undefined;
  add(name: string, dest: string): void;
}

/** Longest host name accepted anywhere (the SOCKS5 limit; DNS names are at most 253). */
export const MAX_HOST_LENGTH = 255;

const NAME_RE = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/;

export type HostKind = 'i2p' | 'ip' | 'clearnet' | 'invalid';

/**
 * Classify a target host as given by a client (SOCKS domain field, URL host, CONNECT authority). Returns the
 * lower-cased name without a trailing dot. `ip` covers IPv4/IPv6 literals (with or without brackets) and
 * also names that are all digits and dots (so `127.1` is never handed to anything as a name).
 */
export function classifyHost(raw: string): { kind: HostKind; host: string } {
  let host = raw.toLowerCase();
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  if (host.endsWith('.')) host = host.slice(0, -1);
  if (host.length === 0 || host.length > MAX_HOST_LENGTH) return { kind: 'invalid', host };
  if (isIP(host) !== 0 || /^[0-9.]+$/.test(host) || /^0x[0-9a-f.x]+$/.test(host)) return { kind: 'ip', host };
  if (!NAME_RE.test(host)) return { kind: 'invalid', host };
  if (host.endsWith('.i2p')) return { kind: 'i2p', host };
  return { kind: 'clearnet', host };
}
