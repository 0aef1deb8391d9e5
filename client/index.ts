/**
 * client/ — what runs on top of garlic for a local destination: the destination itself (LeaseSet,
 * publishing, lookups, garlic to remote destinations), the I2CP payload of Data messages, datagrams, and
 * streaming (client/streaming/).
 */
export * from './i2cp-payload.js';
export * from './leaseset.js';
export * from './datagram.js';
export * from './destination.js';
export * from './streaming/index.js';
