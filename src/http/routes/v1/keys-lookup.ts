import { Type } from '@sinclair/typebox';
import type { RouteModule } from '../../app-types.ts';
import { MAX_LOOKUP_HASHES, lookupKeys } from '../../../scan/leaks/key-lookup.ts';
import { authOf } from '../../plugins/auth.ts';
import { errorResponses } from '../../schemas/common.ts';

const Body = Type.Object(
  {
    hashes: Type.Array(Type.String({ pattern: '^[0-9a-fA-F]{64}$', description: 'SHA-256 (hex) of a whole key' }), {
      minItems: 1,
      maxItems: MAX_LOOKUP_HASHES,
      description: `SHA-256 hashes of keys found somewhere (by \`clavis scan\`), at most ${MAX_LOOKUP_HASHES}; never send the keys themselves`,
    }),
  },
  { additionalProperties: false },
);

const Result = Type.Object({
  results: Type.Array(
    Type.Object({
      hash: Type.String({ description: 'The hash as sent, in lower case' }),
      status: Type.Union([Type.Literal('live'), Type.Literal('revoked'), Type.Literal('suspended'), Type.Literal('expired'), Type.Literal('unknown')], {
        description: 'unknown also for keys of other workspaces',
      }),
      keyId: Type.Optional(Type.String()),
    }),
  ),
});

// 1000 hashes of 64 hex characters and their JSON punctuation exceed the default body limit.
const BODY_LIMIT = 96 * 1024;

export const keysLookup: RouteModule = (app, s) => {
  app.post('/v1/keys/lookup', {
    config: { permission: 'keys:read' },
    bodyLimit: BODY_LIMIT,
    schema: {
      operationId: 'lookupKeys',
      tags: ['keys'],
      summary: 'Look keys up by hash: live, revoked, suspended, expired or unknown',
      description: 'For secret scanners: the caller hashes each key it found (SHA-256 of the whole key, hex) and learns, per hash, whether it is a key of its workspace and its state.',
      body: Body,
      response: { 200: Result, ...errorResponses(413) },
    },
    handler: async (req) => ({ results: await lookupKeys(s.store.keys, s.clock.now(), authOf(req).workspaceId, req.body.hashes) }),
  });
};
