/**
 * TunnelManager in an in-memory network of 8 routers (test/unit/tunnels/network.ts), virtual time:
 * exploratory pools, transit tunnels, tunnel tests, replacement before expiry, profiles, transit limits,
 * data through tunnels.
 */
import test from 'ava';
import { equalBytes, toHex } from '../../../data/bytes.js';
import { systemRandom } from '../../../crypto/random.js';
import { I2NPType, type I2NPMessage } from '../../../i2np/header.js';
import { serializeData, parseData } from '../../../i2np/data.js';
import { serializeShortTunnelBuild } from '../../../i2np/tunnel-build.js';
import { parseTunnelGateway } from '../../../i2np/tunnel-gateway.js';
import { createTunnelBuild } from '../../../tunnels/build/creator.js';
import type { InboundTunnel, OutboundTunnel, OwnTunnel } from '../../../tunnels/pool.js';
import { TestNet, type Node } from './network.js';

const established = (n: Node): OwnTunnel[] => n.manager.ownTunnels().filter((t) => !t.zeroHop && t.state === 'established');

function checkHops(t: { is: Function; false: Function; true: Function }, n: Node, tun: OwnTunnel, len: number): void {
  t.is(tun.hops.length, len, 'tunnel length');
  const hex = tun.hops.map((h) => toHex(h));
  t.is(new Set(hex).size, hex.length, 'no router twice in one tunnel');
  t.false(hex.includes(n.hex), 'we are not a hop of our own tunnel');
}

async function upNet(size = 8, tweak?: (i: number) => Parameters<TestNet['add']>[0]): Promise<TestNet> {
  const net = new TestNet();
  for (let i = 0; i < size; i++) net.add(tweak?.(i) ?? {});
  net.start();
  await net.timers.advance(40_000);
  return net;
}

test('exploratory pools reach quantity with 2-hop tunnels in both directions; the hops hold the transit tunnels', async (t) => {
  const net = await upNet();
  for (const n of net.list) {
    const c = n.manager.counts();
    t.true(c.inbound >= 2, `inbound ${c.inbound}`);
    t.true(c.outbound >= 2, `outbound ${c.outbound}`);
    t.true(c.buildSuccessRate > 0 && c.buildSuccessRate <= 1);
    for (const tun of established(n)) {
      checkHops(t, n, tun, 2);
      if (tun.direction === 'inbound') {
        const ib = tun as InboundTunnel;
        const gw = net.node(ib.gateway);
        t.true(gw.manager.transitTunnels().some((x) => x.role === 'ibgw' && x.receiveTunnelId === ib.gatewayTunnelId), 'IBGW has the transit tunnel');
        const last = net.node(ib.hops[1]!);
        t.true(last.manager.transitTunnels().some((x) => x.role === 'participant' && x.nextTunnelId === ib.id && equalBytes(x.nextIdent, n.hash)), 'last hop forwards to us');
      } else {
        const ob = tun as OutboundTunnel;
        const first = net.node(ob.hops[0]!);
        t.true(first.manager.transitTunnels().some((x) => x.role === 'participant' && x.receiveTunnelId === ob.id), 'first hop participant');
        const obep = net.node(ob.endpointHash);
        t.true(obep.manager.transitTunnels().some((x) => x.role === 'obep'), 'OBEP');
      }
    }
  }
  const transit = net.list.reduce((s, n) => s + n.manager.counts().transit, 0);
  const own = net.list.reduce((s, n) => s + established(n).length, 0);
  t.true(transit >= own * 2, `transit ${transit} for ${own} own 2-hop tunnels`);
  t.true(net.list.every((n) => n.manager.stats().transitMessages > 0), 'every router carried transit traffic');
  await net.stop();
});

test('tunnel tests: a DeliveryStatus goes out through an outbound tunnel and comes back through an inbound one', async (t) => {
  const net = await upNet();
  const a = net.list[0]!;
  const before = a.manager.stats().tests;
  t.true(before.sent > 0);
  // watch the test messages on the wire: a's DeliveryStatus must leave inside TunnelData, never in the clear
  const clear: I2NPMessage[] = [];
  net.fault = (from, _to, msg) => {
    if (from === a && msg.type === I2NPType.DeliveryStatus) clear.push(msg);
    return undefined;
  };
  await net.timers.advance(30_000);
  const after = a.manager.stats().tests;
  t.true(after.sent > before.sent, 'new tests sent');
  t.is(after.failed, 0);
  t.true(after.succeeded >= before.succeeded + 2, `succeeded ${after.succeeded}`);
  t.is(clear.length, 0, 'no DeliveryStatus sent in the clear');
  t.true(established(a).some((x) => x.latency !== undefined), 'latency sampled');
  t.is(a.received.filter((m) => m.type === I2NPType.DeliveryStatus).length, 0, 'test replies were consumed, not passed to the router');
  await net.stop();
});

test('failed tunnel tests mark tunnels failed and the pool replaces them', async (t) => {
  const net = await upNet();
  const a = net.list[0]!;
  const ob = established(a).find((x) => x.direction === 'outbound') as OutboundTunnel;
  const x = net.node(ob.hops[0]!);
  // x drops every TunnelData it receives from a: a's outbound tunnels through x stop working
  net.fault = (from, to, msg) => (from === a && to === x && msg.type === I2NPType.TunnelData ? 'lose' : undefined);
  await net.timers.advance(60_000);
  const s = a.manager.stats().tests;
  t.true(s.failed > 0, `failed tests ${s.failed}`);
  t.is(ob.state, 'failed', 'the outbound tunnel through x failed twice');
  t.false(a.manager.exploratory!.outbound().includes(ob), 'removed from the pool');
  const c = a.manager.counts();
  t.true(c.outbound >= 2 && c.inbound >= 2, `pool back at quantity ${JSON.stringify(c)}`);
  t.true(a.manager.exploratory!.outbound().every((o) => !equalBytes(o.hops[0]!, x.hash) || o.state === 'established'));
  await net.stop();
});

test('tunnels are replaced before they expire: the pools never drop below quantity (virtual 25 minutes)', async (t) => {
  const net = await upNet();
  const a = net.list[3]!;
  const first = new Set(established(a));
  t.is(first.size, 4);
  let minIn = Infinity;
  let minOut = Infinity;
  for (let s = 0; s < 25 * 60; s += 5) {
    await net.timers.advance(5_000);
    const c = a.manager.counts();
    minIn = Math.min(minIn, c.inbound);
    minOut = Math.min(minOut, c.outbound);
  }
  t.true(minIn >= 2, `inbound never below 2 (min ${minIn})`);
  t.true(minOut >= 2, `outbound never below 2 (min ${minOut})`);
  const now = a.manager.ownTunnels();
  for (const old of first) t.false(now.includes(old), 'every original tunnel is gone (expired)');
  for (const x of now) t.true(x.expiresAt > net.timers.now(), 'nothing past its expiry is kept');
  t.true(a.manager.stats().builds.succeeded >= 4 * 3, 'rebuilt at least twice');
  // transit tunnels expire too: nothing older than 660 s anywhere
  for (const n of net.list) for (const x of n.manager.transitTunnels()) t.true(x.expiresAt > net.timers.now());
  await net.stop();
});

test('a peer that rejects every build is avoided once its profile is bad', async (t) => {
  const net = new TestNet();
  const a = net.add({ exploratory: { inbound: { length: 3, quantity: 8 }, outbound: { length: 3, quantity: 8 } } });
  const r = net.add({ transit: { accept: false, maxTunnels: 100 } });
  for (let i = 0; i < 6; i++) net.add({ exploratory: { inbound: { length: 2, quantity: 0 }, outbound: { length: 2, quantity: 0 } } });
  // only a builds tunnels: every rejection r sends is for a
  a.manager.start();
  for (const n of net.list.slice(1)) n.manager.start();
  let rounds = 0;
  while (!a.manager.profiles.isBad(r.hash, net.timers.now()) && rounds++ < 120) await net.timers.advance(10_000);
  t.true(a.manager.profiles.isBad(r.hash, net.timers.now()), 'r is bad after repeated rejections');
  const p = a.manager.profiles.get(r.hash)!;
  t.is(p.agreed, 0);
  t.true(p.declined >= 1, 'i2pd IsLowPartcipationRate: 4 * agreed < declined');
  t.is(r.manager.stats().rejected.disabled, p.declined, 'every decline a saw was one r sent');
  t.is(r.manager.counts().transit, 0);
  const n1 = r.manager.stats().rejected.disabled;
  // many more builds: a client pool of 16 + 16 three-hop tunnels
  const pool = a.manager.createPool({ name: 'client', inbound: { length: 3, quantity: 16 }, outbound: { length: 3, quantity: 16 } });
  await net.timers.advance(180_000); // 2 builds per direction per 10-15 s round
  t.true(pool.inbound().length >= 16 && pool.outbound().length >= 16, `client pool built (${pool.inbound().length}/${pool.outbound().length})`);
  t.is(r.manager.stats().rejected.disabled, n1, 'no further build went through r');
  for (const x of a.manager.ownTunnels()) t.false(x.hops.some((h) => equalBytes(h, r.hash)));
  await net.stop();
});

test('a build flood at a router with a small transit limit is rejected (counted) and its own pools stay up', async (t) => {
  const net = await upNet(8, (i) => (i === 0 ? { transit: { accept: true, maxTunnels: 3 } } : {}));
  const l = net.list[0]!;
  let maxTransit = l.manager.counts().transit;
  // 40 one-hop inbound build requests straight at l from a router that is not in the network
  const attacker = systemRandom.bytes(32);
  for (let i = 0; i < 40; i++) {
    const b = createTunnelBuild({
      format: 'short', direction: 'inbound', hops: [{ routerHash: l.hash, x25519PublicKey: l.key.publicKey }], ourHash: attacker,
      replyMsgId: i + 1, now: net.timers.now(), random: systemRandom,
    });
    net.inject(l, { type: b.messageType, msgId: i + 1000, expiration: net.timers.now() + 8000, payload: serializeShortTunnelBuild({ records: b.records }) }, attacker);
  }
  for (let s = 0; s < 120; s += 5) {
    await net.timers.advance(5_000);
    maxTransit = Math.max(maxTransit, l.manager.counts().transit);
  }
  const st = l.manager.stats();
  t.true(maxTransit <= 3, `transit never above the limit (max ${maxTransit})`);
  t.true(st.rejected.limit >= 37, `rejections counted (${st.rejected.limit})`);
  t.is(st.rejected.total, st.rejected.limit + st.rejected.disabled + st.rejected.duplicateId);
  const c = l.manager.counts();
  t.true(c.inbound >= 2 && c.outbound >= 2, `l keeps its own pools ${JSON.stringify(c)}`);
  await net.stop();
});

for (const size of [100, 40 * 1024]) {
  test(`data through an outbound tunnel into another router's inbound tunnel arrives byte-exact (${size} bytes)`, async (t) => {
    const net = await upNet();
    const a = net.list[1]!;
    const b = net.list[5]!;
    const ib = b.manager.exploratory!.nextInbound()!;
    t.truthy(ib);
    const data = systemRandom.bytes(size);
    const msg: I2NPMessage = { type: I2NPType.Data, msgId: 0x12345678, expiration: net.timers.now() + 60_000, payload: serializeData({ data }) };
    let tunnelData = 0;
    let sending = false;
    net.fault = (from, _to, m) => {
      if (sending && from === a && m.type === I2NPType.TunnelData) tunnelData++;
      return undefined;
    };
    sending = true; // the gateway sends synchronously: count only what this call produces
    t.true(a.manager.exploratory!.sendThroughOutbound(msg, { type: 'tunnel', tunnelId: ib.gatewayTunnelId, hash: ib.gateway }));
    sending = false;
    await net.timers.advance(1_000);
    const got = b.received.filter((m) => m.type === I2NPType.Data);
    t.is(got.length, 1);
    t.is(got[0]!.msgId, 0x12345678);
    t.true(equalBytes(parseData(got[0]!.payload).data, data), 'payload byte-exact');
    if (size > 1000) t.true(tunnelData >= Math.ceil(size / 1003), `fragmented into ${tunnelData} tunnel messages`);
    else t.is(tunnelData, 1);
    await net.stop();
  });
}

test('routers older than 0.9.51 get VariableTunnelBuild (long records); mixed tunnels still build and carry data', async (t) => {
  const net = new TestNet();
  for (let i = 0; i < 8; i++) net.add(i % 2 === 1 ? { version: '0.9.48' } : {});
  const types = new Map<number, number>();
  net.fault = (_f, _to, m) => {
    types.set(m.type, (types.get(m.type) ?? 0) + 1);
    return undefined;
  };
  net.start();
  await net.timers.advance(40_000);
  t.true((types.get(I2NPType.VariableTunnelBuild) ?? 0) > 0, 'long builds sent');
  t.true((types.get(I2NPType.ShortTunnelBuild) ?? 0) > 0, 'short builds sent');
  for (const n of net.list) {
    const c = n.manager.counts();
    t.true(c.inbound >= 2 && c.outbound >= 2, JSON.stringify(c));
  }
  const old = new Set(net.list.filter((_, i) => i % 2 === 1).map((n) => n.hex));
  const a = net.list[0]!;
  const b = net.list[2]!;
  t.true(a.manager.ownTunnels().some((x) => x.hops.some((h) => old.has(toHex(h)))), 'some tunnel uses an old router');
  const ib = b.manager.exploratory!.nextInbound()!;
  const data = systemRandom.bytes(5000);
  a.manager.exploratory!.sendThroughOutbound({ type: I2NPType.Data, msgId: 7, expiration: net.timers.now() + 60_000, payload: serializeData({ data }) }, { type: 'tunnel', tunnelId: ib.gatewayTunnelId, hash: ib.gateway });
  await net.timers.advance(1_000);
  t.true(b.received.some((m) => m.type === I2NPType.Data && equalBytes(parseData(m.payload).data, data)));
  await net.stop();
});

test('a client pool delivers what arrives on its inbound tunnels to its own handler; router delivery through the OBEP', async (t) => {
  const net = await upNet();
  const a = net.list[2]!;
  const b = net.list[6]!;
  const got: I2NPMessage[] = [];
  const pool = b.manager.createPool({ name: 'client', inbound: { length: 1, quantity: 1 }, outbound: { length: 1, quantity: 1 }, deliver: (m) => got.push(m) });
  await net.timers.advance(20_000);
  const ib = pool.inbound()[0]!;
  t.truthy(ib);
  t.is(ib.hops.length, 1);
  const payload = serializeData({ data: systemRandom.bytes(300) });
  a.manager.exploratory!.sendThroughOutbound({ type: I2NPType.Data, msgId: 8, expiration: net.timers.now() + 60_000, payload }, { type: 'tunnel', tunnelId: ib.gatewayTunnelId, hash: ib.gateway });
  // and ROUTER delivery: the OBEP sends the message itself to b
  a.manager.exploratory!.sendThroughOutbound({ type: I2NPType.Data, msgId: 9, expiration: net.timers.now() + 60_000, payload }, { type: 'router', hash: b.hash });
  await net.timers.advance(1_000);
  t.deepEqual(got.map((m) => m.msgId), [8]);
  t.true(equalBytes(got[0]!.payload, payload));
  t.deepEqual(b.received.filter((m) => m.type === I2NPType.Data).map((m) => m.msgId), [9]);
  pool.stop();
  t.false(pool.active);
  await net.stop();
});

test('a zero-hop pool (length 0): sending is direct, its inbound "tunnel" is a TunnelGateway to us', async (t) => {
  const net = await upNet();
  const a = net.list[4]!;
  const b = net.list[7]!;
  const got: I2NPMessage[] = [];
  const pool = a.manager.createPool({ inbound: { length: 0, quantity: 1 }, outbound: { length: 0, quantity: 1 }, deliver: (m) => got.push(m) });
  await net.timers.advance(1_000);
  const ib = pool.inbound()[0]!;
  t.true(ib.zeroHop);
  t.true(equalBytes(ib.gateway, a.hash));
  t.is(pool.outbound().length, 1);
  // b → (b's 2-hop outbound) → TunnelGateway at a → a's zero-hop inbound → the pool's handler
  const payload = serializeData({ data: systemRandom.bytes(2000) });
  t.true(b.manager.exploratory!.sendThroughOutbound({ type: I2NPType.Data, msgId: 11, expiration: net.timers.now() + 60_000, payload }, { type: 'tunnel', tunnelId: ib.gatewayTunnelId, hash: a.hash }));
  // a → (zero-hop outbound: straight from a) → b's inbound tunnel
  const bib = b.manager.exploratory!.inbound().find((x) => !equalBytes(x.gateway, a.hash)) ?? b.manager.exploratory!.nextInbound()!;
  const sentBy: string[] = [];
  net.fault = (from, to, m) => {
    if (from === a && m.type === I2NPType.TunnelGateway) sentBy.push(to.hex);
    return undefined;
  };
  t.true(pool.sendThroughOutbound({ type: I2NPType.Data, msgId: 12, expiration: net.timers.now() + 60_000, payload }, { type: 'tunnel', tunnelId: bib.gatewayTunnelId, hash: bib.gateway }));
  await net.timers.advance(1_000);
  t.deepEqual(got.map((m) => m.msgId), [11]);
  t.true(equalBytes(got[0]!.payload, payload));
  // (when a itself is the IBGW of b's tunnel the TunnelGateway loops back inside a and never hits the wire)
  t.deepEqual(sentBy, equalBytes(bib.gateway, a.hash) ? [] : [toHex(bib.gateway)], 'zero-hop outbound sends the TunnelGateway itself');
  t.deepEqual(b.received.filter((m) => m.type === I2NPType.Data).map((m) => m.msgId), [12]);
  t.is(a.manager.counts().inbound, a.manager.exploratory!.inbound().length, 'zero-hop tunnels are not counted');
  t.is(a.manager.counts().outbound, a.manager.exploratory!.outbound().length);
  await net.stop();
});

test('a tunnel-test reply only counts when it comes out of the inbound tunnel under test', async (t) => {
  const net = await upNet();
  const a = net.list[0]!;
  const ibgws = new Set(a.manager.exploratory!.inbound().map((x) => toHex(x.gateway)));
  const ids = new Set(a.manager.exploratory!.inbound().map((x) => x.gatewayTunnelId));
  const captured: I2NPMessage[] = [];
  // lose every TunnelGateway carrying a DeliveryStatus into a's inbound gateways, keep the DeliveryStatus
  net.fault = (_from, to, m) => {
    if (m.type !== I2NPType.TunnelGateway || !ibgws.has(to.hex)) return undefined;
    const tg = parseTunnelGateway(m.payload, { verifyChecksum: false });
    const inner = tg.message;
    if (inner.type !== I2NPType.DeliveryStatus || !ids.has(tg.tunnelId)) return undefined;
    captured.push(inner);
    return 'lose';
  };
  const before = a.manager.stats().tests;
  await net.timers.advance(16_000);
  t.true(captured.length > 0, 'test messages seen at the OBEP → IBGW hop');
  const n = captured.length;
  for (const ds of captured) t.false(a.manager.handleMessage(ds, net.list[1]!.hash), 'not taken from a transport');
  await net.timers.advance(16_000); // every pool manages within 15 s: outstanding tests fail
  // (a test whose OBEP is itself the IBGW loops back inside that router and may still succeed: not captured)
  t.true(a.manager.stats().tests.failed - before.failed >= n, 'each captured test failed although its reply was injected');
  await net.stop();
});
