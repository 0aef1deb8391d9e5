import test from 'ava';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ed25519Key } from '../../../crypto/ed25519.js';
import { X25519Key } from '../../../crypto/x25519.js';
import { sha256 } from '../../../crypto/hash.js';
import { equalBytes, toHex } from '../../../data/bytes.js';
import { ParseError } from '../../../data/errors.js';
import { fromBase64 } from '../../../data/base64.js';
import { createRouterIdentity } from '../../../data/identity.js';
import { mappingGet } from '../../../data/primitives.js';
import {
  addressOption,
  buildRouterInfo,
  isFloodfill,
  parseRouterInfo,
  routerInfoCaps,
  routerInfoHash,
  routerInfoNetId,
  routerInfoVersion,
  serializeRouterInfo,
  verifyRouterInfo,
} from '../../../data/router-info.js';

const VECTORS = fileURLToPath(new URL('../../../../shared/vectors/i2pd-2.45.1/', import.meta.url));
const files = readdirSync(VECTORS).filter((f) => f.endsWith('.info')).sort();

test('the three i2pd 2.45.1 vector files are present', (t) => {
  t.deepEqual(files, ['router1-floodfill.info', 'router2-floodfill.info', 'router3.info']);
});

for (const f of files) {
  const bytes = new Uint8Array(readFileSync(VECTORS + f));

  test(`${f}: parses, verifies, re-serializes byte-identically`, (t) => {
    const ri = parseRouterInfo(bytes);
    t.true(verifyRouterInfo(ri));
    t.true(equalBytes(serializeRouterInfo(ri), bytes));
    t.true(equalBytes(ri.raw, bytes));
    // X25519 + Ed25519 identity, KEY certificate: 05 0004 0007 0004
    t.is(ri.identity.sigType, 7);
    t.is(ri.identity.cryptoType, 4);
    t.is(ri.identity.bytes.length, 391);
    t.deepEqual([...ri.identity.bytes.subarray(384)], [5, 0, 4, 0, 7, 0, 4]);
    t.true(equalBytes(ri.identity.cryptoPublicKey!, bytes.subarray(0, 32)));
    t.true(equalBytes(ri.identity.signingPublicKey, bytes.subarray(352, 384)));
    t.true(equalBytes(routerInfoHash(ri), sha256(bytes.subarray(0, 391))));
    // i2pd pads with one 32-byte block repeated 10 times
    const block = bytes.subarray(32, 64);
    for (let o = 32; o < 352; o += 32) t.true(equalBytes(bytes.subarray(o, o + 32), block));
    t.is(routerInfoNetId(ri), 77);
    t.is(routerInfoVersion(ri), '0.9.57');
    t.is(isFloodfill(ri), f.includes('floodfill'));
    t.true(routerInfoCaps(ri).length > 0);
    t.deepEqual(ri.addresses.map((a) => a.transportStyle), ['NTCP2', 'SSU2']);
    const ntcp2 = ri.addresses[0]!;
    t.is(ntcp2.expiration, 0n);
    t.is(addressOption(ntcp2, 'port'), '12345');
    t.is(fromBase64(addressOption(ntcp2, 's')!).length, 32);
    t.is(fromBase64(addressOption(ntcp2, 'i')!).length, 16);
    t.is(ri.peers.length, 0);
    t.is(ri.signature.length, 64);
    // published is a plausible ms timestamp (2023..2100)
    t.true(ri.published > Date.UTC(2023, 0, 1) && ri.published < Date.UTC(2100, 0, 1));
  });

  test(`${f}: any tampered byte fails verification or parsing`, (t) => {
    // flip one bit at a spread of positions: identity, published, options, signature
    for (const pos of [0, 100, 360, 391, 400, 450, bytes.length - 100, bytes.length - 65, bytes.length - 1]) {
      const bad = Uint8Array.prototype.slice.call(bytes);
      bad[pos]! ^= 0x01;
      let ok = false;
      try {
        ok = verifyRouterInfo(parseRouterInfo(bad));
      } catch (e) {
        t.true(e instanceof ParseError, `pos ${pos}: ${String(e)}`);
      }
      t.false(ok, `tampered byte ${pos} still verifies`);
    }
  });
}

test('trailing bytes and truncation are ParseError with a path', (t) => {
  const bytes = new Uint8Array(readFileSync(VECTORS + files[0]));
  const e1 = t.throws(() => parseRouterInfo(new Uint8Array([...bytes, 0])), { instanceOf: ParseError });
  t.is(e1.code, 'TRAILING_BYTES');
  const e2 = t.throws(() => parseRouterInfo(bytes.subarray(0, 420)), { instanceOf: ParseError });
  t.is(e2.code, 'TRUNCATED');
  t.regex(e2.path, /^RouterInfo\/addresses\[0\]/);
  const big = new Uint8Array(3073);
  t.is(t.throws(() => parseRouterInfo(big), { instanceOf: ParseError }).code, 'TOO_LARGE');
});

test('a bad mapping separator reports the address path', (t) => {
  const bytes = Uint8Array.prototype.slice.call(new Uint8Array(readFileSync(VECTORS + files[0])));
  // first address options start at 391+8+1 +1+8 +6 = 415 (size u16), first entry "host" at 417: len 4 + 'host' + '='
  t.is(String.fromCharCode(bytes[422]!), '=');
  bytes[422] = 0x3a;
  const e = t.throws(() => parseRouterInfo(bytes), { instanceOf: ParseError });
  t.is(e.code, 'BAD_MAPPING');
  t.is(e.path, 'RouterInfo/addresses[0]/options/[0]');
  t.is(e.offset, 422);
});

test('buildRouterInfo: sorted keys, verifies, parses back identically', (t) => {
  const sk = new Ed25519Key(sha256(new TextEncoder().encode('sk')));
  const ck = new X25519Key(sha256(new TextEncoder().encode('ck')));
  const identity = createRouterIdentity({ cryptoPublicKey: ck.publicKey, signingPublicKey: sk.publicKey });
  const ri = buildRouterInfo(
    {
      identity,
      published: 1_700_000_000_123,
      addresses: [{ cost: 3, transportStyle: 'NTCP2', options: { v: '2', port: '12345', host: '127.0.0.1', s: 'x', i: 'y' } }],
      options: { 'router.version': '0.9.57', netId: '77', caps: 'LR' },
    },
    sk,
  );
  t.true(verifyRouterInfo(ri));
  t.deepEqual(ri.options.map(([k]) => k), ['caps', 'netId', 'router.version']);
  t.deepEqual(ri.addresses[0]!.options.map(([k]) => k), ['host', 'i', 'port', 's', 'v']);
  const back = parseRouterInfo(ri.raw);
  t.true(verifyRouterInfo(back));
  t.true(equalBytes(serializeRouterInfo(back), ri.raw));
  t.is(toHex(routerInfoHash(back)), toHex(identity.hash));
  t.is(mappingGet(back.options, 'netId'), '77');
  t.is(back.published, 1_700_000_000_123);
  // wrong signer -> does not verify
  const other = new Ed25519Key(sha256(new TextEncoder().encode('other')));
  const forged = buildRouterInfo({ identity, published: 1, addresses: [], options: {} }, other);
  t.false(verifyRouterInfo(forged));
  t.throws(() => buildRouterInfo({ identity, published: 1, addresses: [], options: {} }, { sign: () => new Uint8Array(40) }), {
    instanceOf: RangeError,
  });
});

test('a non-zero address expiration and peer hashes are kept and re-serialized (i2pd tolerates them)', (t) => {
  const sk = new Ed25519Key(sha256(new TextEncoder().encode('e')));
  const identity = createRouterIdentity({ cryptoPublicKey: new X25519Key(sha256(sk.seed)).publicKey, signingPublicKey: sk.publicKey });
  const built = buildRouterInfo({ identity, published: 5, addresses: [{ cost: 8, transportStyle: 'SSU2', options: {} }], options: {} }, sk);
  const modified = { ...built, addresses: [{ ...built.addresses[0]!, expiration: 0x0102030405060708n }], peers: [sha256(Uint8Array.of(1))] };
  const bytes = serializeRouterInfo(modified);
  const back = parseRouterInfo(bytes);
  t.is(back.addresses[0]!.expiration, 0x0102030405060708n);
  t.is(back.peers.length, 1);
  t.true(equalBytes(serializeRouterInfo(back), bytes));
  t.false(verifyRouterInfo(back)); // the signature was over the original fields
});

test('builders reject out-of-range fields instead of wrapping', (t) => {
  const sk = new Ed25519Key(sha256(new TextEncoder().encode('r')));
  const identity = createRouterIdentity({ cryptoPublicKey: new X25519Key(sha256(sk.seed)).publicKey, signingPublicKey: sk.publicKey });
  t.throws(() => buildRouterInfo({ identity, published: 1, addresses: [{ cost: 256, transportStyle: 'NTCP2', options: {} }], options: {} }, sk), {
    instanceOf: RangeError,
  });
  t.throws(() => buildRouterInfo({ identity, published: -1, addresses: [], options: {} }, sk), { instanceOf: RangeError });
  t.throws(() => buildRouterInfo({ identity, published: 1, addresses: [], options: { k: 'v'.repeat(256) } }, sk), { instanceOf: RangeError });
});
