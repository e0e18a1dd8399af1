/**
 * What the monitor reports to a metrics backend (Prometheus in src/metrics/). Counts arrive
 * aggregated per drain, never per verification.
 */
export interface MonitorMetrics {
  verifications(route: string, code: string, country: string | null, n: number): void;
  /** Events dropped because the queue or the bucket table was full. */
  dropped(n: number): void;
  flushed(seconds: number, rows: number, ok: boolean): void;
  alertRaised(type: string, severity: string, created: boolean): void;
}

export const NO_METRICS: MonitorMetrics = {
  verifications: () => undefined,
  dropped: () => undefined,
  flushed: () => undefined,
  alertRaised: () => undefined,
};
