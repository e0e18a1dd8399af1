import { DetectorSuite } from '../src/monitor/detector-suite.ts';
import { DEFAULT_THRESHOLDS, type DetectorThresholds } from '../src/monitor/thresholds.ts';
import { KEYS, PRIOR_LAST_USE, T0, MIN, WS, byTime, readFixture } from '../test/monitor/traffic.ts';
const FAST: DetectorThresholds = { ...DEFAULT_THRESHOLDS, rateSpike: { ...DEFAULT_THRESHOLDS.rateSpike, warmupMinutes: 30 }, newLocation: { ...DEFAULT_THRESHOLDS.newLocation, warmupHours: 1 } };
function run(name: string, t: DetectorThresholds, offboarded = false) {
  const ctx = { offboardedAt: (ws: string, o: string) => (offboarded && ws === WS && o === KEYS.k6.ownerId ? T0 + 120 * MIN : null), lastUseBefore: (k: string) => (k in PRIOR_LAST_USE ? PRIOR_LAST_USE[k] : undefined) };
  const suite = new DetectorSuite(t, ctx);
  const events = byTime([...readFixture('quiet'), ...(name === 'quiet' ? [] : readFixture(name))]);
  const out = events.flatMap((e) => suite.observe(e));
  console.log(name, JSON.stringify(out.map((f) => [f.type, f.severity, f.dedupeKey, new Date(f.at).toISOString().slice(11, 19), f.summary])));
}
run('quiet', DEFAULT_THRESHOLDS); run('quiet', FAST); run('quiet', FAST, true);
for (const n of ['rate-spike','new-country','impossible-travel','brute-force','key-stuffing','bad-signatures','scope-denials','offboarded-owner','dormant-key']) run(n, FAST, n === 'offboarded-owner');
