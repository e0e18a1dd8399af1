import { ClavisError } from '../core/errors/registry.ts';
import type { UsageRepo } from '../core/ports/store.ts';
import { DAY_MS, HOUR_MS, MINUTE_MS } from './usage-event.ts';

export const BUCKET_WIDTHS = { minute: MINUTE_MS, hour: HOUR_MS, day: DAY_MS } as const;
export type BucketWidth = keyof typeof BUCKET_WIDTHS;

/** Most buckets one answer spans (a day of minutes, two months of hours, four years of days). */
export const MAX_BUCKETS = 1500;

/** One time bucket of a key's usage: totals by outcome code, route and country (`??` unlocated). */
export interface UsageBucket {
  start: number;
  total: number;
  codes: Record<string, number>;
  routes: Record<string, number>;
  countries: Record<string, number>;
}

export interface UsageSeries {
  from: number;
  to: number;
  bucket: BucketWidth;
  buckets: UsageBucket[];
}

/**
 * A key's usage between `from` and `to`, widened to whole buckets (UTC), non-empty buckets only.
 * USAGE_RANGE_INVALID when the range is empty or spans more than MAX_BUCKETS.
 *
 * @example await usageSeries(store.usage, ws, { keyId, from: Date.now() - 86_400_000, to: Date.now(), bucket: 'hour' })
 */
export async function usageSeries(usage: Pick<UsageRepo, 'series'>, workspaceId: string, q: { keyId: string; from: number; to: number; bucket: BucketWidth }): Promise<UsageSeries> {
  const width = BUCKET_WIDTHS[q.bucket];
  const from = q.from - (((q.from % width) + width) % width);
  const to = Math.ceil(q.to / width) * width;
  if (!(q.to > q.from)) throw new ClavisError('USAGE_RANGE_INVALID', 'to must be later than from', [{ field: '/querystring/to', message: 'not after from' }]);
  if ((to - from) / width > MAX_BUCKETS) throw new ClavisError('USAGE_RANGE_INVALID', `the range spans ${(to - from) / width} ${q.bucket} buckets; at most ${MAX_BUCKETS}`, [{ field: '/querystring/bucket', message: 'too many buckets' }]);
  const rows = await usage.series(workspaceId, { keyId: q.keyId, from, to, bucketMs: width });
  const buckets: UsageBucket[] = [];
  for (const r of rows) {
    let b = buckets.at(-1);
    if (b === undefined || b.start !== r.start) {
      b = { start: r.start, total: 0, codes: {}, routes: {}, countries: {} };
      buckets.push(b);
    }
    const country = r.country ?? '??';
    b.total += r.count;
    b.codes[r.code] = (b.codes[r.code] ?? 0) + r.count;
    b.routes[r.route] = (b.routes[r.route] ?? 0) + r.count;
    b.countries[country] = (b.countries[country] ?? 0) + r.count;
  }
  return { from, to, bucket: q.bucket, buckets };
}
