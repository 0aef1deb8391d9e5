/**
 * Which subscription URLs the address book may fetch, from the config — the address book's counterpart of
 * router/reseed-policy.ts. The built-in `addressbook.defaulturl` and `addressbook.subscriptions` (i2pd's
 * defaults, hosts on the main network) serve netid 2 only: on a private netId they are never fetched unless
 * set explicitly — a router must never fall back to the real network's name servers silently.
 * Also i2pd's (deprecated) DATADIR/subscriptions.txt: when present, its lines replace
 * `addressbook.subscriptions` (i2pd 2.45.1 AddressBook.cpp `LoadSubscriptions`); it is the user's own file,
 * so it applies on any network.
 */
import type { Config } from '../../conf/load.js';
import { MAIN_NET_ID } from '../../conf/schema.js';

export interface SubscriptionSources {
  subscriptions: readonly string[];
  /** '' when none. */
  defaultUrl: string;
  /** The built-in list was dropped because the network is private. */
  privateNetDefaultSubscriptions: boolean;
  /** The built-in defaulturl was dropped because the network is private. */
  privateNetDefaultUrl: boolean;
}

export function subscriptionSourcesFor(config: Pick<Config, 'get' | 'isDefault'>, subscriptionsTxt?: string): SubscriptionSources {
  const privateNet = config.get('netid') !== MAIN_NET_ID;
  const dropSubs = privateNet && config.isDefault('addressbook.subscriptions');
  const dropDefault = privateNet && config.isDefault('addressbook.defaulturl');
  let subscriptions: readonly string[];
  if (subscriptionsTxt !== undefined) {
    subscriptions = subscriptionsTxt
      .split(/\r?\n/)
      .map((l) => l.trim())
      .filter((l) => l !== '' && !l.startsWith('#'));
  } else {
    subscriptions = dropSubs ? [] : config.get('addressbook.subscriptions').map((s) => s.trim()).filter((s) => s !== '');
  }
  return {
    subscriptions,
    defaultUrl: dropDefault ? '' : config.get('addressbook.defaulturl').trim(),
    privateNetDefaultSubscriptions: subscriptionsTxt === undefined && dropSubs,
    privateNetDefaultUrl: dropDefault,
  };
}
