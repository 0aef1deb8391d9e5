/**
 * Names a SAM client gives: the DESTINATION of STREAM CONNECT / DATAGRAM SEND / UDP datagrams, and NAMING
 * LOOKUP. A base64 Destination, a `<52 chars>.b32.i2p` address, `ME`, or a `.i2p` host name from the address
 * book. Nothing is ever resolved through DNS.
 *
 * Spec: ../shared/specs/docs/api-samv3.html ("Host Name Lookup", "Connect Request": hostnames and b32
 * addresses are accepted for $destination), ../shared/specs/docs/naming.html.
 * i2pd 2.45.1 SAM.cpp ProcessNamingLookup / HandleNamingLookupLeaseSetRequestComplete / ProcessStreamConnect.
 *
 * Deviations, written down:
 *   - A b32 address whose LeaseSet cannot be found gives KEY_NOT_FOUND (spec, Java); i2pd 2.45.1 says
 *     INVALID_KEY. Names that are not I2P names at all (clearnet hosts, garbage) give INVALID_KEY.
 *   - Encrypted-LeaseSet (b33) addresses are not supported yet: KEY_NOT_FOUND with a message.
 *   - Without a session, a b32 lookup goes through the router's own netDb lookup (i2pd uses its shared
 *     local destination); with one, too — the destination's own lookup is not on its public surface.
 */
import { fromBase32, fromBase64, toBase64 } from '../../data/base64.js';
import { ParseError } from '../../data/errors.js';
import { parseDestination, type Destination } from '../../data/identity.js';

/** The address book handle (proxy/connector.ts AddressBookHandle satisfies it). */
export interface SamAddressBook {
  lookup(name: string): string | undefined;
}

/** The router's LeaseSet lookup, as a Destination. */
export type LeaseSetLookup = (hash: Uint8Array, opts: { signal?: AbortSignal }) => Promise<Destination | undefined>;

export class NameError extends Error {
  readonly result: 'INVALID_KEY' | 'KEY_NOT_FOUND';
  constructor(result: NameError['result'], message: string) {
    super(message);
    this.name = 'NameError';
    this.result = result;
  }
}

const B32_RE = /^([a-z2-7]{52})\.b32\.i2p$/;
const B33_RE = /^[a-z2-7]{56,}\.b32\.i2p$/;

/** A base64 Destination (padding optional), or undefined. */
export function parseBase64Destination(s: string): Destination | undefined {
  if (s.length < 516 || s.length > 4096) return undefined;
  const padded = s.length % 4 === 0 ? s : s + '='.repeat(4 - (s.length % 4));
  try {
    return parseDestination(fromBase64(padded));
  } catch (e) {
    if (e instanceof ParseError) return undefined;
    throw e;
  }
}

/**
 * A destination string → a b32 address or a Destination the ClientDestination can use directly. Throws
 * NameError.
 */
export function resolveTarget(s: string, ab: SamAddressBook | undefined): string | Destination {
  const lower = s.toLowerCase();
  if (B32_RE.test(lower)) return lower;
  if (B33_RE.test(lower)) throw new NameError('KEY_NOT_FOUND', 'encrypted LeaseSet (b33) addresses are not supported');
  if (lower.endsWith('.i2p')) {
    const found = ab?.lookup(lower);
    const d = found === undefined ? undefined : parseBase64Destination(found);
    if (!d) throw new NameError('KEY_NOT_FOUND', ab ? `${s.slice(0, 255)} is not in the address book` : 'no address book');
    return d;
  }
  const d = parseBase64Destination(s);
  if (!d) throw new NameError('INVALID_KEY', 'not a base64 destination, b32 address or .i2p name');
  return d;
}

export type LookupResult = { result: 'OK'; value: string } | { result: 'INVALID_KEY' | 'KEY_NOT_FOUND'; message: string };

/** NAMING LOOKUP NAME=… */
export async function namingLookup(
  name: string,
  o: { me: Destination | undefined; addressBook: SamAddressBook | undefined; lookupLeaseSet: LeaseSetLookup | undefined; timeoutMs: number; signal?: AbortSignal },
): Promise<LookupResult> {
  if (name === '') return { result: 'INVALID_KEY', message: 'NAME is missing' };
  if (name === 'ME') {
    if (!o.me) return { result: 'KEY_NOT_FOUND', message: 'no session on this socket' };
    return { result: 'OK', value: toBase64(o.me.bytes) };
  }
  const lower = name.toLowerCase();
  const m = B32_RE.exec(lower);
  if (m) {
    if (!o.lookupLeaseSet) return { result: 'KEY_NOT_FOUND', message: 'no LeaseSet lookup available' };
    const timeout = AbortSignal.timeout(o.timeoutMs);
    const signal = o.signal ? AbortSignal.any([o.signal, timeout]) : timeout;
    let d: Destination | undefined;
    try {
      d = await o.lookupLeaseSet(fromBase32(m[1]!), { signal });
    } catch {
      d = undefined;
    }
    return d ? { result: 'OK', value: toBase64(d.bytes) } : { result: 'KEY_NOT_FOUND', message: 'LeaseSet not found' };
  }
  try {
    const t = resolveTarget(name, o.addressBook);
    if (typeof t !== 'string') return { result: 'OK', value: toBase64(t.bytes) };
  } catch (e) {
    if (e instanceof NameError) return { result: e.result, message: e.message };
    throw e;
  }
  return { result: 'INVALID_KEY', message: 'unknown name' };
}
