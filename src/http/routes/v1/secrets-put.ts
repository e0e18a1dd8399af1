import { Type } from '@sinclair/typebox';
import type { RouteModule } from '../../app-types.ts';
import { errorResponses } from '../../schemas/common.ts';
import { SecretParams, secretTarget } from './secrets-schemas.ts';

const Body = Type.Object(
  {
    value: Type.String({ minLength: 1, maxLength: 32_768, description: 'The secret (UTF-8, at most 32 KiB). Stored only encrypted.' }),
    cas: Type.Optional(Type.Integer({ minimum: 0, description: 'Check-and-set: the current version you expect (0: the secret must not exist yet)' })),
  },
  { additionalProperties: false },
);

export const secretsPut: RouteModule = (app, s) => {
  app.put('/v1/secrets/:environment/*', {
    config: { permission: 'secrets:write' },
    schema: {
      operationId: 'putSecret',
      tags: ['secrets'],
      summary: 'Write a new version of a secret (AES-256-GCM under a fresh data key)',
      params: SecretParams,
      body: Body,
      response: { 200: Type.Object({ environment: Type.String(), path: Type.String(), version: Type.Integer() }), ...errorResponses(409, 503) },
    },
    handler: async (req) => {
      const { acting, ref } = secretTarget(req, { environment: req.params.environment, path: req.params['*'] });
      const { version } = await s.secrets.put(acting, ref, req.body.value, req.body.cas);
      return { environment: ref.environment, path: ref.path, version };
    },
  });
};
