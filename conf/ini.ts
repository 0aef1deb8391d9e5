/**
 * The two INI dialects i2pd reads, each parsed the way i2pd's library parses it.
 *
 * i2pd.conf is read by boost::program_options `parse_config_file` (libi2pd/Config.cpp `ParseConfig`):
 *   - `#` starts a comment anywhere on a line (`port = 4567 # mine` is port 4567); `;` is NOT a comment;
 *   - `[section]` makes later keys `section.key`; keys before any section are general;
 *   - `key = value` splits at the first `=` (values may contain `=`), both sides trimmed; quotes are kept;
 *   - any other non-blank line is an error.
 * tunnels.conf is read by boost::property_tree `read_ini` (libi2pd_client/ClientContext.cpp `ReadTunnels`):
 *   - only whole lines starting with `;` or `#` are comments; `port = 6668 # x` has the value `6668 # x`;
 *   - `[name]` up to the first `]`; duplicate sections and duplicate keys in a section are errors;
 *   - a line without `=`, or starting with `=`, is an error.
 *
 * Why not the `ini` npm package: it strips inline `;` and `#` comments (boost keeps `a;b`), unquotes values,
 * turns `true`/`false` into booleans and a bare `key` into `true` (boost: syntax error), makes `key[]` an array,
 * and nests dotted section names (`[a.b]` becomes a.b, overwriting a general key `a`). Each of those would load
 * some i2pd file differently from i2pd; these two small parsers do not.
 *
 * Both parsers only throw ConfigError. Nothing is logged here.
 */
import { ConfigError } from './errors.js';

export interface IniEntry {
  readonly key: string;
  readonly value: string;
  /** 1-based. */
  readonly line: number;
}

export interface IniSection {
  readonly name: string;
  readonly line: number;
  readonly entries: readonly IniEntry[];
}

const WS = ' \t\r\f\v';

function trim(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && WS.includes(s[a]!)) a++;
  while (b > a && WS.includes(s[b - 1]!)) b--;
  return s.slice(a, b);
}

function lines(text: string): string[] {
  return (text.charCodeAt(0) === 0xfeff ? text.slice(1) : text).split('\n');
}

/** i2pd.conf (boost program_options). Returns entries with full dotted keys, in file order. */
export function parseOptionsIni(text: string, source: string): IniEntry[] {
  const out: IniEntry[] = [];
  let prefix = '';
  const all = lines(text);
  for (let i = 0; i < all.length; i++) {
    const lineNo = i + 1;
    let s = all[i]!;
    const hash = s.indexOf('#');
    if (hash >= 0) s = s.slice(0, hash);
    s = trim(s);
    if (s === '') continue;
    if (s.startsWith('[') && s.endsWith(']')) {
      let name = trim(s.slice(1, -1));
      while (name.endsWith('.')) name = name.slice(0, -1);
      if (name === '') {
        throw new ConfigError({ source, line: lineNo, expected: 'a section name' }, `empty section header '${s}'`);
      }
      prefix = `${name}.`;
      continue;
    }
    const eq = s.indexOf('=');
    if (eq < 0) {
      throw new ConfigError(
        { source, line: lineNo, expected: "'key = value' or '[section]'" },
        `cannot parse line '${s}': expected 'key = value' or '[section]'`,
      );
    }
    const key = trim(s.slice(0, eq));
    if (key === '') {
      throw new ConfigError({ source, line: lineNo, expected: "'key = value'" }, `missing key before '=' in '${s}'`);
    }
    out.push({ key: prefix + key, value: trim(s.slice(eq + 1)), line: lineNo });
  }
  return out;
}

/** tunnels.conf (boost property_tree read_ini). Keys outside any section are returned in `root`. */
export function parseTreeIni(text: string, source: string): { root: IniEntry[]; sections: IniSection[] } {
  const root: IniEntry[] = [];
  const sections: { name: string; line: number; entries: IniEntry[]; keys: Set<string> }[] = [];
  const names = new Set<string>();
  const rootKeys = new Set<string>();
  let current: (typeof sections)[number] | undefined;
  const all = lines(text);
  for (let i = 0; i < all.length; i++) {
    const lineNo = i + 1;
    const s = trim(all[i]!);
    if (s === '' || s.startsWith(';') || s.startsWith('#')) continue;
    if (s.startsWith('[')) {
      const end = s.indexOf(']');
      if (end < 0) throw new ConfigError({ source, line: lineNo, expected: "']'" }, `unmatched '[' in '${s}'`);
      const name = trim(s.slice(1, end));
      if (names.has(name)) {
        throw new ConfigError({ source, line: lineNo, key: `[${name}]`, expected: 'unique tunnel names' }, 'duplicate section name');
      }
      names.add(name);
      current = { name, line: lineNo, entries: [], keys: new Set() };
      sections.push(current);
      continue;
    }
    const eq = s.indexOf('=');
    if (eq < 0) {
      throw new ConfigError({ source, line: lineNo, expected: "'key = value'" }, `'=' not found in line '${s}'`);
    }
    if (eq === 0) throw new ConfigError({ source, line: lineNo, expected: "'key = value'" }, `key expected before '=' in '${s}'`);
    const key = trim(s.slice(0, eq));
    const keys = current ? current.keys : rootKeys;
    if (keys.has(key)) {
      const where = current ? `[${current.name}] ${key}` : key;
      throw new ConfigError({ source, line: lineNo, key: where, expected: 'each key once per section' }, 'duplicate key');
    }
    keys.add(key);
    const entry = { key, value: trim(s.slice(eq + 1)), line: lineNo };
    (current ? current.entries : root).push(entry);
  }
  return { root, sections: sections.map(({ name, line, entries }) => ({ name, line, entries })) };
}
