/**
 * client/sam/ — the SAM v3 application bridge (../shared/specs/docs/api-samv3.html): protocol.ts (command
 * lines, sans-IO), keys.ts, naming.ts, sessions.ts, datagrams.ts (UDP port), bridge.ts (TCP control port).
 */
export * from './protocol.js';
export * from './keys.js';
export * from './naming.js';
export * from './sessions.js';
export * from './datagrams.js';
export * from './bridge.js';
