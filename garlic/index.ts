/**
 * garlic/: ECIES-X25519-AEAD-Ratchet (../shared/specs/spec/ecies.rst) and ECIES garlic for routers
 * (../shared/specs/spec/ecies-routers.rst, proposals/154-ecies-lookups.rst). Sans-IO.
 */
export * from './blocks.js';
export * from './tagset.js';
export * from './handshake.js';
export * from './session.js';
export * from './router-garlic.js';
