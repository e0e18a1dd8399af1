import type { Clock } from '../core/clock.ts';
import { hasHighRiskScope } from '../core/keys/scopes.ts';
import type { ApiKeyRecord } from '../core/model.ts';
import type { KeyLastUse, Store } from '../core/ports/store.ts';

export const HYGIENE_FINDINGS = ['no-expiry', 'rotation-overdue', 'unused', 'high-risk-unprotected'] as const;
export type HygieneFinding = (typeof HYGIENE_FINDINGS)[number];

export interface HygieneKeyRow {
  keyId: string;
  name: string;
  environment: string;
  status: string;
  ownerId: string | null;
  scopes: string[];
  createdAt: number;
  expiresAt: number | null;
  lastUsedAt: number | null;
  findings: HygieneFinding[];
}

export interface HygieneReport {
  generatedAt: number;
  rotationDays: number;
  unusedDays: number;
  /** Keys looked at (every key not revoked) and how many have each finding. */
  summary: { keys: number; flagged: number } & Record<HygieneFinding, number>;
  /** Keys with at least one finding, oldest first. */
  keys: HygieneKeyRow[];
  /** What the report cannot tell, and why. */
  limitations: string[];
}

const DAY_MS = 86_400_000;
const PAGE = 500;

/** Why over-privilege is not in the report: said in every answer, not guessed. */
export const OVER_PRIVILEGE_LIMITATION =
  'over-privileged keys (scopes never used) are not reported: usage is counted per key, entry point, outcome code and country, not per scope, so the store cannot tell which scopes a key used';

/**
 * Key hygiene of a workspace (docs/guides/webhooks-and-playbooks.md, Reports): keys without an
 * expiry, older than the rotation period and not rotated, unused for `unusedDays` (never used
 * counts from creation), and high-risk keys without an IP allowlist or request signing.
 * Revoked keys are left out.
 *
 * @example await hygieneReport({ store, clock }, 'ws_…', { rotationDays: 90, unusedDays: 90 })
 */
export async function hygieneReport(deps: { store: Pick<Store, 'keys' | 'usage'>; clock: Clock }, workspaceId: string, opts: { rotationDays: number; unusedDays: number }): Promise<HygieneReport> {
  const now = deps.clock.now();
  const keys: ApiKeyRecord[] = [];
  let afterId: string | undefined;
  for (;;) {
    const page = await deps.store.keys.list(workspaceId, { limit: PAGE, ...(afterId !== undefined ? { afterId } : {}) });
    keys.push(...page.filter((k) => k.status !== 'revoked'));
    const last = page.at(-1);
    if (page.length < PAGE || last === undefined) break;
    afterId = last.id;
  }
  const lastUse = new Map<string, KeyLastUse>();
  for (let i = 0; i < keys.length; i += PAGE) for (const u of await deps.store.usage.lastUse(keys.slice(i, i + PAGE).map((k) => k.id))) lastUse.set(u.keyId, u);

  const summary: HygieneReport['summary'] = { keys: keys.length, flagged: 0, 'no-expiry': 0, 'rotation-overdue': 0, unused: 0, 'high-risk-unprotected': 0 };
  const rows: HygieneKeyRow[] = [];
  for (const k of keys) {
    const used = lastUse.get(k.id)?.at ?? null;
    const findings: HygieneFinding[] = [];
    if (k.expiresAt === null) findings.push('no-expiry');
    if (k.replacedById === null && now - k.createdAt > opts.rotationDays * DAY_MS) findings.push('rotation-overdue');
    if (now - (used ?? k.createdAt) >= opts.unusedDays * DAY_MS) findings.push('unused');
    if (hasHighRiskScope(k.scopes) && (k.ipAllowlist.length === 0 || k.enforcement.signing === null)) findings.push('high-risk-unprotected');
    if (findings.length === 0) continue;
    for (const f of findings) summary[f] += 1;
    summary.flagged += 1;
    rows.push({ keyId: k.id, name: k.name, environment: k.environment, status: k.status, ownerId: k.ownerId, scopes: k.scopes, createdAt: k.createdAt, expiresAt: k.expiresAt, lastUsedAt: used, findings });
  }
  rows.sort((a, b) => a.createdAt - b.createdAt || (a.keyId < b.keyId ? -1 : 1));
  return { generatedAt: now, rotationDays: opts.rotationDays, unusedDays: opts.unusedDays, summary, keys: rows, limitations: [OVER_PRIVILEGE_LIMITATION] };
}
