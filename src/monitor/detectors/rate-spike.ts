import { BoundedMap } from '../bounded-map.ts';
import type { DetectorThresholds } from '../thresholds.ts';
import { MINUTE_MS, type UsageEvent } from '../usage-event.ts';
import { iso, NOTHING, type Detector, type Finding } from './finding.ts';

interface KeyRate {
  firstMinute: number;
  minute: number;
  count: number;
  /** Decaying peak of the per-minute counts of closed minutes: the key's baseline. */
  peak: number;
  /** 0: nothing raised this minute, 1: medium raised, 2: high raised. */
  level: number;
}

/**
 * **rate-spike.** Per key, requests are counted per minute (every outcome). The baseline is an
 * exponentially decaying peak of the key's per-minute counts (half-life
 * `baselineHalfLifeMinutes`): an EWMA of the mean would fire on every hourly cron burst, the
 * decayed peak learns them. Once the key has been seen for `warmupMinutes`, a minute whose count
 * reaches `max(minRequests, factor × baseline)` raises `medium`, and `high` at three times that.
 * The spike minute then joins the baseline, so a sustained new level alerts once.
 */
export class RateSpikeDetector implements Detector {
  readonly type = 'rate-spike' as const;
  readonly #t: DetectorThresholds['rateSpike'];
  readonly #keys: BoundedMap<string, KeyRate>;

  constructor(t: DetectorThresholds['rateSpike'], maxKeys: number) {
    this.#t = t;
    this.#keys = new BoundedMap(maxKeys);
  }

  tracked(): number {
    return this.#keys.size;
  }

  #decay(minutes: number): number {
    return 0.5 ** (minutes / this.#t.baselineHalfLifeMinutes);
  }

  observe(e: UsageEvent): readonly Finding[] {
    if (e.keyId === null) return NOTHING;
    const minute = Math.floor(e.at / MINUTE_MS);
    const s = this.#keys.upsert(e.keyId, () => ({ firstMinute: minute, minute, count: 0, peak: 0, level: 0 }));
    if (minute > s.minute) {
      s.peak = Math.max(s.count, s.peak * this.#decay(1)) * this.#decay(minute - s.minute - 1);
      s.minute = minute;
      s.count = 0;
      s.level = 0;
    }
    s.count += 1;
    if (minute - s.firstMinute < this.#t.warmupMinutes) return NOTHING;
    const threshold = Math.ceil(Math.max(this.#t.minRequests, this.#t.factor * s.peak));
    const level = s.count >= 3 * threshold ? 2 : s.count >= threshold ? 1 : 0;
    if (level <= s.level) return NOTHING;
    s.level = level;
    return [
      {
        type: this.type,
        severity: level === 2 ? 'high' : 'medium',
        workspaceId: e.workspaceId,
        keyId: e.keyId,
        dedupeKey: `rate-spike:key:${e.keyId}`,
        summary: `${s.count} requests in one minute, ${level === 2 ? 'three times ' : ''}over the threshold ${threshold} (baseline ${round(s.peak)}/min)`,
        evidence: { count: s.count, threshold, baselinePerMinute: round(s.peak), factor: this.#t.factor, minute: iso(minute * MINUTE_MS), lastIp: e.ip, lastCountry: e.country },
        at: e.at,
      },
    ];
  }
}

const round = (x: number): number => Math.round(x * 100) / 100;
