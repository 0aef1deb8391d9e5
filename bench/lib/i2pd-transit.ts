/**
 * Part 2 of bench/transit.ts: i2pd 2.45.1 as a transit participant for traffic clove generates, in a network
 * namespace built with the interop harness (test/interop/harness.ts). i2pd's CPU time (utime + stime of
 * the whole process, /proc/<pid>/stat, in CLK_TCK ticks) is read around the run and over an idle window of
 * the same router before it (its own background work), and reported per forwarded message.
 * See bench/README.md "transit.ts".
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { readdir, readFile, rm, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { I2pd, NETID, Namespace, SUBNET, placeInNetDb, sleep, tempBase } from '../../test/interop/harness.js';
import { loadOrCreateNtcp2Keys, loadOrCreateRouterKeys } from '../../router/keys.js';
import { buildOurRouterInfo } from '../../router/router-info.js';
import { serializeRouterInfo } from '../../data/router-info.js';
import type { PeerConfig } from './transit-peer.js';

const run = promisify(execFile);

export interface I2pdTransitOptions {
  i2pd: number;
  n: number;
  window: number;
  batch: number;
  idleMs: number;
  /** Measured runs; the median (by µs/msg) is reported. */
  runs: number;
  log?: (s: string) => void;
}

export interface I2pdTransitResult {
  clkTck: number;
  sent: number;
  received: number;
  verified: number;
  mismatched: number;
  wallMs: number;
  /** i2pd CPU during the run (µs), its idle CPU rate (µs per second of wall time) and the corrected value. */
  cpuUs: number;
  idleUsPerSec: number;
  cpuNetUs: number;
  /** Net CPU per forwarded message, and the messages per second one core would forward at that cost. */
  usPerMsg: number;
  msgsPerCore: number;
  /** i2pd CPU during the run by thread name (µs, not idle-corrected). */
  threads: Record<string, number>;
  /** CPU of the clove peer process (NTCP2 both ways, making and counting the messages), µs per message. */
  peerUsPerMsg: number;
  /** usPerMsg of every measured run (the fields above are the median run's). */
  allUsPerMsg: number[];
}

interface Run {
  done: Record<string, unknown>;
  cpuUs: number;
  cpuNetUs: number;
  received: number;
  usPerMsg: number;
  threads: Record<string, number>;
}

interface ThreadTimes {
  total: number; // ticks
  threads: Record<string, number>;
}

function parseStat(s: string): { comm: string; ticks: number } {
  const open = s.indexOf('(');
  const close = s.lastIndexOf(')');
  const comm = s.slice(open + 1, close);
  const f = s.slice(close + 2).split(' '); // f[0] = field 3 (state); utime = field 14, stime = field 15
  return { comm, ticks: Number(f[11]) + Number(f[12]) };
}

async function cpuTimes(pid: number): Promise<ThreadTimes> {
  const total = parseStat(await readFile(`/proc/${pid}/stat`, 'utf8')).ticks;
  const threads: Record<string, number> = {};
  for (const tid of await readdir(`/proc/${pid}/task`).catch(() => [] as string[])) {
    const st = await readFile(`/proc/${pid}/task/${tid}/stat`, 'utf8').catch(() => undefined);
    if (!st) continue;
    const { comm, ticks } = parseStat(st);
    threads[comm] = (threads[comm] ?? 0) + ticks;
  }
  return { total, threads };
}

/** The pid of the i2pd whose command line names `datadir` (the harness keeps its child private). */
async function i2pdPid(datadir: string): Promise<number> {
  for (let i = 0; i < 50; i++) {
    for (const p of await readdir('/proc')) {
      if (!/^\d+$/.test(p)) continue;
      const cmd = await readFile(`/proc/${p}/cmdline`, 'utf8').catch(() => '');
      const argv = cmd.split('\0');
      if (argv[0]?.endsWith('i2pd') && argv.includes(`--datadir=${datadir}`)) return Number(p);
    }
    await sleep(100);
  }
  throw new Error(`no i2pd process for ${datadir}`);
}

/** [command, args] for the peer script: the compiled .js with node, or the .ts source through tsx. */
function peerCommand(cfg: PeerConfig): [string, string[], string] {
  const here = import.meta.url;
  const ts = here.endsWith('.ts');
  const file = fileURLToPath(new URL(`./transit-peer.${ts ? 'ts' : 'js'}`, here));
  const root = fileURLToPath(new URL(ts ? '../../' : '../../../', here));
  return [process.execPath, [...(ts ? ['--import', 'tsx'] : []), file, JSON.stringify(cfg)], root];
}

class Peer {
  readonly child: ChildProcess;
  readonly #queue: Record<string, unknown>[] = [];
  #wake: (() => void) | undefined;
  stderr = '';
  constructor(ns: Namespace, cfg: PeerConfig) {
    const [cmd, args, cwd] = peerCommand(cfg);
    this.child = spawn('ip', ['netns', 'exec', ns.name, cmd, ...args], { cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    createInterface({ input: this.child.stdout! }).on('line', (l) => {
      try {
        this.#queue.push(JSON.parse(l) as Record<string, unknown>);
      } catch {
        this.stderr += l + '\n';
      }
      this.#wake?.();
    });
    this.child.stderr!.on('data', (d: Buffer) => (this.stderr = (this.stderr + d.toString()).slice(-20_000)));
    this.child.once('exit', () => this.#wake?.());
  }
  async next(timeoutMs: number): Promise<Record<string, unknown>> {
    const until = Date.now() + timeoutMs;
    while (!this.#queue.length) {
      if (this.child.exitCode !== null || this.child.signalCode !== null) throw new Error(`peer exited: ${this.stderr.slice(-3000)}`);
      const left = until - Date.now();
      if (left <= 0) throw new Error(`peer: no answer in ${timeoutMs} ms: ${this.stderr.slice(-3000)}`);
      await new Promise<void>((res) => {
        this.#wake = res;
        setTimeout(res, Math.min(left, 500)).unref();
      });
      this.#wake = undefined;
    }
    const m = this.#queue.shift()!;
    if (m.event === 'error') throw new Error(`peer: ${String(m.error)}`);
    return m;
  }
  send(line: string): void {
    this.child.stdin?.write(line + '\n');
  }
  async stop(): Promise<void> {
    const c = this.child;
    if (c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise<void>((res) => c.once('exit', () => res()));
    c.stdin?.end('quit\n');
    const t = setTimeout(() => c.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(t);
  }
}

let activeCleanup: (() => Promise<void>) | undefined;

/** Stop the peer and i2pd and delete the namespace of a run in progress (for a signal handler). */
export async function abortI2pdTransit(): Promise<void> {
  await activeCleanup?.();
}

export async function measureI2pdTransit(o: I2pdTransitOptions): Promise<I2pdTransitResult> {
  const log = o.log ?? (() => undefined);
  const { stdout } = await run('getconf', ['CLK_TCK']);
  const clkTck = Number(stdout.trim()) || 100;
  const ns = await Namespace.create(o.i2pd + 2);
  const base = await tempBase('clove-bench-transit-');
  const routers = Array.from({ length: o.i2pd }, (_, k) => new I2pd(ns, base, { index: k + 1, floodfill: k === 0 }));
  let peer: Peer | undefined;
  let cleaned: Promise<void> | undefined;
  const cleanup = (): Promise<void> =>
    (cleaned ??= (async () => {
      await peer?.stop().catch(() => undefined);
      await Promise.all(routers.map((r) => r.stop().catch(() => undefined)));
      await ns.destroy();
      await rm(base, { recursive: true, force: true }).catch(() => undefined);
    })());
  activeCleanup = cleanup;
  try {
    // First boot writes each router.info; then all are cross-seeded with the peer's RouterInfo and restarted
    // (i2pd reads its netDb folder only at start), as the harness's bootNetwork does.
    log(`starting ${o.i2pd} i2pd in namespace ${ns.name}`);
    await Promise.all(routers.map((r) => r.start()));
    const infos = await Promise.all(routers.map(async (r) => ({ dir: r.dir, ri: await r.routerInfo() })));
    await Promise.all(routers.map((r) => r.stop()));

    const peerIndex = o.i2pd + 1;
    const peerHost = `${SUBNET}${peerIndex}`;
    const peerDir = join(base, 'clove-peer');
    await mkdir(peerDir, { recursive: true });
    const { keys } = await loadOrCreateRouterKeys(peerDir);
    const { keys: nk } = await loadOrCreateNtcp2Keys(peerDir);
    // Unpublished NTCP2 address and bandwidth class L: i2pd can reach us over our session but should not
    // pick us for its own tunnels.
    const ri = serializeRouterInfo(
      buildOurRouterInfo({ keys, ntcp2: { keys: nk, published: false }, netId: NETID, floodfill: false, bandwidth: 'L', published: Date.now() }),
    );
    await writeFile(join(peerDir, 'router.info'), ri);
    const all = [...infos.map((x) => x.ri), ri];
    for (const r of routers) for (const x of all) if (x !== infos[routers.indexOf(r)]!.ri) await placeInNetDb(r.dir, x);
    await Promise.all(routers.map((r) => r.start()));
    const target = routers[routers.length - 1]!; // the router under test (a non-floodfill when i2pd > 1)
    await target.waitConsole();
    const pid = await i2pdPid(target.dir);
    log(`i2pd under test: router ${target.index} (${target.host}), pid ${pid}`);

    peer = new Peer(ns, {
      datadir: peerDir,
      localAddress: peerHost,
      i2pdRouterInfo: join(target.dir, 'router.info'),
      netId: NETID,
      n: o.n,
      window: o.window,
      batch: o.batch,
      verify: 256,
    });
    await peer.next(30_000); // connected
    const built = await peer.next(30_000);
    log(`tunnel through i2pd: ${JSON.stringify(built)}`);
    if (built.accepted !== true) throw new Error(`i2pd declined the transit tunnel: ${JSON.stringify(built)}`);

    // One short run to warm up, then i2pd's idle CPU, then the measured run.
    peer.send('go');
    const warm = await peer.next(120_000);
    log(`warm-up run: ${JSON.stringify(warm)}`);
    await sleep(1000);
    const i0 = await cpuTimes(pid);
    const it0 = performance.now();
    await sleep(o.idleMs);
    const i1 = await cpuTimes(pid);
    const idleUsPerSec = (((i1.total - i0.total) * 1e6) / clkTck) / ((performance.now() - it0) / 1000);

    const runs: Run[] = [];
    for (let k = 0; k < o.runs; k++) {
      const c0 = await cpuTimes(pid);
      const ct0 = performance.now();
      peer.send('go');
      const done = await peer.next(600_000);
      const c1 = await cpuTimes(pid);
      const cwall = performance.now() - ct0;
      log(`measured run ${k + 1}: ${JSON.stringify(done)}`);
      const cpuUs = ((c1.total - c0.total) * 1e6) / clkTck;
      const cpuNetUs = Math.max(0, cpuUs - (idleUsPerSec * cwall) / 1000);
      const received = Number(done.received);
      const threads: Record<string, number> = {};
      for (const [name, v] of Object.entries(c1.threads)) {
        const d = ((v - (c0.threads[name] ?? 0)) * 1e6) / clkTck;
        if (d > 0) threads[name] = d;
      }
      runs.push({ done, cpuUs, cpuNetUs, received, usPerMsg: received ? cpuNetUs / received : NaN, threads });
      await sleep(500);
    }
    const sorted = [...runs].sort((a, b) => a.usPerMsg - b.usPerMsg);
    const m = sorted[Math.floor((sorted.length - 1) / 2)]!;
    return {
      clkTck,
      sent: Number(m.done.sent),
      received: m.received,
      verified: Number(m.done.verified),
      mismatched: Number(m.done.mismatched),
      wallMs: Number(m.done.wallMs),
      cpuUs: m.cpuUs,
      idleUsPerSec,
      cpuNetUs: m.cpuNetUs,
      usPerMsg: m.usPerMsg,
      msgsPerCore: 1e6 / m.usPerMsg,
      threads: m.threads,
      peerUsPerMsg: m.received ? Number(m.done.peerCpuUs) / m.received : NaN,
      allUsPerMsg: runs.map((r) => r.usPerMsg),
    };
  } finally {
    await cleanup();
    activeCleanup = undefined;
  }
}
