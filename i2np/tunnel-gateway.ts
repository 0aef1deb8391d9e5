/**
 * TunnelGateway (I2NP type 19): an I2NP message handed to a tunnel's inbound gateway.
 *
 * Spec: ../shared/specs/spec/i2np.rst, "Messages" → "TunnelGateway" ("The payload is an I2NP message with a
 * standard 16-byte header").
 * i2pd 2.45.1: I2NPProtocol.cpp CreateTunnelGatewayMsg (TUNNEL_GATEWAY_HEADER_* in I2NPProtocol.h),
 * Tunnel.cpp Tunnels::HandleTunnelGatewayMsg.
 *
 *   tunnelId 4 | length 2 | data (length bytes) = one standard-form I2NP message
 *
 * Stricter than i2pd, which forwards the `length` bytes without looking inside: here the inner message must
 * parse and fill `data` exactly (its size field = length - 16) and, unless disabled, its checksum must match.
 * Nonzero tunnelId (spec) is left to tunnels/.
 */
import { Reader, Writer } from '../data/bytes.js';
import { readI2NPStandard, sizeOfI2NPStandard, writeI2NPStandard } from './header.js';
import type { I2NPMessage, StandardParseOptions } from './header.js';

export const TUNNEL_GATEWAY_HEADER_TUNNELID_OFFSET = 0;
export const TUNNEL_GATEWAY_HEADER_LENGTH_OFFSET = TUNNEL_GATEWAY_HEADER_TUNNELID_OFFSET + 4;
export const TUNNEL_GATEWAY_HEADER_SIZE = TUNNEL_GATEWAY_HEADER_LENGTH_OFFSET + 2; // 6

export interface TunnelGateway {
  tunnelId: number;
  /** The wrapped message (serialized in standard form). */
  message: I2NPMessage;
}

export function sizeOfTunnelGateway(x: TunnelGateway): number {
  return TUNNEL_GATEWAY_HEADER_SIZE + sizeOfI2NPStandard(x.message);
}

export function writeTunnelGateway(w: Writer, x: TunnelGateway): void {
  if (!Number.isInteger(x.tunnelId) || x.tunnelId < 0 || x.tunnelId > 0xffffffff) throw new RangeError('TunnelGateway tunnelId must be u32');
  const len = sizeOfI2NPStandard(x.message);
  if (len > 0xffff) throw new RangeError(`TunnelGateway: wrapped message of ${len} bytes exceeds the 2-byte length`);
  w.u32(x.tunnelId).u16(len);
  writeI2NPStandard(w, x.message);
}

export function readTunnelGateway(r: Reader, opts: StandardParseOptions = {}): TunnelGateway {
  return r.at('TunnelGateway', () => {
    const tunnelId = r.u32();
    const length = r.u16();
    const start = r.pos;
    r.need(length, 'wrapped message');
    const inner = new Reader(r.buf, r.path ? `${r.path}/data` : 'data', start, start + length);
    const message = readI2NPStandard(inner, opts);
    inner.finish();
    r.pos = start + length;
    return { tunnelId, message };
  });
}

/** Parse a TunnelGateway payload; no trailing bytes allowed. */
export function parseTunnelGateway(bytes: Uint8Array, opts: StandardParseOptions = {}): TunnelGateway {
  const r = new Reader(bytes);
  const x = readTunnelGateway(r, opts);
  r.at('TunnelGateway', () => r.finish());
  return x;
}

export function serializeTunnelGateway(x: TunnelGateway): Uint8Array {
  const w = new Writer(sizeOfTunnelGateway(x));
  writeTunnelGateway(w, x);
  return w.done();
}
