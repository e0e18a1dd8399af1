import type { DetectorThresholds } from '../thresholds.ts';
import { SIGNATURE_CODES } from '../usage-event.ts';
import { BurstDetector } from './burst.ts';

/**
 * **bad-signature-burst.** SIGNATURE_INVALID and REPLAYED over `windowSeconds`: `perIp` from one
 * address or `perKey` against one key raise `high` — whoever sends them holds the key but not its
 * signing key, or is replaying captured requests.
 */
export function badSignatureBurst(t: DetectorThresholds): BurstDetector {
  const c = t.badSignatures;
  return new BurstDetector({ type: 'bad-signature-burst', codes: SIGNATURE_CODES, windowSeconds: c.windowSeconds, perIp: c.perIp, perKey: c.perKey, severity: () => 'high', describe: 'bad signatures or replays' }, t);
}
