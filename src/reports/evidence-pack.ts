import { createHash } from 'node:crypto';
import { canonicalJson } from '../core/audit/canonical-json.ts';
import type { Clock } from '../core/clock.ts';
import type { ApiKeyRecord, AuditCheckpoint } from '../core/model.ts';
import type { AlertRecord, Store } from '../core/ports/store.ts';
import type { EvidenceRange } from './evidence-range.ts';
import { hygieneReport, type HygieneOptions, type HygieneReport } from './hygiene-report.ts';

/**
 * Audit actions that are lifecycle events of credentials and access: API keys (one by one and in
 * bulk), admin tokens, the users they are issued for and their MFA, key owners offboarded.
 */
export const LIFECYCLE_ACTION_PREFIXES = ['key.', 'keys.', 'token.', 'user.', 'mfa.', 'owner.'] as const;

/** One key as the inventory shows it: state and policy, never its hash or anything secret beyond the display start. */
export interface InventoryRow {
  keyId: string;
  name: string;
  environment: string;
  /** Display start (prefix, environment, four body characters): enough to recognise, never to guess. */
  start: string;
  status: string;
  scopes: string[];
  ownerId: string | null;
  createdAt: number;
  expiresAt: number | null;
  lastUsedAt: number | null;
  revokedAt: number | null;
  revokeReason: string | null;
  suspendedAt: number | null;
  replacesId: string | null;
  replacedById: string | null;
  ipAllowlist: string[];
  signingRequired: boolean;
}

/** An audit event of the period, with the leaf hash that ties it to the bundle. */
export interface LifecycleEventRow {
  seq: number;
  time: string;
  actor: string;
  action: string;
  target: string | null;
  data: Record<string, unknown>;
  /** RFC 6962 leaf hash (hex) of the event: the same line of the audit bundle has it. */
  leafHash: string;
}

/** An alert of the period; its evidence (client addresses) is represented by its SHA-256 only. */
export interface AlertHistoryRow {
  id: string;
  type: string;
  severity: string;
  status: string;
  keyId: string | null;
  summary: string;
  occurrences: number;
  firstSeenAt: number;
  lastSeenAt: number;
  acknowledgedAt: number | null;
  acknowledgedBy: string | null;
  resolvedAt: number | null;
  resolvedBy: string | null;
  note: string | null;
  /** SHA-256 hex of the canonical JSON of the stored evidence: proves later it was not changed. */
  evidenceSha256: string;
}

/** Everything the evidence pack holds except the audit bundle, which `clavis audit export` fetches page by page. */
export interface EvidenceDocument {
  workspaceId: string;
  from: number;
  to: number;
  generatedAt: number;
  /** Keys that existed at some time in the period (created before `to`, not revoked before `from`), in their state now. */
  inventory: InventoryRow[];
  /** Audit events of the period whose action starts with one of LIFECYCLE_ACTION_PREFIXES, in seq order. */
  lifecycleEvents: LifecycleEventRow[];
  /** Alerts open at some time in the period, oldest first. */
  alerts: AlertHistoryRow[];
  /** Key hygiene now (not as of `to`). */
  hygiene: HygieneReport;
  /** The audit log's size now and its latest signed checkpoint (null before the first). */
  auditLog: { size: number; eventsInPeriod: number; checkpoint: AuditCheckpoint | null };
}

const PAGE = 500;
const AUDIT_PAGE = 1000;

async function allKeys(store: Pick<Store, 'keys'>, workspaceId: string): Promise<ApiKeyRecord[]> {
  const keys: ApiKeyRecord[] = [];
  let afterId: string | undefined;
  for (;;) {
    const page = await store.keys.list(workspaceId, { limit: PAGE, ...(afterId !== undefined ? { afterId } : {}) });
    keys.push(...page);
    const last = page.at(-1);
    if (page.length < PAGE || last === undefined) return keys;
    afterId = last.id;
  }
}

const ref = (r: { type: string; id: string } | null): string | null => (r === null ? null : `${r.type}/${r.id}`);

/**
 * Builds the evidence of a workspace for a period (docs/guides/reports.md): key inventory,
 * lifecycle events from the audit log, alert history, the hygiene report and the latest signed
 * checkpoint. Reads only. No secret, key hash or client address is in it: keys show their
 * display start, alert evidence its SHA-256.
 *
 * @example await buildEvidence({ store, clock, hygiene: HYGIENE_DEFAULTS }, 'ws_…', parseEvidenceRange('2026-01-01', '2026-03-31', Date.now()))
 */
export async function buildEvidence(deps: { store: Pick<Store, 'keys' | 'usage' | 'audit' | 'alerts'>; clock: Clock; hygiene: HygieneOptions }, workspaceId: string, range: EvidenceRange): Promise<EvidenceDocument> {
  const { store } = deps;
  const generatedAt = deps.clock.now();

  const keys = (await allKeys(store, workspaceId)).filter((k) => k.createdAt < range.to && (k.revokedAt === null || k.revokedAt >= range.from));
  const lastUse = new Map<string, number>();
  for (let i = 0; i < keys.length; i += PAGE) for (const u of await store.usage.lastUse(keys.slice(i, i + PAGE).map((k) => k.id))) lastUse.set(u.keyId, u.at);
  const inventory: InventoryRow[] = keys.map((k) => ({
    keyId: k.id,
    name: k.name,
    environment: k.environment,
    start: k.start,
    status: k.status,
    scopes: k.scopes,
    ownerId: k.ownerId,
    createdAt: k.createdAt,
    expiresAt: k.expiresAt,
    lastUsedAt: lastUse.get(k.id) ?? null,
    revokedAt: k.revokedAt,
    revokeReason: k.revokeReason,
    suspendedAt: k.suspendedAt,
    replacesId: k.replacesId,
    replacedById: k.replacedById,
    ipAllowlist: k.ipAllowlist,
    signingRequired: k.enforcement.signing !== null,
  }));

  const lifecycleEvents: LifecycleEventRow[] = [];
  let eventsInPeriod = 0;
  let fromSeq = 0;
  for (;;) {
    // `until` is inclusive in the store; the period's end is not.
    const page = await store.audit.list(workspaceId, { since: range.from, until: range.to - 1, fromSeq, limit: AUDIT_PAGE });
    eventsInPeriod += page.length;
    for (const { event: e, leafHash } of page) {
      if (!LIFECYCLE_ACTION_PREFIXES.some((p) => e.action.startsWith(p))) continue;
      lifecycleEvents.push({ seq: e.seq, time: e.time, actor: `${e.actor.type}/${e.actor.id}`, action: e.action, target: ref(e.target), data: e.data, leafHash });
    }
    const last = page.at(-1);
    if (page.length < AUDIT_PAGE || last === undefined) break;
    fromSeq = last.event.seq + 1;
  }

  const alerts: AlertHistoryRow[] = [];
  let beforeId: string | undefined;
  for (;;) {
    const page = await store.alerts.list(workspaceId, { limit: PAGE, ...(beforeId !== undefined ? { beforeId } : {}) });
    for (const a of page) if (openDuring(a, range)) alerts.push(alertRow(a));
    const last = page.at(-1);
    if (page.length < PAGE || last === undefined) break;
    beforeId = last.id;
  }
  alerts.sort((a, b) => a.firstSeenAt - b.firstSeenAt || (a.id < b.id ? -1 : 1));

  const hygiene = await hygieneReport({ store, clock: deps.clock }, workspaceId, deps.hygiene);
  const size = await store.audit.size(workspaceId);
  const checkpoint = await store.audit.latestCheckpoint(workspaceId);
  return { workspaceId, from: range.from, to: range.to, generatedAt, inventory, lifecycleEvents, alerts, hygiene, auditLog: { size, eventsInPeriod, checkpoint } };
}

/** Whether the alert was open (seen, and not yet resolved) at some time in the period. */
function openDuring(a: AlertRecord, range: EvidenceRange): boolean {
  const end = a.resolvedAt ?? Number.POSITIVE_INFINITY;
  return a.firstSeenAt < range.to && end >= range.from;
}

function alertRow(a: AlertRecord): AlertHistoryRow {
  return {
    id: a.id,
    type: a.type,
    severity: a.severity,
    status: a.status,
    keyId: a.keyId,
    summary: a.summary,
    occurrences: a.occurrences,
    firstSeenAt: a.firstSeenAt,
    lastSeenAt: a.lastSeenAt,
    acknowledgedAt: a.acknowledgedAt,
    acknowledgedBy: a.acknowledgedBy,
    resolvedAt: a.resolvedAt,
    resolvedBy: a.resolvedBy,
    note: a.note,
    evidenceSha256: createHash('sha256').update(canonicalJson(a.evidence)).digest('hex'),
  };
}
