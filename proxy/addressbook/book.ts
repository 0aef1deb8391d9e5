/**
 * The address book: local names → Destinations, persisted in the datadir in i2pd's layout (storage.ts),
 * merged from subscriptions fetched over I2P, and the HTTP proxy's address-helper store.
 *
 * Specs: ../shared/specs/docs/naming.html ("Address Book", "Incoming Subscriptions and Merging", "Naming
 * Rules"), ../shared/specs/spec/subscription.rst (hosts.txt-with-metadata, see hosts-txt.ts).
 * Behaviour reference: i2pd 2.45.1 libi2pd_client/AddressBook.cpp — LoadHosts (storage first; if empty,
 * DATADIR/hosts.txt, then reset ETags), the subscription timer (INITIAL_SUBSCRIPTION_UPDATE_TIMEOUT 3 min;
 * busy or destination not ready: 1 min; after a download n×5 min for the n-th failure in a row, capped at
 * 12 h after 10; 12 h after a success; until the book is loaded, `addressbook.defaulturl`; afterwards one
 * random subscription per round), ETag / Last-Modified kept per subscription host, the `addressbook.hostsfile`
 * dump, `persist.addressbook`.
 *
 * Deviations, written down:
 * - Entries from subscriptions never replace an existing name (first come, first served: naming.html, Java
 *   I2P `AddressBook.merge`). i2pd 2.45.1 replaces a name whose destination changed (unless the new one is
 *   DSA); we keep the old one and count a conflict.
 * - A 304 Not Modified is a successful round (next one in 12 h). i2pd counts it as a failure and retries in
 *   5 minutes, which re-downloads nothing but costs a stream every few minutes.
 * - Until the book is loaded, i2pd only ever fetches `defaulturl`. When there is no defaulturl (a private
 *   network, see policy.ts), the subscriptions are used instead, so a private network's book still fills.
 * - `add()` (the user's own addition: the HTTP proxy's confirmed address helper) replaces an existing entry —
 *   the proxy warned the user first; subscriptions never do. Names are checked with Java I2P's rules; bad
 *   names or destinations are refused (false), never thrown at the caller.
 * - Full destinations are kept in memory (a 10 000-name book is about 5 MB), loaded from the .b32 files at
 *   start with bounded concurrency, so `lookup()` is synchronous as the HTTP proxy needs.
 * - Bounds: maxEntries names in the book (further new names are refused and counted), subscription bodies
 *   (hosts-txt.ts limits), one download at a time, each with a deadline.
 * Logs: names and URLs at debug, counts at info; never destinations or keys.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import pino, { type Logger } from 'pino';
import { toBase32, toBase64, fromBase64, fromBase32 } from '../../data/base64.js';
import { parseDestination, type Destination } from '../../data/identity.js';
import { ParseError } from '../../data/errors.js';
import { writeFileAtomic } from '../../router/fs.js';
import { realClock, type StreamingClock, type TimerHandle } from '../../client/streaming/clock.js';
import { classifyHost, I2PConnectError, type AddressBookHandle } from '../connector.js';
import { HOSTS_TXT_DEFAULTS, parseHostsTxt, serializeHostsTxt, type HostsTxtEntry, type HostsTxtLimits } from './hosts-txt.js';
import { B32_HOST_RE, hostNameProblem, normalizeHost } from './names.js';
import { AddressBookStorage } from './storage.js';
import { subscriptionUrlProblem, type SubscriptionFetch } from './fetch.js';

const MINUTE = 60_000;

/** i2pd 2.45.1 AddressBook.h timeouts, in ms. */
export interface SubscriptionSchedule {
  /** First round after start (INITIAL_SUBSCRIPTION_UPDATE_TIMEOUT, 3 min). */
  initialDelayMs: number;
  /** Busy or destination not ready: try again (INITIAL_SUBSCRIPTION_RETRY_TIMEOUT, 1 min). */
  notReadyRetryMs: number;
  /** After the n-th failure in a row: n × this (CONTINIOUS_SUBSCRIPTION_RETRY_TIMEOUT, 5 min). */
  retryStepMs: number;
  /** More failures than this in a row: updateIntervalMs (CONTINIOUS_SUBSCRIPTION_MAX_NUM_RETRIES, 10). */
  maxRetries: number;
  /** After a success (CONTINIOUS_SUBSCRIPTION_UPDATE_TIMEOUT, 12 h). */
  updateIntervalMs: number;
  /** Deadline of one download (i2pd: 120 s per read, up to 5 reads; here one deadline). */
  requestTimeoutMs: number;
}

export const I2PD_SCHEDULE: SubscriptionSchedule = {
  initialDelayMs: 3 * MINUTE,
  notReadyRetryMs: 1 * MINUTE,
  retryStepMs: 5 * MINUTE,
  maxRetries: 10,
  updateIntervalMs: 720 * MINUTE,
  requestTimeoutMs: 5 * MINUTE,
};

/** Most names kept in the book. */
export const MAX_BOOK_ENTRIES = 200_000;

export interface AddressBookOptions {
  datadir: string;
  /** `persist.addressbook`: write full destinations (.b32 files) and the hosts file dump; default true. */
  persist?: boolean;
  /** `addressbook.hostsfile`: dump the book here in hosts.txt format after each save ('' or absent: no). */
  hostsFile?: string;
  /** Subscription URLs (http://<I2P host>/…); others are refused with a warning. */
  subscriptions?: readonly string[];
  /** Fetched until the book is loaded ('' or absent: none). */
  defaultUrl?: string;
  clock?: StreamingClock;
  /** Uniform in [0, 1), to pick a subscription. */
  random?: () => number;
  logger?: Logger;
  schedule?: Partial<SubscriptionSchedule>;
  limits?: HostsTxtLimits;
  maxEntries?: number;
}

/** How `start()` reaches the network: a fetch over I2P and whether the fetching destination is ready. */
export interface SubscriptionTransport {
  fetch: SubscriptionFetch;
  /** i2pd `dest->IsReady()`; default: always. */
  ready?: () => boolean;
}

export interface MergeStats {
  added: number;
  /** Names already in the book with another destination (kept). */
  conflicts: number;
  /** Names already in the book with the same destination. */
  unchanged: number;
  /** Lines of the input that were skipped (bad lines, see hosts-txt.ts). */
  skipped: number;
  /** New names refused because the book is full. */
  full: number;
}

export interface SubscriptionResult {
  url: string;
  ok: boolean;
  /** HTTP status, when a response came. */
  status?: number;
  notModified?: boolean;
  merge?: MergeStats;
  error?: string;
}

export interface ResolvedName {
  hash: Uint8Array;
  /** `<52 chars>.b32.i2p` */
  b32: string;
  /** The full destination, when known (hosts.txt, address helper, .b32 file). */
  destination?: Destination;
}

interface Entry {
  hash: Uint8Array;
  destination?: Destination;
  base64?: string;
}

export class AddressBook implements AddressBookHandle {
  readonly #storage: AddressBookStorage;
  readonly #datadir: string;
  readonly #persist: boolean;
  readonly #hostsFile: string;
  readonly #subscriptions: string[] = [];
  readonly #defaultUrl: string;
  readonly #clock: StreamingClock;
  readonly #random: () => number;
  readonly #log: Logger;
  readonly #schedule: SubscriptionSchedule;
  readonly #limits: Required<HostsTxtLimits>;
  readonly #maxEntries: number;

  readonly #entries = new Map<string, Entry>();
  readonly #blinded = new Map<string, string>();
  /** Destinations to write as .b32 files at the next save; hashes (base32) to remove. */
  readonly #pendingDests = new Map<string, Destination>();
  readonly #pendingRemovals = new Set<string>();
  /** Per subscription URL, the ETag / Last-Modified of its last 200 (i2pd keeps them in the subscription). */
  readonly #etags = new Map<string, { etag: string; lastModified: string }>();

  #loaded = false;
  #opened = false;
  #started = false;
  #stopped = false;
  #transport: SubscriptionTransport | undefined;
  #timer: TimerHandle | undefined;
  #downloading = false;
  #numRetries = 0;
  #stopController = new AbortController();
  #saving: Promise<void> = Promise.resolve();
  #saveQueued = false;
  #lastResult: SubscriptionResult | undefined;

  constructor(opts: AddressBookOptions) {
    this.#datadir = opts.datadir;
    this.#storage = new AddressBookStorage(opts.datadir);
    this.#persist = opts.persist ?? true;
    this.#hostsFile = opts.hostsFile ?? '';
    this.#clock = opts.clock ?? realClock;
    this.#random = opts.random ?? Math.random;
    this.#log = (opts.logger ?? pino({ level: 'silent' })).child({ module: 'addressbook' });
    this.#schedule = { ...I2PD_SCHEDULE, ...opts.schedule };
    this.#limits = { ...HOSTS_TXT_DEFAULTS, ...opts.limits };
    this.#maxEntries = opts.maxEntries ?? MAX_BOOK_ENTRIES;
    for (const url of opts.subscriptions ?? []) {
      const p = subscriptionUrlProblem(url);
      if (p) this.#log.warn({ url, problem: p }, 'subscription refused');
      else if (!this.#subscriptions.includes(url)) this.#subscriptions.push(url);
    }
    const d = opts.defaultUrl ?? '';
    const dp = d === '' ? undefined : subscriptionUrlProblem(d);
    if (dp) this.#log.warn({ url: d, problem: dp }, 'default subscription refused');
    this.#defaultUrl = dp ? '' : d;
  }

  // ---- loading and saving ----

  /**
   * i2pd `LoadHosts`: addresses.csv (with the .b32 files); if that holds nothing, DATADIR/hosts.txt (and the
   * stored ETags are reset). Throws only when addresses.csv exists but cannot be read.
   */
  async load(): Promise<void> {
    if (this.#opened) throw new Error('address book already loaded');
    this.#opened = true;
    await this.#storage.init();
    const csv = await this.#storage.loadCsv();
    if (csv && csv.hashes.size + csv.blinded.size > 0) {
      for (const [name, hash] of csv.hashes) {
        if (this.#entries.size >= this.#maxEntries) break;
        this.#entries.set(name, { hash });
      }
      for (const [name, b] of csv.blinded) this.#blinded.set(name, b);
      if (this.#persist) await this.#loadDestinations();
      this.#loaded = true;
      const full = [...this.#entries.values()].filter((e) => e.destination).length;
      this.#log.info({ names: this.#entries.size, fullDestinations: full, blinded: this.#blinded.size, skipped: csv.skipped }, 'address book loaded');
      return;
    }
    const hostsTxt = join(this.#datadir, 'hosts.txt');
    let bytes: Buffer | undefined;
    try {
      bytes = await readFile(hostsTxt);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') this.#log.warn({ file: hostsTxt, err: (e as Error).message }, 'cannot read hosts.txt');
    }
    if (bytes) {
      try {
        const stats = this.importHostsTxt(bytes);
        this.#log.info({ file: hostsTxt, ...stats }, 'address book imported from hosts.txt');
      } catch (e) {
        if (!(e instanceof ParseError)) throw e;
        this.#log.warn({ file: hostsTxt, err: e.message }, 'hosts.txt not imported');
      }
      this.#loaded = true;
      await this.#storage.resetEtags();
      await this.flush();
    } else {
      this.#log.info('address book is empty');
    }
  }

  async #loadDestinations(): Promise<void> {
    const all = [...this.#entries.values()];
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < all.length) {
        const e = all[next++]!;
        const d = await this.#storage.readDestination(e.hash);
        if (d) e.destination = d;
      }
    };
    await Promise.all(Array.from({ length: 16 }, worker));
  }

  /** Save now (addresses.csv, new .b32 files, the hosts file dump); resolves when written. */
  flush(): Promise<void> {
    if (!this.#saveQueued) {
      this.#saveQueued = true;
      this.#saving = this.#saving
        .then(async () => {
          this.#saveQueued = false;
          await this.#save();
        })
        .catch((e: unknown) => this.#log.warn({ err: (e as Error).message }, 'address book not saved'));
    }
    return this.#saving;
  }

  async #save(): Promise<void> {
    if (this.#persist) {
      const dests = [...this.#pendingDests.values()];
      this.#pendingDests.clear();
      for (const d of dests) await this.#storage.writeDestination(d);
      const removals = [...this.#pendingRemovals];
      this.#pendingRemovals.clear();
      if (removals.length > 0) {
        const inUse = new Set([...this.#entries.values()].map((e) => toBase32(e.hash)));
        for (const b32 of removals) if (!inUse.has(b32)) await this.#storage.removeDestination(b32ToHash(b32));
      }
    }
    // i2pd does not save an empty book (so a failed start never wipes one).
    if (this.#entries.size + this.#blinded.size === 0) return;
    await this.#storage.saveCsv([...this.#entries].map(([n, e]) => [n, e.hash] as const), this.#blinded);
    if (this.#persist && this.#hostsFile !== '') {
      const rows: [string, string][] = [];
      for (const [n, e] of this.#entries) if (e.destination) rows.push([n, this.#base64Of(e)!]);
      await writeFileAtomic(this.#hostsFile, serializeHostsTxt(rows));
    }
  }

  // ---- lookups ----

  get size(): number {
    return this.#entries.size;
  }

  /** Whether the book has been filled (i2pd m_IsLoaded): from disk, hosts.txt or a first download. */
  get loaded(): boolean {
    return this.#loaded;
  }

  names(): string[] {
    return [...this.#entries.keys()].sort();
  }

  /** The base64 Destination for a name, when the full destination is known (AddressBookHandle). */
  lookup(name: string): string | undefined {
    const e = this.#entries.get(normalizeHost(name));
    return e ? this.#base64Of(e) : undefined;
  }

  /** A name's destination hash (and full destination when known); undefined when not in the book. */
  resolve(name: string): ResolvedName | undefined {
    const e = this.#entries.get(normalizeHost(name));
    if (!e) return undefined;
    return { hash: e.hash, b32: `${toBase32(e.hash)}.b32.i2p`, ...(e.destination ? { destination: e.destination } : {}) };
  }

  #base64Of(e: Entry): string | undefined {
    if (!e.destination) return undefined;
    e.base64 ??= toBase64(e.destination.bytes);
    return e.base64;
  }

  // ---- changes ----

  /**
   * The user's own addition (the HTTP proxy's confirmed address helper, an API call): replaces an existing
   * entry. false (and nothing changes) for a bad name or destination, or a full book.
   */
  add(name: string, base64: string): boolean {
    const n = normalizeHost(name);
    const problem = hostNameProblem(n);
    if (problem) {
      this.#log.warn({ problem }, 'address book: name refused');
      return false;
    }
    let d: Destination;
    try {
      d = parseDestination(fromBase64(base64.trim(), 'destination'));
    } catch (e) {
      if (!(e instanceof ParseError)) throw e;
      this.#log.warn({ err: e.code }, 'address book: destination refused');
      return false;
    }
    const old = this.#entries.get(n);
    if (!old && this.#entries.size >= this.#maxEntries) {
      this.#log.warn({ max: this.#maxEntries }, 'address book full');
      return false;
    }
    if (old && !Buffer.from(old.hash).equals(Buffer.from(d.hash))) this.#pendingRemovals.add(toBase32(old.hash));
    this.#entries.set(n, { hash: d.hash, destination: d });
    this.#blinded.delete(n);
    this.#pendingDests.set(toBase32(d.hash), d);
    this.#loaded = true;
    this.#log.info(old ? 'address book entry replaced' : 'address book entry added');
    this.#log.debug({ name: n }, 'address book entry saved');
    void this.flush();
    return true;
  }

  /** Remove a name; true when it was there. */
  remove(name: string): boolean {
    const n = normalizeHost(name);
    const e = this.#entries.get(n);
    if (!e && !this.#blinded.has(n)) return false;
    this.#entries.delete(n);
    this.#blinded.delete(n);
    if (e) this.#pendingRemovals.add(toBase32(e.hash));
    void this.flush();
    return true;
  }

  /**
   * Merge hosts.txt content as a subscription does: new names are added, existing names are never replaced.
   * Throws ParseError('TOO_LARGE') for input over the size limit; the caller saves (flush) when it wants to.
   */
  importHostsTxt(input: Uint8Array | string): MergeStats {
    const parsed = parseHostsTxt(input, this.#limits);
    const stats = this.#merge(parsed.entries);
    stats.skipped = parsed.skippedTotal;
    return stats;
  }

  #merge(entries: readonly HostsTxtEntry[]): MergeStats {
    const stats: MergeStats = { added: 0, conflicts: 0, unchanged: 0, skipped: 0, full: 0 };
    for (const h of entries) {
      const old = this.#entries.get(h.name);
      if (old) {
        if (Buffer.from(old.hash).equals(Buffer.from(h.destination.hash))) {
          stats.unchanged++;
          if (!old.destination) {
            old.destination = h.destination; // the full destination was unknown (hash-only entry)
            this.#pendingDests.set(toBase32(h.destination.hash), h.destination);
          }
        } else {
          stats.conflicts++;
          this.#log.debug({ name: h.name }, 'subscription entry conflicts with the book; kept the book');
        }
        continue;
      }
      if (this.#blinded.has(h.name)) {
        stats.conflicts++;
        continue;
      }
      if (this.#entries.size >= this.#maxEntries) {
        stats.full++;
        continue;
      }
      this.#entries.set(h.name, { hash: h.destination.hash, destination: h.destination, base64: h.base64 });
      this.#pendingDests.set(toBase32(h.destination.hash), h.destination);
      stats.added++;
    }
    return stats;
  }

  // ---- subscriptions ----

  get subscriptions(): readonly string[] {
    return this.#subscriptions;
  }

  get defaultUrl(): string {
    return this.#defaultUrl;
  }

  /** Whether start() would schedule any download (i2pd `StartSubscriptions`). */
  get wantsSubscriptions(): boolean {
    if (this.#subscriptions.length > 0) return true;
    return !this.#loaded && this.#defaultUrl !== '';
  }

  /** The last download's outcome. */
  get lastResult(): SubscriptionResult | undefined {
    return this.#lastResult;
  }

  /** Start the subscription timer (first round after initialDelayMs). */
  start(transport: SubscriptionTransport): void {
    if (!this.#opened) throw new Error('load() the address book before start()');
    if (this.#started || this.#stopped) return;
    this.#started = true;
    this.#transport = transport;
    if (!this.wantsSubscriptions) {
      this.#log.info('no subscriptions to fetch');
      return;
    }
    this.#log.info({ subscriptions: this.#subscriptions.length, defaultUrl: this.#defaultUrl !== '' }, 'subscriptions started');
    this.#arm(this.#schedule.initialDelayMs);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#timer?.clear();
    this.#timer = undefined;
    this.#stopController.abort(new Error('address book stopped'));
    await this.flush();
  }

  #arm(ms: number): void {
    this.#timer?.clear();
    if (this.#stopped) return;
    this.#timer = this.#clock.setTimeout(() => this.#tick(), ms);
  }

  #tick(): void {
    this.#timer = undefined;
    if (this.#stopped) return;
    const ready = this.#transport?.ready?.() ?? true;
    if (this.#downloading || !ready) return this.#arm(this.#schedule.notReadyRetryMs);
    let url: string | undefined;
    if (!this.#loaded && this.#defaultUrl !== '') url = this.#defaultUrl;
    else if (this.#subscriptions.length > 0) url = this.#subscriptions[Math.min(this.#subscriptions.length - 1, Math.floor(this.#random() * this.#subscriptions.length))];
    if (url === undefined) return;
    this.#downloading = true;
    void this.updateSubscription(url).then((r) => this.#downloadComplete(r.ok));
  }

  /** i2pd `DownloadComplete`. */
  #downloadComplete(success: boolean): void {
    this.#downloading = false;
    const s = this.#schedule;
    this.#numRetries++;
    let next = this.#numRetries * s.retryStepMs;
    if (this.#numRetries > s.maxRetries || next > s.updateIntervalMs) next = s.updateIntervalMs;
    if (success) {
      this.#numRetries = 0;
      if (this.#loaded) next = s.updateIntervalMs;
      else this.#loaded = true;
    }
    this.#arm(next);
  }

  /**
   * Download one subscription now and merge it (what each timer round does). Never throws: the outcome is
   * in the result (and logged).
   */
  async updateSubscription(url: string): Promise<SubscriptionResult> {
    const r = await this.#update(url);
    this.#lastResult = r;
    if (r.ok) this.#log.info({ url, status: r.status, ...(r.merge ?? {}) }, r.notModified ? 'subscription not modified' : 'subscription merged');
    else this.#log.warn({ url, status: r.status, err: r.error }, 'subscription update failed');
    return r;
  }

  async #update(url: string): Promise<SubscriptionResult> {
    const problem = subscriptionUrlProblem(url);
    if (problem) return { url, ok: false, error: problem };
    const transport = this.#transport;
    if (!transport) return { url, ok: false, error: 'subscriptions not started (no transport)' };
    const host = classifyHost(new URL(url).hostname).host;
    let hostHash: Uint8Array;
    try {
      hostHash = this.hashOfHost(host);
    } catch (e) {
      return { url, ok: false, error: (e as Error).message };
    }
    let tags = this.#etags.get(url);
    if (!tags) {
      tags = await this.#storage.readEtag(hostHash);
      if (tags) this.#etags.set(url, tags);
    }
    const headers: Record<string, string> = {};
    if (tags?.etag) headers['If-None-Match'] = tags.etag;
    if (tags?.lastModified) headers['If-Modified-Since'] = tags.lastModified;

    const ac = new AbortController();
    const onStop = (): void => ac.abort(this.#stopController.signal.reason);
    this.#stopController.signal.addEventListener('abort', onStop, { once: true });
    const deadline = this.#clock.setTimeout(() => ac.abort(new Error('subscription download timed out')), this.#schedule.requestTimeoutMs);
    let res;
    try {
      res = await transport.fetch(url, { signal: ac.signal, headers, maxBytes: this.#limits.maxBytes });
    } catch (e) {
      return { url, ok: false, error: ac.signal.aborted ? String((ac.signal.reason as Error | undefined)?.message ?? 'aborted') : (e as Error).message };
    } finally {
      deadline.clear();
      this.#stopController.signal.removeEventListener('abort', onStop);
    }
    if (this.#stopped) return { url, ok: false, status: res.status, error: 'address book stopped' };
    if (res.status === 304) return { url, ok: true, status: 304, notModified: true };
    if (res.status !== 200) return { url, ok: false, status: res.status, error: `HTTP ${res.status}` };
    if (res.body.length === 0) return { url, ok: false, status: 200, error: 'empty response' };
    let merge: MergeStats;
    try {
      merge = this.importHostsTxt(res.body);
    } catch (e) {
      if (!(e instanceof ParseError)) throw e;
      return { url, ok: false, status: 200, error: e.message };
    }
    if (merge.added + merge.unchanged + merge.conflicts > 0) this.#loaded = true;
    const etag = res.headers['etag'] ?? '';
    const lastModified = res.headers['last-modified'] ?? '';
    this.#etags.set(url, { etag, lastModified });
    await this.#storage.writeEtag(hostHash, etag, lastModified).catch((e: unknown) => this.#log.warn({ err: (e as Error).message }, 'ETag not saved'));
    await this.flush();
    return { url, ok: true, status: 200, merge };
  }

  /**
   * The destination hash of an I2P host: `<52>.b32.i2p` or a name in the book. Throws I2PConnectError
   * (NOT_FOUND for an unknown name, BAD_ADDRESS otherwise).
   */
  hashOfHost(host: string): Uint8Array {
    const h = normalizeHost(host);
    const m = B32_HOST_RE.exec(h);
    if (m) return b32ToHash(m[1]!);
    const r = this.resolve(h);
    if (!r) throw new I2PConnectError('NOT_FOUND', `${host}: not in the address book`);
    return r.hash;
  }
}

function b32ToHash(b32: string): Uint8Array {
  try {
    const h = fromBase32(b32.toLowerCase(), 'b32');
    if (h.length === 32) return h;
  } catch (e) {
    if (!(e instanceof ParseError)) throw e;
  }
  throw new I2PConnectError('BAD_ADDRESS', `${b32}.b32.i2p: not a b32 address`);
}
