import type { AlertSeverity } from '../../core/ports/store.ts';
import type { VerifyCode } from '../../core/keys/verify.ts';
import { BoundedMap } from '../bounded-map.ts';
import type { AlertType } from '../thresholds.ts';
import type { UsageEvent } from '../usage-event.ts';
import { WindowCounter } from '../window-counter.ts';
import { addCapped, iso, NOTHING, type Detector, type Finding } from './finding.ts';

/** A burst rule: which outcomes count, over what window, how many from one address or against one key. */
export interface BurstRule {
  type: AlertType;
  codes: ReadonlySet<VerifyCode>;
  windowSeconds: number;
  /** null: not counted per address. */
  perIp: number | null;
  /** null: not counted per key. */
  perKey: number | null;
  /** Severity of a burst of `count` against its threshold. */
  severity: (count: number, threshold: number) => AlertSeverity;
  /** What the burst looks like, for the alert summary. */
  describe: string;
}

interface Burst {
  counter: WindowCounter;
  firstAt: number;
  lastAt: number;
  codes: Map<VerifyCode, number>;
  ips: Set<string>;
  keys: Set<string>;
  countries: Set<string>;
  routes: Set<string>;
  /** When it last raised (event time), so a running burst raises once per window. */
  raisedAt: number | null;
}

/**
 * Counts matching outcomes in a sliding window per address (scoped to the workspace) and per
 * key, and raises when a count reaches its threshold; a burst that keeps going raises again
 * (another occurrence of the same alert) once per window.
 */
export class BurstDetector implements Detector {
  readonly type: AlertType;
  readonly #rule: BurstRule;
  readonly #windowMs: number;
  readonly #byIp: BoundedMap<string, Burst>;
  readonly #byKey: BoundedMap<string, Burst>;

  constructor(rule: BurstRule, limits: { maxTrackedKeys: number; maxTrackedIps: number }) {
    this.type = rule.type;
    this.#rule = rule;
    this.#windowMs = rule.windowSeconds * 1000;
    this.#byIp = new BoundedMap(limits.maxTrackedIps);
    this.#byKey = new BoundedMap(limits.maxTrackedKeys);
  }

  tracked(): number {
    return this.#byIp.size + this.#byKey.size;
  }

  observe(e: UsageEvent): readonly Finding[] {
    if (!this.#rule.codes.has(e.code)) return NOTHING;
    const out: Finding[] = [];
    if (this.#rule.perIp !== null) {
      const f = this.#count(this.#byIp, `${e.workspaceId ?? ''}\u0000${e.ip}`, e, this.#rule.perIp, 'ip');
      if (f !== null) out.push(f);
    }
    if (this.#rule.perKey !== null && e.keyId !== null) {
      const f = this.#count(this.#byKey, e.keyId, e, this.#rule.perKey, 'key');
      if (f !== null) out.push(f);
    }
    return out;
  }

  #count(map: BoundedMap<string, Burst>, subject: string, e: UsageEvent, threshold: number, by: 'ip' | 'key'): Finding | null {
    let b = map.get(subject);
    if (b === undefined || b.counter.total(e.at) === 0) {
      b = { counter: new WindowCounter(this.#windowMs), firstAt: e.at, lastAt: e.at, codes: new Map(), ips: new Set(), keys: new Set(), countries: new Set(), routes: new Set(), raisedAt: b?.raisedAt ?? null };
      map.set(subject, b);
    }
    b.counter.add(e.at);
    b.lastAt = e.at;
    b.codes.set(e.code, (b.codes.get(e.code) ?? 0) + 1);
    addCapped(b.ips, e.ip);
    if (e.keyId !== null) addCapped(b.keys, e.keyId);
    if (e.country !== null) addCapped(b.countries, e.country);
    addCapped(b.routes, e.route, 8);
    const count = b.counter.total(e.at);
    if (count < threshold || (b.raisedAt !== null && e.at - b.raisedAt < this.#windowMs)) return null;
    b.raisedAt = e.at;
    const who = by === 'ip' ? `from ${e.ip}` : `against key ${e.keyId ?? ''}`;
    return {
      type: this.#rule.type,
      severity: this.#rule.severity(count, threshold),
      workspaceId: e.workspaceId,
      keyId: by === 'key' ? e.keyId : null,
      dedupeKey: by === 'ip' ? `${this.#rule.type}:ip:${e.ip}` : `${this.#rule.type}:key:${e.keyId ?? ''}`,
      summary: `${count} ${this.#rule.describe} ${who} within ${this.#rule.windowSeconds} s (threshold ${threshold})`,
      evidence: {
        by,
        ...(by === 'ip' ? { ip: e.ip } : { keyId: e.keyId }),
        count,
        threshold,
        windowSeconds: this.#rule.windowSeconds,
        codes: Object.fromEntries([...b.codes.entries()].sort(([a], [z]) => (a < z ? -1 : 1))),
        ips: [...b.ips].sort(),
        keys: [...b.keys].sort(),
        countries: [...b.countries].sort(),
        routes: [...b.routes].sort(),
        firstAt: iso(b.firstAt),
        lastAt: iso(b.lastAt),
      },
      at: e.at,
    };
  }
}
