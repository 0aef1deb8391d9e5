/**
 * The netDb folder in i2pd's layout, so a datadir can be seeded the way i2pd's is and moves between the two:
 *   DATADIR/netDb/r<c>/routerInfo-<hash>.dat
 * where <hash> is the I2P base64 of the router hash and <c> its first character
 * (i2pd libi2pd/NetDbStorage / FS.cpp HashedStorage). Files hold the RouterInfo bytes as published.
 *
 * Loading checks more than i2pd does at load (i2pd trusts its own folder's signatures): each file must parse,
 * carry a valid signature, match the hash in its name and belong to our netId. A file that fails is removed and
 * reported — a corrupt file is never fatal.
 */
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { parseRouterInfo, verifyRouterInfo, routerInfoNetId, type RouterInfo } from '../data/router-info.js';
import { toBase64 } from '../data/base64.js';
import { ParseError } from '../data/errors.js';
import { writeFileAtomic } from '../router/fs.js';

export const NETDB_DIR = 'netDb';
const FILE_RE = /^routerInfo-([A-Za-z0-9~-]{43}=)\.dat$/;
/** Never read more than this many files at start (a bound against a poisoned folder). */
export const MAX_LOADED_ROUTER_INFOS = 20_000;
const MAX_FILE_SIZE = 4096;

export function routerInfoPath(datadir: string, hashB64: string): string {
  return join(datadir, NETDB_DIR, `r${hashB64[0]}`, `routerInfo-${hashB64}.dat`);
}

export interface LoadResult {
  routerInfos: RouterInfo[];
  /** Files removed, with the reason. */
  removed: { file: string; reason: string }[];
}

export async function loadNetDbFolder(datadir: string, opts: { netId: number }): Promise<LoadResult> {
  const root = join(datadir, NETDB_DIR);
  const out: LoadResult = { routerInfos: [], removed: [] };
  let subdirs: string[];
  try {
    subdirs = (await readdir(root, { withFileTypes: true })).filter((d) => d.isDirectory() && /^r.$/.test(d.name)).map((d) => d.name);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return out;
    throw e;
  }
  for (const sub of subdirs) {
    const files = await readdir(join(root, sub));
    for (const name of files) {
      if (out.routerInfos.length >= MAX_LOADED_ROUTER_INFOS) return out;
      const m = FILE_RE.exec(name);
      if (!m) continue;
      const file = join(root, sub, name);
      const reason = await checkFile(file, m[1]!, sub, opts.netId, out);
      if (reason) {
        out.removed.push({ file, reason });
        await rm(file, { force: true });
      }
    }
  }
  return out;
}

async function checkFile(file: string, hash: string, sub: string, netId: number, out: LoadResult): Promise<string | undefined> {
  if (sub !== `r${hash[0]}`) return 'in the wrong folder';
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(file));
  } catch (e) {
    return `unreadable: ${(e as Error).message}`;
  }
  if (bytes.length > MAX_FILE_SIZE) return 'too large';
  let ri: RouterInfo;
  try {
    ri = parseRouterInfo(bytes);
  } catch (e) {
    if (e instanceof ParseError) return `does not parse: ${e.message}`;
    throw e;
  }
  if (toBase64(ri.identity.hash) !== hash) return 'hash does not match the file name';
  if (!verifyRouterInfo(ri)) return 'bad signature';
  if (routerInfoNetId(ri) !== netId) return `netId ${routerInfoNetId(ri) ?? 'missing'}, not ${netId}`;
  out.routerInfos.push(ri);
  return undefined;
}

export async function saveRouterInfo(datadir: string, ri: RouterInfo): Promise<void> {
  const h = toBase64(ri.identity.hash);
  await mkdir(join(datadir, NETDB_DIR, `r${h[0]}`), { recursive: true });
  await writeFileAtomic(routerInfoPath(datadir, h), ri.raw);
}

export async function removeRouterInfo(datadir: string, hashB64: string): Promise<void> {
  await rm(routerInfoPath(datadir, hashB64), { force: true });
}
