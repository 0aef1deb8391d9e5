/**
 * Splice a local client socket and an upstream stream both ways, with backpressure (Readable.pipe pauses the
 * source while the destination's write() returns false, resumes on 'drain'), half-close passed through (a
 * FIN from one side ends the other side's writable half), and teardown of both on any error or close.
 */
import type { Duplex } from 'node:stream';

export interface Splice {
  /** Resolves when both streams are done (closed or destroyed). Never rejects. */
  readonly done: Promise<void>;
  /** Tear both down now. */
  destroy(): void;
}

/** Wire `a` and `b` together. `head` is data already read from `a` (e.g. sent right after a handshake). */
export function splice(a: Duplex, b: Duplex, head?: Uint8Array): Splice {
  let finished = false;
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => (resolveDone = r));
  let aClosed = false;
  let bClosed = false;

  const teardown = (): void => {
    if (!a.destroyed) a.destroy();
    if (!b.destroyed) b.destroy();
  };
  const check = (): void => {
    if (aClosed && bClosed && !finished) {
      finished = true;
      resolveDone();
    }
  };
  const onError = (): void => teardown();
  a.on('error', onError);
  b.on('error', onError);
  // One side gone entirely means the other is useless too — but a side that closed after a clean FIN has
  // already handed its last bytes to the other side: let the other finish writing them (its own timeouts
  // bound that), then tear down. Destroying at once would drop them (an I2P stream answers destroy with RESET).
  let aEnded = false;
  let bEnded = false;
  const afterFlush = (other: Duplex): void => {
    if (other.writableFinished || other.destroyed) teardown();
    else {
      other.once('finish', teardown);
      other.once('close', teardown);
    }
  };
  a.once('close', () => {
    aClosed = true;
    if (aEnded && !a.errored) afterFlush(b);
    else teardown();
    check();
  });
  b.once('close', () => {
    bClosed = true;
    if (bEnded && !b.errored) afterFlush(a);
    else teardown();
    check();
  });
  if (a.destroyed) aClosed = true;
  if (b.destroyed) bClosed = true;

  // Both halves ended cleanly: make sure the streams are destroyed (a Duplex without autoDestroy may linger).
  const maybeBothEnded = (): void => {
    if (aEnded && bEnded) {
      // Let pending writes flush: end() was already called by pipe(); destroy after 'finish' of both.
      const wait = (s: Duplex): Promise<void> =>
        s.writableFinished || s.destroyed ? Promise.resolve() : new Promise((r) => { s.once('finish', r); s.once('close', r); });
      void Promise.all([wait(a), wait(b)]).then(teardown);
    }
  };
  a.once('end', () => {
    aEnded = true;
    maybeBothEnded();
  });
  b.once('end', () => {
    bEnded = true;
    maybeBothEnded();
  });

  if (head && head.length > 0) b.write(head);
  // A side that already sent its FIN (before the splice) will not emit 'end' again: pass it on now.
  if (a.readableEnded) {
    aEnded = true;
    b.end();
  } else a.pipe(b);
  if (b.readableEnded) {
    bEnded = true;
    a.end();
  } else b.pipe(a);
  maybeBothEnded();
  if (aClosed || bClosed) {
    teardown();
    check();
  }
  return { done, destroy: teardown };
}
