/**
 * Host name rules for address book entries.
 *
 * Spec: ../shared/specs/docs/naming.html "Naming Rules" (lower case, [a-z0-9.-], ends with .i2p, at most 67
 * characters, no leading '.'/'-', no '..', '.-', '-.', '--' only in IDN 'xn--' labels, no *.b32.i2p, some
 * reserved names). The exact checks are Java I2P's `AddressBook.isValidKey` (apps/addressbook), which is what
 * the naming page describes.
 *
 * Deviations, written down:
 * - The spec's list of reserved names includes mail.i2p; Java I2P's code does not reserve it (and it is a
 *   registered name on the live network), so neither do we. Reserved: proxy, router, console and their
 *   subdomains, b32.i2p itself, and 52-base32-character names (`<52 chars>.i2p`, a b32 spoof).
 * - i2pd 2.45.1 (AddressBook.cpp LoadHostsFromStream) only requires ".i2p" somewhere in the name and
 *   refuses ".b32.i2p"; Java's rules are stricter and are applied to names from hosts.txt and subscriptions.
 *   Names in an i2pd addresses.csv are loaded without these checks (they are the user's own book).
 */

/** Longest host name (63 + ".i2p"), Java I2P's limit. */
export const MAX_HOST_NAME_LENGTH = 67;

const HOST_CHARS = /^[a-z0-9.-]+$/;
const B32_SPOOF = /^[a-z2-7]{52}\.i2p$/;
const RESERVED = ['proxy.i2p', 'router.i2p', 'console.i2p'];

/** Why a (lower-cased) name is not a valid address book name. */
export type HostNameProblem = 'NOT_I2P' | 'TOO_LONG' | 'BAD_CHARS' | 'BAD_DOTS_DASHES' | 'B32' | 'RESERVED';

/** undefined when `name` (already lower-cased) may be an address book entry, else the reason. */
export function hostNameProblem(name: string): HostNameProblem | undefined {
  if (!name.endsWith('.i2p') || name.length <= 4) return 'NOT_I2P';
  if (name.length > MAX_HOST_NAME_LENGTH) return 'TOO_LONG';
  if (!HOST_CHARS.test(name)) return 'BAD_CHARS';
  if (name.startsWith('.') || name.startsWith('-') || name.includes('..') || name.includes('.-') || name.includes('-.')) {
    return 'BAD_DOTS_DASHES';
  }
  if (name.includes('--') && !name.startsWith('xn--') && !name.includes('.xn--')) return 'BAD_DOTS_DASHES';
  if (name === 'b32.i2p' || name.endsWith('.b32.i2p') || B32_SPOOF.test(name)) return 'B32';
  for (const r of RESERVED) if (name === r || name.endsWith(`.${r}`)) return 'RESERVED';
  return undefined;
}

export function isValidHostName(name: string): boolean {
  return hostNameProblem(name) === undefined;
}

/** `<52 base32 chars>.b32.i2p` (a destination hash), case-insensitive. */
export const B32_HOST_RE = /^([a-z2-7]{52})\.b32\.i2p$/i;

/** Lower-case a host and drop one trailing dot, as the proxies hand hosts over. */
export function normalizeHost(host: string): string {
  const h = host.trim().toLowerCase();
  return h.endsWith('.') ? h.slice(0, -1) : h;
}
