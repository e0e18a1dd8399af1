import { Type } from '@sinclair/typebox';
import type { RouteModule } from '../app-types.ts';
import { ClavisError } from '../../core/errors/registry.ts';

export const healthz: RouteModule = (app) => {
  app.get('/healthz', {
    config: { permission: null },
    schema: { operationId: 'healthz', tags: ['health'], security: [], summary: 'Liveness: the process answers', response: { 200: Type.Object({ status: Type.Literal('ok') }) } },
    handler: async () => ({ status: 'ok' as const }),
  });
};

export const readyz: RouteModule = (app, s) => {
  app.get('/readyz', {
    config: { permission: null },
    schema: {
      operationId: 'readyz',
      tags: ['health'],
      security: [],
      summary: 'Readiness: the store answers and the keyring is unsealed (503 NOT_READY or SEALED otherwise)',
      response: {
        200: Type.Object({ status: Type.Literal('ready'), store: Type.String(), keyring: Type.Object({ state: Type.Literal('unsealed'), provider: Type.String() }) }),
        503: Type.Ref('Problem'),
      },
    },
    handler: async () => {
      try {
        await s.store.ping();
      } catch {
        throw new ClavisError('NOT_READY', 'the store does not answer');
      }
      const keyring = s.keyring.status();
      if (keyring.state === 'sealed') throw new ClavisError('SEALED', `the keyring is sealed: ${keyring.reason ?? 'unknown reason'}`);
      return { status: 'ready' as const, store: s.store.kind, keyring: { state: 'unsealed' as const, provider: keyring.provider ?? 'unknown' } };
    },
  });
};
