import type { RouteModule } from '../../app-types.ts';
import { errorResponses } from '../../schemas/common.ts';
import { KeyringView, keyringView } from './keyring-schemas.ts';

export const keyringStatus: RouteModule = (app, s) => {
  app.get('/v1/keyring', {
    config: { permission: 'keyring:manage' },
    schema: { operationId: 'getKeyring', tags: ['keyring'], summary: 'Seal state, root key versions and how many data keys each wraps', response: { 200: KeyringView, ...errorResponses() } },
    handler: async () => keyringView(await s.keyringAdmin.report()),
  });
};
