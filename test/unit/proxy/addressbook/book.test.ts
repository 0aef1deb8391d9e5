import test from 'ava';
import { cp, mkdtemp, readFile, readdir, writeFile, mkdir, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { toBase64, toBase32 } from '../../../../data/base64.js';
import { generateDestinationKeys } from '../../../../data/private-key-file.js';
import { loadConfig } from '../../../../conf/index.js';
import { AddressBook, type SubscriptionSchedule } from '../../../../proxy/addressbook/book.js';
import type { SubscriptionFetch, SubscriptionFetchOptions, SubscriptionResponse } from '../../../../proxy/addressbook/fetch.js';
import { subscriptionSourcesFor } from '../../../../proxy/addressbook/policy.js';
import { addressBookOptionsFromConfig } from '../../../../proxy/addressbook/config.js';
import { resolveI2PHost } from '../../../../proxy/addressbook/resolve.js';
import { parseHostsTxt } from '../../../../proxy/addressbook/hosts-txt.js';
import { I2PConnectError } from '../../../../proxy/connector.js';
import type { StreamingClock } from '../../../../client/streaming/clock.js';

const VECTORS = fileURLToPath(new URL('./vectors/i2pd-2.45.1/', import.meta.url));
const keys = Array.from({ length: 6 }, () => generateDestinationKeys({ cryptoType: 4 }).identity);
const b64 = keys.map((k) => toBase64(k.bytes));
const b32 = keys.map((k) => `${toBase32(k.hash)}.b32.i2p`);

async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'clove-ab-'));
}

test('an address book written by i2pd 2.45.1 loads: names resolve to the same destinations', async (t) => {
  const dd = await tempDir();
  await cp(join(VECTORS, 'addressbook'), join(dd, 'addressbook'), { recursive: true });
  const book = new AddressBook({ datadir: dd });
  await book.load();
  const hosts = parseHostsTxt(await readFile(join(VECTORS, 'hosts.txt')));
  t.is(hosts.entries.length, 4);
  t.is(book.size, 4);
  t.true(book.loaded);
  for (const e of hosts.entries) {
    t.is(book.lookup(e.name), e.base64, e.name);
    t.deepEqual(book.resolve(e.name)?.hash, e.destination.hash);
    t.is(book.resolve(e.name.toUpperCase())?.b32, `${toBase32(e.destination.hash)}.b32.i2p`);
  }
  t.is(book.lookup('unknown.i2p'), undefined);
  await book.stop();
});

test('first start imports DATADIR/hosts.txt and writes the same files i2pd 2.45.1 wrote, byte for byte', async (t) => {
  const dd = await tempDir();
  await writeFile(join(dd, 'hosts.txt'), await readFile(join(VECTORS, 'hosts.txt')));
  // A stale ETag: rebuilding from hosts.txt resets them (i2pd ResetEtags).
  await mkdir(join(dd, 'addressbook', 'etags'), { recursive: true });
  await writeFile(join(dd, 'addressbook', 'etags', 'stale.txt'), '"x"\nyesterday\n');
  const book = new AddressBook({ datadir: dd });
  await book.load();
  t.is(book.size, 4);
  t.is(await readFile(join(dd, 'addressbook', 'addresses.csv'), 'utf8'), await readFile(join(VECTORS, 'addressbook', 'addresses.csv'), 'utf8'));
  const theirs = await listFiles(join(VECTORS, 'addressbook'));
  t.deepEqual((await listFiles(join(dd, 'addressbook'))).filter((f) => f.endsWith('.b32')), theirs.filter((f) => f.endsWith('.b32')));
  for (const f of theirs) t.deepEqual(await readFile(join(dd, 'addressbook', f)), await readFile(join(VECTORS, 'addressbook', f)), f);
  t.deepEqual(await readdir(join(dd, 'addressbook', 'etags')), []);
  // i2pd's 32 hashed folders exist
  for (const c of 'abcdefghijklmnopqrstuvwxyz234567') t.true((await stat(join(dd, 'addressbook', `b${c}`))).isDirectory());
  await book.stop();
});

async function listFiles(root: string, sub = ''): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(join(root, sub), { withFileTypes: true })) {
    const rel = sub ? `${sub}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...(await listFiles(root, rel)));
    else out.push(rel);
  }
  return out.sort();
}

test('persistence round trip: adds, imports and removals survive a restart; b33 and hash-only entries kept', async (t) => {
  const dd = await tempDir();
  const hostsFile = join(dd, 'dump-hosts.txt');
  const a = new AddressBook({ datadir: dd, hostsFile });
  await a.load();
  t.false(a.loaded);
  t.true(a.add('Mine.I2P', b64[0]!));
  const stats = a.importHostsTxt(`sub1.i2p=${b64[1]}\nsub2.i2p=${b64[2]}\nmine.i2p=${b64[3]}\nbad=line\n`);
  t.deepEqual(stats, { added: 2, conflicts: 1, unchanged: 0, skipped: 1, full: 0 });
  t.true(a.remove('sub2.i2p'));
  t.false(a.remove('sub2.i2p'));
  await a.stop();

  const csv = await readFile(join(dd, 'addressbook', 'addresses.csv'), 'utf8');
  t.is(csv, `mine.i2p,${toBase32(keys[0]!.hash)}\nsub1.i2p,${toBase32(keys[1]!.hash)}\n`);
  t.is(await readFile(hostsFile, 'utf8'), `mine.i2p=${b64[0]}\nsub1.i2p=${b64[1]}\n`);
  const removed = toBase32(keys[2]!.hash);
  await t.throwsAsync(stat(join(dd, 'addressbook', `b${removed[0]}`, `${removed}.b32`)));

  // An i2pd user's extra lines: a b33 (blinded) entry, a hash-only entry (no .b32 file), garbage.
  const b33 = 'a'.repeat(56);
  await writeFile(join(dd, 'addressbook', 'addresses.csv'), `${csv}blind.i2p,${b33}\nhashonly.i2p,${toBase32(keys[4]!.hash)}\nnot a line\n,\n`);
  const b = new AddressBook({ datadir: dd });
  await b.load();
  t.is(b.lookup('mine.i2p'), b64[0]);
  t.is(b.lookup('sub1.i2p'), b64[1]);
  t.is(b.lookup('sub2.i2p'), undefined);
  t.is(b.lookup('hashonly.i2p'), undefined, 'no full destination on disk');
  t.deepEqual(b.resolve('hashonly.i2p')?.hash, keys[4]!.hash);
  t.is(b.resolve('blind.i2p'), undefined);
  t.deepEqual(b.names(), ['hashonly.i2p', 'mine.i2p', 'sub1.i2p']);
  // A subscription bringing the full destination of a hash-only name fills it in.
  t.deepEqual(b.importHostsTxt(`hashonly.i2p=${b64[4]}\n`), { added: 0, conflicts: 0, unchanged: 1, skipped: 0, full: 0 });
  t.is(b.lookup('hashonly.i2p'), b64[4]);
  await b.stop();
  const csv2 = await readFile(join(dd, 'addressbook', 'addresses.csv'), 'utf8');
  t.true(csv2.includes(`blind.i2p,${b33}\n`), 'the b33 entry is written back');
  t.false(csv2.includes('not a line'));
});

test('add() replaces (the user confirmed); subscriptions never do; bad input refused without throwing', async (t) => {
  const dd = await tempDir();
  const book = new AddressBook({ datadir: dd, maxEntries: 3 });
  await book.load();
  book.importHostsTxt(`site.i2p=${b64[0]}\n`);
  t.deepEqual(book.importHostsTxt(`site.i2p=${b64[1]}\nnew.i2p=${b64[2]}\n`), { added: 1, conflicts: 1, unchanged: 0, skipped: 0, full: 0 });
  t.is(book.lookup('site.i2p'), b64[0]);
  t.true(book.add('site.i2p', b64[1]!));
  t.is(book.lookup('site.i2p'), b64[1]);
  t.false(book.add('proxy.i2p', b64[3]!));
  t.false(book.add('x.b32.i2p', b64[3]!));
  t.false(book.add('fine.i2p', 'not base64'));
  t.false(book.add('fine.i2p', b64[3]!.slice(0, 100)));
  t.is(book.lookup('fine.i2p'), undefined);
  t.true(book.add('third.i2p', b64[3]!));
  t.false(book.add('fourth.i2p', b64[4]!), 'the book is full');
  t.deepEqual(book.importHostsTxt(`fifth.i2p=${b64[5]}\n`).full, 1);
  await book.stop();
});

test('resolveI2PHost: b32, names, base64; NOT_FOUND names the host', async (t) => {
  const dd = await tempDir();
  const book = new AddressBook({ datadir: dd });
  await book.load();
  book.add('known.i2p', b64[0]!);
  t.is(resolveI2PHost(b32[1]!.toUpperCase(), book), b32[1]);
  t.deepEqual((resolveI2PHost('Known.i2p.', book) as { hash: Uint8Array }).hash, keys[0]!.hash);
  t.deepEqual((resolveI2PHost(b64[2]!, undefined) as { hash: Uint8Array }).hash, keys[2]!.hash);
  const nf = t.throws(() => resolveI2PHost('nobody.i2p', book), { instanceOf: I2PConnectError });
  t.is(nf.code, 'NOT_FOUND');
  t.regex(nf.message, /nobody\.i2p/);
  t.is(t.throws(() => resolveI2PHost('known.i2p', undefined), { instanceOf: I2PConnectError }).code, 'NOT_FOUND');
  t.is(t.throws(() => resolveI2PHost(`${'a'.repeat(56)}.b32.i2p`, book), { instanceOf: I2PConnectError }).code, 'BAD_ADDRESS');
  t.is(t.throws(() => resolveI2PHost('example.com', book), { instanceOf: I2PConnectError }).code, 'BAD_ADDRESS');
  await book.stop();
});

// ---- subscriptions, in virtual time ----

class ManualClock implements StreamingClock {
  t = 0;
  timers: { at: number; fn: () => void; live: boolean }[] = [];
  now(): number {
    return this.t;
  }
  setTimeout(fn: () => void, ms: number) {
    const timer = { at: this.t + ms, fn, live: true };
    this.timers.push(timer);
    return { clear: () => void (timer.live = false) };
  }
  /** Time of the next live timer. */
  next(): number | undefined {
    const live = this.timers.filter((x) => x.live).map((x) => x.at);
    return live.length ? Math.min(...live) : undefined;
  }
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      const due = this.timers.filter((x) => x.live && x.at <= end).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      this.t = due.at;
      due.live = false;
      due.fn();
      await new Promise((r) => setImmediate(r));
      await new Promise((r) => setImmediate(r));
    }
    this.t = end;
  }
}

const MIN = 60_000;

/** The next armed timer, once the round in flight (real file I/O) has finished and armed it. */
async function nextTimer(clock: ManualClock): Promise<number | undefined> {
  for (let i = 0; i < 500 && clock.next() === undefined; i++) await new Promise((r) => setTimeout(r, 10));
  return clock.next();
}

function scriptedFetch(replies: ((url: string, o: SubscriptionFetchOptions) => SubscriptionResponse | Error)[]) {
  const calls: { url: string; headers: Record<string, string>; at: number }[] = [];
  let clock: ManualClock | undefined;
  const fetch: SubscriptionFetch = async (url, o) => {
    calls.push({ url, headers: { ...o.headers }, at: clock?.now() ?? 0 });
    const f = replies.shift();
    if (!f) throw new Error('no more scripted replies');
    const r = f(url, o);
    if (r instanceof Error) throw r;
    return r;
  };
  return { fetch, calls, bind: (c: ManualClock) => void (clock = c) };
}

const ok = (body: string, headers: Record<string, string> = {}) => () => ({ status: 200, headers, body: new TextEncoder().encode(body) });

test("subscriptions follow i2pd's schedule: defaulturl first, ETag/Last-Modified, 12 h after success, n×5 min after failures", async (t) => {
  const dd = await tempDir();
  const clock = new ManualClock();
  const s = scriptedFetch([
    ok(`first.i2p=${b64[0]}\n`, { etag: '"v1"', 'last-modified': 'Mon, 01 Jan 2024 00:00:00 GMT' }),
    ok(`second.i2p=${b64[1]}\nfirst.i2p=${b64[2]}\n`, { etag: '"s1"' }),
    () => ({ status: 304, headers: {}, body: new Uint8Array(0) }),
    () => new Error('stream reset'),
    () => ({ status: 500, headers: {}, body: new Uint8Array(0) }),
    ok(`third.i2p=${b64[3]}\n`),
  ]);
  s.bind(clock);
  const book = new AddressBook({
    datadir: dd,
    clock,
    random: () => 0.99,
    defaultUrl: `http://${b32[5]}/hosts.txt`,
    subscriptions: [`http://${b32[4]}/hosts.txt`, 'http://example.com/hosts.txt', 'https://reg.i2p/hosts.txt', 'http://10.0.0.1/hosts.txt', `http://sub.i2p/x`],
  });
  await book.load();
  t.deepEqual(book.subscriptions, [`http://${b32[4]}/hosts.txt`, 'http://sub.i2p/x'], 'clearnet, https and IP URLs refused');
  let ready = false;
  book.start({ fetch: s.fetch, ready: () => ready });
  t.is(clock.next(), 3 * MIN);
  await clock.advance(3 * MIN);
  t.is(await nextTimer(clock), 4 * MIN);
  t.is(s.calls.length, 0, 'destination not ready: nothing fetched');
  ready = true;
  await clock.advance(1 * MIN);
  // The round is over once the next one is scheduled (it does real file I/O: wait for that, not a tick count).
  // i2pd: the download added names, so the book is loaded → next round in 12 h, now from the subscriptions.
  t.is(await nextTimer(clock), 4 * MIN + 720 * MIN);
  t.is(s.calls.length, 1);
  t.is(s.calls[0]!.url, `http://${b32[5]}/hosts.txt`, 'empty book: defaulturl');
  t.deepEqual(s.calls[0]!.headers, {});
  t.is(book.lookup('first.i2p'), b64[0]);
  // random() = 0.99 picks the last subscription; sub.i2p is not in the book → cannot resolve → failure.
  await clock.advance(720 * MIN);
  t.is(await nextTimer(clock), 724 * MIN + 5 * MIN, 'first failure: 1 × 5 min');
  t.is(s.calls.length, 1, 'sub.i2p is unknown: no fetch');
  t.regex(book.lastResult?.error ?? '', /sub\.i2p: not in the address book/);

  book.importHostsTxt(`sub.i2p=${b64[4]}\n`); // now it resolves
  await clock.advance(5 * MIN);
  t.is(await nextTimer(clock), 729 * MIN + 720 * MIN, 'success: 12 h');
  t.is(s.calls.length, 2);
  t.is(s.calls[1]!.url, 'http://sub.i2p/x');
  t.is(book.lookup('second.i2p'), b64[1]);
  t.is(book.lookup('first.i2p'), b64[0], 'a subscription never replaces a name');

  // Second round to the same host: the stored ETag goes along; 304 is a success.
  await clock.advance(720 * MIN);
  t.is(await nextTimer(clock), 1449 * MIN + 720 * MIN);
  t.deepEqual(s.calls[2]!.headers, { 'If-None-Match': '"s1"' });
  t.true(book.lastResult?.notModified);
  // Failures: 1 × 5 min, then 2 × 5 min.
  await clock.advance(720 * MIN);
  t.is(await nextTimer(clock), 2169 * MIN + 5 * MIN);
  t.is(s.calls.length, 4);
  await clock.advance(5 * MIN);
  t.is(await nextTimer(clock), 2174 * MIN + 10 * MIN);
  t.is(s.calls.length, 5);
  t.is(book.lastResult?.status, 500);
  await clock.advance(10 * MIN);
  t.is(await nextTimer(clock), 2184 * MIN + 720 * MIN);
  t.is(book.lookup('third.i2p'), b64[3]);

  // ETags are stored as i2pd stores them: etags/<b32 of the subscription host>.txt
  const etag = await readFile(join(dd, 'addressbook', 'etags', `${toBase32(keys[5]!.hash)}.txt`), 'utf8');
  t.is(etag, '"v1"\nMon, 01 Jan 2024 00:00:00 GMT\n');
  await book.stop();
  t.is(clock.next(), undefined, 'stop() clears the timer');

  // After a restart, the ETag of the defaulturl host comes from disk.
  const clock2 = new ManualClock();
  const s2 = scriptedFetch([() => ({ status: 304, headers: {}, body: new Uint8Array(0) })]);
  const again = new AddressBook({ datadir: dd, clock: clock2, defaultUrl: `http://${b32[5]}/hosts.txt`, subscriptions: [`http://${b32[5]}/other`] });
  await again.load();
  again.start({ fetch: s2.fetch });
  await clock2.advance(3 * MIN);
  t.is(await nextTimer(clock2), 3 * MIN + 720 * MIN);
  t.deepEqual(s2.calls[0]!.headers, { 'If-None-Match': '"v1"', 'If-Modified-Since': 'Mon, 01 Jan 2024 00:00:00 GMT' });
  await again.stop();
});

test('a loaded book with no subscriptions schedules nothing; a download that hangs is aborted at its deadline and on stop', async (t) => {
  const dd = await tempDir();
  const clock = new ManualClock();
  const book = new AddressBook({ datadir: dd, clock, defaultUrl: `http://${b32[0]}/hosts.txt` });
  await book.load();
  book.add('x.i2p', b64[1]!);
  t.false(book.wantsSubscriptions);
  book.start({ fetch: async () => t.fail('no fetch expected') as never });
  t.is(clock.next(), undefined);
  await book.stop();

  const clock2 = new ManualClock();
  const schedule: Partial<SubscriptionSchedule> = { initialDelayMs: 0, requestTimeoutMs: 2 * MIN };
  let aborted: unknown;
  let fetching = false;
  const hang: SubscriptionFetch = (_url, o) =>
    new Promise((_resolve, reject) => {
      fetching = true;
      o.signal.addEventListener('abort', () => reject((aborted = o.signal.reason) as Error));
    });
  const b2 = new AddressBook({ datadir: await tempDir(), clock: clock2, schedule, subscriptions: [`http://${b32[0]}/h`] });
  await b2.load();
  b2.start({ fetch: hang });
  await clock2.advance(0);
  // the round reaches fetch() after real file I/O; its deadline timer exists from then on
  for (let i = 0; i < 500 && !fetching; i++) await new Promise((r) => setTimeout(r, 10));
  t.true(fetching);
  await clock2.advance(2 * MIN);
  t.is(await nextTimer(clock2), 2 * MIN + 5 * MIN, 'failure: retry in 5 min');
  t.regex(String((aborted as Error).message), /timed out/);
  t.false(b2.lastResult?.ok);
  fetching = false;
  await clock2.advance(5 * MIN);
  for (let i = 0; i < 500 && !fetching; i++) await new Promise((r) => setTimeout(r, 10));
  t.true(fetching, 'the retry is downloading');
  const stopping = b2.stop();
  await stopping;
  t.regex(String((aborted as Error).message), /stopped/);
});

test('private network policy: built-in subscriptions and defaulturl are not used unless configured', async (t) => {
  const dd = await tempDir();
  const priv = loadConfig({ argv: [`--datadir=${dd}`, '--netid=123'] }).config;
  t.deepEqual(subscriptionSourcesFor(priv), { subscriptions: [], defaultUrl: '', privateNetDefaultSubscriptions: true, privateNetDefaultUrl: true });
  const main = loadConfig({ argv: [`--datadir=${dd}`] }).config;
  const m = subscriptionSourcesFor(main);
  t.deepEqual(m.subscriptions, ['http://reg.i2p/hosts.txt']);
  t.regex(m.defaultUrl, /^http:\/\/[a-z2-7]{52}\.b32\.i2p\/hosts\.txt$/);
  const explicit = loadConfig({ argv: [`--datadir=${dd}`, '--netid=123', `--addressbook.subscriptions=http://${b32[0]}/h.txt`] }).config;
  t.deepEqual(subscriptionSourcesFor(explicit), { subscriptions: [`http://${b32[0]}/h.txt`], defaultUrl: '', privateNetDefaultSubscriptions: false, privateNetDefaultUrl: true });
  // DATADIR/subscriptions.txt (i2pd, deprecated) replaces the list on any network.
  await writeFile(join(dd, 'subscriptions.txt'), `# mine\nhttp://${b32[1]}/a.txt\n\n`);
  const opts = await addressBookOptionsFromConfig(priv);
  t.deepEqual(opts.subscriptions, [`http://${b32[1]}/a.txt`]);
  t.is(opts.defaultUrl, '');
  t.true(opts.persist);
  const book = new AddressBook(opts);
  await book.load();
  t.true(book.wantsSubscriptions);
  await book.stop();
});
