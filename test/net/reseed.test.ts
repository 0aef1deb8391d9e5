/**
 * A router with an empty netDb reseeds at start (issue "NetDb": reseed from an su3 bundle and a zip the tests
 * create; a bad signature is refused; an offline start says clearly why it cannot reach the network), then
 * reaches the network it learned.
 */
import test from 'ava';
import { writeFile, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeRouter, testNetId, until } from '../helpers/net.js';
import { certsDirWith, makeRouterInfo, makeSigner, makeSu3, makeZip } from '../unit/netdb/reseed/helpers.js';
import type { Router } from '../../router/router.js';
import { reseedUrlsFor } from '../../router/reseed-policy.js';
import { loadConfig } from '../../conf/index.js';

async function file(name: string, bytes: Uint8Array): Promise<string> {
  const p = join(await mkdtemp(join(tmpdir(), 'clove-reseed-net-')), name);
  await writeFile(p, bytes);
  return p;
}

async function withNetwork(t: import('ava').ExecutionContext, fn: (netId: number, ff: Router) => Promise<void>): Promise<void> {
  const netId = testNetId();
  const ff = await makeRouter({ netId, floodfill: true });
  await ff.start();
  try {
    await fn(netId, ff);
  } finally {
    await ff.stop();
  }
  t.pass();
}

test('reseed from a zip: the router learns the floodfill, drops foreign RouterInfos and connects', (t) =>
  withNetwork(t, async (netId, ff) => {
    const foreign = makeRouterInfo({ netId: netId + 1 });
    const zip = await file('seeds.zip', makeZip([ff.routerInfo, foreign]));
    const r = await makeRouter({ netId, extra: [`--reseed.zipfile=${zip}`] });
    try {
      await r.start();
      t.true(await until(() => r.reseedStatus.state !== 'running'));
      t.deepEqual(r.reseedStatus, { state: 'done', source: zip, routers: 1 });
      t.is(r.status().netdb.routers, 1);
      t.true(await until(() => r.status().peers.ntcp2 === 1 && ff.status().peers.ntcp2 === 1));
    } finally {
      await r.stop();
    }
  }));

test('reseed from an su3 verified against the signer certificate in certsdir', (t) =>
  withNetwork(t, async (netId, ff) => {
    const signer = makeSigner('rsa4096');
    const certsdir = certsDirWith({ 'tester_at_mail.i2p.crt': signer.certPem });
    const su3 = await file('i2pseeds.su3', makeSu3(makeZip([ff.routerInfo]), signer));
    const r = await makeRouter({ netId, extra: [`--reseed.file=${su3}`, '--reseed.verify=true', `--certsdir=${certsdir}`] });
    try {
      await r.start();
      t.true(await until(() => r.reseedStatus.state !== 'running'));
      t.is(r.reseedStatus.state, 'done', JSON.stringify(r.reseedStatus));
      t.is(r.reseedStatus.routers, 1);
      t.true(await until(() => r.status().peers.ntcp2 === 1));
    } finally {
      await r.stop();
    }
  }));

test('an su3 with a bad signature is refused with verify on; the router says why and learns nothing', (t) =>
  withNetwork(t, async (netId, ff) => {
    const signer = makeSigner('rsa4096');
    const certsdir = certsDirWith({ 'tester_at_mail.i2p.crt': signer.certPem });
    const good = makeSu3(makeZip([ff.routerInfo]), signer);
    const bad = good.slice();
    bad[bad.length - 7]! ^= 0x20; // inside the signature
    const su3 = await file('i2pseeds.su3', bad);
    const r = await makeRouter({ netId, extra: [`--reseed.file=${su3}`, '--reseed.verify=true', `--certsdir=${certsdir}`] });
    try {
      await r.start();
      t.true(await until(() => r.reseedStatus.state !== 'running'));
      t.is(r.reseedStatus.state, 'failed');
      t.regex(r.reseedStatus.reason ?? '', /signature/i);
      t.is(r.status().netdb.routers, 0);
    } finally {
      await r.stop();
    }
  }));

test('no reseed source configured: the reseed fails with a clear reason and nothing is learned', async (t) => {
  const r = await makeRouter({ netId: testNetId() }); // --reseed.urls= (empty), no file, no zip
  try {
    await r.start();
    t.true(await until(() => r.reseedStatus.state !== 'running'));
    t.is(r.reseedStatus.state, 'failed');
    t.regex(r.reseedStatus.reason ?? '', /nothing to reseed from/);
    t.is(r.status().netdb.routers, 0);
  } finally {
    await r.stop();
  }
});

test('the built-in reseed servers are never used on a private network unless configured', (t) => {
  // Config only — nothing is started, so a broken policy could not reach the network from this test.
  const dir = tmpdir();
  const priv = loadConfig({ argv: [`--datadir=${dir}`, '--netid=77'] }).config;
  t.true(priv.get('reseed.urls').length > 0, 'the default list should be i2pd\'s');
  t.deepEqual(reseedUrlsFor(priv), { urls: [], privateNetDefault: true });
  const explicit = loadConfig({ argv: [`--datadir=${dir}`, '--netid=77', '--reseed.urls=https://127.0.0.1:8443/'] }).config;
  t.deepEqual(reseedUrlsFor(explicit).urls, ['https://127.0.0.1:8443/']);
  const main = loadConfig({ argv: [`--datadir=${dir}`] }).config;
  t.deepEqual(reseedUrlsFor(main), { urls: main.get('reseed.urls'), privateNetDefault: false });
});
