/**
 * AES-256 without padding: FIPS-197 Appendix C.3, NIST SP 800-38A F.1.5/F.1.6 (ECB-AES256) and F.2.5/F.2.6
 * (CBC-AES256), plus a differential test against @noble/ciphers.
 */
import test from 'ava';
import fc from 'fast-check';
import { cbc, ecb } from '@noble/ciphers/aes.js';
import { aesCbcDecrypt, aesCbcEncrypt, aesEcbDecrypt, aesEcbEncrypt } from '../../../crypto/aes.js';
import { fromHex, toHex } from '../../../data/bytes.js';

const hex = (s: string) => fromHex(s.replace(/\s+/g, ''));

test('FIPS-197 Appendix C.3 (AES-256): one block', (t) => {
  const key = hex('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f');
  const pt = hex('00112233445566778899aabbccddeeff');
  t.is(toHex(aesEcbEncrypt(key, pt)), '8ea2b7ca516745bfeafc49904b496089');
  t.is(toHex(aesEcbDecrypt(key, hex('8ea2b7ca516745bfeafc49904b496089'))), toHex(pt));
});

// NIST SP 800-38A Appendix F: the four-block plaintext and the AES-256 key shared by F.1.5 and F.2.5.
const KEY = hex('603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4');
const PT = hex(`6bc1bee22e409f96e93d7e117393172a ae2d8a571e03ac9c9eb76fac45af8e51
                30c81c46a35ce411e5fbc1191a0a52ef f69f2445df4f9b17ad2b417be66c3710`);

test('SP 800-38A F.1.5/F.1.6 ECB-AES256 encrypt/decrypt', (t) => {
  const ct = hex(`f3eed1bdb5d2a03c064b5a7e3db181f8 591ccb10d410ed26dc5ba74a31362870
                  b6ed21b99ca6f4f9f153e7b1beafed1d 23304b7a39f9f3ff067d8d8f9e24ecc7`);
  t.is(toHex(aesEcbEncrypt(KEY, PT)), toHex(ct));
  t.is(toHex(aesEcbDecrypt(KEY, ct)), toHex(PT));
});

test('SP 800-38A F.2.5/F.2.6 CBC-AES256 encrypt/decrypt', (t) => {
  const iv = hex('000102030405060708090a0b0c0d0e0f');
  const ct = hex(`f58c4c04d6e5f1ba779eabfb5f7bfbd6 9cfc4e967edb808d679f777bc6702c7d
                  39f23369a9d9bacfa530e26304231461 b2eb05e2c39be9fcda6c19078c6a9d1b`);
  t.is(toHex(aesCbcEncrypt(KEY, iv, PT)), toHex(ct));
  t.is(toHex(aesCbcDecrypt(KEY, iv, ct)), toHex(PT));
  t.is(aesCbcEncrypt(KEY, iv, new Uint8Array(0)).length, 0);
});

test('bad key, IV or data length is a RangeError', (t) => {
  const iv = new Uint8Array(16);
  t.throws(() => aesCbcEncrypt(KEY.subarray(0, 16), iv, PT), { instanceOf: RangeError });
  t.throws(() => aesCbcEncrypt(KEY, iv.subarray(0, 15), PT), { instanceOf: RangeError });
  t.throws(() => aesCbcDecrypt(KEY, iv, PT.subarray(0, 17)), { instanceOf: RangeError });
  t.throws(() => aesEcbEncrypt(KEY, PT.subarray(0, 15)), { instanceOf: RangeError });
  t.throws(() => aesEcbDecrypt(KEY, PT.subarray(0, 1)), { instanceOf: RangeError });
});

const key = fc.uint8Array({ minLength: 32, maxLength: 32 });
const iv = fc.uint8Array({ minLength: 16, maxLength: 16 });
const blocks = fc.integer({ min: 0, max: 70 }).chain((n) => fc.uint8Array({ minLength: 16 * n, maxLength: 16 * n }));

test('differential vs @noble/ciphers: CBC and ECB, both directions', (t) => {
  fc.assert(
    fc.property(key, iv, blocks, (k, v, data) => {
      const nobleCbc = cbc(k, v, { disablePadding: true });
      const nobleEcb = ecb(k, { disablePadding: true });
      return (
        toHex(aesCbcEncrypt(k, v, data)) === toHex(nobleCbc.encrypt(data)) &&
        toHex(aesCbcDecrypt(k, v, data)) === toHex(cbc(k, v, { disablePadding: true }).decrypt(data)) &&
        toHex(aesEcbEncrypt(k, data)) === toHex(nobleEcb.encrypt(data)) &&
        toHex(aesEcbDecrypt(k, data)) === toHex(ecb(k, { disablePadding: true }).decrypt(data))
      );
    }),
    { numRuns: 200 },
  );
  t.pass();
});
