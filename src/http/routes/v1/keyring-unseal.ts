import { Type } from '@sinclair/typebox';
import { ClavisError } from '../../../core/errors/registry.ts';
import type { RouteModule } from '../../app-types.ts';
import { authOf } from '../../plugins/auth.ts';
import { errorResponses } from '../../schemas/common.ts';
import { KeyringView, keyringView } from './keyring-schemas.ts';

export const keyringUnseal: RouteModule = (app, s) => {
  app.post('/v1/keyring/unseal', {
    config: { permission: 'keyring:manage' },
    schema: {
      operationId: 'unsealKeyring',
      tags: ['keyring'],
      summary: 'Unseal a sealed local keyring with its passphrase (PKCS#11 and Vault unseal by themselves once reachable)',
      body: Type.Object({ passphrase: Type.String({ minLength: 1, maxLength: 1024 }) }, { additionalProperties: false }),
      response: { 200: KeyringView, ...errorResponses() },
    },
    handler: async (req) => {
      const ws = await s.store.workspaces.findById(authOf(req).workspaceId);
      if (ws?.operator !== true) throw new ClavisError('OPERATOR_ONLY', 'the master keyring is managed from the operator workspace');
      if (s.unseal === null) throw new ClavisError('UNSEAL_FAILED', 'this key provider takes no passphrase: it unseals by itself once it can be reached');
      await s.unseal(req.body.passphrase);
      return keyringView(await s.keyringAdmin.report());
    },
  });
};
