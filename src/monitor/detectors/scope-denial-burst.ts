import type { VerifyCode } from '../../core/keys/verify.ts';
import type { DetectorThresholds } from '../thresholds.ts';
import { BurstDetector } from './burst.ts';

const SCOPE_CODES: ReadonlySet<VerifyCode> = new Set<VerifyCode>(['INSUFFICIENT_SCOPE']);

/**
 * **scope-denial-burst.** INSUFFICIENT_SCOPE against one key, `perKey` within `windowSeconds`,
 * raises `medium` (five times: `high`): a key probing for what else it can reach.
 */
export function scopeDenialBurst(t: DetectorThresholds): BurstDetector {
  const c = t.scopeDenials;
  return new BurstDetector(
    { type: 'scope-denial-burst', codes: SCOPE_CODES, windowSeconds: c.windowSeconds, perIp: null, perKey: c.perKey, severity: (n, th) => (n >= 5 * th ? 'high' : 'medium'), describe: 'scope denials' },
    t,
  );
}
