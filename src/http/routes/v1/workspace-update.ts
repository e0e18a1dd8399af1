import { Type } from '@sinclair/typebox';
import type { RouteModule } from '../../app-types.ts';
import { authOf } from '../../plugins/auth.ts';
import { errorResponses } from '../../schemas/common.ts';
import { workspaceView } from '../../views.ts';
import { WorkspaceAnswer } from './workspace-current.ts';

export const workspaceUpdate: RouteModule = (app, s) => {
  app.patch('/v1/workspace', {
    config: { permission: 'workspaces:write', critical: true },
    schema: {
      operationId: 'updateWorkspace',
      tags: ['workspaces'],
      summary: 'Change the settings of the current workspace. requireMfa: critical operations refuse callers without a user with confirmed TOTP (turning it on needs such a caller).',
      body: Type.Object({ requireMfa: Type.Boolean() }, { additionalProperties: false }),
      response: { 200: WorkspaceAnswer, ...errorResponses() },
    },
    handler: async (req) => {
      const ctx = authOf(req);
      const requireMfa = await s.mfa.setRequireMfa(ctx, req.body.requireMfa);
      return { workspace: workspaceView(await s.workspaces.get(ctx.workspaceId)), settings: { requireMfa }, caller: { tokenId: ctx.tokenId, role: ctx.role, userId: ctx.userId ?? null } };
    },
  });
};
