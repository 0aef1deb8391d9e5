import test from 'ava';
import fc from 'fast-check';
import { ParseError } from '../../../data/errors.js';
import { b32Address, fromBase32, fromBase64, toBase32, toBase64 } from '../../../data/base64.js';
import { equalBytes, fromHex } from '../../../data/bytes.js';

test('I2P base64 uses - and ~ instead of + and /', (t) => {
  // 0xfb 0xff 0xbf is '+/+/' in standard base64
  t.is(toBase64(Uint8Array.of(0xfb, 0xff, 0xbf)), '-~-~');
  t.deepEqual([...fromBase64('-~-~')], [0xfb, 0xff, 0xbf]);
  t.is(toBase64(new TextEncoder().encode('f')), 'Zg==');
  t.is(toBase64(new TextEncoder().encode('fo')), 'Zm8=');
  t.is(toBase64(new TextEncoder().encode('foo')), 'Zm9v');
  t.is(toBase64(new Uint8Array(0)), '');
});

test('base64 round trip (fast-check)', (t) => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), (b) => equalBytes(fromBase64(toBase64(b)), b)),
  );
  t.pass();
});

test('strict base64 decoding rejects bad input with ParseError', (t) => {
  for (const bad of ['Zg=', 'Zg', 'Z===', 'Zm+v', 'Zm/v', 'Zm9v\n', 'Z=g=', '=Zg=', 'Zh==', 'Zm9=']) {
    const e = t.throws(() => fromBase64(bad, 'x'), { instanceOf: ParseError }, bad);
    t.is(e.code, 'BAD_BASE64');
    t.is(e.path, 'x');
  }
});

test('base32 matches RFC 4648 vectors (lowercase, unpadded)', (t) => {
  const v: Array<[string, string]> = [
    ['', ''],
    ['f', 'my'],
    ['fo', 'mzxq'],
    ['foo', 'mzxw6'],
    ['foob', 'mzxw6yq'],
    ['fooba', 'mzxw6ytb'],
    ['foobar', 'mzxw6ytboi'],
  ];
  for (const [plain, enc] of v) {
    t.is(toBase32(new TextEncoder().encode(plain)), enc);
    t.is(new TextDecoder().decode(fromBase32(enc)), plain);
  }
});

test('base32 round trip and strict decoding', (t) => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 100 }), (b) => equalBytes(fromBase32(toBase32(b)), b)));
  for (const bad of ['m', 'mzx', 'mzxw6y', 'MY', 'm1', 'mz', 'my=']) {
    t.is(t.throws(() => fromBase32(bad), { instanceOf: ParseError }, bad).code, 'BAD_BASE32');
  }
});

test('b32Address is 52 base32 chars + .b32.i2p', (t) => {
  const hash = fromHex('00'.repeat(31) + '01');
  const a = b32Address(hash);
  t.is(a, 'a'.repeat(51) + 'q.b32.i2p'); // python: base64.b32encode(bytes(31)+b'\x01')
  t.is(a.length, 52 + 8);
  t.true(equalBytes(fromBase32(a.slice(0, 52)), hash));
  t.throws(() => b32Address(new Uint8Array(31)), { instanceOf: RangeError });
});
