import type { DetectorThresholds } from '../thresholds.ts';
import { FAILURE_CODES } from '../usage-event.ts';
import { BurstDetector } from './burst.ts';

/**
 * **failed-verify-burst** (brute force, key stuffing, a dead or stolen key being tried). Refused
 * credentials — MALFORMED, NOT_FOUND, REVOKED, SUSPENDED, EXPIRED, ENV_MISMATCH, IP_NOT_ALLOWED,
 * SIGNATURE_REQUIRED — counted over `windowSeconds`: `perIp` from one address, or `perKey`
 * against one key, raise `medium`; five times the threshold raises `high`.
 */
export function failedVerifyBurst(t: DetectorThresholds): BurstDetector {
  const c = t.failedVerifications;
  return new BurstDetector(
    { type: 'failed-verify-burst', codes: FAILURE_CODES, windowSeconds: c.windowSeconds, perIp: c.perIp, perKey: c.perKey, severity: (n, th) => (n >= 5 * th ? 'high' : 'medium'), describe: 'refused verifications' },
    t,
  );
}
