/**
 * ClientTunnel's local side over real sockets: the connector is the seam to I2P (here it opens a TCP
 * connection to a local echo server, or answers as an address book without the name would), the local
 * destination is a pool with or without tunnels. The I2P side is covered by test/net/i2ptunnel.test.ts.
 */
import test from 'ava';
import { createServer, connect, type Server, type Socket, type AddressInfo } from 'node:net';
import { pino } from 'pino';
import { ClientTunnel, type ClientTunnelLocal } from '../../../../proxy/i2ptunnel/client-tunnel.js';
import { I2PConnectError, type I2PConnector } from '../../../../proxy/connector.js';
import { parseTunnels, type ClientTunnelDef } from '../../../../conf/tunnels.js';
import { until } from '../../../helpers/net.js';

const logger = pino({ level: 'silent' });

function def(extra = ''): ClientTunnelDef {
  return parseTunnels(`[t]\ntype = client\ndestination = site.i2p\naddress = 127.0.0.1\nport = 1\ndestinationport = 80\n${extra}`, 'test.conf')[0] as ClientTunnelDef;
}

/** A pool with (or without) tunnels; the destination is only used for keepalive pings, off here. */
function local(ready: boolean): ClientTunnelLocal {
  return { destination: undefined as never, pool: { inbound: () => (ready ? [1] : []), outbound: () => (ready ? [1] : []) } };
}

async function echoServer(): Promise<{ server: Server; port: number; received: Buffer[] }> {
  const received: Buffer[] = [];
  const server = createServer((s) => {
    s.on('data', (d: Buffer) => {
      received.push(d);
      s.write(d);
    });
    s.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { server, port: (server.address() as AddressInfo).port, received };
}

function tcpConnector(port: number, calls: { host: string; port: number }[]): I2PConnector {
  return {
    connect: (host, p) =>
      new Promise((resolve, reject) => {
        calls.push({ host, port: p });
        const s = connect(port, '127.0.0.1', () => resolve(s));
        s.once('error', reject);
      }),
  };
}

/** Start a tunnel on a free port (port 0 in the def is not allowed by tunnels.conf, so patch it). */
async function start(d: ClientTunnelDef, l: ClientTunnelLocal, connector: I2PConnector, max?: number): Promise<ClientTunnel> {
  return ClientTunnel.start({ ...d, port: 0 } as ClientTunnelDef, l, { connector, logger, ...(max ? { maxConnections: max } : {}) });
}

function collect(s: Socket): { data: () => string; closed: Promise<void> } {
  let got = '';
  s.on('data', (d: Buffer) => (got += d.toString('latin1')));
  s.on('error', () => undefined);
  return { data: () => got, closed: new Promise((r) => s.once('close', () => r())) };
}

test('client tunnel: bytes go both ways through the stream the connector opened', async (t) => {
  const echo = await echoServer();
  const calls: { host: string; port: number }[] = [];
  const tun = await start(def(), local(true), tcpConnector(echo.port, calls));
  const s = connect(tun.address.port, '127.0.0.1');
  const c = collect(s);
  s.write('hello through the tunnel');
  t.true(await until(() => c.data() === 'hello through the tunnel', 5000, 10));
  t.deepEqual(calls, [{ host: 'site.i2p', port: 80 }]);
  s.end();
  await c.closed;
  tun.close();
  echo.server.close();
});

test('client tunnel: unreachable remote closes the local socket cleanly; the tunnel keeps serving', async (t) => {
  let n = 0;
  const tun = await start(def(), local(true), {
    connect: async () => {
      n++;
      throw new I2PConnectError('NOT_FOUND', 'site.i2p: not in the address book');
    },
  });
  for (let i = 0; i < 2; i++) {
    const s = connect(tun.address.port, '127.0.0.1');
    const c = collect(s);
    s.write('anyone?');
    await c.closed;
    t.is(c.data(), '');
  }
  t.is(n, 2);
  t.is(tun.stats.failed, 2);
  tun.close();
});

test('client tunnel: without tunnels, connecttimeout bounds the wait', async (t) => {
  let n = 0;
  const tun = await start(def('connecttimeout = 1\n'), local(false), {
    connect: async () => {
      n++;
      throw new Error('not reached');
    },
  });
  const s = connect(tun.address.port, '127.0.0.1');
  const c = collect(s);
  await c.closed;
  t.is(n, 0, 'the connector is not asked before the destination has tunnels');
  t.is(tun.stats.failed, 1);
  tun.close();
});

test('client tunnel: connections over the bound are closed at accept', async (t) => {
  const echo = await echoServer();
  const tun = await start(def(), local(true), tcpConnector(echo.port, []), 1);
  const first = connect(tun.address.port, '127.0.0.1');
  const c1 = collect(first);
  first.write('one');
  t.true(await until(() => c1.data() === 'one', 5000, 10));
  const second = connect(tun.address.port, '127.0.0.1');
  const c2 = collect(second);
  await c2.closed;
  t.is(tun.stats.refusedBusy, 1);
  first.write(' still here');
  t.true(await until(() => c1.data() === 'one still here', 5000, 10));
  first.destroy();
  tun.close();
  echo.server.close();
});

test('client tunnel: ircfilter filters both directions', async (t) => {
  const echo = await echoServer();
  const tun = await start(def('ircfilter = true\n'), local(true), tcpConnector(echo.port, []));
  const s = connect(tun.address.port, '127.0.0.1');
  const c = collect(s);
  s.write('PRIVMSG bob :\x01VERSION\x01\r\nUSER a 0 * :Real\r\nJOIN #c\r\n');
  // the echo gets what passed the outbound filter; its echo passes the inbound filter only for JOIN
  t.true(await until(() => Buffer.concat(echo.received).toString().includes('JOIN #c\r\n'), 5000, 10));
  t.is(Buffer.concat(echo.received).toString(), 'USER a hostname localhost :Real\r\nJOIN #c\r\n');
  t.true(await until(() => c.data() === 'JOIN #c\r\n', 5000, 10), JSON.stringify(c.data()));
  s.destroy();
  tun.close();
  echo.server.close();
});

test('client tunnel: a port in use is an error naming the tunnel', async (t) => {
  const busy = createServer();
  await new Promise<void>((r) => busy.listen(0, '127.0.0.1', () => r()));
  const port = (busy.address() as AddressInfo).port;
  await t.throwsAsync(ClientTunnel.start({ ...def(), port } as ClientTunnelDef, local(true), { connector: tcpConnector(1, []), logger }), {
    message: /tunnel \[t\]: cannot listen on 127\.0\.0\.1:\d+/,
  });
  busy.close();
});
