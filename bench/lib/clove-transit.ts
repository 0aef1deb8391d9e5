/**
 * Part 1 of bench/transit.ts: clove's transit forwarding in-process, on one core (this thread). See
 * bench/README.md "transit.ts".
 */
import { randomBytes } from 'node:crypto';
import { I2NPType, type I2NPMessage } from '../../i2np/header.js';
import { parseTunnelData, TUNNEL_DATA_SIZE } from '../../i2np/tunnel-data.js';
import { TunnelLayer } from '../../crypto/tunnel-layer.js';
import { encodeBlocks, parseBlocks, FrameDecoder, FrameEncoder, type Block, type DirectionKeys } from '../../transport/ntcp2/frames.js';
import { setupTransitHop } from './transit-hop.js';

export interface CloveTransitResult {
  /** TunnelManager.handleMessage on ready I2NPMessage objects. */
  core: Rate;
  /** NTCP2 block payload in → handleMessage → block payload out (no frame crypto). */
  wire: Rate;
  /** As `wire`, plus NTCP2 data-phase frame decrypt in (`batch` messages per frame) and encrypt out (one per frame). */
  wireCrypto: Rate;
  /** As `wireCrypto`, but the messages forwarded from one incoming frame leave in one frame (hypothetical). */
  wireCryptoBatched: Rate;
  /** µs per message of each step, measured alone. */
  split: { parse: number; layer: number; serialize: number; frameDecrypt: number; frameEncrypt: number };
  forwardedOk: boolean;
}

export interface Rate {
  msgsPerSec: number;
  usPerMsg: number;
  /** TunnelData payload megabytes (10^6 B, 1028 B per message) per second. */
  mbPerSec: number;
}

const POOL = 256;

function rate(n: number, ms: number): Rate {
  const msgsPerSec = (n * 1000) / ms;
  return { msgsPerSec, usPerMsg: 1e6 / msgsPerSec, mbPerSec: (msgsPerSec * TUNNEL_DATA_SIZE) / 1e6 };
}

/** Run `step(i)` in batches for `ms` milliseconds after a warm-up of `warmMs`; returns [count, elapsed ms]. */
function timeLoop(step: (i: number) => void, ms: number, warmMs: number): [number, number] {
  const run = (limit: number): [number, number] => {
    const start = performance.now();
    let n = 0;
    let elapsed = 0;
    while (elapsed < limit) {
      for (let k = 0; k < 256; k++) step(n + k);
      n += 256;
      elapsed = performance.now() - start;
    }
    return [n, elapsed];
  };
  run(warmMs);
  return run(ms);
}

function keys(): DirectionKeys {
  return { key: randomBytes(32), sipKey: randomBytes(16), sipIv: randomBytes(8) };
}

export function measureCloveTransit(opts: { ms: number; warmMs: number; batch: number }): CloveTransitResult {
  const hop = setupTransitHop();
  const tm = hop.manager;
  const from = hop.gatewayHash;
  const nowSec = () => Math.floor(Date.now() / 1000);

  // Distinct TunnelData payloads for the hop's receive tunnel id.
  const payloads = Array.from({ length: POOL }, () => {
    const p = new Uint8Array(randomBytes(TUNNEL_DATA_SIZE));
    new DataView(p.buffer).setUint32(0, hop.receiveTunnelId);
    return p;
  });

  // Check once that the hop really forwards: the right tunnel id, to the right router, our layer applied.
  let forwardedOk = false;
  {
    let out: I2NPMessage | undefined;
    let to: Uint8Array | undefined;
    hop.setSink((p, m) => ((out = m), (to = p), true));
    tm.handleMessage({ type: I2NPType.TunnelData, msgId: 1, expiration: Date.now() + 8000, payload: payloads[0]!.slice() }, from);
    const expect = payloads[0]!.slice(4);
    new TunnelLayer(hop.layer.layerKey, hop.layer.ivKey).encrypt(expect);
    const got = out as I2NPMessage | undefined;
    forwardedOk =
      got !== undefined &&
      got.type === I2NPType.TunnelData &&
      to !== undefined &&
      Buffer.from(to).equals(Buffer.from(hop.nextIdent)) &&
      parseTunnelData(got.payload).tunnelId === hop.nextTunnelId &&
      Buffer.from(got.payload.subarray(4)).equals(Buffer.from(expect));
  }

  // 1. core: handleMessage on ready messages; the send handle counts.
  let sent = 0;
  hop.setSink(() => (sent++, true));
  const msgs: I2NPMessage[] = payloads.map((payload, i) => ({ type: I2NPType.TunnelData, msgId: i + 1, expiration: Date.now() + 600_000, payload }));
  const [n1, t1] = timeLoop((i) => tm.handleMessage(msgs[i & (POOL - 1)]!, from), opts.ms, opts.warmMs);
  const core = rate(n1, t1);

  // 2. wire: the NTCP2 frame payload (one I2NP block, as parseBlocks sees it after decryption) → the
  // I2NPMessage transport/manager.ts builds → handleMessage → the block payload sendI2NP would encrypt.
  let outBytes = 0;
  const toBlockPayload = (m: I2NPMessage): Uint8Array =>
    encodeBlocks([{ type: 'i2np', msgType: m.type, msgId: m.msgId, expiration: Math.floor(m.expiration / 1000), body: m.payload }]);
  hop.setSink((_p, m) => ((outBytes += toBlockPayload(m).length), true));
  const blockPayloads = payloads.map((body, i) => encodeBlocks([{ type: 'i2np', msgType: I2NPType.TunnelData, msgId: i + 1, expiration: nowSec() + 600, body }]));
  const fromWire = (blocks: Block[]): void => {
    for (const b of blocks) {
      if (b.type !== 'i2np') continue;
      tm.handleMessage({ type: b.msgType, msgId: b.msgId, expiration: b.expiration * 1000, payload: Uint8Array.prototype.slice.call(b.body) }, from);
    }
  };
  const [n2, t2] = timeLoop((i) => fromWire(parseBlocks(blockPayloads[i & (POOL - 1)]!)), opts.ms, opts.warmMs);
  const wire = rate(n2, t2);

  // 3. wire + NTCP2 frame crypto: frames of `batch` I2NP blocks from a peer's FrameEncoder (made outside the
  // timed part, in chunks, since a FrameDecoder takes frames in nonce order), decrypted by our FrameDecoder,
  // forwarded, and encrypted by our FrameEncoder one message per frame, as Transports.send → sendI2NP does
  // (without its padding block and socket write).
  const batch = Math.max(1, Math.min(60, opts.batch));
  const batchPayloads = Array.from({ length: 16 }, (_, f) =>
    encodeBlocks(
      Array.from({ length: batch }, (_, j): Block => ({ type: 'i2np', msgType: I2NPType.TunnelData, msgId: f * batch + j + 1, expiration: nowSec() + 600, body: payloads[(f * batch + j) & (POOL - 1)]! })),
    ),
  );
  const withFrames = (batchOut: boolean): Rate => {
    const inKeys = keys();
    const peerEnc = new FrameEncoder(inKeys);
    const dec = new FrameDecoder(inKeys);
    const enc = new FrameEncoder(keys());
    const pending: Block[] = [];
    hop.setSink((_p, m) => {
      if (batchOut) pending.push({ type: 'i2np', msgType: m.type, msgId: m.msgId, expiration: Math.floor(m.expiration / 1000), body: m.payload });
      else outBytes += enc.encryptPayload(toBlockPayload(m)).length;
      return true;
    });
    const CHUNK = Math.ceil(2048 / batch);
    let n = 0;
    let t = 0;
    let warm = true;
    const warmUntil = performance.now() + opts.warmMs;
    for (;;) {
      const frames = Array.from({ length: CHUNK }, (_, i) => peerEnc.encryptPayload(batchPayloads[i & 15]!));
      const start = performance.now();
      for (const f of frames) {
        dec.push(f);
        const blocks = dec.next();
        if (blocks) fromWire(blocks);
        if (pending.length) {
          outBytes += enc.encode(pending).length;
          pending.length = 0;
        }
      }
      const el = performance.now() - start;
      if (warm) {
        if (performance.now() >= warmUntil) warm = false;
        continue;
      }
      n += CHUNK * batch;
      t += el;
      if (t >= opts.ms) break;
    }
    return rate(n, t);
  };
  const wireCrypto = withFrames(false);
  // Not what the router does today: every message forwarded out of one incoming frame in one outgoing frame.
  const wireCryptoBatched = withFrames(true);

  // Split, each step alone (µs per message).
  const stepMs = Math.max(200, opts.ms / 3);
  const stepWarm = Math.max(50, opts.warmMs / 3);
  let sinkN = 0;
  const us = ([n, t]: [number, number]): number => (t * 1000) / n;
  const parse = us(
    timeLoop(
      (i) => {
        for (const b of parseBlocks(blockPayloads[i & (POOL - 1)]!)) {
          if (b.type !== 'i2np') continue;
          const m = { type: b.msgType, msgId: b.msgId, expiration: b.expiration * 1000, payload: Uint8Array.prototype.slice.call(b.body) as Uint8Array };
          sinkN += parseTunnelData(m.payload).tunnelId & 1;
        }
      },
      stepMs,
      stepWarm,
    ),
  );
  const layerObj = new TunnelLayer(randomBytes(32), randomBytes(32));
  const bodies = payloads.map((p) => p.slice(4));
  const layer = us(timeLoop((i) => layerObj.encrypt(bodies[i & (POOL - 1)]!), stepMs, stepWarm));
  const serialize = us(
    timeLoop(
      (i) => {
        const out = new Uint8Array(TUNNEL_DATA_SIZE);
        new DataView(out.buffer).setUint32(0, hop.nextTunnelId);
        out.set(bodies[i & (POOL - 1)]!, 4);
        sinkN += toBlockPayload({ type: I2NPType.TunnelData, msgId: i, expiration: Date.now() + 8000, payload: out }).length & 1;
      },
      stepMs,
      stepWarm,
    ),
  );
  const frameEnc = new FrameEncoder(keys());
  const frameEncrypt = us(timeLoop((i) => (sinkN += frameEnc.encryptPayload(blockPayloads[i & (POOL - 1)]!).length & 1), stepMs, stepWarm));
  // Decrypt: frames made in chunks outside the timed part, as above.
  const dk = keys();
  const CH = 2048;
  const fe = new FrameEncoder(dk);
  const fd = new FrameDecoder(dk);
  let dn = 0;
  let dt = 0;
  while (dt < stepMs) {
    const frames = Array.from({ length: CH }, (_, i) => fe.encryptPayload(blockPayloads[i & (POOL - 1)]!));
    const s = performance.now();
    for (const f of frames) {
      fd.push(f);
      sinkN += fd.nextPayload()!.length & 1;
    }
    dt += performance.now() - s;
    dn += CH;
  }
  const frameDecrypt = (dt * 1000) / dn;
  if (sent === 0 || outBytes === 0 || sinkN < 0) throw new Error('bench: nothing forwarded');
  return { core, wire, wireCrypto, wireCryptoBatched, split: { parse, layer, serialize, frameDecrypt, frameEncrypt }, forwardedOk };
}
