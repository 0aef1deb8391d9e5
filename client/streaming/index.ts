/**
 * client/streaming — the I2P streaming protocol (../shared/specs/spec/streaming.rst).
 */
export * from './clock.js';
export * from './packet.js';
export * from './connection.js';
export * from './manager.js';
