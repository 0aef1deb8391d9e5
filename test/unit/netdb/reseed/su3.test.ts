import test from 'ava';
import fc from 'fast-check';
import { constants, createHash, createPublicKey, privateEncrypt, publicDecrypt, randomBytes } from 'node:crypto';
import { ParseError } from '../../../../data/errors.js';
import { SigType } from '../../../../data/key-types.js';
import {
  MAX_SU3_SIZE,
  SU3_HEADER_SIZE,
  SU3_OFFSETS,
  buildSu3,
  checkReseedSu3,
  parseSu3,
  su3Signer,
  verifySu3,
  verifySu3Signature,
  type Su3TrustedKey,
} from '../../../../netdb/reseed/su3.js';
import { parseReseedCertificate } from '../../../../netdb/reseed/certificates.js';
import { SIGNER, makeSigner, makeSu3, type TestSigner } from './helpers.js';

const content = new TextEncoder().encode('PK-not-really-a-zip-but-content-is-opaque-to-su3');

function trust(...signers: TestSigner[]): (id: string) => readonly Su3TrustedKey[] {
  const keys = signers.map((s) => parseReseedCertificate(s.certPem, `mem:${s.signerId}`));
  return (id) => keys.filter((k) => k.signerId === id);
}

function parseErr(t: import('ava').ExecutionContext, fn: () => unknown, code?: string): ParseError {
  const e = t.throws(fn, { instanceOf: ParseError }) as ParseError;
  if (code) t.is(e.code, code, e.message);
  return e;
}

test('header layout: fields land at the spec offsets and parse back', (t) => {
  const s = makeSigner('rsa4096');
  const bytes = makeSu3(content, s, { version: '1700000000' });
  t.deepEqual([...bytes.subarray(0, 8)], [0x49, 0x32, 0x50, 0x73, 0x75, 0x33, 0, 0]);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  t.is(dv.getUint16(8), 6); // RSA_SHA512_4096
  t.is(dv.getUint16(10), 512);
  t.is(bytes[13], 16); // version padded to 16
  t.is(bytes[15], SIGNER.length);
  t.is(dv.getBigUint64(16), BigInt(content.length));
  t.is(bytes[25], 0);
  t.is(bytes[27], 3);
  t.deepEqual([...bytes.subarray(28, 40)], new Array(12).fill(0));
  t.is(new TextDecoder().decode(bytes.subarray(40, 50)), '1700000000');
  t.deepEqual([...bytes.subarray(50, 56)], [0, 0, 0, 0, 0, 0]);
  t.is(new TextDecoder().decode(bytes.subarray(56, 56 + SIGNER.length)), SIGNER);
  t.is(bytes.length, SU3_HEADER_SIZE + 16 + SIGNER.length + content.length + 512);

  const f = parseSu3(bytes);
  t.is(f.sigType, SigType.RSA_SHA512_4096);
  t.is(f.signatureLength, 512);
  t.is(f.version, '1700000000');
  t.is(f.signerId, SIGNER);
  t.deepEqual([...f.content], [...content]);
  t.is(f.signedBytes.length, bytes.length - 512);
  t.is(f.trailingBytes, 0);
  t.notThrows(() => checkReseedSu3(f));
});

test('RSA-4096 (type 6) su3 verifies against the signer certificate; the signature is NONEwithRSA', (t) => {
  const s = makeSigner('rsa4096');
  const f = parseSu3(makeSu3(content, s));
  const v = verifySu3(f, trust(s));
  t.true(v.ok);
  // The signature decrypts (raw RSA with PKCS#1 type-1 padding) to the bare SHA-512 of the signed bytes.
  const pub = createPublicKey(s.certPem);
  const recovered = publicDecrypt({ key: pub, padding: constants.RSA_PKCS1_PADDING }, f.signature);
  t.deepEqual([...recovered], [...createHash('sha512').update(f.signedBytes).digest()]);
});

test('any flipped bit in the signed part or the signature fails verification', (t) => {
  const s = makeSigner('rsa4096');
  const good = makeSu3(content, s);
  const keys = trust(s);
  for (const at of [0 + 30, 45, SU3_HEADER_SIZE + 16 + SIGNER.length + 3, good.length - 1, good.length - 300]) {
    const bad = good.slice();
    bad[at]! ^= 0x01;
    let r: ReturnType<typeof verifySu3> | undefined;
    try {
      r = verifySu3(parseSu3(bad), keys);
    } catch (e) {
      t.true(e instanceof ParseError);
      continue;
    }
    t.false(r.ok, `flip at ${at}`);
  }
});

test('unknown signer: NO_CERTIFICATE; signer known under another name does not help', (t) => {
  const s = makeSigner('rsa4096');
  const f = parseSu3(makeSu3(content, s, { signerId: 'stranger@mail.i2p' }));
  const v = verifySu3(f, trust(s));
  t.false(v.ok);
  if (!v.ok) t.is(v.code, 'NO_CERTIFICATE');
});

test('a different key under the same signer ID: BAD_SIGNATURE', (t) => {
  const real = makeSigner('rsa4096');
  const impostor = makeSigner('rsa4096', 'impostor@x');
  const f = parseSu3(makeSu3(content, impostor, { signerId: SIGNER }));
  const v = verifySu3(f, trust(real));
  t.false(v.ok);
  if (!v.ok) t.is(v.code, 'BAD_SIGNATURE');
});

test('RSA signature without PKCS#1 type-1 padding is refused (only a right-aligned digest)', (t) => {
  // i2pd would accept this (it compares the last 64 bytes only); we check the whole block.
  const s = makeSigner('rsa4096');
  const f = parseSu3(makeSu3(content, s));
  const digest = createHash('sha512').update(f.signedBytes).digest();
  const block = Buffer.alloc(512);
  block[0] = 0x00;
  block[1] = 0x02; // wrong block type
  randomBytes(512 - 64 - 3).copy(block, 2);
  for (let i = 2; i < 512 - 64 - 1; i++) if (block[i] === 0) block[i] = 1;
  digest.copy(block, 512 - 64);
  // s = block^d mod n via the raw private operation.
  const sig = privateEncrypt({ key: s.privateKey, padding: constants.RSA_NO_PADDING }, block);
  t.false(verifySu3Signature(6, createPublicKey(s.certPem), f.signedBytes, new Uint8Array(sig)));
  // Control: the same raw operation on a correctly padded block verifies.
  const good = Buffer.alloc(512, 0xff);
  good[0] = 0;
  good[1] = 1;
  good[512 - 65] = 0;
  digest.copy(good, 512 - 64);
  const sig2 = privateEncrypt({ key: s.privateKey, padding: constants.RSA_NO_PADDING }, good);
  t.true(verifySu3Signature(6, createPublicKey(s.certPem), f.signedBytes, new Uint8Array(sig2)));
});

test('other signature types: RSA 4/5, ECDSA 1/2/3, EdDSA 7, Ed25519ph 8 sign and verify; tampering fails', (t) => {
  const cases: [number, Parameters<typeof makeSigner>[0]][] = [
    [SigType.RSA_SHA256_2048, 'rsa2048'],
    [SigType.RSA_SHA384_3072, 'rsa3072'],
    [SigType.ECDSA_SHA256_P256, 'p256'],
    [SigType.ECDSA_SHA384_P384, 'p384'],
    [SigType.ECDSA_SHA512_P521, 'p521'],
    [SigType.EdDSA_SHA512_Ed25519, 'ed25519'],
    [SigType.EdDSA_SHA512_Ed25519ph, 'ed25519'],
  ];
  for (const [sigType, kind] of cases) {
    const s = makeSigner(kind, `${kind}@test`);
    const bytes = makeSu3(content, s, { sigType });
    const f = parseSu3(bytes);
    t.is(f.sigType, sigType);
    t.true(verifySu3(f, trust(s)).ok, `type ${sigType}`);
    const bad = bytes.slice();
    bad[SU3_HEADER_SIZE + 20]! ^= 0x80;
    const v = verifySu3(parseSu3(bad), trust(s));
    t.false(v.ok, `tampered type ${sigType}`);
  }
  // Ed25519 and Ed25519ph signatures are not interchangeable.
  const e = makeSigner('ed25519', 'ed25519@test');
  const ph = parseSu3(makeSu3(content, e, { sigType: SigType.EdDSA_SHA512_Ed25519ph }));
  t.false(verifySu3Signature(SigType.EdDSA_SHA512_Ed25519, createPublicKey(e.certPem), ph.signedBytes, ph.signature));
});

test('key kind must match the signature type: KEY_MISMATCH', (t) => {
  const ec = makeSigner('p256', SIGNER + '.ec');
  const rsa = makeSigner('rsa2048', SIGNER + '.ec');
  // Signed with the EC key as type 1, but only an RSA certificate is trusted for the signer.
  const f = parseSu3(makeSu3(content, ec, { sigType: SigType.ECDSA_SHA256_P256 }));
  const v = verifySu3(f, trust(rsa));
  t.false(v.ok);
  if (!v.ok) t.is(v.code, 'KEY_MISMATCH');
  // An RSA-2048 certificate cannot verify type 6 (needs 4096 bits).
  const f6 = parseSu3(makeSu3(content, makeSigner('rsa4096'), { signerId: SIGNER + '.ec' }));
  const v6 = verifySu3(f6, trust(rsa));
  t.false(v6.ok);
  if (!v6.ok) t.is(v6.code, 'KEY_MISMATCH');
});

test('unsupported signature type and wrong signature length are reported, not thrown', (t) => {
  const s = makeSigner('rsa4096');
  const good = makeSu3(content, s);
  const gost = good.slice();
  gost[SU3_OFFSETS.sigType + 1] = 9;
  const v = verifySu3(parseSu3(gost), trust(s));
  t.false(v.ok);
  if (!v.ok) t.is(v.code, 'UNSUPPORTED_SIG_TYPE');

  // Claim type 7 (64-byte signatures) while carrying 512 bytes: parses (structure is fine), fails verification.
  const mislabeled = good.slice();
  mislabeled[SU3_OFFSETS.sigType + 1] = 7;
  const v2 = verifySu3(parseSu3(mislabeled), trust(s));
  t.false(v2.ok);
  if (!v2.ok) t.is(v2.code, 'BAD_SIGNATURE_LENGTH');
});

test('reseed checks: file type must be zip, content type must be reseed', (t) => {
  const s = makeSigner('rsa4096');
  parseErr(t, () => checkReseedSu3(parseSu3(makeSu3(content, s, { fileType: 1 }))), 'UNEXPECTED_FILE_TYPE');
  parseErr(t, () => checkReseedSu3(parseSu3(makeSu3(content, s, { contentType: 1 }))), 'UNEXPECTED_CONTENT_TYPE');
});

test('bad magic, nonzero byte 6, short header, truncation anywhere: ParseError', (t) => {
  const s = makeSigner('rsa4096');
  const good = makeSu3(content, s);
  const m = good.slice();
  m[0] = 0x4a;
  parseErr(t, () => parseSu3(m), 'BAD_MAGIC');
  const b6 = good.slice();
  b6[6] = 1;
  parseErr(t, () => parseSu3(b6), 'BAD_MAGIC');
  parseErr(t, () => parseSu3(good.subarray(0, 39)), 'TRUNCATED');
  for (const cut of [40, 50, 60, good.length - 513, good.length - 1]) parseErr(t, () => parseSu3(good.subarray(0, cut)), 'TRUNCATED');
  // Trailing bytes are ignored (as i2pd), and reported.
  const longer = new Uint8Array(good.length + 7);
  longer.set(good);
  t.is(parseSu3(longer).trailingBytes, 7);
});

test('absurd lengths are rejected before allocation: u64 content length, oversize input', (t) => {
  const s = makeSigner('rsa4096');
  const good = makeSu3(content, s);
  const huge = good.slice();
  new DataView(huge.buffer).setBigUint64(SU3_OFFSETS.contentLength, 0xffff_ffff_ffff_fff0n);
  parseErr(t, () => parseSu3(huge), 'TRUNCATED');
  const big = new DataView(huge.buffer);
  big.setBigUint64(SU3_OFFSETS.contentLength, BigInt(Number.MAX_SAFE_INTEGER) + 10n);
  parseErr(t, () => parseSu3(huge), 'TRUNCATED');
  parseErr(t, () => parseSu3(new Uint8Array(MAX_SU3_SIZE + 1)), 'TOO_LARGE');
});

test('signer ID is cut at NUL (i2pd C-string lookup)', (t) => {
  const s = makeSigner('rsa4096');
  const f = parseSu3(buildSu3({ sigType: 6, version: '1', signerId: `${SIGNER}\0junk`, fileType: 0, contentType: 3, content }, su3Signer(6, s.privateKey)));
  t.is(f.signerId, SIGNER);
  t.true(verifySu3(f, trust(s)).ok);
});

test('buildSu3 misuse: RangeError', (t) => {
  const sign = () => new Uint8Array(512);
  t.throws(() => buildSu3({ sigType: 99, version: '1', signerId: 'a', fileType: 0, contentType: 3, content }, sign), { instanceOf: RangeError });
  t.throws(() => buildSu3({ sigType: 6, version: 'x'.repeat(256), signerId: 'a', fileType: 0, contentType: 3, content }, sign), { instanceOf: RangeError });
  t.throws(() => buildSu3({ sigType: 6, version: '1', signerId: 'a', fileType: 0, contentType: 3, content }, () => new Uint8Array(10)), { instanceOf: RangeError });
});

test('fuzz: random bytes give ParseError or a parse (never another error)', (t) => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
      try {
        parseSu3(bytes);
      } catch (e) {
        if (!(e instanceof ParseError)) throw e;
      }
    }),
    { numRuns: 2000 },
  );
  t.pass();
});

test('fuzz: random headers behind a valid magic give ParseError or a consistent parse', (t) => {
  const magic = new Uint8Array([0x49, 0x32, 0x50, 0x73, 0x75, 0x33, 0]);
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 33, maxLength: 600 }), (tail) => {
      const bytes = new Uint8Array(magic.length + tail.length);
      bytes.set(magic);
      bytes.set(tail, magic.length);
      try {
        const f = parseSu3(bytes);
        // Whatever parsed must account for the input exactly.
        const dv = new DataView(bytes.buffer);
        const total = 40 + bytes[13]! + bytes[15]! + Number(dv.getBigUint64(16)) + dv.getUint16(10);
        if (total + f.trailingBytes !== bytes.length) throw new Error('inconsistent lengths');
        if (f.signature.length !== f.signatureLength || f.signedBytes.length !== total - f.signatureLength) throw new Error('bad slices');
        verifySu3(f, () => []);
      } catch (e) {
        if (!(e instanceof ParseError)) throw e;
      }
    }),
    { numRuns: 3000 },
  );
  t.pass();
});

test('fuzz: build → parse round trip keeps every field', (t) => {
  const s = makeSigner('ed25519', 'rt@test');
  const sign = su3Signer(SigType.EdDSA_SHA512_Ed25519, s.privateKey);
  const keys = trust(s);
  fc.assert(
    fc.property(
      fc.string({ maxLength: 40 }).filter((v) => !v.includes('\0')),
      fc.uint8Array({ maxLength: 500 }),
      fc.integer({ min: 0, max: 255 }),
      fc.integer({ min: 0, max: 255 }),
      (version, body, fileType, contentType) => {
        const bytes = buildSu3({ sigType: 7, version, signerId: 'rt@test', fileType, contentType, content: body }, sign);
        const f = parseSu3(bytes);
        return (
          f.version === version &&
          f.signerId === 'rt@test' &&
          f.fileType === fileType &&
          f.contentType === contentType &&
          Buffer.from(f.content).equals(Buffer.from(body)) &&
          verifySu3(f, keys).ok
        );
      },
    ),
    { numRuns: 200 },
  );
  t.pass();
});
