/**
 * What clove puts on the wire, packet by packet, against the spec and i2pd 2.45.1's Stream::SendBuffer /
 * SendQuickAck / SendClose layouts; offline keys end to end; the manager under fuzzed input.
 */
import test from 'ava';
import fc from 'fast-check';
import type { Connection } from '../../../client/streaming/connection.js';
import { MIN_HEADER_SIZE, PacketFlag, parsePacket, synTargetHash } from '../../../client/streaming/packet.js';
import { createOfflineKeys, generateDestinationKeys } from '../../../data/private-key-file.js';
import { ParseError } from '../../../data/errors.js';
import { collect, makeNet, pattern } from './setup.js';

test('packet sequence of a short exchange: SYN, SYN reply, data, ACK, CLOSE', async (t) => {
  const net = makeNet({ delay: 50 }, 31);
  const a = net.node();
  const b = net.node();
  net.link.logging = true;
  let server: Connection | undefined;
  b.on('stream', (c: Connection) => (server = c));
  let client: Connection | undefined;
  a.connect(b.destination, { port: 80, fromPort: 1234 }).then((c) => (client = c));
  await net.clock.runUntil(() => client !== undefined && server !== undefined);
  const got = collect(server!);
  const back = collect(client!);
  client!.end(pattern(5000, 1)); // 3 packets at MTU 1812
  await net.clock.runUntil(() => got.ended && back.ended);
  await net.clock.runUntil(() => client!.state === 'closed' && server!.state === 'closed');
  const toB = net.link.log.filter((d) => net.link.isFor(d, b));
  const toA = net.link.log.filter((d) => net.link.isFor(d, a));
  const pa = toB.map((d) => parsePacket(d.packet));
  const pb = toA.map((d) => parsePacket(d.packet, { signatureLength: 64 }));
  // I2CP ports both ways
  t.true(toB.every((d) => d.ports.fromPort === 1234 && d.ports.toPort === 80));
  t.true(toA.every((d) => d.ports.fromPort === 80 && d.ports.toPort === 1234));

  const syn = pa[0]!;
  t.is(syn.sendStreamId, 0);
  t.is(syn.receiveStreamId, client!.recvStreamId);
  t.is(syn.sequenceNum, 0);
  t.is(syn.ackThrough, 0);
  t.is(syn.flags, 0x04a9); // SYN | SIG | FROM | MAX_PACKET_SIZE | NO_ACK (i2pd SendBuffer, initial packet)
  t.is(syn.resendDelay, 9); // RTO 9000 / 1000
  t.deepEqual(synTargetHash(syn), b.destination.hash);
  t.deepEqual(syn.from!.hash, a.destination.hash);
  t.is(syn.maxPacketSize, 1812);
  t.is(syn.payload.length, 0);

  const reply = pb[0]!;
  t.is(reply.sendStreamId, client!.recvStreamId);
  t.is(reply.receiveStreamId, server!.recvStreamId);
  t.is(reply.sequenceNum, 0);
  t.is(reply.ackThrough, 0);
  t.is(reply.nacks.length, 0);
  t.is(reply.flags, 0x00a9); // SYN | SIG | FROM | MAX_PACKET_SIZE, no NO_ACK
  t.deepEqual(reply.from!.hash, b.destination.hash);

  const data = pa.filter((p) => p.sequenceNum > 0 && (p.flags & PacketFlag.CLOSE) === 0);
  t.deepEqual(
    data.map((p) => [p.sequenceNum, p.payload.length, p.flags]),
    [
      [1, 1812, 0],
      [2, 1812, 0],
      [3, 1376, 0],
    ],
  );
  for (const p of data) {
    t.is(p.sendStreamId, server!.recvStreamId);
    t.is(p.ackThrough, 0);
    t.is(p.raw.length, MIN_HEADER_SIZE + p.payload.length, 'no NACKs, no options');
  }
  const closeA = pa.find((p) => p.flags & PacketFlag.CLOSE)!;
  t.is(closeA.flags, PacketFlag.CLOSE | PacketFlag.SIGNATURE_INCLUDED);
  t.is(closeA.sequenceNum, 4);
  t.is(closeA.raw.length, 22 + 64);
  const closeB = pb.find((p) => p.flags & PacketFlag.CLOSE)!;
  t.is(closeB.sequenceNum, 1);
  t.is(closeB.ackThrough, 4, "the server's CLOSE acks the client's");
  // plain ACKs: seq 0, no SYN, no options
  const acks = pb.filter((p) => p.sequenceNum === 0 && !(p.flags & PacketFlag.SYNCHRONIZE));
  t.true(acks.length > 0);
  t.true(acks.every((p) => p.flags === 0 && p.payload.length === 0));
  t.true(acks.some((p) => p.ackThrough === 3 || p.ackThrough === 4));
});

test('holes are NACKed at once and resent on the second NACK', async (t) => {
  const net = makeNet({ delay: 50 }, 32);
  // a resend timer of at least 5 s: a recovery within 1 s can only be the NACK-driven fast retransmit
  const a = net.node({ config: { minRto: 5000 } });
  const b = net.node();
  let server: Connection | undefined;
  b.on('stream', (c: Connection) => (server = c));
  let client: Connection | undefined;
  a.connect(b.destination).then((c) => (client = c));
  await net.clock.runUntil(() => client !== undefined && server !== undefined);
  // warm the window up
  const got = collect(server!);
  client!.write(pattern(30_000, 3));
  await net.clock.runUntil(() => got.length === 30_000);
  net.link.logging = true;
  let dropped = false;
  net.link.filter = (d) => {
    if (!dropped && net.link.isFor(d, b)) {
      const p = parsePacket(d.packet);
      if (p.payload.length > 0) {
        dropped = true;
        return false;
      }
    }
    return true;
  };
  client!.write(pattern(6 * 1812, 4));
  const started = net.clock.now();
  await net.clock.runUntil(() => got.length === 30_000 + 6 * 1812);
  t.true(dropped);
  t.true(net.clock.now() - started < 1000, `recovered after ${net.clock.now() - started} ms`);
  t.true(client!.rto >= 5000);
  const nackAcks = net.link.log.filter((d) => net.link.isFor(d, a)).map((d) => parsePacket(d.packet)).filter((p) => p.nacks.length > 0);
  t.true(nackAcks.length >= 2);
  const hole = nackAcks[0]!.nacks[0]!;
  t.true(nackAcks.every((p) => p.nacks.includes(hole) && p.ackThrough > hole));
  t.true(client!.stats.packetsResent >= 1);
  t.true(client!.stats.packetsResent <= 2);
});

test('offline keys: SYN carries OFFLINE_SIGNATURE, and CLOSE is verified with the transient key', async (t) => {
  const net = makeNet({ delay: 20 }, 33);
  const offline = createOfflineKeys(generateDestinationKeys(), { expires: Math.floor(net.clock.now() / 1000) + 86400 });
  const a = net.node({ keys: offline });
  const b = net.node();
  net.link.logging = true;
  let server: Connection | undefined;
  b.on('stream', (c: Connection) => (server = c));
  let client: Connection | undefined;
  a.connect(b.destination).then((c) => (client = c));
  await net.clock.runUntil(() => client !== undefined && server !== undefined);
  const syn = parsePacket(net.link.log[0]!.packet);
  t.is(syn.flags & PacketFlag.OFFLINE_SIGNATURE, PacketFlag.OFFLINE_SIGNATURE);
  t.deepEqual(syn.offlineSignature!.transientPublicKey, offline.offline!.signature.transientPublicKey);
  const got = collect(server!);
  client!.end(Buffer.from('signed by a transient key'));
  await net.clock.runUntil(() => got.ended);
  t.is(Buffer.from(got.bytes()).toString(), 'signed by a transient key');
  t.is(server!.stats.droppedBadSignature, 0);
});

test('offline keys: an expired offline signature is refused', async (t) => {
  const net = makeNet({ delay: 20 }, 34);
  const offline = createOfflineKeys(generateDestinationKeys(), { expires: Math.floor(net.clock.now() / 1000) - 10 });
  const a = net.node({ keys: offline });
  const b = net.node();
  let streams = 0;
  b.on('stream', () => streams++);
  a.connect(b.destination, { timeout: 10_000 }).catch(() => {});
  await net.clock.advance(12_000);
  t.is(streams, 0);
  t.true(b.stats.badSignature >= 1);
});

test('a CLOSE or RESET with a bad signature is ignored', async (t) => {
  const net = makeNet({ delay: 20 }, 35);
  const a = net.node();
  const b = net.node();
  let server: Connection | undefined;
  b.on('stream', (c: Connection) => (server = c));
  let client: Connection | undefined;
  a.connect(b.destination).then((c) => (client = c));
  await net.clock.runUntil(() => client !== undefined && server !== undefined);
  net.link.filter = (d) => {
    if (!net.link.isFor(d, b)) return true;
    const p = parsePacket(d.packet, { signatureLength: 64 });
    if (!(p.flags & (PacketFlag.CLOSE | PacketFlag.RESET))) return true;
    const bad = d.packet.slice();
    bad[p.signatureOffset]! ^= 0x80;
    return bad;
  };
  const got = collect(server!);
  let serverError: Error | undefined;
  server!.on('error', (e) => (serverError = e));
  client!.on('error', () => {});
  client!.end(Buffer.from('x'));
  await net.clock.advance(5000);
  t.is(Buffer.from(got.bytes()).toString(), 'x');
  t.false(got.ended, 'forged CLOSE did not end the stream');
  t.true(server!.stats.droppedBadSignature >= 1);
  client!.reset();
  await net.clock.advance(5000);
  t.is(serverError, undefined, 'forged RESET did not abort the stream');
  t.is(server!.destroyed, false);
});

test('fuzz: the manager survives random and mutated packets next to live connections', async (t) => {
  const net = makeNet({ delay: 10 }, 36);
  const a = net.node();
  const b = net.node();
  b.on('stream', (c: Connection) => {
    c.on('error', () => {});
    c.resume();
  });
  net.link.logging = true;
  let client: Connection | undefined;
  a.connect(b.destination).then((c) => (client = c));
  await net.clock.runUntil(() => client !== undefined);
  client!.on('error', () => {});
  client!.write(pattern(20_000, 5));
  await net.clock.advance(2000);
  const samples = net.link.log.filter((d) => net.link.isFor(d, b)).map((d) => d.packet);
  const mutated = fc
    .tuple(fc.constantFrom(...samples), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }))
    .map(([b0, edits]) => {
      const out = b0.slice();
      for (const [i, v] of edits) out[i % out.length] = v;
      return out;
    });
  fc.assert(
    fc.property(fc.oneof(fc.uint8Array({ maxLength: 300 }), mutated), (bytes) => {
      try {
        b.receive(bytes, { fromPort: 0, toPort: 0 });
        return true;
      } catch (e) {
        return false;
      }
    }),
    { numRuns: 1500 },
  );
  await net.clock.advance(1000);
  t.true(b.stats.malformed > 0);
  t.true(b.size <= 1024);
});

test('parse errors carry the StreamPacket path', (t) => {
  const e = t.throws(() => parsePacket(new Uint8Array(21)), { instanceOf: ParseError });
  t.is(e.code, 'TRUNCATED');
  t.regex(e.path, /^StreamPacket/);
});
