import type { ErrorCode } from '../core/errors/registry.ts';
import type { KeyVerifier, VerifyCode } from '../core/keys/verify.ts';
import { limitHeaders } from '../core/limits/headers.ts';
import type { ApiKeyRecord } from '../core/model.ts';
import { verifyConsumer, type ConsumerRequest } from '../http/consumer-auth.ts';
import type { UsageSink } from '../monitor/usage-event.ts';
import type { GatewayRoute, RouteTable } from './routes-file.ts';

/** Whether a request may pass, with the RateLimit headers to send either way. */
export type Admission =
  | { admitted: true; key: ApiKeyRecord; limitHeaders: Record<string, string> }
  | { admitted: false; code: ErrorCode; detail: string; limitHeaders: Record<string, string> };

/** The registry code of a refusal (every verify code but VALID is one). */
function refusalCode(code: VerifyCode): ErrorCode {
  return code === 'VALID' ? 'INTERNAL_ERROR' : code;
}

/** What a refused client reads: enough to fix its request, nothing about the key it did not send. */
function refusalDetail(code: VerifyCode, route: GatewayRoute): string {
  switch (code) {
    case 'MALFORMED':
      return 'send a Clavis key in X-Clavis-Key or Authorization: Bearer; this one is missing or malformed';
    case 'INSUFFICIENT_SCOPE':
      return `this route needs the scope ${route.scope}`;
    case 'ENV_MISMATCH':
      return 'the key belongs to another environment than this gateway serves';
    case 'SIGNATURE_REQUIRED':
      return 'the key requires signed requests: send X-Clavis-Timestamp, X-Clavis-Nonce and X-Clavis-Signature';
    case 'SIGNATURE_INVALID':
      return "the signature does not verify over METHOD, path?sorted-query, timestamp, nonce and the SHA-256 of the body, with the key's Ed25519 private key or HMAC secret";
    case 'REPLAYED':
      return 'the timestamp is outside the accepted window or the nonce was already used: sign each request afresh';
    default:
      return `the gateway refused the key: ${code}`;
  }
}

/**
 * Runs the verify pipeline for a request a gateway route matched: the key, environment and
 * workspace of the route file, the client IP, the route's scope, the signature (with the body
 * hash the caller computed) and, once wired into the verifier, rate limits and credits.
 *
 * @example const a = await admit(verifier, table, route, { method, url, headers, ip }); if (!a.admitted) refuse(a.code)
 */
export async function admit(verifier: KeyVerifier, table: RouteTable, route: GatewayRoute, req: ConsumerRequest, usage?: UsageSink): Promise<Admission> {
  const result = await verifyConsumer(verifier, req, { scope: route.scope, environment: table.environment, workspaceId: table.workspaceId, route: 'gateway', usage });
  const headers = limitHeaders({ limits: result.rateLimit, credits: result.credits });
  if (result.valid && result.key !== undefined) return { admitted: true, key: result.key, limitHeaders: headers };
  return { admitted: false, code: refusalCode(result.code), detail: refusalDetail(result.code, route), limitHeaders: headers };
}
