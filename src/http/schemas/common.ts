import { Type, type TSchema } from '@sinclair/typebox';

export const IdParam = Type.Object({ id: Type.String({ pattern: '^[a-z]{2,4}_[0-9A-Za-z]{22}$', description: 'Typed id' }) }, { additionalProperties: false });

export const FieldErrorSchema = Type.Object({ field: Type.String(), message: Type.String() });

/** RFC 9457 problem details with Clavis's extension members. */
export const ProblemSchema = Type.Object(
  {
    type: Type.String({ description: 'Link to the code in the errors reference' }),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String(),
    instance: Type.String(),
    code: Type.String({ description: 'Stable UPPER_SNAKE error code' }),
    requestId: Type.String(),
    errors: Type.Optional(Type.Array(FieldErrorSchema)),
  },
  { $id: 'Problem', description: 'application/problem+json' },
);

export const LimitQuery = Type.Integer({ minimum: 1, maximum: 200, default: 50, description: 'Page size' });
export const CursorQuery = Type.String({ maxLength: 200, description: 'Opaque cursor from nextCursor' });

/** Standard error responses every authenticated route can give. */
export function errorResponses(...statuses: number[]): Record<number, TSchema> {
  const out: Record<number, TSchema> = {};
  for (const s of [400, 401, 403, ...statuses]) out[s] = Type.Ref('Problem');
  return out;
}

export const Timestamp = Type.String({ format: 'date-time' });
export const NullableTimestamp = Type.Union([Timestamp, Type.Null()]);
