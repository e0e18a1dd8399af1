import { Type, type Static } from '@sinclair/typebox';
import type { RouteModule } from '../../app-types.ts';
import { VERIFY_CODES, type VerifyRequest, type VerifyResult } from '../../../core/keys/verify.ts';
import type { Services } from '../../../services.ts';
import { MAX_CREDENTIAL_LENGTH } from '../../../core/keys/key-format.ts';
import { authOf } from '../../plugins/auth.ts';
import { NullableTimestamp, errorResponses } from '../../schemas/common.ts';
import { EnvironmentSchema } from './keys-schemas.ts';

const Body = Type.Object(
  {
    key: Type.String({ maxLength: 256, description: 'The API key to check' }),
    cost: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000, description: 'Units this request costs against rate limits and credits (default 1; 0 only reports)' })),
    environment: Type.Optional(EnvironmentSchema),
    scope: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'Scope the request needs' })),
    signature: Type.Optional(
      Type.Object(
        {
          method: Type.String({ minLength: 1, maxLength: 16 }),
          url: Type.String({ minLength: 1, maxLength: 4096, description: 'Path and query exactly as the consumer sent them' }),
          timestamp: Type.Integer({ description: 'X-Clavis-Timestamp (epoch ms)' }),
          nonce: Type.String({ minLength: 1, maxLength: 128, description: 'X-Clavis-Nonce' }),
          signature: Type.String({ minLength: 1, maxLength: 256, description: 'X-Clavis-Signature (base64)' }),
          bodySha256: Type.String({ pattern: '^[0-9a-f]{64}$', description: 'SHA-256 hex of the raw request body' }),
        },
        { additionalProperties: false, description: 'The signed request, for keys that require signatures' },
      ),
    ),
    ip: Type.Optional(Type.Union([Type.String({ format: 'ipv4' }), Type.String({ format: 'ipv6' })], { description: 'Client address (IPv4 or IPv6), checked against the allowlist' })),
  },
  { additionalProperties: false },
);

const Result = Type.Object({
  valid: Type.Boolean(),
  code: Type.Union(VERIFY_CODES.map((c) => Type.Literal(c))),
  keyId: Type.Union([Type.String(), Type.Null()]),
  environment: Type.Union([EnvironmentSchema, Type.Null()]),
  scopes: Type.Union([Type.Array(Type.String()), Type.Null()]),
  expiresAt: NullableTimestamp,
  ownerId: Type.Union([Type.String(), Type.Null()]),
  metadata: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()]),
  rateLimit: Type.Union(
    [Type.Object({ allowed: Type.Boolean(), refusedBy: Type.Union([Type.String(), Type.Null()]), retryAfter: Type.Union([Type.Integer(), Type.Null()]), limits: Type.Array(Type.Object({ name: Type.String(), limit: Type.Integer(), windowSeconds: Type.Integer(), remaining: Type.Integer(), reset: Type.Integer() })) }), Type.Null()],
    { description: "The key's rate-limit state after this request (null when it has no limits or the pipeline stopped earlier)" },
  ),
  credits: Type.Union([Type.Object({ allowed: Type.Boolean(), quota: Type.Integer(), remaining: Type.Integer(), reset: Type.Union([Type.Integer(), Type.Null()]) }), Type.Null()]),
});

export const keysVerify: RouteModule = (app, s) => {
  app.post('/v1/keys/verify', {
    config: { permission: 'keys:verify' },
    schema: {
      operationId: 'verifyKey',
      tags: ['keys'],
      summary: 'Check a key: answers 200 with valid and a reason code',
      description: `Pipeline: format/checksum → lookup → status → expiry → environment → IP allowlist → scope. Keys longer than ${MAX_CREDENTIAL_LENGTH} characters are MALFORMED without a lookup.`,
      body: Body,
      response: { 200: Result, ...errorResponses() },
    },
    // The handler builds every field of the answer itself, so the schema serializer would filter
    // nothing; its nullable unions (anyOf) run an Ajv check per field and per request, on the
    // hottest route of all. The schema still documents the answer (OpenAPI) and tests check it.
    serializerCompiler: () => (data) => JSON.stringify(data),
    // Not async: a cached key that needs no signature, limit or credit check is answered
    // without a promise (verifyNow), which most verify traffic is; the rest is awaited.
    handler: (req) => {
      const b = req.body;
      const workspaceId = authOf(req).workspaceId;
      const vr: VerifyRequest = { key: b.key, workspaceId, environment: b.environment, scope: b.scope, ip: b.ip, signed: b.signature, cost: b.cost };
      const ip = b.ip ?? s.clientIp(req.socket.remoteAddress, req.headers['x-forwarded-for']);
      const r = s.verifier.verifyNow(vr);
      if (r instanceof Promise) return r.then((settled) => answer(s, settled, workspaceId, ip, b.scope));
      return answer(s, r, workspaceId, ip, b.scope);
    },
  });
};

/**
 * Counts the verification for usage and detection (a queue push, no I/O; the address located is
 * the consumer's `ip`, else the caller's own) and shapes the answer.
 */
function answer(s: Services, r: VerifyResult, workspaceId: string, ip: string, scope: string | undefined): Static<typeof Result> {
  s.usage.record({ route: 'verify-api', code: r.code, ip, workspaceId, key: r.key, scope });
  const k = r.key;
  return {
    valid: r.valid,
    code: r.code,
    keyId: k?.id ?? null,
    environment: k?.environment ?? null,
    scopes: k?.scopes ?? null,
    expiresAt: k?.expiresAt == null ? null : new Date(k.expiresAt).toISOString(),
    ownerId: k?.ownerId ?? null,
    metadata: k?.metadata ?? null,
    rateLimit: r.rateLimit === undefined ? null : { allowed: r.rateLimit.allowed, refusedBy: r.rateLimit.refusedBy, retryAfter: r.rateLimit.retryAfter, limits: r.rateLimit.limits.map((l) => ({ name: l.name, limit: l.limit, windowSeconds: l.windowSeconds, remaining: l.remaining, reset: l.reset })) },
    credits: r.credits === undefined ? null : { allowed: r.credits.allowed, quota: r.credits.quota, remaining: r.credits.remaining, reset: r.credits.reset },
  };
}
