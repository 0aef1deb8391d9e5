/**
 * Byte reading and writing helpers for all wire codecs.
 *
 * Reader: a bounds-checked cursor over a Uint8Array (honours byteOffset: Node Buffers are pool slices).
 * Every read past the end throws ParseError('TRUNCATED'). `bytes(n)` returns a subarray view: copy what
 * outlives the packet. `path` is carried so nested parsers report where they failed.
 *
 * Writer: writes into a preallocated buffer of a size computed first (`sizeOfX`), so a message is
 * allocated once.
 */
import { ParseError } from './errors.js';

export class Reader {
  readonly buf: Uint8Array;
  readonly view: DataView;
  pos: number;
  readonly end: number;
  path: string;

  constructor(buf: Uint8Array, path = '', start = 0, end = buf.length) {
    this.buf = buf;
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    this.pos = start;
    this.end = end;
    this.path = path;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  /** Throw ParseError unless n more bytes are available. */
  need(n: number, what = 'data'): void {
    if (n < 0 || this.pos + n > this.end) {
      throw new ParseError('TRUNCATED', this.path, this.pos, `truncated ${what}: need ${n}, have ${this.end - this.pos}`);
    }
  }

  fail(code: string, message?: string, offset = this.pos): never {
    throw new ParseError(code, this.path, offset, message);
  }

  u8(): number {
    this.need(1);
    return this.buf[this.pos++]!;
  }

  u16(): number {
    this.need(2);
    const v = this.view.getUint16(this.pos);
    this.pos += 2;
    return v;
  }

  u32(): number {
    this.need(4);
    const v = this.view.getUint32(this.pos);
    this.pos += 4;
    return v;
  }

  /** 8-byte big-endian unsigned as bigint. */
  u64(): bigint {
    this.need(8);
    const v = this.view.getBigUint64(this.pos);
    this.pos += 8;
    return v;
  }

  /** 8-byte big-endian unsigned as number; throws ParseError if above 2^53-1. */
  u64n(): number {
    const at = this.pos;
    const v = this.u64();
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) this.fail('OUT_OF_RANGE', 'integer too large', at);
    return Number(v);
  }

  /** A subarray view of the next n bytes. */
  bytes(n: number, what?: string): Uint8Array {
    this.need(n, what);
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }

  /** A copy of the next n bytes (for data that outlives the input buffer). */
  copy(n: number, what?: string): Uint8Array {
    return Uint8Array.prototype.slice.call(this.bytes(n, what));
  }

  skip(n: number): void {
    this.need(n);
    this.pos += n;
  }

  /** Everything left. */
  rest(): Uint8Array {
    return this.bytes(this.end - this.pos);
  }

  /** Run fn with a path segment appended, restoring afterwards. */
  at<T>(segment: string, fn: () => T): T {
    const saved = this.path;
    this.path = saved ? `${saved}/${segment}` : segment;
    try {
      return fn();
    } finally {
      this.path = saved;
    }
  }

  /** Throw ParseError unless all input was consumed. */
  finish(): void {
    if (this.pos !== this.end) this.fail('TRAILING_BYTES', `${this.end - this.pos} trailing bytes`);
  }
}

export class Writer {
  readonly buf: Uint8Array;
  readonly view: DataView;
  pos: number;

  constructor(bufOrSize: Uint8Array | number, start = 0) {
    this.buf = typeof bufOrSize === 'number' ? new Uint8Array(bufOrSize) : bufOrSize;
    this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
    this.pos = start;
  }

  private room(n: number): void {
    if (this.pos + n > this.buf.length) throw new RangeError(`Writer overflow: ${n} bytes at ${this.pos} of ${this.buf.length}`);
  }

  u8(v: number): this {
    this.room(1);
    this.buf[this.pos++] = v;
    return this;
  }

  u16(v: number): this {
    this.room(2);
    this.view.setUint16(this.pos, v);
    this.pos += 2;
    return this;
  }

  u32(v: number): this {
    this.room(4);
    this.view.setUint32(this.pos, v);
    this.pos += 4;
    return this;
  }

  u64(v: bigint | number): this {
    this.room(8);
    this.view.setBigUint64(this.pos, BigInt(v));
    this.pos += 8;
    return this;
  }

  bytes(b: Uint8Array): this {
    this.room(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
    return this;
  }

  zeros(n: number): this {
    this.room(n);
    this.buf.fill(0, this.pos, this.pos + n);
    this.pos += n;
    return this;
  }

  /** The written prefix; asserts the buffer was sized exactly when `exact` is set. */
  done(exact = true): Uint8Array {
    if (exact && this.pos !== this.buf.length) {
      throw new RangeError(`Writer size mismatch: wrote ${this.pos}, allocated ${this.buf.length}`);
    }
    return this.buf.subarray(0, this.pos);
  }
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i]! ^ b[i]!;
  return d === 0;
}

export function toHex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

export function fromHex(s: string): Uint8Array {
  if (s.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(s)) throw new TypeError('invalid hex');
  return new Uint8Array(Buffer.from(s, 'hex'));
}
