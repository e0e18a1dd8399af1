import { Type } from '@sinclair/typebox';
import type { RouteModule } from '../../../app-types.ts';
import { consumerOf } from '../../../plugins/consumer-guard.ts';
import { CONSUMER_SECURITY, dataErrors } from './data-schemas.ts';

const Body = Type.Object(
  {
    email: Type.String({ minLength: 3, maxLength: 320, description: 'An email address (name@domain.tld); stored trimmed and in lower case, once per workspace' }),
    index: Type.Optional(Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,39}$', description: 'The launch of interest, e.g. ct100-capped (default any)' })),
  },
  { additionalProperties: false },
);

export const waitlistJoin: RouteModule = (app, s) => {
  app.post('/v1/waitlist', {
    config: { permission: null, consumerScope: 'index:read' },
    schema: {
      operationId: 'joinWaitlist',
      tags: ['data: waitlist'],
      summary: 'Sign up for news of new index launches',
      description: 'The answer is the same whether the address is new or was already on the list, so the endpoint cannot tell who signed up.',
      security: CONSUMER_SECURITY,
      body: Body,
      response: { 202: Type.Object({ status: Type.Literal('subscribed'), email: Type.String(), index: Type.String() }), ...dataErrors() },
    },
    handler: async (req, reply) => {
      const r = await s.waitlist.join(consumerOf(req), req.body);
      return reply.status(202).send({ status: 'subscribed' as const, email: r.email, index: r.index });
    },
  });
};
