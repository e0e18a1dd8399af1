import { Type, type Static } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import type { Acting } from '../../../core/keys/key-service.ts';
import type { KeyringReport } from '../../../core/vault/keyring-admin.ts';
import { authOf } from '../../plugins/auth.ts';

export const KeyringView = Type.Object({
  state: Type.Union([Type.Literal('sealed'), Type.Literal('unsealed')]),
  provider: Type.Union([Type.String(), Type.Null()]),
  description: Type.Union([Type.String(), Type.Null()]),
  reason: Type.Union([Type.String(), Type.Null()], { description: 'Why it is sealed' }),
  since: Type.String({ format: 'date-time' }),
  currentVersion: Type.Union([Type.Integer(), Type.Null()], { description: 'Root key version that wraps new data keys' }),
  minDecryptionVersion: Type.Union([Type.Integer(), Type.Null()], { description: 'Data wrapped by lower versions no longer reads' }),
  dataKeys: Type.Array(Type.Object({ keyVersion: Type.Integer(), count: Type.Integer() }), { description: 'Stored data keys per root key version' }),
});

export function keyringView(r: KeyringReport): Static<typeof KeyringView> {
  return { ...r, since: new Date(r.since).toISOString() };
}

export function actingOf(req: FastifyRequest): Acting {
  const ctx = authOf(req);
  return { workspaceId: ctx.workspaceId, actor: { type: 'token', id: ctx.tokenId } };
}
