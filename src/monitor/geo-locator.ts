import type { GeoPoint } from './usage-event.ts';
import { BoundedMap } from './bounded-map.ts';
import { networkOf } from './network.ts';

/** Where an address is, as far as the GeoIP data knows. */
export interface GeoLocation {
  country: string | null;
  point: GeoPoint | null;
}

/**
 * The GeoIP port: synchronous, in-process (the geoip-lite adapter reads its shipped database in
 * memory). The monitor calls it when it drains its queue, never on the verify path.
 */
export interface GeoLocator {
  locate(ip: string): GeoLocation;
}

/** No GeoIP data: every address is unlocated (country and travel detectors stay quiet). */
export const NO_GEO: GeoLocator = { locate: () => ({ country: null, point: null }) };

/** A location and network per address, cached: client addresses repeat, lookups cost microseconds. */
export class CachedLocator {
  readonly #inner: GeoLocator;
  readonly #cache: BoundedMap<string, GeoLocation & { network: string | null }>;

  constructor(inner: GeoLocator, capacity = 65_536) {
    this.#inner = inner;
    this.#cache = new BoundedMap(capacity);
  }

  locate(ip: string): GeoLocation & { network: string | null } {
    return this.#cache.upsert(ip, () => ({ ...this.#inner.locate(ip), network: networkOf(ip) }));
  }
}
