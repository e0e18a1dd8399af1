import { Type } from '@sinclair/typebox';
import type { RouteModule } from '../../app-types.ts';
import { authOf } from '../../plugins/auth.ts';
import { errorResponses } from '../../schemas/common.ts';
import { tokenView, workspaceView } from '../../views.ts';
import { Name } from './keys-schemas.ts';

export const workspacesCreate: RouteModule = (app, s) => {
  app.post('/v1/workspaces', {
    config: { permission: 'workspaces:create', critical: true },
    schema: {
      operationId: 'createWorkspace',
      tags: ['workspaces'],
      summary: 'Create a tenant workspace with its owner token (operator owners only)',
      body: Type.Object({ name: Name }, { additionalProperties: false }),
      response: {
        201: Type.Object({ workspace: Type.Ref('Workspace'), ownerToken: Type.Intersect([Type.Object({ token: Type.String() }), Type.Ref('AdminToken')]) }),
        ...errorResponses(),
      },
    },
    handler: async (req, reply) => {
      const r = await s.workspaces.create(authOf(req), req.body.name);
      reply.header('Cache-Control', 'no-store');
      return reply.status(201).send({ workspace: workspaceView(r.workspace), ownerToken: { token: r.ownerToken.secret, ...tokenView(r.ownerToken.record, s.clock.now()) } });
    },
  });
};
