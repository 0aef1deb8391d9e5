import test from 'ava';
import fc from 'fast-check';
import { createHash } from 'node:crypto';
import {
  HashSet,
  closest,
  compareDistance,
  routingKey,
  utcDateString,
  xorDistance,
} from '../../../netdb/kademlia.js';
import { fromHex, toHex } from '../../../data/bytes.js';

const KEY = fromHex('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f');

function nodeRoutingKey(key: Uint8Array, date: string): string {
  return createHash('sha256').update(key).update(Buffer.from(date, 'ascii')).digest('hex');
}

test('utcDateString is the UTC calendar day, rolling over at 00:00:00.000 UTC', (t) => {
  t.is(utcDateString(Date.UTC(2026, 10, 22, 12, 0, 0)), '20261122');
  t.is(utcDateString(Date.UTC(2026, 10, 22, 23, 59, 59, 999)), '20261122');
  t.is(utcDateString(Date.UTC(2026, 10, 23, 0, 0, 0, 0)), '20261123');
  t.is(utcDateString(Date.UTC(2027, 0, 1, 0, 0, 0)), '20270101');
  t.is(utcDateString(Date.UTC(2024, 1, 29, 5)), '20240229');
  t.is(utcDateString(0), '19700101');
});

test('routing key = SHA-256(key || yyyyMMdd), checked with node:crypto', (t) => {
  const at = Date.UTC(2026, 10, 22, 2, 15);
  const rk = routingKey(KEY, at);
  t.is(toHex(rk), nodeRoutingKey(KEY, '20261122'));
  // Constant computed independently with coreutils: printf '<bytes 00..1f>20261122' | sha256sum
  t.is(toHex(rk), '797948e1b9ac90ac76e1e8cf5713020ea9368972ca9bfeb82bcb901c5c69b4d0');
  // The key is the same all day and changes at midnight UTC.
  t.deepEqual(routingKey(KEY, Date.UTC(2026, 10, 22, 23, 59, 59, 999)), rk);
  const next = routingKey(KEY, Date.UTC(2026, 10, 23, 0, 0, 0));
  t.notDeepEqual(next, rk);
  t.is(toHex(next), nodeRoutingKey(KEY, '20261123'));
  // The all-zero key on 2013-12-01 (coreutils sha256sum of 32 zero bytes || '20131201').
  t.is(toHex(routingKey(new Uint8Array(32), Date.UTC(2013, 11, 1, 13))), '538313484828064f8cfcfbd835f5e3f0e386ac8b94e8f3a9b1ee4879b0ad4033');
  t.throws(() => routingKey(new Uint8Array(31), at), { instanceOf: RangeError });
});

const hash = fc.uint8Array({ minLength: 32, maxLength: 32 });

function bigOf(b: Uint8Array): bigint {
  return BigInt('0x' + (toHex(b) || '0'));
}

test('xorDistance and compareDistance agree with bigint XOR', (t) => {
  fc.assert(
    fc.property(hash, hash, hash, (target, a, b) => {
      const da = bigOf(xorDistance(target, a));
      t.is(da, bigOf(target) ^ bigOf(a));
      const db = bigOf(target) ^ bigOf(b);
      const c = compareDistance(target, a, b);
      return Math.sign(c) === (da < db ? -1 : da > db ? 1 : 0);
    }),
  );
});

test('closest = brute-force sort by XOR distance, minus excluded, first n', (t) => {
  fc.assert(
    fc.property(
      hash,
      fc.array(hash, { maxLength: 40 }),
      fc.nat({ max: 12 }),
      fc.array(fc.nat(), { maxLength: 10 }),
      (target, cands, n, exIdx) => {
        const exclude = new HashSet(exIdx.filter((i) => i < cands.length).map((i) => cands[i]!));
        const got = closest(target, cands, n, exclude).map(toHex);
        const uniq = [...new Set(cands.map(toHex))].filter((h) => !exclude.has(fromHex(h)));
        uniq.sort((x, y) => {
          const dx = bigOf(fromHex(x)) ^ bigOf(target);
          const dy = bigOf(fromHex(y)) ^ bigOf(target);
          return dx < dy ? -1 : dx > dy ? 1 : 0;
        });
        t.deepEqual(got, uniq.slice(0, n));
      },
    ),
  );
});

test('closest handles duplicates and n = 0', (t) => {
  const a = new Uint8Array(32).fill(1);
  const b = new Uint8Array(32).fill(2);
  const target = new Uint8Array(32);
  t.deepEqual(closest(target, [b, a, a, b], 5).map(toHex), [toHex(a), toHex(b)]);
  t.deepEqual(closest(target, [a, b], 0), []);
});
