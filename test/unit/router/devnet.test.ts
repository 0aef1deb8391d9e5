/**
 * `clove devnet` before any network: its arguments (router/devnet.ts parseDevnetArgs), the busy-port check
 * through the real CLI, and seedEachOther (the RouterInfos it seeds are the ones the routers then publish).
 */
import test from 'ava';
import { execFile } from 'node:child_process';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { cloveCommand, REPO_ROOT } from '../../helpers/clove.js';
import { isConfigError, loadConfig } from '../../../conf/index.js';
import {
  DEVNET_DEFAULT_ROUTERS,
  DevnetError,
  checkListenerPorts,
  parseDevnetArgs,
  seedEachOther,
  userListeners,
  PRIVATE_NETID_MIN,
  PRIVATE_NETID_MAX,
  randomNetId,
} from '../../../router/devnet.js';
import { loadNetDbFolder } from '../../../netdb/folder.js';
import { Router } from '../../../router/router.js';
import { freePort } from '../../helpers/net.js';
import { toBase64 } from '../../../data/base64.js';

const run = promisify(execFile);

async function clove(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const [cmd, a] = cloveCommand(args);
  try {
    const r = await run(cmd, a, { cwd: REPO_ROOT, timeout: 60_000 });
    return { code: 0, ...r };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, stdout: x.stdout, stderr: x.stderr };
  }
}

function configError(t: import('ava').ExecutionContext, argv: string[], key: string, pattern: RegExp): void {
  const e = t.throws(() => parseDevnetArgs(argv));
  t.true(isConfigError(e), `${argv.join(' ')}: ${String(e)}`);
  t.true(e!.message.includes(key), e!.message);
  t.regex(e!.message, pattern);
}

test('defaults and accepted forms', (t) => {
  const d = parseDevnetArgs([]);
  t.is(d.routers, DEVNET_DEFAULT_ROUTERS);
  t.is(d.datadir, undefined);
  t.deepEqual(d.options, []);
  const a = parseDevnetArgs(['--routers', '7', '--datadir=/x/y', '--ready-file=r.json', '--httpproxy.port=8444', '--sam.enabled=false', '--loglevel', 'info']);
  t.is(a.routers, 7);
  t.is(a.datadir, '/x/y');
  t.is(a.readyFile, 'r.json');
  t.deepEqual(a.options, [
    ['httpproxy.port', '8444'],
    ['sam.enabled', 'false'],
    ['loglevel', 'info'],
  ]);
  t.true(parseDevnetArgs(['--help']).help);
});

test('bad --routers, unknown options and options devnet owns are refused, naming the option', (t) => {
  configError(t, ['--routers=2'], 'routers', /expected an integer 3\.\.32, got '2'/);
  configError(t, ['--routers=33'], 'routers', /got '33'/);
  configError(t, ['--routers=five'], 'routers', /got 'five'/);
  configError(t, ['--routers'], 'routers', /needs a value/);
  configError(t, ['--routers=4', '--routers=5'], 'routers', /more than once/);
  configError(t, ['--flux=1'], 'flux', /unknown option/);
  configError(t, ['--netid=7'], 'netid', /devnet sets 'netid' itself/);
  configError(t, ['--reservedrange=true'], 'reservedrange', /devnet sets/);
  configError(t, ['--httpproxy.port=70000'], 'httpproxy.port', /expected an integer 0\.\.65535/);
  configError(t, ['--datadir='], 'datadir', /expected a path/);
  configError(t, ['stray'], 'stray', /unexpected argument/);
});

test('the listeners in effect follow i2pd defaults, the options and .enabled', (t) => {
  t.deepEqual(
    userListeners(parseDevnetArgs([])).map((l) => `${l.key}=${l.address}:${l.port}`),
    ['http.port=127.0.0.1:7070', 'httpproxy.port=127.0.0.1:4444', 'socksproxy.port=127.0.0.1:4447', 'sam.port=127.0.0.1:7656'],
  );
  t.deepEqual(
    userListeners(parseDevnetArgs(['--sam.enabled=false', '--http.enabled=false', '--socksproxy.port=9050'])).map((l) => `${l.key}=${l.port}`),
    ['httpproxy.port=4444', 'socksproxy.port=9050'],
  );
});

async function occupy(): Promise<{ server: Server; port: number }> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { server, port: (server.address() as AddressInfo).port };
}

test('a busy port names its key; two listeners on one port are refused', async (t) => {
  const { server, port } = await occupy();
  try {
    const e = await t.throwsAsync(checkListenerPorts(userListeners(parseDevnetArgs([`--socksproxy.port=${port}`, '--httpproxy.port=0', '--http.enabled=false', '--sam.enabled=false']))));
    t.true(e instanceof DevnetError);
    t.is(e!.message, `port ${port} on 127.0.0.1 for the SOCKS proxy (socksproxy.port) is in use: pick another with --socksproxy.port=PORT, or turn it off with --socksproxy.enabled=false`);
  } finally {
    server.close();
  }
  const free = await freePort();
  const dup = await t.throwsAsync(checkListenerPorts(userListeners(parseDevnetArgs([`--httpproxy.port=${free}`, `--sam.port=${free}`, '--http.enabled=false', '--socksproxy.enabled=false']))));
  t.regex(dup!.message, new RegExp(`httpproxy\\.port and sam\\.port are both 127\\.0\\.0\\.1:${free}`));
});

test('CLI: bad arguments exit 2 with the option named; a busy port exits 1 before anything is created', async (t) => {
  const bad = await clove(['devnet', '--routers=1']);
  t.is(bad.code, 2);
  t.regex(bad.stderr, /^clove devnet: command line: routers: expected an integer 3\.\.32, got '1'/);

  const help = await clove(['devnet', '--help']);
  t.is(help.code, 0);
  t.regex(help.stdout, /usage: clove devnet/);

  const { server, port } = await occupy();
  const parent = await mkdtemp(join(tmpdir(), 'clove-devnet-test-'));
  const dir = join(parent, 'net');
  try {
    const busy = await clove(['devnet', `--datadir=${dir}`, `--httpproxy.port=${port}`, '--http.enabled=false', '--socksproxy.enabled=false', '--sam.enabled=false']);
    t.is(busy.code, 1);
    t.regex(busy.stderr, new RegExp(`port ${port} on 127\\.0\\.0\\.1 for the HTTP proxy \\(httpproxy\\.port\\) is in use: pick another with --httpproxy\\.port=PORT`));
    t.false(existsSync(dir), 'nothing created before the ports were checked');
  } finally {
    server.close();
    await rm(parent, { recursive: true, force: true });
  }
});

test('randomNetId stays in the range for test networks', (t) => {
  for (let i = 0; i < 500; i++) {
    const n = randomNetId();
    t.true(n >= PRIVATE_NETID_MIN && n <= PRIVATE_NETID_MAX && n !== 2, String(n));
  }
});

test('seedEachOther: every router finds the others in its netDb folder, as they then publish themselves', async (t) => {
  const netId = randomNetId();
  const configs = [];
  for (let i = 0; i < 3; i++) {
    const datadir = await mkdtemp(join(tmpdir(), 'clove-seed-'));
    const port = await freePort();
    configs.push(
      loadConfig({
        argv: [`--datadir=${datadir}`, `--netid=${netId}`, '--host=127.0.0.1', '--address4=127.0.0.1', `--port=${port}`, '--reservedrange=false', '--reseed.urls=',
          '--http.enabled=false', '--httpproxy.enabled=false', '--socksproxy.enabled=false', '--sam.enabled=false', ...(i === 0 ? ['--floodfill'] : [])],
      }).config,
    );
  }
  const infos = await seedEachOther(configs);
  for (const [i, c] of configs.entries()) {
    const loaded = await loadNetDbFolder(c.datadir, { netId });
    t.deepEqual(loaded.removed, []);
    t.deepEqual(
      loaded.routerInfos.map((ri) => toBase64(ri.identity.hash)).sort(),
      infos.filter((_, j) => j !== i).map((ri) => toBase64(ri.identity.hash)).sort(),
    );
  }
  // The router started on a seeded datadir keeps the identity and the address that were seeded.
  const r = new Router(configs[1]!);
  try {
    await r.start();
    t.is(r.routerHash, toBase64(infos[1]!.identity.hash));
    t.deepEqual(r.routerInfo.addresses, infos[1]!.addresses);
    t.deepEqual(r.routerInfo.options, infos[1]!.options);
    t.is(r.status().netdb.routers, 2);
  } finally {
    await r.stop();
    for (const c of configs) await rm(c.datadir, { recursive: true, force: true });
  }
});
