import { Type } from '@sinclair/typebox';
import type { RouteModule } from '../../app-types.ts';
import { emptyBodyAsObject } from '../../plugins/optional-body.ts';
import { errorResponses } from '../../schemas/common.ts';
import { SCHEDULER_ACTION_TYPES } from '../../../scheduler/tick-report.ts';
import { actingOf } from './keyring-schemas.ts';

const ActionType = Type.Union(SCHEDULER_ACTION_TYPES.map((t) => Type.Literal(t)), { description: 'The audit event (and webhook) the action produces' });

const TickView = Type.Object({
  startedAt: Type.String({ format: 'date-time' }),
  node: Type.String({ description: 'The node that ran the tick (lease holder name)' }),
  dryRun: Type.Boolean(),
  skipped: Type.Union([Type.String(), Type.Null()], { description: 'Why nothing (or not everything) was done: another node holds the lease, or it was lost' }),
  actions: Type.Array(Type.Object({ type: ActionType, workspaceId: Type.String(), keyId: Type.String(), successorId: Type.Union([Type.String(), Type.Null()]), detail: Type.String() })),
  failures: Type.Array(Type.Object({ type: ActionType, workspaceId: Type.String(), keyId: Type.String(), error: Type.String() }), { description: 'Due actions that failed; the next tick tries again' }),
});

export const schedulerRun: RouteModule = (app, s) => {
  app.post('/v1/scheduler/run', {
    config: { permission: 'scheduler:run' },
    preValidation: emptyBodyAsObject,
    schema: {
      operationId: 'runScheduler',
      tags: ['keys'],
      summary: 'Run the rotation and expiry scheduler once now (it takes the lease like the timer does), or dry-run it to see what it would do; operator workspace only',
      body: Type.Object({ dryRun: Type.Optional(Type.Boolean({ description: 'Report what a tick would do now; change nothing, take no lease' })) }, { additionalProperties: false }),
      response: { 200: TickView, ...errorResponses() },
    },
    handler: async (req) => {
      const r = await s.scheduler.runByHand(actingOf(req), { dryRun: req.body.dryRun === true });
      return { ...r, startedAt: new Date(r.startedAt).toISOString() };
    },
  });
};
