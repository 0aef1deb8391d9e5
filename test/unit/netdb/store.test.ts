import test from 'ava';
import { NetDbStore, NETDB_MIN_ROUTERS, LEASE_ENDDATE_THRESHOLD, isEligibleFloodfill, versionNumber } from '../../../netdb/store.js';
import { toBase64 } from '../../../data/base64.js';
import { LS2_FLAG_UNPUBLISHED } from '../../../data/lease-set2.js';
import { generateRouterKeys } from '../../../data/private-key-file.js';
import { systemRandom } from '../../../crypto/random.js';
import type { RouterInfo } from '../../../data/router-info.js';
import { NET_ID, T0, makeLeaseSet, makeRouter, signRouterInfo } from './helpers.js';

function newStore(opts: { now?: () => number; maxRouters?: number; maxLeaseSets?: number; floodfill?: boolean } = {}) {
  let t = T0;
  const clock = { now: opts.now ?? (() => t), set: (x: number) => (t = x) };
  const saved: string[] = [];
  const removed: string[] = [];
  const ours = makeRouter();
  const store = new NetDbStore({
    ourHash: ours.hash,
    netId: NET_ID,
    now: clock.now,
    isFloodfill: () => opts.floodfill ?? false,
    maxRouters: opts.maxRouters,
    maxLeaseSets: opts.maxLeaseSets,
    persistence: { save: (ri) => void saved.push(toBase64(ri.identity.hash)), remove: (h) => void removed.push(h) },
  });
  return { store, clock, saved, removed, ours };
}

test('versionNumber and floodfill eligibility follow i2pd', (t) => {
  t.is(versionNumber('0.9.38'), 938);
  t.is(versionNumber('0.9.57'), 957);
  t.is(versionNumber('1.2.3'), 10203);
  t.is(versionNumber('x'), undefined);
  t.true(isEligibleFloodfill(makeRouter({ floodfill: true }).ri));
  t.false(isEligibleFloodfill(makeRouter({ floodfill: true, version: '0.9.37' }).ri));
  t.false(isEligibleFloodfill(makeRouter({ floodfill: false }).ri));
});

test('adds, counts, rejects own hash, other netId, bad signature and future RouterInfos', (t) => {
  const { store, ours } = newStore();
  const a = makeRouter();
  const f = makeRouter({ floodfill: true });
  t.is(store.addRouterInfo(a.ri).status, 'added');
  t.is(store.addRouterInfo(f.ri).status, 'added');
  t.deepEqual(store.counts(), { routers: 2, floodfills: 1, leaseSets: 0 });
  t.deepEqual(store.addRouterInfo(ours.ri), { status: 'rejected', reason: 'OWN_HASH' });
  t.deepEqual(store.addRouterInfo(makeRouter({ netId: 2 }).ri), { status: 'rejected', reason: 'NET_ID' });
  t.deepEqual(store.addRouterInfo(makeRouter({ published: T0 + 3 * 60_000 }).ri), { status: 'rejected', reason: 'FUTURE' });
  t.is(store.addRouterInfo(makeRouter({ published: T0 + 60_000 }).ri).status, 'added'); // within 2 minutes
  // Tamper with one signed byte: the bytes no longer verify.
  const b = makeRouter();
  const raw = Uint8Array.from(b.ri.raw);
  raw[raw.length - 70]! ^= 1; // inside the options mapping... or the signature — either way, invalid
  const r = store.addRouterInfoBytes(raw);
  t.is(r.status, 'rejected');
  t.true(r.reason === 'BAD_SIGNATURE' || r.reason === 'PARSE');
  const sig = Uint8Array.from(b.ri.raw);
  sig[sig.length - 1]! ^= 0x40;
  t.deepEqual(store.addRouterInfoBytes(sig).reason, 'BAD_SIGNATURE');
  t.deepEqual(store.addRouterInfoBytes(new Uint8Array([1, 2, 3])).reason, 'PARSE');
  t.deepEqual(store.addRouterInfoBytes(b.ri.raw, a.hash).reason, 'KEY_MISMATCH');
  t.is(store.counts().routers, 3);
});

test('newer replaces older by published date; floodfill status follows the update', (t) => {
  const { store } = newStore();
  const keys = generateRouterKeys(systemRandom);
  const v1 = signRouterInfo(keys, { published: T0 - 10_000 });
  const v2 = signRouterInfo(keys, { published: T0 - 5_000, floodfill: true });
  t.is(store.addRouterInfo(v1).status, 'added');
  t.is(store.counts().floodfills, 0);
  t.is(store.addRouterInfo(v2).status, 'updated');
  t.is(store.getRouter(keys.identity.hash)!.published, T0 - 5_000);
  t.is(store.counts().floodfills, 1);
  t.is(store.addRouterInfo(v1).status, 'older');
  t.is(store.addRouterInfo(v2).status, 'older'); // same date is not newer
  t.is(store.getRouter(keys.identity.hash)!.published, T0 - 5_000);
});

test('hard bound on routers: the oldest non-floodfill is evicted for a newer one, an older one is refused', (t) => {
  const { store, removed } = newStore({ maxRouters: 3 });
  const ff = makeRouter({ floodfill: true, published: T0 - 100_000 });
  const old = makeRouter({ published: T0 - 90_000 });
  const mid = makeRouter({ published: T0 - 50_000 });
  for (const r of [ff, old, mid]) t.is(store.addRouterInfo(r.ri).status, 'added');
  t.deepEqual(store.addRouterInfo(makeRouter({ published: T0 - 95_000 }).ri), { status: 'rejected', reason: 'FULL' });
  const fresh = makeRouter({ published: T0 });
  t.is(store.addRouterInfo(fresh.ri).status, 'added');
  t.is(store.counts().routers, 3);
  t.false(store.hasRouter(old.hash));
  t.true(store.hasRouter(ff.hash)); // floodfills are kept
  t.deepEqual(removed, [toBase64(old.hash)]);
});

test('persistence: new and updated RouterInfos are written on flush, not those loaded from the folder', async (t) => {
  const { store, saved } = newStore();
  const a = makeRouter();
  const b = makeRouter();
  store.addRouterInfo(a.ri);
  store.addRouterInfo(b.ri, { verified: true, persisted: true });
  t.is(store.dirtyCount, 1);
  t.is(await store.flush(), 1);
  t.deepEqual(saved, [toBase64(a.hash)]);
  t.is(store.dirtyCount, 0);
  t.is(await store.flush(), 0);
});

test('from the folder: older than 180 days is refused', (t) => {
  const { store } = newStore();
  t.deepEqual(store.addRouterInfo(makeRouter({ published: T0 - 181 * 86_400_000 }).ri, { persisted: true }).reason, 'TOO_OLD');
  t.is(store.addRouterInfo(makeRouter({ published: T0 - 179 * 86_400_000 }).ri, { persisted: true }).status, 'added');
});

function fill(store: NetDbStore, n: number, published: number): RouterInfo[] {
  const out: RouterInfo[] = [];
  for (let i = 0; i < n; i++) {
    const r = makeRouter({ published });
    store.addRouterInfo(r.ri, { verified: true });
    out.push(r.ri);
  }
  return out;
}

test('expiry: none with <= 90 routers or in the first 10 minutes; 27 h in the first hour; then by netDb size', (t) => {
  const { store, clock } = newStore();
  fill(store, NETDB_MIN_ROUTERS, T0 - 30 * 3_600_000);
  clock.set(T0 + 2 * 3_600_000);
  t.is(store.routerExpirationTimeout(), undefined); // only 90
  t.is(store.expire().routers, 0);
  // 100 old routers + 100 fresh: 200 total.
  fill(store, 10, T0 - 30 * 3_600_000);
  const fresh = fill(store, 100, T0 + 2 * 3_600_000);
  const total = store.counts().routers;
  t.is(total, 200);
  clock.set(T0 + 5 * 60_000);
  t.is(store.routerExpirationTimeout(), undefined); // uptime 5 min
  clock.set(T0 + 30 * 60_000);
  t.is(store.routerExpirationTimeout(), 27 * 3_600_000);
  clock.set(T0 + 2 * 3_600_000);
  const expected = 90 * 60_000 + Math.floor(((27 * 3_600_000 - 90 * 60_000) * 90) / 200);
  t.is(store.routerExpirationTimeout(), expected);
  // The 100 routers published 32 h ago are past it; expiry stops once fewer than 90 would remain — it
  // can take all 100 here since 100 fresh ones remain.
  const gone = store.expire();
  t.is(gone.routers, 100);
  t.is(store.counts().routers, 100);
  for (const ri of fresh) t.true(store.hasRouter(ri.identity.hash));
});

test('expiry stops before the netDb falls under 90 routers', (t) => {
  const { store, clock } = newStore();
  fill(store, 95, T0 - 40 * 3_600_000);
  clock.set(T0 + 2 * 3_600_000);
  store.expire();
  // 95 - k < 90 stops at k = 6: the sixth removal turns checking off.
  t.is(store.counts().routers, 89);
});

test('a floodfill expires RouterInfos after 1 hour', (t) => {
  const { store, clock } = newStore({ floodfill: true });
  clock.set(T0 + 2 * 3_600_000);
  fill(store, 100, T0 + 90 * 60_000); // 30 minutes old: kept
  const old = fill(store, 1, T0 + 59 * 60_000); // 61 minutes old: expired
  t.is(store.routerExpirationTimeout(), 3_600_000);
  t.is(store.expire().routers, 1);
  t.false(store.hasRouter(old[0]!.identity.hash));
});

test('LeaseSet2: verified, newer replaces, unpublished/expired/future refused (and evict the stored one)', (t) => {
  const { store } = newStore();
  const { keys, ls } = makeLeaseSet({ published: T0 - 10_000 });
  t.is(store.addLeaseSet2(ls).status, 'added');
  t.is(store.counts().leaseSets, 1);
  t.is(store.addLeaseSet2(ls).status, 'older');
  const newer = makeLeaseSet({ keys, published: T0 - 5_000 }).ls;
  t.is(store.addLeaseSet2(newer).status, 'updated');
  t.is(store.getLeaseSet(keys.identity.hash)!.published, Math.floor((T0 - 5_000) / 1000));
  const unpublished = makeLeaseSet({ keys, published: T0, flags: LS2_FLAG_UNPUBLISHED }).ls;
  t.deepEqual(store.addLeaseSet2(unpublished), { status: 'rejected', reason: 'UNPUBLISHED' });
  t.is(store.getLeaseSet(keys.identity.hash), undefined);
  t.deepEqual(store.addLeaseSet2(makeLeaseSet({ published: T0 - 700_000, expiresSec: 600 }).ls).reason, 'EXPIRED');
  t.deepEqual(store.addLeaseSet2(makeLeaseSet({ published: T0 + 180_000 }).ls).reason, 'FUTURE');
  const other = makeLeaseSet();
  t.deepEqual(store.addLeaseSet2Bytes(keys.identity.hash, other.ls.raw).reason, 'KEY_MISMATCH');
  const bad = Uint8Array.from(other.ls.raw);
  bad[bad.length - 1]! ^= 1;
  t.deepEqual(store.addLeaseSet2Bytes(other.keys.identity.hash, bad).reason, 'BAD_SIGNATURE');
  t.deepEqual(store.addLeaseSet2Bytes(other.keys.identity.hash, bad.subarray(0, 50)).reason, 'PARSE');
});

test('LeaseSet2 expiry 51 s before the end, and the bound evicts the first to expire', (t) => {
  const { store, clock } = newStore({ maxLeaseSets: 2 });
  const a = makeLeaseSet({ published: T0, expiresSec: 300 });
  const b = makeLeaseSet({ published: T0, expiresSec: 600 });
  const c = makeLeaseSet({ published: T0, expiresSec: 500 });
  store.addLeaseSet2(a.ls);
  store.addLeaseSet2(b.ls);
  store.addLeaseSet2(c.ls);
  t.is(store.counts().leaseSets, 2);
  t.is(store.getLeaseSet(a.keys.identity.hash), undefined);
  clock.set(T0 + 500_000 - LEASE_ENDDATE_THRESHOLD);
  t.is(store.expire().leaseSets, 0);
  clock.set(T0 + 500_000 - LEASE_ENDDATE_THRESHOLD + 1);
  t.is(store.expire().leaseSets, 1);
  t.truthy(store.getLeaseSet(b.keys.identity.hash));
});

test('RouterInfos written by i2pd 2.45.1 are accepted; its floodfills count as floodfills', async (t) => {
  const { readFile } = await import('node:fs/promises');
  const { join } = await import('node:path');
  const { parseRouterInfo } = await import('../../../data/router-info.js');
  const dir = join(import.meta.dirname, '..', '..', '..', '..', 'shared', 'vectors', 'i2pd-2.45.1');
  const now = Date.UTC(2026, 10, 22, 2, 0, 0);
  const { store } = newStore({ now: () => now });
  for (const f of ['router1-floodfill.info', 'router2-floodfill.info', 'router3.info']) {
    const bytes = new Uint8Array(await readFile(join(dir, f)));
    t.is(store.addRouterInfoBytes(bytes).status, 'added', f);
    t.is(isEligibleFloodfill(parseRouterInfo(bytes)), f.includes('floodfill'), f);
  }
  t.deepEqual(store.counts(), { routers: 3, floodfills: 2, leaseSets: 0 });
  // router1 publishes caps 'Xf' (no R) with an SSU2 IPv4 address: i2pd expires such a RouterInfo 65
  // minutes after publication (introducer rule), whatever the netDb size.
  t.is(store.expire(Date.UTC(2026, 10, 22, 1, 25, 16) + 66 * 60_000).routers, 1);
  t.deepEqual(store.counts(), { routers: 2, floodfills: 1, leaseSets: 0 });
});
