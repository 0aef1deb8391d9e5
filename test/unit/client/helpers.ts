/**
 * Test helpers for streaming: a virtual clock that runs Node streams in virtual time, a seeded PRNG and
 * an in-memory link between StreamManagers with configurable loss, duplication, delay and jitter
 * (jitter reorders).
 */
import { setImmediate as immediate } from 'node:timers/promises';
import type { Random } from '../../../crypto/random.js';
import { equalBytes, toHex } from '../../../data/bytes.js';
import type { Destination } from '../../../data/identity.js';
import type { StreamingClock, TimerHandle } from '../../../client/streaming/clock.js';
import type { StreamManager, StreamPorts, StreamingTransport } from '../../../client/streaming/manager.js';

interface VTimer {
  at: number;
  seq: number;
  fn: () => void;
  live: boolean;
}

export class VirtualClock implements StreamingClock {
  t = 1_700_000_000_000;
  #timers: VTimer[] = [];
  #seq = 0;

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const timer: VTimer = { at: this.t + Math.max(0, ms), seq: this.#seq++, fn, live: true };
    this.#timers.push(timer);
    return { clear: () => void (timer.live = false) };
  }

  get pending(): number {
    return this.#timers.filter((t) => t.live).length;
  }

  /** Let Node's nextTick/microtask/immediate work settle. */
  async settle(): Promise<void> {
    for (let i = 0; i < 3; i++) await immediate();
  }

  /** Fire timers in time order (settling in between) until `cond()` holds; throws past `limitMs` virtual ms. */
  async runUntil(cond: () => boolean, limitMs = 600_000): Promise<void> {
    const end = this.t + limitMs;
    for (;;) {
      await this.settle();
      if (cond()) return;
      this.#timers = this.#timers.filter((t) => t.live);
      if (this.#timers.length === 0) throw new Error('virtual clock: nothing scheduled and condition not met');
      let at = Infinity;
      for (const t of this.#timers) at = Math.min(at, t.at);
      if (at > end) throw new Error(`virtual clock: condition not met within ${limitMs} ms`);
      this.t = Math.max(this.t, at);
      const due = this.#timers.filter((t) => t.at <= this.t).sort((a, b) => a.at - b.at || a.seq - b.seq);
      for (const t of due) {
        if (!t.live) continue;
        t.live = false;
        t.fn();
      }
    }
  }

  /** Advance virtual time by `ms`, firing what falls due. */
  async advance(ms: number): Promise<void> {
    const target = this.t + ms;
    const marker = this.setTimeout(() => {}, ms);
    await this.runUntil(() => this.t >= target, ms + 1);
    marker.clear();
    await this.settle();
  }
}

/** mulberry32: a small seeded PRNG (tests only). */
export function seededRandom(seed: number): Random & { next(): number } {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (min, max) => min + Math.floor(next() * (max - min)),
    bytes: (n) => Uint8Array.from({ length: n }, () => Math.floor(next() * 256)),
  };
}

export interface LinkConditions {
  loss?: number;
  duplicate?: number;
  /** Base one-way delay, ms. */
  delay?: number;
  /** Extra uniform random delay, ms (reorders packets). */
  jitter?: number;
}

export interface Delivery {
  from: Destination;
  to: Destination;
  packet: Uint8Array;
  ports: StreamPorts;
}

/**
 * An in-memory network of StreamManagers. `filter` sees every packet first: return false to drop it, or
 * a Uint8Array to deliver that instead.
 */
export class Link {
  readonly clock: VirtualClock;
  readonly rng: ReturnType<typeof seededRandom>;
  conditions: LinkConditions;
  filter: ((d: Delivery) => boolean | Uint8Array) | undefined;
  readonly log: Delivery[] = [];
  logging = false;
  sent = 0;
  dropped = 0;
  #nodes = new Map<string, StreamManager>();

  constructor(clock: VirtualClock, conditions: LinkConditions = {}, seed = 1) {
    this.clock = clock;
    this.conditions = conditions;
    this.rng = seededRandom(seed);
  }

  /** The transport handle for a manager with destination `self`; register the manager with `add`. */
  transportFor(self: () => Destination): StreamingTransport {
    return {
      send: (remote, packet, ports) => {
        const to = remote instanceof Uint8Array ? remote : remote.hash;
        const target = this.#nodes.get(toHex(to));
        const d: Delivery = { from: self(), to: target?.destination ?? (remote as Destination), packet: packet.slice(), ports };
        this.sent++;
        if (this.logging) this.log.push(d);
        let bytes = d.packet;
        if (this.filter) {
          const r = this.filter(d);
          if (r === false) {
            this.dropped++;
            return;
          }
          if (r instanceof Uint8Array) bytes = r;
        }
        if (!target) return;
        const c = this.conditions;
        if (c.loss && this.rng.next() < c.loss) {
          this.dropped++;
          return;
        }
        const copies = c.duplicate && this.rng.next() < c.duplicate ? 2 : 1;
        for (let i = 0; i < copies; i++) {
          const ms = (c.delay ?? 5) + (c.jitter ? this.rng.next() * c.jitter : 0);
          this.clock.setTimeout(() => target.receive(bytes, ports), ms);
        }
      },
    };
  }

  add(m: StreamManager): void {
    this.#nodes.set(toHex(m.destination.hash), m);
  }

  isFor(d: Delivery, m: StreamManager): boolean {
    return equalBytes(d.to.hash, m.destination.hash);
  }
}
