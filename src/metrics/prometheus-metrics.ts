import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { MonitorMetrics } from '../monitor/metrics-sink.ts';

/** Sizes read at each scrape. */
export interface GaugeSource {
  pendingEvents: number;
  pendingBuckets: number;
  trackedSubjects: number;
  verifyCacheKeys: number;
}

/** The Prometheus side of the monitor: a sink for its counts and the text a scrape gets. */
export interface PrometheusMetrics {
  sink: MonitorMetrics;
  contentType: string;
  /** The exposition text (version 0.0.4), as `promtool check metrics` reads it. */
  render(): Promise<string>;
}

/**
 * A private prom-client registry (never the global one, so two apps in one process — tests,
 * the gateway beside the API — do not collide). Labels are bounded: route, code and country
 * (about 250 values), never a key id or an address. `processMetrics` adds the process_* and
 * nodejs_* defaults; off by default because each call starts an event-loop monitor.
 *
 * @example const m = createPrometheusMetrics(() => ({ pendingEvents: 0, pendingBuckets: 0, trackedSubjects: 0, verifyCacheKeys: 0 })); await m.render()
 */
export function createPrometheusMetrics(gauges: () => GaugeSource, opts: { processMetrics?: boolean } = {}): PrometheusMetrics {
  const registry = new Registry();
  if (opts.processMetrics === true) {
    collectDefaultMetrics({ register: registry });
    // prom-client names these gauges *_total, which promtool's lint rejects (a _total suffix
    // promises a counter); the handle and request counts are not worth a failing check.
    for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) registry.removeSingleMetric(name);
  }
  const verifications = new Counter({ name: 'clavis_verifications_total', help: 'Key verifications counted by the usage monitor, by entry point, outcome code and client country (unknown when not located).', labelNames: ['route', 'code', 'country'] as const, registers: [registry] });
  const dropped = new Counter({ name: 'clavis_usage_dropped_total', help: 'Verifications not counted because the usage queue or bucket table was full.', registers: [registry] });
  const flushes = new Counter({ name: 'clavis_usage_flushes_total', help: 'Usage flushes to the store, by result.', labelNames: ['result'] as const, registers: [registry] });
  const flushDuration = new Histogram({ name: 'clavis_usage_flush_duration_seconds', help: 'Time to write one usage batch to the store.', buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5], registers: [registry] });
  const flushedBuckets = new Counter({ name: 'clavis_usage_flushed_buckets_total', help: 'Minute buckets written to the store.', registers: [registry] });
  const raised = new Counter({ name: 'clavis_alerts_raised_total', help: 'New alerts, by type and severity.', labelNames: ['type', 'severity'] as const, registers: [registry] });
  const occurrences = new Counter({ name: 'clavis_alert_findings_total', help: 'Findings stored (new alerts and repeats of unresolved ones), by type.', labelNames: ['type'] as const, registers: [registry] });
  const gauge = (name: string, help: string, read: (g: GaugeSource) => number): void => {
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(read(gauges()));
      },
    });
  };
  gauge('clavis_usage_pending_events', 'Verifications queued for counting, not yet drained.', (g) => g.pendingEvents);
  gauge('clavis_usage_pending_buckets', 'Minute buckets counted in memory, not yet flushed.', (g) => g.pendingBuckets);
  gauge('clavis_detector_tracked_subjects', 'Keys and addresses the detectors hold state for.', (g) => g.trackedSubjects);
  gauge('clavis_verify_cache_keys', 'Keys held in the verify cache.', (g) => g.verifyCacheKeys);

  const sink: MonitorMetrics = {
    verifications: (route, code, country, n) => verifications.inc({ route, code, country: country ?? 'unknown' }, n),
    dropped: (n) => dropped.inc(n),
    flushed: (seconds, rows, ok) => {
      flushes.inc({ result: ok ? 'ok' : 'error' });
      flushDuration.observe(seconds);
      if (ok) flushedBuckets.inc(rows);
    },
    alertRaised: (type, severity, created) => {
      occurrences.inc({ type });
      if (created) raised.inc({ type, severity });
    },
  };
  return { sink, contentType: registry.contentType, render: () => registry.metrics() };
}
