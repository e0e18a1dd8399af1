import { Type } from '@sinclair/typebox';
import type { RouteModule } from '../../app-types.ts';
import { emptyBodyAsObject } from '../../plugins/optional-body.ts';
import { errorResponses } from '../../schemas/common.ts';
import { actingOf } from './keyring-schemas.ts';

export const keyringRotate: RouteModule = (app, s) => {
  app.post('/v1/keyring/rotate', {
    preValidation: emptyBodyAsObject,
    config: { permission: 'keyring:manage', critical: true },
    schema: {
      operationId: 'rotateKeyring',
      tags: ['keyring'],
      summary: 'Add a root key version in the key provider; new data keys are wrapped by it (rewrap moves the old ones)',
      body: Type.Object({}, { additionalProperties: false }),
      response: { 200: Type.Object({ version: Type.Integer() }), ...errorResponses(409, 503) },
    },
    handler: async (req) => s.keyringAdmin.rotate(actingOf(req)),
  });
};
