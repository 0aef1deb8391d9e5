/**
 * An in-process transit hop for bench/transit.ts: a real TunnelManager (tunnels/manager.ts) that accepted a
 * real ShortTunnelBuild as a participant (neither gateway nor endpoint), so TunnelData fed to
 * `TunnelManager.handleMessage` takes exactly the router's transit path (parseTunnelData → TransitTunnels →
 * TransitTunnel.handleTunnelData → TunnelLayer.encrypt → send).
 *
 * The tunnel: a 2-hop inbound tunnel [gateway, hop] built by a creator with tunnels/build/creator.ts. The
 * gateway's record is opened, sealed and forwarded with tunnels/build/participant.ts (what a gateway router
 * does), the forwarded ShortTunnelBuild goes into the hop's handleMessage, and the hop's reply (sent on to the
 * creator, the inbound endpoint) is read back with readTunnelBuildReply to check the hop accepted.
 */
import { X25519Key } from '../../crypto/x25519.js';
import { systemRandom, type Random } from '../../crypto/random.js';
import { systemTimers } from '../../netdb/timers.js';
import { I2NPType, type I2NPMessage } from '../../i2np/header.js';
import { BuildFormat, parseTunnelBuildRecords } from '../../i2np/tunnel-build.js';
import { TunnelManager } from '../../tunnels/manager.js';
import { createTunnelBuild, readTunnelBuildReply } from '../../tunnels/build/creator.js';
import { BuildRecordDecryptor, BuildReplyStatus } from '../../tunnels/build/records.js';
import { buildForward, openBuildRequest, sealBuildReply } from '../../tunnels/build/participant.js';

export interface TransitHop {
  /** The hop's TunnelManager: feed it with handleMessage(msg, from). */
  manager: TunnelManager;
  /** Where every message the hop sends goes (replace it to count / serialize). */
  setSink(fn: (peer: Uint8Array, msg: I2NPMessage) => boolean): void;
  /** The previous hop (the gateway), as `from`. */
  gatewayHash: Uint8Array;
  /** The hop's receive tunnel id (what TunnelData for it carries). */
  receiveTunnelId: number;
  /** Where the hop forwards: the creator's router hash and its inbound tunnel id. */
  nextIdent: Uint8Array;
  nextTunnelId: number;
  /** The hop's layer keys, as the creator knows them (to check the forwarded bytes). */
  layer: { layerKey: Uint8Array; ivKey: Uint8Array };
}

function node(random: Random): { key: X25519Key; hash: Uint8Array } {
  return { key: new X25519Key(random.bytes(32)), hash: random.bytes(32) };
}

export function setupTransitHop(random: Random = systemRandom): TransitHop {
  const gw = node(random);
  const hop = node(random);
  const creator = random.bytes(32);
  let sink: (peer: Uint8Array, msg: I2NPMessage) => boolean = () => true;
  const manager = new TunnelManager({
    ourHash: hop.hash,
    ourKey: hop.key,
    send: (peer, msg) => sink(peer, msg),
    routers: () => [],
    getRouter: () => undefined,
    garlicWrapWithReplyKey: () => {
      throw new Error('not used by a participant');
    },
    garlicAddReplyKey: () => undefined,
    deliverLocal: () => undefined,
    timers: systemTimers(),
    random,
    transit: { accept: true, maxTunnels: 2500 },
    exploratory: { inbound: { length: 2, quantity: 0 }, outbound: { length: 2, quantity: 0 } },
    enforceSubnets: false,
  });
  // Not started: no pools, no timers. The transit path does not need start().

  const now = Date.now();
  const replyMsgId = random.int(1, 0x1_0000_0000);
  const build = createTunnelBuild({
    format: 'short',
    direction: 'inbound',
    hops: [
      { routerHash: gw.hash, x25519PublicKey: gw.key.publicKey },
      { routerHash: hop.hash, x25519PublicKey: hop.key.publicKey },
    ],
    ourHash: creator,
    replyMsgId,
    now,
    random,
  });
  // The gateway's part, as a gateway router does it.
  const opened = openBuildRequest(new BuildRecordDecryptor(gw.key, gw.hash), build.records);
  if (!opened || opened.role !== 'ibgw') throw new Error('bench: gateway record did not open as IBGW');
  const sealed = sealBuildReply(opened, build.records, BuildReplyStatus.Accept, { random });
  const fwd = buildForward(opened, sealed, { ourHash: gw.hash, expiration: now + 8000 });
  if (fwd.kind !== 'router') throw new Error('bench: unexpected build forward');

  // The hop's part: the router's entry point.
  let reply: I2NPMessage | undefined;
  sink = (_peer, msg) => {
    if (msg.type === I2NPType.ShortTunnelBuild && msg.msgId === replyMsgId) reply = msg;
    return true;
  };
  manager.handleMessage(fwd.message, gw.hash);
  if (!reply) throw new Error(`bench: the hop sent no build reply (${JSON.stringify(manager.stats().dropped)})`);
  const result = readTunnelBuildReply(build, parseTunnelBuildRecords(reply.payload, BuildFormat.ShortTunnelBuild).records);
  if (!result.accepted) throw new Error(`bench: build rejected: ${result.hops.map((h) => h.status).join(',')}`);
  const t = manager.transitTunnels()[0];
  if (!t || t.role !== 'participant') throw new Error('bench: no participant transit tunnel');
  sink = () => true;
  return {
    manager,
    setSink: (fn) => (sink = fn),
    gatewayHash: gw.hash,
    receiveTunnelId: build.hops[1]!.receiveTunnelId,
    nextIdent: creator,
    nextTunnelId: build.tunnelId,
    layer: result.layers[1]!,
  };
}
