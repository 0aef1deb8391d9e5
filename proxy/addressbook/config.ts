/**
 * AddressBookOptions from an i2pd.conf-style Config: `addressbook.*` and `persist.addressbook` (i2pd 2.45.1
 * libi2pd/Config.cpp "AddressBook options"), DATADIR/subscriptions.txt (i2pd, deprecated), and the private
 * network policy (policy.ts). `addressbook.hostsfile` is taken as given (relative to the working directory),
 * as i2pd opens it.
 */
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../../conf/load.js';
import type { AddressBookOptions } from './book.js';
import { subscriptionSourcesFor } from './policy.js';

/** Largest subscriptions.txt read. */
const MAX_SUBSCRIPTIONS_TXT = 64 * 1024;

export async function addressBookOptionsFromConfig(config: Config, logger?: Logger): Promise<AddressBookOptions> {
  let subscriptionsTxt: string | undefined;
  const file = join(config.datadir, 'subscriptions.txt');
  try {
    const b = await readFile(file);
    if (b.length > MAX_SUBSCRIPTIONS_TXT) logger?.warn({ file }, 'subscriptions.txt too large; ignored');
    else {
      subscriptionsTxt = b.toString('utf8');
      logger?.warn({ file }, 'subscriptions.txt is deprecated (as in i2pd); use addressbook.subscriptions');
    }
  } catch {
    // absent: the config's list
  }
  const src = subscriptionSourcesFor(config, subscriptionsTxt);
  if (src.privateNetDefaultSubscriptions || src.privateNetDefaultUrl) {
    logger?.info(
      { netId: config.get('netid') },
      'private network: the built-in address book subscriptions serve the main network only and are not used; set addressbook.subscriptions / addressbook.defaulturl to subscribe',
    );
  }
  const hostsFile = config.get('addressbook.hostsfile');
  return {
    datadir: config.datadir,
    persist: config.get('persist.addressbook'),
    hostsFile: hostsFile === '' ? '' : resolve(hostsFile),
    subscriptions: src.subscriptions,
    defaultUrl: src.defaultUrl,
    ...(logger ? { logger } : {}),
  };
}
