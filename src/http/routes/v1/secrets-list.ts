import { Type } from '@sinclair/typebox';
import { ClavisError } from '../../../core/errors/registry.ts';
import { ENVIRONMENTS, type Environment } from '../../../core/keys/key-format.ts';
import type { RouteModule } from '../../app-types.ts';
import { authOf } from '../../plugins/auth.ts';
import { encodeCursor } from '../../pagination.ts';
import { CursorQuery, LimitQuery, errorResponses } from '../../schemas/common.ts';
import { EnvironmentSchema } from './keys-schemas.ts';
import { SecretSummaryView, secretSummaryView } from './secrets-schemas.ts';

const Query = Type.Object({ environment: Type.Optional(EnvironmentSchema), limit: Type.Optional(LimitQuery), cursor: Type.Optional(CursorQuery) }, { additionalProperties: false });

function decodeCursor(cursor: string | undefined): { environment: Environment; path: string } | undefined {
  if (cursor === undefined) return undefined;
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const cut = text.indexOf('/');
  const environment = text.slice(0, cut);
  if (cut < 1 || !(ENVIRONMENTS as readonly string[]).includes(environment)) {
    throw new ClavisError('INVALID_CURSOR', 'the cursor is not one this server gave out', [{ field: '/querystring/cursor', message: 'invalid' }]);
  }
  return { environment: environment as Environment, path: text.slice(cut + 1) };
}

export const secretsList: RouteModule = (app, s) => {
  app.get('/v1/secrets', {
    config: { permission: 'secrets:read' },
    schema: {
      operationId: 'listSecrets',
      tags: ['secrets'],
      summary: 'List secrets of the workspace (metadata only, never values), by environment and path',
      querystring: Query,
      response: { 200: Type.Object({ data: Type.Array(SecretSummaryView), nextCursor: Type.Union([Type.String(), Type.Null()]) }), ...errorResponses() },
    },
    handler: async (req) => {
      const limit = req.query.limit ?? 50;
      const after = decodeCursor(req.query.cursor);
      const rows = await s.secrets.list(authOf(req).workspaceId, { limit: limit + 1, ...(req.query.environment !== undefined ? { environment: req.query.environment } : {}), ...(after !== undefined ? { after } : {}) });
      const data = rows.slice(0, limit);
      const last = data.at(-1);
      return { data: data.map(secretSummaryView), nextCursor: rows.length > limit && last !== undefined ? encodeCursor(`${last.environment}/${last.path}`) : null };
    },
  });
};
