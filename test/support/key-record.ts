import { createHash, randomBytes } from 'node:crypto';
import type { ApiKeyRecord } from '../../src/core/model.ts';

/**
 * A complete, active, unrestricted API key record for store tests (a random hash, no expiry, no
 * enforcement, no rotation policy); `over` sets the id, workspace and times, and may replace any
 * other field.
 *
 * @example await store.transact((tx) => tx.keys.insert(keyRecord({ id: 'key_1', workspaceId: WS, createdAt: T0 })))
 */
export function keyRecord(over: Partial<ApiKeyRecord> & Pick<ApiKeyRecord, 'id' | 'workspaceId' | 'createdAt'>): ApiKeyRecord {
  return {
    name: 'key',
    environment: 'live',
    start: 'clv_live_AbCd',
    hash: createHash('sha256').update(randomBytes(16)).digest('hex'),
    scopes: ['prices:read'],
    status: 'active',
    updatedAt: over.createdAt,
    expiresAt: null,
    ipAllowlist: [],
    metadata: {},
    ownerId: null,
    replacesId: null,
    replacedById: null,
    revokedAt: null,
    revokeReason: null,
    suspendedAt: null,
    enforcement: { signing: null, rateLimits: [], credits: null },
    rotation: null,
    ...over,
  };
}
