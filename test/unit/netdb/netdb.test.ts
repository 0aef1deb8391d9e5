import test from 'ava';
import { mkdtemp } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { NetDb, type NetDbLogger } from '../../../netdb/netdb.js';
import { loadNetDbFolder, removeRouterInfo, routerInfoPath, saveRouterInfo } from '../../../netdb/folder.js';
import { toBase64 } from '../../../data/base64.js';
import { FakeTimers, NET_ID, makeRouter, signRouterInfo } from './helpers.js';

test('persistence through folder.ts: stored RouterInfos are saved at stop() and load back', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'clove-netdb-core-'));
  const timers = new FakeTimers();
  const me = makeRouter();
  const logger: NetDbLogger = pino({ level: 'silent' });
  const db = new NetDb({
    routerInfo: me.ri,
    netId: NET_ID,
    timers,
    logger,
    transport: { send: () => false },
    persistence: { save: (ri) => saveRouterInfo(dir, ri), remove: (h) => removeRouterInfo(dir, h) },
  });
  const a = makeRouter();
  const b = makeRouter({ floodfill: true });
  t.is(db.addRouterInfo(a.ri).status, 'added');
  t.is(db.addRouterInfo(b.ri).status, 'added');
  await db.stop();
  const loaded = await loadNetDbFolder(dir, { netId: NET_ID });
  t.deepEqual(loaded.routerInfos.map((ri) => toBase64(ri.identity.hash)).sort(), [a, b].map((r) => toBase64(r.hash)).sort());
  // A second netDb loads them from the folder without writing them again; removal deletes the file.
  const removed: string[] = [];
  const removals: Promise<void>[] = [];
  const db2 = new NetDb({
    routerInfo: me.ri,
    netId: NET_ID,
    timers,
    transport: { send: () => false },
    persistence: { save: () => t.fail('loaded RouterInfos are not rewritten'), remove: (h) => {
        removed.push(h);
        const p = removeRouterInfo(dir, h);
        removals.push(p);
        return p;
      },
    },
  });
  for (const ri of loaded.routerInfos) db2.addRouterInfo(ri, { verified: true, persisted: true });
  t.deepEqual(db2.counts(), { routers: 2, floodfills: 1, leaseSets: 0 });
  t.true(db2.store.removeRouter(a.hash));
  await Promise.all(removals);
  t.deepEqual(removed, [toBase64(a.hash)]);
  t.false(existsSync(routerInfoPath(dir, toBase64(a.hash))));
  await db2.stop();
});

test('setRouterInfo refuses another identity; refreshRouterInfo re-signs an old RouterInfo before publishing', async (t) => {
  const timers = new FakeTimers();
  const me = makeRouter({ published: timers.now() - 31 * 60_000 });
  let refreshed = 0;
  const db = new NetDb({
    routerInfo: me.ri,
    netId: NET_ID,
    timers,
    transport: { send: () => false },
    refreshRouterInfo: () => (refreshed++, signRouterInfo(me.keys, { published: timers.now() })),
  });
  t.throws(() => db.setRouterInfo(makeRouter().ri), { instanceOf: RangeError });
  const r = await db.publish();
  t.false(r.confirmed);
  t.true(!r.confirmed && r.reason === 'noFloodfills');
  t.is(refreshed, 1);
  t.is(db.routerInfo.published, timers.now());
  await db.publish();
  t.is(refreshed, 1, 'fresh enough now');
});

test('lookups beyond the active bound end at once with busy', async (t) => {
  const timers = new FakeTimers();
  const me = makeRouter();
  const db = new NetDb({ routerInfo: me.ri, netId: NET_ID, timers, maxActiveLookups: 2, transport: { send: () => true } });
  db.addRouterInfo(makeRouter({ floodfill: true }).ri);
  const ac = new AbortController();
  const p1 = db.lookups.find(new Uint8Array(32).fill(1), 'router', { signal: ac.signal });
  const p2 = db.lookups.find(new Uint8Array(32).fill(2), 'router', { signal: ac.signal });
  await timers.settle();
  t.is(db.lookups.active, 2);
  const r3 = await db.lookups.find(new Uint8Array(32).fill(3), 'router');
  t.deepEqual(r3, { type: 'notFound', reason: 'busy', queried: 0 });
  ac.abort();
  await Promise.allSettled([p1, p2]);
  t.is(db.lookups.active, 0);
  t.is(timers.pending, 0);
});

test('the maintenance timer writes new RouterInfos and drops expired LeaseSets every minute', async (t) => {
  const timers = new FakeTimers();
  const me = makeRouter();
  const saved: string[] = [];
  const db = new NetDb({
    routerInfo: me.ri,
    netId: NET_ID,
    timers,
    hidden: true,
    transport: { send: () => false },
    persistence: { save: (ri) => void saved.push(toBase64(ri.identity.hash)), remove: () => {} },
  });
  const { makeLeaseSet } = await import('./helpers.js');
  db.start();
  const a = makeRouter();
  db.addRouterInfo(a.ri);
  t.is(db.addLeaseSet2(makeLeaseSet({ published: timers.now(), expiresSec: 100 }).ls).status, 'added');
  await timers.advance(45_000);
  t.deepEqual(saved, []);
  t.is(db.counts().leaseSets, 1);
  await timers.advance(16_000); // 61 s: the save/expire round ran (LeaseSet end 100 s − 51 s < 61 s)
  t.deepEqual(saved, [toBase64(a.hash)]);
  t.is(db.counts().leaseSets, 0);
  await db.stop();
  t.is(timers.pending, 0);
});
