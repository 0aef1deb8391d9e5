/**
 * Replays of real NTCP2 sessions with i2pd 2.45.1 (see vectors/README.md for provenance): the machines,
 * configured with the recorded keys, RNG seed and clock, must reproduce our side byte for byte, accept
 * i2pd's side, and decrypt i2pd's data-phase frames. Bytes are fed as a socket would deliver them: the
 * fixed 64-byte part first, then what the machine says it still expects.
 */
import test from 'ava';
import { readFileSync } from 'node:fs';
import { sha256 } from '../../../crypto/hash.js';
import { X25519Key } from '../../../crypto/x25519.js';
import { equalBytes, fromHex, toHex } from '../../../data/bytes.js';
import type { Block } from '../../../transport/ntcp2/frames.js';
import { createFrameCodec, Ntcp2Initiator, Ntcp2Responder, type DataPhaseKeys } from '../../../transport/ntcp2/handshake.js';
import { Ntcp2ReplayCache } from '../../../transport/ntcp2/replay.js';
import { seededRandom } from './ntcp2-helpers.js';

const load = (name: string) => JSON.parse(readFileSync(new URL(`./vectors/${name}`, import.meta.url), 'utf8'));

/** RouterIdentity length: 384 bytes of keys + certificate (type, 2-byte length, payload). */
const identityLength = (ri: Uint8Array) => 387 + ((ri[385]! << 8) | ri[386]!);

function drain(keys: DataPhaseKeys, bytes: Uint8Array): string[] {
  const { decoder } = createFrameCodec(keys);
  decoder.push(bytes);
  const frames: Block[][] = [];
  for (let f = decoder.next(); f; f = decoder.next()) frames.push(f);
  if (decoder.bufferedBytes !== 0) throw new Error('incomplete frame left');
  return frames.map((f) => f.map((b) => (b.type === 'i2np' ? `i2np:${b.msgType}` : b.type)).join(','));
}

test('i2pd as Alice → clove Bob: SessionCreated reproduced, SessionConfirmed accepted, frames decrypted', (t) => {
  const v = load('ntcp2-i2pd-2.45.1-inbound.json');
  const inbound = fromHex(v.inbound);
  const i2pdHash = fromHex(v.i2pd.routerHash);
  const bob = new Ntcp2Responder({
    staticKey: new X25519Key(fromHex(v.bob.staticPrivateKey)),
    ephemeralKey: new X25519Key(fromHex(v.bob.ephemeralPrivateKey)),
    routerHash: fromHex(v.bob.routerHash),
    iv: fromHex(v.bob.iv),
    netId: v.bob.netId,
    now: () => v.bob.nowMs,
    random: seededRandom(v.bob.seed),
    replayCache: new Ntcp2ReplayCache(),
    // test double: hash the identity; i2pd's s is known from its published NTCP2 address
    verifyRouterInfo: (ri) => ({ hash: sha256(ri.subarray(0, identityLength(ri))), staticKey: fromHex(v.i2pd.ntcp2StaticKey) }),
  });
  t.deepEqual(bob.receive(inbound.subarray(0, 64)), {});
  const m1 = 64 + bob.expecting;
  t.true(m1 <= 64 + 223, 'i2pd pads message 1 to at most 287 bytes');
  const s1 = bob.receive(inbound.subarray(64, m1));
  t.falsy(s1.failed);
  t.is(toHex(s1.send!), v.outbound, 'SessionCreated byte-exact');
  const s3 = bob.receive(inbound.subarray(m1));
  t.falsy(s3.failed);
  const e = s3.established!;
  t.truthy(e);
  t.true(equalBytes(e.peerRouterHash, i2pdHash));
  t.true(equalBytes(e.peerStaticKey, fromHex(v.i2pd.ntcp2StaticKey)));
  t.is(e.peerRouterInfoFlood, false);
  // i2pd dialled a few seconds after Bob's recorded clock was taken
  t.true(e.clockSkewSeconds >= 0 && e.clockSkewSeconds <= 30, String(e.clockSkewSeconds));
  t.deepEqual(drain(e.keys, s3.rest!), ['i2np:23,i2np:25,i2np:25,i2np:11,i2np:11,padding']);
});

test('clove Alice → i2pd as Bob: messages 1 and 3 reproduced, SessionCreated accepted, frames decrypted', (t) => {
  const v = load('ntcp2-i2pd-2.45.1-outbound.json');
  const inbound = fromHex(v.inbound);
  const alice = new Ntcp2Initiator({
    staticKey: new X25519Key(fromHex(v.alice.staticPrivateKey)),
    ephemeralKey: new X25519Key(fromHex(v.alice.ephemeralPrivateKey)),
    routerInfo: fromHex(v.alice.routerInfo),
    netId: v.alice.netId,
    now: () => v.alice.nowMs,
    random: seededRandom(v.alice.seed),
    remote: { routerHash: fromHex(v.i2pd.routerHash), staticKey: fromHex(v.i2pd.ntcp2StaticKey), iv: fromHex(v.i2pd.iv) },
  });
  const msg1 = alice.start().send!;
  t.true(v.outbound.startsWith(toHex(msg1)), 'SessionRequest byte-exact');
  t.deepEqual(alice.receive(inbound.subarray(0, 64)), {});
  const m2 = 64 + alice.expecting;
  t.true(m2 <= 64 + 223, 'i2pd pads message 2 to at most 287 bytes');
  const s2 = alice.receive(inbound.subarray(64, m2));
  t.falsy(s2.failed);
  t.is(toHex(msg1) + toHex(s2.send!), v.outbound, 'SessionConfirmed byte-exact');
  const e = s2.established!;
  t.true(Math.abs(e.clockSkewSeconds) <= 1);
  t.deepEqual(drain(e.keys, inbound.subarray(m2)), ['i2np:1,padding', 'i2np:25,padding', 'i2np:25,padding']);
});

test('the recorded SessionRequest from i2pd is refused as a replay the second time', (t) => {
  const v = load('ntcp2-i2pd-2.45.1-inbound.json');
  const inbound = fromHex(v.inbound);
  const cache = new Ntcp2ReplayCache();
  const mk = () =>
    new Ntcp2Responder({
      staticKey: new X25519Key(fromHex(v.bob.staticPrivateKey)),
      routerHash: fromHex(v.bob.routerHash),
      iv: fromHex(v.bob.iv),
      netId: v.bob.netId,
      now: () => v.bob.nowMs,
      replayCache: cache,
      verifyRouterInfo: () => {
        throw new Error('unused');
      },
    });
  t.falsy(mk().receive(inbound.subarray(0, 64)).failed);
  const again = mk().receive(inbound.subarray(0, 64));
  t.is((again.failed?.error as { code?: string } | undefined)?.code, 'REPLAY');
});
