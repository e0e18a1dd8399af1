import { Type } from '@sinclair/typebox';
import { ClavisError } from '../../../core/errors/registry.ts';
import type { RouteModule } from '../../app-types.ts';
import { authOf } from '../../plugins/auth.ts';
import { emptyBodyAsObject } from '../../plugins/optional-body.ts';
import { errorResponses } from '../../schemas/common.ts';
import { checkpointView } from '../../views.ts';

export const auditCheckpointCreate: RouteModule = (app, s) => {
  app.post('/v1/audit/checkpoints', {
    preValidation: emptyBodyAsObject,
    config: { permission: 'audit:checkpoint' },
    schema: {
      operationId: 'createAuditCheckpoint',
      tags: ['audit'],
      summary: 'Sign a checkpoint of the log as it is now (returns the latest when nothing was added since)',
      body: Type.Object({}, { additionalProperties: false }),
      response: { 200: Type.Ref('AuditCheckpoint'), ...errorResponses(404) },
    },
    handler: async (req) => {
      const cp = await s.audit.checkpoint(authOf(req).workspaceId);
      if (cp === null) throw new ClavisError('CHECKPOINT_NOT_FOUND', 'the log is empty');
      return checkpointView(cp);
    },
  });
};
