import { describe, expect, it } from 'vitest';
import type { AlertSeverity } from '../../src/core/ports/store.ts';
import { DetectorSuite } from '../../src/monitor/detector-suite.ts';
import type { DetectorContext, Finding } from '../../src/monitor/detectors/finding.ts';
import { DEFAULT_THRESHOLDS, type AlertType, type DetectorThresholds } from '../../src/monitor/thresholds.ts';
import type { UsageEvent } from '../../src/monitor/usage-event.ts';
import { KEYS, MIN, PLACES, PRIOR_LAST_USE, T0, WS, byTime, fixtureFiles, readFixture } from './traffic.ts';
import { readFileSync } from 'node:fs';

// Known answers on recorded traffic (test/fixtures/traffic, made by ./traffic.ts). The fixtures
// are three hours long, so the scenario runs shorten the two day-scale warm-ups; the default
// thresholds are shown to hold those same scenarios back.

/** The scenario thresholds: defaults, with warm-ups that fit a three-hour recording. */
const SHORT: DetectorThresholds = {
  ...DEFAULT_THRESHOLDS,
  rateSpike: { ...DEFAULT_THRESHOLDS.rateSpike, warmupMinutes: 30 },
  newLocation: { ...DEFAULT_THRESHOLDS.newLocation, warmupHours: 1 },
};

const OFFBOARDED_AT = T0 + 120 * MIN;

function context(offboard: boolean): DetectorContext {
  return {
    offboardedAt: (ws, owner) => (offboard && ws === WS && owner === KEYS.k6.ownerId ? OFFBOARDED_AT : null),
    lastUseBefore: (keyId) => (keyId in PRIOR_LAST_USE ? PRIOR_LAST_USE[keyId] : undefined),
  };
}

function replay(events: readonly UsageEvent[], t: DetectorThresholds, opts: { offboard?: boolean; disabled?: AlertType[] } = {}): Finding[] {
  const suite = new DetectorSuite(t, context(opts.offboard ?? false), new Set(opts.disabled ?? []));
  return events.flatMap((e) => suite.observe(e));
}

function traffic(scenario?: string): UsageEvent[] {
  return byTime([...readFixture('quiet'), ...(scenario === undefined ? [] : readFixture(scenario))]);
}

const RANK: Record<AlertSeverity, number> = { low: 1, medium: 2, high: 3, critical: 4 };

/** What the alerts would be: per dedupe key, the type and highest severity. */
function alerts(findings: readonly Finding[]): Record<string, string> {
  const out = new Map<string, Finding>();
  for (const f of findings) {
    const cur = out.get(f.dedupeKey);
    if (cur === undefined || RANK[f.severity] > RANK[cur.severity]) out.set(f.dedupeKey, f);
  }
  return Object.fromEntries([...out.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, f]) => [k, `${f.type}/${f.severity}`]));
}

describe('recorded traffic fixtures', () => {
  it('are what the generator makes (regenerate: node --import tsx test/monitor/traffic.ts --write)', () => {
    for (const [name, text] of Object.entries(fixtureFiles())) {
      expect(readFileSync(new URL(`../fixtures/traffic/${name}.jsonl`, import.meta.url), 'utf8'), name).toBe(text);
    }
  });

  it('quiet traffic is ordinary: thousands of uses, six keys, a few refusals', () => {
    const quiet = readFixture('quiet');
    expect(quiet.length).toBeGreaterThan(3000);
    expect(new Set(quiet.map((e) => e.keyId)).size).toBe(8);
    expect(quiet.filter((e) => e.code !== 'VALID').length).toBeLessThan(40);
  });
});

describe('quiet traffic raises nothing', () => {
  it('with the default thresholds', () => {
    expect(replay(traffic(), DEFAULT_THRESHOLDS)).toEqual([]);
  });

  it('with the short warm-ups the scenarios use', () => {
    expect(replay(traffic(), SHORT)).toEqual([]);
  });

  it('with much tighter thresholds on every rule', () => {
    const tight: DetectorThresholds = {
      ...SHORT,
      rateSpike: { factor: 2, minRequests: 40, warmupMinutes: 10, baselineHalfLifeMinutes: 720 },
      newLocation: { warmupUses: 5, warmupHours: 0, maxNetworks: 2 },
      failedVerifications: { windowSeconds: 600, perIp: 6, perKey: 6 },
      badSignatures: { windowSeconds: 60, perIp: 2, perKey: 2 },
      scopeDenials: { windowSeconds: 600, perKey: 2 },
      dormant: { idleDays: 3 },
    };
    expect(replay(traffic(), tight)).toEqual([]);
  });
});

describe('each detector fires on its scenario with the expected severity and evidence', () => {
  it('rate-spike: 400 requests in a minute against a ~10/min key', () => {
    const f = replay(traffic('rate-spike'), SHORT);
    expect(alerts(f)).toEqual({ [`rate-spike:key:${KEYS.k1.id}`]: 'rate-spike/high' });
    expect(f.map((x) => x.severity)).toEqual(['medium', 'high']);
    expect(f[0]?.evidence).toMatchObject({ count: 60, threshold: 60, factor: 3, minute: '2026-01-05T02:10:00.000Z', lastIp: PLACES.londonOffice.ip, lastCountry: 'GB' });
    expect(f[0]?.evidence.baselinePerMinute).toBeGreaterThan(12);
    expect(f[0]?.evidence.baselinePerMinute).toBeLessThan(25);
    expect(f[1]?.evidence).toMatchObject({ count: 180 });
    expect(f[0]?.keyId).toBe(KEYS.k1.id);
    expect(f[0]?.workspaceId).toBe(WS);
  });

  it('new-country: a Frankfurt key used from Amsterdam (too close for impossible travel)', () => {
    const f = replay(traffic('new-country'), SHORT);
    expect(alerts(f)).toEqual({ [`new-country:key:${KEYS.k2.id}:NL`]: 'new-country/medium' });
    expect(f[0]?.evidence).toMatchObject({ ip: PLACES.amsterdam.ip, country: 'NL', network: PLACES.amsterdam.network, code: 'VALID', knownCountries: ['DE'], at: '2026-01-05T02:30:00.000Z' });
  });

  it('impossible-travel: São Paulo then Lisbon ten minutes later (and Lisbon is a new country)', () => {
    const f = replay(traffic('impossible-travel'), SHORT);
    expect(alerts(f)).toEqual({
      [`impossible-travel:key:${KEYS.k6.id}:BR-PT`]: 'impossible-travel/high',
      [`new-country:key:${KEYS.k6.id}:PT`]: 'new-country/medium',
    });
    const travel = f.find((x) => x.type === 'impossible-travel');
    expect(travel?.evidence).toMatchObject({ from: { ip: PLACES.saoPaulo.ip, country: 'BR' }, to: { ip: PLACES.lisbon.ip, country: 'PT', code: 'VALID' }, maxSpeedKmh: 1000 });
    // ~7,950 km great circle, less the two 50 km accuracy radii.
    expect(travel?.evidence.distanceKm).toBeGreaterThan(7700);
    expect(travel?.evidence.distanceKm).toBeLessThan(7950);
    expect(travel?.evidence.speedKmh).toBeGreaterThan(1000);
  });

  it('failed-verify-burst per address: 300 guessed keys from one address in two minutes', () => {
    const f = replay(traffic('brute-force'), SHORT);
    expect(alerts(f)).toEqual({ 'failed-verify-burst:ip:185.220.101.5': 'failed-verify-burst/high' });
    expect(f[0]?.severity).toBe('medium');
    expect(f[0]?.evidence).toMatchObject({ by: 'ip', ip: '185.220.101.5', count: 20, threshold: 20, windowSeconds: 60, countries: ['DE'], keys: [], routes: ['gateway'] });
    expect(Object.keys(f[0]?.evidence.codes as object)).toEqual(['MALFORMED', 'NOT_FOUND']);
    expect(f[0]?.keyId).toBeNull();
  });

  it('failed-verify-burst per key: a leaked allowlisted key tried from 15 addresses (and a new country)', () => {
    const f = replay(traffic('key-stuffing'), SHORT);
    expect(alerts(f)).toEqual({
      [`failed-verify-burst:key:${KEYS.k5.id}`]: 'failed-verify-burst/medium',
      [`new-country:key:${KEYS.k5.id}:DE`]: 'new-country/medium',
    });
    const burst = f.find((x) => x.type === 'failed-verify-burst');
    expect(burst?.evidence).toMatchObject({ by: 'key', keyId: KEYS.k5.id, count: 10, codes: { IP_NOT_ALLOWED: 10 } });
    expect(burst?.evidence.ips).toHaveLength(10);
  });

  it('bad-signature-burst: eight bad signatures against a signed key in 20 s', () => {
    const f = replay(traffic('bad-signatures'), SHORT);
    expect(alerts(f)).toEqual({ [`bad-signature-burst:key:${KEYS.k2.id}`]: 'bad-signature-burst/high' });
    expect(f[0]?.evidence).toMatchObject({ by: 'key', count: 5, threshold: 5, codes: { SIGNATURE_INVALID: 5 }, ips: [PLACES.frankfurtA.ip] });
  });

  it('scope-denial-burst: twelve scope denials in two minutes', () => {
    const f = replay(traffic('scope-denials'), SHORT);
    expect(alerts(f)).toEqual({ [`scope-denial-burst:key:${KEYS.k4.id}`]: 'scope-denial-burst/medium' });
    expect(f[0]?.evidence).toMatchObject({ by: 'key', count: 10, windowSeconds: 300, codes: { INSUFFICIENT_SCOPE: 10 }, countries: ['JP'] });
  });

  it('offboarded-owner-use: the owner left at 02:00, the key keeps working (critical), then is refused', () => {
    const f = replay(traffic('offboarded-owner'), SHORT, { offboard: true });
    expect(alerts(f)).toEqual({ [`offboarded-owner-use:key:${KEYS.k6.id}`]: 'offboarded-owner-use/critical' });
    expect(f.every((x) => x.at >= OFFBOARDED_AT)).toBe(true);
    expect(f[0]?.evidence).toMatchObject({ ownerId: KEYS.k6.ownerId, offboardedAt: '2026-01-05T02:00:00.000Z', code: 'VALID', ip: PLACES.saoPaulo.ip, country: 'BR' });
    expect(f.at(-1)).toMatchObject({ severity: 'high', evidence: { code: 'REVOKED' } });
    // One per key and minute at most.
    const minutes = f.map((x) => Math.floor(x.at / MIN));
    expect(new Set(minutes).size).toBe(minutes.length);
  });

  it('dormant-key-use: 40 idle days, and a first use 45 days after creation', () => {
    const f = replay(traffic('dormant-key'), SHORT);
    expect(alerts(f)).toEqual({ [`dormant-key-use:key:${KEYS.dormant.id}`]: 'dormant-key-use/medium', [`dormant-key-use:key:${KEYS.neverUsed.id}`]: 'dormant-key-use/medium' });
    expect(f[0]?.evidence).toMatchObject({ idleDays: 40, thresholdDays: 30, previousUseAt: new Date(T0 - 40 * 86_400_000).toISOString(), code: 'VALID' });
    expect(f[1]?.evidence).toMatchObject({ idleDays: 45, previousUseAt: null, createdAt: new Date(KEYS.neverUsed.createdAt).toISOString() });
  });
});

describe('thresholds are honoured', () => {
  it('the default 24 h location warm-up holds back a new country seen 2.5 h into the recording', () => {
    expect(replay(traffic('new-country'), DEFAULT_THRESHOLDS)).toEqual([]);
  });

  it('rate-spike: minRequests above the spike, or a warm-up longer than the recording', () => {
    expect(replay(traffic('rate-spike'), { ...SHORT, rateSpike: { ...SHORT.rateSpike, minRequests: 1000 } })).toEqual([]);
    expect(replay(traffic('rate-spike'), { ...SHORT, rateSpike: { ...SHORT.rateSpike, warmupMinutes: 200 } })).toEqual([]);
    // A higher factor moves the threshold: 8 × baseline (~18) is above the 60 floor.
    const f = replay(traffic('rate-spike'), { ...SHORT, rateSpike: { ...SHORT.rateSpike, factor: 8 } });
    expect(f[0]?.evidence.threshold).toBeGreaterThan(100);
    expect(f[0]?.evidence.factor).toBe(8);
  });

  it('bursts: per-address and per-key counts and the window', () => {
    expect(replay(traffic('brute-force'), { ...SHORT, failedVerifications: { ...SHORT.failedVerifications, perIp: 400 } })).toEqual([]);
    expect(replay(traffic('brute-force'), { ...SHORT, failedVerifications: { ...SHORT.failedVerifications, windowSeconds: 1 } })).toEqual([]);
    expect(alerts(replay(traffic('key-stuffing'), { ...SHORT, failedVerifications: { ...SHORT.failedVerifications, perKey: 16 } }))).not.toHaveProperty(`failed-verify-burst:key:${KEYS.k5.id}`);
    expect(replay(traffic('bad-signatures'), { ...SHORT, badSignatures: { ...SHORT.badSignatures, perKey: 9 } })).toEqual([]);
    expect(replay(traffic('scope-denials'), { ...SHORT, scopeDenials: { windowSeconds: 300, perKey: 13 } })).toEqual([]);
  });

  it('travel speed and distance, dormancy, and switched-off rules', () => {
    const travel = (t: Partial<DetectorThresholds['impossibleTravel']>) => replay(traffic('impossible-travel'), { ...SHORT, impossibleTravel: { ...SHORT.impossibleTravel, ...t } }).filter((f) => f.type === 'impossible-travel');
    expect(travel({ maxSpeedKmh: 1_000_000 })).toEqual([]);
    expect(travel({ minDistanceKm: 9000 })).toEqual([]);
    expect(replay(traffic('dormant-key'), { ...SHORT, dormant: { idleDays: 46 } })).toEqual([]);
    expect(replay(traffic('impossible-travel'), SHORT, { disabled: ['impossible-travel', 'new-country'] })).toEqual([]);
  });
});
