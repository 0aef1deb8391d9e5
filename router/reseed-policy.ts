/**
 * Which reseed URLs a router may contact. The built-in list (i2pd's defaults) serves the main network
 * (netid 2) only: a router on a private netId never contacts it unless reseed.urls is set explicitly —
 * a router must never fall back to the real network's reseed hosts silently.
 */
import type { Config } from '../conf/load.js';
import { MAIN_NET_ID } from '../conf/schema.js';

export function reseedUrlsFor(config: Config): { urls: readonly string[]; privateNetDefault: boolean } {
  const privateNetDefault = config.get('netid') !== MAIN_NET_ID && config.isDefault('reseed.urls');
  return { urls: privateNetDefault ? [] : config.get('reseed.urls'), privateNetDefault };
}
