/**
 * Streaming under harsher and odd conditions: many seeds of loss/duplication/jitter, a peer that never
 * ACKs our CLOSE (as i2pd 2.45.1, which terminates on the CLOSE exchange), keepalives.
 */
import test from 'ava';
import type { Connection } from '../../../client/streaming/connection.js';
import { PacketFlag, parsePacket } from '../../../client/streaming/packet.js';
import { collect, makeNet, pattern } from './setup.js';

for (let seed = 100; seed < 108; seed++) {
  const loss = 0.1 + (seed % 3) * 0.05;
  test(`seed ${seed}: 256 KiB each way, ${Math.round(loss * 100)} % loss, 5 % duplicates, 200 ms jitter`, async (t) => {
    const net = makeNet({ loss, delay: 40, jitter: 200, duplicate: 0.05 }, seed);
    const a = net.node();
    const b = net.node();
    let server: Connection | undefined;
    let client: Connection | undefined;
    b.on('stream', (c: Connection) => (server = c));
    a.connect(b.destination).then(
      (c) => (client = c),
      (e) => t.fail(String(e)),
    );
    await net.clock.runUntil(() => !!client && !!server, 3_600_000);
    const up = pattern(256 * 1024, seed);
    const down = pattern(256 * 1024, seed + 1);
    const x = collect(server!);
    const y = collect(client!);
    const errs: string[] = [];
    client!.on('error', (e) => errs.push(e.message));
    server!.on('error', (e) => errs.push(e.message));
    client!.end(up);
    server!.end(down);
    await net.clock.runUntil(() => (x.ended && y.ended) || errs.length > 0, 3_600_000);
    t.deepEqual(errs, []);
    t.true(Buffer.from(up).equals(x.bytes()));
    t.true(Buffer.from(down).equals(y.bytes()));
    // and both sides are released
    await net.clock.runUntil(() => a.size === 0 && b.size === 0, 3_600_000);
  });
}

test('a peer that never ACKs our CLOSE (i2pd 2.45.1 style) still lets us close cleanly', async (t) => {
  const net = makeNet({ delay: 20 }, 50);
  const a = net.node();
  const b = net.node();
  let server: Connection | undefined;
  b.on('stream', (c: Connection) => (server = c));
  let client: Connection | undefined;
  a.connect(b.destination).then((c) => (client = c));
  await net.clock.runUntil(() => client !== undefined && server !== undefined);
  const errors: Error[] = [];
  client!.on('error', (e) => errors.push(e));
  server!.on('error', (e) => errors.push(e));
  const atClient = collect(client!);
  let clientClosedSent = false;
  net.link.filter = (d) => {
    const p = parsePacket(d.packet, { signatureLength: 64 });
    if (net.link.isFor(d, b) && p.flags & PacketFlag.CLOSE) clientClosedSent = true;
    // once the client has sent its CLOSE, the server goes silent (terminated)
    return !(net.link.isFor(d, a) && clientClosedSent);
  };
  server!.end(Buffer.from('bye'));
  await net.clock.runUntil(() => client!.state === 'closed', 3_600_000);
  t.is(Buffer.from(atClient.bytes()).toString(), 'bye');
  t.deepEqual(errors, []);
  t.true(client!.destroyed);
  await net.clock.runUntil(() => a.size === 0, 60_000);
});

test('an idle connection sends a keepalive ACK after the inactivity timeout', async (t) => {
  const net = makeNet({ delay: 20 }, 51);
  const a = net.node();
  const b = net.node();
  b.on('stream', () => {});
  let client: Connection | undefined;
  a.connect(b.destination).then((c) => (client = c));
  await net.clock.runUntil(() => client !== undefined);
  await net.clock.advance(1000);
  net.link.logging = true;
  await net.clock.advance(89_000 - 1000);
  t.is(net.link.log.length, 0);
  await net.clock.advance(2000);
  const keepalives = net.link.log.map((d) => parsePacket(d.packet)).filter((p) => p.sequenceNum === 0 && p.flags === 0);
  t.true(keepalives.length >= 1);
  t.is(client!.state, 'open');
});
