/**
 * Streaming packet codec: byte layout against the spec (hand-built packets), signing over the packet with
 * the signature zeroed, offline signatures, round trips (fast-check) and fuzzing (ParseError only).
 */
import test from 'ava';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ed25519Verify } from '../../../crypto/ed25519.js';
import { Ed25519Key } from '../../../crypto/ed25519.js';
import { concatBytes, fromHex } from '../../../data/bytes.js';
import { fromBase64 } from '../../../data/base64.js';
import { ParseError } from '../../../data/errors.js';
import { parseDestination, type Destination } from '../../../data/identity.js';
import { createOfflineSignature, type OfflineSignature } from '../../../data/lease-set2.js';
import { createOfflineKeys, generateDestinationKeys } from '../../../data/private-key-file.js';
import {
  MIN_HEADER_SIZE,
  PacketFlag,
  type StreamPacket,
  buildPong,
  nacksFromHash,
  parsePacket,
  serializePacket,
  signPacket,
  synTargetHash,
  verifierFor,
  verifyPacket,
} from '../../../client/streaming/packet.js';
import { streamingSignerFromKeys } from '../../../client/streaming/manager.js';

const hostDests: Destination[] = readFileSync(fileURLToPath(new URL('../../vectors/hosts-sample.txt', import.meta.url)), 'utf8')
  .trim()
  .split('\n')
  .map((l) => parseDestination(fromBase64(l.slice(l.indexOf('=') + 1))));

const keys = generateDestinationKeys();
const signer = streamingSignerFromKeys(keys);
const dest = keys.identity;

const u32be = (v: number) => Uint8Array.of(v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255);
const u16be = (v: number) => Uint8Array.of(v >>> 8, v & 255);
const empty = new Uint8Array(0);

test('flag bits are the spec table (bit 0 = SYNCHRONIZE … bit 11 = OFFLINE_SIGNATURE)', (t) => {
  const order = [
    'SYNCHRONIZE',
    'CLOSE',
    'RESET',
    'SIGNATURE_INCLUDED',
    'SIGNATURE_REQUESTED',
    'FROM_INCLUDED',
    'DELAY_REQUESTED',
    'MAX_PACKET_SIZE_INCLUDED',
    'PROFILE_INTERACTIVE',
    'ECHO',
    'NO_ACK',
    'OFFLINE_SIGNATURE',
  ] as const;
  order.forEach((name, bit) => t.is(PacketFlag[name] as number, 1 << bit, name));
});

test('a plain ACK with NACKs and a choke delay matches a hand-built packet', (t) => {
  const hand = concatBytes(
    fromHex('0000000500000006'), // send / receive stream id
    fromHex('00000000'), // sequenceNum 0: plain ACK
    fromHex('0000000a'), // ackThrough 10
    Uint8Array.of(2), // NACK count
    fromHex('0000000700000008'), // NACKs 7, 8
    Uint8Array.of(0), // resendDelay
    fromHex('0040'), // flags: DELAY_REQUESTED (bit 6)
    fromHex('0002'), // option size
    fromHex('ea61'), // delay 60001 = choke
  );
  const p: StreamPacket = {
    sendStreamId: 5,
    receiveStreamId: 6,
    sequenceNum: 0,
    ackThrough: 10,
    nacks: [7, 8],
    resendDelay: 0,
    flags: PacketFlag.DELAY_REQUESTED,
    delay: 60001,
    payload: empty,
  };
  t.deepEqual(serializePacket(p), hand);
  const q = parsePacket(hand);
  t.is(q.delay, 60001);
  t.deepEqual(q.nacks, [7, 8]);
  t.is(q.ackThrough, 10);
  t.is(q.payload.length, 0);
});

test('the minimal header is 22 bytes and the payload is the rest of the packet', (t) => {
  const hand = concatBytes(u32be(0x01020304), u32be(0xa0b0c0d0), u32be(3), u32be(2), Uint8Array.of(0, 9), u16be(0), u16be(0), new TextEncoder().encode('hello'));
  t.is(hand.length, MIN_HEADER_SIZE + 5);
  const p = parsePacket(hand);
  t.is(p.sendStreamId, 0x01020304);
  t.is(p.receiveStreamId, 0xa0b0c0d0);
  t.is(p.sequenceNum, 3);
  t.is(p.ackThrough, 2);
  t.is(p.resendDelay, 9);
  t.is(Buffer.from(p.payload).toString(), 'hello');
  t.deepEqual(serializePacket(p), hand);
});

test('a signed SYN: options in spec order, signature over the packet with the signature zeroed', (t) => {
  const target = generateDestinationKeys().identity;
  const payload = new TextEncoder().encode('GET / HTTP/1.1\r\n\r\n');
  const bytes = signPacket(
    {
      sendStreamId: 0,
      receiveStreamId: 0x11223344,
      sequenceNum: 0,
      ackThrough: 0,
      nacks: nacksFromHash(target.hash),
      resendDelay: 9,
      flags: PacketFlag.SYNCHRONIZE | PacketFlag.FROM_INCLUDED | PacketFlag.MAX_PACKET_SIZE_INCLUDED | PacketFlag.NO_ACK,
      from: dest,
      maxPacketSize: 1812,
      payload,
    },
    signer,
  );
  const optSize = dest.bytes.length + 2 + 64;
  const zeroSig = new Uint8Array(64);
  const hand = concatBytes(
    u32be(0),
    u32be(0x11223344),
    u32be(0),
    u32be(0),
    Uint8Array.of(8), // NACK count 8: Bob's hash (replay prevention)
    target.hash,
    Uint8Array.of(9),
    u16be(0x04a9), // SYNCHRONIZE | SIGNATURE_INCLUDED | FROM_INCLUDED | MAX_PACKET_SIZE_INCLUDED | NO_ACK
    u16be(optSize),
    dest.bytes, // option 2: FROM
    u16be(1812), // option 3: max packet size
    zeroSig, // option 5: signature (zeroed for signing)
    payload,
  );
  t.is(bytes.length, hand.length);
  const sigAt = 22 + 32 + dest.bytes.length + 2;
  t.deepEqual(bytes.subarray(0, sigAt), hand.subarray(0, sigAt));
  t.deepEqual(bytes.subarray(sigAt + 64), hand.subarray(sigAt + 64));
  const sig = bytes.subarray(sigAt, sigAt + 64);
  t.true(ed25519Verify(dest.signingPublicKey, hand, sig), 'signature is over the packet with a zeroed signature field');
  t.false(ed25519Verify(dest.signingPublicKey, bytes, sig));
  const p = parsePacket(bytes);
  t.is(p.signatureOffset, sigAt);
  t.deepEqual(p.from!.hash, dest.hash);
  t.is(p.maxPacketSize, 1812);
  t.deepEqual(synTargetHash(p), target.hash);
  t.true(verifyPacket(p, verifierFor(p.from!, undefined, Date.now())!));
  // any changed byte breaks it
  for (const at of [0, 5, 20, 60, sigAt - 1, bytes.length - 1]) {
    const bad = bytes.slice();
    bad[at]! ^= 1;
    let ok = false;
    try {
      const q = parsePacket(bad);
      ok = verifyPacket(q, verifierFor(p.from!, undefined, Date.now())!);
    } catch (e) {
      t.true(e instanceof ParseError);
    }
    t.false(ok, `byte ${at}`);
  }
});

test('CLOSE without FROM: the signature length comes from the caller, or from the rest of the options', (t) => {
  const bytes = signPacket(
    { sendStreamId: 1, receiveStreamId: 2, sequenceNum: 7, ackThrough: 3, nacks: [], resendDelay: 0, flags: PacketFlag.CLOSE, payload: empty },
    signer,
  );
  // i2pd SendClose: flags CLOSE | SIGNATURE_INCLUDED, option size = signature length, no payload
  t.is(bytes.length, 22 + 64);
  t.deepEqual(bytes.subarray(18, 22), Uint8Array.of(0x00, 0x0a, 0x00, 0x40));
  const v = { sigType: dest.sigType, publicKey: dest.signingPublicKey };
  t.true(verifyPacket(parsePacket(bytes, { signatureLength: 64 }), v));
  t.true(verifyPacket(parsePacket(bytes), v), 'inferred from the option size');
  const e = t.throws(() => parsePacket(bytes, { signatureLength: 128 }), { instanceOf: ParseError });
  t.is(e.code, 'BAD_OPTIONS');
});

test('offline keys: OFFLINE_SIGNATURE block after max packet size; verified by the transient key; expiry enforced', (t) => {
  const offlineKeys = createOfflineKeys(keys, { expires: Math.floor(Date.now() / 1000) + 3600 });
  const s = streamingSignerFromKeys(offlineKeys);
  t.truthy(s.offlineSignature);
  const bytes = signPacket(
    {
      sendStreamId: 0,
      receiveStreamId: 9,
      sequenceNum: 0,
      ackThrough: 0,
      nacks: [],
      resendDelay: 9,
      flags: PacketFlag.SYNCHRONIZE | PacketFlag.FROM_INCLUDED | PacketFlag.MAX_PACKET_SIZE_INCLUDED | PacketFlag.NO_ACK,
      from: s.destination,
      maxPacketSize: 1730,
      payload: empty,
    },
    s,
  );
  const p = parsePacket(bytes);
  t.true((p.flags & PacketFlag.OFFLINE_SIGNATURE) !== 0);
  const off = p.offlineSignature!;
  // layout: FROM, max packet size, expires(4) type(2) transient key(32) signature(64), packet signature(64)
  const at = 22 + dest.bytes.length + 2;
  t.deepEqual(bytes.subarray(at, at + 4), u32be(off.expires));
  t.deepEqual(bytes.subarray(at + 4, at + 6), u16be(7));
  t.deepEqual(bytes.subarray(at + 6, at + 38), s.offlineSignature!.transientPublicKey);
  t.is(p.signatureOffset, at + 6 + 32 + 64);
  const v = verifierFor(p.from!, off, Date.now())!;
  t.deepEqual(v.publicKey, s.offlineSignature!.transientPublicKey);
  t.true(verifyPacket(p, v));
  t.false(verifyPacket(p, { sigType: dest.sigType, publicKey: dest.signingPublicKey }), 'not by the long-term key');
  t.is(verifierFor(p.from!, off, (off.expires + 1) * 1000), undefined, 'expired');
  const forged: OfflineSignature = createOfflineSignature(
    { expires: off.expires, transientSigType: 7, transientPublicKey: new Ed25519Key(new Uint8Array(32).fill(3)).publicKey },
    new Ed25519Key(new Uint8Array(32).fill(4)),
  );
  t.is(verifierFor(p.from!, forged, Date.now()), undefined, 'offline block not signed by the destination');
});

test('pong: 22-byte header, receiveStreamId = the ping’s sendStreamId, ECHO only, payload echoed up to 32 bytes', (t) => {
  const ping = signPacket(
    {
      sendStreamId: 0xdeadbeef,
      receiveStreamId: 0,
      sequenceNum: 0,
      ackThrough: 0,
      nacks: [],
      resendDelay: 0,
      flags: PacketFlag.ECHO | PacketFlag.FROM_INCLUDED,
      from: dest,
      payload: new Uint8Array(40).fill(0x61),
    },
    signer,
  );
  const pong = buildPong(parsePacket(ping));
  t.deepEqual(
    pong,
    concatBytes(u32be(0), u32be(0xdeadbeef), new Uint8Array(10), u16be(0x0200), u16be(0), new Uint8Array(32).fill(0x61)),
  );
});

test('NACK field as destination hash: 8 NACKs, only in a SYN', (t) => {
  const h = Uint8Array.from({ length: 32 }, (_, i) => i * 7);
  const nacks = nacksFromHash(h);
  t.is(nacks.length, 8);
  t.is(nacks[0], 0x00070e15);
  const base = { sendStreamId: 0, receiveStreamId: 1, sequenceNum: 0, ackThrough: 0, nacks, resendDelay: 0, payload: empty };
  t.deepEqual(synTargetHash({ ...base, flags: PacketFlag.SYNCHRONIZE }), h);
  t.is(synTargetHash({ ...base, flags: 0 }), undefined);
  t.is(synTargetHash({ ...base, nacks: [1, 2], flags: PacketFlag.SYNCHRONIZE }), undefined);
});

test('serialize refuses inconsistent flags and out-of-range fields (RangeError)', (t) => {
  const base: StreamPacket = { sendStreamId: 1, receiveStreamId: 2, sequenceNum: 0, ackThrough: 0, nacks: [], resendDelay: 0, flags: 0, payload: empty };
  t.throws(() => serializePacket({ ...base, flags: PacketFlag.DELAY_REQUESTED }), { instanceOf: RangeError });
  t.throws(() => serializePacket({ ...base, delay: 5 }), { instanceOf: RangeError });
  t.throws(() => serializePacket({ ...base, sendStreamId: 2 ** 32 }), { instanceOf: RangeError });
  t.throws(() => serializePacket({ ...base, nacks: new Array(256).fill(1) }), { instanceOf: RangeError });
  t.throws(() => serializePacket({ ...base, resendDelay: 256 }), { instanceOf: RangeError });
});

// ---- property tests ----

const u32 = fc.integer({ min: 0, max: 0xffffffff });
const OPTION_BITS =
  PacketFlag.DELAY_REQUESTED | PacketFlag.FROM_INCLUDED | PacketFlag.MAX_PACKET_SIZE_INCLUDED | PacketFlag.OFFLINE_SIGNATURE | PacketFlag.SIGNATURE_INCLUDED;
const destinations = [dest, ...hostDests];

const offlineSig = (from: Destination): fc.Arbitrary<OfflineSignature> =>
  fc.record({
    expires: u32,
    transientSigType: fc.constantFrom(7, 1),
    key: fc.uint8Array({ minLength: 64, maxLength: 64 }),
    signature: fc.uint8Array({ minLength: 132, maxLength: 132 }),
  }).map(({ expires, transientSigType, key, signature }) => ({
    expires,
    transientSigType,
    transientPublicKey: key.subarray(0, transientSigType === 7 ? 32 : 64),
    signature: signature.subarray(0, from.sigType === 0 ? 40 : from.sigType === 7 ? 64 : 64),
  }));

const packetArb: fc.Arbitrary<{ p: StreamPacket; sigLen: number }> = fc
  .record({
    sendStreamId: u32,
    receiveStreamId: u32,
    sequenceNum: u32,
    ackThrough: u32,
    nacks: fc.array(u32, { maxLength: 20 }),
    resendDelay: fc.integer({ min: 0, max: 255 }),
    otherFlags: fc.integer({ min: 0, max: 0xffff }),
    delay: fc.option(fc.integer({ min: 0, max: 0xffff }), { nil: undefined }),
    from: fc.option(fc.constantFrom(...destinations), { nil: undefined }),
    maxPacketSize: fc.option(fc.integer({ min: 0, max: 0xffff }), { nil: undefined }),
    withOffline: fc.boolean(),
    withSig: fc.boolean(),
    sigSeed: fc.uint8Array({ minLength: 132, maxLength: 132 }),
    noFromSigLen: fc.constantFrom(40, 64, 132),
    payload: fc.uint8Array({ maxLength: 200 }),
  })
  .chain((r) =>
    (r.from && r.withOffline ? offlineSig(r.from).map((o) => o as OfflineSignature | undefined) : fc.constant(undefined)).map((offlineSignature) => {
      const sigLen = offlineSignature
        ? offlineSignature.transientSigType === 7
          ? 64
          : 64
        : r.from
          ? r.from.sigType === 0
            ? 40
            : 64
          : r.noFromSigLen;
      const signature = r.withSig ? r.sigSeed.subarray(0, sigLen) : undefined;
      let flags = r.otherFlags & ~OPTION_BITS;
      if (r.delay !== undefined) flags |= PacketFlag.DELAY_REQUESTED;
      if (r.from) flags |= PacketFlag.FROM_INCLUDED;
      if (r.maxPacketSize !== undefined) flags |= PacketFlag.MAX_PACKET_SIZE_INCLUDED;
      if (offlineSignature) flags |= PacketFlag.OFFLINE_SIGNATURE;
      if (signature) flags |= PacketFlag.SIGNATURE_INCLUDED;
      const p: StreamPacket = {
        sendStreamId: r.sendStreamId,
        receiveStreamId: r.receiveStreamId,
        sequenceNum: r.sequenceNum,
        ackThrough: r.ackThrough,
        nacks: r.nacks,
        resendDelay: r.resendDelay,
        flags,
        delay: r.delay,
        from: r.from,
        maxPacketSize: r.maxPacketSize,
        offlineSignature,
        signature,
        payload: r.payload,
      };
      return { p, sigLen };
    }),
  );

test('round trip: parse(serialize(p)) = p (fast-check)', (t) => {
  t.true(destinations.some((d) => d.sigType === 0) && destinations.some((d) => d.sigType === 7), 'both DSA and Ed25519 FROMs exercised');
  fc.assert(
    fc.property(packetArb, ({ p, sigLen }) => {
      const bytes = serializePacket(p);
      const q = parsePacket(bytes, { signatureLength: sigLen });
      const { raw, signatureOffset, from, ...rest } = q;
      const { from: pFrom, ...pRest } = p;
      t.deepEqual(rest, { ...pRest, delay: p.delay, maxPacketSize: p.maxPacketSize, offlineSignature: p.offlineSignature, signature: p.signature });
      t.is(from?.hash.join(), pFrom?.hash.join());
      t.deepEqual(raw, bytes);
      t.is(signatureOffset >= 0, p.signature !== undefined);
      if (p.signature) t.deepEqual(bytes.subarray(signatureOffset, signatureOffset + p.signature.length), p.signature);
      t.deepEqual(serializePacket(q), bytes);
    }),
    { numRuns: 300 },
  );
});

test('fuzz: random bytes make parsePacket throw ParseError only', (t) => {
  // fully random, and random bodies behind a header whose flags announce random options
  const headed = fc
    .tuple(fc.uint8Array({ minLength: 17, maxLength: 17 }), fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 700 }), fc.uint8Array({ maxLength: 800 }))
    .map(([h, flags, optSize, rest]) => {
      const head = h.slice();
      head[16] = head[16]! % 3; // few NACKs
      return concatBytes(head, new Uint8Array(4 * head[16]!), Uint8Array.of(0), u16be(flags), u16be(optSize), rest);
    });
  const codes = new Set<string>();
  let parsed = 0;
  fc.assert(
    fc.property(fc.oneof(fc.uint8Array({ maxLength: 600 }), headed), fc.option(fc.integer({ min: 0, max: 200 }), { nil: undefined }), (b, sl) => {
      try {
        const p = parsePacket(b, { signatureLength: sl });
        parsed++;
        if (p.payload.length > b.length) throw new Error('payload longer than the packet');
      } catch (e) {
        if (!(e instanceof ParseError)) throw e;
        codes.add(e.code);
      }
    }),
    { numRuns: 4000 },
  );
  t.true(parsed > 0, 'some inputs parse');
  t.true(codes.has('TRUNCATED') && codes.has('BAD_OPTIONS'), [...codes].join());
});

test('fuzz: mutated valid packets make parsePacket throw ParseError only', (t) => {
  const valid = packetArb.map(({ p }) => serializePacket(p));
  const mutated = fc
    .tuple(valid, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }), fc.option(fc.nat(), { nil: undefined }))
    .map(([b, edits, cut]) => {
      const out = Uint8Array.from(b);
      for (const [i, v] of edits) out[i % out.length] = v;
      return cut === undefined ? out : out.subarray(0, cut % (out.length + 1));
    });
  let parsed = 0;
  fc.assert(
    fc.property(mutated, (b) => {
      try {
        parsePacket(b);
        parsed++;
      } catch (e) {
        if (!(e instanceof ParseError)) throw e;
      }
    }),
    { numRuns: 2000 },
  );
  t.true(parsed > 0);
});
