/**
 * netdb/reseed — bootstrap RouterInfos from su3 bundles (file or HTTPS) or a zip.
 * Spec: ../shared/specs/spec/updates.rst ("SU3 File Specification", "SU3 Reseed File Specification").
 */
export * from './su3.js';
export * from './zip.js';
export * from './certificates.js';
export * from './reseed.js';
export * from './proxy.js';
