/**
 * ClientDestination end to end on an in-memory network (destination-net.ts): LeaseSet building and
 * publishing through a garlic-wrapped DatabaseStore with a reply token, lookup by b32, garlic NS → NSR →
 * ES, streaming over it, the LeaseSet clove, datagrams, and bad input counted rather than thrown.
 */
import test from 'ava';
import { ClientDestination, parseAddress, type DestinationPool } from '../../../client/destination.js';
import type { TunnelPool } from '../../../tunnels/pool.js';
import type { Connection } from '../../../client/streaming/connection.js';
import { toHex, equalBytes } from '../../../data/bytes.js';
import { b32Address, toBase64 } from '../../../data/base64.js';
import { LS2_FLAG_UNPUBLISHED, leaseSet2ExpiresAt, parseLeaseSet2, verifyLeaseSet2 } from '../../../data/lease-set2.js';
import { generateDestinationKeys } from '../../../data/private-key-file.js';
import { BlockType, type Block } from '../../../garlic/blocks.js';
import { serializeData } from '../../../i2np/data.js';
import { DatabaseStoreType, serializeDatabaseStore } from '../../../i2np/database-store.js';
import { serializeGarlic } from '../../../i2np/garlic.js';
import { I2NPType, type I2NPMessage } from '../../../i2np/header.js';
import { serializeDeliveryStatus } from '../../../i2np/delivery-status.js';
import { serializeI2CPPayload } from '../../../client/i2cp-payload.js';
import { GarlicEngine, type MessageKind } from '../../../garlic/session.js';
import { X25519Key } from '../../../crypto/x25519.js';
import { DestinationNet } from './destination-net.js';
import { collect, pattern } from './setup.js';

const MiB = 1024 * 1024;

/** Record the kind of every garlic message a destination's engine builds. */
function spyKinds(d: ClientDestination): MessageKind[] {
  const kinds: MessageKind[] = [];
  const orig = d.garlic.encrypt.bind(d.garlic);
  d.garlic.encrypt = (k, b) => {
    const r = orig(k, b);
    kinds.push(r.kind);
    return r;
  };
  return kinds;
}

/** Record the blocks handed to a destination's engine for each message. */
function spyBlocks(d: ClientDestination): Block[][] {
  const all: Block[][] = [];
  const orig = d.garlic.encrypt.bind(d.garlic);
  d.garlic.encrypt = (k, b) => {
    all.push([...b]);
    return orig(k, b);
  };
  return all;
}

test('the LeaseSet2 comes from the inbound tunnels, verifies, and is published to the floodfill with a confirmed reply token', async (t) => {
  const net = new DestinationNet();
  const b = net.node({ tunnels: 3 });
  const ls = b.dest.leaseSet();
  t.truthy(ls);
  const parsed = parseLeaseSet2(ls!.raw);
  t.true(verifyLeaseSet2(parsed, { now: net.clock.now() }));
  t.true(equalBytes(parsed.destination.hash, b.keys.identity.hash));
  t.is(parsed.flags & LS2_FLAG_UNPUBLISHED, 0);
  t.deepEqual(
    parsed.encryptionKeys.map((k) => [k.type, toHex(k.key)]),
    [[4, toHex(new X25519Key(b.keys.cryptoPrivateKey).publicKey)]],
  );
  t.is(parsed.leases.length, 3);
  for (const tun of b.tunnels) {
    const l = parsed.leases.find((x) => x.tunnelId === tun.gatewayTunnelId);
    t.truthy(l);
    t.true(equalBytes(l!.gateway, tun.gateway));
    t.is(l!.endDate, Math.floor((tun.expiresAt - 60_000) / 1000)); // i2pd: one minute before the tunnel expires
  }
  t.is(leaseSet2ExpiresAt(parsed), Math.max(...parsed.leases.map((l) => l.endDate)) * 1000);

  let published = 0;
  b.dest.on('published', () => published++);
  await net.clock.runUntil(() => published > 0, 10_000);
  t.is(net.ffStores, 1);
  t.is(b.dest.stats.publishConfirmed, 1);
  t.true(equalBytes(net.ffStore.get(toHex(b.keys.identity.hash))!.raw, ls!.raw));
  // verification lookup 10 s after the confirmation finds what we published
  await net.clock.runUntil(() => b.dest.stats.publishVerified > 0, 20_000);
  t.deepEqual(net.ffLookups, [{ key: toHex(b.keys.identity.hash), by: b, found: true }], 'a lookup through B\'s tunnels, ECIES reply');
  t.is(b.lookups, 0, 'not the router\'s direct lookup');
  t.is(net.ffStores, 1);
  net.stop();
});

test('inbound tunnels before any outbound one: the LeaseSet is published as soon as an outbound tunnel exists', async (t) => {
  const net = new DestinationNet();
  const b = net.node({ tunnels: 2, noOutbound: true }); // the usual order: inbound builds finish first
  t.truthy(b.dest.leaseSet());
  await net.clock.advance(3_000);
  t.is(b.dest.stats.published, 0, 'nothing to publish through yet');
  b.noOutbound = false; // no tunnelsChanged(): outbound tunnels do not change the LeaseSet
  await net.clock.runUntil(() => b.dest.stats.publishConfirmed === 1, 2_000);
  t.is(b.dest.stats.publishConfirmed, 1);
  net.stop();
});

test('a tunnel change rebuilds the LeaseSet, the new one is republished after the 20 s minimum interval', async (t) => {
  const net = new DestinationNet();
  const b = net.node({ tunnels: 2 });
  await net.clock.runUntil(() => b.dest.stats.publishConfirmed === 1, 10_000);
  const first = b.dest.leaseSet()!;
  const started = net.clock.now();
  b.tunnels[0]!.live = false;
  b.tunnels.push(net.newTunnel());
  b.dest.tunnelsChanged();
  const second = b.dest.leaseSet()!;
  t.not(second, first);
  t.true(second.published > first.published);
  t.true(second.leases.some((l) => l.tunnelId === b.tunnels[2]!.gatewayTunnelId));
  t.false(second.leases.some((l) => l.tunnelId === b.tunnels[0]!.gatewayTunnelId));
  await net.clock.runUntil(() => b.dest.stats.publishConfirmed === 2, 60_000);
  t.true(net.clock.now() - started >= 20_000 - 1000, 'not before PUBLISH_MIN_INTERVAL after the first submission');
  t.true(equalBytes(net.ffStore.get(toHex(b.keys.identity.hash))!.raw, second.raw));
  net.stop();
});

test('no confirmation: an ECIES destination goes on to verify, and publishes again when the LeaseSet is missing', async (t) => {
  const net = new DestinationNet();
  let dropping = true;
  // the floodfill gets no DatabaseStore at first (lookups go through: they are Noise N too, so tell them
  // apart by size: a DatabaseStore with a LeaseSet is far bigger than a lookup)
  net.filter = (m, to) => !(dropping && to === 'floodfill' && m.payload.length > 400);
  const b = net.node();
  const start = net.clock.now();
  await net.clock.runUntil(() => net.ffLookups.length === 1, 60_000);
  // PUBLISH_CONFIRMATION_TIMEOUT (5 s), then PUBLISH_VERIFICATION_TIMEOUT (10 s)
  t.true(net.clock.now() - start >= 15_000);
  t.is(b.dest.stats.published, 1);
  t.is(b.dest.stats.publishConfirmed, 0);
  t.false(net.ffLookups[0]!.found);
  dropping = false;
  await net.clock.runUntil(() => b.dest.stats.publishConfirmed === 1, 120_000);
  t.true(b.dest.stats.published >= 2);
  t.true(equalBytes(net.ffStore.get(toHex(b.keys.identity.hash))!.raw, b.dest.leaseSet()!.raw));
  net.stop();
});

async function openStream(net: DestinationNet, a: ClientDestination, b: ClientDestination, port = 80) {
  let server: Connection | undefined;
  let serverPorts: { fromPort: number; toPort: number } | undefined;
  b.once('stream', (c: Connection, p) => {
    server = c;
    serverPorts = p;
  });
  let client: Connection | undefined;
  let failure: unknown;
  a.connect(b.b32, port).then(
    (c) => (client = c),
    (e: unknown) => (failure = e),
  );
  await net.clock.runUntil(() => failure !== undefined || (client !== undefined && server !== undefined), 120_000);
  if (failure) throw failure;
  return { client: client!, server: server!, serverPorts: serverPorts! };
}

test('A connects to B by b32 and 1 MiB goes each way through garlic (NS → NSR → ES) and streaming', async (t) => {
  const net = new DestinationNet();
  const a = net.node();
  const b = net.node();
  const aKinds = spyKinds(a.dest);
  const bKinds = spyKinds(b.dest);
  await net.clock.runUntil(() => a.dest.stats.publishConfirmed === 1 && b.dest.stats.publishConfirmed === 1, 10_000);
  t.is(a.known.size + b.known.size, 0, 'neither router knows the other LeaseSet yet');

  const { client, server, serverPorts } = await openStream(net, a.dest, b.dest, 8080);
  t.is(serverPorts.toPort, 8080);
  t.true(net.ffLookups.some((l) => l.key === toHex(b.keys.identity.hash) && l.by === a && l.found), 'A looked B up through its tunnels');
  t.is(a.lookups + b.lookups, 0, 'nobody fell back to the router\'s lookup');
  // B learned A's LeaseSet from the clove in A's first message, without a lookup
  t.is(b.dest.stats.leaseSetsLearned, 1);
  t.true(b.known.has(toHex(a.keys.identity.hash)), 'handed to the router netDb');
  t.false(net.ffLookups.some((l) => l.key === toHex(a.keys.identity.hash)), 'B never looked A up');

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
  t.true(Buffer.from(up).equals(atServer.bytes()), 'A → B bytes differ');
  t.true(Buffer.from(down).equals(atClient.bytes()), 'B → A bytes differ');

  t.is(aKinds[0], 'new-session');
  t.is(bKinds[0], 'new-session-reply');
  t.true(aKinds.filter((k) => k === 'existing').length > 500, 'A went on with existing-session messages');
  t.true(bKinds.filter((k) => k === 'existing').length > 500, 'B went on with existing-session messages');
  t.is(a.dest.garlic.sessionInfo(new X25519Key(b.keys.cryptoPrivateKey).publicKey)?.state, 'established');
  t.is(b.dest.garlic.sessionInfo(new X25519Key(a.keys.cryptoPrivateKey).publicKey)?.state, 'established');
  t.is(a.dest.stats.garlicFailed + b.dest.stats.garlicFailed, 0);
  t.is(b.dest.stats.leaseSetsLearned, 1, 'A did not keep re-sending its unchanged LeaseSet');
  net.stop();
});

test('garlic and streaming recover from lost and reordered messages (NS and NSR lost included)', async (t) => {
  const net = new DestinationNet();
  const a = net.node();
  const b = net.node();
  await net.clock.runUntil(() => a.dest.stats.publishConfirmed === 1 && b.dest.stats.publishConfirmed === 1, 10_000);
  // the first message each destination sends the other is lost: A's first NS, B's first NSR
  const dropFirst = new Set([a, b]);
  net.filter = (m, to, from) => !(from && to !== 'floodfill' && m.type === I2NPType.Garlic && dropFirst.delete(from));
  const aKinds = spyKinds(a.dest);
  const bKinds = spyKinds(b.dest);
  net.loss = 0.05;
  net.jitter = 80;
  const { client, server } = await openStream(net, a.dest, b.dest);
  const size = 256 * 1024;
  const up = pattern(size, 5);
  const down = pattern(size, 6);
  const atServer = collect(server);
  const atClient = collect(client);
  client.end(up);
  server.end(down);
  let closed = 0;
  client.on('close', () => closed++);
  server.on('close', () => closed++);
  await net.clock.runUntil(() => closed === 2, 3_600_000);
  t.true(Buffer.from(up).equals(atServer.bytes()));
  t.true(Buffer.from(down).equals(atClient.bytes()));
  t.true(net.lost > 20, `lost ${net.lost}`);
  t.is(dropFirst.size, 0);
  t.deepEqual(aKinds.slice(0, 2), ['new-session', 'new-session'], 'A sent a second NS after the first was lost');
  t.true(bKinds.filter((k) => k === 'new-session-reply').length >= 2, 'B answered again after its first NSR was lost');
  t.is(a.dest.stats.garlicFailed + b.dest.stats.garlicFailed, 0, 'every garlic message that arrived decrypted');
  net.stop();
});

test('the LeaseSet clove: in every NS until the NSR, never in B\'s NSR; after a change, once in an ES with an Ack Request until acked', async (t) => {
  const net = new DestinationNet();
  const a = net.node();
  const b = net.node();
  const aBlocks = spyBlocks(a.dest);
  const bBlocks = spyBlocks(b.dest);
  await net.clock.runUntil(() => a.dest.stats.publishConfirmed === 1 && b.dest.stats.publishConfirmed === 1, 10_000);
  const { client, server } = await openStream(net, a.dest, b.dest);
  const hasLs = (bl: Block[]) => bl.some((x) => x.type === BlockType.GarlicClove && x.clove.i2npType === I2NPType.DatabaseStore);
  const hasAckReq = (bl: Block[]) => bl.some((x) => x.type === BlockType.AckRequest);
  t.true(hasLs(aBlocks[0]!), 'A\'s NS carries A\'s LeaseSet');
  t.false(hasAckReq(aBlocks[0]!), 'no Ack Request in an NS (i2pd would dereference a null tag set)');
  t.false(bBlocks.some(hasLs), 'B never attached its LeaseSet (A already had it)');
  const before = aBlocks.length;
  t.false(aBlocks.slice(1).some(hasLs), 'A stopped attaching after the NSR');

  // A's tunnels change: the next message carries the new LeaseSet with an Ack Request, B acks it
  a.tunnels[0]!.live = false;
  a.tunnels.push(net.newTunnel());
  a.dest.tunnelsChanged();
  const atServer = collect(server);
  client.write(new Uint8Array(100));
  await net.clock.runUntil(() => atServer.length === 100, 10_000);
  await net.clock.advance(3000);
  const after = aBlocks.slice(before);
  const withLs = after.filter(hasLs);
  t.is(withLs.length, 1, 'sent once, then acknowledged');
  t.true(hasAckReq(withLs[0]!));
  t.is(b.dest.stats.leaseSetsLearned, 2);
  net.stop();
});

test('an Ack owed to a peer with nothing to send goes out in an ES of its own', async (t) => {
  const net = new DestinationNet();
  const a = net.node();
  const b = net.node();
  await net.clock.runUntil(() => a.dest.stats.publishConfirmed === 1 && b.dest.stats.publishConfirmed === 1, 10_000);
  await openStream(net, a.dest, b.dest);
  await net.clock.advance(3000); // streaming goes quiet
  const aBlocks = spyBlocks(a.dest);
  const bKinds = spyKinds(b.dest);
  const hasLs = (bl: Block[]) => bl.some((x) => x.type === BlockType.GarlicClove && x.clove.i2npType === I2NPType.DatabaseStore);
  let raws = 0;
  b.dest.on('raw', () => raws++);
  a.tunnels[0]!.live = false;
  a.tunnels.push(net.newTunnel());
  a.dest.tunnelsChanged();
  t.true(a.dest.sendRaw(b.keys.identity.hash, Uint8Array.of(1)));
  await net.clock.advance(2000);
  t.is(raws, 1);
  t.is(b.dest.stats.controlSent, 1, 'B acked in a message of its own');
  t.deepEqual(bKinds, ['existing']);
  t.true(a.dest.sendRaw(b.keys.identity.hash, Uint8Array.of(2)));
  t.deepEqual(aBlocks.map(hasLs), [true, false], 'the acked LeaseSet is not sent again');
  net.stop();
});

test('repliable and raw datagrams carry ports and the verified sender', async (t) => {
  const net = new DestinationNet();
  const a = net.node();
  const b = net.node();
  await net.clock.runUntil(() => b.dest.stats.publishConfirmed === 1, 10_000);
  const got: { kind: string; payload: Uint8Array; from?: string; fromPort: number; toPort: number }[] = [];
  b.dest.on('datagram', (p: Uint8Array, info) => got.push({ kind: 'dg', payload: p, from: info.from && toHex(info.from.hash), fromPort: info.fromPort, toPort: info.toPort }));
  b.dest.on('raw', (p: Uint8Array, info) => got.push({ kind: 'raw', payload: p, fromPort: info.fromPort, toPort: info.toPort }));
  t.false(a.dest.sendDatagram(b.dest.b32, Uint8Array.of(1, 2, 3), { fromPort: 5, toPort: 6 }), 'queued behind the lookup');
  await net.clock.runUntil(() => got.length === 1, 10_000);
  t.true(a.dest.sendRaw(b.dest.b32, Uint8Array.of(9), { fromPort: 7, toPort: 8 }));
  await net.clock.runUntil(() => got.length === 2, 10_000);
  t.deepEqual(got[0], { kind: 'dg', payload: Uint8Array.of(1, 2, 3), from: toHex(a.keys.identity.hash), fromPort: 5, toPort: 6 });
  t.deepEqual(got[1], { kind: 'raw', payload: Uint8Array.of(9), fromPort: 7, toPort: 8 });
  net.stop();
});

test('a destination with no stream listener refuses SYNs (RESET), one with a listener accepts', async (t) => {
  const net = new DestinationNet();
  const a = net.node();
  const b = net.node();
  await net.clock.runUntil(() => b.dest.stats.publishConfirmed === 1, 10_000);
  let err: (Error & { code?: string }) | undefined;
  a.dest.connect(b.dest.b32, 80).catch((e: Error) => (err = e));
  await net.clock.runUntil(() => err !== undefined, 60_000);
  t.is(err!.code, 'ECONNREFUSED');
  t.is(b.dest.streams.stats.refused, 1);
  const { client } = await openStream(net, a.dest, b.dest);
  t.truthy(client);
  net.stop();
});

test('connect to an unknown destination fails with ENOTFOUND; abort works', async (t) => {
  const net = new DestinationNet();
  const a = net.node();
  const nobody = generateDestinationKeys({ cryptoType: 4 });
  let err: (Error & { code?: string }) | undefined;
  a.dest.connect(b32Address(nobody.identity.hash), 80).catch((e: Error) => (err = e));
  await net.clock.runUntil(() => err !== undefined, 60_000);
  t.is(err!.code, 'ENOTFOUND');
  t.true(a.dest.stats.searchReplies >= 1, 'the floodfill answered with a DatabaseSearchReply');
  t.true(net.ffLookups.every((l) => l.by === a && !l.found));
  const ac = new AbortController();
  let err2: Error | undefined;
  a.dest.connect(nobody.identity.hash, 80, { signal: ac.signal }).catch((e: Error) => (err2 = e));
  ac.abort();
  await net.clock.settle();
  t.is(err2?.name, 'AbortError');
  await t.throwsAsync(a.dest.connect('not an address', 80), { instanceOf: TypeError });
  net.stop();
});

test('malformed garlic, data and stores are counted, never thrown', async (t) => {
  const net = new DestinationNet();
  const a = net.node();
  const b = net.node();
  const d = b.dest;
  const now = net.clock.now();
  const msg = (type: number, payload: Uint8Array): I2NPMessage => ({ type, msgId: 1, expiration: now + 8000, payload });
  const rnd = net.rng;
  // garlic: random bytes, truncated length field, too short
  d.deliver(msg(I2NPType.Garlic, serializeGarlic({ data: rnd.bytes(200) })));
  d.deliver(msg(I2NPType.Garlic, Uint8Array.of(0, 0, 1, 0, 1, 2)));
  d.deliver(msg(I2NPType.Garlic, serializeGarlic({ data: rnd.bytes(10) })));
  t.is(d.stats.garlicFailed, 2);
  t.is(d.stats.malformed, 1);
  // Data: not gzip; gzip with an unknown protocol; a streaming packet that is garbage
  d.deliver(msg(I2NPType.Data, serializeData({ data: rnd.bytes(50) })));
  d.deliver(msg(I2NPType.Data, serializeData({ data: serializeI2CPPayload({ protocol: 99, fromPort: 0, toPort: 0, payload: Uint8Array.of(1) }) })));
  d.deliver(msg(I2NPType.Data, serializeData({ data: serializeI2CPPayload({ protocol: 6, fromPort: 0, toPort: 0, payload: rnd.bytes(5) }) })));
  d.deliver(msg(I2NPType.Data, serializeData({ data: serializeI2CPPayload({ protocol: 17, fromPort: 0, toPort: 0, payload: rnd.bytes(500) }) })));
  t.is(d.stats.malformed, 2);
  t.is(d.stats.unknownProtocol, 1);
  t.is(d.streams.stats.malformed, 1);
  t.is(d.stats.datagramsBad, 1);
  // a LeaseSet whose signature is broken, a RouterInfo store, a LeaseSet under the wrong key
  const aLs = a.dest.leaseSet()!;
  const bad = Uint8Array.from(aLs.raw);
  bad[bad.length - 1]! ^= 1;
  d.deliver(msg(I2NPType.DatabaseStore, serializeDatabaseStore({ key: a.keys.identity.hash, storeType: DatabaseStoreType.LeaseSet2, reply: null, data: bad })));
  d.deliver(msg(I2NPType.DatabaseStore, serializeDatabaseStore({ key: rnd.bytes(32), storeType: DatabaseStoreType.LeaseSet2, reply: null, data: aLs.raw })));
  d.deliver(msg(I2NPType.DatabaseStore, serializeDatabaseStore({ key: rnd.bytes(32), storeType: DatabaseStoreType.LeaseSet2, reply: null, data: rnd.bytes(100) })));
  t.is(d.stats.leaseSetsRejected, 2);
  t.is(d.stats.malformed, 3);
  t.is(d.stats.leaseSetsLearned, 0);
  // a stray DeliveryStatus and an unknown type
  d.deliver(msg(I2NPType.DeliveryStatus, serializeDeliveryStatus({ msgId: 12345, timestamp: now })));
  d.deliver(msg(200, rnd.bytes(4)));
  t.is(d.stats.unhandled, 2);

  // a real garlic (NS to B's key) with a clove for another destination and one with a broken Data body
  const stranger = new GarlicEngine({ staticKey: new X25519Key(rnd.bytes(32)), now: () => net.clock.now() });
  const { data } = stranger.encrypt(new X25519Key(b.keys.cryptoPrivateKey).publicKey, [
    { type: BlockType.GarlicClove, clove: { delivery: { type: 'destination', hash: rnd.bytes(32) }, i2npType: I2NPType.Data, msgId: 1, expiration: 0, body: Uint8Array.of(0, 0, 0, 0) } },
    { type: BlockType.GarlicClove, clove: { delivery: { type: 'destination', hash: b.keys.identity.hash }, i2npType: I2NPType.Data, msgId: 2, expiration: 0, body: Uint8Array.of(0, 0, 0, 9) } },
  ]);
  d.deliver(msg(I2NPType.Garlic, serializeGarlic({ data })));
  t.is(d.stats.garlicIn, 1);
  t.is(d.stats.clovesDropped, 1);
  t.is(d.stats.malformed, 4);
  // replaying it changes nothing
  d.deliver(msg(I2NPType.Garlic, serializeGarlic({ data })));
  t.is(d.stats.garlicFailed, 3);

  // random garbage of every kind never throws
  for (let i = 0; i < 300; i++) {
    const type = [I2NPType.Garlic, I2NPType.Data, I2NPType.DatabaseStore, I2NPType.DeliveryStatus][i % 4]!;
    t.notThrows(() => d.deliver(msg(type, rnd.bytes(rnd.int(0, 400)))));
  }
  // and B still works
  const { client } = await openStream(net, a.dest, b.dest);
  t.truthy(client);
  net.stop();
});

test('messages waiting for a lookup are bounded', async (t) => {
  const net = new DestinationNet();
  const a = net.node({ maxQueuedPerLookup: 4, maxLookups: 2 });
  const x = generateDestinationKeys({ cryptoType: 4 }).identity.hash;
  for (let i = 0; i < 10; i++) a.dest.sendRaw(x, Uint8Array.of(i));
  t.is(a.dest.stats.queueDropped, 6);
  a.dest.sendRaw(generateDestinationKeys({ cryptoType: 4 }).identity.hash, Uint8Array.of(1));
  a.dest.sendRaw(generateDestinationKeys({ cryptoType: 4 }).identity.hash, Uint8Array.of(1));
  t.is(a.dest.stats.sendNoLeaseSet, 1, 'third concurrent lookup refused');
  await net.clock.advance(1000);
  t.is(a.dest.stats.lookupsFailed, 2);
  t.is(a.dest.stats.sendNoLeaseSet, 1 + 4 + 1);
  net.stop();
});

test('parseAddress: b32 (any case), base64 Destination, Destination, hash; anything else is a TypeError/RangeError', (t) => {
  const keys = generateDestinationKeys({ cryptoType: 4 });
  const h = keys.identity.hash;
  t.deepEqual(parseAddress(b32Address(h)).hash, h);
  t.deepEqual(parseAddress(b32Address(h).toUpperCase().replace('.B32.I2P', '.b32.i2p')).hash, h);
  const fromB64 = parseAddress(toBase64(keys.identity.bytes));
  t.deepEqual(fromB64.hash, h);
  t.deepEqual(fromB64.destination?.bytes, keys.identity.bytes);
  t.deepEqual(parseAddress(keys.identity).hash, h);
  t.deepEqual(parseAddress(h).hash, h);
  t.throws(() => parseAddress('example.i2p'), { instanceOf: TypeError });
  t.throws(() => parseAddress(new Uint8Array(31)), { instanceOf: RangeError });
});

test('connect by base64 Destination works like b32', async (t) => {
  const net = new DestinationNet();
  const a = net.node();
  const b = net.node();
  await net.clock.runUntil(() => b.dest.stats.publishConfirmed === 1, 10_000);
  let server: Connection | undefined;
  b.dest.once('stream', (c: Connection) => (server = c));
  let client: Connection | undefined;
  void a.dest.connect(toBase64(b.keys.identity.bytes), 22).then((c) => (client = c));
  await net.clock.runUntil(() => client !== undefined && server !== undefined, 60_000);
  t.pass();
  net.stop();
});

test('fallback: garlic the destination cannot decrypt and tunnel build replies go to the router', (t) => {
  const net = new DestinationNet();
  const passed: I2NPMessage[] = [];
  const a = net.node({ fallback: (m) => void passed.push(m) });
  const now = net.clock.now();
  const g: I2NPMessage = { type: I2NPType.Garlic, msgId: 7, expiration: now + 8000, payload: serializeGarlic({ data: net.rng.bytes(120) }) };
  a.dest.deliver(g);
  const reply: I2NPMessage = { type: I2NPType.OutboundTunnelBuildReply, msgId: 8, expiration: now + 8000, payload: net.rng.bytes(20) };
  a.dest.deliver(reply);
  t.deepEqual(passed, [g, reply]);
  t.is(a.dest.stats.passedOn, 2);
  t.is(a.dest.stats.garlicFailed, 0);
  net.stop();
});

test('a TunnelPool is a DestinationPool (compile-time)', (t) => {
  const asPool = (p: TunnelPool): DestinationPool => p;
  t.is(typeof asPool, 'function');
});
