/**
 * Subscription downloads: one plain HTTP/1.1 GET over an I2P stream (never DNS, never clearnet).
 *
 * Behaviour reference: i2pd 2.45.1 AddressBook.cpp `AddressBookSubscription::MakeRequest` — the same request
 * headers (Host, `User-Agent: Wget/1.11.4`, `Accept-Encoding: gzip`, `X-Accept-Encoding`, `Connection:
 * close`, If-None-Match / If-Modified-Since), chunked and gzip bodies, a Content-Length that does not match
 * the body is a failure. Specs: ../shared/specs/docs/naming.html ("Hosting and HTTP Transport Issues").
 *
 * Choices, written down:
 * - The response is parsed by node's HTTP client (llhttp) over the I2P stream, as proxy/http.ts does.
 * - Bounds: the body (maxBytes, before and after gunzip), the response head (64 KiB), and the whole exchange
 *   (the caller's signal; subscriptions give it a deadline).
 * - Only `http://` URLs whose host is an I2P host (`.i2p`) are fetched; anything else is refused before any
 *   connection (subscriptionUrlProblem).
 */
import { request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';
import { gunzip } from 'node:zlib';
import { classifyHost, type I2PConnector } from '../connector.js';

export interface SubscriptionResponse {
  status: number;
  /** Header names lower-cased; repeated headers joined as node joins them. */
  headers: Readonly<Record<string, string>>;
  body: Uint8Array;
}

export interface SubscriptionFetchOptions {
  signal: AbortSignal;
  /** Extra request headers (If-None-Match, If-Modified-Since). */
  headers: Readonly<Record<string, string>>;
  /** Largest body accepted (after decompression). */
  maxBytes: number;
}

/** How the address book downloads a subscription. Rejects with FetchError (or an AbortError). */
export type SubscriptionFetch = (url: string, opts: SubscriptionFetchOptions) => Promise<SubscriptionResponse>;

export type FetchErrorCode = 'BAD_URL' | 'TOO_LARGE' | 'BAD_RESPONSE' | 'CONNECT_FAILED';

export class FetchError extends Error {
  override readonly name = 'FetchError';
  readonly code: FetchErrorCode;
  constructor(code: FetchErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** Longest subscription URL accepted. */
export const MAX_URL_LENGTH = 2048;

/**
 * Why a subscription URL must not be fetched (undefined: fine). Only `http://<I2P host>[:port]/…`: a
 * clearnet host or an IP literal would leave I2P (or need DNS), so it is refused.
 */
export function subscriptionUrlProblem(url: string): string | undefined {
  if (url.length > MAX_URL_LENGTH) return 'URL too long';
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return 'not a URL';
  }
  if (u.protocol !== 'http:') return `scheme ${u.protocol} is not supported (http:// only, as in i2pd)`;
  if (u.username || u.password) return 'credentials in the URL are not supported';
  const h = classifyHost(u.hostname);
  if (h.kind !== 'i2p') return `host ${u.hostname} is not an I2P host (.i2p); subscriptions are fetched over I2P only`;
  return undefined;
}

const REQUEST_HEADERS = {
  'User-Agent': 'Wget/1.11.4',
  'Accept-Encoding': 'gzip',
  'X-Accept-Encoding': 'x-i2p-gzip;q=1.0, identity;q=0.5, deflate;q=0, gzip;q=0, *;q=0',
  Connection: 'close',
} as const;

/** A SubscriptionFetch that opens a stream with `connector` (the router's I2P connector). */
export function i2pHttpFetch(connector: I2PConnector): SubscriptionFetch {
  return async (url, opts) => {
    const problem = subscriptionUrlProblem(url);
    if (problem) throw new FetchError('BAD_URL', `${url}: ${problem}`);
    const u = new URL(url);
    const host = classifyHost(u.hostname).host;
    const port = u.port ? Number(u.port) : 80;
    let stream;
    try {
      stream = await connector.connect(host, port, { signal: opts.signal });
    } catch (e) {
      if (opts.signal.aborted) throw e;
      throw new FetchError('CONNECT_FAILED', `${host}: ${(e as Error).message}`, { cause: e });
    }
    return await new Promise<SubscriptionResponse>((resolve, reject) => {
      let settled = false;
      const done = (err: Error | undefined, value?: SubscriptionResponse): void => {
        if (settled) return;
        settled = true;
        opts.signal.removeEventListener('abort', onAbort);
        req.destroy();
        stream.destroy();
        if (err) reject(err);
        else resolve(value!);
      };
      const onAbort = (): void => {
        const e = new Error('subscription download aborted', { cause: opts.signal.reason });
        e.name = 'AbortError';
        done(e);
      };
      const headers: OutgoingHttpHeaders = { Host: u.host, ...REQUEST_HEADERS, ...opts.headers };
      const req = httpRequest({
        method: 'GET',
        path: (u.pathname || '/') + u.search,
        headers,
        createConnection: () => stream as unknown as Socket,
        maxHeaderSize: 64 * 1024,
        setHost: false,
      });
      req.on('error', (e) => done(new FetchError('BAD_RESPONSE', `${host}: ${e.message}`, { cause: e })));
      req.on('response', (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > opts.maxBytes) return done(new FetchError('TOO_LARGE', `${host}: response body larger than ${opts.maxBytes} bytes`));
          chunks.push(c);
        });
        res.on('error', (e) => done(new FetchError('BAD_RESPONSE', `${host}: ${e.message}`, { cause: e })));
        res.on('aborted', () => done(new FetchError('BAD_RESPONSE', `${host}: response cut short`)));
        res.on('end', () => {
          if (settled) return;
          const h: Record<string, string> = {};
          for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) h[k] = Array.isArray(v) ? v.join(', ') : v;
          const body = Buffer.concat(chunks);
          const enc = (h['content-encoding'] ?? '').toLowerCase();
          if (enc === 'gzip' || enc === 'x-i2p-gzip') {
            gunzip(body, { maxOutputLength: opts.maxBytes }, (e, out) => {
              if (e) done(new FetchError((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' ? 'TOO_LARGE' : 'BAD_RESPONSE', `${host}: cannot gunzip the response (${e.message})`));
              else done(undefined, { status: res.statusCode ?? 0, headers: h, body: new Uint8Array(out) });
            });
            return;
          }
          if (enc !== '' && enc !== 'identity') return done(new FetchError('BAD_RESPONSE', `${host}: unsupported Content-Encoding ${enc}`));
          done(undefined, { status: res.statusCode ?? 0, headers: h, body: new Uint8Array(body) });
        });
      });
      if (opts.signal.aborted) return onAbort();
      opts.signal.addEventListener('abort', onAbort, { once: true });
      req.end();
    });
  };
}
