/**
 * A fresh destination's first stream, in-process on 127.0.0.1. A destination must have its own LeaseSet
 * before it sends a SYN (i2pd I2PService waits for IsReady): a SYN without one leaves the remote unable to
 * answer (it looks the LeaseSet up, finds nothing, drops its SYN-ACK) and the stream only opens with the
 * first retransmission, 9 s later. The pool tells the destination about each new inbound tunnel, so its
 * LeaseSet exists as soon as it has one (not at the next 5 s housekeeping tick).
 */
import test from 'ava';
import { makeNetwork, until } from '../helpers/net.js';
import type { Router } from '../../router/router.js';

test('fresh destinations open their first stream without the remote missing their LeaseSet', async (t) => {
  t.timeout(5 * 60_000);
  const routers: Router[] = await makeNetwork({ n: 5 });
  try {
    const pools = { inbound: { length: 2, quantity: 2 }, outbound: { length: 2, quantity: 2 } };
    const site = await routers[2]!.createDestination({ name: 'site', ...pools });
    site.destination.on('stream', (s) => {
      s.on('error', () => undefined);
      s.end('hi');
    });
    t.true(await until(() => site.destination.stats.publishConfirmed > 0, 120_000, 100), 'site LeaseSet not published');
    for (let i = 0; i < 4; i++) {
      const app = await routers[3 + (i % 2)]!.createDestination({ name: `app${i}`, ...pools });
      // Connect as soon as the pool has tunnels both ways, as a proxy would: not waiting for the LeaseSet.
      t.true(await until(() => app.pool.inbound().length > 0 && app.pool.outbound().length > 0, 120_000, 20), `app${i} has no tunnels`);
      const t0 = Date.now();
      const s = await app.destination.connect(site.destination.b32, 80);
      s.on('error', () => undefined);
      const got = await new Promise<string>((resolve) => {
        let text = '';
        s.on('data', (d: Buffer) => (text += d.toString()));
        s.on('end', () => resolve(text));
        s.on('close', () => resolve(text));
      });
      t.is(got, 'hi');
      t.log(`app${i}: stream opened and answered in ${Date.now() - t0} ms`);
    }
    // The site never had to drop a reply for want of the client's LeaseSet.
    t.is(site.destination.stats.sendNoLeaseSet, 0, JSON.stringify(site.destination.stats));
  } finally {
    for (const r of routers) await r.stop();
  }
});
