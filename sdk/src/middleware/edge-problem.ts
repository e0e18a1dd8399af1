import type { VerifyCode } from '../types.ts';

/** Every verify code but VALID: the reasons a consumer's request is refused. */
export type RefusalCode = Exclude<VerifyCode, 'VALID'>;

/**
 * Failures of the edge itself, never of the consumer's key:
 * - `VERIFIER_UNAVAILABLE` (503): Clavis could not be reached, timed out or answered 5xx. The
 *   edge fails closed: no request passes unverified.
 * - `VERIFIER_MISCONFIGURED` (500): Clavis refused the provider's own verify call (admin token
 *   revoked or without `keys:verify`, a scope the server does not accept) or answered a code this
 *   SDK does not know. Waiting does not cure it, so it is not a 503.
 * - `RAW_BODY_UNAVAILABLE` (500): a signed request arrived but the provider's app did not hand the
 *   middleware the raw body bytes, so the signature cannot be checked.
 */
export type EdgeFailureCode = 'VERIFIER_UNAVAILABLE' | 'VERIFIER_MISCONFIGURED' | 'RAW_BODY_UNAVAILABLE';

export type EdgeCode = RefusalCode | EdgeFailureCode;

/** RFC 9457 problem details as the edge middleware sends them (`application/problem+json`). */
export interface EdgeProblem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: EdgeCode;
}

/**
 * Status and title per code. The refusal codes mirror the server's error registry (a test keeps
 * them equal), so a consumer reads the same answer from the gateway, the data API and a provider
 * protected by this SDK.
 */
export const EDGE_ERRORS: Readonly<Record<EdgeCode, { status: number; title: string }>> = {
  MALFORMED: { status: 401, title: 'The key is malformed or its checksum fails' },
  NOT_FOUND: { status: 401, title: 'The key is not known' },
  REVOKED: { status: 401, title: 'The key was revoked' },
  SUSPENDED: { status: 403, title: 'The key is suspended' },
  EXPIRED: { status: 401, title: 'The key has expired' },
  ENV_MISMATCH: { status: 403, title: 'The key belongs to another environment' },
  IP_NOT_ALLOWED: { status: 403, title: 'The client address is not in the key allowlist' },
  INSUFFICIENT_SCOPE: { status: 403, title: 'The key lacks the required scope' },
  SIGNATURE_REQUIRED: { status: 401, title: 'The key requires a signed request' },
  SIGNATURE_INVALID: { status: 401, title: 'The request signature does not verify' },
  REPLAYED: { status: 401, title: 'The request timestamp is outside the window or its nonce was already used' },
  RATE_LIMITED: { status: 429, title: 'A rate limit of the key is exhausted; Retry-After says when to retry' },
  QUOTA_EXCEEDED: { status: 429, title: 'The key has not enough credits left for this request' },
  VERIFIER_UNAVAILABLE: { status: 503, title: 'Keys cannot be verified right now' },
  VERIFIER_MISCONFIGURED: { status: 500, title: 'The service cannot verify keys: its Clavis verifier is misconfigured' },
  RAW_BODY_UNAVAILABLE: { status: 500, title: 'The service cannot check request signatures: it does not keep the raw body' },
};

const REFUSAL_CODES: ReadonlySet<string> = new Set<RefusalCode>([
  'MALFORMED',
  'NOT_FOUND',
  'REVOKED',
  'SUSPENDED',
  'EXPIRED',
  'ENV_MISMATCH',
  'IP_NOT_ALLOWED',
  'INSUFFICIENT_SCOPE',
  'SIGNATURE_REQUIRED',
  'SIGNATURE_INVALID',
  'REPLAYED',
  'RATE_LIMITED',
  'QUOTA_EXCEEDED',
]);

/** Whether a verify answer's code is one this SDK knows as a refusal. */
export function isRefusalCode(code: string): code is RefusalCode {
  return REFUSAL_CODES.has(code);
}

/** What a refused consumer reads: enough to fix its request, nothing about a key it did not send. */
const DETAILS: Readonly<Record<EdgeCode, string>> = {
  MALFORMED: 'send a Clavis key in X-Clavis-Key or Authorization: Bearer; this one is missing or malformed',
  NOT_FOUND: 'the key is not known to this service',
  REVOKED: 'the key was revoked',
  SUSPENDED: 'the key is suspended',
  EXPIRED: 'the key has expired',
  ENV_MISMATCH: 'the key belongs to another environment than this service serves',
  IP_NOT_ALLOWED: 'the key does not allow requests from this address',
  INSUFFICIENT_SCOPE: 'the key lacks the scope this route needs',
  SIGNATURE_REQUIRED: 'the key requires signed requests: send X-Clavis-Timestamp, X-Clavis-Nonce and X-Clavis-Signature',
  SIGNATURE_INVALID: 'the request signature does not verify against the request as received',
  REPLAYED: 'the request timestamp is outside the accepted window or its nonce was already used',
  RATE_LIMITED: 'a rate limit of the key is exhausted; retry after the Retry-After seconds',
  QUOTA_EXCEEDED: 'the key has not enough credits left for this request',
  VERIFIER_UNAVAILABLE: 'the key service cannot be reached; no request is let through unverified, retry later',
  VERIFIER_MISCONFIGURED: 'the service cannot verify keys because of its own configuration, not because of the key',
  RAW_BODY_UNAVAILABLE: 'the service cannot check request signatures because of its own configuration, not because of the key',
};

/**
 * Where a problem's `type` points: the code's anchor in Clavis's errors reference, relative by
 * default exactly as the Clavis server sends it; give `errorsDocUrl` an absolute URL to make it
 * resolvable for your consumers.
 */
export const DEFAULT_ERRORS_DOC_URL = '/docs/errors.md';

/**
 * The problem body of an edge refusal or failure.
 *
 * @example edgeProblem('REVOKED') // { type: '/docs/errors.md#revoked', title: 'The key was revoked', status: 401, detail: 'the key was revoked', code: 'REVOKED' }
 */
export function edgeProblem(code: EdgeCode, errorsDocUrl: string = DEFAULT_ERRORS_DOC_URL): EdgeProblem {
  const def = EDGE_ERRORS[code];
  return { type: `${errorsDocUrl}#${code.toLowerCase().replaceAll('_', '-')}`, title: def.title, status: def.status, detail: DETAILS[code], code };
}
