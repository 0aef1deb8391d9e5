/**
 * Streaming end to end: two StreamManagers with their own destination keys over an in-memory link in
 * virtual time (helpers.ts), with loss, reordering, duplication and delay.
 */
import test from 'ava';
import type { Connection } from '../../../client/streaming/connection.js';
import { PacketFlag, hasFlag, parsePacket, serializePacket, signPacket } from '../../../client/streaming/packet.js';
import { streamingSignerFromKeys } from '../../../client/streaming/manager.js';
import { generateDestinationKeys } from '../../../data/private-key-file.js';
import type { StreamManager } from '../../../client/streaming/manager.js';
import { collect, makeNet, pattern, type Net } from './setup.js';

const MiB = 1024 * 1024;

async function open(net: Net, a: StreamManager, b: StreamManager, port = 0): Promise<{ client: Connection; server: Connection }> {
  let server: Connection | undefined;
  let client: Connection | undefined;
  let failure: unknown;
  const onStream = (c: Connection) => {
    server = c;
    b.off('stream', onStream);
  };
  b.on('stream', onStream);
  a.connect(b.destination, { port }).then(
    (c) => (client = c),
    (e) => (failure = e),
  );
  await net.clock.runUntil(() => failure !== undefined || (client !== undefined && server !== undefined));
  if (failure) throw failure;
  return { client: client!, server: server! };
}

function flagsOf(packet: Uint8Array): number {
  return parsePacket(packet).flags;
}

test('1 MiB each way arrives byte-exact under 10 % loss, reordering and duplication', async (t) => {
  const net = makeNet({ loss: 0.1, delay: 40, jitter: 60, duplicate: 0.02 }, 11);
  const a = net.node();
  const b = net.node();
  const { client, server } = await open(net, a, b);
  const up = pattern(MiB, 1);
  const down = pattern(MiB, 2);
  const atServer = collect(server);
  const atClient = collect(client);
  const errors: Error[] = [];
  client.on('error', (e) => errors.push(e));
  server.on('error', (e) => errors.push(e));
  client.end(up);
  server.end(down);
  let closed = 0;
  client.on('close', () => closed++);
  server.on('close', () => closed++);
  await net.clock.runUntil(() => closed === 2, 3_600_000);
  t.deepEqual(errors, []);
  t.true(atServer.ended && atClient.ended);
  t.is(atServer.length, MiB);
  t.is(atClient.length, MiB);
  t.true(Buffer.from(up).equals(atServer.bytes()), 'client → server bytes differ');
  t.true(Buffer.from(down).equals(atClient.bytes()), 'server → client bytes differ');
  // the link really lost and the connections really resent
  t.true(net.link.dropped > 50);
  t.true(client.stats.packetsResent > 0 && server.stats.packetsResent > 0);
  t.true(client.stats.duplicatesReceived + server.stats.duplicatesReceived > 0);
  t.log(`virtual ${(net.clock.t - 1_700_000_000_000) / 1000}s, ${net.link.sent} packets, ${net.link.dropped} dropped`);
});

test('20 concurrent streams each carry their own data', async (t) => {
  const net = makeNet({ loss: 0.02, delay: 30, jitter: 30 }, 5);
  const a = net.node();
  const b = net.node();
  const servers: Connection[] = [];
  b.on('stream', (c: Connection) => {
    servers.push(c);
    // echo server: reply with what we got, reversed per stream to tell the streams apart
    const parts: Uint8Array[] = [];
    c.on('data', (d: Uint8Array) => parts.push(d));
    c.on('end', () => c.end(Buffer.concat(parts).reverse()));
  });
  const clients: (Connection | undefined)[] = Array.from({ length: 20 }, () => undefined);
  for (let i = 0; i < 20; i++) a.connect(b.destination).then((c) => (clients[i] = c));
  await net.clock.runUntil(() => clients.every((c) => c !== undefined) && servers.length === 20);
  t.is(a.size, 20);
  t.is(b.size, 20);
  const ids = new Set(clients.map((c) => c!.recvStreamId));
  t.is(ids.size, 20);
  const inputs = clients.map((_, i) => pattern(20_000 + i * 997, 100 + i));
  const results = clients.map((c) => collect(c!));
  clients.forEach((c, i) => c!.end(inputs[i]));
  await net.clock.runUntil(() => results.every((r) => r.ended));
  for (let i = 0; i < 20; i++) {
    t.true(Buffer.from(inputs[i]!).reverse().equals(results[i]!.bytes()), `stream ${i}`);
  }
});

test('a lost SYN reply is recovered and the stream carries data', async (t) => {
  const net = makeNet({ delay: 50 }, 3);
  const a = net.node();
  const b = net.node();
  let synRepliesDropped = 0;
  net.link.filter = (d) => {
    if (net.link.isFor(d, a) && hasFlag({ flags: flagsOf(d.packet) }, PacketFlag.SYNCHRONIZE) && synRepliesDropped < 2) {
      synRepliesDropped++;
      return false;
    }
    return true;
  };
  const { client, server } = await open(net, a, b);
  t.is(synRepliesDropped, 2);
  t.is(client.state, 'open');
  const got = collect(server);
  client.end(Buffer.from('hello after a lost SYN reply'));
  await net.clock.runUntil(() => got.ended);
  t.is(Buffer.from(got.bytes()).toString(), 'hello after a lost SYN reply');
});

test('CLOSE both ways ends cleanly and the connections are released after the linger', async (t) => {
  const net = makeNet({ delay: 25 }, 4);
  const a = net.node();
  const b = net.node();
  net.link.logging = true;
  const { client, server } = await open(net, a, b);
  const atServer = collect(server);
  const atClient = collect(client);
  const events: string[] = [];
  for (const [name, c] of [['client', client], ['server', server]] as const) {
    c.on('finish', () => events.push(`${name} finish`));
    c.on('close', () => events.push(`${name} close`));
    c.on('error', (e) => events.push(`${name} error ${e.message}`));
  }
  client.end(Buffer.from('request'));
  // allowHalfOpen is false by default: the server ends its side when the client's CLOSE arrives
  await net.clock.runUntil(() => events.includes('client close') && events.includes('server close'));
  t.is(Buffer.from(atServer.bytes()).toString(), 'request');
  t.true(atServer.ended && atClient.ended);
  t.deepEqual(events.filter((e) => e.includes('error')), []);
  t.true(events.includes('client finish') && events.includes('server finish'));
  // the last ACK (of the server's CLOSE) may still be on its way when 'close' fires
  await net.clock.runUntil(() => client.state === 'closed' && server.state === 'closed', 1000);
  const closes = net.link.log.filter((d) => hasFlag({ flags: flagsOf(d.packet) }, PacketFlag.CLOSE));
  t.true(closes.some((d) => net.link.isFor(d, a)) && closes.some((d) => net.link.isFor(d, b)));
  t.false(net.link.log.some((d) => hasFlag({ flags: flagsOf(d.packet) }, PacketFlag.RESET)));
  t.is(a.size, 1, 'lingering');
  await net.clock.advance(15_000);
  t.is(a.size, 0);
  t.is(b.size, 0);
});

test('half-close: with allowHalfOpen the server still writes after the client has closed', async (t) => {
  const net = makeNet({ delay: 25, loss: 0.05 }, 41);
  const a = net.node({ allowHalfOpen: true });
  const b = net.node({ allowHalfOpen: true });
  const { client, server } = await open(net, a, b);
  const atServer = collect(server);
  const atClient = collect(client);
  let closed = 0;
  client.on('close', () => closed++);
  server.on('close', () => closed++);
  client.end(Buffer.from('request'));
  await net.clock.runUntil(() => atServer.ended);
  t.is(Buffer.from(atServer.bytes()).toString(), 'request');
  await net.clock.advance(5000);
  t.is(closed, 0);
  t.false(atClient.ended);
  const response = pattern(50_000, 77);
  server.end(response);
  await net.clock.runUntil(() => closed === 2);
  t.true(Buffer.from(response).equals(atClient.bytes()));
  await net.clock.runUntil(() => client.state === 'closed' && server.state === 'closed', 1000);
});

test('RESET aborts the other side with ECONNRESET', async (t) => {
  const net = makeNet({ delay: 25 }, 6);
  const a = net.node();
  const b = net.node();
  const { client, server } = await open(net, a, b);
  let serverError: (Error & { code?: string }) | undefined;
  server.on('error', (e) => (serverError = e));
  client.on('error', () => {});
  client.write(Buffer.from('partial'));
  client.reset();
  await net.clock.runUntil(() => serverError !== undefined);
  t.is(serverError!.code, 'ECONNRESET');
  t.true(server.destroyed);
  await net.clock.settle();
  t.is(a.size, 0);
  t.is(b.size, 0);
});

test('backpressure: a slow reader stops the writer, which drains once the reader resumes', async (t) => {
  const net = makeNet({ delay: 20 }, 8);
  const a = net.node();
  const b = net.node();
  const { client, server } = await open(net, a, b);
  server.pause();
  let chokes = 0;
  let unchokes = 0;
  net.link.filter = (d) => {
    const p = parsePacket(d.packet);
    if (net.link.isFor(d, a) && p.delay !== undefined) p.delay > 60000 ? chokes++ : unchokes++;
    return true;
  };
  const total = 4 * MiB;
  const data = pattern(total, 9);
  let offset = 0;
  let drains = 0;
  const chunk = 16 * 1024;
  const pump = () => {
    while (offset < total) {
      const ok = client.write(data.subarray(offset, offset + chunk));
      offset += chunk;
      if (!ok) return;
    }
    client.end();
  };
  client.on('drain', () => {
    drains++;
    pump();
  });
  pump();
  // let a long virtual time pass with the reader paused: the writer must be held back
  await net.clock.advance(120_000);
  const accepted = offset;
  t.true(accepted < total, 'writer was not stopped');
  t.true(client.writableNeedDrain);
  // what the reader holds is bounded by the receive buffer
  t.true(server.stats.bytesReceived <= server.config.receiveBufferSize + server.readableHighWaterMark + server.mtu);
  t.is(client.destroyed, false);
  t.is(server.destroyed, false);
  t.true(chokes > 0, 'the receiver choked the sender');
  t.is(unchokes, 0);
  // now read: everything arrives, the writer drains
  const got = collect(server);
  server.resume();
  await net.clock.runUntil(() => got.ended);
  t.true(drains > 0);
  t.true(unchokes > 0, 'the receiver unchoked the sender');
  t.is(got.length, total);
  t.true(Buffer.from(data).equals(got.bytes()));
});

test('a SYN with a forged signature is refused', async (t) => {
  const net = makeNet({ delay: 10 }, 12);
  const a = net.node();
  const b = net.node();
  let streams = 0;
  b.on('stream', () => streams++);
  net.link.filter = (d) => {
    if (!net.link.isFor(d, b)) return true;
    const p = parsePacket(d.packet);
    if (!hasFlag(p, PacketFlag.SYNCHRONIZE)) return true;
    const forged = d.packet.slice();
    forged[p.signatureOffset + 5] ^= 0x40; // corrupt the signature
    return forged;
  };
  const ac = new AbortController();
  let rejected: Error | undefined;
  a.connect(b.destination, { signal: ac.signal }).catch((e) => (rejected = e));
  await net.clock.advance(30_000);
  t.is(streams, 0);
  t.true(b.stats.badSignature >= 2, 'the SYN and its resends were all refused');
  t.is(b.size, 0);
  ac.abort();
  await net.clock.settle();
  t.is(rejected?.name, 'AbortError');
  t.is(a.size, 0);
});

test('a SYN whose FROM is another destination than the signer is refused', async (t) => {
  const net = makeNet({ delay: 10 }, 13);
  const a = net.node();
  const b = net.node();
  const mallory = net.node();
  let streams = 0;
  b.on('stream', () => streams++);
  // mallory replays a SYN of a, but rewrites the payload (signature no longer covers it)
  net.link.filter = (d) => {
    if (!net.link.isFor(d, b)) return true;
    const p = parsePacket(d.packet);
    if (!hasFlag(p, PacketFlag.SYNCHRONIZE)) return true;
    return Uint8Array.from([...d.packet, 0x41]);
  };
  a.connect(b.destination, { timeout: 20_000 }).catch(() => {});
  await net.clock.advance(25_000);
  t.is(streams, 0);
  t.true(b.stats.badSignature >= 1);
  void mallory;
});

test('a SYN replayed to another destination is dropped (replay prevention)', async (t) => {
  const net = makeNet({ delay: 10 }, 14);
  const a = net.node();
  const b = net.node();
  const c = net.node();
  let atC = 0;
  c.on('stream', () => atC++);
  b.on('stream', () => {});
  let syn: Uint8Array | undefined;
  net.link.filter = (d) => {
    if (net.link.isFor(d, b) && !syn && hasFlag({ flags: flagsOf(d.packet) }, PacketFlag.SYNCHRONIZE)) syn = d.packet;
    return true;
  };
  await open(net, a, b);
  t.truthy(syn);
  c.receive(syn!, { fromPort: 0, toPort: 0 });
  await net.clock.settle();
  t.is(c.stats.replayRejected, 1);
  t.is(atC, 0);
  t.is(c.size, 0);
});

test('incoming streams are filtered by port: other ports are refused with a RESET', async (t) => {
  const net = makeNet({ delay: 10 }, 15);
  const a = net.node();
  const b = net.node({ acceptPorts: [80] });
  let ports: number[] = [];
  b.on('stream', (_c: Connection, p: { toPort: number }) => ports.push(p.toPort));
  const ok = await open(net, a, b, 80);
  t.is(ok.client.state, 'open');
  let err: (Error & { code?: string }) | undefined;
  a.connect(b.destination, { port: 22 }).catch((e) => (err = e));
  await net.clock.runUntil(() => err !== undefined);
  t.is(err!.code, 'ECONNREFUSED');
  t.deepEqual(ports, [80]);
  t.is(b.stats.refused, 1);
});

test('stream limits: maxStreams refuses connects beyond the limit', async (t) => {
  const net = makeNet({ delay: 10 }, 16);
  const a = net.node({ maxStreams: 2 });
  const b = net.node();
  b.on('stream', () => {});
  await open(net, a, b);
  await open(net, a, b);
  await t.throwsAsync(a.connect(b.destination), { message: /limit of 2 streams/ });
  const c = net.node({ maxPendingSyns: 1 });
  c.connect(b.destination).catch(() => {});
  await t.throwsAsync(c.connect(b.destination), { message: /pending connects/ });
});

test('ping is answered with a pong', async (t) => {
  const net = makeNet({ delay: 30 }, 17);
  const a = net.node();
  const b = net.node();
  let rtt: number | undefined;
  a.ping(b.destination).then((r) => (rtt = r));
  await net.clock.runUntil(() => rtt !== undefined);
  t.is(rtt, 60);
  t.is(b.stats.pingsAnswered, 1);
  const c = net.node({ answerPings: false });
  let err: Error | undefined;
  a.ping(c.destination, { timeout: 5000 }).catch((e) => (err = e));
  await net.clock.runUntil(() => err !== undefined);
  t.regex(err!.message, /timed out/);
});

test('packets for an unknown stream id are dropped and counted', async (t) => {
  const net = makeNet({ delay: 10 }, 18);
  const a = net.node();
  const b = net.node();
  b.on('stream', () => {});
  const { client } = await open(net, a, b);
  let plain: Uint8Array | undefined;
  net.link.filter = (d) => {
    if (net.link.isFor(d, b) && !plain) plain = d.packet;
    return true;
  };
  client.write(Buffer.from('x'));
  await net.clock.runUntil(() => plain !== undefined);
  const bogus = plain!.slice();
  bogus[0]! ^= 0xff; // another sendStreamId
  const before = b.stats.unknownStream;
  b.receive(bogus, { fromPort: 0, toPort: 0 });
  t.is(b.stats.unknownStream, before + 1);
  b.receive(new Uint8Array(10), { fromPort: 0, toPort: 0 });
  t.is(b.stats.malformed, 1);
});

test('data that overtakes the SYN reply is held and delivered once the SYN reply arrives', async (t) => {
  // the server (initial window 4) answers the SYN and writes at once; its data overtakes the SYN reply
  const net = makeNet({ delay: 10 }, 19);
  const a = net.node();
  const b = net.node({ config: { initialWindow: 4 } });
  b.on('stream', (c: Connection) => c.end(Buffer.from('early data')));
  let heldSynReply = false;
  let dataBeforeSynReply = 0;
  net.link.filter = (d) => {
    if (!net.link.isFor(d, a)) return true;
    const p = parsePacket(d.packet, { signatureLength: 64 });
    if (hasFlag(p, PacketFlag.SYNCHRONIZE) && !heldSynReply) {
      heldSynReply = true;
      const bytes = d.packet;
      net.clock.setTimeout(() => a.receive(bytes, d.ports), 500); // deliver the SYN reply late
      return false;
    }
    if (heldSynReply && p.sequenceNum > 0 && net.clock.now() < 1_700_000_000_000 + 400) dataBeforeSynReply++;
    return true;
  };
  let client: Connection | undefined;
  a.connect(b.destination).then((c) => (client = c));
  await net.clock.runUntil(() => client !== undefined);
  t.true(dataBeforeSynReply >= 1, 'data was sent before the SYN reply arrived');
  const got = collect(client!);
  await net.clock.runUntil(() => got.ended);
  t.is(Buffer.from(got.bytes()).toString(), 'early data');
});

test('follow-on packets that arrive before their SYN are saved and delivered after it', async (t) => {
  const net = makeNet({ delay: 10 }, 22);
  const aKeys = generateDestinationKeys();
  const a = net.node({ keys: aKeys });
  const b = net.node();
  let server: Connection | undefined;
  b.on('stream', (c: Connection) => (server = c));
  const rid = 0x0badcafe;
  const syn = signPacket(
    {
      sendStreamId: 0,
      receiveStreamId: rid,
      sequenceNum: 0,
      ackThrough: 0,
      nacks: [],
      resendDelay: 9,
      flags: PacketFlag.SYNCHRONIZE | PacketFlag.FROM_INCLUDED | PacketFlag.MAX_PACKET_SIZE_INCLUDED | PacketFlag.NO_ACK,
      from: a.destination,
      maxPacketSize: 1730,
      payload: new TextEncoder().encode('one,'),
    },
    streamingSignerFromKeys(aKeys),
  );
  const followOn = (seq: number, text: string) =>
    serializePacket({ sendStreamId: 0, receiveStreamId: rid, sequenceNum: seq, ackThrough: 0, nacks: [], resendDelay: 9, flags: 0, payload: new TextEncoder().encode(text) });
  const ports = { fromPort: 0, toPort: 0 };
  b.receive(followOn(2, 'three'), ports);
  b.receive(followOn(1, 'two,'), ports);
  t.is(server, undefined);
  b.receive(syn, ports);
  t.truthy(server);
  const got = collect(server!);
  await net.clock.settle();
  t.is(Buffer.from(got.bytes()).toString(), 'one,two,three');
  // saved follow-ons expire after the pending-incoming timeout (10 s): a SYN after that gets none of them
  const synFor = (id: number, text: string) =>
    signPacket(
      {
        sendStreamId: 0,
        receiveStreamId: id,
        sequenceNum: 0,
        ackThrough: 0,
        nacks: [],
        resendDelay: 9,
        flags: PacketFlag.SYNCHRONIZE | PacketFlag.FROM_INCLUDED | PacketFlag.NO_ACK,
        from: a.destination,
        payload: new TextEncoder().encode(text),
      },
      streamingSignerFromKeys(aKeys),
    );
  const rid2 = 0x12345678;
  b.receive(serializePacket({ sendStreamId: 0, receiveStreamId: rid2, sequenceNum: 1, ackThrough: 0, nacks: [], resendDelay: 9, flags: 0, payload: new TextEncoder().encode('stale') }), ports);
  await net.clock.advance(11_000);
  let late: Connection | undefined;
  b.on('stream', (c: Connection) => (late = c));
  b.receive(synFor(rid2, 'fresh'), ports);
  t.truthy(late);
  const got2 = collect(late!);
  await net.clock.settle();
  t.is(Buffer.from(got2.bytes()).toString(), 'fresh');
});

test('connect() honours an AbortSignal and a timeout', async (t) => {
  const net = makeNet({ delay: 10 }, 20);
  const a = net.node();
  const b = net.node();
  net.link.filter = () => false; // nothing gets through
  let err: (Error & { code?: string }) | undefined;
  a.connect(b.destination, { timeout: 4000 }).catch((e) => (err = e));
  await net.clock.runUntil(() => err !== undefined);
  t.is(err!.code, 'ETIMEDOUT');
  await t.throwsAsync(a.connect(b.destination, { signal: AbortSignal.abort() }), { name: 'AbortError' });
  await net.clock.settle();
  t.is(a.size, 0);
});

test('a peer that never answers makes the stream fail after maxResends', async (t) => {
  const net = makeNet({ delay: 10 }, 21);
  const a = net.node();
  const b = net.node();
  const { client, server } = await open(net, a, b);
  server.on('error', () => {});
  net.link.filter = () => false; // the link dies
  let err: (Error & { code?: string }) | undefined;
  client.on('error', (e) => (err = e));
  client.write(Buffer.from('into the void'));
  await net.clock.runUntil(() => err !== undefined, 3_600_000);
  t.is(err!.code, 'ETIMEDOUT');
  t.is(client.stats.packetsResent, client.config.maxResends);
});

test('closing the manager resets its streams; the peer sees ECONNRESET', async (t) => {
  const net = makeNet({ delay: 10 }, 23);
  const a = net.node();
  const b = net.node();
  const { client, server } = await open(net, a, b);
  let clientErr: (Error & { code?: string }) | undefined;
  client.on('error', (e) => (clientErr = e));
  b.close();
  t.true(server.destroyed);
  t.is(b.size, 0);
  await net.clock.runUntil(() => clientErr !== undefined);
  t.is(clientErr!.code, 'ECONNRESET');
  await t.throwsAsync(b.connect(a.destination), { message: /closed/ });
});
