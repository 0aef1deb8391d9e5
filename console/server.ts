/**
 * The console's HTTP server, on i2pd's `[http]` keys (`http.enabled`, `http.address`, `http.port`; default
 * 127.0.0.1:7070). Today it serves the JSON API; pages come later.
 *
 *   GET /api/status → RouterStatus (see console/status.ts; documented in console/README.md)
 *   GET /api/peers  → { peers: SessionInfo[] } (transport/manager.ts)
 *   GET /api/i2np   → I2NP message counters
 *   GET /api/destinations → { destinations: [{ name, b32, tunnels: { inbound, outbound }, leaseSetPublished }] }
 *
 * The console uses the router's public surface only: it is handed a `status()` function.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RouterStatus } from './status.js';

export interface ConsoleOptions {
  address: string;
  port: number;
  status: () => RouterStatus;
  /** Established transport sessions (GET /api/peers). */
  peers?: () => unknown[];
  /** Local destinations (GET /api/destinations). */
  destinations?: () => unknown[];
  /** I2NP counters (GET /api/i2np). */
  i2np?: () => unknown;
}

export class ConsoleServer {
  readonly #opts: ConsoleOptions;
  #server: Server | undefined;

  constructor(opts: ConsoleOptions) {
    this.#opts = opts;
  }

  /** Listen; resolves with the bound address (port 0 picks a free one). */
  async listen(): Promise<AddressInfo> {
    const server = createServer((req, res) => this.#handle(req, res));
    server.headersTimeout = 10_000;
    server.requestTimeout = 15_000;
    server.keepAliveTimeout = 5_000;
    server.maxHeadersCount = 100;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.#opts.port, this.#opts.address, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.#server = server;
    return server.address() as AddressInfo;
  }

  async close(): Promise<void> {
    const s = this.#server;
    this.#server = undefined;
    if (!s) return;
    await new Promise<void>((resolve) => {
      s.close(() => resolve());
      s.closeAllConnections();
    });
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://console.invalid');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      send(res, 405, { error: 'method not allowed' }, { Allow: 'GET, HEAD' });
      return;
    }
    switch (url.pathname) {
      case '/api/status':
        send(res, 200, this.#opts.status());
        return;
      case '/api/destinations':
        send(res, 200, { destinations: this.#opts.destinations?.() ?? [] });
        return;
      case '/api/i2np':
        send(res, 200, this.#opts.i2np?.() ?? {});
        return;
      case '/api/peers':
        send(res, 200, { peers: this.#opts.peers?.() ?? [] });
        return;
      default:
        send(res, 404, { error: 'not found', path: url.pathname });
    }
  }
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const json = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(json),
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
    ...headers,
  });
  res.end(res.req.method === 'HEAD' ? undefined : json);
}
