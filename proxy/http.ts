/**
 * The HTTP proxy: absolute-URI requests (`GET http://x.b32.i2p/path HTTP/1.1`) and CONNECT to `.i2p` hosts,
 * through the injected I2PConnector. HTTP is parsed by node:http on both sides (server for the browser,
 * client over the I2P stream); nothing here parses HTTP by hand.
 *
 * Specs: ../shared/specs/docs/api-i2ptunnel.html (HTTP client tunnel), docs/naming.html (addresshelper).
 * Behaviour reference: i2pd 2.45.1 libi2pd_client/HTTPProxy.cpp. Choices and deviations:
 * - Request line rewritten to origin form; Host set from the URL (port kept unless 80).
 * - Headers sanitised as i2pd `SanitizeHTTPRequest`: drop Via, From, Forwarded, DNT, X-Forwarded-*,
 *   Proxy-*, every Accept-* except Accept-Encoding (and Accept itself), X-Requested-With unless it names an
 *   XMLHttpRequest; User-Agent replaced by `MYOB/6.66 (AN/ON)`; Referer kept only when it has the request's
 *   scheme, host and port. Also dropped, as hop-by-hop (RFC 9110 §7.6.1): Connection and the headers it
 *   lists, Keep-Alive, TE, Trailer, Upgrade, Expect (node answered 100-continue already). WebSocket
 *   upgrades are therefore not passed through (i2pd passes them).
 * - Keep-alive: the browser side keeps its connection (node:http server); each request gets its own
 *   upstream stream, sent with `Connection: close` (i2pd closes both). Response hop-by-hop headers are
 *   dropped and node re-frames the body.
 * - Address helper (`?i2paddresshelper=<base64 destination>`): if the address book already maps the name to
 *   that destination → 302 to the URL without the helper. Otherwise a confirmation page (200, no-store) with
 *   the b32 of the new destination and a warning if it replaces a different one; its link carries a
 *   single-use random token (bounded store, 10 min), and only a request with that token saves the entry and
 *   redirects. i2pd instead trusts a same-host Referer; a token can't be produced by a hostile page.
 *   Only base64 destinations are accepted (i2pd also accepts b32 helpers).
 * - Error pages: see http-pages.ts for status codes.
 * - Non-.i2p hosts (names and IP literals) are refused (403) unless `httpproxy.outproxy` is set:
 *   `socks://host[:port]` (SOCKS5, default port 9050) or `http://name.i2p[:port]` (an I2P HTTP outproxy,
 *   reached through the connector; it gets the absolute-URI request, and CONNECT requests verbatim).
 *   A clearnet `http://` outproxy is refused as bad settings, as in i2pd. Never any DNS lookup of a target.
 * Limits: maxConnections (accept-time), maxHeaderSize (→ 431), headersTimeout/requestTimeout (slowloris →
 * 408), keepAliveTimeout, connect and response timeouts (→ 504).
 */
import { randomBytes } from 'node:crypto';
import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
  type OutgoingHttpHeaders,
} from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { pino, type Logger } from 'pino';
import type { Config } from '../conf/load.js';
import { b32Address, fromBase64 } from '../data/base64.js';
import { parseDestination } from '../data/identity.js';
import { classifyHost, isI2PConnectError, type AddressBookHandle, type I2PConnector } from './connector.js';
import { DEFAULT_JUMP_SERVICES, escapeHtml, page, pages, type Page } from './http-pages.js';
import { connectViaSocks5, OutproxyError, type OutproxyAddress } from './outproxy.js';
import { splice } from './pipe.js';

export const FIXED_USER_AGENT = 'MYOB/6.66 (AN/ON)';
export const ADDRESS_HELPER_PARAM = 'i2paddresshelper';
export const ADDRESS_HELPER_CONFIRM_PARAM = 'i2paddresshelper_confirm';

export interface HttpProxyOptions {
  connector: I2PConnector;
  /** For the address helper; without it helper links get the "disabled" page. */
  addressBook?: AddressBookHandle;
  /** Listen address; default 127.0.0.1. */
  host?: string;
  /** Listen port; default 4444; 0 picks a free one. */
  port?: number;
  /** `httpproxy.outproxy`: '' (none), `socks://host[:port]` or `http://name.i2p[:port]`. */
  outproxy?: string;
  /** `httpproxy.addresshelper`; default true. */
  addressHelper?: boolean;
  /** Concurrent browser connections; default 256. */
  maxConnections?: number;
  /** Largest request head (request line + headers), bytes; default 16 KiB. Larger → 431. */
  maxHeaderSize?: number;
  /** Time to receive a request's headers (also the idle time before the first one); default 30 s. */
  headersTimeoutMs?: number;
  /** Time to receive a whole request including its body; default 300 s. */
  requestTimeoutMs?: number;
  /** Idle time of a kept-alive browser connection; default 5 s. */
  keepAliveTimeoutMs?: number;
  /** Time to open the I2P stream / outproxy connection; default 120 s. */
  connectTimeoutMs?: number;
  /** Time from request sent to response headers; default 180 s. */
  responseTimeoutMs?: number;
  jumpServices?: readonly { name: string; url: string }[];
  logger?: Logger;
}

export const HTTP_DEFAULTS = {
  host: '127.0.0.1',
  port: 4444,
  maxConnections: 256,
  maxHeaderSize: 16 * 1024,
  headersTimeoutMs: 30_000,
  requestTimeoutMs: 300_000,
  keepAliveTimeoutMs: 5_000,
  connectTimeoutMs: 120_000,
  responseTimeoutMs: 180_000,
} as const;

/** Options from i2pd's `httpproxy.*` keys. The caller checks `httpproxy.enabled`. */
export function httpProxyOptionsFromConfig(
  config: Pick<Config, 'get'>,
  connector: I2PConnector,
  addressBook?: AddressBookHandle,
  logger?: Logger,
): HttpProxyOptions {
  return {
    connector,
    addressBook,
    host: config.get('httpproxy.address'),
    port: config.get('httpproxy.port'),
    outproxy: config.get('httpproxy.outproxy'),
    addressHelper: config.get('httpproxy.addresshelper'),
    logger,
  };
}

type Outproxy = { kind: 'none' } | { kind: 'socks'; addr: OutproxyAddress } | { kind: 'i2p'; host: string; port: number } | { kind: 'bad'; why: string };

/** Parse `httpproxy.outproxy`. */
export function parseOutproxy(s: string | undefined): Outproxy {
  if (!s) return { kind: 'none' };
  let u: URL;
  try {
    u = new URL(s);
  } catch {
    return { kind: 'bad', why: 'Bad outproxy settings' };
  }
  const host = classifyHost(u.hostname);
  if (u.protocol === 'socks:' || u.protocol === 'socks5:') {
    if (host.kind === 'invalid') return { kind: 'bad', why: 'Bad outproxy settings' };
    return { kind: 'socks', addr: { host: host.host, port: u.port ? Number(u.port) : 9050 } };
  }
  if (u.protocol === 'http:' && host.kind === 'i2p') return { kind: 'i2p', host: host.host, port: u.port ? Number(u.port) : 80 };
  return { kind: 'bad', why: 'Only socks:// or http://<name>.i2p outproxies are supported' };
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'proxy-connection', 'expect']);

/**
 * The request headers to send upstream, from the browser's raw headers (order and case kept), sanitised as
 * described at the top of this file. Returns [name, value] pairs.
 */
export function sanitizeRequestHeaders(rawHeaders: readonly string[], url: URL): [string, string][] {
  const connectionListed = new Set<string>();
  for (let i = 0; i < rawHeaders.length; i += 2) {
    if (rawHeaders[i]!.toLowerCase() === 'connection') {
      for (const t of rawHeaders[i + 1]!.split(',')) connectionListed.add(t.trim().toLowerCase());
    }
  }
  const out: [string, string][] = [];
  let chunked = false;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!;
    const value = rawHeaders[i + 1]!;
    const n = name.toLowerCase();
    if (n === 'transfer-encoding') {
      if (value.toLowerCase().includes('chunked')) chunked = true;
      continue;
    }
    if (HOP_BY_HOP.has(n) || connectionListed.has(n)) continue;
    if (n === 'host' || n === 'user-agent') continue; // replaced below
    if (n === 'via' || n === 'from' || n === 'forwarded' || n === 'dnt') continue;
    if (n.startsWith('x-forwarded') || n.startsWith('proxy-')) continue;
    if (n.startsWith('accept') && n !== 'accept-encoding') continue;
    if (n === 'x-requested-with' && !value.includes('HttpRequest')) continue;
    if (n === 'referer' && !sameOrigin(value, url)) continue;
    out.push([name, value]);
  }
  out.unshift(['Host', url.port ? `${url.hostname}:${url.port}` : url.hostname]);
  out.push(['User-Agent', FIXED_USER_AGENT]);
  if (chunked) out.push(['Transfer-Encoding', 'chunked']);
  out.push(['Connection', 'close']);
  return out;
}

function sameOrigin(referer: string, url: URL): boolean {
  try {
    const r = new URL(referer);
    return r.protocol === url.protocol && r.hostname === url.hostname && r.port === url.port;
  } catch {
    return false;
  }
}

/** Response headers to pass to the browser: everything but hop-by-hop. Flat [name, value, ...]. */
function sanitizeResponseHeaders(rawHeaders: readonly string[]): string[] {
  const listed = new Set<string>();
  for (let i = 0; i < rawHeaders.length; i += 2) {
    if (rawHeaders[i]!.toLowerCase() === 'connection') for (const t of rawHeaders[i + 1]!.split(',')) listed.add(t.trim().toLowerCase());
  }
  const out: string[] = [];
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const n = rawHeaders[i]!.toLowerCase();
    if (HOP_BY_HOP.has(n) || listed.has(n) || n.startsWith('proxy-')) continue;
    out.push(rawHeaders[i]!, rawHeaders[i + 1]!);
  }
  return out;
}

/** Remove the address-helper parameters from a query string, keeping the others byte for byte. */
export function stripHelperParams(search: string): string {
  if (!search || search === '?') return '';
  const kept = search
    .slice(1)
    .split('&')
    .filter((p) => {
      const k = p.split('=', 1)[0]!;
      return k !== ADDRESS_HELPER_PARAM && k !== ADDRESS_HELPER_CONFIRM_PARAM;
    });
  return kept.length > 0 ? '?' + kept.join('&') : '';
}

/** The b32 address of a base64 destination, or undefined if it is not a valid destination. */
export function destinationB32(dest: string): string | undefined {
  try {
    return b32Address(parseDestination(fromBase64(dest)).hash);
  } catch {
    return undefined;
  }
}

const TOKEN_TTL_MS = 10 * 60_000;
const MAX_TOKENS = 64;

type Route = { kind: 'i2p'; host: string; port: number } | { kind: 'socks'; host: string; port: number; addr: OutproxyAddress } | { kind: 'i2p-outproxy'; host: string; port: number; proxyHost: string; proxyPort: number };

export class HttpProxy {
  readonly #o: Required<Omit<HttpProxyOptions, 'addressBook' | 'logger' | 'outproxy'>>;
  readonly #addressBook: AddressBookHandle | undefined;
  readonly #outproxy: Outproxy;
  readonly #log: Logger;
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  readonly #closing = new AbortController();
  /** Address-helper confirmation tokens → what they confirm. Bounded, oldest evicted. */
  readonly #tokens = new Map<string, { host: string; dest: string; expires: number }>();

  constructor(opts: HttpProxyOptions) {
    this.#o = {
      connector: opts.connector,
      host: opts.host ?? HTTP_DEFAULTS.host,
      port: opts.port ?? HTTP_DEFAULTS.port,
      addressHelper: opts.addressHelper ?? true,
      maxConnections: opts.maxConnections ?? HTTP_DEFAULTS.maxConnections,
      maxHeaderSize: opts.maxHeaderSize ?? HTTP_DEFAULTS.maxHeaderSize,
      headersTimeoutMs: opts.headersTimeoutMs ?? HTTP_DEFAULTS.headersTimeoutMs,
      requestTimeoutMs: opts.requestTimeoutMs ?? HTTP_DEFAULTS.requestTimeoutMs,
      keepAliveTimeoutMs: opts.keepAliveTimeoutMs ?? HTTP_DEFAULTS.keepAliveTimeoutMs,
      connectTimeoutMs: opts.connectTimeoutMs ?? HTTP_DEFAULTS.connectTimeoutMs,
      responseTimeoutMs: opts.responseTimeoutMs ?? HTTP_DEFAULTS.responseTimeoutMs,
      jumpServices: opts.jumpServices ?? DEFAULT_JUMP_SERVICES,
    };
    this.#addressBook = opts.addressBook;
    this.#outproxy = parseOutproxy(opts.outproxy);
    this.#log = (opts.logger ?? pino({ level: 'silent' })).child({ module: 'httpproxy' });
    const requestTimeout = Math.max(this.#o.requestTimeoutMs, this.#o.headersTimeoutMs);
    this.#server = createServer({
      maxHeaderSize: this.#o.maxHeaderSize,
      headersTimeout: this.#o.headersTimeoutMs,
      requestTimeout,
      keepAliveTimeout: this.#o.keepAliveTimeoutMs,
      // How often node checks the two timeouts above; at most a quarter of the shorter one.
      connectionsCheckingInterval: Math.max(50, Math.min(30_000, Math.floor(this.#o.headersTimeoutMs / 4))),
      insecureHTTPParser: false,
      joinDuplicateHeaders: false,
    });
    this.#server.maxConnections = this.#o.maxConnections;
    this.#server.on('connection', (s: Socket) => {
      this.#sockets.add(s);
      s.once('close', () => this.#sockets.delete(s));
    });
    this.#server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      this.#onRequest(req, res).catch((e: unknown) => {
        this.#log.debug({ err: e instanceof Error ? e.message : String(e) }, 'request handler failed');
        if (!res.headersSent) this.#sendPage(res, pages.generic());
        else res.destroy();
      });
    });
    this.#server.on('connect', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      this.#onConnect(req, socket as Socket, head).catch((e: unknown) => {
        this.#log.debug({ err: e instanceof Error ? e.message : String(e) }, 'CONNECT handler failed');
        socket.destroy();
      });
    });
    this.#server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => this.#onClientError(err, socket));
  }

  listen(opts: { signal?: AbortSignal } = {}): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      opts.signal?.throwIfAborted();
      const onError = (e: Error): void => {
        opts.signal?.removeEventListener('abort', onAbort);
        reject(e);
      };
      const onAbort = (): void => {
        this.#server.off('error', onError);
        void this.close();
        reject(opts.signal!.reason);
      };
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      this.#server.once('error', onError);
      this.#server.listen({ host: this.#o.host, port: this.#o.port }, () => {
        this.#server.off('error', onError);
        opts.signal?.removeEventListener('abort', onAbort);
        const addr = this.#server.address() as AddressInfo;
        this.#log.info({ address: addr.address, port: addr.port, outproxy: this.#outproxy.kind }, 'HTTP proxy listening');
        resolve(addr);
      });
    });
  }

  get address(): AddressInfo | undefined {
    return (this.#server.address() as AddressInfo | null) ?? undefined;
  }

  get connections(): number {
    return this.#sockets.size;
  }

  async close(): Promise<void> {
    this.#closing.abort(new Error('HTTP proxy closing'));
    for (const s of this.#sockets) s.destroy();
    if (!this.#server.listening) return;
    await new Promise<void>((r) => this.#server.close(() => r()));
  }

  // ---- plain requests ----

  async #onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const rawUrl = req.url ?? '';
    let url: URL;
    try {
      if (/^http:\/\//i.test(rawUrl)) url = new URL(rawUrl);
      else if (rawUrl.startsWith('/')) {
        // Origin form: transparent-proxy style, the Host header names the target (as i2pd).
        const h = req.headers.host;
        if (!h) return this.#sendPage(res, pages.badRequest("Can't detect the destination host from the request"));
        url = new URL(`http://${h}${rawUrl}`);
      } else if (/^[a-z][a-z0-9+.-]*:\/\//i.test(rawUrl)) {
        return this.#sendPage(res, pages.badRequest('Only http:// URLs can be requested; use CONNECT for https'));
      } else {
        return this.#sendPage(res, pages.badRequest('Invalid request URI'));
      }
    } catch {
      return this.#sendPage(res, pages.badRequest('Invalid request URI'));
    }
    if (url.protocol !== 'http:') return this.#sendPage(res, pages.badRequest('Only http:// URLs can be requested'));

    const target = classifyHost(url.hostname);
    if (target.kind === 'invalid') return this.#sendPage(res, pages.badRequest('Invalid host name'));

    if (url.search.includes(ADDRESS_HELPER_PARAM + '=')) {
      const params = new URLSearchParams(url.search);
      const dest = params.get(ADDRESS_HELPER_PARAM);
      if (dest !== null) return this.#addressHelper(res, url, target, dest, params.get(ADDRESS_HELPER_CONFIRM_PARAM));
    }

    const port = url.port ? Number(url.port) : 80;
    const route = this.#route(target, port);
    if ('page' in route) return this.#sendPage(res, route.page);

    this.#log.debug({ method: req.method, host: target.host, port, route: route.kind }, 'request');

    const clientGone = new AbortController();
    const onGone = (): void => clientGone.abort(new Error('client went away'));
    res.once('close', onGone);
    const connectTimeout = AbortSignal.timeout(this.#o.connectTimeoutMs);
    const signal = AbortSignal.any([clientGone.signal, this.#closing.signal, connectTimeout]);

    let upstream: Duplex;
    try {
      upstream = await this.#open(route, signal);
    } catch (e) {
      res.off('close', onGone);
      if (res.destroyed || clientGone.signal.aborted) return;
      return this.#sendPage(res, this.#pageForError(e, route, connectTimeout.aborted));
    }
    if (clientGone.signal.aborted || this.#closing.signal.aborted) {
      res.off('close', onGone);
      upstream.destroy();
      return;
    }
    res.off('close', onGone);

    // Request line: origin form to the site; absolute form to an I2P HTTP outproxy. The path and query are
    // passed as the browser sent them (not re-serialised by URL, which would normalise them).
    const rawPath = rawUrl.startsWith('/') ? rawUrl : rawUrl.replace(/^http:\/\/[^/?#]*/i, '').replace(/#.*$/, '') || '/';
    const path = route.kind === 'i2p-outproxy' ? url.origin + (rawPath.startsWith('/') ? rawPath : '/' + rawPath) : rawPath.startsWith('/') ? rawPath : '/' + rawPath;
    const headers = sanitizeRequestHeaders(req.rawHeaders, url);
    await this.#forward(req, res, upstream, path, headers, target.host);
  }

  #forward(req: IncomingMessage, res: ServerResponse, upstream: Duplex, path: string, headers: [string, string][], host: string): Promise<void> {
    return new Promise<void>((resolve) => {
      let settled = false;
      const finish = (): void => {
        if (settled) return;
        settled = true;
        clearTimeout(responseTimer);
        resolve();
      };
      const upReq = httpRequest({
        method: req.method,
        path,
        // node accepts raw [name, value] pairs here; its typings only know the object form.
        headers: headers as unknown as OutgoingHttpHeaders,
        createConnection: () => upstream as unknown as Socket,
        maxHeaderSize: 64 * 1024,
        setHost: false,
      });
      const responseTimer = setTimeout(() => {
        if (!res.headersSent) this.#sendPage(res, pages.timeout(host));
        upReq.destroy();
        upstream.destroy();
        finish();
      }, this.#o.responseTimeoutMs);
      responseTimer.unref();

      upReq.on('response', (upRes: IncomingMessage) => {
        clearTimeout(responseTimer);
        if (res.destroyed) {
          upRes.destroy();
          upstream.destroy();
          return finish();
        }
        res.writeHead(upRes.statusCode ?? 502, upRes.statusMessage, sanitizeResponseHeaders(upRes.rawHeaders));
        upRes.pipe(res);
        upRes.on('error', () => {
          res.destroy();
          upstream.destroy();
          finish();
        });
        upRes.on('end', finish);
      });
      upReq.on('error', (e: Error) => {
        this.#log.debug({ err: e.message }, 'upstream request failed');
        if (!res.headersSent && !res.destroyed) this.#sendPage(res, pages.badUpstream(host));
        else res.destroy();
        upstream.destroy();
        finish();
      });
      // Browser went away mid-request or mid-response: drop the upstream stream.
      res.once('close', () => {
        if (!res.writableFinished) {
          upReq.destroy();
          upstream.destroy();
        }
        finish();
      });
      req.pipe(upReq);
    });
  }

  // ---- CONNECT ----

  async #onConnect(req: IncomingMessage, socket: Socket, head: Buffer): Promise<void> {
    socket.on('error', () => socket.destroy());
    const authority = req.url ?? '';
    const m = /^(\[[0-9a-fA-F:.]+\]|[^:\[\]/@\s]+):(\d{1,5})$/.exec(authority);
    if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535) return this.#sendRawPage(socket, pages.badRequest('Invalid request URI'));
    const target = classifyHost(m[1]!);
    const port = Number(m[2]);
    if (target.kind === 'invalid') return this.#sendRawPage(socket, pages.badRequest('Invalid host name'));
    const route = this.#route(target, port);
    if ('page' in route) return this.#sendRawPage(socket, route.page);
    this.#log.debug({ host: target.host, port, route: route.kind }, 'CONNECT');

    // While the stream opens, bytes the client sends early wait in the socket's buffer (bounded by its
    // high-water mark); a client that resets is still noticed and aborts the connect.
    const gone = new AbortController();
    const onGone = (): void => gone.abort(new Error('client went away'));
    socket.once('close', onGone);
    const stopEarly = (): void => {
      socket.off('close', onGone);
    };
    const connectTimeout = AbortSignal.timeout(this.#o.connectTimeoutMs);
    const signal = AbortSignal.any([gone.signal, this.#closing.signal, connectTimeout]);
    let upstream: Duplex;
    try {
      upstream = await this.#open(route, signal);
    } catch (e) {
      stopEarly();
      if (socket.destroyed) return;
      return this.#sendRawPage(socket, this.#pageForError(e, route, connectTimeout.aborted));
    }
    stopEarly();
    if (socket.destroyed || signal.aborted) {
      upstream.destroy();
      return;
    }
    if (route.kind === 'i2p-outproxy') {
      // The outproxy answers the CONNECT itself; its reply goes straight to the browser.
      upstream.write(`CONNECT ${target.host.includes(':') ? `[${target.host}]` : target.host}:${port} HTTP/1.1\r\nHost: ${target.host}:${port}\r\n\r\n`);
    } else {
      socket.write('HTTP/1.1 200 Connection established\r\n\r\n');
    }
    const sp = splice(socket, upstream, head);
    const onClosing = (): void => sp.destroy();
    this.#closing.signal.addEventListener('abort', onClosing, { once: true });
    await sp.done;
    this.#closing.signal.removeEventListener('abort', onClosing);
  }

  // ---- routing ----

  #route(target: { kind: string; host: string }, port: number): Route | { page: Page } {
    if (target.kind === 'i2p') return { kind: 'i2p', host: target.host, port };
    const o = this.#outproxy;
    switch (o.kind) {
      case 'none':
        return { page: pages.noOutproxy(target.host) };
      case 'bad':
        return { page: pages.badOutproxy(o.why) };
      case 'socks':
        return { kind: 'socks', host: target.host, port, addr: o.addr };
      case 'i2p':
        return { kind: 'i2p-outproxy', host: target.host, port, proxyHost: o.host, proxyPort: o.port };
    }
  }

  async #open(route: Route, signal: AbortSignal): Promise<Duplex> {
    switch (route.kind) {
      case 'i2p':
        return this.#o.connector.connect(route.host, route.port, { signal });
      case 'i2p-outproxy':
        return this.#o.connector.connect(route.proxyHost, route.proxyPort, { signal });
      case 'socks': {
        const r = await connectViaSocks5(route.addr, route.host, route.port, { signal });
        if (r.head.length > 0) r.socket.unshift(r.head);
        return r.socket;
      }
    }
  }

  #pageForError(e: unknown, route: Route, timedOut: boolean): Page {
    const host = route.kind === 'i2p-outproxy' ? route.proxyHost : route.host;
    this.#log.debug({ err: e instanceof Error ? e.message : String(e), route: route.kind }, 'connect failed');
    if (isI2PConnectError(e)) {
      switch (e.code) {
        case 'NOT_FOUND':
          return pages.hostNotFound(host, route.kind === 'i2p' ? this.#o.jumpServices : []);
        case 'UNREACHABLE':
          return pages.unreachable(host);
        case 'TIMEOUT':
          return pages.timeout(host);
        case 'REFUSED':
          return pages.refused(host, route.kind === 'i2p-outproxy' ? route.proxyPort : route.port);
        case 'BAD_ADDRESS':
          return pages.badAddress(host);
      }
    }
    if (timedOut) return pages.timeout(host);
    if (e instanceof OutproxyError) return pages.badOutproxy(`The outproxy could not connect (SOCKS reply ${e.reply}).`);
    return pages.unreachable(host);
  }

  // ---- address helper ----

  #addressHelper(res: ServerResponse, url: URL, target: { kind: string; host: string }, dest: string, token: string | null): void {
    if (!this.#o.addressHelper || !this.#addressBook) return this.#sendPage(res, pages.addressHelperDisabled());
    const clean = url.origin + url.pathname + stripHelperParams(url.search);
    if (target.kind !== 'i2p') return this.#sendPage(res, pages.badRequest('The address helper is only for .i2p host names'));
    if (target.host.endsWith('.b32.i2p')) return this.#redirect(res, clean);
    const b32 = destinationB32(dest);
    if (!b32) return this.#sendPage(res, pages.badRequest('The address helper is not a valid base64 destination'));
    const book = this.#addressBook;
    const existing = book.lookup(target.host);
    if (existing === dest) return this.#redirect(res, clean);

    const now = Date.now();
    if (token !== null) {
      const t = this.#tokens.get(token);
      if (t && t.expires > now && t.host === target.host && t.dest === dest) {
        this.#tokens.delete(token);
        book.add(target.host, dest);
        this.#log.info('address helper entry saved');
        this.#log.debug({ host: target.host, b32 }, 'address helper entry saved');
        return this.#redirect(res, clean);
      }
    }
    // Ask first.
    for (const [k, v] of this.#tokens) if (v.expires <= now) this.#tokens.delete(k);
    while (this.#tokens.size >= MAX_TOKENS) this.#tokens.delete(this.#tokens.keys().next().value!);
    const newToken = randomBytes(16).toString('hex');
    this.#tokens.set(newToken, { host: target.host, dest, expires: now + TOKEN_TTL_MS });
    const sep = stripHelperParams(url.search) ? '&' : '?';
    const confirmUrl = `${clean}${sep}${ADDRESS_HELPER_PARAM}=${encodeURIComponent(dest)}&${ADDRESS_HELPER_CONFIRM_PARAM}=${newToken}`;
    const existingB32 = existing !== undefined ? destinationB32(existing) ?? 'an unreadable entry' : undefined;
    let body = `<p>A link wants to add <b>${escapeHtml(target.host)}</b> to the router's address book as</p>\r\n<p><code>${escapeHtml(b32)}</code></p>\r\n`;
    if (existingB32 !== undefined) {
      body += `<p style="color:red"><b>${escapeHtml(target.host)} is already in the address book as <code>${escapeHtml(existingB32)}</code>. Saving replaces it. Be careful: the link may come from a harmful source.</b></p>\r\n`;
    }
    body += `<p><a id="confirm" href="${escapeHtml(confirmUrl)}">Save and continue to ${escapeHtml(target.host)}</a></p>\r\n`;
    body += `<p>Or go back: nothing is saved without this confirmation.</p>`;
    this.#sendPage(res, page(200, existingB32 !== undefined ? 'Proxy info: Address helper update' : 'Proxy info: Address helper request', body));
  }

  // ---- responses ----

  #redirect(res: ServerResponse, location: string): void {
    res.writeHead(302, { Location: location, 'Content-Length': 0, 'Cache-Control': 'no-store' });
    res.end();
  }

  #sendPage(res: ServerResponse, p: Page): void {
    if (res.headersSent || res.destroyed) return void res.destroy();
    const body = Buffer.from(p.html, 'utf8');
    const headers: OutgoingHttpHeaders = {
      'Content-Type': 'text/html; charset=utf-8',
      'Content-Length': body.length,
      'Cache-Control': 'no-store',
    };
    // Errors close the connection (as i2pd); info pages keep it.
    if (p.status >= 400) headers['Connection'] = 'close';
    res.writeHead(p.status, headers);
    res.end(body);
  }

  /** A complete response written on a raw socket (CONNECT, parse errors), then close. */
  #sendRawPage(socket: Duplex, p: Page): void {
    if (socket.destroyed) return;
    const body = Buffer.from(p.html, 'utf8');
    const reason = STATUS_TEXT[p.status] ?? 'Error';
    socket.on('data', () => {}); // drain whatever else arrives
    socket.write(
      `HTTP/1.1 ${p.status} ${reason}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: ${body.length}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n`,
    );
    socket.end(body);
    socket.once('end', () => socket.destroy());
    setTimeout(() => socket.destroy(), 5_000).unref();
  }

  #onClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
    const code = err.code ?? '';
    if (code === 'ECONNRESET' || !socket.writable || (socket as Socket & { _httpMessage?: ServerResponse })._httpMessage?.headersSent) {
      socket.destroy();
      return;
    }
    const p =
      code === 'HPE_HEADER_OVERFLOW'
        ? pages.headerTooLarge()
        : code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? pages.requestTimeout()
          : pages.badRequest('Proxy unable to parse your request');
    this.#log.debug({ code }, 'bad client request');
    const body = Buffer.from(p.html, 'utf8');
    const reason = STATUS_TEXT[p.status] ?? 'Error';
    socket.write(
      `HTTP/1.1 ${p.status} ${reason}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`,
    );
    socket.end(body);
    setTimeout(() => socket.destroy(), 2_000).unref();
  }
}

const STATUS_TEXT: Record<number, string> = {
  200: 'OK',
  400: 'Bad Request',
  403: 'Forbidden',
  404: 'Not Found',
  408: 'Request Timeout',
  431: 'Request Header Fields Too Large',
  502: 'Bad Gateway',
  504: 'Gateway Timeout',
};

/** Create and start an HTTP proxy. */
export async function startHttpProxy(opts: HttpProxyOptions & { signal?: AbortSignal }): Promise<HttpProxy> {
  const p = new HttpProxy(opts);
  await p.listen({ signal: opts.signal });
  return p;
}
