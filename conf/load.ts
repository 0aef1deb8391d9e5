/**
 * loadConfig: schema defaults < config file < command line, the way i2pd 2.45.1 does it
 * (daemon/Daemon.cpp `Daemon_Singleton::init`, libi2pd/Config.cpp `ParseCmdline`/`ParseConfig`).
 *
 * - The command line is read first. `--datadir` (else `--service` → /var/lib/clove, else ~/.clove) picks the
 *   data directory; `--conf=FILE` picks the config file, else DATADIR/i2pd.conf is read if it exists.
 *   As in i2pd, `conf`, `datadir` and `service` take effect from the command line only; in a file they warn.
 * - Command-line forms (boost unix_style + allow_long_disguise): `--key=value`, `--key value`,
 *   `-key=value`; bools also bare (`--floodfill`). Bool values as boost reads them: true/yes/on/1 and
 *   false/no/off/0, any case; an empty value is true.
 * - Deviations: an unknown key in a file is a warning (i2pd exits); `--nat=false` works for every bool
 *   (boost's bool_switch options take no value on i2pd's command line); negative numbers for unsigned options
 *   are errors (boost's lexical_cast wraps them). Unknown command-line options stay errors, as in i2pd: a typo
 *   on the command line should not start a router configured otherwise than intended.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { homedir as osHomedir } from 'node:os';
import { join, resolve } from 'node:path';
import { COMMAND_LINE, ConfigError } from './errors.js';
import { parseOptionsIni } from './ini.js';
import {
  OPTION_NAMES,
  SCHEMA,
  isOptionName,
  sectionOf,
  splitList,
  type OptionName,
  type OptionSpec,
  type OptionValue,
} from './schema.js';

/** Name of clove's data folder under $HOME (`~/.clove`) and under /var/lib with `--service`. */
export const DATADIR_NAME = 'clove';
/** The config file looked for in the data directory when `--conf` is not given (i2pd's name, so files carry over). */
export const CONFIG_FILE_NAME = 'i2pd.conf';

export type OptionSource = 'default' | 'file' | 'command line';

type AnyValue = OptionValue<OptionName>;

/** Paths that default to a file or folder in the data directory when their option is empty. */
export type PathOption = 'tunconf' | 'tunnelsdir' | 'certsdir' | 'pidfile' | 'logfile';

const PATH_DEFAULTS: Record<PathOption, string> = {
  tunconf: 'tunnels.conf',
  tunnelsdir: 'tunnels.d',
  certsdir: 'certificates',
  pidfile: 'i2pd.pid',
  logfile: 'i2pd.log',
};

/** The loaded, validated configuration. Immutable. */
export class Config {
  readonly #values: ReadonlyMap<OptionName, AnyValue>;
  readonly #sources: ReadonlyMap<OptionName, OptionSource>;
  /** The data directory in effect, absolute. */
  readonly datadir: string;
  /** The config file that was read, absolute, or undefined if none. */
  readonly configFile: string | undefined;
  readonly #cwd: string;

  constructor(init: {
    values: ReadonlyMap<OptionName, AnyValue>;
    sources: ReadonlyMap<OptionName, OptionSource>;
    datadir: string;
    configFile: string | undefined;
    cwd: string;
  }) {
    this.#values = init.values;
    this.#sources = init.sources;
    this.datadir = init.datadir;
    this.configFile = init.configFile;
    this.#cwd = init.cwd;
  }

  /** The value of an option, typed by the schema: `get('ntcp2.port')` is a number. */
  get<K extends OptionName>(key: K): OptionValue<K> {
    if (!this.#values.has(key)) throw new RangeError(`unknown option '${String(key)}'`);
    return this.#values.get(key) as OptionValue<K>;
  }

  /** Where the value came from. */
  sourceOf(key: OptionName): OptionSource {
    return this.#sources.get(key) ?? 'default';
  }

  /** True if neither the file nor the command line set it (i2pd `IsDefault`, e.g. for floodfill's transittunnels). */
  isDefault(key: OptionName): boolean {
    return this.sourceOf(key) === 'default';
  }

  /**
   * A path option resolved as i2pd does: the option's value if set (relative to the working directory),
   * else its default name inside the data directory (tunnels.conf, tunnels.d, certificates, i2pd.pid, i2pd.log).
   */
  path(key: PathOption): string {
    const v = this.get(key);
    return v === '' ? join(this.datadir, PATH_DEFAULTS[key]) : resolve(this.#cwd, v);
  }

  /** Every option with its value, for the console and debugging. */
  toObject(): { [K in OptionName]: OptionValue<K> } {
    const o: Partial<Record<OptionName, AnyValue>> = {};
    for (const k of OPTION_NAMES) o[k] = this.#values.get(k)!;
    return o as { [K in OptionName]: OptionValue<K> };
  }
}

export interface LoadConfigOptions {
  /** Arguments after the program (and subcommand) name, e.g. `process.argv.slice(3)` for `clove run ...`. */
  argv: readonly string[];
  /** Resolves relative `--conf`, `--datadir` and path options. Default: process.cwd(). */
  cwd?: string;
  /** Home directory for the default data directory. Default: os.homedir(). */
  homedir?: string;
}

export interface LoadConfigResult {
  config: Config;
  /** Human-readable, each naming the key and the file (and line). */
  warnings: string[];
  /** Config files read, absolute paths (zero or one). */
  files: string[];
  /**
   * Options set (in the file or on the command line) to a value other than their default that clove accepts
   * for i2pd compatibility but does not act on yet (`implemented: false`), in schema order. Worth a log line.
   */
  unimplemented: OptionName[];
  /** `--help` / `-h` was given: print helpText() and exit 0. */
  help: boolean;
  /** `--version` was given. */
  version: boolean;
}

// ---------------------------------------------------------------- values

const TRUE_WORDS = new Set(['', 'on', 'yes', '1', 'true']);
const FALSE_WORDS = new Set(['off', 'no', '0', 'false']);
const INT_RE = /^[+-]?[0-9]+$/;

/** What a value of this option must look like, in words (used in errors and --help). */
export function expectedOf(spec: OptionSpec): string {
  switch (spec.kind) {
    case 'bool':
      return 'a boolean (true/false, yes/no, on/off, 1/0)';
    case 'int':
      return spec.oneOf
        ? `one of ${spec.oneOf.join(', ')}`
        : `an integer ${spec.min}..${spec.max}`;
    case 'enum':
      return `one of ${spec.values.map((v) => (v === '' ? "'' (empty)" : v)).join(', ')}`;
    case 'string':
      return spec.expected ?? 'a string';
    case 'list':
      return 'a comma-separated list';
    case 'intlist':
      return `a comma-separated list of integers ${spec.min}..${spec.max}`;
  }
}

function parseIntStrict(s: string): number | undefined {
  if (!INT_RE.test(s)) return undefined;
  const n = Number(s);
  return Number.isSafeInteger(n) ? n : undefined;
}

/**
 * Parse one raw option value. Throws ConfigError naming `key`, `source` (and `line`) and what was expected.
 */
export function parseOptionValue<K extends OptionName>(
  key: K,
  raw: string,
  source: string,
  line?: number,
): OptionValue<K> {
  const spec: OptionSpec = SCHEMA[key];
  const fail = (): never => {
    const expected = expectedOf(spec);
    throw new ConfigError(
      { key, source, expected, ...(line !== undefined ? { line } : {}) },
      `expected ${expected}, got '${raw}'`,
    );
  };
  switch (spec.kind) {
    case 'bool': {
      const s = raw.toLowerCase();
      if (TRUE_WORDS.has(s)) return true as OptionValue<K>;
      if (FALSE_WORDS.has(s)) return false as OptionValue<K>;
      return fail();
    }
    case 'int': {
      const n = parseIntStrict(raw);
      if (n === undefined || n < spec.min || n > spec.max) return fail();
      if (spec.oneOf && !spec.oneOf.includes(n)) return fail();
      return n as OptionValue<K>;
    }
    case 'enum': {
      const found = spec.ignoreCase
        ? spec.values.find((v) => v.toLowerCase() === raw.toLowerCase())
        : spec.values.find((v) => v === raw);
      if (found === undefined) return fail();
      return found as OptionValue<K>;
    }
    case 'string':
      if (spec.pattern && raw !== '' && !spec.pattern.test(raw)) return fail();
      return raw as OptionValue<K>;
    case 'list':
      return Object.freeze(splitList(raw)) as OptionValue<K>;
    case 'intlist': {
      const out: number[] = [];
      for (const item of splitList(raw)) {
        const n = parseIntStrict(item);
        if (n === undefined || n < spec.min || n > spec.max) return fail();
        out.push(n);
      }
      return Object.freeze(out) as OptionValue<K>;
    }
  }
}

// ---------------------------------------------------------------- command line

interface CommandLine {
  raw: Map<OptionName, string>;
  help: boolean;
  version: boolean;
}

const CLI_FLAGS = new Set(['help', 'h', 'version']);

function cliError(message: string, expected: string, key?: string): ConfigError {
  return new ConfigError({ source: COMMAND_LINE, expected, ...(key !== undefined ? { key } : {}) }, message);
}

function parseCommandLine(argv: readonly string[]): CommandLine {
  const raw = new Map<OptionName, string>();
  let help = false;
  let version = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      if (i + 1 < argv.length) throw cliError(`unexpected argument '${argv[i + 1]}'`, 'options like --key=value');
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      throw cliError(`unexpected argument '${arg}'`, 'options like --key=value');
    }
    const body = arg.startsWith('--') ? arg.slice(2) : arg.slice(1);
    const eq = body.indexOf('=');
    const name = eq < 0 ? body : body.slice(0, eq);
    let value: string | undefined = eq < 0 ? undefined : body.slice(eq + 1);
    if (CLI_FLAGS.has(name)) {
      if (value !== undefined) throw cliError(`option '--${name}' takes no value`, `--${name}`, name);
      if (name === 'version') version = true;
      else help = true;
      continue;
    }
    if (!isOptionName(name)) {
      throw cliError(`unknown option '${arg}'`, 'an option listed by --help', name);
    }
    if (raw.has(name)) {
      throw cliError(`option '--${name}' is given more than once`, 'each option once', name);
    }
    const spec = SCHEMA[name] as OptionSpec;
    if (value === undefined) {
      if (spec.kind === 'bool') {
        value = 'true';
      } else {
        const next = argv[i + 1];
        if (next === undefined || (next.startsWith('-') && !INT_RE.test(next))) {
          throw cliError(`option '--${name}' needs a value`, `--${name}=<${expectedOf(spec)}>`, name);
        }
        value = next;
        i++;
      }
    }
    raw.set(name, value);
  }
  return { raw, help, version };
}

// ---------------------------------------------------------------- files

function readConfigFile(path: string): string {
  try {
    if (!statSync(path).isFile()) {
      throw new ConfigError({ source: path, expected: 'a readable config file' }, 'not a regular file');
    }
    return readFileSync(path, 'utf8');
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    const code = (e as NodeJS.ErrnoException).code ?? String(e);
    throw new ConfigError({ source: path, expected: 'a readable config file' }, `cannot read config file (${code})`);
  }
}

function isFile(path: string): boolean {
  try {
    return existsSync(path) && statSync(path).isFile();
  } catch {
    return false;
  }
}

/** Options that i2pd reads before the config file; setting them in the file has no effect. */
const COMMAND_LINE_ONLY: ReadonlySet<string> = new Set(['conf', 'datadir', 'service']);

/**
 * Load the configuration: schema defaults < config file < command line. Throws ConfigError on bad values,
 * unreadable files, unknown command-line options; unknown keys in the file become warnings.
 */
export function loadConfig(opts: LoadConfigOptions): LoadConfigResult {
  const cwd = opts.cwd ?? process.cwd();
  const warnings: string[] = [];
  const cli = parseCommandLine(opts.argv);

  const values = new Map<OptionName, AnyValue>();
  const sources = new Map<OptionName, OptionSource>();
  for (const k of OPTION_NAMES) values.set(k, SCHEMA[k].default as AnyValue);

  for (const [k, raw] of cli.raw) {
    values.set(k, parseOptionValue(k, raw, COMMAND_LINE));
    sources.set(k, COMMAND_LINE);
  }

  const datadirOpt = values.get('datadir') as string;
  const datadir =
    datadirOpt !== ''
      ? resolve(cwd, datadirOpt)
      : values.get('service') === true
        ? `/var/lib/${DATADIR_NAME}`
        : join(opts.homedir ?? osHomedir(), `.${DATADIR_NAME}`);

  const confOpt = values.get('conf') as string;
  let configFile: string | undefined;
  if (confOpt !== '') configFile = resolve(cwd, confOpt);
  else if (isFile(join(datadir, CONFIG_FILE_NAME))) configFile = join(datadir, CONFIG_FILE_NAME);

  const files: string[] = [];
  if (configFile !== undefined) {
    const text = readConfigFile(configFile);
    files.push(configFile);
    const seen = new Set<string>();
    for (const { key, value, line } of parseOptionsIni(text, configFile)) {
      if (!isOptionName(key)) {
        const hint = key === 'help' || key === 'version' ? ' (a command-line flag)' : '';
        warnings.push(`${configFile}, line ${line}: unknown option '${key}'${hint}, ignored`);
        continue;
      }
      if (seen.has(key)) {
        throw new ConfigError(
          { key, source: configFile, line, expected: 'each option once' },
          'option is set more than once in this file',
        );
      }
      seen.add(key);
      const parsed = parseOptionValue(key, value, configFile, line); // validated even when the command line wins
      if (COMMAND_LINE_ONLY.has(key)) {
        warnings.push(
          `${configFile}, line ${line}: '${key}' has no effect in a config file (it is read before the file); use --${key}`,
        );
        continue;
      }
      if (sources.get(key) === COMMAND_LINE) continue;
      values.set(key, parsed);
      sources.set(key, 'file');
    }
  }

  const config = new Config({ values, sources, datadir, configFile, cwd });
  const unimplemented = OPTION_NAMES.filter((k) => {
    const spec = SCHEMA[k] as OptionSpec;
    return !spec.implemented && !config.isDefault(k) && !sameValue(config.get(k), spec.default);
  });
  return { config, warnings, files, unimplemented, help: cli.help, version: cli.version };
}

function sameValue(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => x === b[i]);
  return a === b;
}

// ---------------------------------------------------------------- help

const SECTION_TITLES: Record<string, string> = {
  general: 'General',
  limits: 'Limits',
  http: 'Web console',
  httpproxy: 'HTTP proxy',
  socksproxy: 'SOCKS proxy',
  sam: 'SAM bridge',
  bob: 'BOB',
  i2cp: 'I2CP',
  i2pcontrol: 'I2PControl',
  upnp: 'UPnP',
  precomputation: 'Precomputation',
  reseed: 'Reseed',
  addressbook: 'Address book',
  trust: 'Trust',
  websockets: 'Websockets (deprecated)',
  exploratory: 'Exploratory tunnels',
  ntcp2: 'NTCP2',
  ssu2: 'SSU2',
  nettime: 'Time sync',
  persist: 'Persisting',
  cpuext: 'CPU extensions',
  meshnets: 'Meshnets',
  unix: 'Unix',
};

function argOf(spec: OptionSpec): string {
  switch (spec.kind) {
    case 'bool':
      return '[=true|false]';
    case 'int':
      return spec.oneOf ? `=<${spec.oneOf.join('|')}>` : `=<${spec.min}..${spec.max}>`;
    case 'enum':
      return `=<${spec.values.filter((v) => v !== '').join('|')}>`;
    case 'string':
      return '=<string>';
    case 'list':
      return '=<a,b,...>';
    case 'intlist':
      return '=<n,m,...>';
  }
}

function defaultText(spec: OptionSpec): string {
  const d = spec.default;
  if (Array.isArray(d)) return d.length === 0 ? '(none)' : d.join(',');
  if (d === '') return '(empty)';
  return String(d);
}

/** Help for `clove run --help`, generated from the schema. */
export function helpText(): string {
  const out: string[] = [
    'Options (i2pd 2.45.1 names). Set them as --name=value, or in i2pd.conf as "name = value"',
    '(keys of a section go under [section], e.g. "[ntcp2]" then "port = 4567"). The command line wins over the file.',
    '',
    '  --help, -h                 show this text',
    '  --version                  show the version',
  ];
  let section = '';
  for (const name of OPTION_NAMES) {
    const spec = SCHEMA[name] as OptionSpec;
    const sec = sectionOf(name);
    if (sec !== section) {
      section = sec;
      out.push('', `${SECTION_TITLES[sec] ?? sec}${sec === 'general' ? '' : ` [${sec}]`}:`);
    }
    const flag = `  --${name}${argOf(spec)}`;
    const pad = flag.length < 44 ? ' '.repeat(44 - flag.length) : '\n' + ' '.repeat(44);
    const notYet = spec.implemented ? '' : ' [accepted, not implemented]';
    // Descriptions that say what empty means ('(empty: DATADIR/tunnels.conf)') need no '(default: (empty))'.
    const emptySaid = spec.default === '' && spec.description.includes('(empty:');
    const def = emptySaid ? '' : ` (default: ${defaultText(spec)})`;
    out.push(`${flag}${pad}${spec.description}${def}${notYet}`);
  }
  out.push('', 'Options marked [accepted, not implemented] load from i2pd files but have no effect in clove yet.');
  return out.join('\n') + '\n';
}
