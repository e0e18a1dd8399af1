import { Type } from '@sinclair/typebox';
import type { RouteModule } from '../../app-types.ts';
import { authOf } from '../../plugins/auth.ts';
import { errorResponses } from '../../schemas/common.ts';
import { AlertIdParam, alertView } from './alerts-schemas.ts';

export const alertsGet: RouteModule = (app, s) => {
  app.get('/v1/alerts/:id', {
    config: { permission: 'alerts:read' },
    schema: { operationId: 'getAlert', tags: ['alerts'], summary: 'Get an alert with its evidence', params: AlertIdParam, response: { 200: Type.Ref('Alert'), ...errorResponses(404) } },
    handler: async (req) => alertView(await s.alerts.get(authOf(req).workspaceId, req.params.id)),
  });
};
