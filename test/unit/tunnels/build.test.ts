/**
 * ECIES tunnel build records (spec/tunnel-creation-ecies.rst): creator → hops → creator in memory, short
 * (ShortTunnelBuild) and long (VariableTunnelBuild) records, inbound and outbound; per-hop statuses;
 * tampering; a differential check of the request KDF and short-record key schedule against an independent
 * implementation written from the spec with @noble; i2pd 2.45.1's Noise-N `hh` constant (Crypto.cpp
 * InitNoiseNState); fuzz of the record parsers.
 */
import test from 'ava';
import fc from 'fast-check';
import { x25519 as nobleX25519 } from '@noble/curves/ed25519.js';
import { hkdf as nobleHkdf } from '@noble/hashes/hkdf.js';
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import { chacha20 as nobleChacha20, chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { ParseError } from '../../../data/errors.js';
import { CryptoError } from '../../../crypto/errors.js';
import { equalBytes, fromHex, toHex } from '../../../data/bytes.js';
import { systemRandom } from '../../../crypto/random.js';
import { I2NPType } from '../../../i2np/header.js';
import { BuildFormat, parseTunnelBuildRecords, serializeTunnelBuildRecords } from '../../../i2np/tunnel-build.js';
import {
  BUILD_FLAG_IBGW,
  BUILD_FLAG_OBEP,
  BuildRecordDecryptor,
  LONG_RECORD_SIZE,
  SHORT_RECORD_SIZE,
  SHORT_REQUEST_CLEARTEXT_SIZE,
  SHORT_REQUEST_OFFSETS,
  buildRecordInitialState,
  chacha20,
  decodeLongRequestCleartext,
  decodeShortRequestCleartext,
  encodeShortRequestCleartext,
  encryptShortRequestRecord,
  type BuildRequestFields,
} from '../../../tunnels/build/records.js';
import { createTunnelBuild, readTunnelBuildReply, type PendingTunnelBuild } from '../../../tunnels/build/creator.js';
import { buildForward, openBuildRequest, sealBuildReply, type BuildForward } from '../../../tunnels/build/participant.js';
import { seededRandom, simRouter, type SimRouter } from './helpers.js';

const NOW = Date.UTC(2026, 10, 22, 2, 0, 0);

/** Run a build through `routers` in order; each hop answers statuses[i]. Returns the creator's view. */
function runBuild(build: PendingTunnelBuild, routers: SimRouter[], statuses: number[], t: { is: Function; truthy: Function; true: Function }) {
  const fmt = build.format === 'short' ? BuildFormat.ShortTunnelBuild : BuildFormat.VariableTunnelBuild;
  // through the i2np codec, as on the wire
  let records = parseTunnelBuildRecords(serializeTunnelBuildRecords({ records: build.records }, fmt), fmt).records;
  const forwards: BuildForward[] = [];
  const opened = [];
  for (let i = 0; i < routers.length; i++) {
    const r = routers[i]!;
    const o = openBuildRequest(r.decryptor, records);
    t.truthy(o, `hop ${i} finds its record`);
    opened.push(o!);
    t.is(o!.index, build.hops[i]!.recordIndex);
    const sealed = sealBuildReply(o!, records, statuses[i]!, { random: systemRandom });
    const fwd = buildForward(o!, sealed, { ourHash: r.hash, expiration: NOW + 8000 });
    forwards.push(fwd);
    const replyFmt =
      fwd.message.type === I2NPType.ShortTunnelBuild ? BuildFormat.ShortTunnelBuild
      : fwd.message.type === I2NPType.VariableTunnelBuild ? BuildFormat.VariableTunnelBuild
      : fwd.message.type === I2NPType.OutboundTunnelBuildReply ? BuildFormat.OutboundTunnelBuildReply
      : BuildFormat.VariableTunnelBuildReply;
    records = parseTunnelBuildRecords(fwd.message.payload, replyFmt).records;
  }
  return { records, forwards, opened };
}

for (const format of ['short', 'long'] as const) {
  test(`${format}: 3-hop outbound build, every hop accepts, creator gets the hops' layer keys`, (t) => {
    const rnd = seededRandom(format === 'short' ? 1 : 2);
    const routers = [simRouter(rnd), simRouter(rnd), simRouter(rnd)];
    const replyRouter = rnd.bytes(32);
    const build = createTunnelBuild({
      format, direction: 'outbound', hops: routers.map((r) => r.hop), replyRouter, replyTunnelId: 0x01020304,
      replyMsgId: 0xdeadbeef, now: NOW, random: systemRandom,
    });
    t.is(build.records.length, 4);
    t.is(build.messageType, format === 'short' ? I2NPType.ShortTunnelBuild : I2NPType.VariableTunnelBuild);
    for (const rec of build.records) t.is(rec.length, format === 'short' ? SHORT_RECORD_SIZE : LONG_RECORD_SIZE);
    t.is(new Set(build.hops.map((h) => h.recordIndex)).size, 3);

    const { records, forwards, opened } = runBuild(build, routers, [0, 0, 0], t);
    // roles, chaining of tunnel ids and routers
    t.deepEqual(opened.map((o) => o.role), ['participant', 'participant', 'obep']);
    for (let i = 0; i < 2; i++) {
      const f = forwards[i]!;
      t.is(f.kind, 'router');
      t.true(equalBytes(f.to, routers[i + 1]!.hash));
      t.is(f.message.type, build.messageType);
      t.is(opened[i]!.request.nextTunnelId, opened[i + 1]!.request.receiveTunnelId);
      t.is(f.message.msgId, opened[i]!.request.nextMsgId);
    }
    t.is(opened[0]!.request.receiveTunnelId, build.tunnelId);
    const last = forwards[2]!;
    t.is(last.kind, 'tunnel');
    if (last.kind !== 'tunnel') return;
    t.true(equalBytes(last.to, replyRouter));
    t.is(last.tunnelId, 0x01020304);
    t.false(last.local);
    t.is(last.message.msgId, 0xdeadbeef);
    t.is(last.message.type, build.replyMessageType);
    t.is(last.message.type, format === 'short' ? I2NPType.OutboundTunnelBuildReply : I2NPType.VariableTunnelBuildReply);
    if (format === 'short') {
      t.truthy(last.garlic);
      t.truthy(build.garlicReply);
      t.is(toHex(last.garlic!.key), toHex(build.garlicReply!.key));
      t.is(toHex(last.garlic!.tag), toHex(build.garlicReply!.tag));
      t.is(last.garlic!.tag.length, 8);
    } else {
      t.is(last.garlic, undefined);
    }
    t.is(opened[2]!.request.requestTime, Math.floor(NOW / 60000));
    t.is(opened[2]!.request.requestExpiration, 600);

    const result = readTunnelBuildReply(build, records);
    t.true(result.accepted);
    t.deepEqual(result.hops.map((h) => h.status), [0, 0, 0]);
    for (let i = 0; i < 3; i++) {
      t.is(toHex(result.layers[i]!.layerKey), toHex(opened[i]!.layerKey));
      t.is(toHex(result.layers[i]!.ivKey), toHex(opened[i]!.ivKey));
      t.true(equalBytes(result.hops[i]!.routerHash, routers[i]!.hash));
    }
    // the layer keys are distinct per hop and layer != iv
    const all = new Set(result.layers.flatMap((l) => [toHex(l.layerKey), toHex(l.ivKey)]));
    t.is(all.size, 6);
  });

  test(`${format}: 3-hop inbound build: IBGW flag on the first hop, the last hop forwards to us`, (t) => {
    const rnd = seededRandom(format === 'short' ? 3 : 4);
    const routers = [simRouter(rnd), simRouter(rnd), simRouter(rnd)];
    const us = rnd.bytes(32);
    const build = createTunnelBuild({ format, direction: 'inbound', hops: routers.map((r) => r.hop), ourHash: us, replyMsgId: 77, now: NOW, random: systemRandom });
    const { records, forwards, opened } = runBuild(build, routers, [0, 0, 0], t);
    t.deepEqual(opened.map((o) => o.role), ['ibgw', 'participant', 'participant']);
    t.is(opened[0]!.request.flags, BUILD_FLAG_IBGW);
    const last = forwards[2]!;
    t.is(last.kind, 'router');
    t.true(equalBytes(last.to, us));
    t.is(last.message.msgId, 77);
    t.is(last.message.type, build.replyMessageType);
    t.is(opened[2]!.request.nextTunnelId, build.tunnelId);
    t.is(build.garlicReply, undefined);
    const result = readTunnelBuildReply(build, records);
    t.true(result.accepted);
    for (let i = 0; i < 3; i++) t.is(toHex(result.layers[i]!.layerKey), toHex(opened[i]!.layerKey));
  });

  test(`${format}: a rejecting hop is reported per hop`, (t) => {
    const routers = [simRouter(systemRandom), simRouter(systemRandom), simRouter(systemRandom)];
    for (const statuses of [[0, 30, 0], [30, 0, 0], [0, 0, 30], [30, 30, 10]]) {
      const build = createTunnelBuild({
        format, direction: 'outbound', hops: routers.map((r) => r.hop), replyRouter: routers[0]!.hash, replyTunnelId: 5,
        replyMsgId: 1, now: NOW, random: systemRandom,
      });
      const { records } = runBuild(build, routers, statuses, t);
      const result = readTunnelBuildReply(build, records);
      t.false(result.accepted);
      t.deepEqual(result.hops.map((h) => h.status), statuses);
    }
  });

  test(`${format}: a tampered reply record is a CryptoError, a tampered request fails at its hop`, (t) => {
    const routers = [simRouter(systemRandom), simRouter(systemRandom), simRouter(systemRandom)];
    const build = createTunnelBuild({
      format, direction: 'outbound', hops: routers.map((r) => r.hop), replyRouter: routers[2]!.hash, replyTunnelId: 9,
      replyMsgId: 2, now: NOW, random: systemRandom,
    });
    const { records } = runBuild(build, routers, [0, 0, 0], t);
    for (const hop of build.hops) {
      const bad = records.map((r) => r.slice());
      bad[hop.recordIndex]![100] ^= 1;
      const e = t.throws(() => readTunnelBuildReply(build, bad));
      t.true(e instanceof CryptoError, String(e));
    }
    // a reply with a record missing
    const err = t.throws(() => readTunnelBuildReply(build, records.slice(1)));
    t.true(err instanceof ParseError);
    // request: flip a ciphertext byte of hop 0's record
    const req = build.records.map((r) => r.slice());
    req[build.hops[0]!.recordIndex]![60] ^= 0x80;
    const e2 = t.throws(() => openBuildRequest(routers[0]!.decryptor, req));
    t.true(e2 instanceof CryptoError);
  });

  test(`${format}: hop counts 1..8, record counts, a router not in the tunnel sees no record`, (t) => {
    for (const n of [1, 2, 4, 5, 8]) {
      const routers = Array.from({ length: n }, () => simRouter(systemRandom));
      const build = createTunnelBuild({
        format, direction: 'inbound', hops: routers.map((r) => r.hop), ourHash: systemRandom.bytes(32), replyMsgId: 3, now: NOW, random: systemRandom,
      });
      t.is(build.records.length, n <= 4 ? 4 : 8);
      const { records } = runBuild(build, routers, routers.map(() => 0), t);
      t.true(readTunnelBuildReply(build, records).accepted);
      t.is(openBuildRequest(simRouter(systemRandom).decryptor, build.records), null);
    }
    t.throws(() => createTunnelBuild({ format, direction: 'inbound', hops: [], ourHash: new Uint8Array(32), replyMsgId: 1, now: NOW, random: systemRandom }), { instanceOf: RangeError });
    const r = simRouter(systemRandom);
    t.throws(() => createTunnelBuild({ format, direction: 'outbound', hops: [r.hop], replyMsgId: 1, now: NOW, random: systemRandom }), { instanceOf: RangeError });
    t.throws(() => createTunnelBuild({ format, direction: 'inbound', hops: [r.hop, r.hop], ourHash: new Uint8Array(32), numRecords: 1, replyMsgId: 1, now: NOW, random: systemRandom }), { instanceOf: RangeError });
  });

  test(`${format}: request and reply options travel to the hop and back`, (t) => {
    const routers = [simRouter(systemRandom), simRouter(systemRandom)];
    const hops = [{ ...routers[0]!.hop, options: [['m', '100'], ['r', '200']] as const }, routers[1]!.hop];
    const build = createTunnelBuild({ format, direction: 'inbound', hops, ourHash: systemRandom.bytes(32), replyMsgId: 3, now: NOW, random: systemRandom });
    let records = build.records;
    const o0 = openBuildRequest(routers[0]!.decryptor, records)!;
    t.deepEqual(o0.request.options, [['m', '100'], ['r', '200']]);
    t.false(o0.request.optionsMalformed);
    records = sealBuildReply(o0, records, 0, { random: systemRandom, options: [['b', '150']] });
    const o1 = openBuildRequest(routers[1]!.decryptor, records)!;
    t.deepEqual(o1.request.options, []);
    records = sealBuildReply(o1, records, 0, { random: systemRandom });
    const result = readTunnelBuildReply(build, records);
    t.deepEqual(result.hops[0]!.options, [['b', '150']]);
    t.deepEqual(result.hops[1]!.options, []);
  });
}

test('OBEP whose reply gateway is itself: local delivery, no garlic', (t) => {
  const routers = [simRouter(systemRandom), simRouter(systemRandom)];
  const build = createTunnelBuild({
    format: 'short', direction: 'outbound', hops: routers.map((r) => r.hop), replyRouter: routers[1]!.hash, replyTunnelId: 42,
    replyMsgId: 9, now: NOW, random: systemRandom,
  });
  t.is(build.garlicReply, undefined);
  const { forwards } = runBuild(build, routers, [0, 0], t);
  const f = forwards[1]!;
  t.is(f.kind, 'tunnel');
  if (f.kind === 'tunnel') {
    t.true(f.local);
    t.is(f.garlic, undefined);
    t.is(f.tunnelId, 42);
  }
});

test('i2pd 2.45.1 Noise N constant: h after MixHash(prologue) = hh from Crypto.cpp InitNoiseNState', (t) => {
  // libi2pd/Crypto.cpp InitNoiseNState: hh = SHA256(protocol_name || 0); InitNoiseState: h = SHA256(hh || pub)
  const hh = fromHex('694d52445a27d9adfad29c7632395dc1e4354c69b4f92eac8a1ee46a9ed21554');
  const pub = systemRandom.bytes(32);
  pub[31]! &= 0x7f;
  const st = buildRecordInitialState(pub);
  t.is(toHex(st.h), toHex(nobleSha256(new Uint8Array([...hh, ...pub]))));
  // ck = protocol_name || 0 (31 ASCII bytes + one zero)
  const name = new TextEncoder().encode('Noise_N_25519_ChaChaPoly_SHA256');
  t.is(name.length, 31);
  t.is(toHex(st.ck), toHex(new Uint8Array([...name, 0])));
});

test('ChaCha20 stream on other records starts at block counter 1 (i2pd Crypto.cpp ChaCha20), matches @noble', (t) => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.integer({ min: 0, max: 7 }), fc.uint8Array({ maxLength: 600 }), (key, idx, data) => {
      const nonce = new Uint8Array(12);
      nonce[4] = idx;
      const ours = chacha20(key, nonce, data);
      const ref = nobleChacha20(key, nonce, data, undefined, 1);
      return toHex(ours) === toHex(ref) && toHex(chacha20(key, nonce, ours)) === toHex(data);
    }),
    { numRuns: 50 },
  );
  t.pass();
});

const utf8 = (x: string) => new TextEncoder().encode(x);

/** The spec's "KDF for Request Record" and short-record "KDF", written independently with @noble. */
function specDecryptShort(hesk: Uint8Array, hepk: Uint8Array, record: Uint8Array, isObep: boolean) {
  const name = new TextEncoder().encode('Noise_N_25519_ChaChaPoly_SHA256');
  let h: Uint8Array = new Uint8Array(32);
  h.set(name);
  let ck: Uint8Array = h.slice();
  h = nobleSha256(h); // MixHash(null prologue)
  h = nobleSha256(new Uint8Array([...h, ...hepk]));
  const sepk = record.subarray(16, 48);
  h = nobleSha256(new Uint8Array([...h, ...sepk]));
  const shared = nobleX25519.getSharedSecret(hesk, sepk);
  let kd = nobleHkdf(nobleSha256, shared, ck, new Uint8Array(0), 64);
  ck = kd.slice(0, 32);
  const k = kd.slice(32, 64);
  const ct = record.subarray(48);
  const clear = chacha20poly1305(k, new Uint8Array(12), h).decrypt(ct);
  h = nobleSha256(new Uint8Array([...h, ...ct]));
  const z = new Uint8Array(0);
  kd = nobleHkdf(nobleSha256, z, ck, utf8('SMTunnelReplyKey'), 64);
  const replyKey = kd.slice(32);
  ck = kd.slice(0, 32);
  kd = nobleHkdf(nobleSha256, z, ck, utf8('SMTunnelLayerKey'), 64);
  const layerKey = kd.slice(32);
  let ivKey: Uint8Array;
  let garlicKey: Uint8Array | undefined;
  let garlicTag: Uint8Array | undefined;
  if (isObep) {
    ck = kd.slice(0, 32);
    kd = nobleHkdf(nobleSha256, z, ck, utf8('TunnelLayerIVKey'), 64);
    ivKey = kd.slice(32);
    ck = kd.slice(0, 32);
    kd = nobleHkdf(nobleSha256, z, ck, utf8('RGarlicKeyAndTag'), 64);
    garlicKey = kd.slice(32);
    garlicTag = kd.slice(0, 8);
  } else {
    ivKey = kd.slice(0, 32);
  }
  return { clear, h, replyKey, layerKey, ivKey, garlicKey, garlicTag };
}

test('short request record: independent spec implementation decrypts it and derives the same keys', (t) => {
  for (const flags of [0, BUILD_FLAG_IBGW, BUILD_FLAG_OBEP]) {
    const r = simRouter(systemRandom);
    const fields: BuildRequestFields = {
      receiveTunnelId: 0x11223344, nextTunnelId: 0x55667788, nextIdent: systemRandom.bytes(32), flags, layerEncryptionType: 0,
      requestTime: 29_000_000, requestExpiration: 600, nextMsgId: 0xcafebabe, options: [],
    };
    const enc = encryptShortRequestRecord(r.hop, fields, systemRandom);
    t.is(enc.record.length, 218);
    t.is(toHex(enc.record.subarray(0, 16)), toHex(r.hash.subarray(0, 16)));
    const ref = specDecryptShort(r.key.privateKey, r.key.publicKey, enc.record, flags === BUILD_FLAG_OBEP);
    t.is(ref.clear.length, SHORT_REQUEST_CLEARTEXT_SIZE);
    const dv = new DataView(ref.clear.buffer, ref.clear.byteOffset);
    const O = SHORT_REQUEST_OFFSETS;
    t.is(dv.getUint32(O.receiveTunnel), 0x11223344);
    t.is(dv.getUint32(O.nextTunnel), 0x55667788);
    t.is(toHex(ref.clear.subarray(O.nextIdent, O.nextIdent + 32)), toHex(fields.nextIdent));
    t.is(ref.clear[O.flags], flags);
    t.is(ref.clear[O.moreFlags], 0);
    t.is(ref.clear[O.moreFlags + 1], 0);
    t.is(ref.clear[O.layerEncryptionType], 0);
    t.is(dv.getUint32(O.requestTime), 29_000_000);
    t.is(dv.getUint32(O.requestExpiration), 600);
    t.is(dv.getUint32(O.nextMsgId), 0xcafebabe);
    t.is(dv.getUint16(O.options), 0); // empty Mapping
    t.is(toHex(enc.h), toHex(ref.h));
    t.is(toHex(enc.keys.replyKey), toHex(ref.replyKey));
    t.is(toHex(enc.keys.layerKey), toHex(ref.layerKey));
    t.is(toHex(enc.keys.ivKey), toHex(ref.ivKey));
    t.is(enc.keys.garlicReplyKey && toHex(enc.keys.garlicReplyKey), ref.garlicKey && toHex(ref.garlicKey));
    t.is(enc.keys.garlicReplyTag && toHex(enc.keys.garlicReplyTag), ref.garlicTag && toHex(ref.garlicTag));
    // and the participant side agrees
    const d = r.decryptor.decrypt(enc.record);
    t.is(d.kind, 'short');
    if (d.kind === 'short') {
      t.is(toHex(d.keys.layerKey), toHex(ref.layerKey));
      t.is(toHex(d.keys.ivKey), toHex(ref.ivKey));
      t.is(toHex(d.h), toHex(ref.h));
    }
  }
});

test('short reply record: hop own record is ChaChaPoly(replyKey, n = index, ad = h) over 202 bytes, status last', (t) => {
  const routers = [simRouter(systemRandom)];
  const build = createTunnelBuild({ format: 'short', direction: 'inbound', hops: routers.map((r) => r.hop), ourHash: systemRandom.bytes(32), replyMsgId: 3, now: NOW, random: systemRandom });
  const o = openBuildRequest(routers[0]!.decryptor, build.records)!;
  const sealed = sealBuildReply(o, build.records, 30, { random: systemRandom });
  const nonce = new Uint8Array(12);
  nonce[4] = o.index;
  if (o.reply.kind !== 'short') return t.fail();
  const clear = chacha20poly1305(o.reply.replyKey, nonce, o.reply.h).decrypt(sealed[o.index]!);
  t.is(clear.length, 202);
  t.is(clear[201], 30);
  t.is(clear[0], 0);
  t.is(clear[1], 0); // empty options
  // the other records got ChaCha20(replyKey, nonce = their index) with counter 1
  for (let j = 0; j < sealed.length; j++) {
    if (j === o.index) continue;
    const n = new Uint8Array(12);
    n[4] = j;
    t.is(toHex(sealed[j]!), toHex(nobleChacha20(o.reply.replyKey, n, build.records[j]!, undefined, 1)));
  }
});

test('short request with a non-AES layer encryption type is dropped (as i2pd)', (t) => {
  const r = simRouter(systemRandom);
  const fields: BuildRequestFields = {
    receiveTunnelId: 1, nextTunnelId: 2, nextIdent: systemRandom.bytes(32), flags: 0, layerEncryptionType: 1,
    requestTime: 1, requestExpiration: 600, nextMsgId: 1, options: [],
  };
  const recs = [encryptShortRequestRecord(r.hop, fields, systemRandom).record, systemRandom.bytes(218)];
  const e = t.throws(() => openBuildRequest(r.decryptor, recs));
  t.true(e instanceof ParseError && e.code === 'UNSUPPORTED_LAYER_ENCRYPTION');
});

test('cleartext codecs: bad fields are ParseError, malformed options are reported not fatal', (t) => {
  const f: BuildRequestFields = {
    receiveTunnelId: 7, nextTunnelId: 8, nextIdent: new Uint8Array(32).fill(3), flags: BUILD_FLAG_OBEP, layerEncryptionType: 0,
    requestTime: 5, requestExpiration: 600, nextMsgId: 9, options: [['a', 'b']],
  };
  const clear = encodeShortRequestCleartext(f, systemRandom);
  const back = decodeShortRequestCleartext(clear);
  t.is(back.receiveTunnelId, 7);
  t.deepEqual(back.options, [['a', 'b']]);
  const zero = clear.slice();
  zero.fill(0, 0, 4);
  t.throws(() => decodeShortRequestCleartext(zero), { instanceOf: ParseError });
  const both = clear.slice();
  both[SHORT_REQUEST_OFFSETS.flags] = BUILD_FLAG_IBGW | BUILD_FLAG_OBEP;
  t.throws(() => decodeShortRequestCleartext(both), { instanceOf: ParseError });
  const badOpts = clear.slice();
  badOpts[SHORT_REQUEST_OFFSETS.options] = 0xff; // mapping length far past the end
  const b2 = decodeShortRequestCleartext(badOpts);
  t.true(b2.optionsMalformed);
  t.deepEqual(b2.options, []);
  t.throws(() => encodeShortRequestCleartext({ ...f, options: [['x'.repeat(60), 'y'.repeat(60)]] }, systemRandom), { instanceOf: RangeError });
});

test('fuzz: record decryption and cleartext parsers throw only ParseError / CryptoError', (t) => {
  const r = simRouter(systemRandom);
  const dec = new BuildRecordDecryptor(r.key, r.hash);
  const only = (fn: () => unknown) => {
    try {
      fn();
    } catch (e) {
      if (!(e instanceof ParseError) && !(e instanceof CryptoError)) throw e;
    }
  };
  fc.assert(
    fc.property(fc.constantFrom(SHORT_RECORD_SIZE, LONG_RECORD_SIZE, 100), fc.uint8Array({ minLength: 528, maxLength: 528 }), (size, bytes) => {
      const rec = bytes.slice(0, size);
      rec.set(r.hash.subarray(0, 16));
      only(() => dec.decrypt(rec));
      only(() => openBuildRequest(dec, [rec, bytes.slice(0, size)]));
      only(() => openBuildRequest(dec, [bytes.slice(0, size)]));
    }),
    { numRuns: 200 },
  );
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 0, maxLength: 500 }), (b) => {
      only(() => decodeShortRequestCleartext(b));
      only(() => decodeLongRequestCleartext(b));
    }),
    { numRuns: 300 },
  );
  t.pass();
});

test('fuzz: readTunnelBuildReply on random records throws only ParseError / CryptoError', (t) => {
  const routers = [simRouter(systemRandom), simRouter(systemRandom)];
  const build = createTunnelBuild({ format: 'short', direction: 'inbound', hops: routers.map((x) => x.hop), ourHash: systemRandom.bytes(32), replyMsgId: 1, now: NOW, random: systemRandom });
  fc.assert(
    fc.property(fc.array(fc.uint8Array({ minLength: 218, maxLength: 218 }), { minLength: 0, maxLength: 6 }), (recs) => {
      try {
        readTunnelBuildReply(build, recs);
        return false; // random records can't authenticate
      } catch (e) {
        return e instanceof ParseError || e instanceof CryptoError;
      }
    }),
    { numRuns: 100 },
  );
  t.pass();
});

test('all randomness comes from the injected RNG: same seed, same build message and layer keys', (t) => {
  const make = () => {
    const rnd = seededRandom(42);
    const routers = [simRouter(rnd), simRouter(rnd), simRouter(rnd)];
    return createTunnelBuild({ format: 'short', direction: 'outbound', hops: routers.map((r) => r.hop), replyRouter: rnd.bytes(32), replyTunnelId: 3, replyMsgId: 4, now: NOW, random: rnd });
  };
  const a = make();
  const b = make();
  t.deepEqual(a.records.map(toHex), b.records.map(toHex));
  t.deepEqual(a.hops.map((h) => toHex(h.layerKey)), b.hops.map((h) => toHex(h.layerKey)));
  const c = createTunnelBuild({ ...{ format: 'short' as const, direction: 'inbound' as const }, hops: [simRouter(seededRandom(7)).hop], ourHash: new Uint8Array(32), replyMsgId: 1, now: NOW, random: seededRandom(8) });
  t.notDeepEqual(c.records.map(toHex), a.records.map(toHex));
});
