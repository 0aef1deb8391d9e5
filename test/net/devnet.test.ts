/**
 * Issue "`clove devnet`": the real CLI starts an offline network of clove routers on 127.0.0.1; once it says
 * ready, real curl fetches the demo hidden site through its HTTP proxy and through its SOCKS5 proxy (host
 * name resolved by the proxy), byte-exact; SIGINT stops it with exit code 0 and removes its temp dir. With
 * --datadir the network is kept, and a second run comes back with the same netId and the same site address.
 * All listeners are moved to free ports so the test clashes with nothing.
 */
import test from 'ava';
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { cloveCommand, REPO_ROOT } from '../helpers/clove.js';
import { freePort, until } from '../helpers/net.js';
import { demoBig, demoPage, type DevnetReady } from '../../router/devnet.js';

const run = promisify(execFile);

interface Running {
  child: ChildProcess;
  out: () => string;
  exit: Promise<number | null>;
}

async function startDevnet(args: string[]): Promise<Running> {
  const [cmd, a] = cloveCommand(['devnet', ...args]);
  const child = spawn(cmd, a, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exit = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { child, out: () => out, exit };
}

async function waitReady(t: import('ava').ExecutionContext, r: Running, readyFile: string): Promise<DevnetReady> {
  let exited = false;
  void r.exit.then(() => (exited = true));
  await until(() => exited || existsSync(readyFile), 180_000, 100);
  if (!existsSync(readyFile)) {
    r.child.kill('SIGKILL');
    throw new Error(`devnet not ready (exited: ${exited}):\n${r.out()}`);
  }
  t.log(r.out().trim());
  return JSON.parse(await readFile(readyFile, 'utf8')) as DevnetReady;
}

async function ports(): Promise<{ args: string[]; http: number; socks: number }> {
  const [console, http, socks, sam] = [await freePort(), await freePort(), await freePort(), await freePort()];
  return { http, socks, args: [`--http.port=${console}`, `--httpproxy.port=${http}`, `--socksproxy.port=${socks}`, `--sam.port=${sam}`] };
}

async function curl(args: string[]): Promise<Buffer> {
  const r = await run('curl', ['--silent', '--show-error', '--fail', '--max-time', '120', ...args], { encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 });
  return r.stdout;
}

test.serial('clove devnet: curl reaches the demo site through the HTTP and SOCKS proxies; SIGINT cleans up', async (t) => {
  t.timeout(6 * 60_000);
  const p = await ports();
  const readyFile = join(await mkdtemp(join(tmpdir(), 'clove-devnet-ready-')), 'ready.json');
  const r = await startDevnet([`--ready-file=${readyFile}`, ...p.args]);
  try {
    const ready = await waitReady(t, r, readyFile);
    t.regex(ready.b32, /^[a-z2-7]{52}\.b32\.i2p$/);
    t.is(ready.routers, 5);
    t.is(ready.hops, 3);
    t.not(ready.netId, 2);
    t.deepEqual(ready.httpproxy, { address: '127.0.0.1', port: p.http });
    t.deepEqual(ready.socksproxy, { address: '127.0.0.1', port: p.socks });
    t.true(existsSync(ready.datadir));
    t.log(`ready in ${ready.readyMs} ms`);
    // what it tells the user to try is what works
    t.true(r.out().includes(`curl -x http://127.0.0.1:${p.http} http://${ready.b32}/`));
    t.true(r.out().includes(`curl --socks5-hostname 127.0.0.1:${p.socks} http://${ready.b32}/`));

    const page = demoPage({ b32: ready.b32, routers: ready.routers, hops: ready.hops });
    const viaHttp = await curl(['-x', `http://127.0.0.1:${p.http}`, `http://${ready.b32}/`]);
    t.is(viaHttp.toString('utf8'), page);
    const viaSocks = await curl(['--socks5-hostname', `127.0.0.1:${p.socks}`, `http://${ready.b32}/`]);
    t.is(viaSocks.toString('utf8'), page);
    const big = await curl(['-x', `http://127.0.0.1:${p.http}`, `http://${ready.b32}/big`]);
    t.is(big.length, demoBig().length);
    t.is(createHash('sha256').update(big).digest('hex'), createHash('sha256').update(demoBig()).digest('hex'));

    r.child.kill('SIGINT');
    t.is(await r.exit, 0, r.out());
    t.false(existsSync(ready.datadir), 'temp dir removed');
    t.false(existsSync(readyFile), 'ready file removed');
    t.regex(r.out(), /devnet stopped/);
  } finally {
    if (r.child.exitCode === null) {
      r.child.kill('SIGKILL');
      await r.exit;
    }
    await rm(join(readyFile, '..'), { recursive: true, force: true });
  }
});

test.serial('clove devnet --datadir keeps the network: same netId and demo address on the next run', async (t) => {
  t.timeout(6 * 60_000);
  const dir = join(await mkdtemp(join(tmpdir(), 'clove-devnet-keep-')), 'net');
  const readyFile = join(dir, '..', 'ready.json');
  const runs: DevnetReady[] = [];
  try {
    for (let i = 0; i < 2; i++) {
      const p = await ports();
      const r = await startDevnet(['--routers=4', `--datadir=${dir}`, `--ready-file=${readyFile}`, '--socksproxy.enabled=false', ...p.args.filter((a) => !a.startsWith('--socksproxy'))]);
      try {
        const ready = await waitReady(t, r, readyFile);
        t.is(ready.datadir, dir);
        t.is(ready.socksproxy, null);
        const page = await curl(['-x', `http://127.0.0.1:${p.http}`, `http://${ready.b32}/`]);
        t.is(page.toString('utf8'), demoPage({ b32: ready.b32, routers: 4, hops: 3 }));
        runs.push(ready);
        r.child.kill('SIGTERM');
        t.is(await r.exit, 0, r.out());
        t.true(existsSync(join(dir, 'router-0', 'router.keys')), 'kept');
      } finally {
        if (r.child.exitCode === null) {
          r.child.kill('SIGKILL');
          await r.exit;
        }
      }
    }
    t.is(runs[1]!.netId, runs[0]!.netId);
    t.is(runs[1]!.b32, runs[0]!.b32);
  } finally {
    await rm(join(dir, '..'), { recursive: true, force: true });
  }
});

test.serial('clove devnet interrupted while starting still exits 0 and removes its temp dir', async (t) => {
  t.timeout(3 * 60_000);
  const p = await ports();
  const r = await startDevnet(p.args);
  try {
    // SIGINT as soon as the routers are up: whatever step it lands in, the stop is clean.
    t.true(await until(() => /routers up/.test(r.out()) || r.child.exitCode !== null, 120_000, 20), r.out());
    const dir = /data in (\S+) \(removed on exit\)/.exec(r.out())?.[1];
    t.truthy(dir, r.out());
    r.child.kill('SIGINT');
    t.is(await r.exit, 0, r.out());
    t.regex(r.out(), /devnet stopped/);
    t.false(existsSync(dir!), 'temp dir removed');
  } finally {
    if (r.child.exitCode === null) {
      r.child.kill('SIGKILL');
      await r.exit;
    }
  }
});
