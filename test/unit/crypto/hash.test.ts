/**
 * SHA-256 (FIPS 180-2 / NIST CSRC examples), HMAC-SHA256 (RFC 4231 §4.2–4.8), HKDF-SHA256 (RFC 5869
 * Appendix A.1–A.3), plus differential tests against @noble/hashes on random inputs.
 */
import test from 'ava';
import fc from 'fast-check';
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import { hmac as nobleHmac } from '@noble/hashes/hmac.js';
import { hkdf as nobleHkdf } from '@noble/hashes/hkdf.js';
import { sha256, hmacSha256, hkdf } from '../../../crypto/hash.js';
import { fromHex, toHex } from '../../../data/bytes.js';

const hex = (s: string) => fromHex(s.replace(/\s+/g, ''));
const utf8 = (s: string) => new TextEncoder().encode(s);
const fill = (n: number, v: number) => new Uint8Array(n).fill(v);
const range = (from: number, to: number) => Uint8Array.from({ length: to - from + 1 }, (_, i) => from + i);

// FIPS 180-2 Appendix B.1 ("abc"), B.2 (448-bit message), B.3 (one million 'a'); empty string from NIST examples.
test('SHA-256: FIPS 180-2 vectors', (t) => {
  t.is(toHex(sha256(utf8('abc'))), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  t.is(toHex(sha256()), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  t.is(toHex(sha256(new Uint8Array(0))), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  t.is(
    toHex(sha256(utf8('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq'))),
    '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
  );
  t.is(toHex(sha256(fill(1_000_000, 0x61))), 'cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0');
});

test('SHA-256: parts are concatenated', (t) => {
  t.is(toHex(sha256(utf8('ab'), new Uint8Array(0), utf8('c'))), toHex(sha256(utf8('abc'))));
});

// RFC 4231 §4.2–§4.8 (HMAC-SHA-256 rows).
const RFC4231: { name: string; key: Uint8Array; data: Uint8Array; mac: string }[] = [
  { name: '§4.2 test case 1', key: fill(20, 0x0b), data: utf8('Hi There'), mac: 'b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7' },
  { name: '§4.3 test case 2', key: utf8('Jefe'), data: utf8('what do ya want for nothing?'), mac: '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843' },
  { name: '§4.4 test case 3', key: fill(20, 0xaa), data: fill(50, 0xdd), mac: '773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe' },
  { name: '§4.5 test case 4', key: range(0x01, 0x19), data: fill(50, 0xcd), mac: '82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b' },
  { name: '§4.6 test case 5 (truncated to 128 bits)', key: fill(20, 0x0c), data: utf8('Test With Truncation'), mac: 'a3b6167473100ee06e0c796c2955552b' },
  { name: '§4.7 test case 6', key: fill(131, 0xaa), data: utf8('Test Using Larger Than Block-Size Key - Hash Key First'), mac: '60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54' },
  {
    name: '§4.8 test case 7',
    key: fill(131, 0xaa),
    data: utf8('This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm.'),
    mac: '9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2',
  },
];

for (const v of RFC4231) {
  test(`HMAC-SHA256: RFC 4231 ${v.name}`, (t) => {
    t.is(toHex(hmacSha256(v.key, v.data)).slice(0, v.mac.length), v.mac);
  });
}

test('HMAC-SHA256: parts are concatenated', (t) => {
  const k = utf8('Jefe');
  t.is(toHex(hmacSha256(k, utf8('what do ya '), utf8('want for nothing?'))), RFC4231[1]!.mac);
});

// RFC 5869 Appendix A.1–A.3 (SHA-256 cases). PRK is checked through the extract step, HMAC(salt, IKM).
const RFC5869 = [
  {
    name: 'A.1 test case 1',
    ikm: fill(22, 0x0b),
    salt: range(0x00, 0x0c),
    info: range(0xf0, 0xf9),
    len: 42,
    prk: '077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5',
    okm: '3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865',
  },
  {
    name: 'A.2 test case 2 (long inputs)',
    ikm: range(0x00, 0x4f),
    salt: range(0x60, 0xaf),
    info: range(0xb0, 0xff),
    len: 82,
    prk: '06a6b88c5853361a06104c9ceb35b45cef760014904671014a193f40c15fc244',
    okm:
      'b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c59045a99cac7827271cb41c65e590e09' +
      'da3275600c2f09b8367793a9aca3db71cc30c58179ec3e87c14c01d5c1f3434f1d87',
  },
  {
    name: 'A.3 test case 3 (empty salt and info)',
    ikm: fill(22, 0x0b),
    salt: new Uint8Array(0),
    info: new Uint8Array(0),
    len: 42,
    prk: '19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293ccb04',
    okm: '8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8',
  },
];

for (const v of RFC5869) {
  test(`HKDF-SHA256: RFC 5869 ${v.name}`, (t) => {
    t.is(toHex(hmacSha256(v.salt, v.ikm)), v.prk);
    t.is(toHex(hkdf(v.salt, v.ikm, v.info, v.len)), v.okm);
  });
}

test('HKDF: string info equals its UTF-8 bytes; length 0 and bounds', (t) => {
  const ck = hex('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f');
  t.deepEqual(hkdf(ck, utf8('ikm'), 'SessCreateHeader', 64), hkdf(ck, utf8('ikm'), utf8('SessCreateHeader'), 64));
  t.is(hkdf(ck, utf8('ikm'), '', 0).length, 0);
  t.is(hkdf(ck, utf8('ikm'), '', 255 * 32).length, 255 * 32);
  t.throws(() => hkdf(ck, utf8('ikm'), '', 255 * 32 + 1), { instanceOf: RangeError });
  t.throws(() => hkdf(ck, utf8('ikm'), '', -1), { instanceOf: RangeError });
});

const bytes = (max = 300) => fc.uint8Array({ minLength: 0, maxLength: max });

test('differential vs @noble/hashes: sha256, hmac, hkdf', (t) => {
  fc.assert(
    fc.property(fc.array(bytes(), { maxLength: 4 }), (parts) => {
      const whole = Uint8Array.from(parts.flatMap((p) => [...p]));
      return toHex(sha256(...parts)) === toHex(nobleSha256(whole));
    }),
    { numRuns: 300 },
  );
  fc.assert(
    fc.property(bytes(200), bytes(), (key, data) => toHex(hmacSha256(key, data)) === toHex(nobleHmac(nobleSha256, key, data))),
    { numRuns: 300 },
  );
  fc.assert(
    fc.property(bytes(64), bytes(64), bytes(64), fc.integer({ min: 0, max: 400 }), (salt, ikm, info, len) =>
      toHex(hkdf(salt, ikm, info, len)) === toHex(nobleHkdf(nobleSha256, ikm, salt, info, len)),
    ),
    { numRuns: 300 },
  );
  t.pass();
});
