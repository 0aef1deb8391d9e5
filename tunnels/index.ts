/**
 * tunnels/: tunnel building blocks (sans-IO) and the TunnelManager that drives them (timers and handles injected).
 *   build/records.ts      ECIES-X25519 build request/reply records, long (528) and short (218)
 *   build/creator.ts      createTunnelBuild / readTunnelBuildReply (the tunnel creator)
 *   build/participant.ts  openBuildRequest / sealBuildReply / buildForward (a hop)
 *   fragment.ts           TunnelGateway (fragmentation) / TunnelEndpoint (reassembly), tunnel message codec
 *   data-path.ts          OutboundTunnelGateway / InboundTunnelEndpoint (creator), TransitTunnel (hop)
 *   selection.ts          hop candidates, weighted peer selection, per-peer build profiles
 *   transit.ts            TransitTunnels: answering build requests, the bounded transit table, transit data
 *   pool.ts               our own tunnels (types) and TunnelPool (quantity, tests pairing, sending)
 *   manager.ts            TunnelManager: the router's tunnel subsystem (composes all of the above)
 * Layer encryption is crypto/tunnel-layer.ts TunnelLayer.
 * Specs: ../shared/specs/spec/tunnel-creation-ecies.rst, ../shared/specs/spec/tunnel-message.rst,
 * ../shared/specs/docs/tunnels-implementation.html.
 */
export * from './build/records.js';
export * from './build/creator.js';
export * from './build/participant.js';
export * from './fragment.js';
export * from './data-path.js';
export * from './selection.js';
export * from './transit.js';
export * from './pool.js';
export * from './manager.js';
