import type { Clock } from '../core/clock.ts';
import type { VerifyCode } from '../core/keys/verify.ts';
import type { Store } from '../core/ports/store.ts';
import type { AlertService } from './alert-service.ts';
import { BoundedMap } from './bounded-map.ts';
import { DetectorSuite } from './detector-suite.ts';
import type { DetectorContext, Finding } from './detectors/finding.ts';
import { CachedLocator, type GeoLocator } from './geo-locator.ts';
import { NO_METRICS, type MonitorMetrics } from './metrics-sink.ts';
import type { AlertType, DetectorThresholds } from './thresholds.ts';
import { UsageRecorder } from './usage-recorder.ts';
import { DAY_MS, MINUTE_MS, type UsageEvent, type UsageInput, type UsageSink } from './usage-event.ts';

/** A verification as queued by `record`: plain fields, nothing looked up yet. */
interface Raw {
  at: number;
  workspaceId: string | null;
  keyId: string | null;
  keyWorkspaceId: string | null;
  ownerId: string | null;
  keyCreatedAt: number | null;
  route: string;
  code: VerifyCode;
  scope: string | null;
  ip: string;
}

export interface UsageMonitorOptions {
  store: Store;
  alerts: AlertService;
  clock: Clock;
  geo: GeoLocator;
  thresholds: DetectorThresholds;
  /** Alert types switched off. */
  disabled?: ReadonlySet<AlertType>;
  metrics?: MonitorMetrics;
  /** Verifications queued between drains at most; more are dropped and counted. Default 100 000. */
  maxPendingEvents?: number;
  /** Distinct minute buckets held between flushes at most. Default 200 000. */
  maxBuckets?: number;
  /** Queue length at which a drain is scheduled (off the verify path). Default 4096. */
  drainBatch?: number;
  /** How the early drain is scheduled; default setImmediate. */
  schedule?: (fn: () => void) => void;
  /** Usage buckets older than this are pruned (once a day, at a flush). Default 90; 0 keeps them. */
  retentionDays?: number;
  /** Where background failures go (a drain scheduled by `record` has no caller to tell). */
  onError?: (err: unknown, what: string) => void;
}

const MAX_RETRY_FINDINGS = 1000;
const OWNER_SNAPSHOT_LIMIT = 100_000;
/**
 * Events processed between two turns of the event loop. A drain costs ~1.7 µs per event; a whole
 * batch of 4,096 in one go would hold every request behind it for ~7 ms, which is what the verify
 * route's p99 latency showed. 256 events (~0.4 ms) is a pause no request notices.
 */
const DRAIN_SLICE = 256;

function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Usage counting and detection. `record` is all the verify path pays: it queues a few fields,
 * synchronously, no await and no lookup. `drain` (scheduled when the queue fills, and run by
 * every flush) locates addresses (GeoIP, cached), counts per minute bucket, runs the detectors
 * and stores their findings as alerts. `flush` (a timer in main.ts, and at shut-down) writes the
 * buckets and last uses in one transaction.
 *
 * @example monitor.record({ route: 'verify-api', code: r.code, ip, workspaceId, key: r.key }); await monitor.flush()
 */
export class UsageMonitor implements UsageSink {
  readonly #o: UsageMonitorOptions;
  readonly #metrics: MonitorMetrics;
  readonly #geo: CachedLocator;
  readonly #recorder: UsageRecorder;
  readonly #suite: DetectorSuite;
  readonly #maxPending: number;
  readonly #drainBatch: number;
  readonly #schedule: (fn: () => void) => void;
  #queue: Raw[] = [];
  #dropped = 0;
  #chain: Promise<unknown> = Promise.resolve();
  /** Last successful use per key as far as this process knows (store snapshot, then live). */
  readonly #lastUse: BoundedMap<string, number | null>;
  #offboarded = new Map<string, number>();
  #ownersStale = true;
  #operatorWorkspace: string | null = null;
  #retry: Coalesced = new Map();
  #lastPrune = 0;

  constructor(o: UsageMonitorOptions) {
    this.#o = o;
    this.#metrics = o.metrics ?? NO_METRICS;
    this.#geo = new CachedLocator(o.geo);
    this.#recorder = new UsageRecorder(o.maxBuckets ?? 200_000);
    this.#maxPending = o.maxPendingEvents ?? 100_000;
    this.#drainBatch = o.drainBatch ?? 4096;
    this.#schedule = o.schedule ?? ((fn) => void setImmediate(fn));
    this.#lastUse = new BoundedMap(o.thresholds.maxTrackedKeys);
    const ctx: DetectorContext = {
      // Usually nobody is offboarded: no key string built per verification then.
      offboardedAt: (ws, owner) => (this.#offboarded.size === 0 ? null : (this.#offboarded.get(`${ws}\u0000${owner}`) ?? null)),
      lastUseBefore: (keyId) => this.#lastUse.get(keyId),
    };
    this.#suite = new DetectorSuite(o.thresholds, ctx, o.disabled);
  }

  /** Queues one verification. Synchronous and O(1): the only cost on the verify path. */
  record(input: UsageInput): void {
    if (this.#queue.length >= this.#maxPending) {
      this.#dropped += 1;
      return;
    }
    const k = input.key;
    this.#queue.push({
      at: this.#o.clock.now(),
      workspaceId: input.workspaceId,
      keyId: k?.id ?? null,
      keyWorkspaceId: k?.workspaceId ?? null,
      ownerId: k?.ownerId ?? null,
      keyCreatedAt: k?.createdAt ?? null,
      route: input.route,
      code: input.code,
      scope: input.scope ?? null,
      ip: input.ip,
    });
    if (this.#queue.length === this.#drainBatch) {
      this.#schedule(() => {
        this.drain().catch((err: unknown) => this.#o.onError?.(err, 'usage drain'));
      });
    }
  }

  /** The owners snapshot is re-read at the next drain (an owner was just marked or reinstated). */
  ownersChanged(): void {
    this.#ownersStale = true;
  }

  /** Queue, table and detector sizes, for the metrics endpoint. */
  stats(): { pendingEvents: number; pendingBuckets: number; trackedSubjects: number; dropped: number } {
    return { pendingEvents: this.#queue.length, pendingBuckets: this.#recorder.buckets, trackedSubjects: this.#suite.tracked(), dropped: this.#dropped + this.#recorder.dropped };
  }

  /** Processes the queue: locate, count, detect, raise alerts. Runs after any drain or flush in progress. */
  drain(): Promise<void> {
    return this.#serial(() => this.#drain());
  }

  /** Drains, then writes the counts and last uses in one transaction; a failed write keeps them for the next flush. */
  flush(): Promise<void> {
    return this.#serial(async () => {
      await this.#drain();
      this.#ownersStale = true;
      const batch = this.#recorder.take();
      if (batch.buckets.length > 0 || batch.lastUse.length > 0) {
        const t0 = performance.now();
        try {
          await this.#o.store.transact(async (tx) => {
            await tx.usage.addBuckets(batch.buckets);
            await tx.usage.recordLastUse(batch.lastUse);
          });
          this.#metrics.flushed((performance.now() - t0) / 1000, batch.buckets.length, true);
          // Prometheus counts what was stored, summed per label set from the buckets (not per
          // verification): at most one flush interval behind.
          const counts = new Map<string, { route: string; code: string; country: string | null; n: number }>();
          for (const r of batch.buckets) {
            const label = `${r.route}\u0000${r.code}\u0000${r.country ?? ''}`;
            const c = counts.get(label);
            if (c === undefined) counts.set(label, { route: r.route, code: r.code, country: r.country, n: r.count });
            else c.n += r.count;
          }
          for (const c of counts.values()) this.#metrics.verifications(c.route, c.code, c.country, c.n);
        } catch (err) {
          this.#recorder.restore(batch);
          this.#metrics.flushed((performance.now() - t0) / 1000, batch.buckets.length, false);
          throw err;
        }
      }
      await this.#prune();
    });
  }

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#chain.then(fn, fn);
    this.#chain = run.catch(() => undefined);
    return run;
  }

  async #drain(): Promise<void> {
    const queue = this.#queue;
    this.#queue = [];
    const dropped = this.#dropped;
    this.#dropped = 0;
    if (dropped > 0) this.#metrics.dropped(dropped);
    // Findings whose alert could not be stored last time come first, so newer evidence wins.
    const findings = this.#retry;
    this.#retry = new Map();
    if (queue.length > 0) {
      await this.#prepare(queue);
      const recorderDropped = this.#recorder.dropped;
      // One event object, refilled per verification: detectors and the recorder copy what they
      // keep, never the object (this loop runs for every verification).
      const e: UsageEvent = { at: 0, workspaceId: null, keyId: null, ownerId: null, keyCreatedAt: null, route: '', code: 'VALID', scope: null, ip: '', country: null, network: null, location: null };
      let sliced = 0;
      for (const raw of queue) {
        if (++sliced === DRAIN_SLICE) {
          sliced = 0;
          await nextTurn();
        }
        const where = this.#geo.locate(raw.ip);
        e.at = raw.at;
        e.workspaceId = raw.workspaceId ?? raw.keyWorkspaceId;
        e.keyId = raw.keyId;
        e.ownerId = raw.ownerId;
        e.keyCreatedAt = raw.keyCreatedAt;
        e.route = raw.route;
        e.code = raw.code;
        // Only a successful use exercised its scope; a refused one proves nothing was needed.
        e.scope = raw.code === 'VALID' ? raw.scope : null;
        e.ip = raw.ip;
        e.country = where.country;
        e.network = where.network;
        e.location = where.point;
        const filedUnder = e.workspaceId ?? this.#operatorWorkspace;
        if (filedUnder !== null) this.#recorder.add(e, filedUnder);
        for (const f of this.#suite.observe(e)) {
          const ws = f.workspaceId ?? this.#operatorWorkspace;
          if (ws !== null) coalesce(findings, { ...f, workspaceId: ws }, 1, f.at);
        }
        if (e.keyId !== null && e.code === 'VALID') this.#lastUse.set(e.keyId, e.at);
      }
      if (this.#recorder.dropped > recorderDropped) this.#metrics.dropped(this.#recorder.dropped - recorderDropped);
    }
    if (findings.size > 0) await this.#raise(findings);
  }

  /** Snapshots the detectors read synchronously: owners offboarded, last uses of keys first seen, the operator workspace. */
  async #prepare(queue: readonly Raw[]): Promise<void> {
    const fail = (what: string) => (err: unknown) => this.#o.onError?.(err, what);
    if (this.#ownersStale) {
      try {
        const owners = await this.#o.store.owners.allOffboarded(OWNER_SNAPSHOT_LIMIT);
        this.#offboarded = new Map(owners.map((o) => [`${o.workspaceId}\u0000${o.ownerId}`, o.offboardedAt]));
        this.#ownersStale = false;
      } catch (err) {
        fail('offboarded owners snapshot')(err);
      }
    }
    const unknown = new Set<string>();
    let workspaceless = false;
    for (const r of queue) {
      if (r.keyId !== null && !this.#lastUse.has(r.keyId)) unknown.add(r.keyId);
      if (r.workspaceId === null && r.keyWorkspaceId === null) workspaceless = true;
    }
    if (unknown.size > 0) {
      try {
        const found = new Map((await this.#o.store.usage.lastUse([...unknown])).map((u) => [u.keyId, u.at]));
        for (const id of unknown) this.#lastUse.set(id, found.get(id) ?? null);
      } catch (err) {
        fail('last use lookup')(err);
      }
    }
    if (workspaceless && this.#operatorWorkspace === null) {
      try {
        const first = await this.#o.store.workspaces.list({ limit: 10 });
        this.#operatorWorkspace = first.find((w) => w.operator)?.id ?? null;
      } catch (err) {
        fail('operator workspace lookup')(err);
      }
    }
  }

  async #raise(findings: Coalesced): Promise<void> {
    for (const [k, entry] of findings) {
      try {
        const r = await this.#o.alerts.raise(entry.finding, entry.count, entry.firstAt);
        this.#metrics.alertRaised(r.alert.type, r.alert.severity, r.created);
      } catch (err) {
        if (this.#retry.size < MAX_RETRY_FINDINGS) this.#retry.set(k, entry);
        this.#o.onError?.(err, 'alert raise');
      }
    }
  }

  async #prune(): Promise<void> {
    const days = this.#o.retentionDays ?? 90;
    const now = this.#o.clock.now();
    if (days <= 0 || now - this.#lastPrune < DAY_MS) return;
    this.#lastPrune = now;
    const cutoff = now - days * DAY_MS;
    await this.#o.store.usage.pruneBefore(cutoff - (cutoff % MINUTE_MS));
  }
}

const RANK = { low: 1, medium: 2, high: 3, critical: 4 } as const;

type Coalesced = Map<string, { finding: Finding & { workspaceId: string }; count: number; firstAt: number }>;

/** Keeps one finding per workspace and dedupe key per drain: the latest evidence, the highest severity, the count and first time. */
function coalesce(into: Coalesced, f: Finding & { workspaceId: string }, n: number, firstAt: number): void {
  const key = `${f.workspaceId}\u0000${f.dedupeKey}`;
  const cur = into.get(key);
  if (cur === undefined) {
    into.set(key, { finding: f, count: n, firstAt });
    return;
  }
  const severity = RANK[f.severity] >= RANK[cur.finding.severity] ? f.severity : cur.finding.severity;
  into.set(key, { finding: { ...f, severity, at: Math.max(f.at, cur.finding.at) }, count: cur.count + n, firstAt: Math.min(firstAt, cur.firstAt) });
}
