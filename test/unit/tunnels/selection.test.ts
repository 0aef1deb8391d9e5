/**
 * Peer selection (tunnels/selection.ts): candidate filter (self, U/H/G caps, NTCP2 address, X25519 identity),
 * distinct hops, /16 restriction, high-bandwidth preference, congestion derating, "bad" profiles as a last
 * resort; short vs long builds by router.version.
 */
import test from 'ava';
import { buildRouterInfo, type RouterInfo } from '../../../data/router-info.js';
import { generateRouterKeys, privateKeyFileSigner } from '../../../data/private-key-file.js';
import { toBase64 } from '../../../data/base64.js';
import { toHex } from '../../../data/bytes.js';
import { systemRandom } from '../../../crypto/random.js';
import { PeerProfiles, capsWeight, isHopCandidate, selectHops, supportsShortBuild, versionAtLeast, ipv4Prefixes } from '../../../tunnels/selection.js';
import { T0 } from '../netdb/helpers.js';

let port = 40000;
function ri(opts: { caps?: string; host?: string; version?: string; ntcp2?: boolean; published?: number } = {}): RouterInfo {
  const keys = generateRouterKeys(systemRandom);
  const options: Record<string, string> = { host: opts.host ?? '127.0.0.1', port: String(port++), s: toBase64(systemRandom.bytes(32)), v: '2' };
  return buildRouterInfo(
    {
      identity: keys.identity,
      published: opts.published ?? T0,
      addresses: opts.ntcp2 === false ? [] : [{ cost: 3, transportStyle: 'NTCP2', options }],
      options: { caps: opts.caps ?? 'LR', netId: '77', 'router.version': opts.version ?? '0.9.57' },
    },
    privateKeyFileSigner(keys),
  );
}

test('candidates: not us, no U / H / G, needs a dialable NTCP2 address', (t) => {
  const me = ri();
  t.false(isHopCandidate(me, me.identity.hash));
  t.true(isHopCandidate(ri(), me.identity.hash));
  for (const caps of ['LU', 'LRH', 'XRG']) t.false(isHopCandidate(ri({ caps }), me.identity.hash), caps);
  t.true(isHopCandidate(ri({ caps: 'XRD' }), me.identity.hash), 'D is derated, not excluded');
  t.false(isHopCandidate(ri({ ntcp2: false }), me.identity.hash));
});

test('selectHops: distinct routers, never us, undefined when there are too few', (t) => {
  const me = ri();
  const others = [ri(), ri(), ri()];
  for (let i = 0; i < 50; i++) {
    const hops = selectHops({ routers: [me, ...others, others[0]!], ourHash: me.identity.hash, count: 3, random: systemRandom, now: T0, enforceSubnets: false })!;
    t.is(new Set(hops.map((h) => toHex(h.identity.hash))).size, 3);
    t.false(hops.includes(me));
  }
  t.is(selectHops({ routers: [me, ...others], ourHash: me.identity.hash, count: 4, random: systemRandom, now: T0, enforceSubnets: false }), undefined);
});

test('enforceSubnets: no two hops in one IPv4 /16', (t) => {
  const me = ri({ host: '10.0.0.1' });
  const same = [ri({ host: '10.1.0.1' }), ri({ host: '10.1.200.7' }), ri({ host: '10.1.3.3' })];
  const other = ri({ host: '192.168.5.5' });
  t.deepEqual(ipv4Prefixes(same[1]!), ['10.1']);
  for (let i = 0; i < 30; i++) {
    const hops = selectHops({ routers: [...same, other], ourHash: me.identity.hash, count: 2, random: systemRandom, now: T0, enforceSubnets: true })!;
    t.truthy(hops);
    t.true(hops.includes(other), 'one hop from the other /16');
    t.is(new Set(hops.flatMap(ipv4Prefixes)).size, 2);
  }
  t.is(selectHops({ routers: same, ourHash: me.identity.hash, count: 2, random: systemRandom, now: T0, enforceSubnets: true }), undefined);
  t.truthy(selectHops({ routers: same, ourHash: me.identity.hash, count: 2, random: systemRandom, now: T0, enforceSubnets: false }));
});

test('high-bandwidth routers are preferred, congested (D, fresh E) ones derated', (t) => {
  t.is(capsWeight(ri({ caps: 'LR' }), T0), 1);
  t.is(capsWeight(ri({ caps: 'XR' }), T0), 3);
  t.is(capsWeight(ri({ caps: 'LRD' }), T0), 0.5);
  t.is(capsWeight(ri({ caps: 'LRE', published: T0 }), T0 + 60_000), 0.25);
  t.is(capsWeight(ri({ caps: 'LRE', published: T0 }), T0 + 16 * 60_000), 0.5, 'an E older than 15 minutes counts as D');
  const me = ri();
  const fast = ri({ caps: 'PR' });
  const slow = ri({ caps: 'LRD' });
  let nFast = 0;
  for (let i = 0; i < 600; i++) {
    const [h] = selectHops({ routers: [fast, slow], ourHash: me.identity.hash, count: 1, random: systemRandom, now: T0, enforceSubnets: false })!;
    if (h === fast) nFast++;
  }
  // expected share 3 / 3.5 ≈ 0.857; far from 0.5 either way
  t.true(nFast > 450 && nFast < 570, `fast chosen ${nFast} / 600`);
});

test('profiles: a declining peer is bad (i2pd IsBad) and only used when nothing else is left', (t) => {
  const p = new PeerProfiles({ maxEntries: 2, ttlMs: 60_000 });
  const me = ri();
  const bad = ri();
  const good = ri();
  p.buildResponse(bad.identity.hash, 30, T0);
  t.true(p.isBad(bad.identity.hash, T0), '4 * agreed < declined');
  p.buildResponse(good.identity.hash, 0, T0);
  p.buildResponse(good.identity.hash, 30, T0);
  t.false(p.isBad(good.identity.hash, T0), '1 of 2 agreed');
  for (let i = 0; i < 30; i++) {
    const [h] = selectHops({ routers: [bad, good], ourHash: me.identity.hash, count: 1, random: systemRandom, now: T0, profiles: p, enforceSubnets: false })!;
    t.is(h, good);
  }
  t.is(selectHops({ routers: [bad, good], ourHash: me.identity.hash, count: 2, random: systemRandom, now: T0, profiles: p, enforceSubnets: false })!.length, 2, 'bad used as a last resort');
  t.false(p.isBad(bad.identity.hash, T0 + 61_000), 'forgotten after the ttl');
  p.buildResponse(ri().identity.hash, 0, T0);
  t.is(p.size, 2, 'bounded');
});

test('router.version decides short vs long builds (0.9.51)', (t) => {
  t.true(versionAtLeast('0.9.51', [0, 9, 51]));
  t.true(versionAtLeast('0.9.57', [0, 9, 51]));
  t.true(versionAtLeast('0.10', [0, 9, 51]));
  t.false(versionAtLeast('0.9.50', [0, 9, 51]));
  t.false(versionAtLeast('garbage', [0, 9, 51]));
  t.false(supportsShortBuild(ri({ version: '0.9.48' })));
  t.true(supportsShortBuild(ri()));
});
