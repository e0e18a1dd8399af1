import type { IncomingHttpHeaders } from 'node:http';
import { isIP } from 'node:net';
import { NONCE_PATTERN } from '../signing.ts';
import type { Environment, VerifyRequest, VerifyResult } from '../types.ts';
import { consumerKey, signatureHeaders } from './consumer-request.ts';
import { edgeProblem, isRefusalCode, type EdgeCode, type EdgeProblem } from './edge-problem.ts';
import type { ClavisIdentity } from './identity.ts';
import { rateLimitHeaders } from './rate-limit-headers.ts';
import type { RemoteVerifier } from './verifier.ts';

/** A consumer's request as both middlewares hand it over. */
export interface ConsumerCheck {
  method: string;
  /** Path and query exactly as received: what the consumer signed. */
  url: string;
  headers: IncomingHttpHeaders;
  /** The client address; anything that is not an IPv4 or IPv6 address is treated as unknown. */
  ip: string | undefined;
  /** SHA-256 hex of the raw body; asked only for signed requests. */
  bodySha256: () => string | undefined;
  scope: string | undefined;
  environment: Environment | undefined;
  cost: number | undefined;
  errorsDocUrl: string | undefined;
}

/** Let the request through with this identity, or answer with this problem; headers either way. */
export type EdgeDecision =
  | { allowed: true; identity: ClavisIdentity; headers: Record<string, string> }
  | { allowed: false; problem: EdgeProblem; headers: Record<string, string> };

// The bounds of the verify endpoint's body (src/http/routes/v1/keys-verify.ts): a request outside
// them would be answered 400, so it is decided here instead.
const MAX_KEY_LENGTH = 256;
const MAX_METHOD_LENGTH = 16;
const MAX_URL_LENGTH = 4096;
const MAX_SIGNATURE_LENGTH = 256;
const TIMESTAMP = /^\d{1,16}$/;

/**
 * Decides one consumer request: key from the headers, signature parts, client IP, then Clavis's
 * answer (through the verifier and its cache) mapped to an identity or a problem.
 *
 * Signature headers that could never verify (a timestamp that is not epoch milliseconds, a
 * malformed nonce, an oversized signature) are not sent; the key is verified unsigned. A key that
 * does not require signatures then passes, as it would at the gateway (the server ignores
 * signatures of such keys), and one that does is refused REPLAYED or SIGNATURE_INVALID — the code
 * the server gives, after the same key checks.
 *
 * @example const d = await checkConsumer(verifier, { method, url, headers, ip, bodySha256: () => hash, scope: 'prices:read', environment: 'live', cost: undefined, errorsDocUrl: undefined })
 */
export async function checkConsumer(verifier: Pick<RemoteVerifier, 'verify'>, c: ConsumerCheck): Promise<EdgeDecision> {
  const refuse = (code: EdgeCode, headers: Record<string, string> = {}): EdgeDecision => ({ allowed: false, problem: edgeProblem(code, c.errorsDocUrl), headers });
  const key = consumerKey(c.headers);
  if (key === undefined || key === '' || key.length > MAX_KEY_LENGTH) return refuse('MALFORMED');

  let signature: VerifyRequest['signature'];
  let unsentSignature: 'REPLAYED' | 'SIGNATURE_INVALID' | undefined;
  const sig = signatureHeaders(c.headers);
  if (sig !== undefined) {
    const bodySha256 = c.bodySha256();
    if (bodySha256 === undefined) return refuse('RAW_BODY_UNAVAILABLE');
    if (!TIMESTAMP.test(sig.timestamp)) unsentSignature = 'REPLAYED';
    else if (!NONCE_PATTERN.test(sig.nonce) || sig.signature === '' || sig.signature.length > MAX_SIGNATURE_LENGTH || c.method.length > MAX_METHOD_LENGTH || c.url === '' || c.url.length > MAX_URL_LENGTH) unsentSignature = 'SIGNATURE_INVALID';
    else signature = { method: c.method, url: c.url, timestamp: Number(sig.timestamp), nonce: sig.nonce, signature: sig.signature, bodySha256 };
  }

  const ip = c.ip !== undefined && isIP(c.ip) !== 0 ? c.ip : undefined;
  const outcome = await verifier.verify({
    key,
    ...(c.scope !== undefined ? { scope: c.scope } : {}),
    ...(c.environment !== undefined ? { environment: c.environment } : {}),
    ...(ip !== undefined ? { ip } : {}),
    ...(signature !== undefined ? { signature } : {}),
    ...(c.cost !== undefined ? { cost: c.cost } : {}),
  });
  if (!outcome.answered) return refuse(outcome.code);
  const r = outcome.result;
  const headers = rateLimitHeaders(r, c.cost ?? 1);
  if (r.valid && r.code === 'VALID') {
    const identity = identityOf(r);
    return identity === undefined ? refuse('VERIFIER_UNAVAILABLE') : { allowed: true, identity, headers };
  }
  if (r.code === 'SIGNATURE_REQUIRED' && unsentSignature !== undefined) return refuse(unsentSignature, headers);
  // The verifier lets only known codes through; VALID with valid false would be a broken answer.
  return refuse(isRefusalCode(r.code) ? r.code : 'VERIFIER_UNAVAILABLE', headers);
}

function identityOf(r: VerifyResult): ClavisIdentity | undefined {
  if (r.keyId === null || r.environment === null) return undefined;
  return { keyId: r.keyId, ownerId: r.ownerId, scopes: r.scopes ?? [], environment: r.environment, metadata: r.metadata ?? {} };
}
