import { badSignatureBurst } from './detectors/bad-signature-burst.ts';
import { DormantKeyDetector } from './detectors/dormant-key.ts';
import { failedVerifyBurst } from './detectors/failed-verify-burst.ts';
import { NOTHING, type Detector, type DetectorContext, type Finding } from './detectors/finding.ts';
import { ImpossibleTravelDetector } from './detectors/impossible-travel.ts';
import { NewLocationDetector } from './detectors/new-location.ts';
import { OffboardedOwnerDetector } from './detectors/offboarded-owner.ts';
import { RateSpikeDetector } from './detectors/rate-spike.ts';
import { scopeDenialBurst } from './detectors/scope-denial-burst.ts';
import { ALERT_TYPES, type AlertType, type DetectorThresholds } from './thresholds.ts';
import type { UsageEvent } from './usage-event.ts';

/**
 * Every detector, fed the same event stream. `disabled` switches rules off by alert type
 * (CLAVIS_DETECTORS_DISABLED): a detector with every one of its types disabled is not built.
 *
 * @example const suite = new DetectorSuite(DEFAULT_THRESHOLDS, ctx); const findings = suite.observe(event)
 */
export class DetectorSuite {
  readonly #detectors: Detector[];
  readonly #disabled: ReadonlySet<AlertType>;

  constructor(t: DetectorThresholds, ctx: DetectorContext, disabled: ReadonlySet<AlertType> = new Set()) {
    this.#disabled = disabled;
    const all: Detector[] = [
      new RateSpikeDetector(t.rateSpike, t.maxTrackedKeys),
      new NewLocationDetector(t.newLocation, t.maxTrackedKeys),
      new ImpossibleTravelDetector(t.impossibleTravel, t.maxTrackedKeys),
      failedVerifyBurst(t),
      badSignatureBurst(t),
      scopeDenialBurst(t),
      new OffboardedOwnerDetector(ctx, t.maxTrackedKeys),
      new DormantKeyDetector(t.dormant, ctx, t.maxTrackedKeys),
    ];
    const types = (d: Detector): readonly AlertType[] => (typeof d.type === 'string' ? [d.type] : d.type);
    this.#detectors = all.filter((d) => types(d).some((x) => !disabled.has(x)));
  }

  /** Findings of every enabled rule for one event, in detector order. */
  observe(e: UsageEvent): readonly Finding[] {
    let out: Finding[] | null = null;
    for (const d of this.#detectors) {
      const found = d.observe(e);
      if (found.length === 0) continue;
      for (const f of found) {
        if (this.#disabled.has(f.type)) continue;
        out ??= [];
        out.push(f);
      }
    }
    return out ?? NOTHING;
  }

  /** Subjects tracked across detectors (a memory gauge). */
  tracked(): number {
    return this.#detectors.reduce((n, d) => n + d.tracked(), 0);
  }

  static readonly types: readonly AlertType[] = ALERT_TYPES;
}
