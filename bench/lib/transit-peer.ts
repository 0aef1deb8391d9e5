/**
 * The clove side of bench/transit.ts part 2, run INSIDE the bench's network namespace (`ip netns exec`):
 * one clove router identity (router.keys, ntcp2.keys, router.info in `datadir`, made by the bench, its
 * RouterInfo already in i2pd's netDb folder) that
 *   1. opens an NTCP2 session to the i2pd router under test (transport/ntcp2 connectNtcp2);
 *   2. builds a 2-hop inbound tunnel [us, i2pd] with tunnels/build (ShortTunnelBuild): we are the gateway
 *      (our own record opened, sealed and forwarded with tunnels/build/participant.ts, as a clove IBGW does),
 *      i2pd is a plain participant whose next hop is us (the tunnel's endpoint / creator), so i2pd forwards
 *      the build back to us on the same session and we read its reply;
 *   3. on "go" (a line on stdin), sends `n` TunnelData messages for i2pd's receive tunnel id over the session
 *      (at most `window` in flight, `batch` per sendI2NP call) and counts the TunnelData i2pd forwards back
 *      on our tunnel id; the first `verify` are checked byte for byte against i2pd's layer (known from the
 *      build), so what is counted is really forwarded traffic.
 * Talks to the bench with one JSON object per stdout line. Never dials anything outside the namespace.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { systemRandom as random } from '../../crypto/random.js';
import { X25519Key } from '../../crypto/x25519.js';
import { TunnelLayer } from '../../crypto/tunnel-layer.js';
import { fromBase64 } from '../../data/base64.js';
import { addressOption, parseRouterInfo } from '../../data/router-info.js';
import { I2NPType } from '../../i2np/header.js';
import { BuildFormat, parseTunnelBuildRecords } from '../../i2np/tunnel-build.js';
import { TUNNEL_DATA_SIZE } from '../../i2np/tunnel-data.js';
import { loadOrCreateNtcp2Keys, loadOrCreateRouterKeys } from '../../router/keys.js';
import { connectNtcp2, type I2npBlock, type OutgoingI2np } from '../../transport/ntcp2/index.js';
import { createTunnelBuild, readTunnelBuildReply } from '../../tunnels/build/creator.js';
import { BuildRecordDecryptor, BuildReplyStatus } from '../../tunnels/build/records.js';
import { buildForward, openBuildRequest, sealBuildReply } from '../../tunnels/build/participant.js';

export interface PeerConfig {
  datadir: string;
  localAddress: string;
  /** Path of the i2pd router's router.info. */
  i2pdRouterInfo: string;
  netId: number;
  n: number;
  window: number;
  batch: number;
  verify: number;
}

function say(o: object): void {
  process.stdout.write(JSON.stringify(o) + '\n');
}

async function main(): Promise<void> {
  const cfg = JSON.parse(process.argv[2]!) as PeerConfig;
  const { keys } = await loadOrCreateRouterKeys(cfg.datadir);
  const { keys: nk } = await loadOrCreateNtcp2Keys(cfg.datadir);
  const ourRi = new Uint8Array(await readFile(join(cfg.datadir, 'router.info')));
  const ourHash = keys.identity.hash;
  const peer = parseRouterInfo(new Uint8Array(await readFile(cfg.i2pdRouterInfo)));
  const addr = peer.addresses.find((a) => a.transportStyle === 'NTCP2' && addressOption(a, 'host') && addressOption(a, 's'));
  if (!addr) throw new Error('i2pd RouterInfo has no published NTCP2 address');
  const session = await connectNtcp2({
    host: addressOption(addr, 'host')!,
    port: Number(addressOption(addr, 'port')),
    localAddress: cfg.localAddress,
    routerInfo: ourRi,
    remote: { routerHash: peer.identity.hash, staticKey: fromBase64(addressOption(addr, 's')!), iv: fromBase64(addressOption(addr, 'i')!) },
    staticKey: nk.staticKey,
    netId: cfg.netId,
    idleTimeoutMs: 600_000,
    highWaterMark: 4 << 20,
    maxWriteBufferBytes: 64 << 20,
  });
  const closed = new Promise<void>((res) => session.once('close', () => res()));
  say({ event: 'connected' });

  // ---- the tunnel ----
  const now = Date.now();
  const replyMsgId = random.int(1, 0x1_0000_0000);
  const build = createTunnelBuild({
    format: 'short',
    direction: 'inbound',
    hops: [
      { routerHash: ourHash, x25519PublicKey: keys.identity.cryptoPublicKey! },
      { routerHash: peer.identity.hash, x25519PublicKey: peer.identity.cryptoPublicKey! },
    ],
    ourHash,
    replyMsgId,
    now,
    random,
  });
  const opened = openBuildRequest(new BuildRecordDecryptor(new X25519Key(keys.cryptoPrivateKey), ourHash), build.records);
  if (!opened) throw new Error('our own build record did not open');
  const fwd = buildForward(opened, sealBuildReply(opened, build.records, BuildReplyStatus.Accept, { random }), { ourHash, expiration: now + 8000 });
  if (fwd.kind !== 'router') throw new Error('unexpected build forward');

  const recvTunnel = build.tunnelId; // i2pd forwards to us with this id
  const sendTunnel = build.hops[1]!.receiveTunnelId; // i2pd receives on this id
  const layer = new TunnelLayer(build.hops[1]!.layerKey, build.hops[1]!.ivKey);

  let received = 0;
  let otherMessages = 0;
  let verified = 0;
  let mismatched = 0;
  const expected = new Map<string, Uint8Array>(); // first 16 bytes (i2pd's output IV) → whole expected body
  let onData: (() => void) | undefined;
  let replyResolve: ((b: I2npBlock) => void) | undefined;
  session.on('i2np', (b) => {
    if (b.msgType === I2NPType.TunnelData && b.body.length === TUNNEL_DATA_SIZE) {
      const id = (b.body[0]! << 24) | (b.body[1]! << 16) | (b.body[2]! << 8) | b.body[3]!;
      if (id >>> 0 === recvTunnel) {
        received++;
        if (expected.size) {
          const body = b.body.subarray(4);
          const key = Buffer.from(body.subarray(0, 16)).toString('hex');
          const exp = expected.get(key);
          if (exp) {
            expected.delete(key);
            if (Buffer.from(exp).equals(Buffer.from(body))) verified++;
            else mismatched++;
          }
        }
        onData?.();
        return;
      }
    }
    if (b.msgType === I2NPType.ShortTunnelBuild && b.msgId === replyMsgId) {
      replyResolve?.(b);
      return;
    }
    otherMessages++;
  });
  const replyP = new Promise<I2npBlock>((res, rej) => {
    replyResolve = res;
    setTimeout(() => rej(new Error('no build reply from i2pd within 20 s')), 20_000).unref();
  });
  const sec = (ms: number): number => Math.floor(ms / 1000);
  session.sendI2NP({ msgType: fwd.message.type, msgId: fwd.message.msgId, expiration: sec(fwd.message.expiration), body: fwd.message.payload });
  const reply = await replyP;
  const result = readTunnelBuildReply(build, parseTunnelBuildRecords(reply.body, BuildFormat.ShortTunnelBuild).records);
  say({ event: 'built', accepted: result.accepted, status: result.hops.map((h) => h.status), buildMs: Date.now() - now });
  if (!result.accepted) {
    session.close();
    await closed;
    return;
  }

  // ---- traffic, on "go" ----
  const lines = createInterface({ input: process.stdin });
  const commands = lines[Symbol.asyncIterator]();
  const next = async (): Promise<string> => ((await commands.next()).value as string | undefined) ?? 'quit';
  for (let cmd = await next(); cmd !== 'quit'; cmd = await next()) {
    if (cmd !== 'go') continue;
    received = 0;
    verified = 0;
    mismatched = 0;
    expected.clear();
    const pool = Array.from({ length: 256 }, () => {
      const p = random.bytes(TUNNEL_DATA_SIZE);
      new DataView(p.buffer, p.byteOffset).setUint32(0, sendTunnel);
      return p;
    });
    let sent = 0;
    let lost = 0;
    let lastProgress = Date.now();
    const started = performance.now();
    const cpu0 = process.cpuUsage();
    await new Promise<void>((done) => {
      const pump = (): void => {
        while (sent < cfg.n && sent - received - lost < cfg.window) {
          const k = Math.min(cfg.batch, cfg.n - sent, cfg.window - (sent - received - lost));
          const exp = sec(Date.now()) + 8;
          const msgs: OutgoingI2np[] = [];
          for (let j = 0; j < k; j++, sent++) {
            let body = pool[sent & 255]!;
            if (sent < cfg.verify) {
              body = random.bytes(TUNNEL_DATA_SIZE);
              new DataView(body.buffer, body.byteOffset).setUint32(0, sendTunnel);
              const e = body.slice(4);
              layer.encrypt(e);
              expected.set(Buffer.from(e.subarray(0, 16)).toString('hex'), e);
            }
            msgs.push({ msgType: I2NPType.TunnelData, msgId: random.int(1, 0x1_0000_0000), expiration: exp, body });
          }
          session.sendI2NP(msgs);
        }
        if (received + lost >= cfg.n) finish();
      };
      const timer = setInterval(() => {
        // Stalled for 2 s: count what is in flight as lost and go on.
        if (Date.now() - lastProgress > 2000) {
          lost = sent - received;
          lastProgress = Date.now();
          pump();
        }
      }, 250);
      const finish = (): void => {
        clearInterval(timer);
        onData = undefined;
        done();
      };
      onData = () => {
        lastProgress = Date.now();
        if (received + lost >= cfg.n) finish();
        else if (sent - received - lost <= cfg.window / 2) pump();
      };
      pump();
    });
    const wallMs = performance.now() - started;
    const cpu = process.cpuUsage(cpu0);
    say({ event: 'done', sent, received, lost: sent - received, verified, mismatched, wallMs, peerCpuUs: cpu.user + cpu.system, otherMessages });
  }
  session.close();
  await Promise.race([closed, new Promise((r) => setTimeout(r, 2000).unref())]);
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    say({ event: 'error', error: e instanceof Error ? e.stack ?? e.message : String(e) });
    process.exit(1);
  },
);
