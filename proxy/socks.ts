/**
 * The SOCKS proxy: SOCKS 4, 4a and 5, CONNECT only, to `*.i2p` hosts through the injected I2PConnector.
 *
 * Spec: ../shared/specs/docs/api-socks.html. Behaviour reference: i2pd 2.45.1 libi2pd_client/SOCKS.cpp (the
 * wire handshake and its deviations are in socks-protocol.ts). Target policy:
 * - `*.i2p` names → connector.connect(name, port). Reply codes for its errors (i2pd sends 04 for all):
 *   NOT_FOUND 04 host unreachable, UNREACHABLE 04, TIMEOUT 06 TTL expired, REFUSED 05 connection refused,
 *   BAD_ADDRESS 08 address type not supported (the name is not an I2P address), anything else 01.
 *   SOCKS4/4a always gets 91 (0x5B) on failure.
 * - IPv4/IPv6 targets and non-.i2p names: with no outproxy, 08 (as i2pd) / SOCKS4 91. With an outproxy
 *   (socksproxy.outproxy.enabled), the target is passed verbatim to that SOCKS5 server (outproxy.ts) —
 *   never resolved here.
 * - Success: SOCKS5 `05 00 00 01 0.0.0.0:0` (i2pd's answer for .i2p targets), SOCKS4 `00 5A port ip`.
 * Limits: `maxConnections` (excess connections are closed by the listener at accept), a handshake timeout
 * (a client that never finishes is closed; nothing is replied because the version may not be known),
 * a connect timeout (→ TIMEOUT mapping), and a handshake size cap (MAX_HANDSHAKE_BYTES).
 * Destinations of local users are logged at debug level only.
 */
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { pino, type Logger } from 'pino';
import type { Config } from '../conf/load.js';
import { classifyHost, isI2PConnectError, type I2PConnector } from './connector.js';
import { connectViaSocks5, OutproxyError, type OutproxyAddress } from './outproxy.js';
import { splice } from './pipe.js';
import { SocksCommand, SocksHandshake, Socks4Reply, Socks5Reply, socks4Reply, socks5Reply, type SocksRequest } from './socks-protocol.js';

export interface SocksProxyOptions {
  connector: I2PConnector;
  /** Listen address; default 127.0.0.1. */
  host?: string;
  /** Listen port; default 4447; 0 picks a free one. */
  port?: number;
  /** Upstream SOCKS5 server for non-.i2p targets; none = refuse them. */
  outproxy?: OutproxyAddress;
  /** Concurrent client connections (handshaking or piping); default 256. */
  maxConnections?: number;
  /** Time for a client to complete its handshake; default 30 s. */
  handshakeTimeoutMs?: number;
  /** Time for the I2P side (or the outproxy) to open the stream; default 120 s. */
  connectTimeoutMs?: number;
  logger?: Logger;
}

export const SOCKS_DEFAULTS = {
  host: '127.0.0.1',
  port: 4447,
  maxConnections: 256,
  handshakeTimeoutMs: 30_000,
  connectTimeoutMs: 120_000,
} as const;

/** SOCKS5 reply code for an error from the connector (or the outproxy). */
export function socks5ReplyFor(err: unknown): number {
  if (err instanceof OutproxyError) return err.reply;
  if (isI2PConnectError(err)) {
    switch (err.code) {
      case 'NOT_FOUND':
      case 'UNREACHABLE':
        return Socks5Reply.HOST_UNREACHABLE;
      case 'TIMEOUT':
        return Socks5Reply.TTL_EXPIRED;
      case 'REFUSED':
        return Socks5Reply.CONNECTION_REFUSED;
      case 'BAD_ADDRESS':
        return Socks5Reply.ADDRESS_TYPE_NOT_SUPPORTED;
    }
  }
  return Socks5Reply.GENERAL_FAILURE;
}

/** Options from i2pd's `socksproxy.*` keys. The caller checks `socksproxy.enabled`. */
export function socksProxyOptionsFromConfig(config: Pick<Config, 'get'>, connector: I2PConnector, logger?: Logger): SocksProxyOptions {
  const outproxyEnabled = config.get('socksproxy.outproxy.enabled');
  const outHost = config.get('socksproxy.outproxy');
  return {
    connector,
    host: config.get('socksproxy.address'),
    port: config.get('socksproxy.port'),
    outproxy: outproxyEnabled && outHost ? { host: outHost, port: config.get('socksproxy.outproxyport') } : undefined,
    logger,
  };
}

export class SocksProxy {
  readonly #opts: Required<Omit<SocksProxyOptions, 'outproxy' | 'logger'>> & { outproxy?: OutproxyAddress };
  readonly #log: Logger;
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  readonly #closing = new AbortController();
  #stats = { accepted: 0, refused: 0, failed: 0, connected: 0 };

  constructor(opts: SocksProxyOptions) {
    this.#opts = {
      connector: opts.connector,
      host: opts.host ?? SOCKS_DEFAULTS.host,
      port: opts.port ?? SOCKS_DEFAULTS.port,
      maxConnections: opts.maxConnections ?? SOCKS_DEFAULTS.maxConnections,
      handshakeTimeoutMs: opts.handshakeTimeoutMs ?? SOCKS_DEFAULTS.handshakeTimeoutMs,
      connectTimeoutMs: opts.connectTimeoutMs ?? SOCKS_DEFAULTS.connectTimeoutMs,
      outproxy: opts.outproxy,
    };
    this.#log = (opts.logger ?? pino({ level: 'silent' })).child({ module: 'socks' });
    this.#server = createServer({ allowHalfOpen: true, pauseOnConnect: false }, (s) => this.#onConnection(s));
    this.#server.maxConnections = this.#opts.maxConnections;
    this.#server.on('drop', () => this.#stats.refused++);
  }

  /** Start listening. Resolves with the bound address. */
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
      this.#server.listen({ host: this.#opts.host, port: this.#opts.port }, () => {
        this.#server.off('error', onError);
        opts.signal?.removeEventListener('abort', onAbort);
        const addr = this.#server.address() as AddressInfo;
        this.#log.info({ address: addr.address, port: addr.port }, 'SOCKS proxy listening');
        resolve(addr);
      });
    });
  }

  get address(): AddressInfo | undefined {
    return (this.#server.address() as AddressInfo | null) ?? undefined;
  }

  /** Open client connections (handshaking or piping). */
  get connections(): number {
    return this.#sockets.size;
  }

  get stats(): Readonly<{ accepted: number; refused: number; failed: number; connected: number }> {
    return { ...this.#stats };
  }

  /** Stop listening, abort pending connects and close every client connection. */
  async close(): Promise<void> {
    this.#closing.abort(new Error('SOCKS proxy closing'));
    for (const s of this.#sockets) s.destroy();
    if (!this.#server.listening) return;
    await new Promise<void>((r) => this.#server.close(() => r()));
  }

  #onConnection(sock: Socket): void {
    this.#stats.accepted++;
    this.#sockets.add(sock);
    sock.once('close', () => this.#sockets.delete(sock));
    sock.on('error', (e) => this.#log.debug({ err: e.message }, 'client socket error'));
    sock.setNoDelay(true);

    const hs = new SocksHandshake();
    let finished = false;
    const timer = setTimeout(() => {
      this.#log.debug('handshake timeout');
      finishHandshake();
      sock.destroy();
    }, this.#opts.handshakeTimeoutMs);
    timer.unref();

    const finishHandshake = (): void => {
      finished = true;
      clearTimeout(timer);
      sock.off('data', onData);
      sock.off('end', onEnd);
    };
    const onEnd = (): void => {
      // Half-closed before the handshake finished: nothing more can come.
      this.#log.debug('client closed during handshake');
      finishHandshake();
      sock.destroy();
    };
    const onData = (chunk: Buffer): void => {
      if (finished) return;
      hs.push(chunk);
      for (;;) {
        const step = hs.next();
        if (step.type === 'more') return;
        if (step.type === 'reply') {
          sock.write(step.reply);
          continue;
        }
        finishHandshake();
        if (step.type === 'fail') {
          this.#stats.failed++;
          this.#log.debug({ reason: step.reason }, 'handshake failed');
          if (step.reply) endWith(sock, step.reply);
          else sock.destroy();
          return;
        }
        void this.#onRequest(sock, step.request, Buffer.from(hs.rest()));
        return;
      }
    };
    sock.on('data', onData);
    sock.on('end', onEnd);
  }

  async #onRequest(sock: Socket, req: SocksRequest, head: Buffer): Promise<void> {
    const fail = (code5: number, why: string): void => {
      this.#stats.failed++;
      this.#log.debug({ reason: why, code: code5 }, 'request failed');
      const reply = req.version === 5 ? socks5Reply(code5) : socks4Reply(Socks4Reply.REJECTED, req.port, req.socks4Ip);
      if (!sock.destroyed) endWith(sock, reply);
    };
    if (req.command !== SocksCommand.CONNECT) return fail(Socks5Reply.COMMAND_NOT_SUPPORTED, `command ${req.command} not supported`);

    const target = classifyHost(req.target.host);
    let route: 'i2p' | 'outproxy';
    if (req.target.type === 'domain' && target.kind === 'i2p') route = 'i2p';
    else if (target.kind === 'invalid') return fail(Socks5Reply.ADDRESS_TYPE_NOT_SUPPORTED, 'invalid host name');
    else if (this.#opts.outproxy) route = 'outproxy';
    else return fail(Socks5Reply.ADDRESS_TYPE_NOT_SUPPORTED, 'not an I2P host and no outproxy configured');

    // Abort the connect when the client goes away, the proxy closes, or it takes too long. The socket is
    // paused: early data waits in its buffer (node stops reading at the high-water mark), and a reset is
    // still noticed.
    const ac = new AbortController();
    const onGone = (): void => ac.abort(new Error('client went away'));
    sock.once('close', onGone);
    sock.pause();
    const stopEarly = (): void => {
      sock.off('close', onGone);
    };
    const timeout = AbortSignal.timeout(this.#opts.connectTimeoutMs);
    const signal = AbortSignal.any([ac.signal, this.#closing.signal, timeout]);

    let upstream: Duplex;
    let upstreamHead: Uint8Array | undefined;
    try {
      this.#log.debug({ host: target.host, port: req.port, route }, 'connecting');
      if (route === 'i2p') {
        upstream = await this.#opts.connector.connect(target.host, req.port, { signal });
      } else {
        const r = await connectViaSocks5(this.#opts.outproxy!, target.host, req.port, { signal });
        upstream = r.socket;
        upstreamHead = r.head;
      }
    } catch (e) {
      stopEarly();
      if (sock.destroyed) return;
      if (timeout.aborted && !isI2PConnectError(e)) return fail(Socks5Reply.TTL_EXPIRED, 'connect timeout');
      return fail(socks5ReplyFor(e), e instanceof Error ? e.message : String(e));
    }
    stopEarly();
    if (sock.destroyed || signal.aborted) {
      upstream.destroy();
      return;
    }
    this.#stats.connected++;
    sock.write(req.version === 5 ? socks5Reply(Socks5Reply.SUCCEEDED) : socks4Reply(Socks4Reply.GRANTED, req.port, req.socks4Ip));
    // Bytes the outproxy sent right behind its reply belong to the client, after our reply.
    if (upstreamHead && upstreamHead.length > 0) sock.write(upstreamHead);
    const sp = splice(sock, upstream, head);
    const onClosing = (): void => sp.destroy();
    this.#closing.signal.addEventListener('abort', onClosing, { once: true });
    sock.resume();
    await sp.done;
    this.#closing.signal.removeEventListener('abort', onClosing);
  }
}

/**
 * Send a final reply and close once it is flushed. Whatever the client still sends meanwhile is read and
 * dropped (closing with unread input would reset the connection and could lose the reply).
 */
function endWith(sock: Socket, reply: Uint8Array): void {
  sock.on('data', () => {});
  sock.resume();
  sock.end(reply, () => sock.destroy());
  setTimeout(() => sock.destroy(), 5_000).unref();
}

/** Create and start a SOCKS proxy. */
export async function startSocksProxy(opts: SocksProxyOptions & { signal?: AbortSignal }): Promise<SocksProxy> {
  const p = new SocksProxy(opts);
  await p.listen({ signal: opts.signal });
  return p;
}
