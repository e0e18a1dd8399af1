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
    schema: { operationId: 'readyz', tags: ['health'], security: [], summary: 'Readiness: the store answers', response: { 200: Type.Object({ status: Type.Literal('ready'), store: Type.String() }), 503: Type.Ref('Problem') } },
    handler: async () => {
      try {
        await s.store.ping();
      } catch {
        throw new ClavisError('NOT_READY', 'the store does not answer');
      }
      return { status: 'ready' as const, store: s.store.kind };
    },
  });
};
