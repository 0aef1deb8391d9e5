/**
 * Test helpers for netdb/: virtual time, signed RouterInfos/LeaseSet2s, and an in-memory network of NetDbs
 * that passes every message through the I2NP standard-header codec (serialize → parse).
 */
import { buildRouterInfo, type RouterInfo } from '../../../data/router-info.js';
import { buildLeaseSet2, type LeaseSet2 } from '../../../data/lease-set2.js';
import { generateDestinationKeys, generateRouterKeys, privateKeyFileSigner, type PrivateKeyFile } from '../../../data/private-key-file.js';
import { toBase64 } from '../../../data/base64.js';
import { toHex } from '../../../data/bytes.js';
import { systemRandom } from '../../../crypto/random.js';
import { parseI2NPStandard, serializeI2NPStandard, type I2NPMessage } from '../../../i2np/header.js';
import { NetDb, type NetDbOptions } from '../../../netdb/netdb.js';
import type { Timers } from '../../../netdb/timers.js';

export const NET_ID = 77;
export const T0 = Date.UTC(2026, 10, 22, 10, 0, 0);

/** Virtual time: timers fire only in advance(), in order, with the event loop drained between them. */
export class FakeTimers implements Timers {
  t: number;
  #seq = 0;
  #q = new Map<number, { at: number; seq: number; fn: () => void }>();
  constructor(t = T0) {
    this.t = t;
  }
  now(): number {
    return this.t;
  }
  setTimeout(fn: () => void, ms: number): number {
    const id = ++this.#seq;
    this.#q.set(id, { at: this.t + Math.max(0, ms), seq: id, fn });
    return id;
  }
  clearTimeout(h: unknown): void {
    this.#q.delete(h as number);
  }
  get pending(): number {
    return this.#q.size;
  }
  /** Let every promise, microtask and setImmediate-delivered message run. */
  async settle(rounds = 30): Promise<void> {
    for (let i = 0; i < rounds; i++) await new Promise((r) => setImmediate(r));
  }
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    await this.settle();
    for (;;) {
      let next: [number, { at: number; seq: number; fn: () => void }] | undefined;
      for (const e of this.#q) if (e[1].at <= end && (!next || e[1].at < next[1].at || (e[1].at === next[1].at && e[1].seq < next[1].seq))) next = e;
      if (!next) break;
      this.#q.delete(next[0]);
      this.t = Math.max(this.t, next[1].at);
      next[1].fn();
      await this.settle();
    }
    this.t = end;
    await this.settle();
  }
}

export interface TestRouter {
  keys: PrivateKeyFile;
  ri: RouterInfo;
  hash: Uint8Array;
}

let port = 20000;

/** Router keys and a signed RouterInfo with a published NTCP2 address on 127.0.0.1 (never dialled). */
export function makeRouter(opts: { floodfill?: boolean; published?: number; netId?: number; version?: string; keys?: PrivateKeyFile } = {}): TestRouter {
  const keys = opts.keys ?? generateRouterKeys(systemRandom);
  const ri = signRouterInfo(keys, opts);
  return { keys, ri, hash: ri.identity.hash };
}

export function signRouterInfo(keys: PrivateKeyFile, opts: { floodfill?: boolean; published?: number; netId?: number; version?: string } = {}): RouterInfo {
  return buildRouterInfo(
    {
      identity: keys.identity,
      published: opts.published ?? T0,
      addresses: [
        {
          cost: 3,
          transportStyle: 'NTCP2',
          options: { host: '127.0.0.1', port: String(port++), s: toBase64(systemRandom.bytes(32)), i: toBase64(systemRandom.bytes(16)), v: '2' },
        },
      ],
      options: { caps: opts.floodfill ? 'PfR' : 'LR', netId: String(opts.netId ?? NET_ID), 'router.version': opts.version ?? '0.9.57' },
    },
    privateKeyFileSigner(keys),
  );
}

/** A signed LeaseSet2 for a fresh destination, published at `published` (ms), expiring `expiresSec` later. */
export function makeLeaseSet(opts: { published?: number; expiresSec?: number; keys?: PrivateKeyFile; flags?: number; gateway?: Uint8Array } = {}): {
  keys: PrivateKeyFile;
  ls: LeaseSet2;
} {
  const keys = opts.keys ?? generateDestinationKeys();
  const published = Math.floor((opts.published ?? T0) / 1000);
  const expires = opts.expiresSec ?? 600;
  const ls = buildLeaseSet2(
    {
      destination: keys.identity,
      published,
      expires,
      flags: opts.flags ?? 0,
      encryptionKeys: [{ type: 4, key: keys.identity.cryptoPublicKey! }],
      leases: [{ gateway: opts.gateway ?? systemRandom.bytes(32), tunnelId: 1234, endDate: published + expires }],
    },
    privateKeyFileSigner(keys),
  );
  return { keys, ls };
}

/** An in-memory network: send() serializes, parses and delivers on a later turn of the event loop. */
export class TestNetwork {
  readonly nodes = new Map<string, NetDb>();
  readonly timers: FakeTimers;
  /** Return 'refuse' (send() → false), 'lose' (accepted, never delivered) or undefined (deliver). */
  fault: ((from: Uint8Array, to: Uint8Array, msg: I2NPMessage) => 'refuse' | 'lose' | undefined) | undefined;
  sent = 0;
  delivered = 0;
  log: { from: string; to: string; type: number }[] = [];

  constructor(timers = new FakeTimers()) {
    this.timers = timers;
  }

  add(r: TestRouter, opts: Partial<NetDbOptions> = {}): NetDb {
    const me = r.hash;
    const db = new NetDb({
      routerInfo: r.ri,
      netId: NET_ID,
      timers: this.timers,
      transport: { send: (peer, msg) => this.#send(me, peer, msg) },
      ...opts,
    });
    this.nodes.set(toHex(me), db);
    return db;
  }

  #send(from: Uint8Array, to: Uint8Array, msg: I2NPMessage): boolean {
    const target = this.nodes.get(toHex(to));
    if (!target) return false;
    const f = this.fault?.(from, to, msg);
    if (f === 'refuse') return false;
    this.sent++;
    this.log.push({ from: toHex(from), to: toHex(to), type: msg.type });
    if (f === 'lose') return true;
    const wire = serializeI2NPStandard(msg);
    setImmediate(() => {
      const m = parseI2NPStandard(wire);
      this.delivered++;
      target.handleMessage(m, from);
    });
    return true;
  }
}
