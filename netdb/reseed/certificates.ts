/**
 * Reseed signer certificates: a folder of X.509 PEM `*.crt` files, keyed by signer ID.
 *
 * Spec: ../shared/specs/spec/updates.rst, "SU3 File Specification" → Notes ("The certificate is looked up by the
 * ID of the signer") and "SU3 Reseed File Specification" → Notes (self-signed X.509, RSA-4096).
 * Ground truth: i2pd 2.45.1 libi2pd/Reseed.cpp `Reseeder::LoadCertificates` / `LoadCertificate`.
 *
 * What i2pd does, and what we do:
 * - Folder: CERTSDIR/reseed, CERTSDIR = `certsdir` (default DATADIR/certificates). Only names ending in ".crt"
 *   are read. Same here. Where that folder is missing or holds no usable certificate we also look in
 *   /usr/share/i2pd/certificates/reseed (the Debian i2pd package's copy), when it exists. The certificates are
 *   never bundled in the repository.
 * - Signer ID: i2pd takes the CN of the certificate's *issuer* (X509_NAME_oneline, text after "CN=" up to the
 *   next "/"), not the subject and not the file name. Reseed certificates are self-signed, so issuer and subject
 *   agree. Same here (node:crypto X509Certificate.issuer). i2pd cuts the one-line name at 99 characters; we don't.
 * - Key: i2pd keeps the RSA modulus only (assumes e = 65537, 4096 bits) and would crash on a non-RSA key. We
 *   keep the public key as a KeyObject of any kind; su3.ts checks it against the signature type.
 * - Two files naming the same signer: i2pd keeps whichever it read last (directory order). We keep both; either
 *   may verify.
 * - Validity dates are not enforced (i2pd does not either; the spec says "should"). They are kept for display.
 * - Bounds: at most MAX_CERTIFICATE_FILES files and MAX_CERTIFICATE_SIZE bytes per file.
 */
import { X509Certificate, type KeyObject } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ParseError } from '../../data/errors.js';
import type { Su3TrustedKey } from './su3.js';

/** The Debian/Ubuntu i2pd package's certificate folder, used when certsdir has no reseed certificates. */
export const SYSTEM_I2PD_CERTSDIR = '/usr/share/i2pd/certificates';
export const RESEED_CERTS_SUBDIR = 'reseed';
export const MAX_CERTIFICATE_FILES = 1000;
export const MAX_CERTIFICATE_SIZE = 64 * 1024;

export interface ReseedCertificate extends Su3TrustedKey {
  readonly notBefore: string;
  readonly notAfter: string;
}

export interface ReseedCertificates {
  /** The folder the certificates came from; undefined when none was found. */
  readonly dir: string | undefined;
  /** Folders looked at, in order. */
  readonly searched: readonly string[];
  readonly bySigner: ReadonlyMap<string, readonly ReseedCertificate[]>;
  /** Files that could not be used, with the reason. */
  readonly errors: readonly { file: string; reason: string }[];
  /** The keys trusted for a signer ID (empty when none): the `keysFor` handle of `verifySu3`. */
  keysFor(signerId: string): readonly ReseedCertificate[];
  /** Number of usable certificates. */
  readonly size: number;
}

/** The folders to search: CERTSDIR/reseed, then the system i2pd copy (unless `fallbacks` says otherwise). */
export function reseedCertificateDirs(certsdir: string, fallbacks: readonly string[] = [SYSTEM_I2PD_CERTSDIR]): string[] {
  const dirs = [join(certsdir, RESEED_CERTS_SUBDIR)];
  for (const f of fallbacks) {
    const d = join(f, RESEED_CERTS_SUBDIR);
    if (!dirs.includes(d)) dirs.push(d);
  }
  return dirs;
}

/**
 * The signer ID i2pd derives from a certificate: the CN of its issuer. Undefined when the issuer has no CN.
 * node prints the issuer as one "KEY=value" per line.
 */
export function signerIdOf(cert: X509Certificate): string | undefined {
  for (const line of cert.issuer.split('\n')) {
    if (line.startsWith('CN=')) {
      const cn = line.slice(3);
      return cn.length > 0 ? cn : undefined;
    }
  }
  return undefined;
}

/** Parse one PEM (or DER) certificate into a trusted key. Throws ParseError only. */
export function parseReseedCertificate(pem: Uint8Array | string, source: string): ReseedCertificate {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(typeof pem === 'string' ? pem : Buffer.from(pem.buffer, pem.byteOffset, pem.byteLength));
  } catch (e) {
    throw new ParseError('BAD_CERTIFICATE', source, -1, `not an X.509 certificate: ${(e as Error).message}`);
  }
  // X509Certificate decodes fields lazily: a damaged field surfaces when read.
  let signerId: string | undefined;
  let publicKey: KeyObject;
  let notBefore: string;
  let notAfter: string;
  try {
    signerId = signerIdOf(cert);
    publicKey = cert.publicKey;
    notBefore = cert.validFrom;
    notAfter = cert.validTo;
  } catch (e) {
    throw new ParseError('BAD_CERTIFICATE', source, -1, `certificate unusable: ${(e as Error).message}`);
  }
  if (signerId === undefined) throw new ParseError('NO_SIGNER_ID', source, -1, 'no CN in the certificate issuer');
  return { signerId, publicKey, source, notBefore, notAfter };
}

/** Build the lookup from certificates already parsed (tests, embedding). */
export function reseedCertificatesFrom(
  certs: readonly ReseedCertificate[],
  info: { dir?: string; searched?: readonly string[]; errors?: readonly { file: string; reason: string }[] } = {},
): ReseedCertificates {
  const bySigner = new Map<string, ReseedCertificate[]>();
  for (const c of certs) {
    const list = bySigner.get(c.signerId);
    if (list) list.push(c);
    else bySigner.set(c.signerId, [c]);
  }
  return {
    dir: info.dir,
    searched: info.searched ?? [],
    bySigner,
    errors: info.errors ?? [],
    keysFor: (id) => bySigner.get(id) ?? [],
    size: certs.length,
  };
}

/**
 * Load the reseed certificates from the first folder of `dirs` that holds at least one usable `*.crt`.
 * A missing folder is not an error (the next is tried); unreadable or malformed files are listed in `errors`.
 */
export async function loadReseedCertificates(dirs: readonly string[], opts: { signal?: AbortSignal } = {}): Promise<ReseedCertificates> {
  const allErrors: { file: string; reason: string }[] = [];
  for (const dir of dirs) {
    opts.signal?.throwIfAborted();
    let names: string[];
    try {
      names = (await readdir(dir)).filter((n) => n.endsWith('.crt')).sort();
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') continue;
      allErrors.push({ file: dir, reason: (e as Error).message });
      continue;
    }
    const certs: ReseedCertificate[] = [];
    for (const name of names.slice(0, MAX_CERTIFICATE_FILES)) {
      opts.signal?.throwIfAborted();
      const file = join(dir, name);
      try {
        const st = await stat(file);
        if (!st.isFile()) throw new Error('not a regular file');
        if (st.size > MAX_CERTIFICATE_SIZE) throw new Error(`${st.size} bytes (limit ${MAX_CERTIFICATE_SIZE})`);
        certs.push(parseReseedCertificate(await readFile(file), file));
      } catch (e) {
        allErrors.push({ file, reason: (e as Error).message });
      }
    }
    if (names.length > MAX_CERTIFICATE_FILES) {
      allErrors.push({ file: dir, reason: `${names.length} certificate files, only the first ${MAX_CERTIFICATE_FILES} read` });
    }
    if (certs.length > 0) return reseedCertificatesFrom(certs, { dir, searched: dirs, errors: allErrors });
  }
  return reseedCertificatesFrom([], { searched: dirs, errors: allErrors });
}
