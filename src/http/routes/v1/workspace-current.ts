import { Type } from '@sinclair/typebox';
import type { RouteModule } from '../../app-types.ts';
import { authOf } from '../../plugins/auth.ts';
import { errorResponses } from '../../schemas/common.ts';
import { workspaceView } from '../../views.ts';

export const workspaceCurrent: RouteModule = (app, s) => {
  app.get('/v1/workspace', {
    config: { permission: 'workspaces:read' },
    schema: {
      operationId: 'getWorkspace',
      tags: ['workspaces'],
      summary: 'The workspace of the calling token, and the caller',
      response: { 200: Type.Object({ workspace: Type.Ref('Workspace'), caller: Type.Object({ tokenId: Type.String(), role: Type.String() }) }), ...errorResponses() },
    },
    handler: async (req) => {
      const ctx = authOf(req);
      return { workspace: workspaceView(await s.workspaces.get(ctx.workspaceId)), caller: { tokenId: ctx.tokenId, role: ctx.role } };
    },
  });
};
