/**
 * Turning a proxy's target host into something a ClientDestination can connect to.
 * Spec: ../shared/specs/docs/naming.html ("Base32 Names", "Naming Services"). Behaviour reference: i2pd 2.45.1
 * AddressBook.cpp `GetAddress` — `.b32.i2p` decodes directly, other `.i2p` names come from the address book
 * (none when it is disabled), anything else is tried as a full base64 destination. Never DNS.
 * Deviation: b33 (encrypted LeaseSet) addresses are refused as BAD_ADDRESS (not supported by clove yet).
 */
import { fromBase64 } from '../../data/base64.js';
import { ParseError } from '../../data/errors.js';
import { parseDestination, type Destination } from '../../data/identity.js';
import { I2PConnectError } from '../connector.js';
import type { AddressBook } from './book.js';
import { B32_HOST_RE, normalizeHost } from './names.js';

/** Shortest base64 Destination (387 bytes). */
const MIN_B64_DEST = 516;

/**
 * `host` → a b32 address string or a Destination for `ClientDestination.connect`. Throws I2PConnectError:
 * NOT_FOUND (a `.i2p` name the book does not know, or no book), BAD_ADDRESS (anything else unusable).
 */
export function resolveI2PHost(host: string, book: Pick<AddressBook, 'resolve'> | undefined): string | Destination | Uint8Array {
  const h = normalizeHost(host);
  if (B32_HOST_RE.test(h)) return h;
  if (h.endsWith('.b32.i2p')) throw new I2PConnectError('BAD_ADDRESS', `${host}: not a b32 address (encrypted LeaseSet b33 addresses are not supported)`);
  if (h.endsWith('.i2p')) {
    if (!book) throw new I2PConnectError('NOT_FOUND', `${host}: not found (the address book is disabled)`);
    const r = book.resolve(h);
    if (!r) throw new I2PConnectError('NOT_FOUND', `${host}: not in the address book`);
    return r.destination ?? r.hash;
  }
  const b64 = host.trim();
  if (b64.length >= MIN_B64_DEST) {
    try {
      return parseDestination(fromBase64(b64, 'destination'));
    } catch (e) {
      if (!(e instanceof ParseError)) throw e;
    }
  }
  throw new I2PConnectError('BAD_ADDRESS', `${host.length > 80 ? `${host.slice(0, 80)}…` : host}: not an I2P address`);
}
