import { BoundedMap } from '../bounded-map.ts';
import type { DetectorThresholds } from '../thresholds.ts';
import { DAY_MS, type UsageEvent } from '../usage-event.ts';
import { iso, NOTHING, type Detector, type DetectorContext, type Finding } from './finding.ts';

/**
 * **dormant-key-use.** A key that should be idle: its previous successful use (from memory, else
 * the stored last use), or its creation when it was never used, is at least `idleDays` old. Its
 * next use, whatever the outcome, raises `medium`. Only successful uses wake it, so repeated
 * refused attempts on a dormant key keep adding occurrences to the same alert.
 */
export class DormantKeyDetector implements Detector {
  readonly type = 'dormant-key-use' as const;
  readonly #idleMs: number;
  readonly #ctx: DetectorContext;
  readonly #last: BoundedMap<string, number>;

  constructor(t: DetectorThresholds['dormant'], ctx: DetectorContext, maxKeys: number) {
    this.#idleMs = t.idleDays * DAY_MS;
    this.#ctx = ctx;
    this.#last = new BoundedMap(maxKeys);
  }

  tracked(): number {
    return this.#last.size;
  }

  observe(e: UsageEvent): readonly Finding[] {
    if (e.keyId === null) return NOTHING;
    const seen = this.#last.get(e.keyId);
    const stored = seen === undefined ? this.#ctx.lastUseBefore(e.keyId) : seen;
    if (e.code === 'VALID') this.#last.set(e.keyId, e.at);
    // Unknown history (the store could not say): no verdict rather than a guess.
    if (stored === undefined) return NOTHING;
    const since = stored ?? e.keyCreatedAt;
    if (since === null || e.at - since < this.#idleMs) return NOTHING;
    const days = Math.floor((e.at - since) / DAY_MS);
    return [
      {
        type: this.type,
        severity: 'medium',
        workspaceId: e.workspaceId,
        keyId: e.keyId,
        dedupeKey: `dormant-key-use:key:${e.keyId}`,
        summary: stored === null ? `first use ${days} days after the key was created` : `used again after ${days} idle days`,
        evidence: { idleDays: days, thresholdDays: this.#idleMs / DAY_MS, previousUseAt: stored === null ? null : iso(stored), createdAt: e.keyCreatedAt === null ? null : iso(e.keyCreatedAt), code: e.code, ip: e.ip, country: e.country, at: iso(e.at) },
        at: e.at,
      },
    ];
  }
}
