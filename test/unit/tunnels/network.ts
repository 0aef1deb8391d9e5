/**
 * Test helpers (not a test file): an in-memory network of TunnelManagers in virtual time. Each node has its own
 * router keys and signed RouterInfo (NTCP2 address on 127.0.0.x), a RouterGarlic for reply keys and Noise-N
 * garlic, and a tiny router-style dispatch: tunnel messages to the manager, Garlic decrypted and its cloves
 * dispatched again, anything else recorded in `received`. Every message crosses the "wire" as a serialized
 * standard-header I2NP message that is parsed again on delivery (setImmediate).
 */
import { buildRouterInfo, type RouterInfo } from '../../../data/router-info.js';
import { generateRouterKeys, privateKeyFileSigner, type PrivateKeyFile } from '../../../data/private-key-file.js';
import { toBase64 } from '../../../data/base64.js';
import { toHex } from '../../../data/bytes.js';
import { systemRandom, type Random } from '../../../crypto/random.js';
import { X25519Key } from '../../../crypto/x25519.js';
import { I2NPType, parseI2NPStandard, serializeI2NPStandard, type I2NPMessage } from '../../../i2np/header.js';
import { parseGarlic, serializeGarlic } from '../../../i2np/garlic.js';
import { BlockType, cloveBlock, serializeBlocks } from '../../../garlic/blocks.js';
import { RouterGarlic, encryptReplyBlocks, encryptToRouter } from '../../../garlic/router-garlic.js';
import { TunnelManager, type TunnelManagerOptions } from '../../../tunnels/manager.js';
import { FakeTimers, T0 } from '../netdb/helpers.js';

export { FakeTimers, T0 };

export interface NodeOptions {
  caps?: string;
  version?: string;
  host?: string;
  transit?: { accept: boolean; maxTunnels: number };
  exploratory?: TunnelManagerOptions['exploratory'];
  enforceSubnets?: boolean;
}

export class Node {
  readonly keys: PrivateKeyFile;
  readonly ri: RouterInfo;
  readonly hash: Uint8Array;
  readonly key: X25519Key;
  readonly garlic: RouterGarlic;
  readonly manager: TunnelManager;
  /** Messages the node's "router" got that are not tunnel or garlic messages. */
  readonly received: I2NPMessage[] = [];
  garlicErrors = 0;

  constructor(readonly net: TestNet, opts: NodeOptions, index: number) {
    this.keys = generateRouterKeys(systemRandom);
    this.key = new X25519Key(this.keys.cryptoPrivateKey);
    this.ri = buildRouterInfo(
      {
        identity: this.keys.identity,
        published: net.timers.now(),
        addresses: [
          {
            cost: 3,
            transportStyle: 'NTCP2',
            options: { host: opts.host ?? `127.0.0.${index + 2}`, port: String(30000 + index), s: toBase64(systemRandom.bytes(32)), i: toBase64(systemRandom.bytes(16)), v: '2' },
          },
        ],
        options: { caps: opts.caps ?? 'OR', netId: '77', 'router.version': opts.version ?? '0.9.57' },
      },
      privateKeyFileSigner(this.keys),
    );
    this.hash = this.ri.identity.hash;
    const timers = net.timers;
    this.garlic = new RouterGarlic({ staticKey: this.key, now: () => timers.now() });
    const random: Random = systemRandom;
    this.manager = new TunnelManager({
      ourHash: this.hash,
      ourKey: this.key,
      send: (peer, msg) => net.send(this.hash, peer, msg),
      routers: () => net.routerInfos(),
      getRouter: (h) => net.nodes.get(toHex(h))?.ri,
      garlicWrapWithReplyKey: (key, tag, msg) => ({
        type: I2NPType.Garlic,
        msgId: random.int(0, 0x1_0000_0000),
        expiration: msg.expiration,
        payload: serializeGarlic({ data: encryptReplyBlocks(key, tag, [cloveBlock(msg)]) }),
      }),
      garlicAddReplyKey: (key, tag) => void this.garlic.replyKeys.add(key, tag, timers.now() + 60_000),
      garlicWrapForRouter: (routerKey, msg) => ({
        type: I2NPType.Garlic,
        msgId: random.int(0, 0x1_0000_0000),
        expiration: msg.expiration,
        payload: serializeGarlic({
          data: encryptToRouter(routerKey, serializeBlocks([{ type: BlockType.DateTime, timestamp: Math.floor(timers.now() / 1000) }, cloveBlock(msg)])),
        }),
      }),
      deliverLocal: (msg) => this.dispatch(msg),
      timers,
      random,
      transit: opts.transit ?? { accept: true, maxTunnels: 1000 },
      exploratory: opts.exploratory ?? { inbound: { length: 2, quantity: 2 }, outbound: { length: 2, quantity: 2 } },
      enforceSubnets: opts.enforceSubnets ?? false,
    });
  }

  get hex(): string {
    return toHex(this.hash);
  }

  /** The router's I2NP dispatch, as router/ would do it. */
  dispatch(msg: I2NPMessage, from?: Uint8Array): void {
    if (this.manager.handleMessage(msg, from)) return;
    if (msg.type === I2NPType.Garlic) {
      let blocks;
      try {
        blocks = this.garlic.decrypt(parseGarlic(msg.payload).data).blocks;
      } catch {
        this.garlicErrors++;
        return;
      }
      for (const b of blocks) {
        if (b.type !== BlockType.GarlicClove || b.clove.delivery.type !== 'local') continue;
        const c = b.clove;
        this.dispatch({ type: c.i2npType, msgId: c.msgId, expiration: c.expiration * 1000, payload: c.body });
      }
      return;
    }
    this.received.push(msg);
  }
}

export type Fault = (from: Node, to: Node, msg: I2NPMessage) => 'lose' | undefined;

export class TestNet {
  readonly timers = new FakeTimers(T0);
  readonly nodes = new Map<string, Node>();
  fault: Fault | undefined;
  sent = 0;
  #list: Node[] = [];

  add(opts: NodeOptions = {}): Node {
    const n = new Node(this, opts, this.#list.length);
    this.nodes.set(n.hex, n);
    this.#list.push(n);
    return n;
  }

  get list(): readonly Node[] {
    return this.#list;
  }

  /** Every node's RouterInfo (the node itself included: the manager must skip itself). */
  routerInfos(): RouterInfo[] {
    return this.#list.map((n) => n.ri);
  }

  node(hash: Uint8Array): Node {
    const n = this.nodes.get(toHex(hash));
    if (!n) throw new Error('unknown node');
    return n;
  }

  send(from: Uint8Array, to: Uint8Array, msg: I2NPMessage): boolean {
    const target = this.nodes.get(toHex(to));
    const source = this.nodes.get(toHex(from));
    if (!target) return false;
    if (source && this.fault?.(source, target, msg) === 'lose') return true;
    this.sent++;
    const wire = serializeI2NPStandard(msg);
    setImmediate(() => target.dispatch(parseI2NPStandard(wire), from));
    return true;
  }

  /** Deliver `msg` to `to` as if it came from `from` over a transport. */
  inject(to: Node, msg: I2NPMessage, from: Uint8Array): void {
    const wire = serializeI2NPStandard(msg);
    setImmediate(() => to.dispatch(parseI2NPStandard(wire), from));
  }

  start(): void {
    for (const n of this.#list) n.manager.start();
  }

  async stop(): Promise<void> {
    for (const n of this.#list) await n.manager.stop();
  }
}
