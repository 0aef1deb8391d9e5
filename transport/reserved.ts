/**
 * Reserved IPv4/IPv6 ranges: with `reservedrange = true` (i2pd's default) a router neither dials nor accepts
 * peers there (i2pd util::net::IsInReservedRange). Test networks set `reservedrange = false`: clove on
 * 127.0.0.1, or the interop namespace on 198.18.0.0/15.
 */
import { isIPv4, isIPv6 } from 'node:net';

const V4: ReadonlyArray<readonly [string, number]> = [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.88.99.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
];

function v4(a: string): number {
  return a.split('.').reduce((n, o) => (n << 8) + Number(o), 0) >>> 0;
}

const V4_MASKS = V4.map(([a, bits]) => [v4(a), bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0] as const);

export function isReservedAddress(address: string): boolean {
  const a = address.startsWith('::ffff:') && isIPv4(address.slice(7)) ? address.slice(7) : address;
  if (isIPv4(a)) {
    const n = v4(a);
    return V4_MASKS.some(([net, mask]) => ((n & mask) >>> 0) === net);
  }
  if (isIPv6(a)) {
    const l = a.toLowerCase();
    return l === '::' || l === '::1' || /^f[cd]/.test(l) || /^fe[89ab]/.test(l) || l.startsWith('ff') || l.startsWith('2001:db8');
  }
  return true; // not an IP address at all
}
