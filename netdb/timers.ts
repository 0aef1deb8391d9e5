/**
 * The time handle of netdb/: a clock plus timers, so whole networks of NetDbs run in virtual time in tests
 * (STYLE.md "Async": timers unref()'d, clock injectable). The router passes `systemTimers(router.clock)`.
 */

export type TimerHandle = unknown;

export interface Timers {
  /** Milliseconds since the epoch. */
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/** Real timers (unref'd, so they never keep the process alive) around a clock (default Date.now). */
export function systemTimers(clock: { now(): number } = { now: () => Date.now() }): Timers {
  return {
    now: () => clock.now(),
    setTimeout: (fn, ms) => {
      const t = setTimeout(fn, Math.max(0, ms));
      t.unref();
      return t;
    },
    clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
  };
}

/** An AbortError like the platform's (DOMException name 'AbortError'), with the signal's reason as cause. */
export function abortError(signal?: AbortSignal): Error {
  const e = new Error('The operation was aborted', { cause: signal?.reason });
  e.name = 'AbortError';
  return e;
}

/** Resolve after `ms` on `timers`, reject with AbortError on `signal`; every listener removed either way. */
export function sleep(timers: Timers, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortError(signal));
    const done = (): void => {
      timers.clearTimeout(h);
      signal?.removeEventListener('abort', onAbort);
    };
    const onAbort = (): void => {
      done();
      reject(abortError(signal));
    };
    const h = timers.setTimeout(() => {
      done();
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
