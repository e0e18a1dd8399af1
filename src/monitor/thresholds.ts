/** The alert types, one per detector rule (docs/guides/monitoring.md describes each). */
export const ALERT_TYPES = [
  'rate-spike',
  'new-country',
  'new-network',
  'impossible-travel',
  'failed-verify-burst',
  'bad-signature-burst',
  'scope-denial-burst',
  'offboarded-owner-use',
  'dormant-key-use',
] as const;
export type AlertType = (typeof ALERT_TYPES)[number];

/** Every detector threshold; src/config.ts maps each to a CLAVIS_DETECT_* setting. */
export interface DetectorThresholds {
  rateSpike: {
    /** A minute's count must reach this multiple of the key's baseline… */
    factor: number;
    /** …and at least this many requests. */
    minRequests: number;
    /** Minutes a key must have been seen before its baseline counts. */
    warmupMinutes: number;
    /** Half-life of the decaying per-minute peak that is the baseline. */
    baselineHalfLifeMinutes: number;
  };
  newLocation: {
    /** Successful uses a key needs before a new country or network is news. */
    warmupUses: number;
    /** …and hours since its first use. */
    warmupHours: number;
    /** A key seen from more networks than this roams (mobile clients): new networks stop alerting. */
    maxNetworks: number;
  };
  impossibleTravel: {
    /** Speed between consecutive uses above which travel is impossible. */
    maxSpeedKmh: number;
    /** Distances below this (after the accuracy radii) are GeoIP noise. */
    minDistanceKm: number;
  };
  failedVerifications: { windowSeconds: number; perIp: number; perKey: number };
  badSignatures: { windowSeconds: number; perIp: number; perKey: number };
  scopeDenials: { windowSeconds: number; perKey: number };
  dormant: {
    /** A key unused (or, if never used, existing) this long is dormant: its next use alerts. */
    idleDays: number;
  };
  /** State bounds: keys and addresses tracked per detector (least recently seen evicted). */
  maxTrackedKeys: number;
  maxTrackedIps: number;
}

export const DEFAULT_THRESHOLDS: DetectorThresholds = {
  rateSpike: { factor: 3, minRequests: 60, warmupMinutes: 60, baselineHalfLifeMinutes: 1440 },
  newLocation: { warmupUses: 50, warmupHours: 24, maxNetworks: 8 },
  impossibleTravel: { maxSpeedKmh: 1000, minDistanceKm: 500 },
  failedVerifications: { windowSeconds: 60, perIp: 20, perKey: 10 },
  badSignatures: { windowSeconds: 60, perIp: 10, perKey: 5 },
  scopeDenials: { windowSeconds: 300, perKey: 10 },
  dormant: { idleDays: 30 },
  maxTrackedKeys: 100_000,
  maxTrackedIps: 100_000,
};
