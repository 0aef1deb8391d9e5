/**
 * Crypto benchmark: clove's node:crypto primitives next to @noble equivalents. Prints ops/s as a table;
 * never pass/fail. Each measurement runs for about `--ms=N` milliseconds (default 1000) after a short warm-up.
 *
 *   npm run bench                    (tsc, then node dist/bench/run.js)
 *   npx tsx bench/run.ts --ms=300    (quick run from source)
 *   npx tsx bench/run.ts tunnel      (only lines whose name contains "tunnel")
 *
 * What each line measures: bench/README.md.
 */
import { randomBytes } from 'node:crypto';
import { cbc, ecb } from '@noble/ciphers/aes.js';
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { ed25519 as nobleEd, x25519 as nobleX } from '@noble/curves/ed25519.js';
import { hkdf as nobleHkdf } from '@noble/hashes/hkdf.js';
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import { TunnelLayer, TUNNEL_LAYER_SIZE } from '../crypto/tunnel-layer.js';
import { aesCbcEncrypt, aesEcbEncrypt } from '../crypto/aes.js';
import { X25519Key, importX25519Public, x25519 } from '../crypto/x25519.js';
import { Ed25519Key, ed25519Verify, importEd25519Public } from '../crypto/ed25519.js';
import { chachaDecrypt, chachaEncrypt, nonceFromCounter } from '../crypto/chacha.js';
import { hkdf, sha256 } from '../crypto/hash.js';

type Op = () => unknown;
interface Row {
  name: string;
  node?: Op;
  noble?: Op;
}

const args = process.argv.slice(2);
const msArg = args.find((a) => a.startsWith('--ms='));
const budgetMs = msArg ? Math.max(10, Number(msArg.slice(5)) || 1000) : 1000;
const filters = args.filter((a) => !a.startsWith('--'));

let sink = 0; // keeps results observable so nothing is optimised away
function consume(x: unknown): void {
  if (x instanceof Uint8Array) sink = (sink + x.length + (x[0] ?? 0)) | 0;
  else if (x === true) sink = (sink + 1) | 0;
}

/** ops/s of `fn` over about `ms` milliseconds, after a warm-up of a tenth of that. */
function measure(fn: Op, ms: number): number {
  const run = (limitMs: number): [number, number] => {
    const start = performance.now();
    let n = 0;
    let batch = 1;
    let elapsed = 0;
    while (elapsed < limitMs) {
      for (let i = 0; i < batch; i++) consume(fn());
      n += batch;
      elapsed = performance.now() - start;
      if (batch < 1024 && elapsed < limitMs / 20) batch *= 2;
    }
    return [n, elapsed];
  };
  run(ms / 10);
  const [n, elapsed] = run(ms);
  return (n * 1000) / elapsed;
}

// ---- fixtures ----
const layerKey = randomBytes(32);
const ivKey = randomBytes(32);
const tunnelMsg = new Uint8Array(randomBytes(TUNNEL_LAYER_SIZE));
const hop = new TunnelLayer(layerKey, ivKey);

function nobleTunnelEncrypt(msg: Uint8Array): Uint8Array {
  const iv = ecb(ivKey, { disablePadding: true }).encrypt(msg.subarray(0, 16));
  msg.set(cbc(layerKey, iv, { disablePadding: true }).encrypt(msg.subarray(16)), 16);
  msg.set(ecb(ivKey, { disablePadding: true }).encrypt(iv), 0);
  return msg;
}
function nobleTunnelDecrypt(msg: Uint8Array): Uint8Array {
  const iv = ecb(ivKey, { disablePadding: true }).decrypt(msg.subarray(0, 16));
  msg.set(cbc(layerKey, iv, { disablePadding: true }).decrypt(msg.subarray(16)), 16);
  msg.set(ecb(ivKey, { disablePadding: true }).decrypt(iv), 0);
  return msg;
}
function freshContextsTunnelEncrypt(msg: Uint8Array): Uint8Array {
  const iv = aesEcbEncrypt(ivKey, msg.subarray(0, 16));
  msg.set(aesCbcEncrypt(layerKey, iv, msg.subarray(16)), 16);
  msg.set(aesEcbEncrypt(ivKey, iv), 0);
  return msg;
}

const xAlice = X25519Key.generate();
const xBob = X25519Key.generate();
const xBobPubObject = importX25519Public(xBob.publicKey);
const xPriv = new Uint8Array(randomBytes(32));

const edKey = Ed25519Key.generate();
const edMsg = new Uint8Array(randomBytes(1024));
const edSig = edKey.sign(edMsg);
const edPubObject = importEd25519Public(edKey.publicKey);

const chachaKey = new Uint8Array(randomBytes(32));
const chachaNonce = nonceFromCounter(42);
const kib = new Uint8Array(randomBytes(1024));
const kibSealed = chachaEncrypt(chachaKey, chachaNonce, kib);

const ck = new Uint8Array(randomBytes(32));
const ikm = new Uint8Array(randomBytes(32));
const noInfo = new Uint8Array(0);

const rows: Row[] = [
  { name: 'tunnel hop encrypt, 1024 B (TunnelLayer)', node: () => (hop.encrypt(tunnelMsg), tunnelMsg), noble: () => nobleTunnelEncrypt(tunnelMsg) },
  { name: 'tunnel hop decrypt, 1024 B (TunnelLayer)', node: () => (hop.decrypt(tunnelMsg), tunnelMsg), noble: () => nobleTunnelDecrypt(tunnelMsg) },
  { name: 'tunnel hop encrypt, fresh contexts per msg', node: () => freshContextsTunnelEncrypt(tunnelMsg) },
  { name: 'X25519 DH, peer key as bytes', node: () => xAlice.dh(xBob.publicKey), noble: () => nobleX.getSharedSecret(xAlice.privateKey, xBob.publicKey) },
  { name: 'X25519 DH, peer KeyObject cached', node: () => x25519(xAlice.keyObject, xBobPubObject) },
  { name: 'X25519 key from 32 bytes (+ public key)', node: () => new X25519Key(xPriv).publicKey, noble: () => nobleX.getPublicKey(xPriv) },
  { name: 'Ed25519 sign, 1 KiB', node: () => edKey.sign(edMsg), noble: () => nobleEd.sign(edMsg, edKey.seed) },
  { name: 'Ed25519 verify, 1 KiB, key as bytes', node: () => ed25519Verify(edKey.publicKey, edMsg, edSig), noble: () => nobleEd.verify(edSig, edMsg, edKey.publicKey, { zip215: false }) },
  { name: 'Ed25519 verify, 1 KiB, KeyObject cached', node: () => ed25519Verify(edPubObject, edMsg, edSig) },
  { name: 'ChaCha20-Poly1305 encrypt, 1 KiB', node: () => chachaEncrypt(chachaKey, chachaNonce, kib), noble: () => chacha20poly1305(chachaKey, chachaNonce).encrypt(kib) },
  { name: 'ChaCha20-Poly1305 decrypt, 1 KiB', node: () => chachaDecrypt(chachaKey, chachaNonce, kibSealed), noble: () => chacha20poly1305(chachaKey, chachaNonce).decrypt(kibSealed) },
  { name: 'SHA-256, 1 KiB', node: () => sha256(kib), noble: () => nobleSha256(kib) },
  { name: 'HKDF-SHA256, 64 B out (Noise MixKey)', node: () => hkdf(ck, ikm, noInfo, 64), noble: () => nobleHkdf(nobleSha256, ikm, ck, noInfo, 64) },
];

function fmt(opsPerSec: number | undefined): string {
  if (opsPerSec === undefined) return '—';
  return Math.round(opsPerSec).toLocaleString('en-US');
}

const selected = rows.filter((r) => filters.length === 0 || filters.some((f) => r.name.toLowerCase().includes(f.toLowerCase())));
const header = ['operation', 'node:crypto ops/s', '@noble ops/s', 'node/noble'];
const widths = [44, 18, 14, 10];
const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');

console.log(`clove crypto bench — node ${process.version}, ${process.arch}, ~${budgetMs} ms per measurement`);
console.log(line(header));
console.log(line(widths.map((w) => '-'.repeat(w))));
for (const r of selected) {
  const node = r.node ? measure(r.node, budgetMs) : undefined;
  const noble = r.noble ? measure(r.noble, budgetMs) : undefined;
  const ratio = node !== undefined && noble !== undefined ? `${(node / noble).toFixed(1)}x` : '—';
  console.log(line([r.name, fmt(node), fmt(noble), ratio]));
}
if (sink === 0.5) console.log(''); // never true; reads the sink
