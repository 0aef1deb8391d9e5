/**
 * SAM v3 command lines, sans-IO: the tokenizer and formatter for `COMMAND SUBCOMMAND key=value …` lines,
 * the line buffer of a control socket, HELLO version negotiation, and the header line of datagrams sent to
 * the SAM UDP port.
 *
 * Spec: ../shared/specs/docs/api-samv3.html ("Encoding and Escaping", "Empty values", "Case Sensitivity",
 * "SAM Connection Handshake", "Sending Repliable or Raw Datagrams", "PING/PONG").
 * Behaviour references: i2pd 2.45.1 libi2pd_client/SAM.cpp (ExtractParams, HandleHandshakeReceived,
 * HandleReceivedDatagram; SAM_SOCKET_BUFFER_SIZE 8192), Java I2P net.i2p.sam (SAMUtils tokenizer with
 * quotes and backslash escapes, ReadLine MAX_LINE_LENGTH 8 KiB, SAMHandlerFactory version choice).
 *
 * Choices and deviations, written down:
 *   - Quoting as SAM 3.2 (Java): whitespace (space, tab) separates tokens outside double quotes; a double
 *     quote toggles quoting anywhere in a token and is not part of it; `\"` and `\\` are a literal quote and
 *     backslash inside or outside quotes; any other backslash is kept as is. i2pd 2.45.1 splits on single
 *     spaces with no quoting at all; lines without quotes and backslashes parse the same in both.
 *   - The first two words (command and subcommand) are mapped to upper case (the spec recommends it); keys
 *     and values are never case-mapped (they carry I2CP options). A second word containing '=' is a
 *     parameter, not a subcommand (e.g. `QUIT` or `PING` alone).
 *   - `KEY`, `KEY=` and `KEY=""` all give the empty value. A repeated key: the last one wins (i2pd's std::map
 *     assignment, Java's Properties).
 *   - Lines are bounded to MAX_LINE_BYTES = 8192 bytes (i2pd's buffer and Java's ReadLine limit); a longer
 *     line is an error, not a truncation. '\r' before '\n' is dropped (i2pd). Lines are decoded as UTF-8
 *     (SAM 3.2); invalid sequences become U+FFFD rather than an error.
 *   - The formatter quotes a value only when it must (empty, whitespace, quote, backslash) or when asked
 *     (MESSAGE, as i2pd and Java always quote it), so replies stay readable by clients that split on spaces.
 */
import { ParseError } from '../../data/errors.js';

/** i2pd SAM_SOCKET_BUFFER_SIZE; Java ReadLine MAX_LINE_LENGTH. */
export const MAX_LINE_BYTES = 8192;

/** The versions this bridge speaks, lowest first. */
export const SAM_VERSIONS = ['3.0', '3.1', '3.2', '3.3'] as const;
export type SamVersion = (typeof SAM_VERSIONS)[number];

export interface SamCommand {
  /** First word, upper case. */
  readonly verb: string;
  /** Second word, upper case; '' when there is none (or it is a key=value). */
  readonly sub: string;
  /** key → value, keys as sent (case kept). */
  readonly params: ReadonlyMap<string, string>;
  /** PING/PONG: the text after the first space (as sent, not tokenized); '' when none. */
  readonly text: string;
}

export class SamParseError extends ParseError {
  constructor(code: string, offset: number, message: string) {
    super(code, 'SAM', offset, message);
    this.name = 'SamParseError';
  }
}

interface Token {
  /** Text before the first unquoted '=', or the whole token. */
  key: string;
  /** Text after the first unquoted '=', undefined when there is none. */
  value: string | undefined;
}

const WS = (c: string): boolean => c === ' ' || c === '\t';

/** Split a line into tokens with quoting and escapes. Throws SamParseError on an unterminated quote. */
export function tokenize(line: string): Token[] {
  const out: Token[] = [];
  let key = '';
  let value: string | undefined;
  let inToken = false;
  let quoted = false;
  let quoteAt = -1;
  const push = (c: string) => {
    if (value === undefined) key += c;
    else value += c;
  };
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (!quoted && WS(c)) {
      if (inToken) out.push({ key, value });
      key = '';
      value = undefined;
      inToken = false;
      continue;
    }
    inToken = true;
    if (c === '\\' && (line[i + 1] === '"' || line[i + 1] === '\\')) {
      push(line[i + 1]!);
      i++;
    } else if (c === '"') {
      quoted = !quoted;
      if (quoted) quoteAt = i;
    } else if (c === '=' && !quoted && value === undefined) {
      value = '';
    } else push(c);
  }
  if (quoted) throw new SamParseError('UNTERMINATED_QUOTE', quoteAt, 'unterminated double quote');
  if (inToken) out.push({ key, value });
  return out;
}

/** Parse one command line (without its '\n'). Throws SamParseError; never anything else. */
export function parseCommand(line: string): SamCommand {
  if (line.endsWith('\r')) line = line.slice(0, -1);
  const lead = /^[ \t]*/.exec(line)![0].length;
  const body = line.slice(lead);
  // PING/PONG carry free text (SAM 3.2), not key=value pairs
  const m = /^(PING|PONG)(?:[ \t](.*))?$/is.exec(body);
  if (m) return { verb: m[1]!.toUpperCase(), sub: '', params: new Map(), text: m[2] ?? '' };
  const tokens = tokenize(body);
  if (tokens.length === 0) throw new SamParseError('EMPTY', 0, 'empty command');
  const first = tokens[0]!;
  if (first.value !== undefined || first.key === '') throw new SamParseError('BAD_COMMAND', lead, 'a command must start with a word');
  let i = 1;
  let sub = '';
  const second = tokens[1];
  if (second && second.value === undefined && second.key !== '') {
    sub = second.key.toUpperCase();
    i = 2;
  }
  const params = new Map<string, string>();
  for (; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.key === '') throw new SamParseError('EMPTY_KEY', lead, 'a parameter has no name');
    params.set(t.key, t.value ?? '');
  }
  return { verb: first.key.toUpperCase(), sub, params, text: '' };
}

const KEY_RE = /^[^\s="\\]+$/;
const NEEDS_QUOTES = /[\s"\\]/;

function quote(v: string): string {
  return `"${v.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/** Make a reply/command value printable on one line (for MESSAGE texts built from error messages). */
export function oneLine(s: string, max = 512): string {
  const t = s.replace(/[\r\n\0]+/g, ' ');
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
}

/**
 * One line, '\n' included. `params` in order; a value of undefined is written as a bare key. Keys in
 * `alwaysQuote` get quoted values. RangeError for keys or values that cannot be written on one line.
 */
export function formatCommand(
  verb: string,
  sub: string,
  params: Iterable<readonly [string, string | number | undefined]> = [],
  opts: { alwaysQuote?: readonly string[] } = {},
): string {
  if (!KEY_RE.test(verb) || (sub !== '' && !KEY_RE.test(sub))) throw new RangeError('SAM command words must be non-empty and without spaces, quotes or =');
  let s = sub === '' ? verb : `${verb} ${sub}`;
  for (const [k, raw] of params) {
    if (!KEY_RE.test(k)) throw new RangeError(`bad SAM parameter name ${JSON.stringify(k)}`);
    if (raw === undefined) {
      s += ` ${k}`;
      continue;
    }
    const v = String(raw);
    if (/[\r\n]/.test(v)) throw new RangeError(`SAM parameter ${k}: a value cannot contain a line break`);
    s += ` ${k}=${v === '' || NEEDS_QUOTES.test(v) || opts.alwaysQuote?.includes(k) ? quote(v) : v}`;
  }
  return `${s}\n`;
}

// ------------------------------------------------------------------ line buffer

export type LineResult = { type: 'line'; line: string } | { type: 'more' } | { type: 'overflow' };

/**
 * Bytes in, lines out, for a control socket. Data that follows a command line (the first bytes of a stream,
 * the payload of DATAGRAM SEND) stays buffered and is taken with `take` / `takeAll`.
 */
export class LineBuffer {
  readonly #max: number;
  #buf: Buffer = Buffer.alloc(0);
  #scanned = 0;
  readonly #decoder = new TextDecoder('utf-8', { fatal: false });

  constructor(maxLine = MAX_LINE_BYTES) {
    this.#max = maxLine;
  }

  get length(): number {
    return this.#buf.length;
  }

  push(chunk: Uint8Array): void {
    this.#buf = this.#buf.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.#buf, chunk]);
  }

  /** The next complete line (without '\n' and a '\r' before it). */
  next(): LineResult {
    const nl = this.#buf.indexOf(10, this.#scanned);
    if (nl < 0) {
      this.#scanned = this.#buf.length;
      return this.#buf.length > this.#max ? { type: 'overflow' } : { type: 'more' };
    }
    if (nl > this.#max) return { type: 'overflow' };
    const end = nl > 0 && this.#buf[nl - 1] === 13 ? nl - 1 : nl;
    const line = this.#decoder.decode(this.#buf.subarray(0, end));
    this.#buf = this.#buf.subarray(nl + 1);
    this.#scanned = 0;
    return { type: 'line', line };
  }

  /** Exactly n buffered bytes (copied), or undefined when fewer are buffered. */
  take(n: number): Uint8Array | undefined {
    if (this.#buf.length < n) return undefined;
    const out = new Uint8Array(this.#buf.subarray(0, n));
    this.#buf = this.#buf.subarray(n);
    this.#scanned = 0;
    return out;
  }

  takeAll(): Uint8Array {
    const out = new Uint8Array(this.#buf);
    this.#buf = Buffer.alloc(0);
    this.#scanned = 0;
    return out;
  }
}

// ------------------------------------------------------------------ HELLO

type Ver = [number, number];

function parseVersion(s: string, missingMinor: number): Ver | undefined {
  const m = /^(\d{1,3})(?:\.(\d{1,3}))?$/.exec(s.trim());
  if (!m) return undefined;
  return [Number(m[1]), m[2] === undefined ? missingMinor : Number(m[2])];
}

const cmp = (a: Ver, b: Ver): number => a[0] - b[0] || a[1] - b[1];

export type Negotiation = { ok: true; version: SamVersion } | { ok: false; result: 'NOVERSION' | 'I2P_ERROR'; message: string };

/**
 * The highest version we speak within [MIN, MAX] (Java SAMHandlerFactory; the spec: "the highest version
 * possible given the MIN and MAX constraints, or the current server version if no constraints are given").
 * A single-digit MIN means x.0 and a single-digit MAX means any x.y (SAM 3.1). i2pd 2.45.1 only knows 3.0
 * and 3.1; we also speak 3.2 and 3.3.
 */
export function negotiateVersion(min: string | undefined, max: string | undefined): Negotiation {
  const lo = min === undefined || min === '' ? ([0, 0] as Ver) : parseVersion(min, 0);
  const hi = max === undefined || max === '' ? ([999, 999] as Ver) : parseVersion(max, 999);
  if (!lo) return { ok: false, result: 'I2P_ERROR', message: `MIN is not a version: ${oneLine(min!, 40)}` };
  if (!hi) return { ok: false, result: 'I2P_ERROR', message: `MAX is not a version: ${oneLine(max!, 40)}` };
  for (let i = SAM_VERSIONS.length - 1; i >= 0; i--) {
    const v = SAM_VERSIONS[i]!;
    const p = parseVersion(v, 0)!;
    if (cmp(p, lo) >= 0 && cmp(p, hi) <= 0) return { ok: true, version: v };
  }
  return { ok: false, result: 'NOVERSION', message: 'no common version' };
}

/** 3.2 and later report ports on received streams and datagrams. */
export function hasPorts(v: SamVersion): boolean {
  return v === '3.2' || v === '3.3';
}

// ------------------------------------------------------------------ UDP datagrams

export interface UdpDatagram {
  readonly version: string;
  readonly id: string;
  readonly destination: string;
  readonly params: ReadonlyMap<string, string>;
  readonly payload: Uint8Array;
}

/**
 * A datagram sent to the SAM UDP port: `3.x $nickname $destination [options]\n$payload` (any 3.x as of 3.2).
 * Throws SamParseError; the payload is a view into `buf`.
 */
export function parseUdpDatagram(buf: Uint8Array): UdpDatagram {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  const nl = b.indexOf(10);
  if (nl < 0 || nl > MAX_LINE_BYTES) throw new SamParseError('NO_HEADER', Math.min(b.length, MAX_LINE_BYTES), 'no header line');
  const header = new TextDecoder().decode(b.subarray(0, nl > 0 && b[nl - 1] === 13 ? nl - 1 : nl));
  const tokens = tokenize(header);
  const [v, id, dest] = tokens;
  if (!v || v.value !== undefined || !/^3(\.\d{1,3})?$/.test(v.key)) throw new SamParseError('BAD_VERSION', 0, 'the header must start with 3.x');
  if (!id || id.value !== undefined || id.key === '') throw new SamParseError('NO_ID', 0, 'no session ID');
  if (!dest || dest.key === '') throw new SamParseError('NO_DESTINATION', 0, 'no destination');
  const destination = dest.value === undefined ? dest.key : `${dest.key}=${dest.value}`; // base64 padding
  const params = new Map<string, string>();
  for (const t of tokens.slice(3)) {
    if (t.key === '') throw new SamParseError('EMPTY_KEY', 0, 'a parameter has no name');
    params.set(t.key, t.value ?? '');
  }
  return { version: v.key, id: id.key, destination, params, payload: buf.subarray(nl + 1) };
}

// ------------------------------------------------------------------ parameter helpers

/** An integer parameter in [min, max], the default when absent; a message when malformed. */
export function intParam(params: ReadonlyMap<string, string>, key: string, def: number, min: number, max: number): number | string {
  const s = params.get(key);
  if (s === undefined || s === '') return def;
  if (!/^\d{1,10}$/.test(s)) return `${key} must be a number`;
  const n = Number(s);
  if (n < min || n > max) return `${key} must be between ${min} and ${max}`;
  return n;
}

/** true/false parameters (case-insensitive); the default when absent; a message when neither. */
export function boolParam(params: ReadonlyMap<string, string>, key: string, def: boolean): boolean | string {
  const s = params.get(key);
  if (s === undefined || s === '') return def;
  const l = s.toLowerCase();
  if (l === 'true') return true;
  if (l === 'false') return false;
  return `${key} must be true or false`;
}
