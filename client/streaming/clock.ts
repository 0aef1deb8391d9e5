/**
 * The time handle of the streaming layer: `now()` and one-shot timers. The default uses the real clock
 * and unref()'d timers; tests and in-process networks pass a virtual clock.
 */
export interface TimerHandle {
  clear(): void;
}

export interface StreamingClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
}

export const realClock: StreamingClock = {
  now: () => Date.now(),
  setTimeout(fn, ms) {
    const t = setTimeout(fn, Math.max(0, ms));
    t.unref();
    return { clear: () => clearTimeout(t) };
  },
};

/** A restartable one-shot timer on a StreamingClock. */
export class Timer {
  #clock: StreamingClock;
  #fn: () => void;
  #h: TimerHandle | undefined;
  #at = 0;

  constructor(clock: StreamingClock, fn: () => void) {
    this.#clock = clock;
    this.#fn = fn;
  }

  get armed(): boolean {
    return this.#h !== undefined;
  }

  /** When the timer fires (clock ms), if armed. */
  get at(): number {
    return this.#at;
  }

  start(ms: number): void {
    this.stop();
    this.#at = this.#clock.now() + ms;
    this.#h = this.#clock.setTimeout(() => {
      this.#h = undefined;
      this.#fn();
    }, ms);
  }

  /** Start unless already armed. */
  ensure(ms: number): void {
    if (!this.#h) this.start(ms);
  }

  stop(): void {
    this.#h?.clear();
    this.#h = undefined;
  }
}
