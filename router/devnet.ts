/**
 * `clove devnet`: an offline private I2P network of N clove routers in one process on 127.0.0.1, a demo
 * hidden site, and the usual client services (HTTP proxy 4444, SOCKS 4447, SAM 7656, console 7070) on the
 * last router — so a newcomer sees clove carry a request through real I2P tunnels within seconds.
 *
 * Specs: ../shared/specs/docs/how-network-database.html "RouterInfo" (netId: "a router will refuse to
 * communicate with a peer having a different netId"; 16–254 are for "Forks and Test Networks") and
 * "Bootstrapping" (a router needs RouterInfos to start from: here every router's netDb folder is seeded with
 * every other's RouterInfo, in i2pd's layout, before it starts — no reseed); spec/common-structures.rst
 * "RouterInfo"; spec/ntcp2.rst "Published Router Info". i2pd 2.45.1 has no such command; its equivalent is a
 * set of datadirs with `netid`, `reservedrange = false`, and netDb folders seeded by hand (what
 * test/interop/harness.ts does with i2pd itself).
 *
 * The network (N routers, default 5, 3..32):
 *   - routers 0 and 1 are floodfills; router N-2 hosts the demo site (a node:http server on 127.0.0.1 behind
 *     a destination made with Router.createDestination, keys in demo.dat, each stream spliced to the server
 *     as a `type = server` tunnel does); router N-1 is the user's: console, HTTP and SOCKS proxies and SAM, on
 *     their usual ports unless `--http.port=…` etc. say otherwise (i2pd's key names). Every other router has
 *     every client service off.
 *   - Start order: routers 0..N-2 one after the other, then N-1, then the demo destination. A router builds
 *     tunnels as soon as it starts, and a build whose first hop is not listening yet is given up only at the
 *     30 s build timeout (tunnels/manager.ts TUNNEL_BUILD_TIMEOUT_MS) — so the tunnels devnet waits for
 *     (proxy, demo site) are built when every router listens. Not all at once: routers started together dial
 *     each other at the same moment, one side closes the duplicate NTCP2 session, and build messages already
 *     in it are lost (30 s again). Early routers' exploratory tunnels may take those 30 s; the demo does not
 *     need them (floodfills answer straight to a tunnel gateway without them).
 *   - NTCP2 on 127.0.0.1 with random free ports, `reservedrange = false` (loopback allowed here only),
 *     a random private netId (16..254, never 2), no reseed URLs.
 *   - Client tunnels stay real multi-hop: min(3, N-1) hops each way (3 from 4 routers up), 2 tunnels each
 *     way for the demo site and the proxies. Exploratory tunnels are 1 hop (i2pd default 2): they only carry
 *     netDb traffic here, and short ones build at once.
 *   - With `--datadir=DIR` the network lives in DIR (DIR/devnet.json keeps the netId; DIR/router-<i> keep
 *     the identities and the demo site's keys, so its b32 stays the same across runs); otherwise in a temp
 *     dir that is removed on exit. The netDb folders are cleared and re-seeded at every start (ports change).
 *
 * Ready means a request went through end to end: the demo LeaseSet is stored at a floodfill, the proxy
 * destination has tunnels, and one GET through the proxy (the HTTP proxy, else SOCKS) returned the page.
 * That warm-up also puts the demo LeaseSet in the proxy destination's cache, so the user's first curl does
 * not pay for (or miss) a lookup.
 *
 * Deviations: none on the wire — every router speaks to the others as it would to i2pd. Router logs default
 * to `loglevel = error` here (`--loglevel=info` for more): devnet prints its own progress.
 */
import { createServer as createHttpServer, request as httpRequest, type Server, type IncomingMessage } from 'node:http';
import { createServer as createNetServer, connect as netConnect, type AddressInfo } from 'node:net';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { randomInt } from 'node:crypto';
import { COMMAND_LINE, ConfigError, isConfigError } from '../conf/errors.js';
import { SCHEMA, isOptionName, sectionOf, type OptionName } from '../conf/schema.js';
import { loadConfig, parseOptionValue, type Config } from '../conf/load.js';
import { fromBase32 } from '../data/base64.js';
import type { RouterInfo } from '../data/router-info.js';
import { systemRandom, type Random } from '../crypto/random.js';
import { NETDB_DIR, saveRouterInfo } from '../netdb/folder.js';
import { loadOrCreateNtcp2Keys, loadOrCreateRouterKeys, KeyFileError } from './keys.js';
import { buildOurRouterInfo } from './router-info.js';
import { writeFileAtomic } from './fs.js';
import { createLogger, type Logger } from './log.js';
import { Router, StartError } from './router.js';
import type { ClientDestination } from '../client/destination.js';
import { splice } from '../proxy/pipe.js';

export const DEVNET_DEFAULT_ROUTERS = 5;
/** Fewer than 3 leaves no room for a multi-hop client tunnel beside the two ends. */
export const DEVNET_MIN_ROUTERS = 3;
/** All routers share one process (and, here, two cores). */
export const DEVNET_MAX_ROUTERS = 32;
export const DEVNET_FLOODFILLS = 2;
/** "Forks and Test Networks" (how-network-database.html). */
export const PRIVATE_NETID_MIN = 16;
export const PRIVATE_NETID_MAX = 254;
export const DEVNET_STATE_FILE = 'devnet.json';
export const DEMO_TUNNEL = 'demo';
/** The demo site's destination keys, in the server router's datadir (kept with --datadir: a stable b32). */
export const DEMO_KEYS_FILE = 'demo.dat';
export const DEMO_BIG_SIZE = 4 * 1024 * 1024;
/** How long start-up may take before devnet gives up and says which step did not finish. */
export const READY_TIMEOUT_MS = 180_000;
const CLIENT_TUNNEL_QUANTITY = 2;
const EXPLORATORY_LENGTH = 1;
/** After this long on one step, say what is still awaited. */
const SLOW_STEP_MS = 10_000;

// ------------------------------------------------------------------ shared with test/helpers/net.ts

/** A free TCP port on 127.0.0.1 (bound and released). */
export async function freePort(): Promise<number> {
  const s = createNetServer();
  await new Promise<void>((r, j) => {
    s.once('error', j);
    s.listen(0, '127.0.0.1', () => r());
  });
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** A random netId for a private network: 16..254 ("Forks and Test Networks"), never the main net's 2. */
export function randomNetId(): number {
  return randomInt(PRIVATE_NETID_MIN, PRIVATE_NETID_MAX + 1);
}

/**
 * Let routers start knowing each other, without a start/stop cycle: for each config, load or create the
 * router's keys in its datadir and build the RouterInfo its Router will publish (same keys, same address —
 * `port` or `ntcp2.port` must be set), then write every RouterInfo into every other router's netDb folder
 * (i2pd layout). `clean` empties each netDb folder first (a devnet re-seeded with new ports).
 */
export async function seedEachOther(
  configs: readonly Config[],
  opts: { random?: Random; clean?: boolean; now?: number } = {},
): Promise<RouterInfo[]> {
  const random = opts.random ?? systemRandom;
  const infos: RouterInfo[] = [];
  for (const c of configs) {
    const port = c.get('ntcp2.port') || c.get('port');
    if (!port) throw new RangeError(`${c.datadir}: seedEachOther needs a fixed port (port or ntcp2.port)`);
    if (!c.get('ntcp2.enabled')) throw new RangeError(`${c.datadir}: seedEachOther needs NTCP2 enabled`);
    await mkdir(c.datadir, { recursive: true, mode: 0o700 });
    const { keys } = await loadOrCreateRouterKeys(c.datadir, random);
    const { keys: ntcp2 } = await loadOrCreateNtcp2Keys(c.datadir, random);
    infos.push(
      buildOurRouterInfo({
        keys,
        ntcp2: { keys: ntcp2, host: c.get('host'), port, published: c.get('ntcp2.published') },
        netId: c.get('netid'),
        floodfill: c.get('floodfill'),
        bandwidth: c.get('bandwidth'),
        published: opts.now ?? Date.now(),
      }),
    );
  }
  for (const [i, c] of configs.entries()) {
    if (opts.clean) await rm(join(c.datadir, NETDB_DIR), { recursive: true, force: true });
    for (const [j, ri] of infos.entries()) if (i !== j) await saveRouterInfo(c.datadir, ri);
  }
  return infos;
}

// ------------------------------------------------------------------ arguments

/** Sections whose options `clove devnet` passes to the user's router; other i2pd options are devnet's to set. */
export const DEVNET_USER_SECTIONS: readonly string[] = ['http', 'httpproxy', 'socksproxy', 'sam'];
const DEVNET_USER_KEYS: readonly string[] = ['log', 'logfile', 'loglevel'];
/** The listeners on the user's router, checked for a free port before anything starts. */
export const DEVNET_LISTENERS = [
  { section: 'http', what: 'console' },
  { section: 'httpproxy', what: 'HTTP proxy' },
  { section: 'socksproxy', what: 'SOCKS proxy' },
  { section: 'sam', what: 'SAM bridge' },
] as const;

export interface DevnetArgs {
  routers: number;
  /** Keep the network here (identities, netId) instead of a temp dir. */
  datadir: string | undefined;
  /** Written (JSON) once ready; removed on exit. */
  readyFile: string | undefined;
  /** i2pd options for the user's router, validated, in the order given. */
  options: [OptionName, string][];
  help: boolean;
}

export const DEVNET_USAGE = `usage: clove devnet [--routers=N] [--datadir=DIR] [--ready-file=PATH] [--option=value ...]

Starts an offline private I2P network of N clove routers (default ${DEVNET_DEFAULT_ROUTERS}, ${DEVNET_MIN_ROUTERS}..${DEVNET_MAX_ROUTERS}) in this process, on 127.0.0.1
only, with a random private netId; a demo hidden site; and on the last router the console (7070), the
HTTP proxy (4444), the SOCKS proxy (4447) and SAM (7656). Then prints what to try. Ctrl-C stops it.

  --routers=N         how many routers
  --datadir=DIR       keep the network in DIR (same identities, netId and demo address next time);
                      default: a temp dir, removed on exit
  --ready-file=PATH   write a JSON line with the addresses once ready (removed on exit)

Options of the sections ${DEVNET_USER_SECTIONS.join(', ')} (i2pd's names, e.g. --httpproxy.port=8444,
--sam.enabled=false) and log, logfile, loglevel (default error) apply to the user's router.`;

const DEVNET_FLAGS = new Set(['routers', 'datadir', 'ready-file']);

function argError(message: string, expected: string, key?: string): ConfigError {
  return new ConfigError({ source: COMMAND_LINE, expected, ...(key !== undefined ? { key } : {}) }, message);
}

/** Parse `clove devnet` arguments. Throws ConfigError naming the option and what was expected. */
export function parseDevnetArgs(argv: readonly string[]): DevnetArgs {
  const out: DevnetArgs = { routers: DEVNET_DEFAULT_ROUTERS, datadir: undefined, readyFile: undefined, options: [], help: false };
  const seen = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h' || arg === 'help') {
      out.help = true;
      continue;
    }
    if (!arg.startsWith('-') || arg === '-' || arg === '--') throw argError(`unexpected argument '${arg}'`, 'options like --key=value');
    const body = arg.replace(/^--?/, '');
    const eq = body.indexOf('=');
    const name = eq < 0 ? body : body.slice(0, eq);
    let value = eq < 0 ? undefined : body.slice(eq + 1);
    if (seen.has(name)) throw argError(`option '--${name}' is given more than once`, 'each option once', name);
    seen.add(name);
    const isBool = isOptionName(name) && SCHEMA[name].kind === 'bool';
    if (value === undefined && !isBool) {
      const next = argv[i + 1];
      if (next === undefined || next.startsWith('-')) throw argError(`option '--${name}' needs a value`, `--${name}=<value>`, name);
      value = next;
      i++;
    }
    if (DEVNET_FLAGS.has(name)) {
      const v = value!;
      if (name === 'routers') {
        const n = /^[0-9]+$/.test(v) ? Number(v) : NaN;
        const expected = `an integer ${DEVNET_MIN_ROUTERS}..${DEVNET_MAX_ROUTERS}`;
        if (!(n >= DEVNET_MIN_ROUTERS && n <= DEVNET_MAX_ROUTERS)) throw argError(`expected ${expected}, got '${v}'`, expected, 'routers');
        out.routers = n;
      } else if (v === '') {
        throw argError(`expected a path, got ''`, 'a path', name);
      } else if (name === 'datadir') {
        out.datadir = v;
      } else {
        out.readyFile = v;
      }
      continue;
    }
    if (!isOptionName(name)) throw argError(`unknown option '${arg}'`, 'an option listed by clove devnet --help', name);
    if (!DEVNET_USER_SECTIONS.includes(sectionOf(name)) && !DEVNET_USER_KEYS.includes(name)) {
      throw argError(
        `devnet sets '${name}' itself; it takes --routers, --datadir, --ready-file, options of the sections ${DEVNET_USER_SECTIONS.join(', ')}, and log, logfile, loglevel`,
        'a devnet option',
        name,
      );
    }
    const raw = value ?? 'true';
    parseOptionValue(name, raw, COMMAND_LINE); // validates: throws ConfigError naming the key
    out.options.push([name, raw]);
  }
  return out;
}

/** The user's router's listeners in effect (enabled ones), from the options and i2pd's defaults. */
export function userListeners(args: Pick<DevnetArgs, 'options'>): { key: string; what: string; address: string; port: number }[] {
  const given = new Map<string, string>(args.options);
  const value = (k: OptionName) => parseOptionValue(k, given.get(k) ?? String(SCHEMA[k].default), COMMAND_LINE);
  const out: { key: string; what: string; address: string; port: number }[] = [];
  for (const l of DEVNET_LISTENERS) {
    if (!value(`${l.section}.enabled` as OptionName)) continue;
    out.push({
      key: `${l.section}.port`,
      what: l.what,
      address: String(value(`${l.section}.address` as OptionName)),
      port: Number(value(`${l.section}.port` as OptionName)),
    });
  }
  return out;
}

/** A user-facing start-up failure (a port in use, a bad devnet.json): a message, not a stack trace. */
export class DevnetError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DevnetError';
  }
}

/** Each listener's port must be free (bound and released), and no two may share one. */
export async function checkListenerPorts(listeners: ReturnType<typeof userListeners>): Promise<void> {
  const byPort = new Map<string, string>();
  for (const l of listeners) {
    const id = `${l.address}:${l.port}`;
    const other = byPort.get(id);
    if (other) throw new DevnetError(`${other} and ${l.key} are both ${id}; give one another port with --${l.key}=PORT`);
    byPort.set(id, l.key);
  }
  for (const l of listeners) {
    if (l.port === 0) continue;
    const s = createNetServer();
    const err = await new Promise<NodeJS.ErrnoException | undefined>((r) => {
      s.once('error', (e) => r(e));
      s.listen(l.port, l.address, () => r(undefined));
    });
    if (!err) {
      await new Promise<void>((r) => s.close(() => r()));
      continue;
    }
    const why = err.code === 'EADDRINUSE' ? 'is in use' : `cannot be bound (${err.code ?? err.message})`;
    const section = l.key.split('.')[0];
    throw new DevnetError(
      `port ${l.port} on ${l.address} for the ${l.what} (${l.key}) ${why}: pick another with --${l.key}=PORT, or turn it off with --${section}.enabled=false`,
    );
  }
}

// ------------------------------------------------------------------ the demo site

export interface DemoPageInfo {
  b32: string;
  routers: number;
  hops: number;
}

/** The demo site's front page (bytes as served; tests compare them). */
export function demoPage(p: DemoPageInfo): string {
  return `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>clove devnet</title></head>
<body>
<h1>Hello from a hidden site</h1>
<p>This page came over I2P: from a web server on 127.0.0.1, through a server tunnel on one clove router,
across ${p.hops}-hop tunnels of a private ${p.routers}-router network, to the proxy on another.</p>
<p>This site is <code>${p.b32}</code>.</p>
<p><a href="/big">/big</a> is ${DEMO_BIG_SIZE / (1024 * 1024)} MiB, to see throughput.</p>
</body>
</html>
`;
}

let bigBody: Buffer | undefined;
/** /big: DEMO_BIG_SIZE deterministic bytes (a fixed xorshift stream), so a client can check them. */
export function demoBig(): Buffer {
  if (bigBody) return bigBody;
  const b = Buffer.alloc(DEMO_BIG_SIZE);
  let x = 0x9e3779b9;
  for (let i = 0; i < b.length; i += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b.writeUInt32LE(x >>> 0, i);
  }
  bigBody = b;
  return b;
}

async function startDemoServer(page: () => string): Promise<{ server: Server; port: number }> {
  const server = createHttpServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Length': 0 }).end();
    } else if (path === '/' || path === '/index.html') {
      const body = Buffer.from(page());
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Length': body.length });
      res.end(req.method === 'HEAD' ? undefined : body);
    } else if (path === '/big') {
      const body = demoBig();
      res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': body.length });
      res.end(req.method === 'HEAD' ? undefined : body);
    } else {
      const body = 'not found\n';
      res.writeHead(404, { 'Content-Type': 'text/plain', 'Content-Length': body.length });
      res.end(body);
    }
  });
  await new Promise<void>((r, j) => {
    server.once('error', j);
    server.listen(0, '127.0.0.1', () => r());
  });
  return { server, port: (server.address() as AddressInfo).port };
}

// ------------------------------------------------------------------ the network

export interface DevnetReady {
  b32: string;
  url: string;
  netId: number;
  routers: number;
  hops: number;
  datadir: string;
  /** Enabled listeners on the user's router ({key, address, port}); SAM only when something listens there. */
  httpproxy: { address: string; port: number } | null;
  socksproxy: { address: string; port: number } | null;
  sam: { address: string; port: number } | null;
  console: { address: string; port: number } | null;
  readyMs: number;
  pid: number;
}

export interface DevnetOptions {
  args: DevnetArgs;
  /** Progress and instructions, one line at a time (default: stdout). */
  print?: (line: string) => void;
  logger?: Logger;
  /** Aborting it stops the network (during start-up too). */
  signal?: AbortSignal;
}

export class Devnet {
  readonly routers: Router[] = [];
  readonly netId: number;
  readonly dir: string;
  readonly #keepDir: boolean;
  #demo: Server | undefined;
  #readyFile: string | undefined;
  #stopped = false;

  private constructor(netId: number, dir: string, keepDir: boolean) {
    this.netId = netId;
    this.dir = dir;
    this.#keepDir = keepDir;
  }

  /**
   * Start the network and wait until it is ready (see the file header). Throws DevnetError / ConfigError /
   * StartError / KeyFileError for what a user can act on, an AbortError when `signal` fired; in every case
   * whatever was started is stopped and a temp dir removed.
   */
  static async start(o: DevnetOptions): Promise<{ devnet: Devnet; ready: DevnetReady }> {
    const { args } = o;
    const print = o.print ?? ((l: string) => void process.stdout.write(`${l}\n`));
    const t0 = Date.now();
    const at = () => `[${((Date.now() - t0) / 1000).toFixed(1).padStart(5)}s]`;
    const step = (s: string) => print(`${at()} ${s}`);
    const listeners = userListeners(args);
    await checkListenerPorts(listeners);

    const keep = args.datadir !== undefined;
    const dir = keep ? resolve(args.datadir!) : await mkdtemp(join(tmpdir(), 'clove-devnet-'));
    let net: Devnet | undefined;
    try {
      const netId = keep ? await loadOrCreateNetId(dir) : randomNetId();
      net = new Devnet(netId, dir, keep);
      const ready = await net.#start(o, listeners, { step, print, t0 });
      return { devnet: net, ready };
    } catch (e) {
      if (net) await net.stop();
      else if (!keep) await rm(dir, { recursive: true, force: true });
      throw e;
    }
  }

  async #start(
    o: DevnetOptions,
    listeners: ReturnType<typeof userListeners>,
    ui: { step: (s: string) => void; print: (s: string) => void; t0: number },
  ): Promise<DevnetReady> {
    const { args, signal } = o;
    const n = args.routers;
    const hops = Math.min(3, n - 1);
    const serverIndex = n - 2;
    const userIndex = n - 1;
    const logger = o.logger ?? createLogger({ loglevel: 'error' });
    const deadline = ui.t0 + READY_TIMEOUT_MS;
    ui.print(`clove devnet: ${n} routers on 127.0.0.1, private netId ${this.netId}, data in ${this.dir}${this.#keepDir ? '' : ' (removed on exit)'}`);

    const configs: Config[] = [];
    for (let i = 0; i < n; i++) {
      const datadir = join(this.dir, `router-${i}`);
      const port = await freePort();
      const base = [
        `--datadir=${datadir}`,
        `--netid=${this.netId}`,
        '--host=127.0.0.1',
        '--address4=127.0.0.1',
        `--port=${port}`,
        '--reservedrange=false',
        '--reseed.urls=',
        `--exploratory.inbound.length=${EXPLORATORY_LENGTH}`,
        `--exploratory.outbound.length=${EXPLORATORY_LENGTH}`,
        ...(i < DEVNET_FLOODFILLS ? ['--floodfill'] : []),
      ];
      const services =
        i === userIndex
          ? withDefaults(args.options, {
              'httpproxy.inbound.length': String(hops),
              'httpproxy.outbound.length': String(hops),
              'httpproxy.inbound.quantity': String(CLIENT_TUNNEL_QUANTITY),
              'httpproxy.outbound.quantity': String(CLIENT_TUNNEL_QUANTITY),
            })
          : ['--http.enabled=false', '--httpproxy.enabled=false', '--socksproxy.enabled=false', '--sam.enabled=false'];
      configs.push(loadConfig({ argv: [...base, ...services] }).config);
    }
    await seedEachOther(configs, { clean: true });
    throwIfAborted(signal);

    // A router builds tunnels the moment it starts, and a build whose first hop is not listening yet is only
    // given up after the 30 s build timeout (tunnels/manager.ts): so every other router starts first, then
    // the user's router (its proxy tunnels), then the demo site's destination. One after the other: routers
    // started together dial each other at the same moment, and the duplicate NTCP2 sessions that one side
    // then closes lose the build messages already in them (30 s again).
    for (const [i, c] of configs.entries()) this.routers.push(new Router(c, { logger: logger.child({ router: i }) }));
    for (const r of this.routers.slice(0, userIndex)) {
      await r.start();
      throwIfAborted(signal);
    }
    const server = this.routers[serverIndex]!;
    const user = this.routers[userIndex]!;
    const floodfills = this.routers.slice(0, DEVNET_FLOODFILLS);
    await user.start();
    throwIfAborted(signal);
    ui.step(`${n} routers up (floodfills 0-${DEVNET_FLOODFILLS - 1}, demo site on ${serverIndex}, proxies on ${userIndex})`);

    // the demo site: a local web server behind a server tunnel (the library surface an app would use)
    let b32 = '';
    const site = await startDemoServer(() => demoPage({ b32, routers: n, hops }));
    this.#demo = site.server;
    const createDemo = async (name: string) => {
      const d = await server.createDestination({
        name,
        keys: DEMO_KEYS_FILE,
        inbound: { length: hops, quantity: CLIENT_TUNNEL_QUANTITY },
        outbound: { length: hops, quantity: CLIENT_TUNNEL_QUANTITY },
      });
      serveLocal(d.destination, site.port, logger.child({ router: serverIndex, module: 'devnet' }));
      return d;
    };
    const demoDest = await createDemo(DEMO_TUNNEL);
    b32 = demoDest.destination.b32;

    const wait = (what: string, cond: () => boolean) => waitFor(cond, { what, deadline, step: ui.step, ...(signal ? { signal } : {}) });
    const hash = fromBase32(b32.slice(0, -'.b32.i2p'.length));
    // Stored at a floodfill (which floods it to the others).
    const storedAt = () => floodfills.filter((f) => f.netdb?.store.getLeaseSet(hash) !== undefined).length;
    await wait('the demo site tunnels', () => demoDest.pool.inbound().length > 0 && demoDest.pool.outbound().length > 0);
    ui.step(`demo site tunnels built (${hops} hops): ${b32}`);
    await wait('the demo LeaseSet at a floodfill', () => storedAt() > 0);
    ui.step(`demo site LeaseSet published (at ${storedAt()} of ${floodfills.length} floodfills)`);

    const proxy = listeners.find((l) => l.key === 'httpproxy.port') ?? listeners.find((l) => l.key === 'socksproxy.port');
    if (proxy) {
      await wait('the proxy tunnels', () => {
        const d = user.destinations().find((x) => x.name === 'httpproxy');
        return !!d && d.tunnels.inbound > 0 && d.tunnels.outbound > 0;
      });
      ui.step(`proxy tunnels built (${hops} hops)`);
      const expected = demoPage({ b32, routers: n, hops });
      const fetchOnce = proxy.key === 'httpproxy.port' ? fetchViaHttpProxy : fetchViaSocks5;
      for (let attempt = 1; ; attempt++) {
        throwIfAborted(signal);
        const left = deadline - Date.now();
        if (left <= 0) throw new DevnetError(`not ready after ${READY_TIMEOUT_MS / 1000} s: the proxy never fetched the demo site`);
        const r = await fetchOnce(proxy, `http://${b32}/`, { timeoutMs: Math.min(left, 60_000), ...(signal ? { signal } : {}) }).catch(
          (e: unknown) => ({ status: 0, body: (e as Error).message }),
        );
        if (r.status === 200 && r.body === expected) break;
        ui.step(`first fetch through the proxy: ${r.status ? `HTTP ${r.status}` : r.body}; trying again (attempt ${attempt + 1})`);
        await sleep(1000, signal);
      }
      ui.step(`demo site fetched through the ${proxy.what}`);
    }

    // SAM is reported only if something listens where it should.
    const find = (k: string) => listeners.find((l) => l.key === k);
    const sam = find('sam.port');
    const ready: DevnetReady = {
      b32,
      url: `http://${b32}/`,
      netId: this.netId,
      routers: n,
      hops,
      datadir: this.dir,
      httpproxy: pick(find('httpproxy.port')),
      socksproxy: pick(find('socksproxy.port')),
      sam: sam && (await listening(sam.address, sam.port)) ? pick(sam) : null,
      console: pick(find('http.port')),
      readyMs: Date.now() - ui.t0,
      pid: process.pid,
    };
    printReady(ready, ui.print, this.#keepDir);
    if (args.readyFile) {
      this.#readyFile = resolve(args.readyFile);
      await writeFileAtomic(this.#readyFile, `${JSON.stringify(ready)}\n`);
    }
    return ready;
  }

  /** Stop every router and the demo site; remove the ready file, and the temp dir unless --datadir. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    await Promise.allSettled(this.routers.map((r) => r.stop()));
    if (this.#demo) {
      const s = this.#demo;
      s.closeAllConnections();
      await new Promise<void>((r) => s.close(() => r()));
    }
    if (this.#readyFile) await rm(this.#readyFile, { force: true });
    if (!this.#keepDir) await rm(this.dir, { recursive: true, force: true });
  }
}

/** Each incoming stream to the local web server (what a `type = server` tunnel does). */
function serveLocal(dest: ClientDestination, port: number, log: Logger): void {
  dest.on('stream', (stream) => {
    const sock = netConnect({ host: '127.0.0.1', port });
    sock.on('error', (e) => log.debug({ err: e.message }, 'demo site: local connection error'));
    stream.on('error', (e) => log.debug({ err: e.message }, 'demo site: stream error'));
    splice(sock, stream);
  });
}

function pick(l: { address: string; port: number } | undefined): { address: string; port: number } | null {
  return l ? { address: l.address, port: l.port } : null;
}

/** Options given win; defaults fill in what was not given. As `--key=value` arguments. */
function withDefaults(given: readonly [OptionName, string][], defaults: Record<string, string>): string[] {
  const keys = new Set(given.map(([k]) => k as string));
  return [
    ...Object.entries(defaults)
      .filter(([k]) => !keys.has(k))
      .map(([k, v]) => `--${k}=${v}`),
    ...given.map(([k, v]) => `--${k}=${v}`),
  ];
}

async function loadOrCreateNetId(dir: string): Promise<number> {
  const file = join(dir, DEVNET_STATE_FILE);
  let text: string | undefined;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new DevnetError(`${file}: cannot read (${(e as Error).message})`, { cause: e });
  }
  if (text !== undefined) {
    let netId: unknown;
    try {
      netId = (JSON.parse(text) as { netId?: unknown }).netId;
    } catch {
      // reported below
    }
    if (typeof netId === 'number' && Number.isInteger(netId) && netId >= PRIVATE_NETID_MIN && netId <= PRIVATE_NETID_MAX) return netId;
    throw new DevnetError(`${file}: expected {"netId": ${PRIVATE_NETID_MIN}..${PRIVATE_NETID_MAX}}; fix it or remove the file`);
  }
  const netId = randomNetId();
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await writeFileAtomic(file, `${JSON.stringify({ netId })}\n`);
  return netId;
}

function printReady(r: DevnetReady, print: (s: string) => void, kept: boolean): void {
  const hp = r.httpproxy;
  const sp = r.socksproxy;
  print('');
  print(`ready in ${(r.readyMs / 1000).toFixed(1)} s — demo site: ${r.url}`);
  print('');
  print('try:');
  if (hp) print(`  curl -x http://${hp.address}:${hp.port} ${r.url}`);
  if (sp) print(`  curl --socks5-hostname ${sp.address}:${sp.port} ${r.url}`);
  if (hp) print(`  curl -x http://${hp.address}:${hp.port} -o /dev/null -w '%{size_download} bytes in %{time_total} s\\n' ${r.url}big`);
  if (!hp && !sp) print('  (the HTTP and SOCKS proxies are off)');
  if (r.console) print(`  curl http://${r.console.address}:${r.console.port}/api/status   (the console's JSON API)`);
  if (r.sam) print(`  SAM:     ${r.sam.address}:${r.sam.port}`);
  print('');
  print(`Ctrl-C stops the network${kept ? ` (kept in ${r.datadir})` : ' and removes its data'}.`);
}

// ------------------------------------------------------------------ waiting and fetching

function abortError(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : Object.assign(new Error('aborted'), { name: 'AbortError' });
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortError(signal);
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Poll `cond`; say once, after SLOW_STEP_MS, what is still awaited; give up at the deadline. */
async function waitFor(cond: () => boolean, o: { what: string; deadline: number; signal?: AbortSignal; step?: (s: string) => void }): Promise<void> {
  const slowAt = Date.now() + SLOW_STEP_MS;
  let said = false;
  for (;;) {
    throwIfAborted(o.signal);
    if (cond()) return;
    if (Date.now() >= o.deadline) throw new DevnetError(`not ready after ${READY_TIMEOUT_MS / 1000} s: still waiting for ${o.what}`);
    if (!said && Date.now() >= slowAt) {
      said = true;
      o.step?.(`still waiting for ${o.what}…`);
    }
    await sleep(50, o.signal);
  }
}

function listening(address: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = netConnect({ host: address, port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

type FetchResult = { status: number; body: string };

/** GET `url` through an HTTP proxy (absolute-form request). */
function fetchViaHttpProxy(p: { address: string; port: number }, url: string, o: { timeoutMs: number; signal?: AbortSignal }): Promise<FetchResult> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: p.address, port: p.port, method: 'GET', path: url, headers: { Host: new URL(url).host, Connection: 'close' }, ...(o.signal ? { signal: o.signal } : {}) },
      (res) => readAll(res).then((body) => resolve({ status: res.statusCode ?? 0, body }), reject),
    );
    req.setTimeout(o.timeoutMs, () => req.destroy(new Error(`no answer in ${Math.round(o.timeoutMs / 1000)} s`)));
    req.on('error', reject);
    req.end();
  });
}

function readAll(res: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    res.on('error', reject);
  });
}

/**
 * GET `url` through a SOCKS5 proxy with the host name sent to the proxy (RFC 1928 CONNECT, ATYP 3), HTTP/1.0
 * so the server closes when done.
 */
function fetchViaSocks5(p: { address: string; port: number }, url: string, o: { timeoutMs: number; signal?: AbortSignal }): Promise<FetchResult> {
  const u = new URL(url);
  const host = Buffer.from(u.hostname);
  const port = Number(u.port || 80);
  return new Promise((resolve, reject) => {
    const s = netConnect({ host: p.address, port: p.port });
    let buf = Buffer.alloc(0);
    let state: 'greeting' | 'connect' | 'data' = 'greeting';
    const fail = (e: Error) => {
      s.destroy();
      reject(e);
    };
    const onAbort = () => fail(new Error('aborted'));
    o.signal?.addEventListener('abort', onAbort, { once: true });
    s.setTimeout(o.timeoutMs, () => fail(new Error(`no answer in ${Math.round(o.timeoutMs / 1000)} s`)));
    s.on('error', fail);
    s.on('connect', () => s.write(Buffer.from([5, 1, 0])));
    s.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (state === 'greeting' && buf.length >= 2) {
        if (buf[0] !== 5 || buf[1] !== 0) return fail(new Error('SOCKS5: no acceptable auth method'));
        buf = buf.subarray(2);
        state = 'connect';
        const portBytes = Buffer.from([port >> 8, port & 0xff]);
        s.write(Buffer.concat([Buffer.from([5, 1, 0, 3, host.length]), host, portBytes]));
      }
      if (state === 'connect' && buf.length >= 5) {
        if (buf[1] !== 0) return fail(new Error(`SOCKS5 reply ${buf[1]}`));
        const len = buf[3] === 1 ? 10 : buf[3] === 4 ? 22 : 7 + buf[4]!;
        if (buf.length < len) return;
        buf = buf.subarray(len);
        state = 'data';
        s.write(`GET ${u.pathname}${u.search} HTTP/1.0\r\nHost: ${u.host}\r\n\r\n`);
      }
    });
    s.on('end', () => {
      o.signal?.removeEventListener('abort', onAbort);
      if (state !== 'data') return fail(new Error('SOCKS5: closed before the stream opened'));
      const text = buf.toString('utf8');
      const head = text.indexOf('\r\n\r\n');
      const m = /^HTTP\/1\.[01] ([0-9]{3})/.exec(text);
      resolve({ status: m ? Number(m[1]) : 0, body: head < 0 ? '' : text.slice(head + 4) });
    });
  });
}

// ------------------------------------------------------------------ the command

/**
 * `clove devnet …`: parse, start, print, wait for SIGINT/SIGTERM, stop. Resolves to the exit code: 0 after a
 * clean stop (also when interrupted while starting), 2 for bad arguments, 1 when it cannot start.
 */
export async function devnetCommand(argv: readonly string[]): Promise<number> {
  let args: DevnetArgs;
  try {
    args = parseDevnetArgs(argv);
  } catch (e) {
    if (!isConfigError(e)) throw e;
    process.stderr.write(`clove devnet: ${e.message}\n`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(`${DEVNET_USAGE}\n`);
    return 0;
  }
  const opt = new Map<string, string>(args.options);
  const logger = createLogger({
    loglevel: opt.get('loglevel') ?? 'error',
    ...(opt.get('log') ? { log: opt.get('log')! } : {}),
    ...(opt.get('logfile') ? { logfile: opt.get('logfile')! } : {}),
  });
  const stop = new AbortController();
  let firstSignalAt = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    const now = Date.now();
    if (firstSignalAt === 0) {
      firstSignalAt = now;
      process.stdout.write(`\n${sig}: stopping the devnet…\n`);
      stop.abort();
      return;
    }
    // One Ctrl-C often arrives twice (the terminal signals npm/npx and node alike): only a later one forces.
    if (now - firstSignalAt < 1000) return;
    process.stderr.write(`clove devnet: ${sig} again, exiting without cleaning up\n`);
    process.exit(130);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // The routers' own timers and sockets are unref'd (a library must not hold its host's process open): keep
  // the process alive from the start, or it may exit mid-start when only unref'd handles are pending.
  const keepAlive = setInterval(() => undefined, 1 << 30);
  try {
    let devnet: Devnet;
    try {
      ({ devnet } = await Devnet.start({ args, logger, signal: stop.signal }));
    } catch (e) {
      if (stop.signal.aborted) {
        process.stdout.write('devnet stopped\n'); // interrupted while starting: Devnet.start cleaned up
        return 0;
      }
      if (e instanceof DevnetError || e instanceof StartError || e instanceof KeyFileError || isConfigError(e)) {
        process.stderr.write(`clove devnet: ${e.message}\n`);
        return 1;
      }
      throw e;
    }
    await new Promise<void>((r) => (stop.signal.aborted ? r() : stop.signal.addEventListener('abort', () => r(), { once: true })));
    await devnet.stop();
    process.stdout.write('devnet stopped\n');
    return 0;
  } finally {
    clearInterval(keepAlive);
    logger.flush();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

