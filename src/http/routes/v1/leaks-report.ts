import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import type { RouteModule } from '../../app-types.ts';
import { ClavisError } from '../../../core/errors/registry.ts';

const Report = Type.Array(
  Type.Object({
    token: Type.String({ maxLength: 1024, description: 'The string found' }),
    type: Type.String({ maxLength: 200, description: 'The token type the partner registered' }),
    url: Type.Optional(Type.String({ maxLength: 2048, description: 'Where it was found' })),
    source: Type.Optional(Type.String({ maxLength: 100, description: 'content, commit, pull_request, gist, npm, …' })),
  }),
  { minItems: 1, maxItems: 1000, description: 'GitHub secret scanning partner format' },
);

const Answer = Type.Array(
  Type.Object({
    token_raw: Type.String(),
    token_type: Type.String(),
    label: Type.Union([Type.Literal('true_positive'), Type.Literal('false_positive')]),
  }),
);

const BODY_LIMIT = 512 * 1024;

/** The raw bytes of each request body, for the signature check; the parsed JSON goes on as the body. */
const rawBodies = new WeakMap<FastifyRequest, Buffer>();

const header = (req: FastifyRequest, name: string): string | undefined => {
  const v = req.headers[name];
  return typeof v === 'string' && v !== '' ? v : undefined;
};

/**
 * `POST /v1/leaks`: leak reports in GitHub's secret-scanning partner format. Public (no admin
 * token): the body is authenticated by the reporter's ECDSA signature over its raw bytes, so the
 * route lives in its own plugin scope with a JSON parser that keeps those bytes.
 */
export const leaksReport: RouteModule = (app, s) => {
  void app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit: BODY_LIMIT }, (req, body, done) => {
      const raw = Buffer.isBuffer(body) ? body : Buffer.from(body);
      rawBodies.set(req, raw);
      try {
        done(null, JSON.parse(raw.toString('utf8')));
      } catch {
        done(new ClavisError('INVALID_JSON', 'the body is not valid JSON'), undefined);
      }
    });
    scope.withTypeProvider<TypeBoxTypeProvider>().post('/v1/leaks', {
      config: { permission: null },
      bodyLimit: BODY_LIMIT,
      schema: {
        operationId: 'reportLeaks',
        tags: ['leaks'],
        summary: 'Report leaked tokens (GitHub secret scanning partner format)',
        description:
          'Authenticated by `Github-Public-Key-Identifier` and `Github-Public-Key-Signature` (base64 ECDSA P-256 / SHA-256 over the raw body) against CLAVIS_LEAK_REPORT_PUBLIC_KEYS, not by an admin token. Each Clavis key found by hash gets the leak policy (CLAVIS_LEAK_POLICY) in its own workspace; the answer labels every token true_positive or false_positive.',
        security: [],
        headers: Type.Object({
          'github-public-key-identifier': Type.Optional(Type.String({ maxLength: 200 })),
          'github-public-key-signature': Type.Optional(Type.String({ maxLength: 400 })),
        }),
        body: Report,
        response: { 200: Answer, 400: Type.Ref('Problem'), 401: Type.Ref('Problem'), 404: Type.Ref('Problem'), 413: Type.Ref('Problem'), 415: Type.Ref('Problem') },
      },
      onRequest: async () => {
        if (!s.leaks.enabled) throw new ClavisError('LEAK_REPORTS_DISABLED', 'no reporter public keys are configured (CLAVIS_LEAK_REPORT_PUBLIC_KEYS)');
      },
      preValidation: async (req) => {
        s.leaks.checkSignature(header(req, 'github-public-key-identifier'), header(req, 'github-public-key-signature'), rawBodies.get(req));
      },
      handler: async (req) => {
        const { answers, outcomes } = await s.leaks.handle(req.body);
        for (const o of outcomes) {
          // Never the token: a string that is not a Clavis key may be someone else's live secret.
          if (o.kind === 'api-key' || o.kind === 'admin-token') req.log.warn({ leak: { kind: o.kind, start: o.start, id: o.keyId, workspaceId: o.workspaceId, action: o.action, policy: s.leaks.policy } }, 'leak report: Clavis credential confirmed');
        }
        req.log.info({ leak: { tokens: outcomes.length, confirmed: outcomes.filter((o) => o.label === 'true_positive').length } }, 'leak report handled');
        return answers;
      },
    });
  });
};
