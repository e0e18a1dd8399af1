import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { SIGNATURE_HEADERS } from '@clavis/sdk/signing';
import type { Environment } from '../core/keys/key-format.ts';
import type { KeyVerifier, VerifyResult } from '../core/keys/verify.ts';
import type { UsageSink } from '../monitor/usage-event.ts';

const EMPTY_SHA256 = createHash('sha256').digest('hex');
// The scheme is case-insensitive (RFC 9110 §11.1), as the SDK middleware reads it.
const BEARER = /^Bearer ([^\s]+)$/i;

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** A consumer's request as the edge sees it. */
export interface ConsumerRequest {
  method: string;
  /** Path and query exactly as received. */
  url: string;
  headers: IncomingHttpHeaders;
  /** The client address (already resolved through trusted proxies). */
  ip: string;
  /** SHA-256 hex of the raw body; omit for none. */
  bodySha256?: string;
}

/** The key a consumer sent: `X-Clavis-Key`, or `Authorization: Bearer <key>`. */
export function consumerKey(headers: IncomingHttpHeaders): string | undefined {
  const explicit = header(headers, SIGNATURE_HEADERS.key);
  if (explicit !== undefined && explicit !== '') return explicit;
  return BEARER.exec(header(headers, 'authorization') ?? '')?.[1];
}

/**
 * Runs the verify pipeline for a consumer request (the data API and the gateway): the key from
 * its headers, the client IP, the scope the route needs, and the signature headers when present.
 * A request without any key is answered as MALFORMED by the pipeline itself.
 *
 * With `usage`, the outcome is counted (and fed to the detectors) under `route` — a queue push,
 * no I/O on this path.
 *
 * @example const r = await verifyConsumer(verifier, req, { scope: 'prices:read', route: 'data-api', usage: services.usage }); if (!r.valid) refuse(r.code)
 */
export async function verifyConsumer(
  verifier: KeyVerifier,
  req: ConsumerRequest,
  opts: { scope?: string; workspaceId?: string; environment?: Environment; route?: string; usage?: UsageSink },
): Promise<VerifyResult> {
  const timestamp = header(req.headers, SIGNATURE_HEADERS.timestamp);
  const nonce = header(req.headers, SIGNATURE_HEADERS.nonce);
  const signature = header(req.headers, SIGNATURE_HEADERS.signature);
  const signed =
    timestamp !== undefined && nonce !== undefined && signature !== undefined
      ? {
          method: req.method,
          url: req.url,
          timestamp: /^\d{1,16}$/.test(timestamp) ? Number(timestamp) : Number.NaN,
          nonce,
          signature,
          bodySha256: req.bodySha256 ?? EMPTY_SHA256,
        }
      : undefined;
  const result = await verifier.verify({
    key: consumerKey(req.headers) ?? '',
    workspaceId: opts.workspaceId,
    environment: opts.environment,
    scope: opts.scope,
    ip: req.ip,
    signed,
  });
  opts.usage?.record({ route: opts.route ?? 'consumer', code: result.code, ip: req.ip, workspaceId: opts.workspaceId ?? null, key: result.key, scope: opts.scope });
  return result;
}
