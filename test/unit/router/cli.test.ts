/**
 * The CLI as a user meets it: real processes, real files in a temp datadir.
 */
import test from 'ava';
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { cloveCommand, REPO_ROOT } from '../../helpers/clove.js';
import { freePort } from '../../helpers/net.js';
import { parseRouterInfo, verifyRouterInfo, routerInfoNetId, addressOption } from '../../../data/router-info.js';

const run = promisify(execFile);

async function clove(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const [cmd, a] = cloveCommand(args);
  try {
    const r = await run(cmd, a, { cwd: REPO_ROOT, timeout: 30_000 });
    return { code: 0, ...r };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, stdout: x.stdout, stderr: x.stderr };
  }
}

test('run --help lists the options by their i2pd names', async (t) => {
  const r = await clove(['run', '--help']);
  t.is(r.code, 0);
  for (const k of ['netid', 'ntcp2.port', 'floodfill', 'http.port', 'reseed.urls']) t.regex(r.stdout, new RegExp(k.replace('.', '\\.')));
});

test('a bad value on the command line stops before anything is written, naming the key', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'clove-cli-'));
  const r = await clove(['run', `--datadir=${dir}`, '--ntcp2.port=seventy']);
  t.not(r.code, 0);
  t.regex(r.stderr, /ntcp2\.port/);
  t.regex(r.stderr, /command line/);
  t.false(existsSync(join(dir, 'router.keys')));
});

test('a bad value in the config file names the key and the file', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'clove-cli-'));
  const conf = join(dir, 'bad.conf');
  await writeFile(conf, 'netid = 77\n[ntcp2]\nenabled = maybe\n');
  const r = await clove(['run', `--datadir=${dir}`, `--conf=${conf}`]);
  t.not(r.code, 0);
  t.regex(r.stderr, /ntcp2\.enabled/);
  t.true(r.stderr.includes(conf));
  t.false(existsSync(join(dir, 'router.keys')));
});

test('unknown commands are refused with usage', async (t) => {
  const r = await clove(['fly']);
  t.is(r.code, 2);
  t.regex(r.stderr, /unknown command 'fly'/);
});

test('run writes keys and a signed router.info from file + command line, and exits 0 on SIGINT', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'clove-cli-'));
  await writeFile(join(dir, 'i2pd.conf'), '# i2pd style\nnetid = 77\nhost = 127.0.0.1\n[ntcp2]\nport = 23456\n[http]\nenabled = false\n');
  const [cmd, a] = cloveCommand(['run', `--datadir=${dir}`, '--port=23457', '--floodfill', '--loglevel=info', '--httpproxy.port=0', '--socksproxy.port=0']);
  const p = spawn(cmd, a, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((res) => p.once('exit', (c) => res(c)));
  let out = '';
  p.stdout.on('data', (d: Buffer) => (out += d.toString()));
  p.stderr.on('data', (d: Buffer) => (out += d.toString()));
  for (let i = 0; i < 150 && !out.includes('router started') && p.exitCode === null; i++) await new Promise((r) => setTimeout(r, 100));
  t.regex(out, /router started/);
  p.kill('SIGINT');
  t.is(await exited, 0, out);
  const ri = parseRouterInfo(new Uint8Array(await readFile(join(dir, 'router.info'))));
  t.true(verifyRouterInfo(ri));
  t.is(routerInfoNetId(ri), 77);
  // ntcp2.port (file) wins over port (command line) for NTCP2, as in i2pd.
  t.is(addressOption(ri.addresses[0]!, 'port'), '23456');
  t.regex(ri.options.find(([k]) => k === 'caps')![1], /f/);
  // Logs never contain key material: no base64 of the private keys.
  const keys = await readFile(join(dir, 'router.keys'));
  t.false(out.includes(keys.subarray(391, 423).toString('base64')));
});

test('the console serves /api/status with the router hash; a busy console port is a clear start error', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'clove-cli-'));
  const { createServer } = await import('node:net');
  // Find a free port, then run clove with its console there.
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()));
  const port = (probe.address() as import('node:net').AddressInfo).port;
  await new Promise<void>((r) => probe.close(() => r()));
  const [cmd, a] = cloveCommand(['run', `--datadir=${dir}`, '--netid=77', '--host=127.0.0.1', '--port=23458', `--http.port=${port}`, '--loglevel=info', '--httpproxy.enabled=false', '--socksproxy.enabled=false', '--sam.enabled=false']);
  const p = spawn(cmd, a, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((res) => p.once('exit', (c) => res(c)));
  let out = '';
  p.stdout.on('data', (d: Buffer) => (out += d.toString()));
  p.stderr.on('data', (d: Buffer) => (out += d.toString()));
  try {
    for (let i = 0; i < 150 && !out.includes('console listening') && p.exitCode === null; i++) await new Promise((r) => setTimeout(r, 100));
    const r = await fetch(`http://127.0.0.1:${port}/api/status`);
    const s = (await r.json()) as Record<string, unknown>;
    const ri = parseRouterInfo(new Uint8Array(await readFile(join(dir, 'router.info'))));
    t.is(s.routerHash, Buffer.from(ri.identity.hash).toString('base64').replace(/\+/g, '-').replace(/\//g, '~'));
    t.is(s.netId, 77);
    t.deepEqual(s.peers, { ntcp2: 0, ssu2: 0 });
    t.is(typeof s.uptime, 'number');
    // A second router on the same console port fails to start, says why, and exits non-zero.
    const dir2 = await mkdtemp(join(tmpdir(), 'clove-cli-'));
    const r2 = await clove(['run', `--datadir=${dir2}`, '--netid=77', `--http.port=${port}`]);
    t.is(r2.code, 1);
    t.regex(r2.stderr, new RegExp(`cannot start the console on 127\\.0\\.0\\.1:${port}`));
  } finally {
    p.kill('SIGTERM');
    t.is(await exited, 0, out);
  }
});

test('SIGTERM while the router is still starting (services and SAM included) stops it cleanly: exit 0', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'clove-cli-'));
  const ports = { http: await freePort(), proxy: await freePort(), socks: await freePort(), sam: await freePort(), ntcp2: await freePort() };
  const [cmd, a] = cloveCommand([
    'run', `--datadir=${dir}`, '--netid=77', '--host=127.0.0.1', `--port=${ports.ntcp2}`, '--reseed.urls=', '--loglevel=info',
    `--http.port=${ports.http}`, `--httpproxy.port=${ports.proxy}`, `--socksproxy.port=${ports.socks}`, `--sam.port=${ports.sam}`,
  ]);
  const p = spawn(cmd, a, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((res) => p.once('exit', (c) => res(c)));
  let out = '';
  p.stdout.on('data', (d: Buffer) => (out += d.toString()));
  p.stderr.on('data', (d: Buffer) => (out += d.toString()));
  // router.info is written early in start(), before the services: signal right then.
  const riFile = join(dir, 'router.info');
  for (let i = 0; i < 3000 && p.exitCode === null; i++) {
    try {
      await readFile(riFile);
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 5));
    }
  }
  p.kill('SIGTERM');
  t.is(await exited, 0, out);
  t.regex(out, /router stopped/);
});
