/**
 * Reseeding: get a first set of RouterInfos from a signed su3 bundle (local file or HTTPS) or a plain zip.
 *
 * Spec: ../shared/specs/spec/updates.rst, "SU3 Reseed File Specification"; ../shared/specs/docs/reseed.html.
 * Ground truth: i2pd 2.45.1 libi2pd/Reseed.cpp (`Bootstrap`, `ReseedFromServers`, `ReseedFromSU3Url`,
 * `ProcessSU3Stream`, `ProcessZIPStream`, `HttpsRequest`, `ReseedRequest`), libi2pd/NetDb.cpp `AddRouterInfo`,
 * libi2pd/RouterInfo.cpp `ReadFromBuffer`, libi2pd/Config.cpp [reseed].
 *
 * Source selection, as i2pd `Reseeder::Bootstrap` — the sources are exclusive, not a fallback chain:
 * - `reseed.file` set: only it. A value starting with "https://" (and longer than 8 characters) is downloaded
 *   as is (no "i2pseeds.su3" appended); anything else is a local su3 path.
 * - else `reseed.zipfile` set: only that zip.
 * - else `reseed.urls`: `<url>i2pseeds.su3` from URLs picked at random, at most 10 attempts; the first that
 *   yields at least one RouterInfo wins. (i2pd draws with replacement, so it may retry one URL; we draw without
 *   replacement — fewer attempts when fewer than 10 URLs are configured. i2pd appends the name as is; we add a
 *   '/' first when the URL does not end with one, where i2pd would request a mangled URL.)
 * Nothing else is ever contacted: no built-in host list, no fallback. With no source, or when every source
 * fails, `reseed` throws ReseedError listing each failure's reason.
 *
 * HTTPS, as i2pd `HttpsRequest`: the scheme is forced to https whatever the URL says (an http:// URL is fetched
 * over TLS; i2pd does the same), default port 443, SNI = host, `User-Agent: Wget/1.11.4` (reseed servers
 * expect it), `Connection: close`, no redirects, status 200 required. i2pd does not verify the server's TLS
 * certificate (verify_none: the su3 signature is what authenticates); neither do we by default
 * (`tls.rejectUnauthorized`). No "?netid=" query is sent (spec: "should", i2pd 2.45.1 does not).
 * Added bounds: download size (MAX_SU3_SIZE) and a total timeout per attempt; `{ signal }` aborts.
 * `reseed.proxy` (http CONNECT or socks5, see proxy.ts) carries every download when set; a bad proxy URL or a
 * failing proxy fails the attempt — never a direct connection instead.
 *
 * Verification, as i2pd `ProcessSU3Stream`: with `reseed.verify` on, an su3 whose signer has no certificate,
 * whose signature type is unsupported or whose signature fails is refused. With it off, i2pd skips the check
 * entirely; we still check when a certificate is known, and accept an unverified su3 with a warning.
 * The su3 must be file type 0 (zip) and content type 3 (reseed).
 *
 * Each RouterInfo, as i2pd NetDb::AddRouterInfo / RouterInfo::ReadFromBuffer: must parse, carry a valid
 * signature (RSA identities never verify), have `netId` equal to ours (missing is rejected), and not be
 * published more than 2 minutes in the future. Duplicates (same router hash) keep the newest. Dropped ones are
 * counted by reason. If more than half of the accepted ones are older than 270 hours (10 × the 27 h netDb
 * expiration), the whole bundle is refused (i2pd's "outdated" check, which clears its netDb and reports 0).
 * i2pd's `reseed.floodfill` and `reseed.yggurls` are not handled here.
 */
import { readFile, stat } from 'node:fs/promises';
import type { ClientRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { ParseError } from '../../data/errors.js';
import { parseRouterInfo, routerInfoNetId, verifyRouterInfo, type RouterInfo } from '../../data/router-info.js';
import { toBase64 } from '../../data/base64.js';
import { type Random, systemRandom } from '../../crypto/random.js';
import { type ReseedCertificates, loadReseedCertificates, reseedCertificateDirs } from './certificates.js';
import { MAX_SU3_SIZE, checkReseedSu3, parseSu3, verifySu3, type Su3VerifyCode } from './su3.js';
import { MAX_RESEED_ZIP_SIZE, readReseedZip } from './zip.js';
import { ProxyError, connectThroughProxy, parseProxyUrl } from './proxy.js';

/** The file name fetched under each reseed URL. */
export const RESEED_SU3_NAME = 'i2pseeds.su3';
/** i2pd `ReseedFromServers`: attempts before giving up. */
export const MAX_RESEED_ATTEMPTS = 10;
export const DEFAULT_RESEED_TIMEOUT_MS = 60_000;
/** i2pd sends this and reseed servers filter on it. */
export const RESEED_USER_AGENT = 'Wget/1.11.4';
/** i2pd NETDB_EXPIRATION_TIMEOUT_THRESHOLD: RouterInfos published further in the future are dropped. */
export const MAX_FUTURE_MS = 2 * 60 * 1000;
/** i2pd: 10 × NETDB_MAX_EXPIRATION_TIMEOUT (27 h). */
export const OUTDATED_MS = 10 * 27 * 60 * 60 * 1000;
/** i2pd NETDB_MIN_FLOODFILLS. */
export const MIN_FLOODFILLS = 5;

/**
 * i2pd NetDb::Start: reseed when fewer routers than `reseed.threshold` (default 25) or fewer than 5 floodfills
 * are known. (i2pd also reseeds when none of the known routers is usable to connect to; that is the caller's
 * call.)
 */
export function shouldReseed(known: { routers: number; floodfills: number }, threshold: number): boolean {
  return known.routers < threshold || known.floodfills < MIN_FLOODFILLS;
}

/** A pino Logger fits. Nothing secret is logged here. */
export interface ReseedLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

const silentLog: ReseedLog = { info: () => {}, warn: () => {} };

export interface DownloadOptions {
  signal?: AbortSignal;
  /** Connect (through the proxy, if any) to last byte. */
  timeoutMs: number;
  maxSize: number;
  tls?: TlsOptions;
  /** `reseed.proxy`: http://[user:pass@]host[:port] or socks://host[:port] (see proxy.ts). */
  proxy?: string;
}

export interface TlsOptions {
  /** Verify the server certificate. Default false, as i2pd (the su3 signature authenticates). */
  rejectUnauthorized?: boolean;
  /** Extra trusted CA certificates (PEM), when rejectUnauthorized is on. */
  ca?: string | Buffer | readonly (string | Buffer)[];
}

export type Download = (url: string, opts: DownloadOptions) => Promise<Uint8Array>;

export interface ReseedOptions {
  /** `reseed.file`: a local su3 path or an https:// URL of one ('' or undefined: unset). */
  file?: string;
  /** `reseed.zipfile` ('' or undefined: unset). */
  zipFile?: string;
  /** `reseed.urls`: i2pseeds.su3 is appended to each (after a '/' when the URL lacks one). */
  urls?: readonly string[];
  /** `reseed.verify`. */
  verify: boolean;
  /** Our network ID: RouterInfos of other networks are dropped. */
  netId: number;
  /** Trusted su3 signers (certificates.ts `loadReseedCertificates`). */
  certificates: ReseedCertificates;
  /** `reseed.proxy` ('' or undefined: direct). Downloads go through it or fail; never direct. */
  proxy?: string;
  /** ms since the epoch. Default Date.now. */
  now?: () => number;
  random?: Random;
  log?: ReseedLog;
  maxAttempts?: number;
  /** Per download, connect to last byte. */
  timeoutMs?: number;
  maxDownloadSize?: number;
  tls?: TlsOptions;
  /** How URLs are fetched (default: HTTPS as i2pd). Injectable for tests and for a proxy later. */
  download?: Download;
}

export interface ReseedDropped {
  /** Zip entries skipped (other names, CRC/inflate errors). */
  zipEntries: number;
  parse: number;
  signature: number;
  netId: number;
  future: number;
  duplicate: number;
}

export type Su3Status =
  | { readonly verified: true; readonly signerId: string; readonly version: string; readonly certificate: string }
  | { readonly verified: false; readonly signerId: string; readonly version: string; readonly code: Su3VerifyCode; readonly reason: string };

export interface ReseedFailure {
  readonly source: string;
  readonly code: string;
  readonly reason: string;
}

export interface ReseedResult {
  readonly routerInfos: readonly RouterInfo[];
  readonly source: string;
  readonly kind: 'su3-file' | 'su3-url' | 'zip-file';
  /** For su3 sources: signer, version and whether the signature was verified. */
  readonly su3?: Su3Status;
  readonly dropped: ReseedDropped;
  /** Accepted RouterInfos older than 270 hours (fewer than half, else the source fails). */
  readonly outdated: number;
  /** Sources tried before this one, and why each failed. */
  readonly failures: readonly ReseedFailure[];
}

export type ReseedErrorCode = 'NO_SOURCES' | 'FAILED' | 'ABORTED';

/** Reseeding produced nothing: `failures` says, per source, why. */
export class ReseedError extends Error {
  readonly code: ReseedErrorCode;
  readonly failures: readonly ReseedFailure[];
  constructor(code: ReseedErrorCode, message: string, failures: readonly ReseedFailure[] = [], options?: { cause?: unknown }) {
    const detail = failures.map((f) => `\n  ${f.source}: ${f.reason}`).join('');
    super(message + detail, options);
    this.name = 'ReseedError';
    this.code = code;
    this.failures = failures;
  }
}

/** One source failed for a known reason (not a bug): the next one may be tried. */
class SourceError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

function describe(e: unknown): { code: string; reason: string } {
  if (e instanceof SourceError || e instanceof ProxyError) return { code: e.code, reason: e.message };
  if (e instanceof ParseError) return { code: e.code, reason: e.message };
  const err = e as NodeJS.ErrnoException;
  return { code: typeof err?.code === 'string' ? err.code : 'ERROR', reason: err?.message ?? String(e) };
}

function isUrl(s: string): boolean {
  // i2pd: `su3FileName.length() > 8 && su3FileName.substr(0, 8) == "https://"`.
  return s.length > 8 && s.startsWith('https://');
}

/**
 * Reseed from the configured sources (see the file comment for the order and the checks). Resolves with the
 * RouterInfos of the first source that yields any; rejects with ReseedError when none does.
 */
export async function reseed(opts: ReseedOptions, { signal }: { signal?: AbortSignal } = {}): Promise<ReseedResult> {
  const log = opts.log ?? silentLog;
  const failures: ReseedFailure[] = [];
  const aborted = () => new ReseedError('ABORTED', 'reseed aborted', failures, { cause: signal?.reason });
  if (signal?.aborted) throw aborted();

  type Attempt = { source: string; kind: ReseedResult['kind']; load: () => Promise<Uint8Array> };
  const attempts: Attempt[] = [];
  const download = opts.download ?? httpsDownload;
  const dl = (url: string) => () =>
    download(url, {
      signal,
      timeoutMs: opts.timeoutMs ?? DEFAULT_RESEED_TIMEOUT_MS,
      maxSize: opts.maxDownloadSize ?? MAX_SU3_SIZE,
      tls: opts.tls,
      proxy: opts.proxy || undefined,
    });
  let what: string;
  if (opts.file) {
    what = `reseed.file (${opts.file})`;
    attempts.push(isUrl(opts.file) ? { source: opts.file, kind: 'su3-url', load: dl(opts.file) } : { source: opts.file, kind: 'su3-file', load: () => readLocal(opts.file!, MAX_SU3_SIZE) });
  } else if (opts.zipFile) {
    what = `reseed.zipfile (${opts.zipFile})`;
    attempts.push({ source: opts.zipFile, kind: 'zip-file', load: () => readLocal(opts.zipFile!, MAX_RESEED_ZIP_SIZE) });
  } else {
    const urls = (opts.urls ?? []).filter((u) => u.length > 0);
    if (urls.length === 0) {
      throw new ReseedError(
        'NO_SOURCES',
        'cannot reach the I2P network: no known routers and nothing to reseed from (reseed.urls is empty and neither reseed.file nor reseed.zipfile is set)',
      );
    }
    what = `reseed.urls (${urls.length} configured)`;
    const order = shuffle(urls, opts.random ?? systemRandom).slice(0, opts.maxAttempts ?? MAX_RESEED_ATTEMPTS);
    for (const u of order) {
      const url = (u.endsWith('/') ? u : `${u}/`) + RESEED_SU3_NAME;
      attempts.push({ source: url, kind: 'su3-url', load: dl(url) });
    }
  }

  for (const a of attempts) {
    if (signal?.aborted) throw aborted();
    try {
      log.info({ source: a.source }, 'reseed: trying');
      const bytes = await a.load();
      if (signal?.aborted) throw aborted();
      const result = processBundle(bytes, a.kind, a.source, opts, log, failures);
      log.info({ source: a.source, routers: result.routerInfos.length, dropped: result.dropped }, 'reseed: done');
      return result;
    } catch (e) {
      if (e instanceof ReseedError) throw e;
      if (signal?.aborted) throw aborted();
      // Programmer errors are not a source failing.
      if (e instanceof TypeError || e instanceof RangeError) throw e;
      const f = { source: a.source, ...describe(e) };
      failures.push(f);
      log.warn(f, 'reseed: source failed');
    }
  }
  throw new ReseedError('FAILED', `cannot reach the I2P network: reseeding from ${what} failed`, failures);
}

/** Process a bundle already in memory: an su3 (kind su3-*) or a zip. Throws SourceError / ParseError. */
function processBundle(
  bytes: Uint8Array,
  kind: ReseedResult['kind'],
  source: string,
  opts: ReseedOptions,
  log: ReseedLog,
  failures: readonly ReseedFailure[],
): ReseedResult {
  let zip = bytes;
  let su3: Su3Status | undefined;
  if (kind !== 'zip-file') {
    const file = parseSu3(bytes);
    checkReseedSu3(file);
    const v = verifySu3(file, (id) => opts.certificates.keysFor(id));
    if (v.ok) {
      su3 = { verified: true, signerId: file.signerId, version: file.version, certificate: v.key.source };
    } else {
      if (opts.verify) throw new SourceError(`SU3_${v.code}`, `su3 refused (reseed.verify is on): ${v.message}`);
      su3 = { verified: false, signerId: file.signerId, version: file.version, code: v.code, reason: v.message };
      log.warn({ source, signerId: file.signerId, code: v.code }, `reseed: su3 accepted unverified because reseed.verify is off: ${v.message}`);
    }
    zip = file.content;
  }
  const { routerInfos, dropped, outdated } = collectRouterInfos(zip, opts.netId, (opts.now ?? Date.now)());
  if (routerInfos.length === 0) {
    throw new SourceError('NO_ROUTER_INFOS', `no usable RouterInfo (dropped: ${formatDropped(dropped)})`);
  }
  if (outdated > routerInfos.length / 2) {
    throw new SourceError('OUTDATED', `${outdated} of ${routerInfos.length} RouterInfos are older than 270 hours`);
  }
  return { routerInfos, source, kind, su3, dropped, outdated, failures: [...failures] };
}

function formatDropped(d: ReseedDropped): string {
  return Object.entries(d)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ') || 'none';
}

/**
 * The RouterInfos of a reseed zip that pass i2pd's checks (see the file comment), deduplicated by router hash
 * (newest kept). Throws ParseError when the zip itself is malformed or over a bound.
 */
export function collectRouterInfos(
  zip: Uint8Array,
  netId: number,
  now: number,
): { routerInfos: RouterInfo[]; dropped: ReseedDropped; outdated: number } {
  const { entries, skipped } = readReseedZip(zip);
  const dropped: ReseedDropped = { zipEntries: skipped.length, parse: 0, signature: 0, netId: 0, future: 0, duplicate: 0 };
  const byHash = new Map<string, RouterInfo>();
  for (const e of entries) {
    let ri: RouterInfo;
    try {
      ri = parseRouterInfo(e.data);
    } catch (err) {
      if (!(err instanceof ParseError)) throw err;
      dropped.parse++;
      continue;
    }
    if (!verifyRouterInfo(ri)) {
      dropped.signature++;
      continue;
    }
    if (routerInfoNetId(ri) !== netId) {
      dropped.netId++;
      continue;
    }
    if (ri.published > now + MAX_FUTURE_MS) {
      dropped.future++;
      continue;
    }
    const key = toBase64(ri.identity.hash);
    const prev = byHash.get(key);
    if (prev) {
      dropped.duplicate++;
      if (prev.published >= ri.published) continue;
    }
    byHash.set(key, ri);
  }
  const routerInfos = [...byHash.values()];
  const outdated = routerInfos.filter((ri) => now > ri.published + OUTDATED_MS).length;
  return { routerInfos, dropped, outdated };
}

async function readLocal(file: string, maxSize: number): Promise<Uint8Array> {
  const st = await stat(file);
  if (!st.isFile()) throw new SourceError('NOT_A_FILE', `${file} is not a regular file`);
  if (st.size > maxSize) throw new SourceError('TOO_LARGE', `${file} is ${st.size} bytes (limit ${maxSize})`);
  return new Uint8Array(await readFile(file));
}

function shuffle<T>(items: readonly T[], random: Random): T[] {
  const a = [...items];
  for (let i = a.length - 1; i > 0; i--) {
    const j = random.int(0, i + 1);
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

/**
 * GET a URL over HTTPS the way i2pd's reseeder does (see the file comment), through `opts.proxy` when set.
 * Rejects with an Error carrying `code` (HTTP_STATUS, TOO_LARGE, TIMEOUT, TRUNCATED, BAD_URL, BAD_PROXY,
 * PROXY_*) or the socket's error; with the signal's reason on abort. Everything is bounded by `timeoutMs`.
 */
export async function httpsDownload(url: string, opts: DownloadOptions): Promise<Uint8Array> {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new SourceError('BAD_URL', `not a URL: ${url}`);
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new SourceError('BAD_URL', `unsupported scheme ${u.protocol} (https expected)`);
  const proxy = opts.proxy ? parseProxyUrl(opts.proxy) : undefined;
  opts.signal?.throwIfAborted();
  const host = u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname;
  const port = u.port ? Number(u.port) : 443; // i2pd: scheme forced to https, default port 443
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(new SourceError('TIMEOUT', `no complete answer within ${opts.timeoutMs} ms`)), opts.timeoutMs);
  timer.unref();
  const signal = opts.signal ? AbortSignal.any([opts.signal, deadline.signal]) : deadline.signal;
  try {
    let tunnel: TLSSocket | undefined;
    if (proxy) {
      const raw = await connectThroughProxy(proxy, host, port, signal);
      tunnel = tlsConnect({
        socket: raw,
        servername: isIP(host) ? undefined : host,
        rejectUnauthorized: opts.tls?.rejectUnauthorized ?? false,
        ca: opts.tls?.ca as string | Buffer | (string | Buffer)[] | undefined,
      });
      tunnel.on('error', () => {}); // reported through the request below
    }
    return await httpsGet(u, host, port, tunnel, signal, opts);
  } finally {
    clearTimeout(timer);
  }
}

function abortReason(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new DOMException('aborted', 'AbortError');
}

function httpsGet(u: URL, host: string, port: number, tunnel: TLSSocket | undefined, signal: AbortSignal, opts: DownloadOptions): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    let settled = false;
    let req: ClientRequest | undefined;
    const done = (err: Error | undefined, value?: Uint8Array) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      if (err) {
        req?.destroy();
        tunnel?.destroy();
        reject(err);
      } else resolve(value!);
    };
    const onAbort = () => done(abortReason(signal));
    try {
      req = httpsRequest({
        host,
        port,
        method: 'GET',
        path: `${u.pathname}${u.search}`,
        servername: isIP(host) ? undefined : host,
        headers: { Host: u.host, 'User-Agent': RESEED_USER_AGENT, Connection: 'close' },
        rejectUnauthorized: opts.tls?.rejectUnauthorized ?? false,
        ca: opts.tls?.ca as string | Buffer | (string | Buffer)[] | undefined,
        agent: false,
        ...(tunnel ? { createConnection: () => tunnel } : {}),
      });
    } catch (e) {
      done(new SourceError('BAD_URL', `cannot request ${u.href}: ${(e as Error).message}`));
      return;
    }
    req.on('error', (e) => done(e)); // before any destroy() below
    if (signal.aborted) {
      onAbort();
      return;
    }
    signal.addEventListener('abort', onAbort, { once: true });
    req.on('response', (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        done(new SourceError('HTTP_STATUS', `HTTP ${res.statusCode}${res.statusMessage ? ` ${res.statusMessage}` : ''}`));
        return;
      }
      const declared = Number(res.headers['content-length']);
      if (Number.isFinite(declared) && declared > opts.maxSize) {
        done(new SourceError('TOO_LARGE', `Content-Length ${declared} over the limit of ${opts.maxSize} bytes`));
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > opts.maxSize) {
          done(new SourceError('TOO_LARGE', `more than ${opts.maxSize} bytes`));
          return;
        }
        chunks.push(c);
      });
      res.on('end', () => {
        if (!res.complete) done(new SourceError('TRUNCATED', 'connection closed before the end of the answer'));
        else done(undefined, new Uint8Array(Buffer.concat(chunks, size)));
      });
      res.on('error', (e) => done(e));
      res.on('aborted', () => done(new SourceError('TRUNCATED', 'connection closed before the end of the answer')));
    });
    req.end();
  });
}

/** The config keys reseeding reads (i2pd option names). */
export type ReseedConfigKey = 'reseed.verify' | 'reseed.file' | 'reseed.zipfile' | 'reseed.proxy' | 'reseed.urls';

/** The narrow config handle reseeding needs: conf/ `Config` fits. Values are type-checked at run time. */
export interface ReseedConfigView {
  get(key: ReseedConfigKey): unknown;
}

type ReseedConfigOptionFields = 'file' | 'zipFile' | 'urls' | 'verify' | 'proxy';

/** The ReseedOptions fields that come from the config. TypeError if a value has the wrong type (misuse). */
export function reseedOptionsFromConfig(config: ReseedConfigView): Pick<ReseedOptions, ReseedConfigOptionFields> {
  const str = (k: ReseedConfigKey): string => {
    const v = config.get(k);
    if (typeof v !== 'string') throw new TypeError(`config '${k}' should be a string`);
    return v;
  };
  const verify = config.get('reseed.verify');
  if (typeof verify !== 'boolean') throw new TypeError(`config 'reseed.verify' should be a boolean`);
  const urls = config.get('reseed.urls');
  if (!Array.isArray(urls) || !urls.every((u) => typeof u === 'string')) throw new TypeError(`config 'reseed.urls' should be a list of strings`);
  return { file: str('reseed.file'), zipFile: str('reseed.zipfile'), urls: [...(urls as string[])], verify, proxy: str('reseed.proxy') };
}

/** The config handle `reseedFromConfig` needs: conf/ `Config` fits (`path('certsdir')` → CERTSDIR). */
export interface ReseedConfigWithPaths extends ReseedConfigView {
  path(key: 'certsdir'): string;
}

/**
 * Everything from the config: load the certificates from CERTSDIR/reseed (then the system i2pd copy, unless
 * `certificateFallbacks` says otherwise), then `reseed`. Warns when reseed.verify is on and no certificate was
 * found (every su3 would be refused).
 */
export async function reseedFromConfig(
  config: ReseedConfigWithPaths,
  opts: Omit<ReseedOptions, ReseedConfigOptionFields | 'certificates'> & { certificateFallbacks?: readonly string[] },
  { signal }: { signal?: AbortSignal } = {},
): Promise<ReseedResult & { readonly certificates: ReseedCertificates }> {
  const fromConfig = reseedOptionsFromConfig(config);
  let certificates: ReseedCertificates;
  try {
    certificates = await loadReseedCertificates(reseedCertificateDirs(config.path('certsdir'), opts.certificateFallbacks), { signal });
  } catch (e) {
    if (signal?.aborted) throw new ReseedError('ABORTED', 'reseed aborted', [], { cause: signal.reason });
    throw e;
  }
  const log = opts.log ?? silentLog;
  for (const e of certificates.errors) log.warn(e, 'reseed: certificate not usable');
  if (certificates.size === 0 && fromConfig.verify) {
    log.warn({ searched: certificates.searched }, 'reseed: reseed.verify is on but no reseed certificate was found; every su3 will be refused');
  }
  const result = await reseed({ ...opts, ...fromConfig, certificates }, { signal });
  return { ...result, certificates };
}
