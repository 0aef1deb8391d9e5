import test from 'ava';
import { toHex, equalBytes } from '../../../data/bytes.js';
import { isFloodfill } from '../../../data/router-info.js';
import { I2NPType, type I2NPMessage } from '../../../i2np/header.js';
import { DatabaseStoreType, parseDatabaseStore, serializeDatabaseStore } from '../../../i2np/database-store.js';
import { DatabaseLookupType, serializeDatabaseLookup, type DatabaseLookupTypeValue } from '../../../i2np/database-lookup.js';
import { parseDatabaseSearchReply } from '../../../i2np/database-search-reply.js';
import { parseDeliveryStatus } from '../../../i2np/delivery-status.js';
import { closest, compareDistance, routingKey, HashSet } from '../../../netdb/kademlia.js';
import { NetDb } from '../../../netdb/netdb.js';
import { systemRandom } from '../../../crypto/random.js';
import { FakeTimers, NET_ID, makeLeaseSet, makeRouter, type TestRouter } from './helpers.js';

interface Sent {
  to: Uint8Array;
  msg: I2NPMessage;
}

function node(opts: { floodfill: boolean; peers?: number; floodfills?: number; tunnel?: boolean }) {
  const timers = new FakeTimers();
  const me = makeRouter({ floodfill: opts.floodfill });
  const sent: Sent[] = [];
  const tunnelSent: { gateway: Uint8Array; tunnelId: number; msg: I2NPMessage; enc: unknown }[] = [];
  const db = new NetDb({
    routerInfo: me.ri,
    netId: NET_ID,
    floodfill: opts.floodfill,
    timers,
    transport: { send: (to, msg) => (sent.push({ to, msg }), true) },
    sendToTunnel: opts.tunnel ? (gateway, tunnelId, msg, enc) => (tunnelSent.push({ gateway, tunnelId, msg, enc }), true) : undefined,
  });
  const ffs: TestRouter[] = [];
  const others: TestRouter[] = [];
  for (let i = 0; i < (opts.floodfills ?? 8); i++) {
    const r = makeRouter({ floodfill: true });
    db.addRouterInfo(r.ri);
    ffs.push(r);
  }
  for (let i = 0; i < (opts.peers ?? 8); i++) {
    const r = makeRouter();
    db.addRouterInfo(r.ri);
    others.push(r);
  }
  return { timers, me, db, sent, tunnelSent, ffs, others };
}

function lookupMsg(key: Uint8Array, from: Uint8Array, lookupType: DatabaseLookupTypeValue, excludedPeers: Uint8Array[] = [], replyTunnelId: number | null = null): I2NPMessage {
  return {
    type: I2NPType.DatabaseLookup,
    msgId: 7,
    expiration: Date.now() + 8000,
    payload: serializeDatabaseLookup({ key, from, lookupType, replyTunnelId, excludedPeers, replyEncryption: null }),
  };
}

test('exploratory lookup: up to 3 closest non-floodfills, excluded ones and the asker skipped', (t) => {
  const n = node({ floodfill: true });
  const asker = n.others[0]!;
  const key = systemRandom.bytes(32);
  const excluded = [n.others[1]!.hash, n.others[2]!.hash];
  n.db.handleMessage(lookupMsg(key, asker.hash, DatabaseLookupType.Exploratory, excluded), asker.hash);
  t.is(n.sent.length, 1);
  t.true(equalBytes(n.sent[0]!.to, asker.hash));
  t.is(n.sent[0]!.msg.type, I2NPType.DatabaseSearchReply);
  const r = parseDatabaseSearchReply(n.sent[0]!.msg.payload);
  t.deepEqual(r.key, key);
  t.deepEqual(r.from, n.me.hash);
  const skip = new HashSet([asker.hash, ...excluded]);
  const expected = closest(routingKey(key, n.timers.now()), n.others.map((o) => o.hash), 3, skip);
  t.deepEqual(r.peers.map(toHex), expected.map(toHex));
  for (const p of r.peers) t.false(isFloodfill(n.db.store.getRouter(p)!));
});

test('RouterInfo lookup: a DatabaseStore when known, else floodfills closer to the key than us', (t) => {
  const n = node({ floodfill: true, floodfills: 12 });
  const asker = n.others[0]!;
  const target = n.others[3]!;
  n.db.handleMessage(lookupMsg(target.hash, asker.hash, DatabaseLookupType.RouterInfo), asker.hash);
  const store = parseDatabaseStore(n.sent[0]!.msg.payload);
  t.is(store.storeType, DatabaseStoreType.RouterInfo);
  t.is(store.reply, null);
  t.deepEqual(store.data, target.ri.raw);
  // Our own RouterInfo is served too.
  n.db.handleMessage(lookupMsg(n.me.hash, asker.hash, DatabaseLookupType.Normal), asker.hash);
  t.deepEqual(parseDatabaseStore(n.sent[1]!.msg.payload).data, n.me.ri.raw);
  // Unknown keys: the DSRM names only floodfills closer than us, never us, never excluded ones.
  let nonEmpty = 0;
  for (let i = 0; i < 40; i++) {
    const key = systemRandom.bytes(32);
    const excluded = [n.ffs[i % 12]!.hash];
    n.db.handleMessage(lookupMsg(key, asker.hash, DatabaseLookupType.RouterInfo, excluded), asker.hash);
    const r = parseDatabaseSearchReply(n.sent.at(-1)!.msg.payload);
    const rk = routingKey(key, n.timers.now());
    const closer = n.ffs.map((f) => f.hash).filter((h) => compareDistance(rk, h, n.me.hash) < 0);
    const expected = closest(rk, closer, 3, new HashSet(excluded));
    t.deepEqual(r.peers.map(toHex), expected.map(toHex));
    if (r.peers.length > 0) nonEmpty++;
  }
  t.true(nonEmpty > 0);
});

test('LeaseSets are served by a floodfill only; expired ones are not', (t) => {
  for (const floodfill of [true, false]) {
    const n = node({ floodfill });
    const { keys, ls } = makeLeaseSet({ published: n.timers.now(), expiresSec: 120 });
    t.is(n.db.addLeaseSet2(ls).status, 'added');
    n.db.handleMessage(lookupMsg(keys.identity.hash, n.others[0]!.hash, DatabaseLookupType.LeaseSet), n.others[0]!.hash);
    const m = n.sent.at(-1)!.msg;
    if (floodfill) {
      t.is(m.type, I2NPType.DatabaseStore);
      t.deepEqual(parseDatabaseStore(m.payload).data, ls.raw);
      n.timers.t += 121_000;
      n.db.handleMessage(lookupMsg(keys.identity.hash, n.others[0]!.hash, DatabaseLookupType.LeaseSet), n.others[0]!.hash);
      t.is(n.sent.at(-1)!.msg.type, I2NPType.DatabaseSearchReply);
    } else {
      t.is(m.type, I2NPType.DatabaseSearchReply);
    }
  }
});

test('a lookup asking for a tunnel reply goes to the tunnel hook, or is dropped without one', (t) => {
  const withHook = node({ floodfill: true, tunnel: true });
  const gw = withHook.others[0]!.hash;
  withHook.db.handleMessage(lookupMsg(withHook.others[1]!.hash, gw, DatabaseLookupType.RouterInfo, [], 99), undefined);
  t.is(withHook.sent.length, 0);
  t.is(withHook.tunnelSent.length, 1);
  t.is(withHook.tunnelSent[0]!.tunnelId, 99);
  t.deepEqual(withHook.tunnelSent[0]!.gateway, gw);
  const noHook = node({ floodfill: true });
  noHook.db.handleMessage(lookupMsg(noHook.others[1]!.hash, gw, DatabaseLookupType.RouterInfo, [], 99), undefined);
  t.is(noHook.sent.length, 0);
  t.is(noHook.db.stats().tunnelRepliesDropped, 1);
});

function storeMsg(key: Uint8Array, storeType: 0 | 3, data: Uint8Array, token: number, gateway: Uint8Array): I2NPMessage {
  return {
    type: I2NPType.DatabaseStore,
    msgId: 9,
    expiration: Date.now() + 8000,
    payload: serializeDatabaseStore({ key, storeType, reply: token ? { token, tunnelId: 0, gateway } : null, data }),
  };
}

test('a store with a reply token is acknowledged and flooded to the 3 closest other floodfills', (t) => {
  const n = node({ floodfill: true });
  const newcomer = makeRouter();
  n.db.handleMessage(storeMsg(newcomer.hash, 0, newcomer.ri.raw, 0xabcdef, newcomer.hash), newcomer.hash);
  const ack = n.sent.find((s) => s.msg.type === I2NPType.DeliveryStatus)!;
  t.truthy(ack);
  t.deepEqual(ack.to, newcomer.hash);
  t.is(parseDeliveryStatus(ack.msg.payload).msgId, 0xabcdef);
  const floods = n.sent.filter((s) => s.msg.type === I2NPType.DatabaseStore);
  const expected = closest(routingKey(newcomer.hash, n.timers.now()), n.ffs.map((f) => f.hash), 3);
  t.deepEqual(floods.map((f) => toHex(f.to)).sort(), expected.map(toHex).sort());
  for (const f of floods) {
    const s = parseDatabaseStore(f.msg.payload);
    t.is(s.reply, null);
    t.deepEqual(s.data, newcomer.ri.raw);
  }
  // The same store again is not newer: acknowledged, not flooded.
  n.sent.length = 0;
  n.db.handleMessage(storeMsg(newcomer.hash, 0, newcomer.ri.raw, 5, newcomer.hash), newcomer.hash);
  t.deepEqual(n.sent.map((s) => s.msg.type), [I2NPType.DeliveryStatus]);
});

test('no flooding: without a reply token, when not a floodfill, or for a RouterInfo older than an hour', (t) => {
  const ff = node({ floodfill: true });
  const a = makeRouter();
  ff.db.handleMessage(storeMsg(a.hash, 0, a.ri.raw, 0, a.hash), a.hash);
  t.is(ff.sent.length, 0);
  t.truthy(ff.db.store.getRouter(a.hash));
  const old = makeRouter({ published: ff.timers.now() - 61 * 60_000 });
  ff.db.handleMessage(storeMsg(old.hash, 0, old.ri.raw, 77, old.hash), old.hash);
  t.deepEqual(ff.sent.map((s) => s.msg.type), [I2NPType.DeliveryStatus]);
  t.truthy(ff.db.store.getRouter(old.hash));
  const plain = node({ floodfill: false });
  const b = makeRouter();
  plain.db.handleMessage(storeMsg(b.hash, 0, b.ri.raw, 78, b.hash), b.hash);
  t.deepEqual(plain.sent.map((s) => s.msg.type), [I2NPType.DeliveryStatus]); // i2pd acknowledges on any router
});

test('a store of our own RouterInfo is acknowledged but dropped; a LeaseSet under a wrong key is refused', (t) => {
  const n = node({ floodfill: true });
  const before = n.db.counts();
  n.db.handleMessage(storeMsg(n.me.hash, 0, n.me.ri.raw, 11, n.others[0]!.hash), n.others[0]!.hash);
  t.deepEqual(n.sent.map((s) => s.msg.type), [I2NPType.DeliveryStatus]);
  t.deepEqual(n.db.counts(), before);
  t.is(n.db.stats().dropped.ownHash, 1);
  const { ls } = makeLeaseSet({ published: n.timers.now() });
  n.db.handleMessage(storeMsg(systemRandom.bytes(32), 3, ls.raw, 0, n.others[0]!.hash), n.others[0]!.hash);
  t.is(n.db.counts().leaseSets, 0);
  t.is(n.db.stats().dropped.rejected, 1);
});

test('a LeaseSet we only got as a lookup reply is not served until it is stored to us', (t) => {
  const n = node({ floodfill: true });
  const { keys, ls } = makeLeaseSet({ published: n.timers.now() });
  const asker = n.others[0]!;
  t.is(n.db.store.addLeaseSet2(ls, { asReply: true }).status, 'added');
  n.db.handleMessage(lookupMsg(keys.identity.hash, asker.hash, DatabaseLookupType.LeaseSet), asker.hash);
  t.is(n.sent.at(-1)!.msg.type, I2NPType.DatabaseSearchReply);
  // The same LeaseSet now published to us (a store, not a reply): served from now on.
  n.db.handleMessage(storeMsg(keys.identity.hash, 3, ls.raw, 0, asker.hash), asker.hash);
  n.db.handleMessage(lookupMsg(keys.identity.hash, asker.hash, DatabaseLookupType.LeaseSet), asker.hash);
  const m = n.sent.at(-1)!.msg;
  t.is(m.type, I2NPType.DatabaseStore);
  t.deepEqual(parseDatabaseStore(m.payload).data, ls.raw);
});

test('addRouterInfo with the NTCP2 flood flag: a floodfill floods a new RouterInfo, a plain router does not', (t) => {
  const ff = node({ floodfill: true });
  const a = makeRouter();
  ff.db.addRouterInfo(a.ri, { flood: true });
  t.is(ff.sent.filter((s) => s.msg.type === I2NPType.DatabaseStore).length, 3);
  t.false(ff.sent.some((s) => equalBytes(s.to, a.hash)));
  ff.sent.length = 0;
  ff.db.addRouterInfo(a.ri, { flood: true }); // not newer
  t.is(ff.sent.length, 0);
  const plain = node({ floodfill: false });
  plain.db.addRouterInfo(makeRouter().ri, { flood: true });
  t.is(plain.sent.length, 0);
});

test('mutated RouterInfo and LeaseSet2 stores never throw and never store a forged entry', async (t) => {
  const fc = (await import('fast-check')).default;
  const n = node({ floodfill: true, peers: 0, floodfills: 0 });
  const a = makeRouter();
  const { keys, ls } = makeLeaseSet({ published: n.timers.now() });
  fc.assert(
    fc.property(fc.boolean(), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }), (isRi, flips) => {
      const data = Uint8Array.from(isRi ? a.ri.raw : ls.raw);
      for (const [i, x] of flips) data[i % data.length]! ^= x;
      const key = isRi ? a.hash : keys.identity.hash;
      t.notThrows(() => n.db.handleMessage(storeMsg(key, isRi ? 0 : 3, data, 0, a.hash), a.hash));
      // Any byte change breaks the parse, the key match or the signature.
      return n.db.counts().routers === 0 && n.db.counts().leaseSets === 0;
    }),
    { numRuns: 300 },
  );
});
