/**
 * clove-only network on 127.0.0.1: six routers that know each other build their exploratory tunnels through
 * each other (2 hops, quantity 3 each way), carry each other's transit tunnels, and their tunnel tests pass.
 */
import test from 'ava';
import { makeRouter, seed, testNetId, until } from '../helpers/net.js';
import type { Router } from '../../router/router.js';

test('six clove routers keep their exploratory pools at quantity through each other', async (t) => {
  const netId = testNetId();
  const routers: Router[] = [];
  try {
    for (let i = 0; i < 6; i++) routers.push(await makeRouter({ netId, floodfill: i < 2 }));
    // Start each once so its router.info exists, then seed everyone with everyone and start for real.
    for (const r of routers) await r.start();
    for (const r of routers) await r.stop();
    const fresh: Router[] = [];
    for (const r of routers) fresh.push(await makeRouter({ netId, floodfill: r.config.get('floodfill'), datadir: r.datadir, port: r.config.get('port') }));
    routers.splice(0, routers.length, ...fresh);
    for (const a of routers) for (const b of routers) if (a !== b) await seed(a, b, { fromDatadir: true });
    for (const r of routers) await r.start();

    const atQuantity = (r: Router) => {
      const c = r.status().tunnels;
      return c.inbound >= 3 && c.outbound >= 3;
    };
    t.true(await until(() => routers.every(atQuantity), 60_000, 200), JSON.stringify(routers.map((r) => r.status().tunnels)));
    const transit = routers.reduce((n, r) => n + r.status().tunnels.transit, 0);
    // 6 routers × 6 tunnels × 2 hops = 72 hop slots, each a transit tunnel somewhere else.
    t.true(transit >= 72, `transit tunnels: ${transit}`);
    // Every router built its six tunnels; nobody rejected or garbled a build. (Builds sent to routers that had not
    // started listening yet time out: those are the only failures allowed here.)
    for (const r of routers) {
      const b = r.tunnels!.stats().builds;
      t.true(b.succeeded >= 6, JSON.stringify(b));
      t.is(b.rejected, 0);
      t.is(b.badReply, 0);
    }
    // Tunnel tests (DeliveryStatus out through an outbound tunnel, back through an inbound one) succeed.
    t.true(
      await until(() => routers.every((r) => r.tunnels!.stats().tests.succeeded > 0), 60_000, 500),
      JSON.stringify(routers.map((r) => r.tunnels!.stats().tests)),
    );
    // Transit traffic is counted where it flows.
    t.true(routers.some((r) => r.tunnels!.stats().transitBytes > 0));
  } finally {
    await Promise.all(routers.map((r) => r.stop()));
  }
});
