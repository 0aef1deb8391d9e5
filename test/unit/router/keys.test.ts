import test from 'ava';
import { mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadOrCreateRouterKeys, loadOrCreateNtcp2Keys, KeyFileError, ROUTER_KEYS_FILE, NTCP2_KEYS_FILE } from '../../../router/keys.js';
import { parseRouterKeys } from '../../../data/private-key-file.js';
import { X25519Key } from '../../../crypto/x25519.js';
import { equalBytes } from '../../../data/bytes.js';

const tmp = () => mkdtemp(join(tmpdir(), 'clove-keys-'));

test('router.keys: created once with mode 0600 in i2pd format, then loaded unchanged', async (t) => {
  const dir = await tmp();
  const a = await loadOrCreateRouterKeys(dir);
  t.true(a.created);
  const file = join(dir, ROUTER_KEYS_FILE);
  t.is((await stat(file)).mode & 0o777, 0o600);
  const bytes = new Uint8Array(await readFile(file));
  // RouterIdentity (387 + 4-byte KEY certificate payload) + X25519 private (32) + Ed25519 private (32).
  t.is(bytes.length, 391 + 32 + 32);
  const parsed = parseRouterKeys(bytes);
  t.true(equalBytes(parsed.identity.hash, a.keys.identity.hash));
  // The crypto public key in the identity is the one of the private key in the file.
  t.true(equalBytes(new X25519Key(parsed.cryptoPrivateKey).publicKey, parsed.identity.cryptoPublicKey!));
  const b = await loadOrCreateRouterKeys(dir);
  t.false(b.created);
  t.true(equalBytes(b.keys.identity.hash, a.keys.identity.hash));
});

test('router.keys: a corrupt file stops the start and is left in place', async (t) => {
  const dir = await tmp();
  const file = join(dir, ROUTER_KEYS_FILE);
  await writeFile(file, new Uint8Array(100));
  const e = await t.throwsAsync(loadOrCreateRouterKeys(dir), { instanceOf: KeyFileError });
  t.regex(e!.message, /router\.keys.*not a valid router key file/);
  t.is((await readFile(file)).length, 100);
});

test('router.keys: a file whose private key does not match its identity is refused', async (t) => {
  const dir = await tmp();
  const { keys } = await loadOrCreateRouterKeys(dir);
  const file = join(dir, ROUTER_KEYS_FILE);
  const bytes = new Uint8Array(await readFile(file));
  bytes[391]! ^= 0x55; // first byte of the X25519 private key
  await writeFile(file, bytes);
  await t.throwsAsync(loadOrCreateRouterKeys(dir), { instanceOf: KeyFileError });
  t.truthy(keys);
});

test('ntcp2.keys: i2pd layout (public || private || iv), consistent, reloaded', async (t) => {
  const dir = await tmp();
  const a = await loadOrCreateNtcp2Keys(dir);
  t.true(a.created);
  const bytes = new Uint8Array(await readFile(join(dir, NTCP2_KEYS_FILE)));
  t.is(bytes.length, 80);
  t.true(equalBytes(bytes.subarray(0, 32), a.keys.staticKey.publicKey));
  t.true(equalBytes(new X25519Key(bytes.subarray(32, 64)).publicKey, bytes.subarray(0, 32)));
  t.true(equalBytes(bytes.subarray(64), a.keys.iv));
  const b = await loadOrCreateNtcp2Keys(dir);
  t.false(b.created);
  t.true(equalBytes(b.keys.staticKey.publicKey, a.keys.staticKey.publicKey));
  bytes[0]! ^= 1;
  await writeFile(join(dir, NTCP2_KEYS_FILE), bytes);
  await t.throwsAsync(loadOrCreateNtcp2Keys(dir), { instanceOf: KeyFileError, message: /does not match/ });
});
