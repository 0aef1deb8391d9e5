/**
 * One TunnelManager as a hop (transit), driven message by message with a recording `send`: accept / reject
 * decisions and their status byte (i2pd: always 30), transit table limit, replay and age checks, the OBEP's
 * garlic-wrapped reply, participant / IBGW / OBEP data, and random input never throwing out of handleMessage.
 */
import test from 'ava';
import fc from 'fast-check';
import { equalBytes, toHex } from '../../../data/bytes.js';
import { systemRandom } from '../../../crypto/random.js';
import { X25519Key } from '../../../crypto/x25519.js';
import { I2NPType, type I2NPMessage } from '../../../i2np/header.js';
import { serializeShortTunnelBuild, serializeVariableTunnelBuild, parseTunnelBuildRecords, BuildFormat } from '../../../i2np/tunnel-build.js';
import { parseTunnelGateway, serializeTunnelGateway } from '../../../i2np/tunnel-gateway.js';
import { parseTunnelData } from '../../../i2np/tunnel-data.js';
import { parseGarlic, serializeGarlic } from '../../../i2np/garlic.js';
import { BlockType, cloveBlock, parseBlocks } from '../../../garlic/blocks.js';
import { decryptWithReplyKey, encryptReplyBlocks } from '../../../garlic/router-garlic.js';
import { createTunnelBuild, readTunnelBuildReply, type PendingTunnelBuild } from '../../../tunnels/build/creator.js';
import { OutboundTunnelGateway, InboundTunnelEndpoint } from '../../../tunnels/data-path.js';
import { TunnelManager } from '../../../tunnels/manager.js';
import { FakeTimers, T0 } from '../netdb/helpers.js';

interface Sent {
  to: string;
  msg: I2NPMessage;
}

function hop(opts: { accept?: boolean; maxTunnels?: number } = {}) {
  const timers = new FakeTimers(T0);
  const key = new X25519Key(systemRandom.bytes(32));
  const hash = systemRandom.bytes(32);
  const sent: Sent[] = [];
  const local: I2NPMessage[] = [];
  let wraps = 0;
  const m = new TunnelManager({
    ourHash: hash,
    ourKey: key,
    send: (peer, msg) => (sent.push({ to: toHex(peer), msg }), true),
    routers: () => [],
    getRouter: () => undefined,
    garlicWrapWithReplyKey: (k, tag, msg) => {
      wraps++;
      return { type: I2NPType.Garlic, msgId: 1, expiration: msg.expiration, payload: serializeGarlic({ data: encryptReplyBlocks(k, tag, [cloveBlock(msg)]) }) };
    },
    garlicAddReplyKey: () => {},
    deliverLocal: (msg) => local.push(msg),
    timers,
    random: systemRandom,
    transit: { accept: opts.accept ?? true, maxTunnels: opts.maxTunnels ?? 100 },
    exploratory: { inbound: { length: 2, quantity: 0 }, outbound: { length: 2, quantity: 0 } },
    enforceSubnets: false,
  });
  m.start();
  return { m, timers, key, hash, sent, local, hopKey: { routerHash: hash, x25519PublicKey: key.publicKey }, wraps: () => wraps };
}

type Hop = ReturnType<typeof hop>;

function buildMsg(b: PendingTunnelBuild, now: number, msgId = 4242): I2NPMessage {
  const payload = b.format === 'short' ? serializeShortTunnelBuild({ records: b.records }) : serializeVariableTunnelBuild({ records: b.records });
  return { type: b.messageType, msgId, expiration: now + 8000, payload };
}

/** A one-hop outbound build through `h` (h is the OBEP), reply to (replyRouter, 99). */
function oneHopOutbound(h: Hop, format: 'short' | 'long', now = h.timers.now()) {
  const replyRouter = systemRandom.bytes(32);
  const b = createTunnelBuild({ format, direction: 'outbound', hops: [h.hopKey], replyRouter, replyTunnelId: 99, replyMsgId: 777, now, random: systemRandom });
  return { b, replyRouter };
}

/** Open the OBEP's TunnelGateway reply: returns the reply records. */
function obepReply(t: { is: Function; true: Function }, h: Hop, b: PendingTunnelBuild, replyRouter: Uint8Array): Uint8Array[] {
  t.is(h.sent.length, 1);
  const s = h.sent[0]!;
  t.is(s.to, toHex(replyRouter));
  t.is(s.msg.type, I2NPType.TunnelGateway);
  const tg = parseTunnelGateway(s.msg.payload, { verifyChecksum: false });
  t.is(tg.tunnelId, 99);
  let inner = tg.message;
  if (b.format === 'short') {
    t.is(inner.type, I2NPType.Garlic, 'short OBEP reply is garlic-wrapped');
    const blocks = parseBlocks(decryptWithReplyKey(b.garlicReply!.key, parseGarlic(inner.payload).data));
    const c = blocks[0]!;
    t.is(c.type, BlockType.GarlicClove);
    if (c.type !== BlockType.GarlicClove) return [];
    inner = { type: c.clove.i2npType, msgId: c.clove.msgId, expiration: c.clove.expiration * 1000, payload: c.clove.body };
  }
  t.is(inner.type, b.replyMessageType);
  t.is(inner.msgId, 777);
  const fmt = b.format === 'short' ? BuildFormat.OutboundTunnelBuildReply : BuildFormat.VariableTunnelBuildReply;
  return parseTunnelBuildRecords(inner.payload, fmt).records;
}

for (const format of ['short', 'long'] as const) {
  test(`${format}: OBEP accepts, creates the transit tunnel and sends the reply into the reply tunnel`, async (t) => {
    const h = hop();
    const { b, replyRouter } = oneHopOutbound(h, format);
    t.true(h.m.handleMessage(buildMsg(b, h.timers.now()), systemRandom.bytes(32)));
    const r = readTunnelBuildReply(b, obepReply(t, h, b, replyRouter));
    t.true(r.accepted);
    t.is(h.wraps(), format === 'short' ? 1 : 0);
    const tt = h.m.transitTunnels();
    t.is(tt.length, 1);
    t.is(tt[0]!.role, 'obep');
    t.is(tt[0]!.receiveTunnelId, b.tunnelId);
    t.is(h.m.counts().transit, 1);
    t.is(h.m.stats().transitAccepted, 1);
    await h.m.stop();
  });
}

test('transit disabled (notransit): status 30, no tunnel, reply still forwarded', async (t) => {
  const h = hop({ accept: false });
  const { b, replyRouter } = oneHopOutbound(h, 'short');
  h.m.handleMessage(buildMsg(b, h.timers.now()), undefined);
  const r = readTunnelBuildReply(b, obepReply(t, h, b, replyRouter));
  t.false(r.accepted);
  t.is(r.hops[0]!.status, 30);
  t.is(h.m.counts().transit, 0);
  t.is(h.m.stats().rejected.disabled, 1);
  await h.m.stop();
});

test('transit table full: status 30 beyond maxTunnels, counted', async (t) => {
  const h = hop({ maxTunnels: 2 });
  const statuses: number[] = [];
  for (let i = 0; i < 4; i++) {
    h.sent.length = 0;
    const { b, replyRouter } = oneHopOutbound(h, 'short');
    h.m.handleMessage(buildMsg(b, h.timers.now()), undefined);
    statuses.push(readTunnelBuildReply(b, obepReply(t, h, b, replyRouter)).hops[0]!.status);
  }
  t.deepEqual(statuses, [0, 0, 30, 30]);
  t.is(h.m.counts().transit, 2);
  t.is(h.m.stats().rejected.limit, 2);
  // after the 660 s lifetime the table empties and accepts again
  await h.timers.advance(661_000);
  t.is(h.m.counts().transit, 0);
  h.sent.length = 0;
  const { b, replyRouter } = oneHopOutbound(h, 'short');
  h.m.handleMessage(buildMsg(b, h.timers.now()), undefined);
  t.true(readTunnelBuildReply(b, obepReply(t, h, b, replyRouter)).accepted);
  await h.m.stop();
});

test('a replayed build request is dropped without a reply; a stale one too', async (t) => {
  const h = hop();
  const { b } = oneHopOutbound(h, 'short');
  const m = buildMsg(b, h.timers.now());
  h.m.handleMessage(m, undefined);
  t.is(h.sent.length, 1);
  h.m.handleMessage(buildMsg(b, h.timers.now()), undefined);
  t.is(h.sent.length, 1, 'no second reply');
  t.is(h.m.stats().dropped.replay, 1);
  t.is(h.m.counts().transit, 1);
  const old = oneHopOutbound(h, 'short', h.timers.now() - 9 * 60_000);
  h.m.handleMessage(buildMsg(old.b, h.timers.now()), undefined);
  const future = oneHopOutbound(h, 'short', h.timers.now() + 6 * 60_000);
  h.m.handleMessage(buildMsg(future.b, h.timers.now()), undefined);
  t.is(h.sent.length, 1);
  t.is(h.m.stats().dropped.expired, 2);
  await h.m.stop();
});

test('duplicate receive tunnel id: status 30', async (t) => {
  const h = hop();
  const a = oneHopOutbound(h, 'short');
  h.m.handleMessage(buildMsg(a.b, h.timers.now()), undefined);
  // a second build reusing the same receive tunnel id (rewrite by building with a RNG that repeats the id)
  const id = a.b.tunnelId;
  let first = true;
  const rnd = { bytes: systemRandom.bytes, int: (min: number, max: number) => (first && min === 1 ? ((first = false), id) : systemRandom.int(min, max)) };
  const replyRouter = systemRandom.bytes(32);
  const b = createTunnelBuild({ format: 'short', direction: 'outbound', hops: [h.hopKey], replyRouter, replyTunnelId: 99, replyMsgId: 777, now: h.timers.now(), random: rnd });
  t.is(b.tunnelId, id);
  h.sent.length = 0;
  h.m.handleMessage(buildMsg(b, h.timers.now()), undefined);
  t.is(readTunnelBuildReply(b, obepReply(t, h, b, replyRouter)).hops[0]!.status, 30);
  t.is(h.m.stats().rejected.duplicateId, 1);
  await h.m.stop();
});

test('participant: a 2-hop outbound build through two hops, then TunnelData is layered and forwarded hop to hop to the OBEP, which delivers', async (t) => {
  const h1 = hop();
  const h2 = hop();
  const replyRouter = systemRandom.bytes(32);
  const now = h1.timers.now();
  const b = createTunnelBuild({ format: 'short', direction: 'outbound', hops: [h1.hopKey, h2.hopKey], replyRouter, replyTunnelId: 99, replyMsgId: 777, now, random: systemRandom });
  h1.m.handleMessage(buildMsg(b, now), undefined);
  t.is(h1.sent.length, 1);
  t.is(h1.sent[0]!.to, toHex(h2.hash));
  t.is(h1.sent[0]!.msg.type, I2NPType.ShortTunnelBuild);
  h2.m.handleMessage(h1.sent[0]!.msg, h1.hash);
  const r = readTunnelBuildReply(b, obepReply(t, h2, b, replyRouter));
  t.true(r.accepted);
  t.is(h1.m.transitTunnels()[0]!.role, 'participant');
  // data: creator's gateway → h1 → h2 (OBEP) → router delivery to `dest`
  const gw = new OutboundTunnelGateway({ layers: r.layers, firstHop: h1.hash, tunnelId: b.tunnelId });
  const dest = systemRandom.bytes(32);
  const payload = systemRandom.bytes(3000);
  gw.put({ type: I2NPType.Data, msgId: 5, expiration: now + 60_000, payload }, { type: 'router', hash: dest });
  h1.sent.length = 0;
  h2.sent.length = 0;
  for (const out of gw.flush()) h1.m.handleMessage({ type: I2NPType.TunnelData, msgId: 1, expiration: now + 8000, payload: out.data }, undefined);
  t.true(h1.sent.length >= 4);
  for (const s of h1.sent) {
    t.is(s.to, toHex(h2.hash));
    t.is(s.msg.type, I2NPType.TunnelData);
    t.is(parseTunnelData(s.msg.payload).tunnelId, h2.m.transitTunnels()[0]!.receiveTunnelId);
    h2.m.handleMessage(s.msg, h1.hash);
  }
  t.is(h2.sent.length, 1);
  t.is(h2.sent[0]!.to, toHex(dest));
  t.true(equalBytes(h2.sent[0]!.msg.payload, payload));
  t.is(h1.m.stats().transitMessages, h1.sent.length);
  t.is(h1.m.stats().transitBytes, 1028 * h1.sent.length);
  // an expired message at the OBEP is dropped (i2pd TunnelEndpoint: expiration + 1 min skew)
  gw.put({ type: I2NPType.Data, msgId: 6, expiration: now - 61_000, payload: new Uint8Array(8) }, { type: 'router', hash: dest });
  h2.sent.length = 0;
  h1.sent.length = 0;
  for (const out of gw.flush()) h1.m.handleMessage({ type: I2NPType.TunnelData, msgId: 1, expiration: now + 8000, payload: out.data }, undefined);
  for (const s of h1.sent) h2.m.handleMessage(s.msg, h1.hash);
  t.is(h2.sent.length, 0);
  t.is(h2.m.stats().dropped.obep, 1);
  await h1.m.stop();
  await h2.m.stop();
});

test('IBGW: a TunnelGateway message is fragmented, layered and sent on as TunnelData; the creator reads it back', async (t) => {
  const h = hop();
  const us = systemRandom.bytes(32);
  const now = h.timers.now();
  const b = createTunnelBuild({ format: 'short', direction: 'inbound', hops: [h.hopKey], ourHash: us, replyMsgId: 31, now, random: systemRandom });
  h.m.handleMessage(buildMsg(b, now), undefined);
  t.is(h.sent.length, 1);
  t.is(h.sent[0]!.to, toHex(us));
  t.is(h.sent[0]!.msg.msgId, 31);
  const r = readTunnelBuildReply(b, parseTunnelBuildRecords(h.sent[0]!.msg.payload, BuildFormat.ShortTunnelBuild).records);
  t.true(r.accepted);
  const ep = new InboundTunnelEndpoint({ layers: r.layers, endpoint: { now: () => h.timers.now() } });
  const inner: I2NPMessage = { type: I2NPType.Data, msgId: 9, expiration: now + 60_000, payload: systemRandom.bytes(2500) };
  h.sent.length = 0;
  h.m.handleMessage(
    { type: I2NPType.TunnelGateway, msgId: 2, expiration: now + 8000, payload: serializeTunnelGateway({ tunnelId: b.hops[0]!.receiveTunnelId, message: inner }) },
    undefined,
  );
  t.true(h.sent.length >= 3);
  const got = h.sent.flatMap((s) => {
    t.is(s.to, toHex(us));
    t.is(parseTunnelData(s.msg.payload).tunnelId, b.tunnelId);
    return ep.receive(s.msg.payload);
  });
  t.is(got.length, 1);
  t.is(got[0]!.instructions.type, 'local');
  t.true(equalBytes(got[0]!.message.payload, inner.payload));
  await h.m.stop();
});

test('TunnelData / TunnelGateway for unknown tunnels and replies nobody waits for are dropped and counted', async (t) => {
  const h = hop();
  const now = h.timers.now();
  t.true(h.m.handleMessage({ type: I2NPType.TunnelData, msgId: 1, expiration: now, payload: new Uint8Array(1028).fill(7) }, undefined));
  t.true(h.m.handleMessage({ type: I2NPType.OutboundTunnelBuildReply, msgId: 1, expiration: now, payload: new Uint8Array(1 + 218) .fill(1) }, undefined));
  const s = h.m.stats().dropped;
  t.is(s.unknownTunnel, 1);
  t.is(s.unknownReply, 1);
  t.false(h.m.handleMessage({ type: I2NPType.DatabaseStore, msgId: 1, expiration: now, payload: new Uint8Array(3) }, undefined), 'not a tunnel message');
  t.is(h.sent.length, 0);
  await h.m.stop();
});

test('random bytes as any tunnel message type never throw out of handleMessage', async (t) => {
  const h = hop();
  const types = [I2NPType.TunnelData, I2NPType.TunnelGateway, I2NPType.VariableTunnelBuild, I2NPType.VariableTunnelBuildReply, I2NPType.ShortTunnelBuild, I2NPType.OutboundTunnelBuildReply, I2NPType.DeliveryStatus];
  fc.assert(
    fc.property(fc.constantFrom(...types), fc.uint8Array({ maxLength: 2200 }), fc.boolean(), (type, bytes, ours) => {
      // sometimes make record 0 "ours" so decryption is attempted on garbage
      if (ours && bytes.length > 17) bytes.set(h.hash.subarray(0, 16), 1);
      const handled = h.m.handleMessage({ type, msgId: 1, expiration: h.timers.now(), payload: bytes }, undefined);
      return type === I2NPType.DeliveryStatus ? handled === false : handled === true;
    }),
    { numRuns: 400 },
  );
  t.is(h.m.counts().transit, 0);
  t.is(h.sent.length, 0);
  t.is(h.m.stats().dropped.errors, 0, 'every failure was a ParseError / CryptoError (bad input), none a bug');
  t.true(h.m.stats().dropped.malformed + h.m.stats().dropped.malformedBuild > 0);
  await h.m.stop();
});
