import { Type } from '@sinclair/typebox';
import type { RouteModule } from '../../app-types.ts';
import { authOf } from '../../plugins/auth.ts';
import { errorResponses } from '../../schemas/common.ts';
import { workspaceView } from '../../views.ts';

/** What GET and PATCH /v1/workspace answer. */
export const WorkspaceAnswer = Type.Object({
  workspace: Type.Ref('Workspace'),
  settings: Type.Object({ requireMfa: Type.Boolean({ description: 'Critical operations refuse callers without a user with confirmed TOTP' }) }),
  caller: Type.Object({ tokenId: Type.String(), role: Type.String(), userId: Type.Union([Type.String(), Type.Null()], { description: 'The user the token was issued for; null: a service token' }) }),
});

export const workspaceCurrent: RouteModule = (app, s) => {
  app.get('/v1/workspace', {
    config: { permission: 'workspaces:read' },
    schema: {
      operationId: 'getWorkspace',
      tags: ['workspaces'],
      summary: 'The workspace of the calling token, its settings, and the caller',
      response: { 200: WorkspaceAnswer, ...errorResponses() },
    },
    handler: async (req) => {
      const ctx = authOf(req);
      return { workspace: workspaceView(await s.workspaces.get(ctx.workspaceId)), settings: { requireMfa: await s.mfa.requireMfa(ctx.workspaceId) }, caller: { tokenId: ctx.tokenId, role: ctx.role, userId: ctx.userId ?? null } };
    },
  });
};
