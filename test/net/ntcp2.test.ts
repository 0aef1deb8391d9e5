/**
 * clove ↔ clove over NTCP2 on 127.0.0.1: routers that know a floodfill from their netDb folder dial it,
 * the floodfill learns their RouterInfos from SessionConfirmed and stores them in its folder, and I2NP
 * flows both ways over one session per peer.
 */
import test from 'ava';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { makeRouter, seed, testNetId, until } from '../helpers/net.js';
import { toBase64 } from '../../data/base64.js';
import type { Router } from '../../router/router.js';

test('routers dial the floodfill they know; it learns and stores them; sessions are counted once per peer', async (t) => {
  const netId = testNetId();
  const ff = await makeRouter({ netId, floodfill: true });
  const routers: Router[] = [];
  try {
    await ff.start();
    for (let i = 0; i < 3; i++) routers.push(await makeRouter({ netId }));
    for (const r of routers) {
      await seed(r, ff);
      await r.start();
    }
    t.true(await until(() => ff.status().peers.ntcp2 === 3), `floodfill peers: ${JSON.stringify(ff.status().peers)}`);
    for (const r of routers) {
      t.true(await until(() => r.status().peers.ntcp2 === 1));
      const s = r.transports!.sessions();
      t.is(s.length, 1);
      t.is(s[0]!.direction, 'outbound');
      t.is(s[0]!.peer, ff.routerHash);
      // Our DatabaseStore went out over it.
      t.true(s[0]!.messagesSent >= 1);
    }
    const inbound = ff.transports!.sessions();
    t.deepEqual(inbound.map((x) => x.direction), ['inbound', 'inbound', 'inbound']);
    t.deepEqual(inbound.map((x) => x.peer).sort(), routers.map((r) => r.routerHash).sort());
    // The floodfill learned each router from its SessionConfirmed RouterInfo (persisted below, at stop).
    t.is(ff.status().netdb.routers, 3);
    // Each router's DatabaseStore arrived at the floodfill as I2NP.
    t.true(await until(() => (ff.i2npStats.received.DatabaseStore ?? 0) === 3), JSON.stringify(ff.i2npStats));
    // An inbound session carries traffic back: the floodfill reaches a router without dialing.
    const target = routers[0]!;
    const before = target.i2npStats.received.DeliveryStatus ?? 0;
    t.true(
      ff.transports!.send(target.routerInfo.identity.hash, {
        type: 10,
        msgId: 1234,
        expiration: Date.now() + 60_000,
        payload: new Uint8Array([0, 0, 4, 210, 0, 0, 0, 0, 0, 0, 0, 1]),
      }),
    );
    t.true(await until(() => (target.i2npStats.received.DeliveryStatus ?? 0) === before + 1));
    t.is(ff.transports!.stats.dialsFailed, 0);
    t.is(ff.status().peers.ntcp2, 3, 'no second session was opened');
    // Stopping writes what the netDb learned to its folder, in i2pd's layout.
    await ff.stop();
    for (const r of routers) {
      const h = toBase64(r.routerInfo.identity.hash);
      t.true(existsSync(join(ff.datadir, 'netDb', `r${h[0]}`, `routerInfo-${h}.dat`)), `no file for ${h}`);
    }
  } finally {
    await Promise.all(routers.map((r) => r.stop()));
    await ff.stop();
  }
});
