/**
 * Recorded verify traffic for the detector tests, generated deterministically (a seeded PRNG) and
 * kept in test/fixtures/traffic/*.jsonl; traffic.test.ts fails when the files and this generator
 * disagree. Regenerate with `node --import tsx test/monitor/traffic.ts --write`.
 *
 * quiet.jsonl is three hours of ordinary traffic of six keys in one workspace. Each scenario file
 * holds only the events an incident adds; a test replays quiet + scenario merged by time. The geo
 * fields are recorded as located, so the answers do not depend on the GeoIP database version.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import type { VerifyCode } from '../../src/core/keys/verify.ts';
import type { GeoPoint, UsageEvent } from '../../src/monitor/usage-event.ts';

export const T0 = Date.UTC(2026, 0, 5);
export const MIN = 60_000;
export const HOUR = 3_600_000;
export const DAY = 86_400_000;
export const WS = 'ws_traffic';

interface Place {
  ip: string;
  country: string;
  network: string;
  location: GeoPoint;
}

export const PLACES = {
  londonOffice: { ip: '81.2.69.10', country: 'GB', network: '81.2.69.0/24', location: { lat: 51.5072, lon: -0.1276, radiusKm: 20 } },
  londonOffice2: { ip: '81.2.69.11', country: 'GB', network: '81.2.69.0/24', location: { lat: 51.5072, lon: -0.1276, radiusKm: 20 } },
  frankfurtA: { ip: '45.83.64.20', country: 'DE', network: '45.83.64.0/24', location: { lat: 50.1109, lon: 8.6821, radiusKm: 50 } },
  frankfurtB: { ip: '45.83.65.21', country: 'DE', network: '45.83.65.0/24', location: { lat: 50.1109, lon: 8.6821, radiusKm: 50 } },
  virginia1: { ip: '3.80.0.10', country: 'US', network: '3.80.0.0/24', location: { lat: 39.0438, lon: -77.4874, radiusKm: 50 } },
  virginia2: { ip: '3.80.0.11', country: 'US', network: '3.80.0.0/24', location: { lat: 39.0438, lon: -77.4874, radiusKm: 50 } },
  tokyo: { ip: '133.242.0.7', country: 'JP', network: '133.242.0.0/24', location: { lat: 35.6837, lon: 139.6805, radiusKm: 20 } },
  saoPaulo: { ip: '177.71.128.9', country: 'BR', network: '177.71.128.0/24', location: { lat: -23.5505, lon: -46.6333, radiusKm: 50 } },
  amsterdam: { ip: '94.142.240.3', country: 'NL', network: '94.142.240.0/24', location: { lat: 52.3676, lon: 4.9041, radiusKm: 50 } },
  lisbon: { ip: '188.81.12.4', country: 'PT', network: '188.81.12.0/24', location: { lat: 38.7223, lon: -9.1393, radiusKm: 50 } },
  torExit: { ip: '185.220.101.5', country: 'DE', network: '185.220.101.0/24', location: { lat: 51.2993, lon: 9.491, radiusKm: 200 } },
} satisfies Record<string, Place>;

export interface KeyInfo {
  id: string;
  ownerId: string;
  createdAt: number;
}

export const KEYS = {
  k1: { id: 'key_k1_steady_london', ownerId: 'owner-1', createdAt: T0 - 10 * DAY },
  k2: { id: 'key_k2_frankfurt_signed', ownerId: 'owner-2', createdAt: T0 - 10 * DAY },
  k3: { id: 'key_k3_hourly_cron', ownerId: 'owner-3', createdAt: T0 - 10 * DAY },
  k4: { id: 'key_k4_tokyo_scoped', ownerId: 'owner-4', createdAt: T0 - 10 * DAY },
  k5: { id: 'key_k5_allowlisted', ownerId: 'owner-5', createdAt: T0 - 10 * DAY },
  k6: { id: 'key_k6_sao_paulo', ownerId: 'owner-6', createdAt: T0 - 10 * DAY },
  revoked: { id: 'key_k7_revoked_old', ownerId: 'owner-1', createdAt: T0 - 60 * DAY },
  dormant: { id: 'key_k8_dormant', ownerId: 'owner-8', createdAt: T0 - 200 * DAY },
  neverUsed: { id: 'key_k9_never_used', ownerId: 'owner-9', createdAt: T0 - 45 * DAY },
} satisfies Record<string, KeyInfo>;

/** The stored last use of each key before the recording starts (the dormant detector's context). */
export const PRIOR_LAST_USE: Record<string, number | null> = {
  [KEYS.k1.id]: T0 - HOUR,
  [KEYS.k2.id]: T0 - HOUR,
  [KEYS.k3.id]: T0 - HOUR,
  [KEYS.k4.id]: T0 - 2 * HOUR,
  [KEYS.k5.id]: T0 - HOUR,
  [KEYS.k6.id]: T0 - 3 * HOUR,
  [KEYS.revoked.id]: T0 - 2 * DAY,
  [KEYS.dormant.id]: T0 - 40 * DAY,
  [KEYS.neverUsed.id]: null,
};

const DURATION_MIN = 180;

/** mulberry32: small, fast and the same everywhere. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function poisson(rand: () => number, lambda: number): number {
  const limit = Math.exp(-lambda);
  let k = 0;
  let p = rand();
  while (p > limit) {
    k += 1;
    p *= rand();
  }
  return k;
}

function event(at: number, key: KeyInfo | null, place: Place, code: VerifyCode, route = 'gateway'): UsageEvent {
  return {
    at,
    workspaceId: WS,
    keyId: key?.id ?? null,
    ownerId: key?.ownerId ?? null,
    keyCreatedAt: key?.createdAt ?? null,
    route,
    code,
    ip: place.ip,
    country: place.country,
    network: place.network,
    location: place.location,
  };
}

/** Three hours of ordinary traffic: steady, bursty-by-schedule, two networks, rare refusals. */
export function quietTraffic(): UsageEvent[] {
  const rand = prng(20260105);
  const out: UsageEvent[] = [];
  const inMinute = (m: number): number => T0 + m * MIN + Math.floor(rand() * MIN);
  for (let m = 0; m < DURATION_MIN; m += 1) {
    // k1: ~10/min from the London office, two hosts of one network.
    for (let i = poisson(rand, 10); i > 0; i -= 1) out.push(event(inMinute(m), KEYS.k1, rand() < 0.5 ? PLACES.londonOffice : PLACES.londonOffice2, 'VALID'));
    // k2: ~4/min signed requests from Frankfurt over two networks (two providers), one bad signature an hour.
    for (let i = poisson(rand, 4); i > 0; i -= 1) out.push(event(inMinute(m), KEYS.k2, rand() < 0.5 ? PLACES.frankfurtA : PLACES.frankfurtB, 'VALID'));
    if (m % 60 === 17) out.push(event(inMinute(m), KEYS.k2, PLACES.frankfurtA, 'SIGNATURE_INVALID'));
    // k3: an hourly job, 120 requests in the first minute of each hour, otherwise nothing.
    if (m % 60 === 0) for (let i = 0; i < 120; i += 1) out.push(event(inMinute(m), KEYS.k3, i % 2 === 0 ? PLACES.virginia1 : PLACES.virginia2, 'VALID', 'verify-api'));
    // k4: ~2/min from Tokyo, a scope denial now and then, a rate-limited request now and then.
    for (let i = poisson(rand, 2); i > 0; i -= 1) out.push(event(inMinute(m), KEYS.k4, PLACES.tokyo, rand() < 0.02 ? 'RATE_LIMITED' : 'VALID'));
    if (m % 45 === 30) out.push(event(inMinute(m), KEYS.k4, PLACES.tokyo, 'INSUFFICIENT_SCOPE'));
    // k5: ~3/min from its allowlisted London hosts.
    for (let i = poisson(rand, 3); i > 0; i -= 1) out.push(event(inMinute(m), KEYS.k5, PLACES.londonOffice2, 'VALID', 'verify-api'));
    // k6: ~1/min from São Paulo.
    for (let i = poisson(rand, 1); i > 0; i -= 1) out.push(event(inMinute(m), KEYS.k6, PLACES.saoPaulo, 'VALID'));
  }
  // An old deploy still retrying a revoked key: five tries over ten minutes.
  for (let i = 0; i < 5; i += 1) out.push(event(T0 + 70 * MIN + i * 2 * MIN, KEYS.revoked, PLACES.londonOffice, 'REVOKED'));
  // Typos: a mistyped key now and then (MALFORMED, NOT_FOUND) from the office.
  for (const m of [12, 64, 65, 150]) out.push(event(T0 + m * MIN + 5000, null, PLACES.londonOffice, m % 2 === 0 ? 'MALFORMED' : 'NOT_FOUND'));
  return byTime(out);
}

/** The incidents: each only the events it adds to the quiet traffic. */
export function scenarios(): Record<string, UsageEvent[]> {
  const rand = prng(7);
  const at = (minute: number, spreadMs: number): number => T0 + minute * MIN + Math.floor(rand() * spreadMs);
  const s: Record<string, UsageEvent[]> = {};
  // k1 leaks into a scraper: 400 requests in minute 130 from its own office address.
  s['rate-spike'] = Array.from({ length: 400 }, () => event(at(130, MIN), KEYS.k1, PLACES.londonOffice, 'VALID'));
  // k2 used from Amsterdam: a new country, close enough to Frankfurt to be travel.
  s['new-country'] = [0, 1, 2].map((i) => event(T0 + 150 * MIN + i * 10_000, KEYS.k2, PLACES.amsterdam, 'VALID'));
  // k6 used from Lisbon ten minutes after São Paulo.
  s['impossible-travel'] = [event(T0 + 120 * MIN + 30_000, KEYS.k6, PLACES.saoPaulo, 'VALID'), event(T0 + 130 * MIN, KEYS.k6, PLACES.lisbon, 'VALID')];
  // One address guessing keys: 300 unknown or malformed keys in two minutes.
  s['brute-force'] = Array.from({ length: 300 }, (_, i) => event(at(100, 2 * MIN), null, PLACES.torExit, i % 3 === 0 ? 'MALFORMED' : 'NOT_FOUND'));
  // k5 leaked: tried from outside its allowlist, from many addresses, 15 times in 30 s.
  s['key-stuffing'] = Array.from({ length: 15 }, (_, i) => event(T0 + 90 * MIN + i * 2000, KEYS.k5, { ...PLACES.torExit, ip: `185.220.101.${10 + i}` }, 'IP_NOT_ALLOWED'));
  // Someone holding k2 but not its signing key: 8 bad signatures in 20 s.
  s['bad-signatures'] = Array.from({ length: 8 }, (_, i) => event(T0 + 110 * MIN + i * 2500, KEYS.k2, PLACES.frankfurtA, 'SIGNATURE_INVALID'));
  // k4 probing other scopes: 12 denials in two minutes.
  s['scope-denials'] = Array.from({ length: 12 }, (_, i) => event(T0 + 160 * MIN + i * 10_000, KEYS.k4, PLACES.tokyo, 'INSUFFICIENT_SCOPE'));
  // owner-6 was offboarded at minute 120 (test context); their key keeps working until it is revoked, and is still tried after.
  s['offboarded-owner'] = [event(T0 + 181 * MIN, KEYS.k6, PLACES.saoPaulo, 'REVOKED')];
  // A key unused for 40 days, and one never used in the 45 days since its creation, come alive.
  s['dormant-key'] = [event(T0 + 140 * MIN, KEYS.dormant, PLACES.londonOffice, 'VALID'), event(T0 + 141 * MIN, KEYS.neverUsed, PLACES.londonOffice, 'VALID')];
  return s;
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Time order; ties by key and address, then as generated (the sort is stable). */
export function byTime(events: UsageEvent[]): UsageEvent[] {
  return events.sort((a, b) => a.at - b.at || cmp(a.keyId ?? '', b.keyId ?? '') || cmp(a.ip, b.ip));
}

const FIXTURES = new URL('../fixtures/traffic/', import.meta.url);

/** JSON Lines with ISO times, one event a line. */
export function toJsonl(events: readonly UsageEvent[]): string {
  return events.map((e) => JSON.stringify({ ...e, at: new Date(e.at).toISOString(), keyCreatedAt: e.keyCreatedAt === null ? null : new Date(e.keyCreatedAt).toISOString() })).join('\n') + '\n';
}

export function readFixture(name: string): UsageEvent[] {
  return readFileSync(new URL(`${name}.jsonl`, FIXTURES), 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const raw = JSON.parse(l) as Omit<UsageEvent, 'at' | 'keyCreatedAt'> & { at: string; keyCreatedAt: string | null };
      return { ...raw, at: Date.parse(raw.at), keyCreatedAt: raw.keyCreatedAt === null ? null : Date.parse(raw.keyCreatedAt) };
    });
}

export function fixtureFiles(): Record<string, string> {
  const files: Record<string, string> = { quiet: toJsonl(quietTraffic()) };
  for (const [name, events] of Object.entries(scenarios())) files[name] = toJsonl(byTime(events));
  return files;
}

if (process.argv.includes('--write')) {
  for (const [name, text] of Object.entries(fixtureFiles())) writeFileSync(new URL(`${name}.jsonl`, FIXTURES), text);
  process.stdout.write(`wrote ${Object.keys(fixtureFiles()).length} files to test/fixtures/traffic/\n`);
}
