/**
 * The hosts.txt format: `name=base64destination` per line.
 *
 * Specs: ../shared/specs/docs/naming.html ("Hosts.txt Naming Service", "Naming Rules") and
 * ../shared/specs/spec/subscription.rst (extended format: `name=dest#!k1=v1#k2=v2` add/change commands and
 * `#!k1=v1#…` remove commands). Behaviour references: i2pd 2.45.1 AddressBook.cpp `LoadHostsFromStream`
 * (skip empty and '#' lines, split at the first '=', cut the destination at '#', refuse *.b32.i2p) and Java
 * I2P HostTxtParser (lines starting with ';' are comments too; name trimmed and lower-cased; dest trimmed).
 *
 * Choices and deviations, written down:
 * - Extended metadata is parsed (so a well-formed `#!` section is available as `meta`) but not acted on, as
 *   in i2pd 2.45.1: signatures are not verified, `name=dest#!…` is an add, `#!…` command lines are counted
 *   and ignored. A malformed `#!` section does not lose the name=dest part (i2pd ignores it too).
 * - Names are lower-cased and checked with Java I2P's rules (names.ts); destinations must parse as a
 *   Destination (data/identity.ts) from strict, canonical I2P base64. Bad lines are skipped and counted; one
 *   bad line never loses the others.
 * - A name given twice: the last line wins (as in i2pd and Java I2P), the earlier is counted as a duplicate.
 * - Bounds: the whole input (maxBytes; more is ParseError('TOO_LARGE') — nothing is half-imported), each line
 *   (maxLineLength; longer lines are skipped), and the number of entries (maxEntries; the rest are skipped).
 * - Input may carry a UTF-8 BOM and CRLF or CR line ends. Invalid UTF-8 becomes U+FFFD and fails the name check.
 * The parser never logs and throws only ParseError.
 */
import { ParseError } from '../../data/errors.js';
import { fromBase64 } from '../../data/base64.js';
import { parseDestination, type Destination } from '../../data/identity.js';
import { hostNameProblem } from './names.js';

export interface HostsTxtLimits {
  /** Largest input accepted, in bytes (default 16 MiB). */
  maxBytes?: number;
  /** Longest line, in characters (default 8192: a 616-character destination plus signed metadata). */
  maxLineLength?: number;
  /** Most entries kept (default 200 000). */
  maxEntries?: number;
}

export const HOSTS_TXT_DEFAULTS: Required<HostsTxtLimits> = {
  maxBytes: 16 * 1024 * 1024,
  maxLineLength: 8192,
  maxEntries: 200_000,
};

export interface HostsTxtEntry {
  /** Lower-cased host name, valid per names.ts. */
  readonly name: string;
  readonly destination: Destination;
  /** The destination as given (canonical I2P base64). */
  readonly base64: string;
  /** 1-based line number. */
  readonly line: number;
  /** The `#!k=v#…` metadata of an extended-format line, when well-formed. */
  readonly meta?: Readonly<Record<string, string>>;
}

export type HostsTxtSkipReason = 'LINE_TOO_LONG' | 'NO_EQUALS' | 'BAD_NAME' | 'BAD_DESTINATION' | 'TOO_MANY';

export interface HostsTxtResult {
  /** One per name (the last line for a name wins), in order of first appearance. */
  readonly entries: HostsTxtEntry[];
  readonly lines: number;
  /** Lines skipped, by reason. */
  readonly skipped: Readonly<Record<HostsTxtSkipReason, number>>;
  readonly skippedTotal: number;
  /** The first few skipped lines (line number, reason, detail without the line's content). */
  readonly problems: readonly { line: number; reason: HostsTxtSkipReason; detail: string }[];
  /** Earlier lines for a name that a later line replaced. */
  readonly duplicates: number;
  /** `#!…` command lines (extended format), ignored. */
  readonly commands: number;
}

const MAX_PROBLEMS = 20;

/** Parse hosts.txt content. Throws ParseError('TOO_LARGE') only; bad lines are skipped and counted. */
export function parseHostsTxt(input: Uint8Array | string, limits: HostsTxtLimits = {}): HostsTxtResult {
  const lim = { ...HOSTS_TXT_DEFAULTS, ...limits };
  const size = typeof input === 'string' ? Buffer.byteLength(input, 'utf8') : input.byteLength;
  if (size > lim.maxBytes) throw new ParseError('TOO_LARGE', 'hosts.txt', lim.maxBytes, `${size} bytes, more than the ${lim.maxBytes} accepted`);
  let text = typeof input === 'string' ? input : new TextDecoder('utf-8', { fatal: false, ignoreBOM: true }).decode(input);
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);

  const byName = new Map<string, HostsTxtEntry>();
  const skipped: Record<HostsTxtSkipReason, number> = { LINE_TOO_LONG: 0, NO_EQUALS: 0, BAD_NAME: 0, BAD_DESTINATION: 0, TOO_MANY: 0 };
  const problems: { line: number; reason: HostsTxtSkipReason; detail: string }[] = [];
  let duplicates = 0;
  let commands = 0;
  const skip = (line: number, reason: HostsTxtSkipReason, detail: string): void => {
    skipped[reason]++;
    if (problems.length < MAX_PROBLEMS) problems.push({ line, reason, detail });
  };

  let lineNo = 0;
  let at = 0;
  while (at < text.length) {
    let end = at;
    while (end < text.length && text.charCodeAt(end) !== 10 && text.charCodeAt(end) !== 13) end++;
    lineNo++;
    const rawLength = end - at;
    const raw = rawLength > lim.maxLineLength ? '' : text.slice(at, end);
    // CRLF counts as one line end.
    at = end < text.length && text.charCodeAt(end) === 13 && text.charCodeAt(end + 1) === 10 ? end + 2 : end + 1;
    if (rawLength > lim.maxLineLength) {
      skip(lineNo, 'LINE_TOO_LONG', `${rawLength} characters`);
      continue;
    }
    const line = raw.trim();
    if (line === '' || line.startsWith(';')) continue;
    if (line.startsWith('#')) {
      if (line.startsWith('#!')) commands++;
      continue;
    }
    const eq = line.indexOf('=');
    if (eq < 0) {
      skip(lineNo, 'NO_EQUALS', 'no name=destination');
      continue;
    }
    const name = line.slice(0, eq).trim().toLowerCase();
    let rest = line.slice(eq + 1);
    let meta: Record<string, string> | undefined;
    const hash = rest.indexOf('#');
    if (hash >= 0) {
      if (rest.startsWith('#!', hash)) meta = parseMeta(rest.slice(hash + 2));
      rest = rest.slice(0, hash);
    }
    const b64 = rest.trim();
    const problem = hostNameProblem(name);
    if (problem) {
      skip(lineNo, 'BAD_NAME', problem);
      continue;
    }
    let destination: Destination;
    try {
      destination = parseDestination(fromBase64(b64, 'hosts.txt/destination'));
    } catch (e) {
      if (!(e instanceof ParseError)) throw e;
      skip(lineNo, 'BAD_DESTINATION', e.code);
      continue;
    }
    const prev = byName.get(name);
    if (prev) {
      duplicates++;
    } else if (byName.size >= lim.maxEntries) {
      skip(lineNo, 'TOO_MANY', `more than ${lim.maxEntries} entries`);
      continue;
    }
    byName.set(name, { name, destination, base64: b64, line: lineNo, ...(meta ? { meta } : {}) });
  }
  const skippedTotal = Object.values(skipped).reduce((a, b) => a + b, 0);
  return { entries: [...byName.values()], lines: lineNo, skipped, skippedTotal, problems, duplicates, commands };
}

/** `k1=v1#k2=v2`; undefined when malformed (empty key, no '=', duplicate key — subscription.rst "Ordering"). */
function parseMeta(s: string): Record<string, string> | undefined {
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const kv of s.split('#')) {
    const eq = kv.indexOf('=');
    if (eq <= 0) return undefined;
    const k = kv.slice(0, eq);
    if (Object.hasOwn(out, k)) return undefined;
    out[k] = kv.slice(eq + 1);
  }
  return out;
}

/** hosts.txt lines (`name=base64\n`), sorted by name as i2pd's std::map writes them. */
export function serializeHostsTxt(entries: Iterable<readonly [name: string, base64: string]>): string {
  const sorted = [...entries].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return sorted.map(([n, d]) => `${n}=${d}\n`).join('');
}
