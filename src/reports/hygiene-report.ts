import type { Clock } from '../core/clock.ts';
import { hasHighRiskScope } from '../core/keys/scopes.ts';
import type { ApiKeyRecord } from '../core/model.ts';
import { SCOPE_NOT_RECORDED } from '../core/ports/monitor-store.ts';
import type { KeyLastUse, Store } from '../core/ports/store.ts';

export const HYGIENE_FINDINGS = ['no-expiry', 'rotation-overdue', 'unused', 'over-privileged', 'high-risk-unprotected'] as const;
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
  /** Scopes of an over-privileged key that no successful verification exercised in the window; else empty. */
  unusedScopes: string[];
}

/** The periods the report judges by (days). */
export interface HygieneOptions {
  /** Keys older than this and not rotated are rotation-overdue (a key's own rotation policy, when set, wins). */
  rotationDays: number;
  /** Keys not used for this long (never used: since creation) are unused. */
  unusedDays: number;
  /** Active keys older than this with a scope not exercised in the last this-many days are over-privileged. */
  overPrivilegeDays: number;
  /** How long usage buckets are kept (CLAVIS_USAGE_RETENTION_DAYS; 0 = forever): a longer window sees only this far. */
  usageRetentionDays?: number;
}

/** The defaults of the CLI, the HTTP route and CLAVIS_REPORT_*_DAYS. */
export const HYGIENE_DEFAULTS: HygieneOptions = { rotationDays: 90, unusedDays: 90, overPrivilegeDays: 30 };

export interface HygieneReport {
  generatedAt: number;
  rotationDays: number;
  unusedDays: number;
  overPrivilegeDays: number;
  /** Keys looked at (every key not revoked) and how many have each finding. */
  summary: { keys: number; flagged: number } & Record<HygieneFinding, number>;
  /** Keys with at least one finding, oldest first. */
  keys: HygieneKeyRow[];
  /** What the report cannot tell, and why. */
  limitations: string[];
}

const DAY_MS = 86_400_000;
const MINUTE_MS = 60_000;
const PAGE = 500;

/** Said in every answer: what "exercised" means, so nobody reads more into the finding than it holds. */
export const OVER_PRIVILEGE_LIMITATION =
  'over-privileged: a scope counts as exercised when a successful verification named it (the verify API with `scope`, a data API or gateway route); a service that calls verify without `scope` and checks the returned scopes itself makes its keys look over-privileged';

/**
 * Key hygiene of a workspace (docs/guides/reports.md): keys without an expiry, older than the
 * rotation period and not rotated, unused for `unusedDays` (never used counts from creation),
 * over-privileged (active, older than `overPrivilegeDays`, holding scopes that no successful
 * verification exercised in the last `overPrivilegeDays`), and high-risk keys without an IP
 * allowlist or request signing. Revoked keys are left out.
 *
 * @example await hygieneReport({ store, clock }, 'ws_…', { rotationDays: 90, unusedDays: 90, overPrivilegeDays: 30 })
 */
export async function hygieneReport(deps: { store: Pick<Store, 'keys' | 'usage'>; clock: Clock }, workspaceId: string, opts: HygieneOptions): Promise<HygieneReport> {
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

  // Over-privilege is judged on active keys that are not being replaced and have existed for the
  // whole window: a younger key has not had the time to use all it holds.
  const windowStart = now - opts.overPrivilegeDays * DAY_MS;
  const since = windowStart - (((windowStart % MINUTE_MS) + MINUTE_MS) % MINUTE_MS);
  const judged = keys.filter((k) => k.status === 'active' && k.replacedById === null && k.scopes.length > 0 && k.createdAt <= windowStart);
  const exercised = new Map<string, Set<string>>();
  for (let i = 0; i < judged.length; i += PAGE) {
    for (const u of await deps.store.usage.scopeUse(workspaceId, judged.slice(i, i + PAGE).map((k) => k.id), since)) {
      let set = exercised.get(u.keyId);
      if (set === undefined) exercised.set(u.keyId, (set = new Set()));
      set.add(u.scope);
    }
  }
  let unknowable = 0;
  const unusedScopesOf = new Map<string, string[]>();
  for (const k of judged) {
    const used = exercised.get(k.id) ?? new Set<string>();
    // Counted before scopes were: which scope those uses needed is not known, so no verdict.
    if (used.has(SCOPE_NOT_RECORDED)) {
      unknowable += 1;
      continue;
    }
    const unused = k.scopes.filter((s) => !used.has(s));
    if (unused.length > 0) unusedScopesOf.set(k.id, unused);
  }

  const summary: HygieneReport['summary'] = { keys: keys.length, flagged: 0, 'no-expiry': 0, 'rotation-overdue': 0, unused: 0, 'over-privileged': 0, 'high-risk-unprotected': 0 };
  const rows: HygieneKeyRow[] = [];
  for (const k of keys) {
    const used = lastUse.get(k.id)?.at ?? null;
    const unusedScopes = unusedScopesOf.get(k.id) ?? [];
    const findings: HygieneFinding[] = [];
    if (k.expiresAt === null) findings.push('no-expiry');
    // A key's own rotation policy, when it has one, is the period it is held to.
    if (k.replacedById === null && now - k.createdAt > (k.rotation?.everyDays ?? opts.rotationDays) * DAY_MS) findings.push('rotation-overdue');
    if (now - (used ?? k.createdAt) >= opts.unusedDays * DAY_MS) findings.push('unused');
    if (unusedScopes.length > 0) findings.push('over-privileged');
    if (hasHighRiskScope(k.scopes) && (k.ipAllowlist.length === 0 || k.enforcement.signing === null)) findings.push('high-risk-unprotected');
    if (findings.length === 0) continue;
    for (const f of findings) summary[f] += 1;
    summary.flagged += 1;
    rows.push({ keyId: k.id, name: k.name, environment: k.environment, status: k.status, ownerId: k.ownerId, scopes: k.scopes, createdAt: k.createdAt, expiresAt: k.expiresAt, lastUsedAt: used, findings, unusedScopes });
  }
  rows.sort((a, b) => a.createdAt - b.createdAt || (a.keyId < b.keyId ? -1 : 1));

  const limitations = [OVER_PRIVILEGE_LIMITATION];
  const retention = opts.usageRetentionDays ?? 0;
  if (retention > 0 && opts.overPrivilegeDays > retention) {
    limitations.push(`over-privileged: the ${opts.overPrivilegeDays}-day window is longer than usage retention (${retention} days, CLAVIS_USAGE_RETENTION_DAYS): scopes used only before that are not seen`);
  }
  if (unknowable > 0) {
    limitations.push(`over-privileged: ${unknowable} key(s) were not judged: they have successful uses in the window counted before usage was recorded per scope (migration 010); they are judged once the window holds only scoped counts`);
  }
  return { generatedAt: now, rotationDays: opts.rotationDays, unusedDays: opts.unusedDays, overPrivilegeDays: opts.overPrivilegeDays, summary, keys: rows, limitations };
}
