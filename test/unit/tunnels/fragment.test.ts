/**
 * Tunnel message fragmentation and reassembly (spec/tunnel-message.rst): gateway → per-hop TunnelLayer
 * (crypto/tunnel-layer.ts, keys from a real in-memory ShortTunnelBuild) → endpoint, byte-identical for
 * boundary sizes; loss, timeout, duplicates, reordering, corrupt checksums, bounds; fast-check round trips
 * and endpoint fuzz.
 */
import test from 'ava';
import fc from 'fast-check';
import { ParseError } from '../../../data/errors.js';
import { toHex } from '../../../data/bytes.js';
import { sha256 } from '../../../crypto/hash.js';
import { systemRandom } from '../../../crypto/random.js';
import { TunnelLayer } from '../../../crypto/tunnel-layer.js';
import { serializeI2NPStandard, type I2NPMessage } from '../../../i2np/header.js';
import { createTunnelBuild, readTunnelBuildReply } from '../../../tunnels/build/creator.js';
import { openBuildRequest, sealBuildReply } from '../../../tunnels/build/participant.js';
import {
  MAX_TUNNEL_I2NP_MESSAGE_SIZE,
  TUNNEL_DATA_MAX_PAYLOAD_SIZE,
  TUNNEL_MESSAGE_SIZE,
  TunnelEndpoint,
  TunnelGateway,
  parseTunnelMessage,
  writeTunnelMessage,
  type DeliveryInstructions,
  type TunnelFragment,
} from '../../../tunnels/fragment.js';
import { seededRandom, simRouter } from './helpers.js';

const NOW = Date.UTC(2026, 10, 22, 3, 0, 0);

function i2np(payloadSize: number, seed = payloadSize): I2NPMessage {
  const rnd = seededRandom(seed);
  return { type: 20, msgId: rnd.int(0, 0x1_0000_0000), expiration: NOW + 60_000, payload: rnd.bytes(payloadSize) };
}

/** A 3-hop tunnel built with real ShortTunnelBuild records; returns per-hop layers on both sides. */
function threeHopTunnel(direction: 'inbound' | 'outbound') {
  const routers = [simRouter(systemRandom), simRouter(systemRandom), simRouter(systemRandom)];
  const build = createTunnelBuild({
    format: 'short', direction, hops: routers.map((r) => r.hop), ourHash: systemRandom.bytes(32), replyRouter: systemRandom.bytes(32),
    replyTunnelId: 1, replyMsgId: 1, now: NOW, random: systemRandom,
  });
  let records = build.records;
  const hopLayers: TunnelLayer[] = [];
  for (const r of routers) {
    const o = openBuildRequest(r.decryptor, records)!;
    hopLayers.push(new TunnelLayer(o.layerKey, o.ivKey));
    records = sealBuildReply(o, records, 0, { random: systemRandom });
  }
  const result = readTunnelBuildReply(build, records);
  const creatorLayers = result.layers.map((l) => new TunnelLayer(l.layerKey, l.ivKey));
  return { hopLayers, creatorLayers, tunnelId: build.tunnelId };
}

/** Outbound: creator pre-decrypts last hop first, each hop encrypts, OBEP has plaintext. */
function outboundPath(tunnel: ReturnType<typeof threeHopTunnel>, msgs: Uint8Array[]): Uint8Array[] {
  return msgs.map((m) => {
    const x = m.slice();
    for (let i = tunnel.creatorLayers.length - 1; i >= 0; i--) tunnel.creatorLayers[i]!.decrypt(x.subarray(4));
    for (const hop of tunnel.hopLayers) hop.encrypt(x.subarray(4));
    return x;
  });
}

/** Inbound: IBGW and each hop encrypt, the creator decrypts last hop first. */
function inboundPath(tunnel: ReturnType<typeof threeHopTunnel>, msgs: Uint8Array[]): Uint8Array[] {
  return msgs.map((m) => {
    const x = m.slice();
    for (const hop of tunnel.hopLayers) hop.encrypt(x.subarray(4));
    for (let i = tunnel.creatorLayers.length - 1; i >= 0; i--) tunnel.creatorLayers[i]!.decrypt(x.subarray(4));
    return x;
  });
}

const hashA = new Uint8Array(32).fill(0xaa);
const local: DeliveryInstructions = { type: 'local' };
const toTunnel: DeliveryInstructions = { type: 'tunnel', tunnelId: 0x0a0b0c0d, hash: hashA };
const toRouter: DeliveryInstructions = { type: 'router', hash: hashA };

// total I2NP bytes (16-byte header + payload) and how many tunnel messages they must take
const cases: Array<[string, DeliveryInstructions, number, number]> = [
  ['empty payload (16 bytes)', local, 0, 1],
  ['local: exact fit 1003 = 1+2+1000', local, 1000 - 16, 1],
  ['local: one byte over the exact fit', local, 1001 - 16, 2],
  ['local: 1008-byte I2NP message', local, 1008 - 16, 2],
  ['tunnel: exact fit 1003 = 37+2+964', toTunnel, 964 - 16, 1],
  ['tunnel: one byte over', toTunnel, 965 - 16, 2],
  ['router: exact fit 1003 = 33+2+968', toRouter, 968 - 16, 1],
  ['router: one byte over', toRouter, 969 - 16, 2],
  ['local: first + exactly one full follow-on (996+996)', local, 996 + 996 - 16, 2],
  ['local: one byte into a third tunnel message', local, 996 + 996 + 1 - 16, 3],
  ['local: ~60 KiB', local, 60 * 1024, Math.ceil((60 * 1024 + 16 - 996) / 996) + 1],
  ['tunnel: largest accepted', toTunnel, MAX_TUNNEL_I2NP_MESSAGE_SIZE - 16, Math.ceil((MAX_TUNNEL_I2NP_MESSAGE_SIZE - 960) / 996) + 1],
];

for (const direction of ['outbound', 'inbound'] as const) {
  test(`${direction} 3-hop data path: boundary sizes come out byte-identical`, (t) => {
    const tunnel = threeHopTunnel(direction);
    const path = direction === 'outbound' ? outboundPath : inboundPath;
    for (const [name, di, size, expectTunnelMsgs] of cases) {
      const gw = new TunnelGateway({ tunnelId: tunnel.tunnelId });
      const ep = new TunnelEndpoint({ now: () => NOW });
      const m = i2np(size);
      const bytes = serializeI2NPStandard(m);
      t.true(gw.put(m, di), name);
      const tms = gw.flush();
      t.is(tms.length, expectTunnelMsgs, name);
      for (const tm of tms) {
        t.is(tm.length, TUNNEL_MESSAGE_SIZE);
        t.is(new DataView(tm.buffer).getUint32(0), tunnel.tunnelId);
      }
      const encrypted = path(tunnel, tms);
      const got = encrypted.flatMap((x) => ep.receive(x));
      t.is(got.length, 1, name);
      t.is(toHex(got[0]!.bytes), toHex(bytes), name);
      t.deepEqual(got[0]!.instructions, di, name);
      t.is(got[0]!.message.msgId, m.msgId);
      t.is(ep.pendingMessages, 0);
      t.is(ep.bufferedBytes, 0);
    }
  });
}

test('many messages of many sizes through one gateway and a 3-hop tunnel, in order', (t) => {
  const tunnel = threeHopTunnel('outbound');
  const gw = new TunnelGateway({ tunnelId: tunnel.tunnelId, maxQueued: 10_000 });
  const ep = new TunnelEndpoint({ now: () => NOW });
  const sizes = [0, 1, 5, 100, 500, 983, 984, 985, 1000, 2000, 3000, 20_000, 7, 7, 7, 61_000, 0, 16, 900, 10];
  const dis = [local, toTunnel, toRouter];
  const sent = sizes.map((s, i) => ({ m: i2np(s, 1000 + i), di: dis[i % 3]! }));
  for (const { m, di } of sent) t.true(gw.put(m, di));
  const got = outboundPath(tunnel, gw.flush()).flatMap((x) => ep.receive(x));
  t.is(got.length, sent.length);
  for (let i = 0; i < sent.length; i++) {
    t.is(toHex(got[i]!.bytes), toHex(serializeI2NPStandard(sent[i]!.m)));
    t.deepEqual(got[i]!.instructions, sent[i]!.di);
  }
  t.is(ep.stats.delivered, sent.length);
});

test('small messages are packed together into one tunnel message', (t) => {
  const gw = new TunnelGateway({ tunnelId: 5 });
  for (let i = 0; i < 10; i++) gw.put(i2np(50, i), local); // 10 × (3 + 66) = 690 bytes
  const tms = gw.flush();
  t.is(tms.length, 1);
  const ep = new TunnelEndpoint({ now: () => NOW });
  t.is(ep.receive(tms[0]!).length, 10);
});

test('lost fragment: the incomplete message times out and its memory is freed', (t) => {
  let now = NOW;
  const ep = new TunnelEndpoint({ now: () => now, fragmentTimeoutMs: 8000 });
  const gw = new TunnelGateway({ tunnelId: 5 });
  gw.put(i2np(10_000), local);
  const tms = gw.flush();
  t.true(tms.length > 3);
  tms.splice(2, 1); // lose one
  for (const x of tms) t.deepEqual(ep.receive(x), []);
  t.is(ep.pendingMessages, 1);
  t.true(ep.bufferedBytes > 9000);
  now += 8001;
  t.is(ep.expire(), 1);
  t.is(ep.pendingMessages, 0);
  t.is(ep.bufferedBytes, 0);
  t.is(ep.stats.expired, 1);
  // the endpoint still works afterwards, and receive() itself expires stale partial messages
  gw.put(i2np(3000, 1), local);
  const again = gw.flush();
  t.deepEqual(ep.receive(again[0]!), []);
  now += 9000;
  gw.put(i2np(10, 2), local);
  t.is(ep.receive(gw.flush()[0]!).length, 1);
  t.is(ep.pendingMessages, 0);
  t.is(ep.stats.expired, 2);
});

test('duplicated and reordered fragments: delivered exactly once', (t) => {
  const rnd = seededRandom(99);
  for (let round = 0; round < 10; round++) {
    const gw = new TunnelGateway({ tunnelId: 5 });
    const m = i2np(20_000 + round, round);
    gw.put(m, toRouter);
    const tms = gw.flush();
    const stream = [...tms, tms[0]!, tms[3]!, tms[tms.length - 1]!];
    for (let i = stream.length - 1; i > 0; i--) {
      const j = rnd.int(0, i + 1);
      [stream[i], stream[j]] = [stream[j]!, stream[i]!];
    }
    const ep = new TunnelEndpoint({ now: () => NOW });
    const got = stream.flatMap((x) => ep.receive(x));
    t.is(got.length, 1);
    t.is(toHex(got[0]!.bytes), toHex(serializeI2NPStandard(m)));
    t.is(ep.stats.duplicates, 3);
    t.is(ep.pendingMessages, 0);
    t.is(ep.bufferedBytes, 0);
  }
});

test('corrupt checksum or corrupted ciphertext: the tunnel message is dropped', (t) => {
  const gw = new TunnelGateway({ tunnelId: 5 });
  gw.put(i2np(100), local);
  const [tm] = gw.flush();
  const bad = tm!.slice();
  bad[TUNNEL_MESSAGE_SIZE - 5]! ^= 1; // inside the fragment
  const ep = new TunnelEndpoint({ now: () => NOW });
  t.deepEqual(ep.receive(bad), []);
  t.is(ep.stats.badChecksum, 1);
  const badSum = tm!.slice();
  badSum[21]! ^= 0x40;
  t.deepEqual(ep.receive(badSum), []);
  t.is(ep.stats.badChecksum, 2);
  // a flipped ciphertext bit garbles everything after CBC decryption
  const tunnel = threeHopTunnel('inbound');
  const x = tm!.slice();
  for (const hop of tunnel.hopLayers) hop.encrypt(x.subarray(4));
  x[TUNNEL_MESSAGE_SIZE - 60]! ^= 1; // inside the fragment area (CBC garbles this block and the next)
  for (let i = 2; i >= 0; i--) tunnel.creatorLayers[i]!.decrypt(x.subarray(4));
  t.deepEqual(ep.receive(x), []);
  t.is(ep.stats.badTunnelMessages, 3);
  t.is(ep.stats.delivered, 0);
  t.is(ep.receive(tm!).length, 1);
});

test('bounds: incomplete messages, buffered bytes and message size are capped', (t) => {
  const ep = new TunnelEndpoint({ now: () => NOW, maxIncompleteMessages: 2, maxBufferedBytes: 5000, maxMessageSize: 4000 });
  const firsts = [1, 2, 3].map((i) => {
    const gw = new TunnelGateway({ tunnelId: 5 });
    gw.put(i2np(1500, i), local); // 1516 bytes: a first fragment and one follow-on
    return gw.flush();
  });
  for (const tms of firsts) {
    t.is(tms.length, 2);
    ep.receive(tms[0]!);
  }
  t.is(ep.pendingMessages, 2);
  t.is(ep.stats.dropped, 1);
  t.true(ep.bufferedBytes <= 5000);
  // the evicted (oldest) message cannot complete; the newest can
  t.deepEqual(ep.receive(firsts[0]![1]!), []);
  t.is(ep.receive(firsts[2]![1]!).length, 1);
  // over maxMessageSize: dropped as soon as the bytes exceed it
  const gw = new TunnelGateway({ tunnelId: 5 });
  gw.put(i2np(6000, 9), local);
  const big = gw.flush();
  for (const x of big) t.deepEqual(ep.receive(x), []);
  t.true(ep.bufferedBytes <= 5000);
  t.true(ep.pendingMessages <= 2);
});

test('gateway limits: oversize message is a RangeError, a full queue refuses', (t) => {
  const gw = new TunnelGateway({ tunnelId: 5, maxQueued: 3 });
  t.throws(() => gw.put(new Uint8Array(MAX_TUNNEL_I2NP_MESSAGE_SIZE + 1), local), { instanceOf: RangeError });
  t.false(gw.put(i2np(5000), local)); // needs 6 tunnel messages
  t.true(gw.put(i2np(1500), local));
  t.true(gw.put(i2np(900, 2), local));
  t.false(gw.put(i2np(900, 3), local));
  t.is(gw.flush().length, 3);
  t.true(gw.put(i2np(900, 3), local));
});

test('fragment numbering: contradictory last fragments drop the message; zero-length first fragment (i2pd) is accepted', (t) => {
  const msg = serializeI2NPStandard(i2np(500));
  const id = 0x1234;
  const ep = new TunnelEndpoint({ now: () => NOW });
  t.deepEqual(ep.receive(writeTunnelMessage(5, [{ kind: 'follow', msgId: id, fragmentNum: 2, last: true, data: msg.subarray(10) }])), []);
  t.deepEqual(ep.receive(writeTunnelMessage(5, [{ kind: 'follow', msgId: id, fragmentNum: 1, last: true, data: msg.subarray(5, 10) }])), []);
  t.is(ep.pendingMessages, 0);
  t.is(ep.stats.dropped, 1);
  // i2pd's gateway can start a fragmented message with 0 bytes when only the instructions fit
  const msg2 = serializeI2NPStandard(i2np(1500));
  const got = [
    writeTunnelMessage(5, [{ kind: 'first', instructions: local, msgId: 7, data: new Uint8Array(0) }]),
    writeTunnelMessage(5, [{ kind: 'follow', msgId: 7, fragmentNum: 1, last: false, data: msg2.subarray(0, 996) }]),
    writeTunnelMessage(5, [{ kind: 'follow', msgId: 7, fragmentNum: 2, last: true, data: msg2.subarray(996) }]),
  ].flatMap((x) => ep.receive(x));
  t.is(got.length, 1);
  t.is(toHex(got[0]!.bytes), toHex(msg2));
});

test('I2NP header checksum: not verified by default (i2pd never checks it), dropped when asked to verify', (t) => {
  const bytes = serializeI2NPStandard(i2np(40));
  bytes[15]! ^= 0xff; // chks byte
  const tm = writeTunnelMessage(5, [{ kind: 'whole', instructions: local, data: bytes }]);
  const lenient = new TunnelEndpoint({ now: () => NOW });
  t.is(lenient.receive(tm).length, 1);
  const strict = new TunnelEndpoint({ now: () => NOW, verifyI2NPChecksum: true });
  t.deepEqual(strict.receive(tm), []);
  t.is(strict.stats.badI2NP, 1);
  // a size field that disagrees with the reassembled length is always a bad message
  const short = serializeI2NPStandard(i2np(40)).subarray(0, 50);
  t.deepEqual(lenient.receive(writeTunnelMessage(5, [{ kind: 'whole', instructions: local, data: short }])), []);
  t.is(lenient.stats.badI2NP, 1);
});

test('wire layout: checksum, zero byte, nonzero padding, delivery instruction bytes', (t) => {
  const m = serializeI2NPStandard(i2np(20));
  const tm = writeTunnelMessage(0x01020304, [{ kind: 'whole', instructions: toTunnel, data: m }], seededRandom(5));
  const total = 1 + 4 + 32 + 2 + m.length;
  const start = TUNNEL_MESSAGE_SIZE - total;
  t.is(tm[start - 1], 0);
  for (let i = 24; i < start - 1; i++) t.not(tm[i], 0);
  t.is(tm[start], 0x20); // delivery type TUNNEL << 5, not fragmented
  t.is(toHex(tm.subarray(start + 1, start + 5)), '0a0b0c0d');
  t.is(toHex(tm.subarray(start + 5, start + 37)), toHex(hashA));
  t.is(new DataView(tm.buffer).getUint16(start + 37), m.length);
  t.is(toHex(tm.subarray(20, 24)), toHex(sha256(tm.subarray(start), tm.subarray(4, 20)).subarray(0, 4)));
  // follow-on flag byte: 1nnnnnnd
  const f = writeTunnelMessage(1, [{ kind: 'follow', msgId: 0xa1b2c3d4, fragmentNum: 63, last: true, data: new Uint8Array(3) }]);
  t.is(f[TUNNEL_MESSAGE_SIZE - 10], 0xff);
  t.is(toHex(f.subarray(TUNNEL_MESSAGE_SIZE - 9, TUNNEL_MESSAGE_SIZE - 5)), 'a1b2c3d4');
  t.throws(() => writeTunnelMessage(1, [{ kind: 'whole', instructions: local, data: new Uint8Array(1001) }]), { instanceOf: RangeError });
});

// ---- properties ----

const arbDI: fc.Arbitrary<DeliveryInstructions> = fc.oneof(
  fc.constant<DeliveryInstructions>({ type: 'local' }),
  fc.record({ type: fc.constant('tunnel' as const), tunnelId: fc.integer({ min: 0, max: 0xffffffff }), hash: fc.uint8Array({ minLength: 32, maxLength: 32 }) }),
  fc.record({ type: fc.constant('router' as const), hash: fc.uint8Array({ minLength: 32, maxLength: 32 }) }),
);
const arbFragment: fc.Arbitrary<TunnelFragment> = fc.oneof(
  fc.record({ kind: fc.constant('whole' as const), instructions: arbDI, data: fc.uint8Array({ maxLength: 300 }) }),
  fc.record({ kind: fc.constant('first' as const), instructions: arbDI, msgId: fc.integer({ min: 0, max: 0xffffffff }), data: fc.uint8Array({ maxLength: 300 }) }),
  fc.record({
    kind: fc.constant('follow' as const), msgId: fc.integer({ min: 0, max: 0xffffffff }), fragmentNum: fc.integer({ min: 1, max: 63 }),
    last: fc.boolean(), data: fc.uint8Array({ maxLength: 300 }),
  }),
);

test('property: parseTunnelMessage(writeTunnelMessage(fragments)) = fragments', (t) => {
  fc.assert(
    fc.property(fc.array(arbFragment, { maxLength: 8 }), fc.integer({ min: 0, max: 0xffffffff }), (frags, tunnelId) => {
      const fit: TunnelFragment[] = [];
      let used = 0;
      for (const f of frags) {
        const s = f.kind === 'follow' ? 7 + f.data.length : (f.instructions.type === 'local' ? 1 : f.instructions.type === 'tunnel' ? 37 : 33) + (f.kind === 'first' ? 6 : 2) + f.data.length;
        if (used + s > TUNNEL_DATA_MAX_PAYLOAD_SIZE) break;
        used += s;
        fit.push(f);
      }
      const parsed = parseTunnelMessage(writeTunnelMessage(tunnelId, fit));
      t.is(parsed.tunnelId, tunnelId);
      t.deepEqual(parsed.fragments.map(norm), fit.map(norm));
    }),
    { numRuns: 300 },
  );
});

function norm(f: TunnelFragment): unknown {
  return { ...f, data: toHex(f.data), ...('instructions' in f && f.instructions.type !== 'local' ? { instructions: { ...f.instructions, hash: toHex(f.instructions.hash) } } : {}) };
}

test('property: any sequence of messages through gateway → endpoint comes out identical, in any arrival order', (t) => {
  fc.assert(
    fc.property(
      fc.array(fc.record({ size: fc.oneof(fc.integer({ min: 0, max: 1100 }), fc.integer({ min: 0, max: 12_000 })), di: arbDI, seed: fc.nat() }), { minLength: 1, maxLength: 12 }),
      fc.boolean(),
      fc.nat(),
      (specs, shuffle, seed) => {
        const gw = new TunnelGateway({ tunnelId: 9, maxQueued: 1000 });
        const msgs = specs.map((s, i) => ({ m: { ...i2np(s.size, s.seed), msgId: i + 1 }, di: s.di }));
        for (const { m, di } of msgs) gw.put(m, di);
        const tms = gw.flush();
        if (shuffle) {
          const rnd = seededRandom(seed);
          for (let i = tms.length - 1; i > 0; i--) {
            const j = rnd.int(0, i + 1);
            [tms[i], tms[j]] = [tms[j]!, tms[i]!];
          }
        }
        const ep = new TunnelEndpoint({ now: () => NOW });
        const got = tms.flatMap((x) => ep.receive(x));
        const key = (b: Uint8Array) => toHex(sha256(b));
        const want = msgs.map((x) => key(serializeI2NPStandard(x.m))).sort();
        t.deepEqual(got.map((g) => key(g.bytes)).sort(), want);
        if (!shuffle) for (let i = 0; i < msgs.length; i++) t.deepEqual(norm({ kind: 'whole', instructions: got[i]!.instructions, data: got[i]!.bytes }), norm({ kind: 'whole', instructions: msgs[i]!.di, data: serializeI2NPStandard(msgs[i]!.m) }));
        t.is(ep.pendingMessages, 0);
      },
    ),
    { numRuns: 60 },
  );
});

/** A tunnel message whose fragment area is `body` (arbitrary bytes) with a valid checksum. */
function withValidChecksum(body: Uint8Array): Uint8Array {
  const tm = new Uint8Array(TUNNEL_MESSAGE_SIZE);
  const start = TUNNEL_MESSAGE_SIZE - body.length;
  tm.set(systemRandom.bytes(16), 4);
  tm.fill(1, 24, start - 1);
  tm[start - 1] = 0;
  tm.set(body, start);
  tm.set(sha256(tm.subarray(start), tm.subarray(4, 20)).subarray(0, 4), 20);
  return tm;
}

test('fuzz: parseTunnelMessage throws only ParseError; the endpoint never throws', (t) => {
  const ep = new TunnelEndpoint({ now: () => NOW, maxIncompleteMessages: 8, maxBufferedBytes: 20_000 });
  fc.assert(
    fc.property(
      fc.oneof(
        fc.uint8Array({ minLength: 0, maxLength: 1100 }),
        fc.uint8Array({ minLength: TUNNEL_MESSAGE_SIZE, maxLength: TUNNEL_MESSAGE_SIZE }),
        fc.uint8Array({ minLength: 0, maxLength: 1003 }).map(withValidChecksum),
        fc.array(arbFragment, { maxLength: 4 }).chain((fr) =>
          fc.nat().map((k) => {
            let tm: Uint8Array;
            try {
              tm = writeTunnelMessage(1, fr);
            } catch {
              tm = writeTunnelMessage(1, []);
            }
            const start = tm.lastIndexOf(0, TUNNEL_MESSAGE_SIZE - 1);
            const body = tm.slice(Math.max(start + 1, 25));
            if (body.length) body[k % body.length] ^= 1 << (k % 8);
            return withValidChecksum(body);
          }),
        ),
      ),
      (b) => {
        try {
          parseTunnelMessage(b);
        } catch (e) {
          if (!(e instanceof ParseError)) throw e;
        }
        ep.receive(b);
        t.true(ep.bufferedBytes <= 20_000);
        t.true(ep.pendingMessages <= 8);
      },
    ),
    { numRuns: 1000 },
  );
  t.true(ep.stats.badTunnelMessages > 0);
});
