import type { AlertSeverity } from '../../core/ports/store.ts';
import type { AlertType } from '../thresholds.ts';
import type { UsageEvent } from '../usage-event.ts';

/** What a detector reports; the alert service stores it as a deduplicated alert. */
export interface Finding {
  type: AlertType;
  severity: AlertSeverity;
  /** null: the event had no workspace (the monitor files it under the operator workspace). */
  workspaceId: string | null;
  keyId: string | null;
  /** Type and subject: one unresolved alert per dedupe key. */
  dedupeKey: string;
  summary: string;
  evidence: Record<string, unknown>;
  /** Event time of the observation that raised it. */
  at: number;
}

/**
 * A detector: state over the event stream, fed one event at a time in time order. It reads
 * event times only (the recorder's injected clock stamped them), so a replay of recorded
 * traffic gives the same findings every time.
 */
export interface Detector {
  readonly type: AlertType | readonly AlertType[];
  /** Runs for every verification: returns NOTHING (no allocation) when there is nothing to raise. */
  observe(event: UsageEvent): readonly Finding[];
  /** Subjects (keys, addresses) it tracks now: a gauge of its memory. */
  tracked(): number;
}

/** What detectors may ask the rest of the system, as synchronous snapshots. */
export interface DetectorContext {
  /** When the owner was marked offboarded in that workspace, or null. */
  offboardedAt(workspaceId: string, ownerId: string): number | null;
  /** The key's last use before this process saw it: a time, null (never used), or undefined (not known). */
  lastUseBefore(keyId: string): number | null | undefined;
}

export const NO_CONTEXT: DetectorContext = { offboardedAt: () => null, lastUseBefore: () => undefined };

/** The shared empty answer of `observe`. */
export const NOTHING: readonly Finding[] = Object.freeze([]);

export const iso = (ms: number): string => new Date(ms).toISOString();

/** Adds to a small set, up to `cap` members (evidence lists stay short). */
export function addCapped<T>(set: Set<T>, value: T, cap = 20): void {
  if (set.size < cap) set.add(value);
}
