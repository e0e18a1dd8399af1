import { Type } from '@sinclair/typebox';
import { BUCKET_WIDTHS, MAX_BUCKETS, usageSeries, type BucketWidth } from '../../../monitor/usage-report.ts';
import type { RouteModule } from '../../app-types.ts';
import { authOf } from '../../plugins/auth.ts';
import { IdParam, Timestamp, errorResponses } from '../../schemas/common.ts';

const Query = Type.Object(
  {
    from: Type.Optional(Type.String({ format: 'date-time', description: 'Start (inclusive), widened to the bucket start; default `to` minus 24 hours' })),
    to: Type.Optional(Type.String({ format: 'date-time', description: 'End (exclusive), widened to the next bucket boundary; default now' })),
    bucket: Type.Optional(Type.Union((Object.keys(BUCKET_WIDTHS) as BucketWidth[]).map((b) => Type.Literal(b)), { description: 'Bucket width, UTC-aligned; default hour' })),
  },
  { additionalProperties: false },
);

const Counts = Type.Record(Type.String(), Type.Integer());

const UsageAnswer = Type.Object({
  keyId: Type.String(),
  from: Timestamp,
  to: Timestamp,
  bucket: Type.Union((Object.keys(BUCKET_WIDTHS) as BucketWidth[]).map((b) => Type.Literal(b))),
  total: Type.Integer(),
  buckets: Type.Array(
    Type.Object({
      start: Timestamp,
      total: Type.Integer(),
      codes: Type.Intersect([Counts], { description: 'Verifications per outcome code (VALID, INSUFFICIENT_SCOPE…)' }),
      routes: Type.Intersect([Counts], { description: 'Per entry point: verify-api, gateway, data-api…' }),
      countries: Type.Intersect([Counts], { description: 'Per ISO 3166-1 country of the client address; ?? when not located' }),
    }),
    { description: 'Non-empty buckets only, oldest first' },
  ),
});

const DAY_MS = 86_400_000;

export const keysUsage: RouteModule = (app, s) => {
  app.get('/v1/keys/:id/usage', {
    config: { permission: 'keys:read' },
    schema: {
      operationId: 'getKeyUsage',
      tags: ['keys'],
      summary: 'Verifications of a key per time bucket, by outcome code, entry point and country',
      description: `Counted in memory and written every CLAVIS_USAGE_FLUSH_INTERVAL_SECONDS, so the last seconds may be missing. At most ${MAX_BUCKETS} buckets per answer (USAGE_RANGE_INVALID beyond).`,
      params: IdParam,
      querystring: Query,
      response: { 200: UsageAnswer, ...errorResponses(404) },
    },
    handler: async (req) => {
      const workspaceId = authOf(req).workspaceId;
      const key = await s.keys.get(workspaceId, req.params.id);
      const to = req.query.to === undefined ? s.clock.now() : Date.parse(req.query.to);
      const from = req.query.from === undefined ? to - DAY_MS : Date.parse(req.query.from);
      const series = await usageSeries(s.store.usage, workspaceId, { keyId: key.id, from, to, bucket: req.query.bucket ?? 'hour' });
      const iso = (ms: number): string => new Date(ms).toISOString();
      return {
        keyId: key.id,
        from: iso(series.from),
        to: iso(series.to),
        bucket: series.bucket,
        total: series.buckets.reduce((n, b) => n + b.total, 0),
        buckets: series.buckets.map((b) => ({ ...b, start: iso(b.start) })),
      };
    },
  });
};
