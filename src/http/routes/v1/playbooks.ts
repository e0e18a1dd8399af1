import { Type } from '@sinclair/typebox';
import type { RouteModule } from '../../app-types.ts';
import { authOf } from '../../plugins/auth.ts';
import { emptyBodyAsObject } from '../../plugins/optional-body.ts';
import { errorResponses } from '../../schemas/common.ts';

const ACTIONS = ['suspend-key', 'rotate-key', 'revoke-key', 'revoke-owner-keys', 'notify-webhook', 'snapshot-evidence'] as const;
const Action = Type.Union(ACTIONS.map((a) => Type.Literal(a)));

const PlaybookView = Type.Object({
  name: Type.String(),
  description: Type.String(),
  trigger: Type.Object({ type: Type.Union([Type.Literal('manual'), Type.Literal('alert')]), alertTypes: Type.Optional(Type.Array(Type.String())), minSeverity: Type.Optional(Type.String()) }),
  steps: Type.Array(Type.Object({ action: Action, reason: Type.Optional(Type.String()), gracePeriodSeconds: Type.Optional(Type.Integer()), message: Type.Optional(Type.String()) })),
});

const RunView = Type.Object({
  runId: Type.String(),
  playbook: Type.String(),
  dryRun: Type.Boolean(),
  status: Type.Union([Type.Literal('planned'), Type.Literal('completed'), Type.Literal('failed')]),
  steps: Type.Array(Type.Object({ index: Type.Integer(), action: Action, status: Type.Union([Type.Literal('planned'), Type.Literal('done'), Type.Literal('skipped'), Type.Literal('failed')]), detail: Type.String(), keyIds: Type.Array(Type.String()) })),
  error: Type.Union([Type.Object({ code: Type.String(), message: Type.String() }), Type.Null()]),
  newKeySecret: Type.Union([Type.String(), Type.Null()], { description: 'The successor key when a rotate step ran: shown only in this answer' }),
  newKeySigningSecret: Type.Union([Type.String(), Type.Null()], { description: "The successor's HMAC-SHA256 signing secret when a rotate step ran on an HMAC-signing key: shown only in this answer" }),
});

const NameParam = Type.Object({ name: Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,62}$' }) }, { additionalProperties: false });
const RunBody = Type.Object(
  {
    keyId: Type.Optional(Type.String({ pattern: '^key_[0-9A-Za-z]{22}$' })),
    ownerId: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    dryRun: Type.Optional(Type.Boolean({ description: 'Show what each step would do; change nothing' })),
  },
  { additionalProperties: false },
);

export const playbooksList: RouteModule = (app, s) => {
  app.get('/v1/playbooks', {
    config: { permission: 'playbooks:read' },
    schema: { operationId: 'listPlaybooks', tags: ['playbooks'], summary: 'The playbooks this server loaded', response: { 200: Type.Object({ data: Type.Array(PlaybookView) }), ...errorResponses() } },
    handler: async () => ({ data: s.playbooks.list().map((p) => ({ name: p.name, description: p.description, trigger: p.trigger, steps: p.steps })) }),
  });
};

export const playbooksRun: RouteModule = (app, s) => {
  app.post('/v1/playbooks/:name/run', {
    config: { permission: 'playbooks:run' },
    preValidation: emptyBodyAsObject,
    schema: {
      operationId: 'runPlaybook',
      tags: ['playbooks'],
      summary: 'Run a playbook on a key or an owner (every step audited; the first failed step stops the run), or dry-run it',
      params: NameParam,
      body: RunBody,
      response: { 200: RunView, ...errorResponses(404) },
    },
    handler: async (req, reply) => {
      const ctx = authOf(req);
      const b = req.body;
      const run = await s.playbooks.run(req.params.name, { workspaceId: ctx.workspaceId, ...(b.keyId !== undefined ? { keyId: b.keyId } : {}), ...(b.ownerId !== undefined ? { ownerId: b.ownerId } : {}) }, { actor: { type: 'token', id: ctx.tokenId }, dryRun: b.dryRun === true, revealSecret: true });
      reply.header('Cache-Control', 'no-store');
      return run;
    },
  });
};
