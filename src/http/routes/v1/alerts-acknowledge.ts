import { Type } from '@sinclair/typebox';
import type { RouteModule } from '../../app-types.ts';
import { authOf } from '../../plugins/auth.ts';
import { emptyBodyAsObject } from '../../plugins/optional-body.ts';
import { errorResponses } from '../../schemas/common.ts';
import { AlertIdParam, NoteBody, alertView } from './alerts-schemas.ts';

export const alertsAcknowledge: RouteModule = (app, s) => {
  app.post('/v1/alerts/:id/acknowledge', {
    config: { permission: 'alerts:write' },
    preValidation: emptyBodyAsObject,
    schema: { operationId: 'acknowledgeAlert', tags: ['alerts'], summary: 'Acknowledge an open alert (audited alert.acknowledged)', params: AlertIdParam, body: NoteBody, response: { 200: Type.Ref('Alert'), ...errorResponses(404, 409) } },
    handler: async (req) => {
      const ctx = authOf(req);
      return alertView(await s.alerts.acknowledge({ workspaceId: ctx.workspaceId, actor: { type: 'token', id: ctx.tokenId } }, req.params.id, req.body.note ?? null));
    },
  });
};
