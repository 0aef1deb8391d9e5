import test, { type ExecutionContext } from 'ava';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type Socket } from 'node:net';
import { SocksClient } from 'socks';
import { SocksProxy, socks5ReplyFor, type SocksProxyOptions } from '../../../proxy/socks.js';
import { I2PConnectError } from '../../../proxy/connector.js';
import { b32, dns, echoServer, fakeConnector, listen, rawClient, spyDns, waitFor, within, type FakeConnector } from './helpers.js';

async function setup(t: ExecutionContext, opts: Partial<SocksProxyOptions> = {}): Promise<{ port: number; connector: FakeConnector; proxy: SocksProxy; echoHost: string }> {
  const connector = fakeConnector();
  const echoHost = b32();
  connector.routes.set(echoHost, await echoServer(t));
  const proxy = new SocksProxy({ connector, host: '127.0.0.1', port: 0, ...opts });
  const addr = await proxy.listen();
  t.teardown(() => proxy.close());
  return { port: addr.port, connector, proxy, echoHost };
}

async function roundTrip(sock: Socket, data: Buffer): Promise<Buffer> {
  let got = Buffer.alloc(0);
  const done = new Promise<void>((r) => {
    const on = (d: Buffer): void => {
      got = Buffer.concat([got, d]);
      if (got.length >= data.length) {
        sock.off('data', on);
        r();
      }
    };
    sock.on('data', on);
  });
  sock.write(data);
  await done;
  return got;
}

/** SOCKS5 no-auth greeting + CONNECT to a domain name. */
function socks5Connect(host: string, port: number): Buffer {
  const h = Buffer.from(host, 'latin1');
  return Buffer.concat([Buffer.of(5, 1, 0), Buffer.of(5, 1, 0, 3, h.length), h, Buffer.of(port >> 8, port & 0xff)]);
}

test('SOCKS5 (socks client library) reaches a .b32.i2p host through the connector, both ways', async (t) => {
  const { port, connector, echoHost } = await setup(t);
  const { socket } = await SocksClient.createConnection({
    proxy: { host: '127.0.0.1', port, type: 5 },
    command: 'connect',
    destination: { host: echoHost.toUpperCase(), port: 80 },
  });
  t.teardown(() => socket.destroy());
  const payload = randomBytes(100_000);
  t.deepEqual(await roundTrip(socket, payload), payload);
  t.deepEqual(connector.calls, [{ host: echoHost, port: 80 }], 'name lower-cased and handed to the connector as is');
});

test('SOCKS4a (socks client library) reaches a .b32.i2p host', async (t) => {
  const { port, echoHost } = await setup(t);
  const { socket } = await SocksClient.createConnection({
    proxy: { host: '127.0.0.1', port, type: 4 },
    command: 'connect',
    destination: { host: echoHost, port: 6667 },
  });
  t.teardown(() => socket.destroy());
  t.deepEqual(await roundTrip(socket, Buffer.from('PING :x\r\n')), Buffer.from('PING :x\r\n'));
});

test('SOCKS5 username/password is accepted and ignored; replies follow RFC 1929', async (t) => {
  const { port, echoHost } = await setup(t);
  const c = await rawClient(port);
  c.sock.write(Buffer.of(5, 1, 2));
  t.deepEqual(await c.read(2), Buffer.of(5, 2));
  c.sock.write(Buffer.concat([Buffer.of(1, 4), Buffer.from('user'), Buffer.of(6), Buffer.from('secret')]));
  t.deepEqual(await c.read(2), Buffer.of(1, 0));
  const h = Buffer.from(echoHost);
  c.sock.write(Buffer.concat([Buffer.of(5, 1, 0, 3, h.length), h, Buffer.of(0, 80)]));
  t.deepEqual(await c.read(10), Buffer.of(5, 0, 0, 1, 0, 0, 0, 0, 0, 0));
  c.sock.write('hello');
  t.is((await c.read(5)).toString(), 'hello');
  c.sock.destroy();

  // And through the library with credentials.
  const { socket } = await SocksClient.createConnection({
    proxy: { host: '127.0.0.1', port, type: 5, userId: 'u', password: 'p' },
    command: 'connect',
    destination: { host: echoHost, port: 80 },
  });
  t.teardown(() => socket.destroy());
  t.deepEqual(await roundTrip(socket, Buffer.from('abc')), Buffer.from('abc'));
});

test('each I2PConnectError code gets its SOCKS5 reply, and SOCKS4a gets 0x5B', async (t) => {
  const { port, connector } = await setup(t);
  const expected = { NOT_FOUND: 4, UNREACHABLE: 4, TIMEOUT: 6, REFUSED: 5, BAD_ADDRESS: 8 } as const;
  for (const [code, reply] of Object.entries(expected)) {
    const host = b32();
    connector.errors.set(host, code as keyof typeof expected);
    const c = await rawClient(port);
    c.sock.write(socks5Connect(host, 80));
    t.deepEqual(await c.read(2), Buffer.of(5, 0), code);
    t.deepEqual(await c.read(10), Buffer.of(5, reply, 0, 1, 0, 0, 0, 0, 0, 0), code);
    t.true(await within(c.closed, 2000), `${code}: connection closed after the reply`);

    const c4 = await rawClient(port);
    const hb = Buffer.from(host);
    c4.sock.write(Buffer.concat([Buffer.of(4, 1, 0x1f, 0x90, 0, 0, 0, 1), Buffer.from('me'), Buffer.of(0), hb, Buffer.of(0)]));
    t.deepEqual(await c4.read(8), Buffer.of(0, 0x5b, 0x1f, 0x90, 0, 0, 0, 1), `${code} (SOCKS4a)`);
    t.true(await within(c4.closed, 2000));
  }
  // Unknown errors: general failure.
  t.is(socks5ReplyFor(new Error('boom')), 1);
  t.is(socks5ReplyFor(new I2PConnectError('TIMEOUT')), 6);
});

test('the socks library reports HostUnreachable for an unknown .i2p name', async (t) => {
  const { port } = await setup(t);
  const err = await t.throwsAsync(
    SocksClient.createConnection({ proxy: { host: '127.0.0.1', port, type: 5 }, command: 'connect', destination: { host: 'nosuchname.i2p', port: 80 } }),
  );
  t.regex(err!.message, /HostUnreachable/);
});

test('IP targets and clearnet names are refused (08 / 0x5B) without an outproxy and never reach the connector', async (t) => {
  const { port, connector } = await setup(t);
  const cases: [string, Buffer][] = [
    ['ipv4', Buffer.of(5, 1, 0, 1, 127, 0, 0, 1, 0, 80)],
    ['ipv6', Buffer.concat([Buffer.of(5, 1, 0, 4), Buffer.alloc(15), Buffer.of(1, 0, 80)])],
    ['clearnet name', socks5Connect('example.com', 80).subarray(3)],
    ['IP literal as a name', socks5Connect('127.0.0.1', 80).subarray(3)],
    ['.i2p alone', socks5Connect('.i2p', 80).subarray(3)],
  ];
  for (const [what, req] of cases) {
    const c = await rawClient(port);
    c.sock.write(Buffer.concat([Buffer.of(5, 1, 0), req]));
    t.deepEqual(await c.read(2), Buffer.of(5, 0));
    t.is((await c.read(10))[1], 8, what);
    t.true(await within(c.closed, 2000));
  }
  // Plain SOCKS4 (an IPv4 address, not 4a).
  const c4 = await rawClient(port);
  c4.sock.write(Buffer.concat([Buffer.of(4, 1, 0, 80, 93, 184, 216, 34), Buffer.of(0)]));
  t.deepEqual(await c4.read(8), Buffer.of(0, 0x5b, 0, 80, 93, 184, 216, 34));
  t.deepEqual(connector.calls, []);
});

test('BIND and UDP ASSOCIATE get 07 (command not supported); SOCKS4 BIND gets 0x5B', async (t) => {
  const { port, echoHost, connector } = await setup(t);
  for (const cmd of [2, 3, 9]) {
    const c = await rawClient(port);
    const h = Buffer.from(echoHost);
    c.sock.write(Buffer.concat([Buffer.of(5, 1, 0, 5, cmd, 0, 3, h.length), h, Buffer.of(0, 80)]));
    t.deepEqual(await c.read(2), Buffer.of(5, 0));
    t.is((await c.read(10))[1], 7, `command ${cmd}`);
  }
  const c4 = await rawClient(port);
  c4.sock.write(Buffer.concat([Buffer.of(4, 2, 0, 80, 0, 0, 0, 1, 0), Buffer.from(echoHost), Buffer.of(0)]));
  t.is((await c4.read(8))[1], 0x5b);
  t.deepEqual(connector.calls, []);
});

test('no acceptable auth method: 05 FF and close', async (t) => {
  const { port } = await setup(t);
  const c = await rawClient(port);
  c.sock.write(Buffer.of(5, 2, 1, 0x80));
  t.deepEqual(await c.read(2), Buffer.of(5, 0xff));
  t.true(await within(c.closed, 2000));
});

test('garbage and an unknown version are closed without reply; other clients keep working', async (t) => {
  const { port, echoHost } = await setup(t);
  const bad = await rawClient(port);
  const good = await rawClient(port);
  bad.sock.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
  t.true(await within(bad.closed, 2000));
  t.is(bad.received().length, 0);
  good.sock.write(socks5Connect(echoHost, 80));
  await good.read(12);
  good.sock.write('still fine');
  t.is((await good.read(10)).toString(), 'still fine');
  good.sock.destroy();
});

test('an over-long SOCKS4 user id (1 MiB, never NUL-terminated) is rejected with 0x5B; others unaffected', async (t) => {
  const { port, echoHost } = await setup(t);
  const bad = await rawClient(port);
  bad.sock.write(Buffer.of(4, 1, 0, 80, 0, 0, 0, 1));
  bad.sock.write(Buffer.alloc(1024 * 1024, 0x41));
  t.is((await bad.read(8))[1], 0x5b);
  t.true(await within(bad.closed, 3000));
  const { socket } = await SocksClient.createConnection({ proxy: { host: '127.0.0.1', port, type: 5 }, command: 'connect', destination: { host: echoHost, port: 1 } });
  t.deepEqual(await roundTrip(socket, Buffer.from('ok')), Buffer.from('ok'));
  socket.destroy();
});

test('a client that never finishes its handshake is cut off by the handshake timeout, others keep working', async (t) => {
  const { port, echoHost } = await setup(t, { handshakeTimeoutMs: 300 });
  const slow = await rawClient(port);
  slow.sock.write(Buffer.of(5, 1)); // method list promised, never sent
  // Meanwhile a normal client gets through.
  const { socket } = await SocksClient.createConnection({ proxy: { host: '127.0.0.1', port, type: 5 }, command: 'connect', destination: { host: echoHost, port: 1 } });
  t.deepEqual(await roundTrip(socket, Buffer.from('x')), Buffer.from('x'));
  t.false(slow.sock.destroyed);
  t.true(await within(slow.closed, 3000), 'slow client closed');
  t.is(slow.received().length, 0);
  // The established connection is not subject to the handshake timeout.
  await new Promise((r) => setTimeout(r, 400));
  t.deepEqual(await roundTrip(socket, Buffer.from('y')), Buffer.from('y'));
  socket.destroy();
});

test('a half-open client (FIN mid-handshake) is closed at once', async (t) => {
  const { port } = await setup(t, { handshakeTimeoutMs: 60_000 });
  const c = await rawClient(port);
  c.sock.end(Buffer.of(5, 1, 0, 5, 1, 0, 3)); // greeting + partial request, then FIN
  t.true(await within(c.closed, 2000));
});

test('data pipelined after the request reaches the destination; a FIN is passed through (half-close)', async (t) => {
  const { port, echoHost } = await setup(t);
  const c = await rawClient(port);
  c.sock.write(Buffer.concat([socks5Connect(echoHost, 80), Buffer.from('early data')]));
  await c.read(12);
  t.is((await c.read(10)).toString(), 'early data');
  c.sock.end(); // our FIN → echo server answers BYE then closes
  t.is((await c.read(3)).toString(), 'BYE');
  t.true(await within(c.closed, 2000));
});

test('connect timeout gives 06 and aborts the connector; a client leaving mid-connect aborts it too', async (t) => {
  const { port, connector } = await setup(t, { connectTimeoutMs: 200 });
  const slowHost = b32();
  connector.hang.add(slowHost);
  const c = await rawClient(port);
  c.sock.write(socks5Connect(slowHost, 80));
  await c.read(2);
  t.is((await c.read(10))[1], 6);
  t.is(connector.aborted, 1);

  const { proxy: p2, connector: conn2, port: port2 } = await setup(t, { connectTimeoutMs: 60_000 });
  conn2.hang.add(slowHost);
  const c2 = await rawClient(port2);
  c2.sock.write(socks5Connect(slowHost, 80));
  await c2.read(2);
  c2.sock.resetAndDestroy(); // RST: the client is gone, not just half-closed
  t.true(await waitFor(() => conn2.aborted === 1));
  t.true(await waitFor(() => p2.connections === 0));
});

test('maxConnections bounds concurrent clients; a freed slot is reusable', async (t) => {
  const { port, echoHost, proxy } = await setup(t, { maxConnections: 2 });
  const a = await rawClient(port);
  const b = await rawClient(port);
  t.true(await waitFor(() => proxy.connections === 2));
  const c = await rawClient(port);
  t.true(await within(c.closed, 2000), 'third connection dropped');
  t.is(proxy.connections, 2);
  a.sock.destroy();
  t.true(await waitFor(() => proxy.connections === 1));
  const { socket } = await SocksClient.createConnection({ proxy: { host: '127.0.0.1', port, type: 5 }, command: 'connect', destination: { host: echoHost, port: 1 } });
  t.deepEqual(await roundTrip(socket, Buffer.from('z')), Buffer.from('z'));
  socket.destroy();
  b.sock.destroy();
});

test('backpressure: a destination that does not read stops the client long before 64 MiB', async (t) => {
  const connector = fakeConnector();
  const host = b32();
  let sink: Socket | undefined;
  const server = createServer((s) => {
    sink = s;
    s.pause(); // never reads
  });
  connector.routes.set(host, await listen(t, server));
  const proxy = new SocksProxy({ connector, host: '127.0.0.1', port: 0 });
  const { port } = await proxy.listen();
  t.teardown(() => proxy.close());
  const { socket } = await SocksClient.createConnection({ proxy: { host: '127.0.0.1', port, type: 5 }, command: 'connect', destination: { host, port: 1 } });
  t.teardown(() => socket.destroy());
  const chunk = Buffer.alloc(256 * 1024, 7);
  let written = 0;
  const limit = 64 * 1024 * 1024;
  while (written < limit) {
    written += chunk.length;
    if (!socket.write(chunk)) {
      const drained = await within(once(socket, 'drain'), 1000);
      if (!drained) break;
    }
  }
  t.true(written < limit / 2, `client could push ${written} bytes into a non-reading destination`);
  // And once the destination reads, everything arrives intact.
  let received = 0;
  const hashIn = createHash('sha256');
  sink!.on('data', (d: Buffer) => {
    received += d.length;
    hashIn.update(d);
  });
  sink!.resume();
  const deadline = Date.now() + 10_000;
  while (received < written && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  t.is(received, written);
});

test('close() ends listening and every client connection', async (t) => {
  const { port, echoHost, proxy } = await setup(t);
  const { socket } = await SocksClient.createConnection({ proxy: { host: '127.0.0.1', port, type: 5 }, command: 'connect', destination: { host: echoHost, port: 1 } });
  const idle = await rawClient(port);
  const closed = new Promise<void>((r) => socket.once('close', () => r()));
  socket.on('error', () => {});
  await proxy.close();
  t.true(await within(closed, 2000));
  t.true(await within(idle.closed, 2000));
  t.is(proxy.connections, 0);
});

// ---- names are never resolved here ----

test.serial('clearnet names are never looked up: refused without outproxy, passed verbatim to a SOCKS5 outproxy', async (t) => {
  const spy = spyDns();
  t.teardown(spy.restore);

  // Sanity: the spy sees node's own lookups.
  await new Promise<void>((r) => dns.lookup('localhost', () => r()));
  t.deepEqual(spy.calls, ['lookup(localhost)']);
  spy.calls.length = 0;

  const { port, connector } = await setup(t);
  const c = await rawClient(port);
  c.sock.write(socks5Connect('www.example.com', 443));
  await c.read(2);
  t.is((await c.read(10))[1], 8);
  t.deepEqual(connector.calls, []);

  // A fake SOCKS5 outproxy on 127.0.0.1 records what it is asked for.
  const seen: Buffer[] = [];
  const out = createServer((s) => {
    let stage = 0;
    let buf = Buffer.alloc(0);
    s.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (stage === 0 && buf.length >= 3) {
        buf = buf.subarray(3);
        stage = 1;
        s.write(Buffer.of(5, 0));
      }
      if (stage === 1 && buf.length >= 5 && buf.length >= 7 + buf[4]!) {
        seen.push(Buffer.from(buf.subarray(0, 7 + buf[4]!)));
        buf = buf.subarray(7 + buf[4]!);
        stage = 2;
        s.write(Buffer.of(5, 0, 0, 1, 0, 0, 0, 0, 0, 0));
        s.on('data', (x: Buffer) => s.write(Buffer.from(x.toString().toUpperCase())));
      }
    });
    s.on('error', () => {});
  });
  const outPort = await listen(t, out);
  const withOut = await setup(t, { outproxy: { host: '127.0.0.1', port: outPort } });
  const c2 = await rawClient(withOut.port);
  c2.sock.write(socks5Connect('www.example.com', 443));
  await c2.read(2);
  t.deepEqual(await c2.read(10), Buffer.of(5, 0, 0, 1, 0, 0, 0, 0, 0, 0));
  c2.sock.write('hello clearnet');
  t.is((await c2.read(14)).toString(), 'HELLO CLEARNET');
  const host = Buffer.from('www.example.com');
  t.deepEqual(seen, [Buffer.concat([Buffer.of(5, 1, 0, 3, host.length), host, Buffer.of(1, 187)])]);
  t.deepEqual(withOut.connector.calls, []);
  c2.sock.destroy();

  // .i2p names go to the connector, by name.
  const c3 = await rawClient(port);
  c3.sock.write(socks5Connect('forum.i2p', 80));
  await c3.read(12);
  t.deepEqual(connector.calls, [{ host: 'forum.i2p', port: 80 }]);

  // server.listen('127.0.0.1') runs dns.lookup on the IP literal itself; nothing else may be looked up.
  t.deepEqual(
    spy.calls.filter((c) => c !== 'lookup(127.0.0.1)'),
    [],
    'no DNS lookup of any name',
  );
});

test('outproxy failure reply is passed on', async (t) => {
  const out = createServer((s) => {
    s.once('data', () => {
      s.write(Buffer.of(5, 0));
      s.once('data', () => s.end(Buffer.of(5, 5, 0, 1, 0, 0, 0, 0, 0, 0)));
    });
    s.on('error', () => {});
  });
  const outPort = await listen(t, out);
  const { port } = await setup(t, { outproxy: { host: '127.0.0.1', port: outPort } });
  const c = await rawClient(port);
  c.sock.write(Buffer.concat([Buffer.of(5, 1, 0), Buffer.of(5, 1, 0, 1, 10, 0, 0, 1, 0, 80)]));
  await c.read(2);
  t.is((await c.read(10))[1], 5);
});

test('bytes the outproxy sends right after its reply reach the client after our reply', async (t) => {
  const out = createServer((s) => {
    s.once('data', () => {
      s.write(Buffer.of(5, 0));
      s.once('data', () => s.write(Buffer.concat([Buffer.of(5, 0, 0, 1, 0, 0, 0, 0, 0, 0), Buffer.from('220 banner\r\n')])));
    });
    s.on('error', () => {});
  });
  const outPort = await listen(t, out);
  const { port } = await setup(t, { outproxy: { host: '127.0.0.1', port: outPort } });
  const c = await rawClient(port);
  c.sock.write(Buffer.concat([Buffer.of(5, 1, 0), Buffer.of(5, 1, 0, 1, 10, 0, 0, 1, 0, 25)]));
  t.deepEqual(await c.read(2), Buffer.of(5, 0));
  t.deepEqual(await c.read(10), Buffer.of(5, 0, 0, 1, 0, 0, 0, 0, 0, 0));
  t.is((await c.read(12)).toString(), '220 banner\r\n');
  c.sock.destroy();
});
