import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { BoundedMap } from '../../src/monitor/bounded-map.ts';
import { distanceKm } from '../../src/monitor/geo-distance.ts';
import { networkOf } from '../../src/monitor/network.ts';
import { DEFAULT_THRESHOLDS } from '../../src/monitor/thresholds.ts';
import { WindowCounter } from '../../src/monitor/window-counter.ts';

describe('networkOf', () => {
  it('is the /24 of IPv4 and the /48 of IPv6, mapped IPv4 included', () => {
    expect(networkOf('203.0.113.9')).toBe('203.0.113.0/24');
    expect(networkOf('::ffff:203.0.113.9')).toBe('203.0.113.0/24');
    expect(networkOf('2001:db8:1:2::1')).toBe('2001:db8:1::/48');
    expect(networkOf('2001:DB8:0001:ffff:1:2:3:4')).toBe('2001:db8:1::/48');
    expect(networkOf('::1')).toBe('0:0:0::/48');
    expect(networkOf('64:ff9b::192.0.2.33')).toBe('64:ff9b:0::/48');
    expect(networkOf('not an ip')).toBeNull();
    expect(networkOf('')).toBeNull();
  });

  it('puts every address of a /48 in the same network (property)', () => {
    const group = fc.integer({ min: 0, max: 0xffff }).map((n) => n.toString(16));
    fc.assert(
      fc.property(fc.tuple(group, group, group), fc.array(group, { minLength: 5, maxLength: 5 }), fc.array(group, { minLength: 5, maxLength: 5 }), (head, a, b) => {
        expect(networkOf([...head, ...a].join(':'))).toBe(networkOf([...head, ...b].join(':')));
      }),
    );
  });
});

describe('WindowCounter', () => {
  it('counts events of the last window only, within a tenth of it', () => {
    const w = new WindowCounter(60_000);
    for (let s = 0; s < 120; s += 1) w.add(s * 1000);
    expect(w.total(119_000)).toBeGreaterThanOrEqual(60);
    expect(w.total(119_000)).toBeLessThanOrEqual(66);
    expect(w.total(200_000)).toBe(0);
    w.add(50_000);
    expect(w.total(119_999)).toBeLessThanOrEqual(67);
  });
});

describe('BoundedMap', () => {
  it('never holds more than its capacity and keeps what is in use', () => {
    const m = new BoundedMap<number, number>(100);
    for (let i = 0; i < 10_000; i += 1) {
      m.set(i, i);
      expect(m.get(0)).toBe(0);
    }
    expect(m.size).toBe(100);
    expect(m.evicted).toBe(9900);
    expect(m.has(9999)).toBe(true);
  });
});

describe('distanceKm', () => {
  it('matches known great-circle distances', () => {
    expect(Math.round(distanceKm({ lat: 51.5072, lon: -0.1276 }, { lat: 50.1109, lon: 8.6821 }))).toBeGreaterThan(630);
    expect(Math.round(distanceKm({ lat: 51.5072, lon: -0.1276 }, { lat: 50.1109, lon: 8.6821 }))).toBeLessThan(645);
    expect(distanceKm({ lat: 0, lon: 0 }, { lat: 0, lon: 180 })).toBeCloseTo(Math.PI * 6371.0088, 0);
    expect(distanceKm({ lat: 10, lon: 10 }, { lat: 10, lon: 10 })).toBe(0);
  });
});

describe('monitor configuration', () => {
  it('defaults to DEFAULT_THRESHOLDS, and every CLAVIS_DETECT_* setting lands in its place', () => {
    expect(loadConfig({}).monitor).toEqual({ trustProxy: [], geoip: true, flushIntervalSeconds: 10, retentionDays: 90, maxPendingEvents: 100_000, disabled: [], thresholds: DEFAULT_THRESHOLDS });
    const c = loadConfig({
      CLAVIS_TRUST_PROXY: '10.0.0.0/8, ::1',
      CLAVIS_GEOIP: 'false',
      CLAVIS_DETECTORS_DISABLED: 'new-network,impossible-travel',
      CLAVIS_DETECT_RATE_SPIKE_FACTOR: '4.5',
      CLAVIS_DETECT_RATE_SPIKE_MIN_REQUESTS: '100',
      CLAVIS_DETECT_RATE_SPIKE_WARMUP_MINUTES: '10',
      CLAVIS_DETECT_RATE_SPIKE_HALF_LIFE_MINUTES: '60',
      CLAVIS_DETECT_NEW_LOCATION_WARMUP_USES: '5',
      CLAVIS_DETECT_NEW_LOCATION_WARMUP_HOURS: '2',
      CLAVIS_DETECT_NEW_LOCATION_MAX_NETWORKS: '3',
      CLAVIS_DETECT_TRAVEL_MAX_SPEED_KMH: '900',
      CLAVIS_DETECT_TRAVEL_MIN_DISTANCE_KM: '300',
      CLAVIS_DETECT_FAILED_WINDOW_SECONDS: '30',
      CLAVIS_DETECT_FAILED_PER_IP: '7',
      CLAVIS_DETECT_FAILED_PER_KEY: '8',
      CLAVIS_DETECT_BAD_SIGNATURE_WINDOW_SECONDS: '31',
      CLAVIS_DETECT_BAD_SIGNATURE_PER_IP: '9',
      CLAVIS_DETECT_BAD_SIGNATURE_PER_KEY: '2',
      CLAVIS_DETECT_SCOPE_DENIAL_WINDOW_SECONDS: '120',
      CLAVIS_DETECT_SCOPE_DENIAL_PER_KEY: '4',
      CLAVIS_DETECT_DORMANT_DAYS: '14',
      CLAVIS_DETECT_MAX_TRACKED_KEYS: '5000',
      CLAVIS_DETECT_MAX_TRACKED_IPS: '6000',
    }).monitor;
    expect(c).toMatchObject({ trustProxy: ['10.0.0.0/8', '::1'], geoip: false, disabled: ['new-network', 'impossible-travel'] });
    expect(c.thresholds).toEqual({
      rateSpike: { factor: 4.5, minRequests: 100, warmupMinutes: 10, baselineHalfLifeMinutes: 60 },
      newLocation: { warmupUses: 5, warmupHours: 2, maxNetworks: 3 },
      impossibleTravel: { maxSpeedKmh: 900, minDistanceKm: 300 },
      failedVerifications: { windowSeconds: 30, perIp: 7, perKey: 8 },
      badSignatures: { windowSeconds: 31, perIp: 9, perKey: 2 },
      scopeDenials: { windowSeconds: 120, perKey: 4 },
      dormant: { idleDays: 14 },
      maxTrackedKeys: 5000,
      maxTrackedIps: 6000,
    });
  });

  it('refuses unknown alert types, bad proxy ranges and a spike factor of 1', () => {
    expect(() => loadConfig({ CLAVIS_DETECTORS_DISABLED: 'rate-spike,nope' })).toThrow(/unknown alert type: nope/);
    expect(() => loadConfig({ CLAVIS_TRUST_PROXY: '10.0.0.0/33' })).toThrow(/CLAVIS_TRUST_PROXY/);
    expect(() => loadConfig({ CLAVIS_DETECT_RATE_SPIKE_FACTOR: '1' })).toThrow(/CLAVIS_DETECT_RATE_SPIKE_FACTOR/);
  });
});
