/**
 * DeliveryStatus (I2NP type 10).
 *
 * Spec: ../shared/specs/spec/i2np.rst, "Messages" → "DeliveryStatus".
 * i2pd 2.45.1: I2NPProtocol.cpp CreateDeliveryStatusMsg (DELIVERY_STATUS_* offsets in I2NPProtocol.h).
 *
 *   msg_id 4 | time_stamp 8 (ms since epoch; i2pd writes the netId instead for SSU establishment)
 *
 * Exactly 12 bytes. A timestamp above 2^53-1 is refused (OUT_OF_RANGE): no real date or netId is that large.
 */
import { Reader, Writer } from '../data/bytes.js';

export const DELIVERY_STATUS_MSGID_OFFSET = 0;
export const DELIVERY_STATUS_TIMESTAMP_OFFSET = DELIVERY_STATUS_MSGID_OFFSET + 4;
export const DELIVERY_STATUS_SIZE = DELIVERY_STATUS_TIMESTAMP_OFFSET + 8; // 12

export interface DeliveryStatus {
  /** Id of the message being acknowledged (e.g. a DatabaseStore reply token). */
  msgId: number;
  /** Milliseconds since the epoch. */
  timestamp: number;
}

export function sizeOfDeliveryStatus(_x: DeliveryStatus): number {
  return DELIVERY_STATUS_SIZE;
}

export function writeDeliveryStatus(w: Writer, x: DeliveryStatus): void {
  if (!Number.isInteger(x.msgId) || x.msgId < 0 || x.msgId > 0xffffffff) throw new RangeError('DeliveryStatus msgId must be u32');
  if (!Number.isSafeInteger(x.timestamp) || x.timestamp < 0) throw new RangeError('DeliveryStatus timestamp must be a non-negative safe integer');
  w.u32(x.msgId).u64(x.timestamp);
}

export function readDeliveryStatus(r: Reader): DeliveryStatus {
  return r.at('DeliveryStatus', () => {
    const msgId = r.u32();
    const timestamp = r.at('timestamp', () => r.u64n());
    return { msgId, timestamp };
  });
}

/** Parse a DeliveryStatus payload; exactly 12 bytes. */
export function parseDeliveryStatus(bytes: Uint8Array): DeliveryStatus {
  const r = new Reader(bytes);
  const x = readDeliveryStatus(r);
  r.at('DeliveryStatus', () => r.finish());
  return x;
}

export function serializeDeliveryStatus(x: DeliveryStatus): Uint8Array {
  const w = new Writer(DELIVERY_STATUS_SIZE);
  writeDeliveryStatus(w, x);
  return w.done();
}
