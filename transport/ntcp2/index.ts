/**
 * NTCP2 transport (../shared/specs/spec/ntcp2.rst): sans-IO handshake and frames, plus the socket
 * session and listener built on them.
 */
export * from './frames.js';
export * from './handshake.js';
export * from './replay.js';
export * from './session.js';
export * from './listener.js';
