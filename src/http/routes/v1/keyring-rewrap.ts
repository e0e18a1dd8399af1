import { Type } from '@sinclair/typebox';
import type { RouteModule } from '../../app-types.ts';
import { emptyBodyAsObject } from '../../plugins/optional-body.ts';
import { errorResponses } from '../../schemas/common.ts';
import { actingOf } from './keyring-schemas.ts';

export const keyringRewrap: RouteModule = (app, s) => {
  app.post('/v1/keyring/rewrap', {
    preValidation: emptyBodyAsObject,
    config: { permission: 'keyring:manage', critical: true },
    schema: {
      operationId: 'rewrapKeyring',
      tags: ['keyring'],
      summary: 'Move stored data keys to the current root key version (values are never decrypted); call again while remaining > 0',
      body: Type.Object({ maxKeys: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000, default: 5000, description: 'Most data keys to move in this call' })) }, { additionalProperties: false }),
      response: { 200: Type.Object({ currentVersion: Type.Integer(), rewrapped: Type.Integer(), remaining: Type.Integer(), stranded: Type.Integer({ description: 'Data keys under retired versions; they cannot be moved' }) }), ...errorResponses(500, 503) },
    },
    handler: async (req) => s.keyringAdmin.rewrap(actingOf(req), { maxKeys: req.body.maxKeys ?? 5000 }),
  });
};
