import { BoundedMap } from '../bounded-map.ts';
import type { DetectorThresholds } from '../thresholds.ts';
import { HOUR_MS, type UsageEvent } from '../usage-event.ts';
import { iso, NOTHING, type Detector, type Finding } from './finding.ts';

interface KeyPlaces {
  firstAt: number;
  uses: number;
  countries: Set<string>;
  networks: Set<string>;
  /** Seen from more than maxNetworks networks: new networks are normal for it. */
  roaming: boolean;
}

const MAX_COUNTRIES = 64;

/** Built only when something is raised (observe runs for every verification). */
function evidence(e: UsageEvent, s: KeyPlaces): Record<string, unknown> {
  return { ip: e.ip, country: e.country, network: e.network, code: e.code, at: iso(e.at), knownCountries: [...s.countries].sort(), usesSeen: s.uses, firstSeenAt: iso(s.firstAt) };
}

/**
 * **new-country / new-network.** Per key, the countries and networks (/24, /48) of its successful
 * uses are learnt. Once the key has `warmupUses` successful uses over at least `warmupHours`, a
 * use (any outcome: a refused attempt from elsewhere is news too) from a country it was never
 * used from raises `new-country` (`medium`); from a network never seen, in a known country,
 * `new-network` (`low`), unless the key already roams over more than `maxNetworks` networks.
 * Only successful uses teach, so an attacker's refused attempts cannot make themselves familiar.
 */
export class NewLocationDetector implements Detector {
  readonly type = ['new-country', 'new-network'] as const;
  readonly #t: DetectorThresholds['newLocation'];
  readonly #keys: BoundedMap<string, KeyPlaces>;

  constructor(t: DetectorThresholds['newLocation'], maxKeys: number) {
    this.#t = t;
    this.#keys = new BoundedMap(maxKeys);
  }

  tracked(): number {
    return this.#keys.size;
  }

  observe(e: UsageEvent): readonly Finding[] {
    if (e.keyId === null || (e.country === null && e.network === null)) return NOTHING;
    const s = this.#keys.upsert(e.keyId, () => ({ firstAt: e.at, uses: 0, countries: new Set(), networks: new Set(), roaming: false }));
    const warm = s.uses >= this.#t.warmupUses && e.at - s.firstAt >= this.#t.warmupHours * HOUR_MS;
    let out: readonly Finding[] = NOTHING;
    const newCountry = e.country !== null && !s.countries.has(e.country);
    const newNetwork = e.network !== null && !s.roaming && !s.networks.has(e.network);
    if (warm && newCountry && e.country !== null) {
      out = [{ workspaceId: e.workspaceId, keyId: e.keyId, at: e.at, type: 'new-country', severity: 'medium', dedupeKey: `new-country:key:${e.keyId}:${e.country}`, summary: `first use from ${e.country} (known: ${[...s.countries].sort().join(', ') || 'none'})`, evidence: evidence(e, s) }];
    } else if (warm && newNetwork && e.network !== null) {
      out = [{ workspaceId: e.workspaceId, keyId: e.keyId, at: e.at, type: 'new-network', severity: 'low', dedupeKey: `new-network:key:${e.keyId}:${e.network}`, summary: `first use from network ${e.network}`, evidence: { ...evidence(e, s), knownNetworks: [...s.networks].sort() } }];
    }
    if (e.code === 'VALID') {
      s.uses += 1;
      if (e.country !== null && s.countries.size < MAX_COUNTRIES) s.countries.add(e.country);
      if (e.network !== null && !s.roaming) {
        s.networks.add(e.network);
        if (s.networks.size > this.#t.maxNetworks) {
          s.roaming = true;
          s.networks.clear();
        }
      }
    }
    return out;
  }
}
