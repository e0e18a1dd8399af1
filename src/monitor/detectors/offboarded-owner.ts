import { BoundedMap } from '../bounded-map.ts';
import { MINUTE_MS, type UsageEvent } from '../usage-event.ts';
import { iso, NOTHING, type Detector, type DetectorContext, type Finding } from './finding.ts';

/**
 * **offboarded-owner-use.** A use of a key whose `ownerId` was marked offboarded in its workspace
 * (`POST /v1/owners/{ownerId}/offboard`), at or after the mark: `critical` when the key still
 * works (VALID), `high` when it was refused. At most one finding per key and minute (a working use after a refused one escalates).
 */
export class OffboardedOwnerDetector implements Detector {
  readonly type = 'offboarded-owner-use' as const;
  readonly #ctx: DetectorContext;
  readonly #raised: BoundedMap<string, number>;

  constructor(ctx: DetectorContext, maxKeys: number) {
    this.#ctx = ctx;
    this.#raised = new BoundedMap(maxKeys);
  }

  tracked(): number {
    return this.#raised.size;
  }

  observe(e: UsageEvent): readonly Finding[] {
    if (e.keyId === null || e.ownerId === null || e.workspaceId === null) return NOTHING;
    const since = this.#ctx.offboardedAt(e.workspaceId, e.ownerId);
    if (since === null || e.at < since) return NOTHING;
    // One finding per key and minute, except that a working use after a refused one escalates.
    const mark = Math.floor(e.at / MINUTE_MS) * 2 + (e.code === 'VALID' ? 1 : 0);
    if ((this.#raised.get(e.keyId) ?? -1) >= mark) return NOTHING;
    this.#raised.set(e.keyId, mark);
    return [
      {
        type: this.type,
        severity: e.code === 'VALID' ? 'critical' : 'high',
        workspaceId: e.workspaceId,
        keyId: e.keyId,
        dedupeKey: `offboarded-owner-use:key:${e.keyId}`,
        summary: `key of offboarded owner ${e.ownerId} used (${e.code}) from ${e.ip}`,
        evidence: { ownerId: e.ownerId, offboardedAt: iso(since), code: e.code, ip: e.ip, country: e.country, route: e.route, at: iso(e.at) },
        at: e.at,
      },
    ];
  }
}
