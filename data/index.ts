/**
 * data/ — the I2P common structures (../shared/specs/spec/common-structures.rst).
 */
export * from './bytes.js';
export * from './errors.js';
export * from './base64.js';
export * from './primitives.js';
export * from './key-types.js';
export * from './identity.js';
export * from './router-info.js';
export * from './lease-set2.js';
export * from './private-key-file.js';
