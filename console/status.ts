/**
 * The `/api/status` document. Tests and tools read it: keep it stable. Counts are numbers; fields that a
 * subsystem not yet built would fill are 0, never invented.
 */
export interface RouterStatus {
  /** clove's version. */
  version: string;
  /** Our router hash, I2P base64. */
  routerHash: string;
  netId: number;
  /** Seconds since the router started. */
  uptime: number;
  /** Established sessions per transport. */
  peers: { ntcp2: number; ssu2: number };
  netdb: { routers: number; floodfills: number; leaseSets: number };
  tunnels: { inbound: number; outbound: number; transit: number; /** 0..1 */ buildSuccessRate: number };
  /** Bytes per second, averaged over the last measurement window. */
  bandwidth: { inBps: number; outBps: number; transitBps: number };
}
