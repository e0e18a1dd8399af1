import { BoundedMap } from '../bounded-map.ts';
import { distanceKm } from '../geo-distance.ts';
import type { DetectorThresholds } from '../thresholds.ts';
import { HOUR_MS, type GeoPoint, type UsageEvent } from '../usage-event.ts';
import { iso, NOTHING, type Detector, type Finding } from './finding.ts';

interface Fix extends GeoPoint {
  at: number;
  ip: string;
  country: string | null;
}

/** Below this, two uses are simultaneous for the speed computation. */
const MIN_HOURS = 1 / 3600;

/**
 * **impossible-travel.** Per key, each located use is compared with the key's previous
 * successful located use: the great-circle distance minus both accuracy radii (GeoIP places a
 * country-level address at its centroid, ±1000 km) must be at least `minDistanceKm`, and that
 * distance over the time between the uses faster than `maxSpeedKmh` (an airliner is ~900 km/h).
 * Raises `high`, one alert per key and pair of countries. Any outcome is compared (a refused use
 * from the far side of the world still means someone there holds the key); only successful uses
 * move the key's position.
 */
export class ImpossibleTravelDetector implements Detector {
  readonly type = 'impossible-travel' as const;
  readonly #t: DetectorThresholds['impossibleTravel'];
  readonly #last: BoundedMap<string, Fix>;

  constructor(t: DetectorThresholds['impossibleTravel'], maxKeys: number) {
    this.#t = t;
    this.#last = new BoundedMap(maxKeys);
  }

  tracked(): number {
    return this.#last.size;
  }

  observe(e: UsageEvent): readonly Finding[] {
    if (e.keyId === null || e.location === null) return NOTHING;
    const prev = this.#last.get(e.keyId);
    let out: readonly Finding[] = NOTHING;
    // Same place as last time (most traffic): no trigonometry, no allocation.
    if (prev !== undefined && prev.lat === e.location.lat && prev.lon === e.location.lon) {
      if (e.code === 'VALID') {
        prev.at = e.at;
        prev.ip = e.ip;
        prev.radiusKm = e.location.radiusKm;
      }
      return NOTHING;
    }
    if (prev !== undefined && e.at >= prev.at) {
      const km = Math.max(0, distanceKm(prev, e.location) - prev.radiusKm - e.location.radiusKm);
      const hours = Math.max((e.at - prev.at) / HOUR_MS, MIN_HOURS);
      const speed = km / hours;
      if (km >= this.#t.minDistanceKm && speed > this.#t.maxSpeedKmh) {
        const pair = [prev.country ?? '??', e.country ?? '??'].sort().join('-');
        out = [{
          type: this.type,
          severity: 'high',
          workspaceId: e.workspaceId,
          keyId: e.keyId,
          dedupeKey: `impossible-travel:key:${e.keyId}:${pair}`,
          summary: `used from ${prev.country ?? 'unknown'} and ${e.country ?? 'unknown'} ${Math.round(km)} km apart within ${formatHours(e.at - prev.at)} (${Math.round(speed)} km/h)`,
          evidence: {
            from: { ip: prev.ip, country: prev.country, lat: prev.lat, lon: prev.lon, radiusKm: prev.radiusKm, at: iso(prev.at) },
            to: { ip: e.ip, country: e.country, lat: e.location.lat, lon: e.location.lon, radiusKm: e.location.radiusKm, at: iso(e.at), code: e.code },
            distanceKm: Math.round(km),
            seconds: Math.round((e.at - prev.at) / 1000),
            speedKmh: Math.round(speed),
            maxSpeedKmh: this.#t.maxSpeedKmh,
          },
          at: e.at,
        }];
      }
    }
    if (e.code === 'VALID') {
      if (prev === undefined) this.#last.set(e.keyId, { ...e.location, at: e.at, ip: e.ip, country: e.country });
      else {
        prev.lat = e.location.lat;
        prev.lon = e.location.lon;
        prev.radiusKm = e.location.radiusKm;
        prev.at = e.at;
        prev.ip = e.ip;
        prev.country = e.country;
      }
    }
    return out;
  }
}

function formatHours(ms: number): string {
  const minutes = Math.round(ms / 60_000);
  return minutes < 120 ? `${minutes} min` : `${Math.round(minutes / 60)} h`;
}
