/**
 * tunnels.conf and tunnels.d/*.conf in i2pd 2.45.1's format (libi2pd_client/ClientContext.cpp `ReadTunnels`,
 * key names from ClientContext.h and libi2pd/Destination.h). Each section is one tunnel, named by its header.
 *
 * Required keys, as i2pd requires them:
 *   client, udpclient             type, destination, port
 *   socks, httpproxy              type, port
 *   server, http, irc, udpserver  type, host, port, keys
 * Optional keys take i2pd's defaults (client keys 'transient', address 127.0.0.1, signaturetype 7,
 * cryptotype 0, gzip true for udpclient and false for servers, enableuniquelocal true, pool 3 hops × 5 tunnels).
 *
 * Values are read as boost::property_tree reads them: integers must be the whole value (so `port = 6668 # irc`
 * is an error; tunnels.conf has no inline comments) and booleans are true/false/1/0.
 *
 * Deviations from i2pd, written down:
 * - A file that does not parse, an unknown `type`, a missing required key or a bad value is a ConfigError
 *   (i2pd: an unreadable file is skipped with a warning; a bad tunnel stops the router; an unknown type is
 *   skipped with a warning). `websocks` is skipped with a warning, as in i2pd (deprecated there).
 * - Keys no tunnel type knows, and known keys that the tunnel's type ignores, are warnings (i2pd ignores them).
 * - Pool options are range-checked (length 0..8, quantity 1..16, variance -7..7); i2pd stoi()s them later.
 * - tunnels.d/ files are read in name order (i2pd: directory order).
 * - One clove key: `ircfilter = true|false` on `type = client` (default false) turns on Java I2P's IRC client
 *   filtering (proxy/i2ptunnel/irc-filter.ts); i2pd ignores the key.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from './errors.js';
import { parseTreeIni, type IniEntry, type IniSection } from './ini.js';
import { splitList } from './schema.js';

export const TUNNEL_TYPES = ['client', 'server', 'http', 'irc', 'udpclient', 'udpserver', 'socks', 'httpproxy'] as const;
export type TunnelType = (typeof TUNNEL_TYPES)[number];

export type ClientTunnelType = 'client' | 'udpclient';
export type ProxyTunnelType = 'socks' | 'httpproxy';
export type ServerTunnelType = 'server' | 'http' | 'irc' | 'udpserver';

/** Tunnel-pool options of the tunnel's local destination, with i2pd's defaults (Destination.h). */
export interface TunnelPoolOptions {
  inboundLength: number; // inbound.length, 3
  outboundLength: number; // outbound.length, 3
  inboundQuantity: number; // inbound.quantity, 5
  outboundQuantity: number; // outbound.quantity, 5
  inboundLengthVariance: number; // inbound.lengthVariance, 0
  outboundLengthVariance: number; // outbound.lengthVariance, 0
  latencyMin: number; // latency.min, 0
  latencyMax: number; // latency.max, 0
}

interface TunnelBase {
  /** Section name: `[IRC-ILITA]` → 'IRC-ILITA'. */
  readonly name: string;
  /** File the tunnel was read from, and its header line. */
  readonly file: string;
  readonly line: number;
  /** Key file for the local destination ('transient' or 'transient-…': fresh keys each start). */
  readonly keys: string;
  /** signaturetype, default 7 (EdDSA-SHA512-Ed25519). */
  readonly signatureType: number;
  /** cryptotype, default 0 (ElGamal; the identity's crypto key type — LeaseSet keys follow i2cp.leaseSetEncType). */
  readonly cryptoType: number;
  readonly pool: TunnelPoolOptions;
  /**
   * I2CP and streaming options for the destination, as i2pd passes them on (ReadI2CPOptions): the pool keys
   * above with defaults filled in, crypto.tagsToSend, i2p.streaming.initialAckDelay and .answerPings,
   * i2cp.leaseSetType, i2cp.leaseSetEncType, and any i2cp.leaseSet*, explicitPeers, crypto.ratchet.*,
   * inbound/outbound.nickname, i2cp.dontPublishLeaseSet, i2p.streaming.* given.
   */
  readonly i2cp: Readonly<Record<string, string>>;
  /** Every key of the section as written (after trimming). */
  readonly raw: Readonly<Record<string, string>>;
}

export interface ClientTunnelDef extends TunnelBase {
  readonly type: ClientTunnelType;
  /** I2P destination: .i2p host name, .b32.i2p address or base64. */
  readonly destination: string;
  /** Local listen address (default 127.0.0.1) and port. */
  readonly address: string;
  readonly port: number;
  /** Destination port to connect to (0: any). */
  readonly destinationPort: number;
  readonly matchTunnels: boolean;
  /** Seconds, 0: none (client only). */
  readonly connectTimeout: number;
  readonly keepAliveInterval: number;
  /** udpclient: gzip datagrams (default true). */
  readonly gzip: boolean;
  /**
   * client: filter the IRC lines passing through, as Java I2P's `ircclient` tunnels do (IRCFilter). A clove
   * key (`ircfilter = true`, default false): i2pd has no IRC client tunnel type and ignores unknown keys, so
   * a tunnels.conf using it still works, unfiltered, with i2pd.
   */
  readonly ircFilter: boolean;
}

export interface ProxyTunnelDef extends TunnelBase {
  readonly type: ProxyTunnelType;
  readonly address: string;
  readonly port: number;
  /** Upstream outproxy: socks → address, httpproxy → URL; '' for none. */
  readonly outproxy: string;
  /** socks: outproxy port (i2pd reads it from destinationport). */
  readonly destinationPort: number;
  /** httpproxy: jump-link address helper (default true). */
  readonly addresshelper: boolean;
  readonly connectTimeout: number;
}

export interface ServerTunnelDef extends TunnelBase {
  readonly type: ServerTunnelType;
  /** Local service to forward to. */
  readonly host: string;
  readonly port: number;
  /** I2P port to accept on (0: any). */
  readonly inport: number;
  /** b32 addresses allowed to connect (accesslist, or the older whitelist); empty: everyone. */
  readonly accessList: readonly string[];
  /** http: Host header to send. */
  readonly hostOverride: string;
  /** irc: WEBIRC password. */
  readonly webircPassword: string;
  readonly gzip: boolean;
  /** Local address to connect from ('' : default; udpserver: 127.0.0.1 or ::1). */
  readonly address: string;
  readonly enableUniqueLocal: boolean;
  readonly ssl: boolean;
}

export type TunnelDef = ClientTunnelDef | ProxyTunnelDef | ServerTunnelDef;

export interface LoadTunnelsResult {
  tunnels: TunnelDef[];
  warnings: string[];
  /** Files read: the main file if it exists, then tunnels.d/*.conf in name order. */
  files: string[];
}

const REQUIRED: Record<TunnelType, readonly string[]> = {
  client: ['destination', 'port'],
  udpclient: ['destination', 'port'],
  socks: ['port'],
  httpproxy: ['port'],
  server: ['host', 'port', 'keys'],
  http: ['host', 'port', 'keys'],
  irc: ['host', 'port', 'keys'],
  udpserver: ['host', 'port', 'keys'],
};

const COMMON_KEYS = ['type', 'keys', 'signaturetype', 'cryptotype', 'port', 'address'];
/** Keys each type reads, beyond COMMON_KEYS and I2CP options. */
const TYPE_KEYS: Record<TunnelType, readonly string[]> = {
  client: ['destination', 'destinationport', 'matchtunnels', 'connecttimeout', 'keepaliveinterval', 'ircfilter'],
  udpclient: ['destination', 'destinationport', 'matchtunnels', 'gzip'],
  socks: ['outproxy', 'destinationport', 'matchtunnels', 'connecttimeout'],
  httpproxy: ['outproxy', 'addresshelper', 'matchtunnels', 'connecttimeout'],
  server: ['host', 'inport', 'accesslist', 'whitelist', 'gzip', 'enableuniquelocal', 'ssl'],
  http: ['host', 'inport', 'accesslist', 'whitelist', 'gzip', 'enableuniquelocal', 'ssl', 'hostoverride'],
  irc: ['host', 'inport', 'accesslist', 'whitelist', 'gzip', 'enableuniquelocal', 'ssl', 'webircpassword'],
  udpserver: ['host', 'gzip', 'enableuniquelocal'],
};
const ALL_TUNNEL_KEYS: ReadonlySet<string> = new Set([...COMMON_KEYS, ...Object.values(TYPE_KEYS).flat()]);

/** I2CP/streaming option names i2pd's destinations understand (Destination.h, Streaming.h). */
const I2CP_KEYS: ReadonlySet<string> = new Set([
  'inbound.length',
  'outbound.length',
  'inbound.quantity',
  'outbound.quantity',
  'inbound.lengthVariance',
  'outbound.lengthVariance',
  'latency.min',
  'latency.max',
  'crypto.tagsToSend',
  'crypto.ratchet.inboundTags',
  'crypto.ratchet.outboundTags',
  'inbound.nickname',
  'outbound.nickname',
  'explicitPeers',
  'i2cp.dontPublishLeaseSet',
  'i2cp.leaseSetType',
  'i2cp.leaseSetEncType',
  'i2cp.leaseSetPrivKey',
  'i2cp.leaseSetAuthType',
]);
const I2CP_PREFIXES = ['i2cp.leaseSetClient.dh.', 'i2cp.leaseSetClient.psk.', 'i2p.streaming.'];

function isI2cpKey(k: string): boolean {
  return I2CP_KEYS.has(k) || I2CP_PREFIXES.some((p) => k.startsWith(p));
}

/** Section reader: typed getters that throw ConfigError naming [tunnel] key, file and line. */
class SectionReader {
  readonly #map = new Map<string, IniEntry>();
  constructor(
    readonly section: IniSection,
    readonly file: string,
  ) {
    for (const e of section.entries) this.#map.set(e.key, e);
  }

  has(key: string): boolean {
    return this.#map.has(key);
  }

  fail(key: string, expected: string, message: string): never {
    const e = this.#map.get(key);
    throw new ConfigError(
      { key: `[${this.section.name}] ${key}`, source: this.file, line: e?.line ?? this.section.line, expected },
      message,
    );
  }

  required(key: string): string {
    const e = this.#map.get(key);
    if (e === undefined) this.fail(key, `a '${key} = …' line`, `missing required key '${key}'`);
    return e.value;
  }

  str(key: string, def: string): string {
    return this.#map.get(key)?.value ?? def;
  }

  int(key: string, def: number | undefined, min: number, max: number): number {
    const e = this.#map.get(key);
    if (e === undefined) {
      if (def === undefined) this.fail(key, `a '${key} = …' line`, `missing required key '${key}'`);
      return def;
    }
    const expected = `an integer ${min}..${max}`;
    if (!/^[+-]?[0-9]+$/.test(e.value)) {
      const hint = e.value.includes('#') || e.value.includes(';') ? ' (tunnels.conf has no comments after values)' : '';
      this.fail(key, expected, `expected ${expected}, got '${e.value}'${hint}`);
    }
    const n = Number(e.value);
    if (!Number.isSafeInteger(n) || n < min || n > max) this.fail(key, expected, `expected ${expected}, got '${e.value}'`);
    return n;
  }

  bool(key: string, def: boolean): boolean {
    const e = this.#map.get(key);
    if (e === undefined) return def;
    if (e.value === 'true' || e.value === '1') return true;
    if (e.value === 'false' || e.value === '0') return false;
    return this.fail(key, 'true, false, 1 or 0', `expected true, false, 1 or 0, got '${e.value}'`);
  }
}

const UINT16 = 65535;
const UINT32 = 4294967295;
const INT32_MAX = 2147483647;

function readPool(r: SectionReader): TunnelPoolOptions {
  return {
    inboundLength: r.int('inbound.length', 3, 0, 8),
    outboundLength: r.int('outbound.length', 3, 0, 8),
    inboundQuantity: r.int('inbound.quantity', 5, 1, 16),
    outboundQuantity: r.int('outbound.quantity', 5, 1, 16),
    inboundLengthVariance: r.int('inbound.lengthVariance', 0, -7, 7),
    outboundLengthVariance: r.int('outbound.lengthVariance', 0, -7, 7),
    latencyMin: r.int('latency.min', 0, 0, INT32_MAX),
    latencyMax: r.int('latency.max', 0, 0, INT32_MAX),
  };
}

function readI2cp(r: SectionReader, pool: TunnelPoolOptions, isServer: boolean): Record<string, string> {
  const o: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const e of r.section.entries) if (isI2cpKey(e.key)) o[e.key] = e.value;
  o['inbound.length'] = String(pool.inboundLength);
  o['outbound.length'] = String(pool.outboundLength);
  o['inbound.quantity'] = String(pool.inboundQuantity);
  o['outbound.quantity'] = String(pool.outboundQuantity);
  o['inbound.lengthVariance'] = String(pool.inboundLengthVariance);
  o['outbound.lengthVariance'] = String(pool.outboundLengthVariance);
  o['latency.min'] = String(pool.latencyMin);
  o['latency.max'] = String(pool.latencyMax);
  o['crypto.tagsToSend'] = String(r.int('crypto.tagsToSend', 40, 1, UINT16));
  o['i2p.streaming.initialAckDelay'] = String(r.int('i2p.streaming.initialAckDelay', 200, 0, INT32_MAX));
  o['i2p.streaming.answerPings'] = String(r.bool('i2p.streaming.answerPings', isServer));
  const lsType = r.int('i2cp.leaseSetType', 3, 1, 7);
  if (![1, 3, 5, 7].includes(lsType)) r.fail('i2cp.leaseSetType', 'one of 1, 3, 5, 7', `expected one of 1, 3, 5, 7, got '${lsType}'`);
  o['i2cp.leaseSetType'] = String(lsType);
  const enc = r.str('i2cp.leaseSetEncType', '0,4');
  for (const t of splitList(enc)) {
    if (!/^[0-9]+$/.test(t) || Number(t) > UINT16) {
      r.fail('i2cp.leaseSetEncType', 'comma-separated integers 0..65535', `expected comma-separated integers 0..65535, got '${enc}'`);
    }
  }
  if (enc === '') delete o['i2cp.leaseSetEncType'];
  else o['i2cp.leaseSetEncType'] = enc;
  if (r.has('i2cp.leaseSetAuthType')) {
    const auth = r.int('i2cp.leaseSetAuthType', 0, 0, 2);
    o['i2cp.leaseSetAuthType'] = String(auth);
  }
  return o;
}

function buildTunnel(r: SectionReader, warnings: string[]): TunnelDef | undefined {
  const { section, file } = r;
  const name = section.name;
  const type = r.required('type');
  if (type === 'websocks') {
    warnings.push(`${file}, line ${section.line}: [${name}]: type websocks is deprecated (as in i2pd), tunnel skipped`);
    return undefined;
  }
  if (!(TUNNEL_TYPES as readonly string[]).includes(type)) {
    r.fail('type', `one of ${TUNNEL_TYPES.join(', ')}`, `unknown tunnel type '${type}', expected one of ${TUNNEL_TYPES.join(', ')}`);
  }
  const t = type as TunnelType;
  for (const k of REQUIRED[t]) r.required(k);

  const allowed = new Set([...COMMON_KEYS, ...TYPE_KEYS[t]]);
  for (const e of section.entries) {
    if (allowed.has(e.key) || isI2cpKey(e.key)) continue;
    if (ALL_TUNNEL_KEYS.has(e.key)) {
      warnings.push(`${file}, line ${e.line}: [${name}] '${e.key}' is not used by ${t} tunnels, ignored`);
    } else {
      warnings.push(`${file}, line ${e.line}: [${name}] unknown key '${e.key}', ignored`);
    }
  }

  const pool = readPool(r);
  const isServer = t === 'server' || t === 'http' || t === 'irc' || t === 'udpserver';
  const raw: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const e of section.entries) raw[e.key] = e.value;
  const base = {
    name,
    file,
    line: section.line,
    signatureType: r.int('signaturetype', 7, 0, UINT16),
    cryptoType: r.int('cryptotype', 0, 0, UINT16),
    pool,
    i2cp: readI2cp(r, pool, isServer),
    raw,
  };

  switch (t) {
    case 'client':
    case 'udpclient':
      return {
        ...base,
        type: t,
        keys: r.str('keys', 'transient'),
        destination: nonEmpty(r, 'destination'),
        address: r.str('address', '127.0.0.1'),
        port: r.int('port', undefined, 1, UINT16),
        destinationPort: r.int('destinationport', 0, 0, UINT16),
        matchTunnels: r.bool('matchtunnels', false),
        connectTimeout: t === 'client' ? r.int('connecttimeout', 0, 0, UINT32) : 0,
        keepAliveInterval: t === 'client' ? r.int('keepaliveinterval', 0, 0, UINT32) : 0,
        gzip: t === 'udpclient' ? r.bool('gzip', true) : false,
        ircFilter: t === 'client' ? r.bool('ircfilter', false) : false,
      };
    case 'socks':
    case 'httpproxy':
      return {
        ...base,
        type: t,
        keys: r.str('keys', 'transient'),
        address: r.str('address', '127.0.0.1'),
        port: r.int('port', undefined, 1, UINT16),
        outproxy: r.str('outproxy', ''),
        destinationPort: t === 'socks' ? r.int('destinationport', 0, 0, UINT16) : 0,
        addresshelper: t === 'httpproxy' ? r.bool('addresshelper', true) : false,
        connectTimeout: r.int('connecttimeout', 0, 0, UINT32),
      };
    default: {
      const access = r.str('accesslist', '') || r.str('whitelist', '');
      return {
        ...base,
        type: t,
        keys: nonEmpty(r, 'keys'),
        host: nonEmpty(r, 'host'),
        port: r.int('port', undefined, 1, UINT16),
        inport: t === 'udpserver' ? 0 : r.int('inport', 0, 0, UINT16),
        accessList: Object.freeze(splitList(access)),
        hostOverride: t === 'http' ? r.str('hostoverride', '') : '',
        webircPassword: t === 'irc' ? r.str('webircpassword', '') : '',
        gzip: r.bool('gzip', false),
        address: r.str('address', ''),
        enableUniqueLocal: r.bool('enableuniquelocal', true),
        ssl: t === 'udpserver' ? false : r.bool('ssl', false),
      };
    }
  }
}

function nonEmpty(r: SectionReader, key: string): string {
  const v = r.required(key);
  if (v === '') r.fail(key, 'a non-empty value', `'${key}' is empty`);
  return v;
}

/** Parse one tunnels file's text. Throws ConfigError naming the tunnel section, key and file. */
export function parseTunnels(text: string, file: string, warnings: string[] = []): TunnelDef[] {
  const { root, sections } = parseTreeIni(text, file);
  if (root.length > 0) {
    const e = root[0]!;
    throw new ConfigError(
      { key: e.key, source: file, line: e.line, expected: 'keys inside a [tunnel name] section' },
      'key outside any [tunnel] section',
    );
  }
  const out: TunnelDef[] = [];
  for (const s of sections) {
    const t = buildTunnel(new SectionReader(s, file), warnings);
    if (t) out.push(t);
  }
  return out;
}

function readTunnelsFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? String(e);
    throw new ConfigError({ source: path, expected: 'a readable tunnels file' }, `cannot read tunnels file (${code})`);
  }
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

export interface LoadTunnelsOptions {
  /**
   * Throw if `file` does not exist. i2pd only warns, for any path; pass `!config.isDefault('tunconf')` to
   * fail on a tunconf the user named but that is missing, while a missing default DATADIR/tunnels.conf stays fine.
   */
  fileRequired?: boolean;
}

/**
 * Read `file` (skipped if it does not exist, as i2pd does for its default tunnels.conf) and every `*.conf`
 * in `dir` (if it exists), validate every tunnel, and return them with warnings.
 * Pass `config.path('tunconf')` and `config.path('tunnelsdir')`.
 */
export function loadTunnelsDetailed(
  file: string | undefined,
  dir?: string,
  opts: LoadTunnelsOptions = {},
): LoadTunnelsResult {
  const warnings: string[] = [];
  const files: string[] = [];
  const tunnels: TunnelDef[] = [];
  const paths: string[] = [];
  if (file !== undefined && existsSync(file)) paths.push(file);
  else if (file !== undefined && opts.fileRequired) {
    throw new ConfigError({ source: file, expected: 'an existing tunnels file' }, 'tunnels file not found (set by tunconf)');
  }
  if (dir !== undefined && existsSync(dir)) {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? String(e);
      throw new ConfigError({ source: dir, expected: 'a readable tunnels folder' }, `cannot read tunnels folder (${code})`);
    }
    for (const n of names.sort()) {
      const p = join(dir, n);
      if (n.endsWith('.conf') && isFile(p)) paths.push(p);
    }
  }
  const byName = new Map<string, string>();
  for (const p of paths) {
    files.push(p);
    for (const t of parseTunnels(readTunnelsFile(p), p, warnings)) {
      const prev = byName.get(t.name);
      if (prev !== undefined) warnings.push(`${p}, line ${t.line}: tunnel name [${t.name}] is also used in ${prev}`);
      else byName.set(t.name, p);
      tunnels.push(t);
    }
  }
  return { tunnels, warnings, files };
}

/** loadTunnelsDetailed without the warnings and file list. */
export function loadTunnels(file: string | undefined, dir?: string, opts: LoadTunnelsOptions = {}): TunnelDef[] {
  return loadTunnelsDetailed(file, dir, opts).tunnels;
}
