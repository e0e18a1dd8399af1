import { Type } from '@sinclair/typebox';
import { ENVIRONMENTS } from '../../../core/keys/key-format.ts';
import { ROTATION_BOUNDS } from '../../../core/keys/rotation-policy.ts';
import { MAX_SECRET_PATH, SECRET_PATH_SOURCE } from '../../../core/vault/secret-path.ts';

export const Name = Type.String({ minLength: 1, maxLength: 100, pattern: '^[^\\u0000-\\u001f\\u007f]+$', description: 'Human-readable name, 1–100 characters, no control characters' });
export const EnvironmentSchema = Type.Union(ENVIRONMENTS.map((e) => Type.Literal(e)), { description: 'live, test or dev: a key verifies only in its own' });
export const Scopes = Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { minItems: 1, maxItems: 50, description: 'Scopes as resource:action; see the scope list in the API docs' });
export const IpAllowlist = Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 100, description: 'IPv4/IPv6 addresses or CIDR ranges; empty allows any address' });
export const Metadata = Type.Record(Type.String({ maxLength: 64 }), Type.Unknown(), { maxProperties: 50, description: 'Free-form JSON object, up to 50 properties' });
export const ExpiresAt = Type.String({ format: 'date-time', description: 'When the key stops working (ISO 8601)' });
export const TtlSeconds = Type.Integer({ minimum: 1, maximum: 315_360_000, description: 'Lifetime in seconds from now' });
export const OwnerId = Type.String({ minLength: 1, maxLength: 200, description: 'Identity of the consumer who owns the key' });
export const Reason = Type.String({ minLength: 1, maxLength: 500 });
export const Signing = Type.Union(
  [
    Type.Object(
      {
        scheme: Type.Optional(Type.Literal('ed25519', { description: 'Optional for compatibility: a signing requirement without a scheme is Ed25519' })),
        publicKey: Type.String({ minLength: 40, maxLength: 64, description: "The consumer's raw 32-byte Ed25519 public key, base64. The private key never reaches Clavis." }),
      },
      { additionalProperties: false, title: 'Ed25519 signing', description: 'The consumer signs with its Ed25519 private key; Clavis holds only the public key (non-repudiation)' },
    ),
    Type.Object(
      { scheme: Type.Literal('hmac-sha256') },
      { additionalProperties: false, title: 'HMAC-SHA256 signing', description: 'Clavis generates a 32-byte secret, returns it once as `signingSecret` and stores it only encrypted under the keyring' },
    ),
  ],
  { description: 'Require requests signed by the consumer (X-Clavis-Timestamp, X-Clavis-Nonce, X-Clavis-Signature)' },
);

/** The HMAC signing secret in a create, update or rotate answer: the only time it is shown. */
export const SigningSecret = Type.String({
  description: 'HMAC-SHA256 signing secret of the key (base64 of 32 bytes; the HMAC key is the decoded bytes). Shown only in this answer, present only when one was issued: store it now.',
});
export const RateLimits = Type.Array(
  Type.Object(
    {
      name: Type.String({ pattern: '^[a-z0-9-]{1,32}$', description: 'Shown to clients in the RateLimit headers' }),
      algorithm: Type.Union([Type.Literal('sliding-window'), Type.Literal('token-bucket')]),
      limit: Type.Integer({ minimum: 1, maximum: 1_000_000, description: 'Requests per window (sliding window) or bucket size (token bucket)' }),
      windowSeconds: Type.Integer({ minimum: 1, maximum: 2_592_000 }),
    },
    { additionalProperties: false },
  ),
  { maxItems: 5, description: 'Named limits; every one must admit a request (RATE_LIMITED otherwise)' },
);
export const Credits = Type.Object(
  {
    quota: Type.Integer({ minimum: 0, maximum: 1_000_000_000_000 }),
    refill: Type.Union([Type.Literal('daily'), Type.Literal('monthly'), Type.Literal('none')], { description: 'Back to quota at 00:00 UTC daily, on the 1st monthly, or never' }),
  },
  { additionalProperties: false, description: 'Credits consumed per request (QUOTA_EXCEEDED when spent)' },
);
export const Rotation = Type.Object(
  {
    everyDays: Type.Integer({ minimum: 1, maximum: ROTATION_BOUNDS.maxEveryDays, description: 'Rotation falls due this many days after the key was created' }),
    graceHours: Type.Integer({ minimum: 0, maximum: ROTATION_BOUNDS.maxGraceHours, description: 'How long the old key keeps working after a rotation; shorter than the period (and, for vault, than the key lifetime)' }),
    mode: Type.Union([Type.Literal('vault'), Type.Literal('notify')], {
      description: '`vault`: the scheduler rotates the key and writes the successor into the secrets vault at vaultPath (due everyDays after creation, or graceHours before expiry if sooner); `notify`: it sends `key.rotation_due` once per period and the owner rotates',
    }),
    vaultPath: Type.Optional(Type.String({ minLength: 1, maxLength: MAX_SECRET_PATH, pattern: SECRET_PATH_SOURCE, description: "Secret path in the key's workspace and environment where the successor is written (required for vault, not allowed for notify)" })),
  },
  { additionalProperties: false, description: 'Automatic rotation by the scheduler (docs/guides/rotation.md); a successor inherits it' },
);
