/**
 * ECIES garlic for routers (ecies-routers.rst: Noise N, raw ephemeral key) and proposal 154 reply key + tag,
 * checked against the i2pd 2.45.1 InitNoiseNState constant and an independent noble implementation.
 */
import test from 'ava';
import fc from 'fast-check';
import { sha256 as nSha256 } from '@noble/hashes/sha2.js';
import { hkdf as nHkdf } from '@noble/hashes/hkdf.js';
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { x25519 } from '@noble/curves/ed25519.js';
import { CryptoError } from '../../../crypto/errors.js';
import { X25519Key } from '../../../crypto/x25519.js';
import { concatBytes, toHex } from '../../../data/bytes.js';
import { ParseError } from '../../../data/errors.js';
import { BlockType, parseBlocks, serializeBlocks } from '../../../garlic/blocks.js';
import {
  decryptFromAnonymous,
  decryptWithReplyKey,
  encryptToRouter,
  encryptReplyBlocks,
  encryptWithReplyKey,
  noiseNInitialState,
  NOISE_N_PROTOCOL_NAME,
  ReplyKeyTable,
  RouterGarlic,
} from '../../../garlic/router-garlic.js';
import { bodies, Clock, clove, seededRandom } from './helpers.js';

const enc = new TextEncoder();
const H = (...d: Uint8Array[]) => nSha256(concatBytes(...d));
const zeroNonce = new Uint8Array(12);

test('Noise N initial state matches i2pd InitNoiseNState (hh = SHA256(name || 0))', (t) => {
  t.is(enc.encode(NOISE_N_PROTOCOL_NAME).length, 31);
  const padded = new Uint8Array(32);
  padded.set(enc.encode(NOISE_N_PROTOCOL_NAME));
  t.is(toHex(H(padded)), '694d52445a27d9adfad29c7632395dc1e4354c69b4f92eac8a1ee46a9ed21554');
  const pub = new Uint8Array(32).fill(3);
  const st = noiseNInitialState(pub);
  t.deepEqual(st.ck, padded);
  t.deepEqual(st.h, H(H(padded), pub));
});

test('encryptToRouter is read by an independent noble implementation, and vice versa', (t) => {
  const rnd = seededRandom('n');
  const rsk = rnd.bytes(32);
  const rpk = x25519.getPublicKey(rsk);
  const payload = serializeBlocks([{ type: BlockType.DateTime, timestamp: 1 }, clove('to router')]);
  const msg = encryptToRouter(rpk, payload, rnd);
  const padded = new Uint8Array(32);
  padded.set(enc.encode(NOISE_N_PROTOCOL_NAME));
  const epk = msg.subarray(0, 32); // raw X25519, not Elligator2
  const h = H(H(H(padded), rpk), epk);
  const k = nHkdf(nSha256, x25519.getSharedSecret(rsk, epk), padded, new Uint8Array(0), 64).slice(32);
  t.deepEqual(chacha20poly1305(k, zeroNonce, h).decrypt(msg.subarray(32)), payload);
  // and ours decrypts it
  t.deepEqual(decryptFromAnonymous(new X25519Key(rsk), msg), payload);
});

test('RouterGarlic: N messages with a fresh DateTime, reply keys single use, tampering refused', (t) => {
  const rnd = seededRandom('rg');
  const clock = new Clock();
  const key = new X25519Key(rnd.bytes(32));
  const rg = new RouterGarlic({ staticKey: key, now: clock.now });
  const fresh = serializeBlocks([{ type: BlockType.DateTime, timestamp: Math.floor(clock.t / 1000) }, clove('hello')]);
  const m = encryptToRouter(key.publicKey, fresh, rnd);
  const r = rg.decrypt(m);
  t.is(r.kind, 'anonymous');
  t.deepEqual(bodies(r.blocks), ['hello']);
  // no DateTime → STALE
  const e = t.throws(() => rg.decrypt(encryptToRouter(key.publicKey, serializeBlocks([clove('x')]), rnd)), { instanceOf: CryptoError });
  t.is(e?.code, 'STALE');
  // tampered
  const bad = Uint8Array.from(m);
  bad[40]! ^= 1;
  t.throws(() => rg.decrypt(bad), { instanceOf: CryptoError });
  // reply key: i2pd WrapECIESX25519Message layout = tag | ChaChaPoly(key, n=0, ad=tag)
  const rk = rnd.bytes(32);
  const tag = rnd.bytes(8);
  rg.replyKeys.add(rk, tag, clock.t + 60_000);
  const reply = encryptWithReplyKey(rk, tag, serializeBlocks([clove('dsm')]));
  t.deepEqual(reply.subarray(0, 8), tag);
  t.deepEqual(chacha20poly1305(rk, zeroNonce, tag).decrypt(reply.subarray(8)), serializeBlocks([clove('dsm')]));
  const forged = Uint8Array.from(reply);
  forged[12]! ^= 1;
  t.throws(() => rg.decrypt(forged), { instanceOf: CryptoError });
  const rr = rg.decrypt(reply); // the forgery did not burn the tag
  t.is(rr.kind, 'reply-key');
  t.deepEqual(bodies(rr.blocks), ['dsm']);
  // single use: the tag is gone, so the 40-byte reply is read as a (too short) N message
  const again = t.throws(() => rg.decrypt(reply));
  t.true(again instanceof ParseError || again instanceof CryptoError);
});

test('ReplyKeyTable is bounded and expires', (t) => {
  const tbl = new ReplyKeyTable(3);
  const k = new Uint8Array(32);
  for (let i = 0; i < 5; i++) tbl.add(k, Uint8Array.of(i, 0, 0, 0, 0, 0, 0, 0), 100 + i);
  t.is(tbl.size, 3);
  t.false(tbl.has(Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0)));
  t.true(tbl.has(Uint8Array.of(4, 0, 0, 0, 0, 0, 0, 0)));
  tbl.expire(103); // entries expiring at 102 go; 103 and 104 stay (expired means now > expiresAt)
  t.is(tbl.size, 2);
  const msg = encryptWithReplyKey(k, Uint8Array.of(4, 0, 0, 0, 0, 0, 0, 0), new Uint8Array(0));
  t.is(tbl.tryDecrypt(msg, 105), null); // expired at 104
});

test('fuzz: RouterGarlic.decrypt and decryptWithReplyKey throw only ParseError/CryptoError', (t) => {
  const rg = new RouterGarlic({ staticKey: new X25519Key(seededRandom('f').bytes(32)) });
  const k = new Uint8Array(32).fill(5);
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
      for (const f of [() => rg.decrypt(bytes), () => parseBlocks(decryptWithReplyKey(k, bytes))]) {
        try {
          f();
          return false;
        } catch (e) {
          if (!(e instanceof ParseError || e instanceof CryptoError)) return false;
        }
      }
      return true;
    }),
    { numRuns: 300 },
  );
  t.pass();
});

test('encryptReplyBlocks: clove first (what i2pd SymmetricKeyTagSet parses), else RangeError', (t) => {
  const k = new Uint8Array(32).fill(1);
  const tag = new Uint8Array(8).fill(2);
  const m = encryptReplyBlocks(k, tag, [clove('dsrm'), { type: BlockType.Padding, padding: new Uint8Array(4) }]);
  const blocks = parseBlocks(decryptWithReplyKey(k, m));
  t.is(blocks[0]!.type, BlockType.GarlicClove);
  t.deepEqual(bodies(blocks), ['dsrm']);
  t.throws(() => encryptReplyBlocks(k, tag, [{ type: BlockType.DateTime, timestamp: 1 }, clove('x')]), { instanceOf: RangeError });
});
