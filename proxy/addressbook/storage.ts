/**
 * The address book on disk, in i2pd 2.45.1's layout (libi2pd_client/AddressBook.cpp
 * `AddressBookFilesystemStorage`, libi2pd/FS.cpp `HashedStorage`), so an i2pd datadir's book loads unchanged:
 *
 *   DATADIR/addressbook/addresses.csv        `name,<52-char base32 of the destination hash>` per line
 *                                            (a longer value is a b33 blinded address)
 *   DATADIR/addressbook/b<c>/<b32>.b32        the full Destination, binary, c = first base32 character
 *   DATADIR/addressbook/etags/<b32>.txt       a subscription's ETag and Last-Modified, one per line
 *                                            (b32 of the subscription host's destination hash)
 *
 * Deviations, written down:
 * - Writes are atomic (router/fs.ts writeFileAtomic); i2pd truncates in place.
 * - b33 (blinded) entries are kept verbatim and written back, but not resolved (clove does not look up
 *   encrypted LeaseSets by b33 yet). Lines that are neither are skipped and counted, not fatal.
 * - addresses.csv larger than MAX_CSV_BYTES is refused as a whole (the error names the file); .b32 files
 *   that do not parse as a Destination are ignored (the name still resolves by hash).
 * - local.csv (i2pd's resolvers for our own subdomains, answered over datagrams on port 53) is not used.
 */
import { mkdir, readFile, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { toBase32, fromBase32 } from '../../data/base64.js';
import { parseDestination, type Destination } from '../../data/identity.js';
import { ParseError } from '../../data/errors.js';
import { writeFileAtomic } from '../../router/fs.js';

export const ADDRESSBOOK_DIR = 'addressbook';
export const ADDRESSES_CSV = 'addresses.csv';
export const ETAGS_DIR = 'etags';
/** Largest addresses.csv read (a 200 000-name book is about 25 MB). */
export const MAX_CSV_BYTES = 64 * 1024 * 1024;
/** Largest .b32 file read (a Destination is 387 bytes + certificate; 65 KiB is far beyond any). */
const MAX_B32_FILE = 65_536;
const B32_CHARS = 'abcdefghijklmnopqrstuvwxyz234567';

export interface CsvContents {
  /** name → 32-byte destination hash. */
  hashes: Map<string, Uint8Array>;
  /** name → b33 string, kept verbatim. */
  blinded: Map<string, string>;
  /** Lines that were neither (skipped). */
  skipped: number;
}

/** Parse addresses.csv text (i2pd `LoadFromFile`: split at the first ','). Never throws. */
export function parseAddressesCsv(text: string): CsvContents {
  const hashes = new Map<string, Uint8Array>();
  const blinded = new Map<string, string>();
  let skipped = 0;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '') continue;
    const comma = line.indexOf(',');
    if (comma <= 0) {
      skipped++;
      continue;
    }
    const name = line.slice(0, comma).trim().toLowerCase();
    const addr = line.slice(comma + 1).trim().toLowerCase();
    if (addr.length === 52) {
      try {
        hashes.set(name, fromBase32(addr, 'addresses.csv'));
        blinded.delete(name);
        continue;
      } catch (e) {
        if (!(e instanceof ParseError)) throw e;
      }
    } else if (addr.length > 52 && addr.length < 256 && /^[a-z2-7]+$/.test(addr)) {
      blinded.set(name, addr);
      hashes.delete(name);
      continue;
    }
    skipped++;
  }
  return { hashes, blinded, skipped };
}

export function serializeAddressesCsv(hashes: Iterable<readonly [string, Uint8Array]>, blinded: Iterable<readonly [string, string]>): string {
  const rows: [string, string][] = [];
  for (const [n, h] of hashes) rows.push([n, toBase32(h)]);
  for (const [n, b] of blinded) rows.push([n, b]);
  rows.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return rows.map(([n, v]) => `${n},${v}\n`).join('');
}

/** The on-disk book under one datadir. */
export class AddressBookStorage {
  readonly root: string;

  constructor(datadir: string) {
    this.root = join(datadir, ADDRESSBOOK_DIR);
  }

  get csvPath(): string {
    return join(this.root, ADDRESSES_CSV);
  }

  /** Create the folders i2pd creates (addressbook/, b<a..7>/, etags/). */
  async init(): Promise<void> {
    await mkdir(join(this.root, ETAGS_DIR), { recursive: true });
    await Promise.all([...B32_CHARS].map((c) => mkdir(join(this.root, `b${c}`), { recursive: true })));
  }

  /** addresses.csv, or undefined when absent. Throws an Error naming the file when it cannot be read. */
  async loadCsv(): Promise<CsvContents | undefined> {
    let bytes: Buffer;
    try {
      bytes = await readFile(this.csvPath);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new Error(`${this.csvPath}: cannot read (${(e as Error).message})`, { cause: e });
    }
    if (bytes.length > MAX_CSV_BYTES) throw new Error(`${this.csvPath}: ${bytes.length} bytes, more than the ${MAX_CSV_BYTES} accepted`);
    return parseAddressesCsv(bytes.toString('utf8'));
  }

  async saveCsv(hashes: Iterable<readonly [string, Uint8Array]>, blinded: Iterable<readonly [string, string]>): Promise<void> {
    await writeFileAtomic(this.csvPath, serializeAddressesCsv(hashes, blinded));
  }

  #destPath(hash: Uint8Array): string {
    const b32 = toBase32(hash);
    return join(this.root, `b${b32[0]}`, `${b32}.b32`);
  }

  /** The full Destination stored for `hash`, if any and valid (and really hashing to `hash`). */
  async readDestination(hash: Uint8Array): Promise<Destination | undefined> {
    let bytes: Buffer;
    try {
      bytes = await readFile(this.#destPath(hash));
    } catch {
      return undefined;
    }
    if (bytes.length > MAX_B32_FILE) return undefined;
    try {
      const d = parseDestination(new Uint8Array(bytes));
      return Buffer.from(d.hash).equals(Buffer.from(hash)) ? d : undefined;
    } catch (e) {
      if (e instanceof ParseError) return undefined;
      throw e;
    }
  }

  async writeDestination(d: Destination): Promise<void> {
    await writeFileAtomic(this.#destPath(d.hash), d.bytes);
  }

  async removeDestination(hash: Uint8Array): Promise<void> {
    await rm(this.#destPath(hash), { force: true });
  }

  #etagPath(subscription: Uint8Array): string {
    return join(this.root, ETAGS_DIR, `${toBase32(subscription)}.txt`);
  }

  /** i2pd `GetEtag`: two lines, ETag then Last-Modified; undefined unless both lines are there. */
  async readEtag(subscription: Uint8Array): Promise<{ etag: string; lastModified: string } | undefined> {
    let text: string;
    try {
      text = await readFile(this.#etagPath(subscription), 'utf8');
    } catch {
      return undefined;
    }
    if (text.length > 4096) return undefined;
    const lines = text.split(/\r?\n/);
    if (lines.length < 2) return undefined;
    return { etag: lines[0]!, lastModified: lines[1]! };
  }

  async writeEtag(subscription: Uint8Array, etag: string, lastModified: string): Promise<void> {
    await writeFileAtomic(this.#etagPath(subscription), `${oneLine(etag)}\n${oneLine(lastModified)}\n`);
  }

  /** i2pd `ResetEtags`: when the book is rebuilt from hosts.txt, old ETags no longer describe it. */
  async resetEtags(): Promise<void> {
    const dir = join(this.root, ETAGS_DIR);
    let names: string[];
    try {
      names = await readdir(dir);
    } catch {
      return;
    }
    await Promise.all(names.filter((n) => n.endsWith('.txt')).map((n) => rm(join(dir, n), { force: true })));
  }
}

function oneLine(s: string): string {
  return s.replace(/[\r\n]/g, ' ').slice(0, 1024);
}
