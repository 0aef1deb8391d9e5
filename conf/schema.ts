/**
 * The option table: every option i2pd 2.45.1 registers (libi2pd/Config.cpp, `i2p::config::Init`), with
 * i2pd's name, value type, default and a one-line description, so that an i2pd.conf loads unchanged.
 *
 * Deviations from i2pd, written down:
 * - Types are tighter where i2pd stores a string that it parses later (the proxies' `inbound.length` etc.
 *   are strings in i2pd, ints here; `reseed.urls` is a comma-separated string in i2pd, a list here).
 * - Ranges are checked where the value must fit the wire (netid is a byte in NTCP2/SSU2 headers) or where
 *   i2pd clamps silently (`share` 0..100). Integer options otherwise have the range of i2pd's C++ type
 *   (uint16_t → 0..65535), without boost's lexical_cast wrap-around of negative numbers.
 * - `help` and `version` are command-line flags, handled by the loader, not options.
 * - Options marked `implemented: false` are accepted (so i2pd users' files load) but clove does not act on them
 *   yet; `helpText()` says so. Flip the flag in the same change that wires the option up.
 * - i2pd 2.45.1 has no top-level `hidden` option (only `trust.hidden`); a top-level `hidden` is unknown in
 *   i2pd too, so it is unknown here (a warning).
 */

interface OptionBase {
  /** One line, shown by `clove run --help`. */
  readonly description: string;
  /** false: accepted for i2pd compatibility, but clove does not act on it (yet). */
  readonly implemented: boolean;
}

export interface BoolOption extends OptionBase {
  readonly kind: 'bool';
  readonly default: boolean;
}

export interface IntOption extends OptionBase {
  readonly kind: 'int';
  readonly default: number;
  readonly min: number;
  readonly max: number;
  /** When set, the value must also be one of these. */
  readonly oneOf?: readonly number[];
}

export interface StringOption extends OptionBase {
  readonly kind: 'string';
  readonly default: string;
  /** When set, a non-empty value must match; `expected` says what in words. */
  readonly pattern?: RegExp;
  readonly expected?: string;
}

export interface EnumOption<V extends string = string> extends OptionBase {
  readonly kind: 'enum';
  readonly default: V;
  readonly values: readonly V[];
  /** Match case-insensitively (i2pd lowercases `loglevel`); the stored value is the canonical one. */
  readonly ignoreCase: boolean;
}

/** Comma-separated strings, as i2pd splits them; empty items are dropped, so '' is the empty list. */
export interface ListOption extends OptionBase {
  readonly kind: 'list';
  readonly default: readonly string[];
}

/** Comma-separated integers (e.g. `i2cp.leaseSetEncType = 0,4`). */
export interface IntListOption extends OptionBase {
  readonly kind: 'intlist';
  readonly default: readonly number[];
  readonly min: number;
  readonly max: number;
}

export type OptionSpec = BoolOption | IntOption | StringOption | EnumOption | ListOption | IntListOption;

/** The TypeScript type a option of spec S holds. */
export type ValueOfSpec<S> = S extends BoolOption
  ? boolean
  : S extends IntOption
    ? number
    : S extends EnumOption<infer V>
      ? V
      : S extends StringOption
        ? string
        : S extends ListOption
          ? readonly string[]
          : S extends IntListOption
            ? readonly number[]
            : never;

interface Extra {
  implemented?: boolean;
}

const bool = (def: boolean, description: string, x: Extra = {}): BoolOption => ({
  kind: 'bool',
  default: def,
  description,
  implemented: x.implemented ?? true,
});

const int = (
  def: number,
  min: number,
  max: number,
  description: string,
  x: Extra & { oneOf?: readonly number[] } = {},
): IntOption => ({
  kind: 'int',
  default: def,
  min,
  max,
  description,
  implemented: x.implemented ?? true,
  ...(x.oneOf ? { oneOf: x.oneOf } : {}),
});

const UINT16 = 65535;
const UINT32 = 4294967295;
const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

const u16 = (def: number, description: string, x: Extra = {}): IntOption => int(def, 0, UINT16, description, x);

const str = (
  def: string,
  description: string,
  x: Extra & { pattern?: RegExp; expected?: string } = {},
): StringOption => ({
  kind: 'string',
  default: def,
  description,
  implemented: x.implemented ?? true,
  ...(x.pattern ? { pattern: x.pattern, expected: x.expected ?? `a value matching ${String(x.pattern)}` } : {}),
});

function enm<const V extends string>(
  def: NoInfer<V>,
  values: readonly V[],
  description: string,
  x: Extra & { ignoreCase?: boolean } = {},
): EnumOption<V> {
  return { kind: 'enum', default: def, values, description, implemented: x.implemented ?? true, ignoreCase: x.ignoreCase ?? false };
}

/** Split a comma-separated i2pd list value: items trimmed, empty items dropped. */
export function splitList(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

const list = (def: string, description: string, x: Extra = {}): ListOption => ({
  kind: 'list',
  default: Object.freeze(splitList(def)),
  description,
  implemented: x.implemented ?? true,
});

const intList = (def: readonly number[], min: number, max: number, description: string, x: Extra = {}): IntListOption => ({
  kind: 'intlist',
  default: Object.freeze([...def]),
  min,
  max,
  description,
  implemented: x.implemented ?? true,
});

const NOT = { implemented: false } as const;

/** i2pd 2.45.1's `reseed.urls` default, in its order. Set `reseed.urls =` (empty) to reseed from none. */
export const I2PD_RESEED_URLS: readonly string[] = Object.freeze([
  'https://reseed2.i2p.net/',
  'https://reseed.diva.exchange/',
  'https://reseed-fr.i2pd.xyz/',
  'https://reseed.memcpy.io/',
  'https://reseed.onion.im/',
  'https://i2pseed.creativecowpat.net:8443/',
  'https://reseed.i2pgit.org/',
  'https://i2p.novg.net/',
  'https://banana.incognet.io/',
  'https://reseed-pl.i2pd.xyz/',
  'https://www2.mk16.de/',
]);

/** i2pd 2.45.1's `reseed.yggurls` default. */
export const I2PD_RESEED_YGGURLS: readonly string[] = Object.freeze([
  'http://[324:71e:281a:9ed3::ace]:7070/',
  'http://[301:65b9:c7cd:9a36::1]:18801/',
  'http://[320:8936:ec1a:31f1::216]/',
  'http://[306:3834:97b9:a00a::1]/',
  'http://[316:f9e0:f22e:a74f::216]/',
]);

/** The main I2P network's id (i2pd I2PD_NET_ID). */
export const MAIN_NET_ID = 2;

/** Signing key types a destination may be created with (data/ key certificate codes), i2pd default 7 (EdDSA). */
const SIG_TYPE_MAX = 11;

/** Tunnel pool bounds: a build message carries at most 8 hops; Java I2P's limits for quantity and variance. */
const TUNNEL_LENGTH_MAX = 8;
const TUNNEL_QUANTITY_MAX = 16;
const TUNNEL_VARIANCE = 7;

/** The I2CP-style options i2pd reads for its HTTP and SOCKS proxies' destinations, with i2pd's defaults. */
function proxyDestinationOptions<P extends 'httpproxy' | 'socksproxy'>(p: P, who: string) {
  return {
    [`${p}.keys`]: str('transient-proxy', `File to persist ${who} keys ('transient…': new keys each start)`),
    [`${p}.signaturetype`]: int(7, 0, SIG_TYPE_MAX, `Signature type for new ${who} keys (7: EdDSA)`),
    [`${p}.inbound.length`]: int(3, 0, TUNNEL_LENGTH_MAX, `${who} inbound tunnel length`),
    [`${p}.outbound.length`]: int(3, 0, TUNNEL_LENGTH_MAX, `${who} outbound tunnel length`),
    [`${p}.inbound.quantity`]: int(5, 1, TUNNEL_QUANTITY_MAX, `${who} inbound tunnels quantity`),
    [`${p}.outbound.quantity`]: int(5, 1, TUNNEL_QUANTITY_MAX, `${who} outbound tunnels quantity`),
    [`${p}.inbound.lengthVariance`]: int(0, -TUNNEL_VARIANCE, TUNNEL_VARIANCE, `${who} inbound tunnels length variance`, NOT),
    [`${p}.outbound.lengthVariance`]: int(0, -TUNNEL_VARIANCE, TUNNEL_VARIANCE, `${who} outbound tunnels length variance`, NOT),
    [`${p}.latency.min`]: int(0, 0, INT32_MAX, `${who} min latency for tunnels (ms)`, NOT),
    [`${p}.latency.max`]: int(0, 0, INT32_MAX, `${who} max latency for tunnels (ms)`, NOT),
    [`${p}.i2cp.leaseSetType`]: int(3, 1, 7, `${who} LeaseSet type (1: LeaseSet, 3: LeaseSet2, 5: encrypted)`, { oneOf: [1, 3, 5, 7] }),
    [`${p}.i2cp.leaseSetEncType`]: intList([0, 4], 0, UINT16, `${who} LeaseSet encryption types (0: ElGamal, 4: ECIES-X25519)`),
    [`${p}.i2cp.leaseSetPrivKey`]: str('', `${who} LeaseSet private key (encrypted LeaseSet)`, NOT),
  } as { [K in `${P}.${DestKeys}`]: K extends `${P}.${infer R}` ? R extends DestKeys ? DestSpecs[R] : never : never };
}

interface DestSpecs {
  keys: StringOption;
  signaturetype: IntOption;
  'inbound.length': IntOption;
  'outbound.length': IntOption;
  'inbound.quantity': IntOption;
  'outbound.quantity': IntOption;
  'inbound.lengthVariance': IntOption;
  'outbound.lengthVariance': IntOption;
  'latency.min': IntOption;
  'latency.max': IntOption;
  'i2cp.leaseSetType': IntOption;
  'i2cp.leaseSetEncType': IntListOption;
  'i2cp.leaseSetPrivKey': StringOption;
}
type DestKeys = keyof DestSpecs;

const LOG_DESTS = ['', 'stdout', 'file', 'syslog'] as const;
const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'none'] as const;

export const SCHEMA = {
  // ---- general (keys before any [section]) ----
  conf: str('', 'Path to main config file (empty: DATADIR/i2pd.conf if it exists)'),
  tunconf: str('', 'Path to tunnels config file (empty: DATADIR/tunnels.conf)'),
  tunnelsdir: str('', 'Folder of extra tunnel configs, every *.conf in it (empty: DATADIR/tunnels.d)'),
  certsdir: str('', 'Folder of certificates for .su3 and family checks (empty: DATADIR/certificates)'),
  pidfile: str('', 'Path to pidfile (empty: DATADIR/i2pd.pid)', NOT),
  log: enm('', LOG_DESTS, 'Logs destination: stdout, file, syslog (empty: stdout)'),
  logfile: str('', 'Path to logfile (empty: DATADIR/i2pd.log when log = file)'),
  loglevel: enm('warn', LOG_LEVELS, 'Minimal level of log messages (debug, info, warn, error, none)', { ignoreCase: true }),
  logclftime: bool(false, 'Write full CLF-formatted date and time to log', NOT),
  family: str('', 'Router family this router belongs to', NOT),
  datadir: str('', 'Path to data storage: router keys and info, netDb, profiles (command line only, as in i2pd)'),
  host: str('0.0.0.0', 'External IP address to publish'),
  ifname: str('', 'Network interface to bind to', NOT),
  ifname4: str('', 'Network interface to bind to for IPv4', NOT),
  ifname6: str('', 'Network interface to bind to for IPv6', NOT),
  address4: str('', 'Local address to bind IPv4 transport sockets to'),
  address6: str('', 'Local address to bind IPv6 transport sockets to'),
  nat: bool(true, 'Assume we are behind NAT'),
  port: u16(0, 'Port to listen on for incoming connections (0: random)'),
  ipv4: bool(true, 'Enable communication over IPv4'),
  ipv6: bool(false, 'Enable communication over IPv6'),
  reservedrange: bool(true, 'Refuse router addresses in reserved IP ranges'),
  netid: int(MAIN_NET_ID, 1, 255, 'Network id; the main I2P network is 2'),
  daemon: bool(false, 'Go to background after start', NOT),
  service: bool(false, "Use system folders like /var/lib/clove (command line only, as in i2pd)"),
  notransit: bool(false, 'Do not accept transit tunnels at startup'),
  floodfill: bool(false, 'Be a floodfill router'),
  bandwidth: str('', 'Transit bandwidth limit: KBps, or a letter L (32), O (256), P (2048), X (unlimited)', {
    pattern: /^(?:[KLMNOPX]|[1-9][0-9]{0,9})$/,
    expected: 'a bandwidth class letter (K, L, M, N, O, P or X) or a positive number of KBps',
  }),
  share: int(100, 0, 100, 'Share of bandwidth for transit traffic, percent'),
  ntcp: bool(false, 'Ignored (NTCP1 is gone), as in i2pd', NOT),
  ssu: bool(false, 'Ignored (SSU1 is gone), as in i2pd', NOT),
  ntcpproxy: str('', 'Ignored, as in i2pd', NOT),
  svcctl: str('', 'Windows only, ignored', NOT),
  insomnia: bool(false, 'Windows only: prevent system from sleeping', NOT),
  close: enm('ask', ['minimize', 'exit', 'ask'], 'Windows only: action on close', NOT),

  // ---- limits ----
  'limits.coresize': int(0, 0, UINT32, 'Maximum size of core file in KB (0: system limit)', NOT),
  'limits.openfiles': u16(0, 'Maximum number of open files (0: system default)', NOT),
  'limits.transittunnels': u16(5000, 'Maximum active transit tunnels (doubled for floodfill if unset)'),
  'limits.ntcpsoft': u16(0, 'Ignored, as in i2pd', NOT),
  'limits.ntcphard': u16(0, 'Ignored, as in i2pd', NOT),
  'limits.ntcpthreads': u16(1, 'Ignored, as in i2pd', NOT),

  // ---- http (web console) ----
  'http.enabled': bool(true, 'Enable the web console'),
  'http.address': str('127.0.0.1', 'Web console listen address'),
  'http.port': u16(7070, 'Web console listen port'),
  'http.auth': bool(false, 'Enable basic HTTP auth for the web console'),
  'http.user': str('i2pd', 'Username for basic auth'),
  'http.pass': str('', 'Password for basic auth (empty: random, see logs)'),
  'http.strictheaders': bool(true, 'Check the Host header of web console requests'),
  'http.hostname': str('localhost', 'Expected hostname for the web console'),
  'http.webroot': str('/', 'Web console root path'),
  'http.lang': str('english', 'Web console language', NOT),

  // ---- httpproxy ----
  'httpproxy.enabled': bool(true, 'Enable the HTTP proxy'),
  'httpproxy.address': str('127.0.0.1', 'HTTP proxy listen address'),
  'httpproxy.port': u16(4444, 'HTTP proxy listen port'),
  ...proxyDestinationOptions('httpproxy', 'HTTP proxy'),
  'httpproxy.outproxy': str('', 'HTTP proxy upstream outproxy URL'),
  'httpproxy.addresshelper': bool(true, 'Enable address helper (jump links)'),

  // ---- socksproxy ----
  'socksproxy.enabled': bool(true, 'Enable the SOCKS proxy'),
  'socksproxy.address': str('127.0.0.1', 'SOCKS proxy listen address'),
  'socksproxy.port': u16(4447, 'SOCKS proxy listen port'),
  ...proxyDestinationOptions('socksproxy', 'SOCKS proxy'),
  'socksproxy.outproxy.enabled': bool(false, 'Enable the SOCKS outproxy'),
  'socksproxy.outproxy': str('127.0.0.1', 'Upstream outproxy address for the SOCKS proxy'),
  'socksproxy.outproxyport': u16(9050, 'Upstream outproxy port for the SOCKS proxy'),

  // ---- sam ----
  'sam.enabled': bool(true, 'Enable the SAM application bridge'),
  'sam.address': str('127.0.0.1', 'SAM listen address'),
  'sam.port': u16(7656, 'SAM listen port'),
  'sam.singlethread': bool(true, "Sessions run in the SAM bridge's thread (no meaning in Node)", NOT),

  // ---- bob ----
  'bob.enabled': bool(false, 'Enable the BOB command channel', NOT),
  'bob.address': str('127.0.0.1', 'BOB listen address', NOT),
  'bob.port': u16(2827, 'BOB listen port', NOT),

  // ---- i2cp ----
  'i2cp.enabled': bool(false, 'Enable I2CP', NOT),
  'i2cp.address': str('127.0.0.1', 'I2CP listen address', NOT),
  'i2cp.port': u16(7654, 'I2CP listen port', NOT),
  'i2cp.singlethread': bool(true, "Destinations run in the I2CP server's thread", NOT),

  // ---- i2pcontrol ----
  'i2pcontrol.enabled': bool(false, 'Enable the I2PControl protocol', NOT),
  'i2pcontrol.address': str('127.0.0.1', 'I2PControl listen address', NOT),
  'i2pcontrol.port': u16(7650, 'I2PControl listen port', NOT),
  'i2pcontrol.password': str('itoopie', 'I2PControl access password', NOT),
  'i2pcontrol.cert': str('i2pcontrol.crt.pem', 'I2PControl TLS certificate', NOT),
  'i2pcontrol.key': str('i2pcontrol.key.pem', 'I2PControl TLS certificate key', NOT),

  // ---- upnp ----
  'upnp.enabled': bool(false, 'Enable UPnP automatic port forwarding', NOT),
  'upnp.name': str('I2Pd', 'Name shown in the UPnP forwarding list', NOT),

  // ---- precomputation ----
  'precomputation.elgamal': bool(false, 'ElGamal precomputation table (i2pd: off on x86_64, on elsewhere)', NOT),

  // ---- reseed ----
  'reseed.verify': bool(false, 'Verify .su3 signatures'),
  'reseed.threshold': u16(25, 'Reseed when fewer routers than this are known'),
  'reseed.floodfill': str('', 'Path to the RouterInfo of a floodfill to reseed from', NOT),
  'reseed.file': str('', 'Path to a local .su3 file or HTTPS URL to reseed from'),
  'reseed.zipfile': str('', 'Path to a local .zip file to reseed from'),
  'reseed.proxy': str('', 'Proxy URL for reseeding (http:// or socks://)'),
  'reseed.urls': list(I2PD_RESEED_URLS.join(','), 'Reseed URLs, comma-separated (empty: none)'),
  'reseed.yggurls': list(I2PD_RESEED_YGGURLS.join(','), 'Reseed URLs through Yggdrasil, comma-separated', NOT),

  // ---- addressbook ----
  'addressbook.enabled': bool(true, 'Enable address book lookups and subscriptions'),
  'addressbook.defaulturl': str(
    'http://shx5vqsw7usdaunyzr2qmes2fq37oumybpudrd4jjj4e4vk4uusa.b32.i2p/hosts.txt',
    'Subscription URL for the initial address book',
  ),
  'addressbook.subscriptions': list('http://reg.i2p/hosts.txt', 'Subscription URLs, comma-separated'),
  'addressbook.hostsfile': str('', 'File to dump addresses to in hosts.txt format'),

  // ---- trust ----
  'trust.enabled': bool(false, 'Enable explicit trust options', NOT),
  'trust.family': list('', 'Router families to trust for first hops, comma-separated', NOT),
  'trust.routers': list('', 'Connect only to these routers (base64 identities), comma-separated', NOT),
  'trust.hidden': bool(false, 'Hide our router from other routers (do not publish)', NOT),

  // ---- websockets (deprecated in i2pd) ----
  'websockets.enabled': bool(false, 'Deprecated in i2pd, ignored', NOT),
  'websockets.address': str('', 'Deprecated in i2pd, ignored', NOT),
  'websockets.port': u16(0, 'Deprecated in i2pd, ignored', NOT),

  // ---- exploratory ----
  'exploratory.inbound.length': int(2, 0, TUNNEL_LENGTH_MAX, 'Exploratory inbound tunnel length'),
  'exploratory.outbound.length': int(2, 0, TUNNEL_LENGTH_MAX, 'Exploratory outbound tunnel length'),
  'exploratory.inbound.quantity': int(3, 1, TUNNEL_QUANTITY_MAX, 'Exploratory inbound tunnels quantity'),
  'exploratory.outbound.quantity': int(3, 1, TUNNEL_QUANTITY_MAX, 'Exploratory outbound tunnels quantity'),

  // ---- ntcp2 ----
  'ntcp2.enabled': bool(true, 'Enable NTCP2'),
  'ntcp2.published': bool(true, 'Publish the NTCP2 address in our RouterInfo'),
  'ntcp2.port': u16(0, 'NTCP2 listen port (0: the global port option)'),
  'ntcp2.addressv6': str('::', 'IPv6 address to publish NTCP2 with'),
  'ntcp2.proxy': str('', 'Proxy URL for NTCP2 (http:// or socks://)', NOT),

  // ---- ssu2 ----
  'ssu2.enabled': bool(true, 'Enable SSU2'),
  'ssu2.published': bool(true, 'Publish the SSU2 address in our RouterInfo'),
  'ssu2.port': u16(0, 'SSU2 listen port (0: the global port option)'),
  'ssu2.mtu4': u16(0, 'MTU for IPv4 (0: detect)'),
  'ssu2.mtu6': u16(0, 'MTU for IPv6 (0: detect)'),
  'ssu2.proxy': str('', 'SOCKS5 proxy URL for SSU2', NOT),

  // ---- nettime ----
  'nettime.enabled': bool(false, 'Enable NTP time sync', NOT),
  'nettime.ntpservers': list('0.pool.ntp.org,1.pool.ntp.org,2.pool.ntp.org,3.pool.ntp.org', 'NTP servers, comma-separated', NOT),
  'nettime.ntpsyncinterval': int(72, INT32_MIN, INT32_MAX, 'NTP sync interval in hours', NOT),
  'nettime.frompeers': bool(true, 'Sync the clock from transport peers'),

  // ---- persist ----
  'persist.profiles': bool(true, 'Persist peer profiles'),
  'persist.addressbook': bool(true, 'Persist full addresses'),

  // ---- cpuext (no meaning in Node: node:crypto picks CPU paths itself) ----
  'cpuext.aesni': bool(true, 'Use AES-NI when detected', NOT),
  'cpuext.avx': bool(true, 'Use AVX when detected', NOT),
  'cpuext.force': bool(false, 'Force use of CPU extensions', NOT),

  // ---- meshnets ----
  'meshnets.yggdrasil': bool(false, 'Support transports through Yggdrasil', NOT),
  'meshnets.yggaddress': str('', 'Yggdrasil address to publish', NOT),

  // ---- unix ----
  'unix.handle_sigtstp': bool(false, 'Handle SIGTSTP and SIGCONT signals', NOT),
} as const satisfies Record<string, OptionSpec>;

export type Schema = typeof SCHEMA;
export type OptionName = keyof Schema & string;
export type OptionValue<K extends OptionName> = ValueOfSpec<Schema[K]>;

export const OPTION_NAMES: readonly OptionName[] = Object.freeze(Object.keys(SCHEMA) as OptionName[]);

export function isOptionName(name: string): name is OptionName {
  return Object.prototype.hasOwnProperty.call(SCHEMA, name);
}

export function optionSpec(name: OptionName): OptionSpec {
  return SCHEMA[name];
}

/** The section an option belongs to: the part before the first dot, or 'general'. */
export function sectionOf(name: string): string {
  const dot = name.indexOf('.');
  return dot < 0 ? 'general' : name.slice(0, dot);
}
