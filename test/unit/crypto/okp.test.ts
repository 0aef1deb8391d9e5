/**
 * crypto/okp.ts: the fast JWK import of raw X25519/Ed25519 private keys (placeholder `x`) must give the same key
 * as the PKCS#8 DER import, for any 32 bytes; and the public key it reports must be the real one.
 */
import test from 'ava';
import fc from 'fast-check';
import { x25519 as nobleX, ed25519 as nobleEd } from '@noble/curves/ed25519.js';
import { importOkpPrivate, importOkpPrivateDer, rawOkpPublic } from '../../../crypto/okp.js';
import { toHex } from '../../../data/bytes.js';

const bytes32 = fc.uint8Array({ minLength: 32, maxLength: 32 });

for (const crv of ['X25519', 'Ed25519'] as const) {
  test(`${crv}: JWK fast path = PKCS#8 path = @noble public key`, (t) => {
    fc.assert(
      fc.property(bytes32, (raw) => {
        const fast = importOkpPrivate(crv, raw);
        const der = importOkpPrivateDer(crv, raw);
        const jf = fast.export({ format: 'jwk' });
        const jd = der.export({ format: 'jwk' });
        const pub = crv === 'X25519' ? nobleX.getPublicKey(raw) : nobleEd.getPublicKey(raw);
        return (
          fast.asymmetricKeyType === crv.toLowerCase() &&
          jf.d === jd.d &&
          jf.x === jd.x &&
          toHex(rawOkpPublic(fast)) === toHex(pub) &&
          toHex(rawOkpPublic(der)) === toHex(pub)
        );
      }),
      { numRuns: 100 },
    );
    t.pass();
  });
}
