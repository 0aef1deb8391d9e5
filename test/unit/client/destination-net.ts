/**
 * A tiny in-memory "router core" for ClientDestination tests, in virtual time:
 *   - every destination gets a pool stub with inbound tunnels (random gateway hash, tunnel id) and one
 *     outbound tunnel; `sendThroughOutbound` serializes the I2NP message (standard header) and, after
 *     `delay` ms, parses it again and hands it over:
 *       tunnel delivery  → the destination whose inbound tunnel has that gateway and id (`deliver`),
 *       router delivery  → the one floodfill, if it is the target;
 *   - the floodfill is a real RouterGarlic (Noise N with its X25519 router key): it takes DatabaseStore
 *     cloves of LeaseSet2s, verifies and keeps them, and answers the reply token with a DeliveryStatus
 *     into the named reply tunnel (what i2pd's floodfill does);
 *     It answers DatabaseLookups for LeaseSets with a DatabaseStore or a DatabaseSearchReply, garlic-encrypted
 *     with the lookup's ECIES reply key/tag, into the reply tunnel (i2pd NetDb::HandleDatabaseLookupMsg);
 *   - each destination's netdb handle: `getLeaseSet` sees only what that node learned itself (nothing
 *     from the floodfill), `lookupLeaseSet` (the fallback when a destination cannot look up through its
 *     tunnels) asks the floodfill's store after `delay` and is counted.
 */
import { ClientDestination, type ClientDestinationOptions, type DestinationPool } from '../../../client/destination.js';
import type { LeaseTunnel } from '../../../client/leaseset.js';
import { X25519Key } from '../../../crypto/x25519.js';
import { toHex, equalBytes } from '../../../data/bytes.js';
import { parseLeaseSet2, verifyLeaseSet2, type LeaseSet2 } from '../../../data/lease-set2.js';
import { generateDestinationKeys, generateRouterKeys, privateKeyFileSigner, type PrivateKeyFile } from '../../../data/private-key-file.js';
import { buildRouterInfo, type RouterInfo } from '../../../data/router-info.js';
import { BlockType, cloveBlock } from '../../../garlic/blocks.js';
import { RouterGarlic, encryptReplyBlocks } from '../../../garlic/router-garlic.js';
import { parseDatabaseStore, serializeDatabaseStore, DatabaseStoreType } from '../../../i2np/database-store.js';
import { parseDatabaseLookup, type DatabaseLookup } from '../../../i2np/database-lookup.js';
import { serializeDatabaseSearchReply } from '../../../i2np/database-search-reply.js';
import { serializeGarlic } from '../../../i2np/garlic.js';
import { serializeDeliveryStatus } from '../../../i2np/delivery-status.js';
import { parseGarlic } from '../../../i2np/garlic.js';
import { I2NPType, parseI2NPStandard, serializeI2NPStandard, type I2NPMessage } from '../../../i2np/header.js';
import { VirtualClock, seededRandom } from './helpers.js';

export interface Node {
  dest: ClientDestination;
  keys: PrivateKeyFile;
  tunnels: (LeaseTunnel & { live: boolean })[];
  /** LeaseSets this node's router knows (getLeaseSet). */
  known: Map<string, LeaseSet2>;
  lookups: number;
  /** Hex hashes this node looked up. */
  lookedUp: string[];
  sent: number;
  /** No outbound tunnel yet (the pool stub's outbound() is empty while set). */
  noOutbound?: boolean;
}

export class DestinationNet {
  readonly clock = new VirtualClock();
  readonly rng = seededRandom(42);
  readonly nodes: Node[] = [];
  /** One-way delay per hop, ms. */
  delay = 20;
  /** Extra uniform random delay (reorders messages), ms. */
  jitter = 0;
  /** Probability that a message between destinations (tunnel delivery) is lost. */
  loss = 0;
  lost = 0;
  /** Sees each message before delivery; return false to drop it. */
  filter: ((m: I2NPMessage, to: Node | 'floodfill', from: Node | undefined) => boolean) | undefined;
  readonly floodfillKeys = generateRouterKeys();
  readonly floodfill: RouterInfo;
  readonly floodfillGarlic: RouterGarlic;
  /** The floodfill's LeaseSet store. */
  readonly ffStore = new Map<string, LeaseSet2>();
  ffStores = 0;
  ffRejected = 0;
  /** LeaseSet lookups the floodfill answered: the key, who asked (by reply tunnel), found or not. */
  readonly ffLookups: { key: string; by: Node | undefined; found: boolean }[] = [];
  #nextTunnelId = 1000;

  constructor() {
    this.floodfill = buildRouterInfo(
      { identity: this.floodfillKeys.identity, published: this.clock.now(), addresses: [], options: { caps: 'fR', netId: '2', 'router.version': '0.9.58' } },
      privateKeyFileSigner(this.floodfillKeys),
    );
    this.floodfillGarlic = new RouterGarlic({ staticKey: new X25519Key(this.floodfillKeys.cryptoPrivateKey), now: () => this.clock.now() });
  }

  newTunnel(): LeaseTunnel & { live: boolean } {
    return { gateway: this.rng.bytes(32), gatewayTunnelId: this.#nextTunnelId++, expiresAt: this.clock.now() + 600_000, live: true };
  }

  node(all: Partial<ClientDestinationOptions> & { tunnels?: number; noOutbound?: boolean } = {}): Node {
    const { noOutbound, ...opts } = all;
    const keys = opts.keys ?? generateDestinationKeys({ cryptoType: 4 });
    const node = { keys, tunnels: [] as Node['tunnels'], known: new Map<string, LeaseSet2>(), lookups: 0, lookedUp: [] as string[], sent: 0, noOutbound } as Node;
    for (let i = 0; i < (opts.tunnels ?? 2); i++) node.tunnels.push(this.newTunnel());
    const pool: DestinationPool = {
      inbound: () => node.tunnels.filter((t) => t.live && t.expiresAt > this.clock.now()),
      outbound: () => (node.noOutbound ? [] : [{}]),
      sendThroughOutbound: (msg, delivery) => {
        node.sent++;
        const wire = serializeI2NPStandard(msg);
        if (delivery.type === 'tunnel' && this.loss > 0 && this.rng.next() < this.loss) {
          this.lost++;
          return true;
        }
        this.clock.setTimeout(() => this.#route(parseI2NPStandard(wire), delivery, node), this.delay + Math.floor(this.rng.next() * this.jitter));
        return true;
      },
    };
    node.dest = new ClientDestination({
      keys,
      pool,
      netdb: {
        getLeaseSet: (h) => node.known.get(toHex(h)),
        floodfills: () => [this.floodfill],
        lookupLeaseSet: (h, { signal }) =>
          new Promise((resolve) => {
            node.lookups++;
            node.lookedUp.push(toHex(h));
            this.clock.setTimeout(() => resolve(signal?.aborted ? undefined : this.ffStore.get(toHex(h))), 2 * this.delay);
          }),
        storeLeaseSet: (ls) => void node.known.set(toHex(ls.destination.hash), ls),
      },
      clock: this.clock,
      random: seededRandom(this.nodes.length + 1),
      ...opts,
    });
    this.nodes.push(node);
    return node;
  }

  #route(m: I2NPMessage, d: Parameters<DestinationPool['sendThroughOutbound']>[1], from?: Node): void {
    if (d.type === 'tunnel') {
      const to = this.nodes.find((n) => n.tunnels.some((t) => t.live && t.gatewayTunnelId === d.tunnelId && equalBytes(t.gateway, d.hash)));
      if (!to || (this.filter && !this.filter(m, to, from))) return;
      to.dest.deliver(m);
    } else if (d.type === 'router' && equalBytes(d.hash, this.floodfill.identity.hash)) {
      if (this.filter && !this.filter(m, 'floodfill', from)) return;
      this.#floodfillReceive(m);
    }
  }

  /** A floodfill taking a garlic-wrapped DatabaseStore of a LeaseSet2 (i2pd NetDb::HandleDatabaseStoreMsg). */
  #floodfillReceive(m: I2NPMessage): void {
    if (m.type !== I2NPType.Garlic) return;
    const { blocks } = this.floodfillGarlic.decrypt(parseGarlic(m.payload).data);
    for (const b of blocks) {
      if (b.type === BlockType.GarlicClove && b.clove.i2npType === I2NPType.DatabaseLookup) {
        this.#floodfillLookup(parseDatabaseLookup(b.clove.body));
        continue;
      }
      if (b.type !== BlockType.GarlicClove || b.clove.i2npType !== I2NPType.DatabaseStore) continue;
      const ds = parseDatabaseStore(b.clove.body);
      if (ds.storeType !== DatabaseStoreType.LeaseSet2) continue;
      const ls = parseLeaseSet2(ds.data);
      if (!verifyLeaseSet2(ls, { now: this.clock.now() }) || !equalBytes(ls.destination.hash, ds.key)) {
        this.ffRejected++;
        continue;
      }
      const cur = this.ffStore.get(toHex(ds.key));
      if (!cur || cur.published < ls.published) this.ffStore.set(toHex(ds.key), ls);
      this.ffStores++;
      if (ds.reply) {
        const status: I2NPMessage = {
          type: I2NPType.DeliveryStatus,
          msgId: 1,
          expiration: this.clock.now() + 8000,
          payload: serializeDeliveryStatus({ msgId: ds.reply.token, timestamp: this.clock.now() }),
        };
        const reply = ds.reply;
        this.clock.setTimeout(() => this.#route(status, { type: 'tunnel', tunnelId: reply.tunnelId, hash: reply.gateway }), this.delay);
      }
    }
  }

  #floodfillLookup(l: DatabaseLookup): void {
    const ls = this.ffStore.get(toHex(l.key));
    const by = this.nodes.find((n) => n.tunnels.some((t) => t.gatewayTunnelId === l.replyTunnelId && equalBytes(t.gateway, l.from)));
    this.ffLookups.push({ key: toHex(l.key), by, found: !!ls });
    if (l.replyTunnelId === null || l.replyEncryption?.kind !== 'ecies') return;
    const now = this.clock.now();
    const reply: I2NPMessage = ls
      ? { type: I2NPType.DatabaseStore, msgId: 2, expiration: now + 8000, payload: serializeDatabaseStore({ key: l.key, storeType: DatabaseStoreType.LeaseSet2, reply: null, data: ls.raw }) }
      : { type: I2NPType.DatabaseSearchReply, msgId: 3, expiration: now + 8000, payload: serializeDatabaseSearchReply({ key: l.key, peers: [], from: this.floodfill.identity.hash }) };
    const data = encryptReplyBlocks(l.replyEncryption.key, l.replyEncryption.tag, [cloveBlock(reply)]);
    const garlic: I2NPMessage = { type: I2NPType.Garlic, msgId: 4, expiration: now + 8000, payload: serializeGarlic({ data }) };
    const d = { type: 'tunnel' as const, tunnelId: l.replyTunnelId, hash: l.from };
    this.clock.setTimeout(() => this.#route(garlic, d), this.delay);
  }

  stop(): void {
    for (const n of this.nodes) n.dest.stop();
  }
}
