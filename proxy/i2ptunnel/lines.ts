/**
 * Sans-IO line splitting for the line-based tunnel filters (IRC, HTTP heads), with a bound on line length.
 *
 * Lines are latin1 strings, so every byte maps to one char and back (`Buffer.from(s, 'latin1')`): the filters
 * see and pass on the bytes exactly, whatever the text encoding (IRC is mostly UTF-8, sometimes not).
 * A line is what precedes a '\n'; a '\r' before it stays part of the line (i2pd's std::getline does the same).
 */

/** Longest line a filter buffers (bytes, without the '\n'). */
export const DEFAULT_MAX_LINE = 16 * 1024;

export class LineSplitter {
  readonly maxLine: number;
  #partial = '';
  /** Dropping an over-long line until its '\n'. */
  #skipping = false;
  /** Over-long lines dropped so far. */
  dropped = 0;

  constructor(maxLine = DEFAULT_MAX_LINE) {
    if (!Number.isInteger(maxLine) || maxLine < 1) throw new RangeError('maxLine must be a positive integer');
    this.maxLine = maxLine;
  }

  /** Feed bytes; returns the complete lines they finish (without '\n'). Over-long lines are dropped and counted. */
  push(chunk: Uint8Array): string[] {
    const text = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).toString('latin1');
    const out: string[] = [];
    let start = 0;
    for (;;) {
      const nl = text.indexOf('\n', start);
      if (nl < 0) break;
      const piece = text.slice(start, nl);
      start = nl + 1;
      if (this.#skipping) {
        this.#skipping = false;
        continue;
      }
      if (this.#partial.length + piece.length > this.maxLine) {
        this.#partial = '';
        this.dropped++;
        continue;
      }
      out.push(this.#partial + piece);
      this.#partial = '';
    }
    const rest = text.slice(start);
    if (this.#skipping) return out;
    if (this.#partial.length + rest.length > this.maxLine) {
      this.#partial = '';
      this.#skipping = true;
      this.dropped++;
    } else this.#partial += rest;
    return out;
  }

  /** Bytes buffered of an unfinished line. */
  get pending(): number {
    return this.#partial.length;
  }

  /** The unfinished last line, if any (at end of input), and reset. */
  flush(): string | undefined {
    const p = this.#partial;
    this.#partial = '';
    this.#skipping = false;
    return p.length > 0 ? p : undefined;
  }
}

export function latin1(s: string): Buffer {
  return Buffer.from(s, 'latin1');
}
