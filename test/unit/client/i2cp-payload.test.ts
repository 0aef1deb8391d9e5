/**
 * The I2CP payload of a Data message: ports in the gzip mtime bytes, protocol in the OS byte, byte for
 * byte as i2pd 2.45.1 Streaming.cpp CreateDataMessage writes them.
 */
import test from 'ava';
import fc from 'fast-check';
import { gunzipSync } from 'node:zlib';
import { I2CPProtocol, parseI2CPPayload, serializeI2CPPayload } from '../../../client/i2cp-payload.js';
import { ParseError } from '../../../data/errors.js';

test('stored form: i2pd GzipNoCompression header with htobe16 ports at bytes 4-7 and the protocol at byte 9', (t) => {
  const payload = new TextEncoder().encode('hello');
  const gz = serializeI2CPPayload({ protocol: I2CPProtocol.Streaming, fromPort: 0x1234, toPort: 0xabcd, payload });
  t.deepEqual([...gz.subarray(0, 10)], [0x1f, 0x8b, 0x08, 0x00, 0x12, 0x34, 0xab, 0xcd, 0x02, 6]);
  // one final stored block: 01 LEN NLEN (little endian), then the bytes, CRC32, ISIZE
  t.deepEqual([...gz.subarray(10, 15)], [0x01, 5, 0, 0xfa, 0xff]);
  t.deepEqual(gz.subarray(15, 20), payload);
  t.is(gz.length, payload.length + 23);
  // any gunzip reads it (the header fields are only metadata to gzip)
  t.deepEqual(new Uint8Array(gunzipSync(gz)), payload);
  t.deepEqual(parseI2CPPayload(gz), { protocol: 6, fromPort: 0x1234, toPort: 0xabcd, payload });
});

test('deflated form (i2pd: SYN packets) keeps the ports and protocol in the same bytes', (t) => {
  const payload = new Uint8Array(4000).fill(7);
  const gz = serializeI2CPPayload({ protocol: I2CPProtocol.Datagram, fromPort: 1, toPort: 65535, payload }, { compress: true });
  t.true(gz.length < 200);
  t.deepEqual([...gz.subarray(4, 8)], [0, 1, 0xff, 0xff]);
  t.is(gz[9], 17);
  t.deepEqual(parseI2CPPayload(gz), { protocol: 17, fromPort: 1, toPort: 65535, payload });
});

test('a payload over one stored block is deflated', (t) => {
  const payload = new Uint8Array(70_000).fill(1);
  const gz = serializeI2CPPayload({ protocol: I2CPProtocol.Raw, fromPort: 0, toPort: 0, payload });
  t.deepEqual(parseI2CPPayload(gz, 100_000).payload, payload);
});

test('round trip for any ports, protocol and payload', (t) => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 255 }), fc.uint8Array({ maxLength: 3000 }), fc.boolean(), (fromPort, toPort, protocol, payload, compress) => {
      const x = parseI2CPPayload(serializeI2CPPayload({ protocol, fromPort, toPort, payload }, { compress }));
      return x.fromPort === fromPort && x.toPort === toPort && x.protocol === protocol && Buffer.from(x.payload).equals(payload);
    }),
  );
  t.pass();
});

test('bounded: output over the cap is TOO_LARGE; truncation and trailing bytes are ParseErrors', (t) => {
  const gz = serializeI2CPPayload({ protocol: 6, fromPort: 0, toPort: 0, payload: new Uint8Array(5000) }, { compress: true });
  t.is(t.throws(() => parseI2CPPayload(gz, 4999), { instanceOf: ParseError })!.code, 'TOO_LARGE');
  t.is(t.throws(() => parseI2CPPayload(gz.subarray(0, gz.length - 3)), { instanceOf: ParseError })!.code, 'TRUNCATED');
  const trailing = new Uint8Array(gz.length + 1);
  trailing.set(gz);
  t.is(t.throws(() => parseI2CPPayload(trailing), { instanceOf: ParseError })!.code, 'TRAILING_BYTES');
  t.is(t.throws(() => parseI2CPPayload(new Uint8Array(9)), { instanceOf: ParseError })!.code, 'TRUNCATED');
  t.throws(() => serializeI2CPPayload({ protocol: 6, fromPort: 65536, toPort: 0, payload: new Uint8Array(0) }), { instanceOf: RangeError });
});

test('random bytes only ever throw ParseError', (t) => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), (b) => {
      try {
        parseI2CPPayload(b);
      } catch (e) {
        if (!(e instanceof ParseError)) throw e;
      }
    }),
  );
  t.pass();
});
