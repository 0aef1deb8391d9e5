import test from 'ava';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import { buildRouterInfo, parseRouterInfo, type RouterInfo } from '../../../../data/router-info.js';
import { generateRouterKeys, privateKeyFileSigner } from '../../../../data/private-key-file.js';
import { toBase64 } from '../../../../data/base64.js';
import { loadConfig } from '../../../../conf/load.js';
import { parseReseedCertificate, reseedCertificatesFrom } from '../../../../netdb/reseed/certificates.js';
import {
  OUTDATED_MS,
  RESEED_USER_AGENT,
  ReseedError,
  httpsDownload,
  reseed,
  reseedFromConfig,
  reseedOptionsFromConfig,
  shouldReseed,
  type ReseedLog,
  type ReseedOptions,
} from '../../../../netdb/reseed/reseed.js';
import { NET_ID, certsDirWith, makeRouterInfo, makeSigner, makeSu3, makeZip, riName, tempDir, type TestSigner } from './helpers.js';

const VECTORS = join(import.meta.dirname, '..', '..', '..', '..', '..', 'shared', 'vectors', 'i2pd-2.45.1');

const signer = (): TestSigner => makeSigner('rsa4096');
const certsFor = (...ss: TestSigner[]) => reseedCertificatesFrom(ss.map((s) => parseReseedCertificate(s.certPem, `mem:${s.signerId}`)));
/** A Random whose shuffle keeps the given order (Fisher–Yates with j = i). */
const inOrder = { bytes: (n: number) => new Uint8Array(n), int: (_min: number, max: number) => max - 1 };
const hashes = (ris: readonly RouterInfo[]) => ris.map((r) => toBase64(r.identity.hash)).sort();

function base(over: Partial<ReseedOptions> = {}): ReseedOptions {
  return { verify: true, netId: NET_ID, certificates: certsFor(signer()), urls: [], random: inOrder, ...over };
}

function writeTemp(name: string, bytes: Uint8Array): string {
  const p = join(tempDir(), name);
  writeFileSync(p, bytes);
  return p;
}

function capture(): ReseedLog & { warnings: string[] } {
  const warnings: string[] = [];
  return { warnings, info: () => {}, warn: (_o, m) => warnings.push(m) };
}

async function rejects(p: Promise<unknown>): Promise<ReseedError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof ReseedError) return e;
    throw e;
  }
  throw new Error('expected a ReseedError');
}

/** An HTTPS server on 127.0.0.1 with a throwaway certificate; `handler` answers, `requests` records. */
async function httpsServer(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ url: string; requests: IncomingMessage[]; close: () => Promise<void> }> {
  const tls = makeSigner('p256', 'localhost');
  const requests: IncomingMessage[] = [];
  const server: Server = createServer({ key: tls.keyPem, cert: tls.certPem }, (req, res) => {
    requests.push(req);
    handler(req, res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return {
    url: `https://127.0.0.1:${port}/`,
    requests,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** A 127.0.0.1 port with nothing listening. */
async function closedPort(): Promise<number> {
  const s = createTcpServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as { port: number };
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

test('su3 file, verify on: good RouterInfos kept; other netId, no netId, bad signature, future, duplicates dropped and counted', async (t) => {
  const good = [makeRouterInfo(), makeRouterInfo(), makeRouterInfo()];
  const foreign = makeRouterInfo({ netId: 2 });
  const noNetId = makeRouterInfo({ netId: null });
  const tampered = makeRouterInfo();
  const badRaw = tampered.raw.slice();
  badRaw[badRaw.length - 70]! ^= 1; // inside the signed body
  const future = makeRouterInfo({ published: Date.now() + 10 * 60_000 });
  const zip = makeZip([...good, foreign, noNetId, future], {
    [riName(tampered)]: badRaw,
    'routerInfo-garbage.dat': new Uint8Array([1, 2, 3]),
    [riName(good[0]!).replace('.dat', '-copy.dat')]: good[0]!.raw,
  });
  const s = signer();
  const file = writeTemp('i2pseeds.su3', makeSu3(zip, s));
  const log = capture();
  const r = await reseed(base({ file, certificates: certsFor(s), log }));
  t.is(r.kind, 'su3-file');
  t.is(r.source, file);
  t.deepEqual(hashes(r.routerInfos), hashes(good));
  t.deepEqual(r.dropped, { zipEntries: 0, parse: 1, signature: 1, netId: 2, future: 1, duplicate: 1 });
  t.like(r.su3, { verified: true, signerId: s.signerId });
  t.deepEqual(r.failures, []);
  t.deepEqual(log.warnings, []);
  for (const ri of r.routerInfos) t.deepEqual([...parseRouterInfo(ri.raw).raw], [...ri.raw]);
});

test('duplicates keep the newest published copy', async (t) => {
  const keys = generateRouterKeys();
  const mk = (published: number) =>
    buildRouterInfo({ identity: keys.identity, published, addresses: [], options: { netId: String(NET_ID), caps: 'L' } }, privateKeyFileSigner(keys));
  const older = mk(Date.now() - 3_600_000);
  const newer = mk(Date.now() - 60_000);
  for (const order of [[newer, older], [older, newer]]) {
    const zip = makeZip([], { 'routerInfo-a.dat': order[0]!.raw, 'routerInfo-b.dat': order[1]!.raw });
    const r = await reseed(base({ zipFile: writeTemp('r.zip', zip) }));
    t.is(r.routerInfos.length, 1);
    t.is(r.routerInfos[0]!.published, newer.published);
    t.is(r.dropped.duplicate, 1);
  }
});

test('zip file source (reseed.zipfile), including real i2pd 2.45.1 RouterInfos of netId 77', async (t) => {
  const real = ['router1-floodfill.info', 'router2-floodfill.info', 'router3.info'].map((f) => parseRouterInfo(new Uint8Array(readFileSync(join(VECTORS, f)))));
  const newest = Math.max(...real.map((r) => r.published));
  const zip = makeZip(real, { 'README.txt': new Uint8Array([1]) });
  const r = await reseed(base({ zipFile: writeTemp('seeds.zip', zip), now: () => newest + 60_000 }));
  t.is(r.kind, 'zip-file');
  t.deepEqual(hashes(r.routerInfos), hashes(real));
  t.is(r.dropped.zipEntries, 1);
  t.is(r.su3, undefined);
  // The same routers on another network yield nothing.
  const e = await rejects(reseed(base({ zipFile: writeTemp('seeds.zip', zip), netId: 2, now: () => newest + 60_000 })));
  t.is(e.code, 'FAILED');
  t.is(e.failures[0]!.code, 'NO_ROUTER_INFOS');
  t.regex(e.message, /netId 3/);
});

test('verify on: unknown signer refused with a clear reason', async (t) => {
  const s = makeSigner('rsa4096', 'stranger@mail.i2p');
  const file = writeTemp('i2pseeds.su3', makeSu3(makeZip([makeRouterInfo()]), s));
  const e = await rejects(reseed(base({ file })));
  t.is(e.code, 'FAILED');
  t.deepEqual(e.failures.map((f) => f.code), ['SU3_NO_CERTIFICATE']);
  t.regex(e.message, /no certificate for signer 'stranger@mail\.i2p'/);
  t.regex(e.message, /reseed\.verify is on/);
});

test('verify on: bad signature refused', async (t) => {
  const s = signer();
  const bytes = makeSu3(makeZip([makeRouterInfo()]), s);
  bytes[bytes.length - 100]! ^= 0x40;
  const e = await rejects(reseed(base({ file: writeTemp('i2pseeds.su3', bytes), certificates: certsFor(s) })));
  t.deepEqual(e.failures.map((f) => f.code), ['SU3_BAD_SIGNATURE']);
});

test('verify off (i2pd default): unknown signer and bad signature are accepted, with a warning', async (t) => {
  const stranger = makeSigner('rsa4096', 'stranger@mail.i2p');
  const ri = makeRouterInfo();
  const log = capture();
  const r = await reseed(base({ verify: false, file: writeTemp('a.su3', makeSu3(makeZip([ri]), stranger)), log }));
  t.deepEqual(hashes(r.routerInfos), hashes([ri]));
  t.like(r.su3, { verified: false, code: 'NO_CERTIFICATE', signerId: 'stranger@mail.i2p' });
  t.is(log.warnings.length, 1);
  t.regex(log.warnings[0]!, /accepted unverified because reseed\.verify is off/);

  const s = signer();
  const bytes = makeSu3(makeZip([ri]), s);
  bytes[bytes.length - 1]! ^= 1;
  const r2 = await reseed(base({ verify: false, certificates: certsFor(s), file: writeTemp('b.su3', bytes) }));
  t.like(r2.su3, { verified: false, code: 'BAD_SIGNATURE' });
  // A good signature is reported verified even with verify off.
  const r3 = await reseed(base({ verify: false, certificates: certsFor(s), file: writeTemp('c.su3', makeSu3(makeZip([ri]), s)) }));
  t.like(r3.su3, { verified: true });
});

test('truncated or garbage su3 and zip bombs fail the source with the ParseError code', async (t) => {
  const s = signer();
  const good = makeSu3(makeZip([makeRouterInfo()]), s);
  const e1 = await rejects(reseed(base({ file: writeTemp('t.su3', good.subarray(0, good.length - 10)) })));
  t.deepEqual(e1.failures.map((f) => f.code), ['TRUNCATED']);
  const e2 = await rejects(reseed(base({ file: writeTemp('g.su3', new Uint8Array(5000).fill(0x41)) })));
  t.deepEqual(e2.failures.map((f) => f.code), ['BAD_MAGIC']);
  const bomb = zipSync({ 'routerInfo-x.dat': new Uint8Array(1 << 20) }, { level: 9 });
  const e3 = await rejects(reseed(base({ file: writeTemp('b.su3', makeSu3(bomb, s)), certificates: certsFor(s) })));
  t.deepEqual(e3.failures.map((f) => f.code), ['ENTRY_TOO_LARGE']);
  const e4 = await rejects(reseed(base({ zipFile: writeTemp('b.zip', bomb) })));
  t.deepEqual(e4.failures.map((f) => f.code), ['ENTRY_TOO_LARGE']);
  const e5 = await rejects(reseed(base({ file: join(tempDir(), 'missing.su3') })));
  t.deepEqual(e5.failures.map((f) => f.code), ['ENOENT']);
});

test('HTTPS on 127.0.0.1: GET <url>i2pseeds.su3 with i2pd headers; reseed.file https URL is fetched as is', async (t) => {
  const s = signer();
  const ris = [makeRouterInfo(), makeRouterInfo()];
  const su3 = makeSu3(makeZip(ris), s);
  const srv = await httpsServer((req, res) => {
    if (req.url === '/i2pseeds.su3' || req.url === '/custom/bundle.su3') res.writeHead(200, { 'Content-Type': 'application/octet-stream' }).end(su3);
    else res.writeHead(404).end();
  });
  t.teardown(srv.close);
  const r = await reseed(base({ urls: [srv.url], certificates: certsFor(s) }));
  t.is(r.kind, 'su3-url');
  t.is(r.source, `${srv.url}i2pseeds.su3`);
  t.deepEqual(hashes(r.routerInfos), hashes(ris));
  t.is(srv.requests.length, 1);
  t.is(srv.requests[0]!.method, 'GET');
  t.is(srv.requests[0]!.url, '/i2pseeds.su3');
  t.is(srv.requests[0]!.headers['user-agent'], RESEED_USER_AGENT);
  t.is(srv.requests[0]!.headers.connection, 'close');

  const r2 = await reseed(base({ file: `${srv.url}custom/bundle.su3`, certificates: certsFor(s) }));
  t.is(r2.kind, 'su3-url');
  t.is(srv.requests.at(-1)!.url, '/custom/bundle.su3');

  // i2pd forces https whatever the scheme says: an http:// reseed URL is fetched over TLS too.
  const r3 = await reseed(base({ urls: [srv.url.replace('https:', 'http:')], certificates: certsFor(s) }));
  t.is(r3.routerInfos.length, 2);
  // A URL without the trailing slash still asks for /i2pseeds.su3.
  const r4 = await reseed(base({ urls: [srv.url.slice(0, -1)], certificates: certsFor(s) }));
  t.is(r4.source, `${srv.url}i2pseeds.su3`);
  t.is(srv.requests.at(-1)!.url, '/i2pseeds.su3');
});

test('URLs are tried until one yields RouterInfos; the failures before it are reported', async (t) => {
  const s = signer();
  const ri = makeRouterInfo();
  const su3 = makeSu3(makeZip([ri]), s);
  const srv = await httpsServer((req, res) => {
    if (req.url === '/missing/i2pseeds.su3') res.writeHead(404, 'Not Found').end();
    else if (req.url === '/garbage/i2pseeds.su3') res.writeHead(200).end(`<html>${'hello '.repeat(50)}</html>`);
    else if (req.url === '/good/i2pseeds.su3') res.writeHead(200).end(su3);
    else res.writeHead(500).end();
  });
  t.teardown(srv.close);
  const dead = `https://127.0.0.1:${await closedPort()}/`;
  const urls = [`${srv.url}missing/`, dead, `${srv.url}garbage/`, `${srv.url}good/`, `${srv.url}never/`];
  const r = await reseed(base({ urls, certificates: certsFor(s) }));
  t.deepEqual(hashes(r.routerInfos), hashes([ri]));
  // inOrder: Fisher–Yates with j = i leaves the list as given.
  t.deepEqual(
    r.failures.map((f) => [f.source, f.code]),
    [
      [`${srv.url}missing/i2pseeds.su3`, 'HTTP_STATUS'],
      [`${dead}i2pseeds.su3`, 'ECONNREFUSED'],
      [`${srv.url}garbage/i2pseeds.su3`, 'BAD_MAGIC'],
    ],
  );
  t.false(srv.requests.some((q) => q.url === '/never/i2pseeds.su3'));
});

test('every URL failing: ReseedError naming each failure; at most 10 attempts', async (t) => {
  const srv = await httpsServer((_req, res) => res.writeHead(503).end());
  t.teardown(srv.close);
  const urls = Array.from({ length: 12 }, (_, i) => `${srv.url}m${i}/`);
  const e = await rejects(reseed(base({ urls })));
  t.is(e.code, 'FAILED');
  t.is(e.failures.length, 10);
  t.is(srv.requests.length, 10);
  t.true(e.failures.every((f) => f.code === 'HTTP_STATUS' && /HTTP 503/.test(f.reason)));
  t.regex(e.message, /cannot reach the I2P network: reseeding from reseed\.urls \(12 configured\) failed/);
  // Random order by default: with the system RNG the 10 attempts are distinct URLs.
  const e2 = await rejects(reseed(base({ urls, random: undefined })));
  t.is(new Set(e2.failures.map((f) => f.source)).size, 10);
});

test('no sources at all: NO_SOURCES, and nothing is contacted', async (t) => {
  const e = await rejects(reseed(base({ urls: [] })));
  t.is(e.code, 'NO_SOURCES');
  t.regex(e.message, /cannot reach the I2P network/);
  t.regex(e.message, /reseed\.urls is empty/);
  const e2 = await rejects(reseed(base({ urls: [''], file: '', zipFile: '' })));
  t.is(e2.code, 'NO_SOURCES');
});

test('reseed.file and reseed.zipfile are exclusive, as in i2pd: configured URLs are not contacted', async (t) => {
  const srv = await httpsServer((_req, res) => res.writeHead(404).end());
  t.teardown(srv.close);
  const e = await rejects(reseed(base({ file: join(tempDir(), 'nope.su3'), zipFile: join(tempDir(), 'nope.zip'), urls: [srv.url] })));
  t.deepEqual(e.failures.map((f) => f.code), ['ENOENT']);
  t.regex(e.message, /reseed\.file/);
  const e2 = await rejects(reseed(base({ zipFile: join(tempDir(), 'nope.zip'), urls: [srv.url] })));
  t.regex(e2.message, /reseed\.zipfile/);
  t.is(srv.requests.length, 0);
});

test('download bounds: size cap (declared and streamed) and timeout', async (t) => {
  const big = new Uint8Array(300_000);
  const srv = await httpsServer((req, res) => {
    if (req.url === '/declared/i2pseeds.su3') res.writeHead(200, { 'Content-Length': String(big.length) }).end(big);
    else if (req.url === '/chunked/i2pseeds.su3') {
      res.writeHead(200);
      for (let i = 0; i < 30; i++) res.write(big.subarray(0, 10_000));
      res.end();
    } else if (req.url === '/slow/i2pseeds.su3') res.writeHead(200); // headers, then nothing
    else res.writeHead(404).end();
  });
  t.teardown(srv.close);
  const e = await rejects(reseed(base({ urls: [`${srv.url}declared/`], maxDownloadSize: 100_000 })));
  t.deepEqual(e.failures.map((f) => f.code), ['TOO_LARGE']);
  const e2 = await rejects(reseed(base({ urls: [`${srv.url}chunked/`], maxDownloadSize: 100_000 })));
  t.deepEqual(e2.failures.map((f) => f.code), ['TOO_LARGE']);
  const e3 = await rejects(reseed(base({ urls: [`${srv.url}slow/`], timeoutMs: 300 })));
  t.deepEqual(e3.failures.map((f) => f.code), ['TIMEOUT']);
});

test('{ signal } aborts a download in progress', async (t) => {
  const ac = new AbortController();
  // Abort once the server has the request (not on a timer: deterministic under load).
  const srv = await httpsServer((_req, res) => {
    res.writeHead(200); // never ends
    ac.abort();
  });
  t.teardown(srv.close);
  const e = await rejects(reseed(base({ urls: [srv.url, srv.url] }), { signal: ac.signal }));
  t.is(e.code, 'ABORTED');
  t.is(srv.requests.length, 1);
  const e2 = await rejects(reseed(base({ urls: [srv.url] }), { signal: AbortSignal.abort() }));
  t.is(e2.code, 'ABORTED');
  t.is(srv.requests.length, 1);
});

test('httpsDownload: an aborted signal rejects with the abort reason and sends nothing; mid-download abort stops it', async (t) => {
  const reason = new Error('stop');
  const ac = new AbortController();
  const srv = await httpsServer((_req, res) => {
    res.writeHead(200); // never ends
    ac.abort(reason);
  });
  t.teardown(srv.close);
  await t.throwsAsync(httpsDownload(`${srv.url}x`, { signal: AbortSignal.abort(reason), timeoutMs: 5000, maxSize: 1000 }), { is: reason });
  await t.throwsAsync(httpsDownload(`${srv.url}y`, { signal: ac.signal, timeoutMs: 5000, maxSize: 1000 }), { is: reason });
  t.deepEqual(srv.requests.map((r) => r.url), ['/y']);
  await t.throwsAsync(httpsDownload('ftp://127.0.0.1/', { timeoutMs: 100, maxSize: 1 }), { message: /unsupported scheme/ });
});

test('outdated bundle (more than half older than 270 hours) is refused; fewer is kept and counted', async (t) => {
  const now = Date.now();
  const old = () => makeRouterInfo({ published: now - OUTDATED_MS - 3_600_000 });
  const fresh = () => makeRouterInfo({ published: now - 60_000 });
  const e = await rejects(reseed(base({ zipFile: writeTemp('o.zip', makeZip([old(), old(), fresh()])), now: () => now })));
  t.deepEqual(e.failures.map((f) => f.code), ['OUTDATED']);
  const r = await reseed(base({ zipFile: writeTemp('k.zip', makeZip([old(), fresh(), fresh()])), now: () => now }));
  t.is(r.routerInfos.length, 3);
  t.is(r.outdated, 1);
});

test('reseedOptionsFromConfig reads the i2pd option names from a loaded config', (t) => {
  const home = tempDir();
  const { config } = loadConfig({
    argv: ['--reseed.verify=true', '--reseed.urls=https://127.0.0.1:1/,https://127.0.0.1:2/', '--reseed.zipfile=/x.zip'],
    homedir: home,
    cwd: home,
  });
  t.deepEqual(reseedOptionsFromConfig(config), {
    file: '',
    zipFile: '/x.zip',
    urls: ['https://127.0.0.1:1/', 'https://127.0.0.1:2/'],
    verify: true,
    proxy: '',
  });
});

test('reseedFromConfig: certificates from certsdir/reseed, sources and verify from the config', async (t) => {
  const s = signer();
  const ris = [makeRouterInfo(), makeRouterInfo()];
  const su3 = writeTemp('i2pseeds.su3', makeSu3(makeZip(ris), s));
  const certsdir = certsDirWith({ 'tester_at_mail.i2p.crt': s.certPem });
  const home = tempDir();
  const load = (argv: string[]) => loadConfig({ argv, homedir: home, cwd: home }).config;
  const log = capture();
  const r = await reseedFromConfig(load([`--certsdir=${certsdir}`, '--reseed.verify=true', `--reseed.file=${su3}`]), { netId: NET_ID, certificateFallbacks: [], log });
  t.deepEqual(hashes(r.routerInfos), hashes(ris));
  t.like(r.su3, { verified: true, signerId: s.signerId, certificate: join(certsdir, 'reseed', 'tester_at_mail.i2p.crt') });
  t.is(r.certificates.dir, join(certsdir, 'reseed'));
  t.deepEqual(log.warnings, []);

  // Default certsdir (DATADIR/certificates) is empty: with verify on, a warning and a refusal naming the signer.
  const log2 = capture();
  const e = await rejects(reseedFromConfig(load(['--datadir', tempDir(), '--reseed.verify=true', `--reseed.file=${su3}`]), { netId: NET_ID, certificateFallbacks: [], log: log2 }));
  t.deepEqual(e.failures.map((f) => f.code), ['SU3_NO_CERTIFICATE']);
  t.true(log2.warnings.some((w) => /no reseed certificate was found/.test(w)));
});

test('shouldReseed follows i2pd NetDb::Start: fewer than threshold routers or fewer than 5 floodfills', (t) => {
  t.true(shouldReseed({ routers: 24, floodfills: 10 }, 25));
  t.false(shouldReseed({ routers: 25, floodfills: 5 }, 25));
  t.true(shouldReseed({ routers: 1000, floodfills: 4 }, 25));
  t.true(shouldReseed({ routers: 0, floodfills: 0 }, 0));
});
