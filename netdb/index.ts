/**
 * netdb/ — the network database (../shared/specs/docs/how-network-database.html): Kademlia metric, store,
 * iterative lookups, publishing, the floodfill role, and the NetDb composing them; folder.ts keeps
 * RouterInfos on disk in i2pd's layout.
 */
export * from './kademlia.js';
export * from './timers.js';
export * from './store.js';
export * from './lookup.js';
export * from './publish.js';
export * from './floodfill.js';
export * from './netdb.js';
export * from './folder.js';
