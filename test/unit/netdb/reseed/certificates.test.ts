import test from 'ava';
import fc from 'fast-check';
import { ParseError } from '../../../../data/errors.js';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { join } from 'node:path';
import {
  RESEED_CERTS_SUBDIR,
  SYSTEM_I2PD_CERTSDIR,
  loadReseedCertificates,
  parseReseedCertificate,
  reseedCertificateDirs,
  signerIdOf,
} from '../../../../netdb/reseed/certificates.js';
import { certsDirWith, makeIssuedSigner, makeSigner, tempDir } from './helpers.js';

test('signer ID is the issuer CN (i2pd LoadCertificate), not the subject CN nor the file name', (t) => {
  const s = makeIssuedSigner('ca-signer@mail.i2p', 'leaf@mail.i2p');
  const cert = new X509Certificate(s.certPem);
  t.regex(cert.subject, /CN=leaf@mail\.i2p/);
  t.is(signerIdOf(cert), 'ca-signer@mail.i2p');
  t.is(parseReseedCertificate(s.certPem, 'leaf_at_mail.i2p.crt').signerId, 'ca-signer@mail.i2p');
});

test('a certs folder loads *.crt only, keyed by signer; bad files are listed, not fatal', async (t) => {
  const a = makeSigner('rsa4096');
  const b = makeSigner('p256', 'other@mail.i2p');
  const certsdir = certsDirWith({
    'tester_at_mail.i2p.crt': a.certPem,
    'other.crt': b.certPem,
    'notes.txt': 'ignored',
    'broken.crt': '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n',
  });
  const certs = await loadReseedCertificates(reseedCertificateDirs(certsdir, []));
  t.is(certs.dir, join(certsdir, RESEED_CERTS_SUBDIR));
  t.is(certs.size, 2);
  t.deepEqual([...certs.bySigner.keys()].sort(), ['other@mail.i2p', 'tester@mail.i2p']);
  t.is(certs.keysFor('tester@mail.i2p')[0]!.publicKey.asymmetricKeyType, 'rsa');
  t.is(certs.keysFor('other@mail.i2p')[0]!.publicKey.asymmetricKeyType, 'ec');
  t.deepEqual(certs.keysFor('nobody'), []);
  t.deepEqual(certs.errors.map((e) => e.file), [join(certsdir, 'reseed', 'broken.crt')]);
});

test('two certificates for one signer are both kept', async (t) => {
  const a = makeSigner('rsa4096');
  const a2 = makeSigner('rsa2048', 'tester@mail.i2p');
  const certsdir = certsDirWith({ '1.crt': a.certPem, '2.crt': a2.certPem });
  const certs = await loadReseedCertificates(reseedCertificateDirs(certsdir, []));
  t.is(certs.keysFor('tester@mail.i2p').length, 2);
});

test('fallback: a missing or empty certsdir/reseed moves on to the next folder', async (t) => {
  const a = makeSigner('rsa4096');
  const empty = tempDir();
  const emptyReseed = certsDirWith({ 'readme.txt': 'no certificates here' });
  const withCerts = certsDirWith({ 'a.crt': a.certPem });
  const dirs = reseedCertificateDirs(empty, [emptyReseed, withCerts]);
  t.deepEqual(dirs, [join(empty, 'reseed'), join(emptyReseed, 'reseed'), join(withCerts, 'reseed')]);
  const certs = await loadReseedCertificates(dirs);
  t.is(certs.dir, join(withCerts, 'reseed'));
  t.is(certs.size, 1);
  // Nothing anywhere: an empty set, no throw, and the folders searched are reported.
  const none = await loadReseedCertificates(reseedCertificateDirs(empty, []));
  t.is(none.size, 0);
  t.is(none.dir, undefined);
  t.deepEqual(none.searched, [join(empty, 'reseed')]);
});

test('default search order ends with the system i2pd folder', (t) => {
  t.deepEqual(reseedCertificateDirs('/data/certificates'), ['/data/certificates/reseed', join(SYSTEM_I2PD_CERTSDIR, 'reseed')]);
});

const systemReseed = join(SYSTEM_I2PD_CERTSDIR, RESEED_CERTS_SUBDIR);
// Runs only where the i2pd package is installed (read in place, never copied into the repository).
(existsSync(systemReseed) ? test : test.skip)('the i2pd package certificates load, each named as its file says (x_at_y.crt → x@y)', async (t) => {
  const certs = await loadReseedCertificates([systemReseed]);
  const files = readdirSync(systemReseed).filter((f) => f.endsWith('.crt'));
  t.true(files.length > 0);
  t.is(certs.size, files.length);
  t.deepEqual(certs.errors, []);
  for (const f of files) {
    const expected = f.slice(0, -4).replace('_at_', '@');
    const keys = certs.keysFor(expected);
    t.is(keys.length, 1, f);
    t.is(keys[0]!.publicKey.asymmetricKeyType, 'rsa');
    t.is(keys[0]!.publicKey.asymmetricKeyDetails?.modulusLength, 4096);
    t.is(new X509Certificate(readFileSync(join(systemReseed, f))).issuer.includes(`CN=${expected}`), true);
  }
});

test('malformed certificates: ParseError only (fuzz, PEM-wrapped and raw bytes)', (t) => {
  const s = makeSigner('p256', 'fuzz@test');
  const der = Buffer.from(s.certPem.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, ''), 'base64');
  t.is(parseReseedCertificate(new Uint8Array(der), 'der').signerId, 'fuzz@test');
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 600 }), fc.boolean(), fc.array(fc.tuple(fc.nat(der.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }), (junk, mutate, edits) => {
      let input: Uint8Array | string = junk;
      if (mutate) {
        const d = Buffer.from(der);
        for (const [at, v] of edits) d[at] = v;
        input = `-----BEGIN CERTIFICATE-----\n${d.toString('base64')}\n-----END CERTIFICATE-----\n`;
      }
      try {
        parseReseedCertificate(input, 'fuzz');
      } catch (e) {
        if (!(e instanceof ParseError)) throw e;
      }
    }),
    { numRuns: 1500 },
  );
  t.pass();
});
