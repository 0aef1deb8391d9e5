/** Real Destinations from Java I2P's shipped hosts.txt (see test/vectors/README.md). */
import test from 'ava';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { b32Address, fromBase64, toBase64 } from '../../../data/base64.js';
import { parseDestination, signatureLength } from '../../../data/identity.js';

const text = readFileSync(fileURLToPath(new URL('../../vectors/hosts-sample.txt', import.meta.url)), 'utf8');
/** The base64 after `name=` (the value itself may end in '=' padding). */
const b64 = (name: string) => text.split('\n').find((l) => l.startsWith(`${name}=`))!.slice(name.length + 1);

test('i2p-projekt.i2p: NULL certificate destination, known b32', (t) => {
  const s = b64('i2p-projekt.i2p');
  const d = parseDestination(fromBase64(s));
  t.is(d.bytes.length, 387);
  t.is(d.certificate.type, 0);
  t.is(d.sigType, 0);
  t.is(d.cryptoType, 0);
  t.is(d.signingPublicKey.length, 128);
  t.is(signatureLength(d), 40);
  t.is(toBase64(d.bytes), s);
  t.is(b32Address(d.hash), 'udhdrtrcetjm5sxzskjyr5ztpeszydbh4dpl3pl4utgqqw2v4jna.b32.i2p');
});

test('stats.i2p: KEY certificate (Ed25519, ElGamal) destination, known b32', (t) => {
  const s = b64('stats.i2p');
  const d = parseDestination(fromBase64(s));
  t.is(d.bytes.length, 391);
  t.deepEqual([...d.bytes.subarray(384)], [5, 0, 4, 0, 7, 0, 0]);
  t.is(d.sigType, 7);
  t.is(d.cryptoType, 0);
  t.is(d.signingPublicKey.length, 32);
  t.is(d.cryptoPublicKey!.length, 256);
  t.is(toBase64(d.bytes), s);
  t.is(b32Address(d.hash), 'kqypgjpjwrphnzebod5ev3ts2vtii6e5tntrg4rnfijqc7rypldq.b32.i2p');
});
