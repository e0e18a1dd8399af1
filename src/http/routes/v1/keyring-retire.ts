import { Type } from '@sinclair/typebox';
import type { RouteModule } from '../../app-types.ts';
import { errorResponses } from '../../schemas/common.ts';
import { actingOf } from './keyring-schemas.ts';

export const keyringRetire: RouteModule = (app, s) => {
  app.post('/v1/keyring/retire', {
    config: { permission: 'keyring:manage', critical: true },
    schema: {
      operationId: 'retireKeyringVersions',
      tags: ['keyring'],
      summary: 'Raise the minimum decryption version: data still wrapped by a lower version stops reading (refused while any is left, unless force)',
      body: Type.Object({ minDecryptionVersion: Type.Integer({ minimum: 1 }), force: Type.Optional(Type.Boolean()) }, { additionalProperties: false }),
      response: { 200: Type.Object({ minDecryptionVersion: Type.Integer(), stranded: Type.Integer() }), ...errorResponses(409, 503) },
    },
    handler: async (req) => s.keyringAdmin.retire(actingOf(req), req.body.minDecryptionVersion, req.body.force === true),
  });
};
