/**
 * The RouterInfos this router knows, until the full netDb (netdb/netdb.ts: Kademlia, floodfill, lookups)
 * is wired in: loaded from the netDb folder at start, updated from what peers send (newer `published`
 * replaces older), persisted back to the folder. Bounded.
 */
import type { RouterInfo } from '../data/router-info.js';
import { isFloodfill } from '../data/router-info.js';
import { toBase64 } from '../data/base64.js';

export const MAX_KNOWN_ROUTERS = 10_000;

export class KnownRouters {
  readonly #map = new Map<string, RouterInfo>();
  readonly #ourHash: string;

  constructor(ourHash: Uint8Array) {
    this.#ourHash = toBase64(ourHash);
  }

  get(hash: Uint8Array): RouterInfo | undefined {
    return this.#map.get(toBase64(hash));
  }

  /** Add or update; returns true when `ri` is new or newer than what we had (the caller persists it). */
  put(ri: RouterInfo): boolean {
    const key = toBase64(ri.identity.hash);
    if (key === this.#ourHash) return false;
    const old = this.#map.get(key);
    if (old && old.published >= ri.published) return false;
    if (!old && this.#map.size >= MAX_KNOWN_ROUTERS) return false;
    this.#map.set(key, ri);
    return true;
  }

  all(): RouterInfo[] {
    return [...this.#map.values()];
  }

  floodfills(): RouterInfo[] {
    return this.all().filter(isFloodfill);
  }

  counts(): { routers: number; floodfills: number } {
    let f = 0;
    for (const ri of this.#map.values()) if (isFloodfill(ri)) f++;
    return { routers: this.#map.size, floodfills: f };
  }
}
