/**
 * Our own RouterInfo, from the configuration (spec/common-structures.rst "RouterInfo", spec/ntcp2.rst
 * "Published Router Info"), shaped like i2pd 2.45.1's so i2pd treats clove as one of its own:
 * - NTCP2 address, cost 3 when published with host/port (i2pd COST_NTCP2_PUBLISHED), options host, i, port,
 *   s, v=2; when no concrete host is known the address carries only s and v=2 (outbound-only support),
 *   cost 14 (i2pd COST_NTCP2_NON_PUBLISHED).
 * - options caps (bandwidth letter, then f for floodfill, then R when published reachable / U when not),
 *   netId, router.version 0.9.57 (i2pd 2.45.1's; ≥ 0.9.51 so i2pd sends short tunnel builds).
 */
import { isIPv4 } from 'node:net';
import { buildRouterInfo, type RouterAddressInput, type RouterInfo } from '../data/router-info.js';
import { toBase64 } from '../data/base64.js';
import type { PrivateKeyFile } from '../data/private-key-file.js';
import { privateKeyFileSigner } from '../data/private-key-file.js';
import type { Ntcp2Keys } from './keys.js';

export const ROUTER_VERSION = '0.9.57';
export const NTCP2_COST_PUBLISHED = 3;
export const NTCP2_COST_UNPUBLISHED = 14;

/** i2pd's bandwidth option → its caps letter: a letter K..X, or a limit in KBps. Undefined when invalid. */
export function bandwidthCaps(bandwidth: string, floodfill: boolean): string | undefined {
  const b = bandwidth.trim();
  // i2pd: no bandwidth set → 'P' for a floodfill, else 'L'.
  if (b === '') return floodfill ? 'P' : 'L';
  if (/^[KLMNOPX]$/.test(b)) {
    // Letters K..N are low/high limits i2pd publishes as L or O; O, P, X publish as themselves.
    return ({ K: 'L', L: 'L', M: 'O', N: 'O', O: 'O', P: 'P', X: 'X' } as Record<string, string>)[b];
  }
  if (!/^[0-9]+$/.test(b)) return undefined;
  const kbps = Number(b);
  if (kbps > 2000) return 'X';
  if (kbps > 256) return 'P';
  if (kbps > 48) return 'O';
  return 'L';
}

export interface OurRouterInfoParams {
  keys: PrivateKeyFile;
  ntcp2?: { keys: Ntcp2Keys; host?: string; port?: number; published: boolean };
  netId: number;
  floodfill: boolean;
  bandwidth: string;
  published: number; // ms
  extraOptions?: Record<string, string>;
}

export function buildOurRouterInfo(p: OurRouterInfoParams): RouterInfo {
  const addresses: RouterAddressInput[] = [];
  let reachable = false;
  if (p.ntcp2) {
    const s = toBase64(p.ntcp2.keys.staticKey.publicKey);
    const { host, port } = p.ntcp2;
    if (p.ntcp2.published && host && isIPv4(host) && host !== '0.0.0.0' && port) {
      reachable = true;
      addresses.push({
        cost: NTCP2_COST_PUBLISHED,
        transportStyle: 'NTCP2',
        options: { host, i: toBase64(p.ntcp2.keys.iv), port: String(port), s, v: '2' },
      });
    } else {
      addresses.push({ cost: NTCP2_COST_UNPUBLISHED, transportStyle: 'NTCP2', options: { s, v: '2' } });
    }
  }
  const bw = bandwidthCaps(p.bandwidth, p.floodfill);
  if (bw === undefined) throw new RangeError(`invalid bandwidth '${p.bandwidth}'`);
  const caps = bw + (p.floodfill && reachable ? 'f' : '') + (reachable ? 'R' : 'U');
  return buildRouterInfo(
    {
      identity: p.keys.identity,
      published: p.published,
      addresses,
      options: { ...p.extraOptions, caps, netId: String(p.netId), 'router.version': ROUTER_VERSION },
    },
    privateKeyFileSigner(p.keys),
  );
}
