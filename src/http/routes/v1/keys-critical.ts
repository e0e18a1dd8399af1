import type { FastifyRequest } from 'fastify';
import { hasHighRiskScope } from '../../../core/keys/scopes.ts';
import type { Services } from '../../../services.ts';
import type { Criticality } from '../../plugins/step-up.ts';
import { bodyOf } from './users-schemas.ts';

// When a key operation is critical (step-up MFA): when it puts a live key with a high-risk scope
// in someone's hands. Creation is one; so are adding a high-risk scope to a live key and rotating
// a live high-risk key (both hand out the same power), else step-up on creation could be walked
// around.

function idParam(request: FastifyRequest): string | null {
  const params = request.params;
  return typeof params === 'object' && params !== null && 'id' in params && typeof params.id === 'string' ? params.id : null;
}

/** POST /v1/keys: a live key with a high-risk scope. */
export const createIsCritical: Criticality = (request) => {
  const b = bodyOf<{ environment: string; scopes: string[] }>(request);
  return b.environment === 'live' && hasHighRiskScope(b.scopes ?? []);
};

/**
 * PATCH /v1/keys/{id}: a high-risk scope the live key did not have, or a new signing credential
 * (an HMAC secret handed out, an Ed25519 public key swapped in) for a live high-risk key — the
 * signature is half of what a trade needs, so issuing it is issuing the key's power.
 */
export function updateIsCritical(s: Services): Criticality {
  return async (request, auth) => {
    const body = bodyOf<{ scopes: string[]; signing: unknown }>(request);
    const scopes = body.scopes;
    const newSigner = body.signing !== undefined && body.signing !== null;
    const id = idParam(request);
    if (id === null || (!newSigner && (scopes === undefined || !hasHighRiskScope(scopes)))) return false;
    const key = await s.store.keys.findById(auth.workspaceId, id);
    if (key === null || key.environment !== 'live') return false;
    if (newSigner && hasHighRiskScope(scopes ?? key.scopes)) return true;
    return scopes !== undefined && hasHighRiskScope(scopes.filter((scope) => !key.scopes.includes(scope)));
  };
}

/** POST /v1/keys/{id}/rotate: the successor of a live high-risk key is one. */
export function rotateIsCritical(s: Services): Criticality {
  return async (request, auth) => {
    const id = idParam(request);
    if (id === null) return false;
    const key = await s.store.keys.findById(auth.workspaceId, id);
    return key !== null && key.environment === 'live' && hasHighRiskScope(key.scopes);
  };
}
