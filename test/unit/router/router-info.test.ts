import test from 'ava';
import { ed25519 } from '@noble/curves/ed25519.js';
import { buildOurRouterInfo, bandwidthCaps } from '../../../router/router-info.js';
import { generateRouterKeys } from '../../../data/private-key-file.js';
import { parseRouterInfo, verifyRouterInfo, routerInfoCaps, routerInfoNetId, routerInfoVersion, addressOption } from '../../../data/router-info.js';
import { X25519Key } from '../../../crypto/x25519.js';
import { fromBase64 } from '../../../data/base64.js';
import { equalBytes } from '../../../data/bytes.js';

const ntcp2Keys = () => ({ staticKey: X25519Key.generate(), iv: new Uint8Array(16).fill(7) });

test('our RouterInfo: NTCP2 address as i2pd publishes it, caps, netId, version; signature verifies with @noble', (t) => {
  const keys = generateRouterKeys();
  const n = ntcp2Keys();
  const ri = buildOurRouterInfo({
    keys,
    ntcp2: { keys: n, host: '198.18.0.20', port: 12345, published: true },
    netId: 77,
    floodfill: true,
    bandwidth: 'X',
    published: 1_795_310_716_621,
  });
  const again = parseRouterInfo(ri.raw);
  t.true(verifyRouterInfo(again));
  // An independent Ed25519 implementation agrees with the signature.
  const sig = ri.raw.subarray(ri.raw.length - 64);
  t.true(ed25519.verify(sig, ri.raw.subarray(0, ri.raw.length - 64), keys.identity.signingPublicKey));
  t.is(routerInfoCaps(again), 'XfR');
  t.is(routerInfoNetId(again), 77);
  t.is(routerInfoVersion(again), '0.9.57');
  t.is(again.addresses.length, 1);
  const a = again.addresses[0]!;
  t.is(a.transportStyle, 'NTCP2');
  t.is(a.cost, 3);
  t.deepEqual(a.options.map(([k]) => k), ['host', 'i', 'port', 's', 'v']);
  t.is(addressOption(a, 'host'), '198.18.0.20');
  t.is(addressOption(a, 'port'), '12345');
  t.is(addressOption(a, 'v'), '2');
  t.true(equalBytes(fromBase64(addressOption(a, 's')!), n.staticKey.publicKey));
  t.true(equalBytes(fromBase64(addressOption(a, 'i')!), n.iv));
  t.is(again.published, 1_795_310_716_621);
});

test('our RouterInfo: without a concrete host the NTCP2 address carries s and v only, caps U, no f', (t) => {
  const ri = buildOurRouterInfo({
    keys: generateRouterKeys(),
    ntcp2: { keys: ntcp2Keys(), host: '0.0.0.0', port: 12345, published: true },
    netId: 2,
    floodfill: true,
    bandwidth: '',
    published: Date.now(),
  });
  t.deepEqual(ri.addresses[0]!.options.map(([k]) => k), ['s', 'v']);
  t.is(routerInfoCaps(ri), 'PU');
});

test('bandwidth option → caps letter as i2pd maps it', (t) => {
  t.is(bandwidthCaps('', false), 'L');
  t.is(bandwidthCaps('', true), 'P');
  t.is(bandwidthCaps('X', false), 'X');
  t.is(bandwidthCaps('O', false), 'O');
  t.is(bandwidthCaps('K', false), 'L');
  t.is(bandwidthCaps('2001', false), 'X');
  t.is(bandwidthCaps('2000', false), 'P');
  t.is(bandwidthCaps('256', false), 'O');
  t.is(bandwidthCaps('48', false), 'L');
  t.is(bandwidthCaps('fast', false), undefined);
});
