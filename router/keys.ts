/**
 * The router's long-term keys in its data directory, in i2pd's file formats so a datadir moves between
 * i2pd and clove:
 * - `router.keys`: PrivateKeyFile (RouterIdentity || X25519 private key || Ed25519 private key),
 *   spec/common-structures.rst "RouterIdentity" + i2pd PrivateKeys. Mode 0600, written atomically.
 * - `ntcp2.keys`: static public key (32) || static private key (32) || IV (16), as i2pd's RouterContext
 *   NTCP2PrivateKeys. The NTCP2 static key is separate from the router's crypto key (spec/ntcp2.rst
 *   "Published Router Info").
 *
 * A file that exists but does not parse, or whose public keys do not match its private keys, stops the start
 * with a clear message: clove never silently replaces an identity.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseRouterKeys, serializePrivateKeyFile, generateRouterKeys, type PrivateKeyFile } from '../data/private-key-file.js';
import { ParseError } from '../data/errors.js';
import { X25519Key } from '../crypto/x25519.js';
import { equalBytes } from '../data/bytes.js';
import { systemRandom, type Random } from '../crypto/random.js';
import { writeFileAtomic } from './fs.js';

export const ROUTER_KEYS_FILE = 'router.keys';
export const NTCP2_KEYS_FILE = 'ntcp2.keys';
const NTCP2_KEYS_SIZE = 80;

export class KeyFileError extends Error {
  readonly file: string;
  constructor(file: string, message: string, options?: { cause?: unknown }) {
    super(`${file}: ${message}`, options);
    this.name = 'KeyFileError';
    this.file = file;
  }
}

async function readIfExists(file: string): Promise<Uint8Array | undefined> {
  try {
    return new Uint8Array(await readFile(file));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new KeyFileError(file, `cannot read: ${(e as Error).message}`, { cause: e });
  }
}

export async function loadOrCreateRouterKeys(
  datadir: string,
  random: Random = systemRandom,
): Promise<{ keys: PrivateKeyFile; created: boolean }> {
  const file = join(datadir, ROUTER_KEYS_FILE);
  const bytes = await readIfExists(file);
  if (bytes) {
    try {
      return { keys: parseRouterKeys(bytes), created: false };
    } catch (e) {
      if (e instanceof ParseError) throw new KeyFileError(file, `not a valid router key file (${e.message}); move it away to create a new identity`, { cause: e });
      throw e;
    }
  }
  const keys = generateRouterKeys(random);
  await writeFileAtomic(file, serializePrivateKeyFile(keys), 0o600);
  return { keys, created: true };
}

export interface Ntcp2Keys {
  readonly staticKey: X25519Key;
  readonly iv: Uint8Array;
}

export async function loadOrCreateNtcp2Keys(datadir: string, random: Random = systemRandom): Promise<{ keys: Ntcp2Keys; created: boolean }> {
  const file = join(datadir, NTCP2_KEYS_FILE);
  const bytes = await readIfExists(file);
  if (bytes) {
    if (bytes.length !== NTCP2_KEYS_SIZE) throw new KeyFileError(file, `expected ${NTCP2_KEYS_SIZE} bytes, found ${bytes.length}`);
    const staticKey = new X25519Key(bytes.subarray(32, 64));
    if (!equalBytes(staticKey.publicKey, bytes.subarray(0, 32))) throw new KeyFileError(file, 'public key does not match the private key');
    return { keys: { staticKey, iv: bytes.slice(64, 80) }, created: false };
  }
  const staticKey = new X25519Key(random.bytes(32));
  const iv = random.bytes(16);
  const out = new Uint8Array(NTCP2_KEYS_SIZE);
  out.set(staticKey.publicKey, 0);
  out.set(staticKey.privateKey, 32);
  out.set(iv, 64);
  await writeFileAtomic(file, out, 0o600);
  return { keys: { staticKey, iv }, created: true };
}
