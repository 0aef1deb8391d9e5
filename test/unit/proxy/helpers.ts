/**
 * Test doubles for the I2P side only: a connector that maps a few fake .b32.i2p names to TCP servers on
 * 127.0.0.1 and rejects others with each I2PConnectError code. The proxies under test are the real code.
 */
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { Duplex } from 'node:stream';
import type { ExecutionContext } from 'ava';
import { createRequire } from 'node:module';
import type * as DnsModule from 'node:dns';
import { b32Address } from '../../../data/base64.js';
import { I2PConnectError, type I2PConnectErrorCode, type I2PConnector } from '../../../proxy/connector.js';

export const b32 = (): string => b32Address(randomBytes(32));

export interface FakeConnector extends I2PConnector {
  readonly calls: { host: string; port: number }[];
  /** Names that resolve to local TCP ports. */
  readonly routes: Map<string, number>;
  /** Names that reject with a code. */
  readonly errors: Map<string, I2PConnectErrorCode>;
  /** Names whose connect never settles until aborted. */
  readonly hang: Set<string>;
  /** How many hanging connects were aborted through their signal. */
  aborted: number;
  /** Hand out plain Duplex wrappers (like an I2P stream) rather than the net.Socket itself; default true. */
  wrap: boolean;
}

/**
 * A plain stream.Duplex over a socket — not a net.Socket, so the proxies can't rely on socket-only methods
 * (setTimeout, setNoDelay, remoteAddress), just as with the router's I2P streams. Backpressure both ways.
 */
export function plainDuplex(sock: Socket): Duplex {
  const d = new Duplex({
    allowHalfOpen: true,
    read() {
      sock.resume();
    },
    write(chunk: Buffer, _enc, cb) {
      sock.write(chunk, (err) => cb(err ?? null));
    },
    final(cb) {
      sock.end(cb);
    },
    destroy(err, cb) {
      sock.destroy();
      cb(err);
    },
  });
  sock.on('data', (chunk: Buffer) => {
    if (!d.push(chunk)) sock.pause();
  });
  sock.on('end', () => d.push(null));
  sock.on('error', (e) => d.destroy(e));
  sock.on('close', (hadError: boolean) => {
    if (hadError && !d.destroyed) d.destroy();
  });
  return d;
}

export function fakeConnector(): FakeConnector {
  const c: FakeConnector = {
    calls: [],
    routes: new Map(),
    errors: new Map(),
    hang: new Set(),
    aborted: 0,
    wrap: true,
    async connect(host: string, port: number, opts: { signal?: AbortSignal }): Promise<Duplex> {
      c.calls.push({ host, port });
      const code = c.errors.get(host);
      if (code) throw new I2PConnectError(code, `fake: ${code}`);
      if (c.hang.has(host)) {
        return new Promise<Duplex>((_, reject) => {
          opts.signal?.addEventListener(
            'abort',
            () => {
              c.aborted++;
              reject(opts.signal!.reason);
            },
            { once: true },
          );
        });
      }
      const localPort = c.routes.get(host);
      if (localPort === undefined) throw new I2PConnectError('NOT_FOUND', 'fake: unknown');
      const s = connect({ host: '127.0.0.1', port: localPort, allowHalfOpen: true });
      await once(s, 'connect');
      return c.wrap ? plainDuplex(s) : s;
    },
  };
  return c;
}

/** A TCP echo server on 127.0.0.1 that echoes and, on the client's FIN, sends "BYE" and closes. */
export async function echoServer(t: ExecutionContext): Promise<number> {
  const server = createServer({ allowHalfOpen: true }, (s) => {
    s.on('data', (d) => s.write(d));
    s.on('end', () => s.end('BYE'));
    s.on('error', () => {});
  });
  return listen(t, server);
}

export async function listen(t: ExecutionContext, server: Server): Promise<number> {
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => {
    for (const s of sockets) s.destroy();
    server.close();
  });
  return (server.address() as AddressInfo).port;
}

/** A raw client socket to 127.0.0.1:port, with all received bytes collected. */
export interface RawClient {
  sock: Socket;
  received: () => Buffer;
  closed: Promise<void>;
  read: (n: number, ms?: number) => Promise<Buffer>;
}

export async function rawClient(port: number): Promise<RawClient> {
  const sock = connect({ host: '127.0.0.1', port, allowHalfOpen: true });
  await once(sock, 'connect');
  let buf = Buffer.alloc(0);
  const waiters: (() => void)[] = [];
  sock.on('data', (d: Buffer) => {
    buf = Buffer.concat([buf, d]);
    for (const w of waiters.splice(0)) w();
  });
  sock.on('error', () => {});
  // "closed" = the peer is done: its FIN ('end') or a full close, whichever comes first.
  const closed = new Promise<void>((r) => {
    sock.once('end', () => r());
    sock.once('close', () => r());
  });
  void closed.then(() => {
    for (const w of waiters.splice(0)) w();
  });
  const read = async (n: number, ms = 3000): Promise<Buffer> => {
    const deadline = Date.now() + ms;
    while (buf.length < n) {
      if ((sock.destroyed || sock.readableEnded) && buf.length < n) throw new Error(`closed after ${buf.length}/${n} bytes`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timeout: got ${buf.length}/${n} bytes`);
      await new Promise<void>((r) => {
        const timer = setTimeout(r, left);
        waiters.push(() => {
          clearTimeout(timer);
          r();
        });
      });
    }
    const out = buf.subarray(0, n);
    buf = buf.subarray(n);
    return out;
  };
  return { sock, received: () => buf, closed, read };
}

/** Resolve with true if `p` settles within ms. */
export async function within(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const r = await Promise.race([p.then(() => true), new Promise<boolean>((res) => (timer = setTimeout(() => res(false), ms)))]);
  clearTimeout(timer);
  return r;
}

// The CommonJS module object: the one node's net module calls into (an ESM namespace can't be patched).
export const dns = createRequire(import.meta.url)('node:dns') as typeof DnsModule;

type DnsSpy = { calls: string[]; restore: () => void };
export function spyDns(): DnsSpy {
  const calls: string[] = [];
  const d = dns as unknown as Record<string, unknown>;
  const p = dns.promises as unknown as Record<string, unknown>;
  const names = ['lookup', 'lookupService', 'resolve', 'resolve4', 'resolve6', 'resolveAny', 'resolveCname'];
  const saved: [Record<string, unknown>, string, unknown][] = [];
  for (const obj of [d, p]) {
    for (const n of names) {
      const orig = obj[n];
      if (typeof orig !== 'function') continue;
      saved.push([obj, n, orig]);
      obj[n] = function (this: unknown, ...args: unknown[]) {
        calls.push(`${n}(${String(args[0])})`);
        return (orig as (...a: unknown[]) => unknown).apply(this, args);
      };
    }
  }
  return {
    calls,
    restore: () => {
      for (const [obj, n, orig] of saved) obj[n] = orig;
    },
  };
}


/** Poll `cond` until true or `ms` passed; returns its last value. */
export async function waitFor(cond: () => boolean, ms = 3000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!cond() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  return cond();
}
