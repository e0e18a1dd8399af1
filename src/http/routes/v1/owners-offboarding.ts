import { Type } from '@sinclair/typebox';
import type { OffboardedOwner } from '../../../core/ports/store.ts';
import type { RouteModule } from '../../app-types.ts';
import { authOf } from '../../plugins/auth.ts';
import { emptyBodyAsObject } from '../../plugins/optional-body.ts';
import { CursorQuery, LimitQuery, errorResponses } from '../../schemas/common.ts';
import { encodeCursor } from '../../pagination.ts';
import { OffboardedOwnerView } from './alerts-schemas.ts';
import { OwnerId, Reason } from './keys-schemas.ts';

const OwnerParam = Type.Object({ ownerId: OwnerId }, { additionalProperties: false });
const view = (o: OffboardedOwner) => ({ ownerId: o.ownerId, offboardedAt: new Date(o.offboardedAt).toISOString(), reason: o.reason, offboardedBy: o.by });

/** Marking an owner offboarded, reinstating one, listing them: the offboarded-owner detector's input. */
export const ownersOffboard: RouteModule = (app, s) => {
  app.post('/v1/owners/:ownerId/offboard', {
    config: { permission: 'alerts:write' },
    preValidation: emptyBodyAsObject,
    schema: {
      operationId: 'offboardOwner',
      tags: ['alerts'],
      summary: 'Mark a key owner offboarded (audited owner.offboarded): any later use of their keys raises offboarded-owner-use',
      description: 'Idempotent: a second mark keeps the first time and reason (created false). Revoke the keys too; this only watches them.',
      params: OwnerParam,
      body: Type.Object({ reason: Type.Optional(Reason) }, { additionalProperties: false }),
      response: { 200: Type.Object({ owner: OffboardedOwnerView, created: Type.Boolean() }), ...errorResponses() },
    },
    handler: async (req) => {
      const ctx = authOf(req);
      const r = await s.alerts.offboardOwner({ workspaceId: ctx.workspaceId, actor: { type: 'token', id: ctx.tokenId } }, req.params.ownerId, req.body.reason ?? null);
      return { owner: view(r.owner), created: r.created };
    },
  });
};

export const ownersReinstate: RouteModule = (app, s) => {
  app.post('/v1/owners/:ownerId/reinstate', {
    config: { permission: 'alerts:write' },
    preValidation: emptyBodyAsObject,
    schema: { operationId: 'reinstateOwner', tags: ['alerts'], summary: 'Lift an offboarding mark (audited owner.reinstated)', params: OwnerParam, body: Type.Object({}, { additionalProperties: false }), response: { 200: Type.Object({ ownerId: Type.String(), reinstated: Type.Literal(true) }), ...errorResponses(404) } },
    handler: async (req) => {
      const ctx = authOf(req);
      await s.alerts.reinstateOwner({ workspaceId: ctx.workspaceId, actor: { type: 'token', id: ctx.tokenId } }, req.params.ownerId);
      return { ownerId: req.params.ownerId, reinstated: true as const };
    },
  });
};

export const ownersOffboarded: RouteModule = (app, s) => {
  app.get('/v1/owners/offboarded', {
    config: { permission: 'alerts:read' },
    schema: {
      operationId: 'listOffboardedOwners',
      tags: ['alerts'],
      summary: 'Key owners marked offboarded, by owner id',
      querystring: Type.Object({ limit: Type.Optional(LimitQuery), cursor: Type.Optional(CursorQuery) }, { additionalProperties: false }),
      response: { 200: Type.Object({ data: Type.Array(OffboardedOwnerView), nextCursor: Type.Union([Type.String(), Type.Null()]) }), ...errorResponses() },
    },
    handler: async (req) => {
      const limit = req.query.limit ?? 50;
      const after = req.query.cursor === undefined ? undefined : Buffer.from(req.query.cursor, 'base64url').toString('utf8');
      const rows = await s.alerts.listOffboarded(authOf(req).workspaceId, { ...(after !== undefined ? { afterOwnerId: after } : {}), limit: limit + 1 });
      const more = rows.length > limit;
      const data = rows.slice(0, limit);
      const last = data.at(-1);
      return { data: data.map(view), nextCursor: more && last !== undefined ? encodeCursor(last.ownerId) : null };
    },
  });
};
