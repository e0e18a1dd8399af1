import { Type, type Static } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import type { Acting } from '../../../core/keys/key-service.ts';
import type { SecretRef, SecretSummary } from '../../../core/ports/store.ts';
import { MAX_SECRET_PATH, SECRET_PATH_SOURCE } from '../../../core/vault/secret-path.ts';
import { authOf } from '../../plugins/auth.ts';
import { EnvironmentSchema } from './keys-schemas.ts';

/** `/v1/secrets/:environment/*`: the wildcard is the secret path, slashes and all. */
export const SecretParams = Type.Object(
  {
    environment: EnvironmentSchema,
    '*': Type.String({ minLength: 1, maxLength: MAX_SECRET_PATH + 16, pattern: SECRET_PATH_SOURCE, description: 'Secret path: segments of letters, digits, ".", "_", "-" separated by "/"' }),
  },
  { additionalProperties: false },
);
export type SecretParamsT = Static<typeof SecretParams>;

export const VersionQuery = Type.Object({ version: Type.Optional(Type.Integer({ minimum: 1, description: 'A version number; default the latest' })) }, { additionalProperties: false });

export const VersionsBody = Type.Object(
  { versions: Type.Optional(Type.Array(Type.Integer({ minimum: 1 }), { minItems: 1, maxItems: 1000, uniqueItems: true })) },
  { additionalProperties: false },
);

export const VersionsAnswer = Type.Object({ environment: Type.String(), path: Type.String(), versions: Type.Array(Type.Integer(), { description: 'The versions this call changed' }) });

export const SecretSummaryView = Type.Object({
  environment: Type.String(),
  path: Type.String(),
  currentVersion: Type.Integer(),
  state: Type.Union([Type.Literal('active'), Type.Literal('deleted'), Type.Literal('destroyed')], { description: 'State of the latest version' }),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
});

/** The caller and the secret a request names. */
export function secretTarget(req: FastifyRequest, params: { environment: SecretRef['environment']; path: string }): { acting: Acting; ref: SecretRef } {
  const ctx = authOf(req);
  return { acting: { workspaceId: ctx.workspaceId, actor: { type: 'token', id: ctx.tokenId } }, ref: { workspaceId: ctx.workspaceId, environment: params.environment, path: params.path } };
}

export function secretSummaryView(s: SecretSummary): Static<typeof SecretSummaryView> {
  return {
    environment: s.environment,
    path: s.path,
    currentVersion: s.currentVersion,
    state: s.currentDestroyedAt !== null ? 'destroyed' : s.currentDeletedAt !== null ? 'deleted' : 'active',
    createdAt: new Date(s.createdAt).toISOString(),
    updatedAt: new Date(s.updatedAt).toISOString(),
  };
}
