import { hashCredential } from '../core/keys/key-format.ts';
import { CLAVIS_KEY_RULE } from './clavis-keys.ts';
import { NO_COMPROMISE_PLAYBOOK, type CompromisePlaybook } from './compromise-playbook.ts';
import type { Finding, KeyLookupStatus } from './finding.ts';

/** What the scanner needs from a server: the SDK client fits. */
export interface KeyLookupApi {
  lookupKeys(hashes: string[]): Promise<{ results: { hash: string; status: KeyLookupStatus; keyId?: string }[] }>;
  revokeKey(id: string, reason: string): Promise<unknown>;
}

/** Most hashes per lookup request (the route's limit). */
export const LOOKUP_BATCH = 1000;

/** Audit reason of a key revoked by the scanner: where it was found, without the key. */
export function revokeReason(f: Finding): string {
  const where = `${f.file}:${f.line}${f.commit !== undefined ? ` in commit ${f.commit.slice(0, 12)}` : ''}`;
  return `leaked: found by clavis scan at ${where}`.slice(0, 500);
}

export interface VerifyOutcome {
  lookedUp: number;
  revoked: string[];
}

/**
 * Looks each found Clavis API key up by its SHA-256 (the key itself never leaves the machine)
 * and sets `verified` on the findings; with `revoke`, revokes every key the server still
 * accepts or could resume (live or suspended), once per key, with the first finding as the
 * audited reason, and fires the compromise playbook hook for it.
 *
 * @example await verifyFindings(findings, new ClavisClient({ url, token }), { revoke: true })
 */
export async function verifyFindings(
  findings: Finding[],
  api: KeyLookupApi,
  opts: { revoke: boolean; playbook?: CompromisePlaybook },
): Promise<VerifyOutcome> {
  const keys = findings.filter((f) => f.ruleId === CLAVIS_KEY_RULE);
  const byHash = new Map<string, Finding[]>();
  for (const f of keys) {
    const h = hashCredential(f.secret);
    byHash.set(h, [...(byHash.get(h) ?? []), f]);
  }
  const hashes = [...byHash.keys()];
  const status = new Map<string, { status: KeyLookupStatus; keyId?: string }>();
  for (let i = 0; i < hashes.length; i += LOOKUP_BATCH) {
    const { results } = await api.lookupKeys(hashes.slice(i, i + LOOKUP_BATCH));
    for (const r of results) status.set(r.hash, r);
  }
  const revoked: string[] = [];
  const playbook = opts.playbook ?? NO_COMPROMISE_PLAYBOOK;
  for (const [hash, found] of byHash) {
    const s = status.get(hash) ?? { status: 'unknown' as const };
    for (const f of found) f.verified = s.status;
    const first = found[0];
    if (!opts.revoke || s.keyId === undefined || first === undefined || (s.status !== 'live' && s.status !== 'suspended')) continue;
    await api.revokeKey(s.keyId, revokeReason(first));
    revoked.push(s.keyId);
    // `verified` keeps what the server said before (live or suspended); `revoked` says what was done.
    for (const f of found) f.revoked = s.keyId;
    await playbook.keyCompromised({ keyId: s.keyId, source: 'scan', where: revokeReason(first).replace(/^leaked: found by clavis scan at /, ''), action: 'revoked' });
  }
  return { lookedUp: hashes.length, revoked };
}
