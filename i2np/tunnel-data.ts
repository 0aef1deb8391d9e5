/**
 * TunnelData (I2NP type 18).
 *
 * Spec: ../shared/specs/spec/i2np.rst, "Messages" → "TunnelData"; ../shared/specs/spec/tunnel-message.rst.
 * i2pd 2.45.1: I2NPProtocol.cpp CreateTunnelDataMsg (TUNNEL_DATA_MSG_SIZE = 1028 in TunnelBase.h).
 *
 *   tunnelId 4 | data 1024 (encrypted IV + fragments, opaque here)
 *
 * Exactly 1028 bytes. The spec says tunnelId is nonzero; that is checked by tunnels/ (no tunnel has id 0),
 * not here. `data` is a subarray view (tunnel layer crypto may work in place on the received buffer).
 */
import { Reader, Writer } from '../data/bytes.js';

export const TUNNEL_DATA_TUNNELID_OFFSET = 0;
export const TUNNEL_DATA_DATA_OFFSET = TUNNEL_DATA_TUNNELID_OFFSET + 4;
export const TUNNEL_DATA_DATA_SIZE = 1024;
export const TUNNEL_DATA_SIZE = TUNNEL_DATA_DATA_OFFSET + TUNNEL_DATA_DATA_SIZE; // 1028

export interface TunnelData {
  tunnelId: number;
  /** Exactly 1024 bytes. */
  data: Uint8Array;
}

export function sizeOfTunnelData(_x: TunnelData): number {
  return TUNNEL_DATA_SIZE;
}

export function writeTunnelData(w: Writer, x: TunnelData): void {
  if (!Number.isInteger(x.tunnelId) || x.tunnelId < 0 || x.tunnelId > 0xffffffff) throw new RangeError('TunnelData tunnelId must be u32');
  if (x.data.length !== TUNNEL_DATA_DATA_SIZE) throw new RangeError(`TunnelData data must be ${TUNNEL_DATA_DATA_SIZE} bytes`);
  w.u32(x.tunnelId).bytes(x.data);
}

export function readTunnelData(r: Reader): TunnelData {
  return r.at('TunnelData', () => {
    const tunnelId = r.u32();
    return { tunnelId, data: r.bytes(TUNNEL_DATA_DATA_SIZE, 'tunnel data') };
  });
}

/** Parse a TunnelData payload; exactly 1028 bytes. */
export function parseTunnelData(bytes: Uint8Array): TunnelData {
  const r = new Reader(bytes);
  const x = readTunnelData(r);
  r.at('TunnelData', () => r.finish());
  return x;
}

export function serializeTunnelData(x: TunnelData): Uint8Array {
  const w = new Writer(TUNNEL_DATA_SIZE);
  writeTunnelData(w, x);
  return w.done();
}
