/**
 * End to end in memory: a ShortTunnelBuild for 3 hops, each hop turns its opened record into a TransitTunnel,
 * then I2NP messages go through OutboundTunnelGateway → participants → OBEP, and TunnelGateway messages
 * through IBGW → participants → InboundTunnelEndpoint (docs/tunnels-implementation.html).
 */
import test from 'ava';
import { equalBytes, toHex } from '../../../data/bytes.js';
import { systemRandom } from '../../../crypto/random.js';
import { serializeI2NPStandard, type I2NPMessage } from '../../../i2np/header.js';
import { createTunnelBuild, readTunnelBuildReply } from '../../../tunnels/build/creator.js';
import { openBuildRequest, sealBuildReply } from '../../../tunnels/build/participant.js';
import { InboundTunnelEndpoint, OutboundTunnelGateway, TransitTunnel } from '../../../tunnels/data-path.js';
import type { DeliveredMessage } from '../../../tunnels/fragment.js';
import { simRouter, type SimRouter } from './helpers.js';

const NOW = Date.UTC(2026, 10, 22, 3, 30, 0);

function build(direction: 'inbound' | 'outbound', format: 'short' | 'long') {
  const routers = [simRouter(systemRandom), simRouter(systemRandom), simRouter(systemRandom)];
  const us = systemRandom.bytes(32);
  const b = createTunnelBuild({
    format, direction, hops: routers.map((r) => r.hop), ourHash: us, replyRouter: us, replyTunnelId: 1, replyMsgId: 1, now: NOW, random: systemRandom,
  });
  let records = b.records;
  const transits: TransitTunnel[] = [];
  for (const r of routers) {
    const o = openBuildRequest(r.decryptor, records)!;
    transits.push(
      new TransitTunnel({
        role: o.role, receiveTunnelId: o.request.receiveTunnelId, nextTunnelId: o.request.nextTunnelId, nextIdent: o.request.nextIdent,
        layerKey: o.layerKey, ivKey: o.ivKey, endpoint: { now: () => NOW },
      }),
    );
    records = sealBuildReply(o, records, 0, { random: systemRandom });
  }
  const result = readTunnelBuildReply(b, records);
  return { routers, us, b, result, transits };
}

const msg = (size: number, id: number): I2NPMessage => ({ type: 20, msgId: id, expiration: NOW + 60_000, payload: systemRandom.bytes(size) });

/** Deliver `data` to the transit tunnel whose router is `to` and whose receive id matches. */
function route(routers: SimRouter[], transits: TransitTunnel[], to: Uint8Array, data: Uint8Array): TransitTunnel {
  const i = routers.findIndex((r) => equalBytes(r.hash, to));
  const t = transits[i]!;
  if (new DataView(data.buffer, data.byteOffset).getUint32(0) !== t.receiveTunnelId) throw new Error('tunnel id mismatch');
  return t;
}

for (const format of ['short', 'long'] as const) {
  test(`${format}: outbound tunnel end to end: creator gateway → 2 participants → OBEP`, (t) => {
    const { routers, b, result, transits } = build('outbound', format);
    t.deepEqual(transits.map((x) => x.role), ['participant', 'participant', 'obep']);
    const gw = new OutboundTunnelGateway({ layers: result.layers, firstHop: routers[0]!.hash, tunnelId: b.tunnelId });
    const target = systemRandom.bytes(32);
    const sent = [msg(0, 1), msg(3000, 2), msg(50_000, 3), msg(10, 4)];
    const dis = [
      { type: 'router', hash: target },
      { type: 'tunnel', tunnelId: 99, hash: target },
      { type: 'router', hash: target },
      { type: 'tunnel', tunnelId: 7, hash: target },
    ] as const;
    sent.forEach((m, i) => t.true(gw.put(m, dis[i]!)));
    const delivered: DeliveredMessage[] = [];
    for (const out of gw.flush()) {
      t.true(equalBytes(out.to, routers[0]!.hash));
      let hop = route(routers, transits, out.to, out.data);
      let data = out.data;
      for (;;) {
        const r = hop.handleTunnelData(data);
        if (!r.forward) {
          delivered.push(...r.delivered);
          break;
        }
        data = r.forward.data;
        hop = route(routers, transits, r.forward.to, data);
      }
    }
    t.is(delivered.length, sent.length);
    sent.forEach((m, i) => {
      t.is(toHex(delivered[i]!.bytes), toHex(serializeI2NPStandard(m)));
      t.deepEqual(delivered[i]!.instructions, dis[i]);
    });
    t.is(transits[2]!.endpoint!.pendingMessages, 0);
  });

  test(`${format}: inbound tunnel end to end: IBGW → 2 participants → creator endpoint`, (t) => {
    const { routers, us, result, transits } = build('inbound', format);
    t.deepEqual(transits.map((x) => x.role), ['ibgw', 'participant', 'participant']);
    t.throws(() => transits[0]!.handleTunnelData(new Uint8Array(1028)), { instanceOf: RangeError });
    const ep = new InboundTunnelEndpoint({ layers: result.layers, endpoint: { now: () => NOW } });
    const sent = [msg(100, 1), msg(20_000, 2), msg(900, 3)];
    for (const m of sent) t.true(transits[0]!.handleGatewayMessage(m));
    const delivered: DeliveredMessage[] = [];
    for (const out of transits[0]!.flush()) {
      let data = out.data;
      let to = out.to;
      while (!equalBytes(to, us)) {
        const r = route(routers, transits, to, data).handleTunnelData(data);
        data = r.forward!.data;
        to = r.forward!.to;
      }
      delivered.push(...ep.receive(data));
    }
    t.is(delivered.length, 3);
    sent.forEach((m, i) => {
      t.is(toHex(delivered[i]!.bytes), toHex(serializeI2NPStandard(m)));
      t.deepEqual(delivered[i]!.instructions, { type: 'local' });
    });
  });
}

test('a participant rewrites the tunnel id and changes every byte after it', (t) => {
  const { transits } = build('outbound', 'short');
  const p = transits[1]!;
  const data = systemRandom.bytes(1028);
  const before = data.slice();
  const r = p.handleTunnelData(data);
  t.is(new DataView(r.forward!.data.buffer).getUint32(0), p.nextTunnelId);
  t.false(equalBytes(r.forward!.data.subarray(4, 20), before.subarray(4, 20)));
  t.false(equalBytes(r.forward!.data.subarray(1000), before.subarray(1000)));
  t.throws(() => p.handleTunnelData(new Uint8Array(100)), { instanceOf: RangeError });
});
