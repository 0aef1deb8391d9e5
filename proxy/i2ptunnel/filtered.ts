/**
 * A Duplex view of a stream with sans-IO filters on both directions, for proxy/pipe.ts `splice`: what is
 * written to the view goes through `write` to the inner stream, what the inner stream gives goes through
 * `read` to the view's readers. Backpressure both ways (the inner stream is paused while the view's reader
 * is full; a write completes when the inner stream has room), half-close passed through, a filter that
 * throws destroys both (e.g. an HTTP head over its bound).
 */
import { Duplex } from 'node:stream';

export interface DirectionFilter {
  /** Bytes in → bytes out (may be empty). May throw: the streams are torn down. */
  push(chunk: Uint8Array): Uint8Array;
  /** Input ended: last bytes out. */
  end?(): Uint8Array;
}

export class FilteredDuplex extends Duplex {
  readonly #inner: Duplex;
  readonly #write: DirectionFilter | undefined;
  #ended = false;
  /** A write waiting for the inner stream's 'drain'. */
  #waiting: ((e?: Error | null) => void) | undefined;

  /** `write`: view → inner; `read`: inner → view. Either may be omitted (bytes pass as they are). */
  constructor(inner: Duplex, filters: { write?: DirectionFilter; read?: DirectionFilter }) {
    super({ allowHalfOpen: true });
    this.#inner = inner;
    this.#write = filters.write;
    const read = filters.read;
    inner.on('data', (chunk: Buffer) => {
      let out: Uint8Array;
      try {
        out = read ? read.push(chunk) : chunk;
      } catch (e) {
        this.destroy(e as Error);
        return;
      }
      if (out.length > 0 && !this.push(out)) inner.pause();
    });
    inner.once('end', () => {
      this.#ended = true;
      try {
        const last = read?.end?.();
        if (last && last.length > 0) this.push(last);
      } catch (e) {
        this.destroy(e as Error);
        return;
      }
      this.push(null);
    });
    inner.on('error', (e) => this.destroy(e));
    inner.once('close', () => {
      // closed without a clean end of its readable side: a reset or teardown. After a clean end the view
      // stays until its reader has everything (destroying now would drop what is still buffered).
      if (!this.#ended && !this.destroyed) this.destroy();
      const w = this.#waiting;
      this.#waiting = undefined;
      w?.(Object.assign(new Error('the stream is closed'), { code: 'ERR_STREAM_DESTROYED' }));
    });
    inner.on('drain', () => {
      const w = this.#waiting;
      this.#waiting = undefined;
      w?.();
    });
    inner.pause();
  }

  override _read(): void {
    this.#inner.resume();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    if (this.#inner.destroyed || this.#inner.writableEnded) {
      cb(Object.assign(new Error('the stream is closed'), { code: 'ERR_STREAM_DESTROYED' }));
      return;
    }
    let out: Uint8Array;
    try {
      out = this.#write ? this.#write.push(chunk) : chunk;
    } catch (e) {
      cb(e as Error);
      return;
    }
    if (out.length === 0 || this.#inner.write(out)) cb();
    else this.#waiting = cb;
  }

  override _final(cb: (e?: Error | null) => void): void {
    try {
      const last = this.#write?.end?.();
      if (last && last.length > 0 && !this.#inner.destroyed && !this.#inner.writableEnded) this.#inner.write(last);
    } catch (e) {
      cb(e as Error);
      return;
    }
    if (!this.#inner.destroyed && !this.#inner.writableEnded) this.#inner.end();
    cb();
  }

  override _destroy(err: Error | null, cb: (e?: Error | null) => void): void {
    const inner = this.#inner;
    if (inner.destroyed) return cb(err);
    // after a clean end(), let the inner stream flush first (an I2P stream answers destroy() with a RESET)
    if (!err && inner.writableEnded && !inner.writableFinished) {
      const kill = (): void => void (inner.destroyed || inner.destroy());
      inner.once('finish', kill);
    } else inner.destroy(err ?? undefined);
    cb(err);
  }
}
