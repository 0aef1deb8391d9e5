/**
 * Test fixtures for reseeding, all made here: signer keys and self-signed X.509 certificates (openssl req -x509,
 * since node:crypto cannot issue certificates), RouterInfos built with data/, zips made with fflate, su3 files
 * made with netdb/reseed/su3.ts `buildSu3` + `su3Signer` (RSA signed NONEwithRSA via privateEncrypt).
 * Keys are cached per process: RSA-4096 generation takes seconds.
 */
import { execFileSync } from 'node:child_process';
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zipSync, type Zippable } from 'fflate';
import { buildRouterInfo, type RouterInfo } from '../../../../data/router-info.js';
import { generateRouterKeys, privateKeyFileSigner } from '../../../../data/private-key-file.js';
import { toBase64 } from '../../../../data/base64.js';
import { SigType } from '../../../../data/key-types.js';
import { buildSu3, su3Signer, Su3ContentType, Su3FileType } from '../../../../netdb/reseed/su3.js';

export const NET_ID = 77;
export const SIGNER = 'tester@mail.i2p';

const made: string[] = [];
process.on('exit', () => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

/** A fresh temp dir, removed when the test process exits. */
export function tempDir(prefix = 'clove-reseed-'): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  made.push(d);
  return d;
}

export interface TestSigner {
  signerId: string;
  privateKey: KeyObject;
  /** PEM certificate text. */
  certPem: string;
  keyPem: string;
}

const cache = new Map<string, TestSigner>();
const CURVES: Record<string, string> = { p256: 'P-256', p384: 'P-384', p521: 'P-521' };

/** `openssl req -x509` self-signed certificate for a fresh key of the given kind. */
export function makeSigner(kind: 'rsa4096' | 'rsa2048' | 'rsa3072' | 'p256' | 'p384' | 'p521' | 'ed25519', signerId = SIGNER): TestSigner {
  const key = `${kind}/${signerId}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const dir = tempDir('clove-reseed-cert-');
  const keyFile = join(dir, 'key.pem');
  const certFile = join(dir, 'cert.pem');
  const newkey: string[] =
    kind.startsWith('rsa') ? ['-newkey', `rsa:${kind.slice(3)}`]
    : kind === 'ed25519' ? ['-newkey', 'ed25519']
    : ['-newkey', 'ec', '-pkeyopt', `ec_paramgen_curve:${CURVES[kind]}`];
  execFileSync('openssl', [
    'req', '-x509', ...newkey, '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '3650',
    '-subj', `/C=XX/O=I2P Anonymous Network/OU=I2P/CN=${signerId}`,
  ], { stdio: 'ignore' });
  const keyPem = readFileSync(keyFile, 'utf8');
  const s: TestSigner = { signerId, privateKey: createPrivateKey(keyPem), certPem: readFileSync(certFile, 'utf8'), keyPem };
  cache.set(key, s);
  return s;
}

/**
 * A leaf certificate with subject CN `leafCn`, issued by a CA with CN `caCn` (EC P-256 keys): i2pd names the
 * signer after the issuer's CN.
 */
export function makeIssuedSigner(caCn: string, leafCn: string): TestSigner {
  const dir = tempDir('clove-reseed-ca-');
  const f = (n: string) => join(dir, n);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  execFileSync('openssl', ['req', '-x509', ...ec, '-keyout', f('ca.key'), '-out', f('ca.crt'), '-days', '30', '-subj', `/O=Test CA/CN=${caCn}`], { stdio: 'ignore' });
  execFileSync('openssl', ['req', '-new', ...ec, '-keyout', f('leaf.key'), '-out', f('leaf.csr'), '-subj', `/O=Test/CN=${leafCn}`], { stdio: 'ignore' });
  execFileSync('openssl', ['x509', '-req', '-in', f('leaf.csr'), '-CA', f('ca.crt'), '-CAkey', f('ca.key'), '-CAcreateserial', '-out', f('leaf.crt'), '-days', '30'], { stdio: 'ignore' });
  const keyPem = readFileSync(f('leaf.key'), 'utf8');
  return { signerId: caCn, privateKey: createPrivateKey(keyPem), certPem: readFileSync(f('leaf.crt'), 'utf8'), keyPem };
}

/** A certs folder in i2pd layout: DIR/reseed/<name>.crt. Returns the certsdir (parent of reseed/). */
export function certsDirWith(files: Record<string, string>): string {
  const certsdir = tempDir('clove-reseed-certsdir-');
  mkdirSync(join(certsdir, 'reseed'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(certsdir, 'reseed', name), text);
  return certsdir;
}

export function makeRouterInfo(opts: { netId?: number | null; published?: number } = {}): RouterInfo {
  const keys = generateRouterKeys();
  const options: Record<string, string> = { caps: 'LR', 'router.version': '0.9.57' };
  if (opts.netId !== null) options.netId = String(opts.netId ?? NET_ID);
  return buildRouterInfo(
    {
      identity: keys.identity,
      published: opts.published ?? Date.now() - 60_000,
      addresses: [{ cost: 10, transportStyle: 'NTCP2', options: { host: '127.0.0.1', port: '12345', s: 'A'.repeat(43) + '=', v: '2' } }],
      options,
    },
    privateKeyFileSigner(keys),
  );
}

export function riName(ri: RouterInfo): string {
  return `routerInfo-${toBase64(ri.identity.hash)}.dat`;
}

/** A zip of RouterInfos named as reseed servers name them (deflated unless `level: 0`), plus extra entries. */
export function makeZip(ris: readonly RouterInfo[], extra: Record<string, Uint8Array> = {}, level: 0 | 6 = 6): Uint8Array {
  const files: Zippable = {};
  for (const ri of ris) files[riName(ri)] = ri.raw;
  Object.assign(files, extra);
  return zipSync(files, { level });
}

export function makeSu3(
  content: Uint8Array,
  signer: TestSigner,
  opts: { sigType?: number; signerId?: string; fileType?: number; contentType?: number; version?: string } = {},
): Uint8Array {
  const sigType = opts.sigType ?? SigType.RSA_SHA512_4096;
  return buildSu3(
    {
      sigType,
      version: opts.version ?? String(Math.floor(Date.now() / 1000)),
      signerId: opts.signerId ?? signer.signerId,
      fileType: opts.fileType ?? Su3FileType.ZIP,
      contentType: opts.contentType ?? Su3ContentType.RESEED,
      content,
    },
    su3Signer(sigType, signer.privateKey),
  );
}
