/** The address book (see book.ts): names → destinations, hosts.txt, subscriptions over I2P. */
export * from './book.js';
export * from './config.js';
export * from './fetch.js';
export * from './hosts-txt.js';
export * from './names.js';
export * from './policy.js';
export * from './resolve.js';
export * from './storage.js';
