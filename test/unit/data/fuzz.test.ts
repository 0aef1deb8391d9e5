/**
 * Parsers of untrusted bytes throw only ParseError: random bytes and byte-mutations of real inputs
 * (the i2pd 2.45.1 RouterInfo files, a built LeaseSet2, a generated key file).
 */
import test from 'ava';
import fc from 'fast-check';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ed25519Key } from '../../../crypto/ed25519.js';
import { sha256 } from '../../../crypto/hash.js';
import { Reader } from '../../../data/bytes.js';
import { ParseError } from '../../../data/errors.js';
import { fromBase32, fromBase64 } from '../../../data/base64.js';
import { createDestination, parseKeysAndCert } from '../../../data/identity.js';
import { buildLeaseSet2, createOfflineSignature, parseLeaseSet2, verifyLeaseSet2 } from '../../../data/lease-set2.js';
import { readMapping } from '../../../data/primitives.js';
import { createOfflineKeys, generateDestinationKeys, parsePrivateKeyFile, serializePrivateKeyFile } from '../../../data/private-key-file.js';
import { parseRouterInfo, verifyRouterInfo } from '../../../data/router-info.js';

const VECTORS = fileURLToPath(new URL('../../../../shared/vectors/i2pd-2.45.1/', import.meta.url));
const riFiles = readdirSync(VECTORS)
  .filter((f) => f.endsWith('.info'))
  .map((f) => new Uint8Array(readFileSync(VECTORS + f)));

// real Destinations (Java I2P hosts.txt sample, see test/vectors/README.md)
const hostDests = readFileSync(fileURLToPath(new URL('../../vectors/hosts-sample.txt', import.meta.url)), 'utf8')
  .trim()
  .split('\n')
  .map((l) => fromBase64(l.slice(l.indexOf('=') + 1)));

const seed = (s: string) => sha256(new TextEncoder().encode(s));
const dk = new Ed25519Key(seed('d'));
const tk = new Ed25519Key(seed('t'));
const destination = createDestination({ signingPublicKey: dk.publicKey });
const ls2 = buildLeaseSet2(
  {
    destination,
    published: 1_700_000_000,
    expires: 600,
    options: { a: 'b' },
    encryptionKeys: [{ type: 4, key: seed('k') }],
    leases: [{ gateway: seed('g'), tunnelId: 7, endDate: 1_700_000_600 }],
  },
  dk,
).raw;
const ls2Offline = buildLeaseSet2(
  {
    destination,
    published: 1_700_000_000,
    expires: 600,
    offlineSignature: createOfflineSignature({ expires: 1_800_000_000, transientSigType: 7, transientPublicKey: tk.publicKey }, dk),
    encryptionKeys: [{ type: 4, key: seed('k') }],
    leases: [],
  },
  tk,
).raw;
const keyFiles = [generateDestinationKeys(), createOfflineKeys(generateDestinationKeys(), { expires: 1_800_000_000 }), generateDestinationKeys({ cryptoType: 0 })].map(
  serializePrivateKeyFile,
);

function onlyParseError(fn: () => unknown): boolean {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof ParseError)) throw e;
    if (typeof e.code !== 'string' || typeof e.offset !== 'number') throw new Error('malformed ParseError');
  }
  return true;
}

/** Mutations of a real input: overwrite bytes, truncate, splice in random bytes. */
function mutated(bases: Uint8Array[]) {
  return fc
    .tuple(
      fc.constantFrom(...bases),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
      fc.option(fc.nat()),
      fc.uint8Array({ maxLength: 8 }),
    )
    .map(([base, edits, cut, insert]) => {
      let b = Uint8Array.prototype.slice.call(base);
      for (const [pos, v] of edits) b[pos % b.length] = v;
      if (cut !== null) {
        const at = cut % (b.length + 1);
        b = Uint8Array.from([...b.subarray(0, at), ...insert, ...b.subarray(at + (insert.length ? 0 : 1))]);
      }
      return b;
    });
}

const RUNS = { numRuns: 2000 };

test('parseRouterInfo: random and mutated i2pd RouterInfos → only ParseError; verify never throws', (t) => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 1200 }), (b) => onlyParseError(() => parseRouterInfo(b))), RUNS);
  fc.assert(
    fc.property(mutated(riFiles), (b) =>
      onlyParseError(() => {
        verifyRouterInfo(parseRouterInfo(b));
      }),
    ),
    RUNS,
  );
  t.pass();
});

test('parseLeaseSet2: random and mutated LeaseSet2s → only ParseError; verify never throws', (t) => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 800 }), (b) => onlyParseError(() => parseLeaseSet2(b))), RUNS);
  fc.assert(
    fc.property(mutated([ls2, ls2Offline, ...riFiles]), (b) =>
      onlyParseError(() => {
        verifyLeaseSet2(parseLeaseSet2(b));
      }),
    ),
    RUNS,
  );
  t.pass();
});

test('parsePrivateKeyFile: random and mutated key files → only ParseError', (t) => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 800 }), (b) => onlyParseError(() => parsePrivateKeyFile(b, { checkCryptoKey: true }))), RUNS);
  fc.assert(fc.property(mutated(keyFiles), (b) => onlyParseError(() => parsePrivateKeyFile(b))), RUNS);
  fc.assert(fc.property(mutated(keyFiles), (b) => onlyParseError(() => parsePrivateKeyFile(b, { checkCryptoKey: true }))), RUNS);
  t.pass();
});

test('readMapping / parseKeysAndCert / base64 / base32: only ParseError', (t) => {
  // mappings from the RouterInfo files: the router options start after the last address
  fc.assert(fc.property(mutated(riFiles.map((b) => b.subarray(0x2c0))), (b) => onlyParseError(() => readMapping(new Reader(b)))), RUNS);
  fc.assert(fc.property(mutated([...hostDests, ...riFiles.map((b) => b.subarray(0, 391))]), (b) => onlyParseError(() => parseKeysAndCert(b))), RUNS);
  fc.assert(fc.property(fc.string({ maxLength: 60 }), (s) => onlyParseError(() => fromBase64(s))), RUNS);
  fc.assert(fc.property(fc.string({ maxLength: 60 }), (s) => onlyParseError(() => fromBase32(s))), RUNS);
  t.pass();
});
