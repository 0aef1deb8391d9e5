/**
 * Data (I2NP type 20): opaque client payload (gzip-framed streaming/datagram data, parsed by client/).
 *
 * Spec: ../shared/specs/spec/i2np.rst, "Messages" → "Data".
 * i2pd 2.45.1: Streaming.cpp / Datagram.cpp CreateDataMessage, Destination.cpp HandleDataMessage.
 *
 *   length 4 | data (length bytes)
 *
 * length is bounded by the bytes present; `data` is a subarray view. No trailing bytes (i2pd ignores them).
 */
import { Reader, Writer } from '../data/bytes.js';

export const DATA_LENGTH_SIZE = 4;

export interface DataMessage {
  data: Uint8Array;
}

export function sizeOfData(x: DataMessage): number {
  return DATA_LENGTH_SIZE + x.data.length;
}

export function writeData(w: Writer, x: DataMessage): void {
  w.u32(x.data.length).bytes(x.data);
}

export function readData(r: Reader): DataMessage {
  return r.at('Data', () => {
    const length = r.u32();
    return { data: r.bytes(length, 'data') };
  });
}

/** Parse a Data payload; no trailing bytes allowed. */
export function parseData(bytes: Uint8Array): DataMessage {
  const r = new Reader(bytes);
  const x = readData(r);
  r.at('Data', () => r.finish());
  return x;
}

export function serializeData(x: DataMessage): Uint8Array {
  const w = new Writer(sizeOfData(x));
  writeData(w, x);
  return w.done();
}
