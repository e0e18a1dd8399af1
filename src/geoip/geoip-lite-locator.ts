import { createRequire } from 'node:module';
import type * as GeoipLite from 'geoip-lite';
import type { GeoLocation, GeoLocator } from '../monitor/geo-locator.ts';

/** Accuracy assumed when the database gives none (country-level entries). */
const DEFAULT_RADIUS_KM = 1000;

/**
 * The GeoIP port on `geoip-lite` (MaxMind GeoLite2 data shipped in the package). Loading reads
 * the database into memory synchronously (~0.4 s, ~150 MB), so it happens once, at start-up, and
 * only when CLAVIS_GEOIP is on. Private, reserved and unknown addresses are unlocated.
 *
 * @example const geo = loadGeoipLite(); geo.locate('81.2.69.142') // { country: 'GB', point: { lat: 51.75, lon: -0.33, radiusKm: 100 } }
 */
export function loadGeoipLite(): GeoLocator {
  const geoip = createRequire(import.meta.url)('geoip-lite') as typeof GeoipLite;
  return {
    locate(ip: string): GeoLocation {
      const r = geoip.lookup(ip);
      if (r === null) return { country: null, point: null };
      const country = /^[A-Z]{2}$/.test(r.country) ? r.country : null;
      // Entries without a position come back as [null, null] whatever the typings say.
      const [lat, lon] = r.ll as [number | null, number | null];
      const point = typeof lat === 'number' && typeof lon === 'number' && (lat !== 0 || lon !== 0) ? { lat, lon, radiusKm: Number.isFinite(r.area) && r.area > 0 ? r.area : DEFAULT_RADIUS_KM } : null;
      return { country, point };
    },
  };
}
