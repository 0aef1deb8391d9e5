/**
 * In-process network: 10 NetDbs (3 floodfills), each with its own router keys and signed RouterInfo, wired
 * through TestNetwork, which serializes and parses every I2NP message. Virtual time (FakeTimers).
 */
import test from 'ava';
import { toHex, equalBytes } from '../../../data/bytes.js';
import { I2NPType } from '../../../i2np/header.js';
import { DatabaseStoreType, serializeDatabaseStore } from '../../../i2np/database-store.js';
import { parseDatabaseLookup } from '../../../i2np/database-lookup.js';
import { LOOKUP_TIMEOUT, LOOKUP_MAX_QUERIES, type LookupEvent } from '../../../netdb/lookup.js';
import { NETDB_PUBLISH_CONFIRMATION_TIMEOUT } from '../../../netdb/publish.js';
import type { NetDb } from '../../../netdb/netdb.js';
import { systemRandom } from '../../../crypto/random.js';
import { FakeTimers, TestNetwork, makeLeaseSet, makeRouter, type TestRouter } from './helpers.js';

interface World {
  net: TestNetwork;
  timers: FakeTimers;
  ffs: { r: TestRouter; db: NetDb }[];
  others: { r: TestRouter; db: NetDb }[];
}

/** 3 floodfills that know each other, 7 routers that know only floodfill `knows` (index). */
function world(knows: (i: number) => number = () => 0): World {
  const timers = new FakeTimers();
  const net = new TestNetwork(timers);
  const ffs = [0, 1, 2].map(() => {
    const r = makeRouter({ floodfill: true });
    return { r, db: net.add(r, { floodfill: true }) };
  });
  for (const a of ffs) for (const b of ffs) if (a !== b) a.db.addRouterInfo(b.r.ri);
  const others = [0, 1, 2, 3, 4, 5, 6].map((i) => {
    const r = makeRouter();
    const db = net.add(r);
    db.addRouterInfo(ffs[knows(i)]!.r.ri);
    return { r, db };
  });
  return { net, timers, ffs, others };
}

/** Advance virtual time in steps until `p` settles (bounded). Returns its value and the virtual time spent. */
async function drive<T>(timers: FakeTimers, p: Promise<T>, step = 500, max = 10 * 60_000): Promise<{ value: T; elapsed: number }> {
  let done = false;
  let value!: T;
  let error: unknown;
  let failed = false;
  p.then(
    (v) => ((value = v), (done = true)),
    (e: unknown) => ((error = e), (failed = done = true)),
  );
  const start = timers.now();
  await timers.settle();
  while (!done && timers.now() - start < max) await timers.advance(step);
  if (!done) throw new Error('did not settle in virtual time');
  if (failed) throw error;
  return { value, elapsed: timers.now() - start };
}

test('publish: stored at the only known floodfill, confirmed, and flooded to the other floodfills', async (t) => {
  const w = world();
  const a = w.others[0]!;
  const { value: r } = await drive(w.timers, a.db.publish());
  t.true(r.confirmed);
  t.true(r.confirmed && equalBytes(r.floodfill, w.ffs[0]!.r.hash));
  await w.timers.settle();
  for (const f of w.ffs) t.truthy(f.db.store.getRouter(a.r.hash), 'every floodfill has it');
  t.true(w.ffs[0]!.db.stats().flooded >= 2);
  // Flooded copies carry no reply token: F1 and F2 did not flood further nor acknowledge.
  t.is(w.ffs[1]!.db.stats().flooded + w.ffs[2]!.db.stats().flooded, 0);
});

test('a router knowing one floodfill learns every router through exploration', async (t) => {
  const w = world();
  for (const o of w.others) t.true((await drive(w.timers, o.db.publish())).value.confirmed);
  const x = w.others[0]!;
  t.deepEqual(x.db.counts(), { routers: 1, floodfills: 1, leaseSets: 0 });
  for (let round = 0; round < 12 && x.db.counts().routers < 9; round++) {
    await drive(w.timers, x.db.explore({ count: 9 }));
  }
  t.deepEqual(x.db.counts(), { routers: 9, floodfills: 3, leaseSets: 0 });
  const known = new Set(x.db.routers().map((ri) => toHex(ri.identity.hash)));
  for (const n of [...w.ffs, ...w.others]) if (n !== x) t.true(known.has(toHex(n.r.hash)));
  // Exploratory lookups were really sent (lookup type 3) with our known routers excluded.
  t.true(w.net.log.some((m) => m.type === I2NPType.DatabaseLookup && m.from === toHex(x.r.hash)));
});

test('the maintenance timer publishes and explores by itself', async (t) => {
  const w = world();
  for (const n of [...w.ffs, ...w.others]) n.db.start();
  await w.timers.advance(10 * 60_000);
  for (const o of w.others) t.is(o.db.counts().routers, 9, 'every router knows all others');
  for (const f of w.ffs) t.is(f.db.counts().routers, 9);
  for (const n of [...w.ffs, ...w.others]) await n.db.stop();
  t.is(w.timers.pending, 0, 'stop() leaves no timer behind');
});

test('lookup of a RouterInfo held by the floodfills succeeds', async (t) => {
  const w = world((i) => i % 3);
  const target = w.others[1]!; // knows F1
  t.true((await drive(w.timers, target.db.publish())).value.confirmed);
  const asker = w.others[0]!; // knows F0 only
  t.false(asker.db.store.hasRouter(target.r.hash));
  const { value: ri } = await drive(w.timers, asker.db.lookupRouter(target.r.hash));
  t.truthy(ri);
  t.deepEqual(ri!.raw, target.r.ri.raw);
  t.true(asker.db.store.hasRouter(target.r.hash));
});

test('lookup of a LeaseSet2 stored at a floodfill succeeds', async (t) => {
  const w = world();
  const { keys, ls } = makeLeaseSet({ published: w.timers.now() });
  // A client publishes its LeaseSet2 (here directly) to F2 with a reply token: F2 stores and floods it.
  const client = w.others[3]!;
  const payload = serializeDatabaseStore({
    key: keys.identity.hash,
    storeType: DatabaseStoreType.LeaseSet2,
    reply: { token: 4242, tunnelId: 0, gateway: client.r.hash },
    data: ls.raw,
  });
  w.net.nodes.get(toHex(w.ffs[2]!.r.hash))!.handleMessage({ type: I2NPType.DatabaseStore, msgId: 1, expiration: w.timers.now() + 8000, payload }, client.r.hash);
  await w.timers.settle();
  for (const f of w.ffs) t.truthy(f.db.store.getLeaseSet(keys.identity.hash));
  const asker = w.others[0]!;
  const { value: got } = await drive(w.timers, asker.db.lookupLeaseSet(keys.identity.hash));
  t.truthy(got);
  t.deepEqual(got!.raw, ls.raw);
});

test('lookup of a missing key ends with not-found after at most 7 floodfills, in bounded time', async (t) => {
  const w = world();
  const asker = w.others[0]!;
  const events: LookupEvent[] = [];
  const key = systemRandom.bytes(32);
  const run = (async () => {
    for await (const ev of asker.db.lookup(key, 'router')) events.push(ev);
  })();
  const { elapsed } = await drive(w.timers, run);
  const last = events.at(-1)!;
  t.is(last.type, 'notFound');
  t.true(last.type === 'notFound' && last.reason === 'exhausted');
  const queried = events.filter((e) => e.type === 'query');
  t.true(queried.length >= 1 && queried.length <= LOOKUP_MAX_QUERIES);
  t.true(elapsed <= LOOKUP_TIMEOUT);
  // Each floodfill at most once.
  t.is(new Set(queried.map((e) => e.type === 'query' && toHex(e.peer))).size, queried.length);
});

test('lookup when every message is lost ends with not-found (timeout) within the lookup timeout', async (t) => {
  const w = world();
  for (const f of w.ffs) w.others[0]!.db.addRouterInfo(f.r.ri);
  w.net.fault = () => 'lose';
  const r = await drive(w.timers, w.others[0]!.db.lookups.find(systemRandom.bytes(32), 'router'));
  t.is(r.value.type, 'notFound');
  t.true(r.value.type === 'notFound' && (r.value.reason === 'exhausted' || r.value.reason === 'timeout'));
  t.true(r.value.type === 'notFound' && r.value.queried === 3);
  t.true(r.elapsed <= LOOKUP_TIMEOUT);
  t.true(r.elapsed >= 5_000, 'it waited for the per-peer timeouts');
});

test('a lookup survives a lost query and a refused send (retries the next floodfill)', async (t) => {
  const w = world();
  const target = w.others[1]!;
  t.true((await drive(w.timers, target.db.publish())).value.confirmed);
  const asker = w.others[0]!;
  for (const f of w.ffs) asker.db.addRouterInfo(f.r.ri);
  let lost = 0;
  let refused = 0;
  w.net.fault = (from, _to, msg) => {
    if (!equalBytes(from, asker.r.hash) || msg.type !== I2NPType.DatabaseLookup) return undefined;
    if (!equalBytes(parseDatabaseLookup(msg.payload).key, target.r.hash)) return undefined;
    if (refused === 0) return refused++, 'refuse';
    if (lost === 0) return lost++, 'lose';
    return undefined;
  };
  const events: LookupEvent[] = [];
  const run = (async () => {
    for await (const ev of asker.db.lookup(target.r.hash, 'router', { concurrency: 1 })) events.push(ev);
  })();
  await drive(w.timers, run);
  t.is(refused, 1);
  t.is(lost, 1);
  t.deepEqual(
    events.map((e) => e.type),
    ['sendFailed', 'query', 'timeout', 'query', 'found'],
  );
  t.true(asker.db.store.hasRouter(target.r.hash));
});

test('publish survives a lost store: the next floodfill confirms after the 5 s timeout', async (t) => {
  const w = world();
  const a = w.others[0]!;
  for (const f of w.ffs) a.db.addRouterInfo(f.r.ri);
  let lost = 0;
  w.net.fault = (from, _to, msg) => (equalBytes(from, a.r.hash) && msg.type === I2NPType.DatabaseStore && lost++ === 0 ? 'lose' : undefined);
  const { value: r, elapsed } = await drive(w.timers, a.db.publish(), 250);
  t.true(r.confirmed);
  t.is(r.attempts, 2);
  t.true(elapsed >= NETDB_PUBLISH_CONFIRMATION_TIMEOUT);
  for (const f of w.ffs) t.truthy(f.db.store.getRouter(a.r.hash));
});

test('publish with every store lost gives up after the attempt bound', async (t) => {
  const w = world();
  const a = w.others[0]!;
  w.net.fault = () => 'lose';
  const { value: r } = await drive(w.timers, a.db.publish({ maxAttempts: 4 }));
  t.false(r.confirmed);
  t.true(!r.confirmed && r.reason === 'exhausted');
  t.is(r.attempts, 4);
});

test('abort: a lookup rejects with AbortError and leaves no timers', async (t) => {
  const w = world();
  w.net.fault = () => 'lose';
  const ac = new AbortController();
  const p = w.others[0]!.db.lookupRouter(systemRandom.bytes(32), { signal: ac.signal });
  await w.timers.advance(1000);
  ac.abort();
  await t.throwsAsync(p, { name: 'AbortError' });
  t.is(w.timers.pending, 0);
  t.is(w.others[0]!.db.lookups.active, 0);
});

test('garbage I2NP payloads are dropped and counted, never thrown', (t) => {
  const w = world();
  const db = w.ffs[0]!.db;
  for (const type of [I2NPType.DatabaseStore, I2NPType.DatabaseLookup, I2NPType.DatabaseSearchReply, I2NPType.DeliveryStatus]) {
    for (let i = 0; i < 50; i++) {
      const payload = systemRandom.bytes(systemRandom.int(0, 200));
      t.notThrows(() => db.handleMessage({ type, msgId: 1, expiration: w.timers.now() + 1000, payload }, w.others[0]!.r.hash));
    }
  }
  t.true(db.stats().dropped.parse > 0);
});
