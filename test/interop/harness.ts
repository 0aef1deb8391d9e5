/**
 * The interop harness: a private I2P network of i2pd 2.45.1 routers (Debian package) and clove, inside a
 * network namespace this harness creates.
 *
 * Why a namespace on 198.18.0.0/15: i2pd 2.45.1 refuses NTCP2/SSU2 peers on loopback and private ranges whatever
 * its config says, and its reserved-range table misses 198.18.0.0/15 (the RFC 2544 benchmarking range). The
 * namespace has only its own `lo`, carrying 198.18.0.1..N, so nothing can leave it: every packet of these tests
 * stays inside. The test process itself stays in the root namespace and NEVER dials a 198.18 address directly;
 * whatever talks to a router runs inside the namespace (`ip netns exec`).
 *
 * Layout: one temp base folder; i2pd router i lives in base/i2pd-i, listens on 198.18.0.i:12345 (NTCP2+SSU2),
 * console on 198.18.0.i:7070; netid 77; routers 1..floodfills are floodfills.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile, copyFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createHash } from 'node:crypto';

const run = promisify(execFile);

export const NETID = 77;

/**
 * Pool options for a site hosted by i2pd 2.45.1 (a tunnels.conf section's tail). i2pd publishes a LeaseSet
 * only if the destination already has an outbound tunnel when its first inbound tunnel is built
 * (Destination.cpp Publish: "Can't publish LeaseSet. Destination is not ready", no retry) and tries again
 * only when another inbound tunnel is built — with 2 tunnels, about ten minutes later. Inbound builds often
 * finish first here, so such a site could stay unreachable for ten minutes. A zero-hop outbound tunnel
 * exists at once; the site's inbound tunnels stay 3 hops.
 */
export const I2PD_SITE_POOL = 'inbound.length = 3\ninbound.quantity = 2\noutbound.length = 0\noutbound.quantity = 2\n';
export const SUBNET = '198.18.0.';

/** Why the interop suite cannot run here, or undefined when it can. */
export function interopUnavailable(): string | undefined {
  if (process.platform !== 'linux') return 'interop tests need Linux network namespaces';
  if (process.getuid?.() !== 0) return 'interop tests need root (ip netns add)';
  if (!existsSync('/usr/sbin/i2pd') && !existsSync('/usr/bin/i2pd')) return 'i2pd is not installed (apt-get install -y i2pd)';
  if (!existsSync('/usr/sbin/ip') && !existsSync('/sbin/ip') && !existsSync('/usr/bin/ip')) return 'iproute2 is not installed';
  return undefined;
}

/** I2P base64 of the SHA-256 of a RouterInfo's identity (the router hash), computed from raw RI bytes. */
export function routerHashOf(routerInfo: Uint8Array): string {
  // KeysAndCert: 384 bytes, then certificate type(1) + length(2) + payload.
  const certLen = (routerInfo[385]! << 8) | routerInfo[386]!;
  const id = routerInfo.subarray(0, 387 + certLen);
  return i2pBase64(createHash('sha256').update(id).digest());
}

function i2pBase64(b: Uint8Array): string {
  return Buffer.from(b).toString('base64').replace(/\+/g, '-').replace(/\//g, '~');
}

export class Namespace {
  readonly name: string;
  private constructor(name: string) {
    this.name = name;
  }

  /** Create a fresh namespace with `lo` up and 198.18.0.1..hosts on it. */
  static async create(hosts = 40): Promise<Namespace> {
    const name = `clove-${process.pid}-${Math.floor(Math.random() * 1e6)}`;
    await run('ip', ['netns', 'add', name]);
    const ns = new Namespace(name);
    await ns.exec('ip', ['link', 'set', 'lo', 'up']);
    // One batch call: `ip -batch` reads commands from a file.
    const batch = Array.from({ length: hosts }, (_, i) => `addr add ${SUBNET}${i + 1}/32 dev lo`).join('\n') + '\n';
    const dir = await mkdtemp(join(tmpdir(), 'clove-ns-'));
    await writeFile(join(dir, 'batch'), batch);
    await ns.exec('ip', ['-batch', join(dir, 'batch')]);
    await rm(dir, { recursive: true, force: true });
    return ns;
  }

  exec(cmd: string, args: string[], opts: { timeout?: number } = {}): Promise<{ stdout: string; stderr: string }> {
    return run('ip', ['netns', 'exec', this.name, cmd, ...args], { timeout: opts.timeout ?? 30_000, maxBuffer: 64 << 20 });
  }

  spawn(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): ChildProcess {
    return spawn('ip', ['netns', 'exec', this.name, cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
  }

  /** HTTP GET from inside the namespace (node's fetch, run there). Returns status and body text. */
  async httpGet(url: string, timeoutMs = 10_000): Promise<{ status: number; body: string }> {
    const script = `fetch(process.argv[1], { signal: AbortSignal.timeout(${timeoutMs}) })
      .then(async r => { process.stdout.write(JSON.stringify({ status: r.status, body: await r.text() })) })
      .catch(e => { process.stdout.write(JSON.stringify({ status: 0, body: String(e) })) })`;
    const { stdout } = await this.exec(process.execPath, ['-e', script, url], { timeout: timeoutMs + 5_000 });
    return JSON.parse(stdout) as { status: number; body: string };
  }

  async destroy(): Promise<void> {
    await run('ip', ['netns', 'del', this.name]).catch(() => undefined);
  }
}

export interface I2pdOptions {
  index: number; // router i on 198.18.0.i
  floodfill?: boolean;
  ssu2?: boolean;
  extra?: string; // appended to i2pd.conf
  /** Enable i2pd's HTTP proxy on 198.18.0.<index>:4444. */
  httpProxy?: boolean;
  /** Enable i2pd's SOCKS proxy on 198.18.0.<index>:4447. */
  socksProxy?: boolean;
  /** Enable i2pd's SAM bridge on 198.18.0.<index>:7656 (i2pd takes UDP datagrams on port - 1, 7655). */
  sam?: boolean;
  /** tunnels.conf content (i2pd format). */
  tunnels?: string;
}

export class I2pd {
  readonly index: number;
  readonly dir: string;
  readonly host: string;
  readonly ns: Namespace;
  private child: ChildProcess | undefined;
  private readonly opts: I2pdOptions;

  constructor(ns: Namespace, base: string, opts: I2pdOptions) {
    this.ns = ns;
    this.opts = opts;
    this.index = opts.index;
    this.dir = join(base, `i2pd-${opts.index}`);
    this.host = `${SUBNET}${opts.index}`;
  }

  get consoleUrl(): string {
    return `http://${this.host}:7070/`;
  }

  private config(): string {
    const ssu2 = this.opts.ssu2 ?? false;
    return `log = file
logfile = ${join(this.dir, 'log')}
loglevel = ${process.env.I2PD_LOGLEVEL ?? 'info'}
host = ${this.host}
address4 = ${this.host}
nat = false
ipv4 = true
ipv6 = false
reservedrange = false
netid = ${NETID}
port = 12345
floodfill = ${this.opts.floodfill ? 'true' : 'false'}
bandwidth = X
[ntcp2]
enabled = true
published = true
[ssu2]
enabled = ${ssu2}
published = ${ssu2}
[http]
address = ${this.host}
port = 7070
strictheaders = false
[httpproxy]
enabled = ${this.opts.httpProxy ? 'true' : 'false'}
address = ${this.host}
port = 4444
[socksproxy]
enabled = ${this.opts.socksProxy ? 'true' : 'false'}
address = ${this.host}
port = 4447
[sam]
enabled = ${this.opts.sam ? 'true' : 'false'}
address = ${this.host}
port = 7656
[addressbook]
enabled = false
[reseed]
urls =
threshold = 0
verify = false
[upnp]
enabled = false
[nettime]
enabled = false
${this.opts.extra ?? ''}
`;
  }

  async prepare(): Promise<void> {
    await mkdir(join(this.dir, 'tunnels.d'), { recursive: true });
    await writeFile(join(this.dir, 'i2pd.conf'), this.config());
    await writeFile(join(this.dir, 'tunnels.conf'), this.opts.tunnels ?? '');
  }

  async start(): Promise<void> {
    await this.prepare();
    const d = this.dir;
    this.child = this.ns.spawn('i2pd', [
      `--datadir=${d}`, `--conf=${d}/i2pd.conf`, `--tunconf=${d}/tunnels.conf`, `--tunnelsdir=${d}/tunnels.d`,
      `--pidfile=${d}/i2pd.pid`,
    ]);
    this.child.stdout?.resume();
    this.child.stderr?.resume();
  }

  /** Wait until i2pd wrote its router.info; returns its bytes. */
  async routerInfo(timeoutMs = 20_000): Promise<Uint8Array> {
    const f = join(this.dir, 'router.info');
    const until = Date.now() + timeoutMs;
    while (Date.now() < until) {
      if (existsSync(f)) {
        const b = await readFile(f);
        if (b.length > 387) return new Uint8Array(b);
      }
      await sleep(200);
    }
    throw new Error(`i2pd ${this.index} wrote no router.info in ${timeoutMs} ms`);
  }

  /** Place a RouterInfo in this router's netDb folder the way i2pd lays it out. */
  async addToNetDb(routerInfo: Uint8Array): Promise<string> {
    return placeInNetDb(this.dir, routerInfo);
  }

  /** The console's main page, fetched from inside the namespace. */
  async consolePage(query = ''): Promise<string> {
    const r = await this.ns.httpGet(this.consoleUrl + query);
    if (r.status !== 200) throw new Error(`i2pd ${this.index} console: ${r.status} ${r.body.slice(0, 200)}`);
    return r.body;
  }

  /** Wait until the console answers. */
  async waitConsole(timeoutMs = 20_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    let last = '';
    while (Date.now() < until) {
      const r = await this.ns.httpGet(this.consoleUrl, 2_000);
      if (r.status === 200) return;
      last = r.body;
      await sleep(300);
    }
    throw new Error(`i2pd ${this.index} console did not answer: ${last.slice(0, 200)}`);
  }

  /** "Routers: N" from the console's main page. */
  async knownRouters(): Promise<number> {
    const page = await this.consolePage();
    const m = /Routers:<\/b>\s*(\d+)/.exec(page);
    if (!m) throw new Error(`i2pd ${this.index}: no router count on the console page`);
    return Number(m[1]);
  }

  async log(): Promise<string> {
    return readFile(join(this.dir, 'log'), 'utf8').catch(() => '');
  }

  async stop(): Promise<void> {
    const c = this.child;
    if (!c || c.exitCode !== null) return;
    // The child is `ip netns exec`, which execs i2pd in place: the pid is i2pd's.
    const exited = new Promise<void>((res) => c.once('exit', () => res()));
    c.kill('SIGTERM');
    const t = setTimeout(() => c.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(t);
  }
}

export async function placeInNetDb(datadir: string, routerInfo: Uint8Array): Promise<string> {
  const h = routerHashOf(routerInfo);
  const dir = join(datadir, 'netDb', `r${h[0]}`);
  await mkdir(dir, { recursive: true });
  const file = join(dir, `routerInfo-${h}.dat`);
  await writeFile(file, routerInfo);
  return file;
}

export async function tempBase(prefix = 'clove-interop-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export { copyFile };

/** A clove router run by its CLI inside the namespace, on 198.18.0.<index>. */
export class CloveNode {
  readonly index: number;
  readonly dir: string;
  readonly host: string;
  readonly ns: Namespace;
  private child: ChildProcess | undefined;
  private exited: Promise<number | null> | undefined;
  output = '';

  constructor(ns: Namespace, base: string, index: number) {
    this.ns = ns;
    this.index = index;
    this.host = `${SUBNET}${index}`;
    this.dir = join(base, `clove-${index}`);
  }

  get consoleUrl(): string {
    return `http://${this.host}:7070`;
  }

  async start(extra: string[] = []): Promise<void> {
    const { cloveCommand, REPO_ROOT } = await import('../helpers/clove.js');
    const [cmd, args] = cloveCommand([
      'run',
      `--datadir=${this.dir}`,
      `--netid=${NETID}`,
      `--host=${this.host}`,
      `--address4=${this.host}`,
      '--port=12345',
      '--reservedrange=false',
      '--reseed.urls=',
      `--http.address=${this.host}`,
      '--http.port=7070',
      `--httpproxy.address=${this.host}`,
      `--socksproxy.address=${this.host}`,
      `--loglevel=${process.env.CLOVE_LOGLEVEL ?? 'info'}`,
      ...extra,
    ]);
    const c = this.ns.spawn(cmd, args, { cwd: REPO_ROOT });
    this.child = c;
    this.exited = new Promise((res) => c.once('exit', (code) => res(code)));
    c.stdout?.on('data', (d: Buffer) => (this.output = (this.output + d.toString()).slice(-200_000)));
    c.stderr?.on('data', (d: Buffer) => (this.output = (this.output + d.toString()).slice(-200_000)));
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null;
  }

  async routerInfo(timeoutMs = 20_000): Promise<Uint8Array> {
    const f = join(this.dir, 'router.info');
    const until = Date.now() + timeoutMs;
    while (Date.now() < until) {
      if (existsSync(f)) return new Uint8Array(await readFile(f));
      if (this.child && this.child.exitCode !== null) break;
      await sleep(100);
    }
    throw new Error(`clove wrote no router.info: ${this.output.slice(-2000)}`);
  }

  async api<T>(path: string): Promise<T> {
    const r = await this.ns.httpGet(this.consoleUrl + path);
    if (r.status !== 200) throw new Error(`clove console ${path}: ${r.status} ${r.body.slice(0, 300)}`);
    return JSON.parse(r.body) as T;
  }

  /** SIGTERM and wait; resolves with the exit code. */
  async stop(): Promise<number | null> {
    if (!this.child || this.child.exitCode !== null) return this.child?.exitCode ?? null;
    this.child.kill('SIGTERM');
    const t = setTimeout(() => this.child?.kill('SIGKILL'), 15_000);
    const code = await this.exited!;
    clearTimeout(t);
    return code;
  }
}

/**
 * Boot a network: i2pd routers 1..n (1..floodfills are floodfills) and clove nodes, every RouterInfo copied
 * into every other router's netDb folder (i2pd reads its netDb only at start, so first run writes the
 * router.info files, then all are stopped, cross-seeded and started again).
 */
export async function bootNetwork(opts: {
  ns: Namespace;
  base: string;
  i2pd: number;
  floodfills: number;
  clove: number[]; // indexes, e.g. [20]
  cloveArgs?: string[];
  /** Which RouterInfo goes into which netDb folder (names 'i2pd-1', 'clove-20'); default: all into all. */
  seed?: (from: string, to: string) => boolean;
  /** Per-router options for i2pd i (1-based). */
  i2pdOptions?: (index: number) => Partial<I2pdOptions>;
}): Promise<{ i2pd: I2pd[]; clove: CloveNode[]; firstBoot: Map<string, Uint8Array> }> {
  const i2pd = Array.from(
    { length: opts.i2pd },
    (_, k) => new I2pd(opts.ns, opts.base, { index: k + 1, floodfill: k < opts.floodfills, ...opts.i2pdOptions?.(k + 1) }),
  );
  const clove = opts.clove.map((i) => new CloveNode(opts.ns, opts.base, i));
  await Promise.all(i2pd.map((r) => r.start()));
  await Promise.all(clove.map((c) => c.start(opts.cloveArgs)));
  const infos = [
    ...(await Promise.all(i2pd.map(async (r) => ({ name: `i2pd-${r.index}`, dir: r.dir, ri: await r.routerInfo() })))),
    ...(await Promise.all(clove.map(async (c) => ({ name: `clove-${c.index}`, dir: c.dir, ri: await c.routerInfo() })))),
  ];
  await Promise.all([...i2pd.map((r) => r.stop()), ...clove.map((c) => c.stop())]);
  const seed = opts.seed ?? (() => true);
  for (const a of infos) for (const b of infos) if (a !== b && seed(a.name, b.name)) await placeInNetDb(b.dir, a.ri);
  await Promise.all(i2pd.map((r) => r.start()));
  await Promise.all(clove.map((c) => c.start(opts.cloveArgs)));
  // The RouterInfos written at the first boot (what every netDb folder was seeded with), by router hash.
  const firstBoot = new Map(infos.map((x) => [routerHashOf(x.ri), x.ri]));
  return { i2pd, clove, firstBoot };
}
