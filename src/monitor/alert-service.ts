import type { AuditLog } from '../core/audit/audit-log.ts';
import type { Clock } from '../core/clock.ts';
import { ClavisError } from '../core/errors/registry.ts';
import type { IdGenerator } from '../core/ids.ts';
import type { Acting } from '../core/keys/key-service.ts';
import type { AlertFilter, AlertRecord, AlertStatus, OffboardedOwner, Store } from '../core/ports/store.ts';
import type { Finding } from './detectors/finding.ts';

export interface AlertServiceDeps {
  store: Store;
  audit: AuditLog;
  clock: Clock;
  ids: IdGenerator;
  /** Told after each commit (metrics, and the monitor's offboarded-owner snapshot). */
  onRaised?: (alert: AlertRecord, created: boolean) => void;
  onOwnersChanged?: () => void;
}

const MONITOR = { type: 'system' as const, id: 'monitor' };

/** What an audit event records of an alert: never evidence beyond ids (it may hold addresses). */
function auditData(a: AlertRecord): Record<string, unknown> {
  return { type: a.type, severity: a.severity, keyId: a.keyId, dedupeKey: a.dedupeKey, summary: a.summary };
}

/**
 * Alerts: detectors' findings stored once per subject while unresolved (repeats add
 * occurrences), listed, acknowledged and resolved. Every state change — raised, acknowledged,
 * resolved — appends an audit event in the transaction of the change. So does marking an owner
 * offboarded or reinstating one, which feeds the offboarded-owner detector.
 *
 * @example await alerts.acknowledge({ workspaceId, actor: { type: 'token', id: tokenId } }, 'alr_…', 'looking into it')
 */
export class AlertService {
  readonly #d: AlertServiceDeps;

  constructor(deps: AlertServiceDeps) {
    this.#d = deps;
  }

  /** Stores a finding: a new alert (audited `alert.raised`), or one more occurrence of the unresolved one. */
  async raise(finding: Finding & { workspaceId: string }, occurrences = 1, firstSeenAt = finding.at): Promise<{ alert: AlertRecord; created: boolean }> {
    const now = this.#d.clock.now();
    const candidate: AlertRecord = {
      id: this.#d.ids('alr'),
      workspaceId: finding.workspaceId,
      type: finding.type,
      severity: finding.severity,
      status: 'open',
      keyId: finding.keyId,
      dedupeKey: finding.dedupeKey,
      summary: finding.summary,
      evidence: finding.evidence,
      occurrences,
      firstSeenAt,
      lastSeenAt: finding.at,
      createdAt: now,
      updatedAt: now,
      acknowledgedAt: null,
      acknowledgedBy: null,
      resolvedAt: null,
      resolvedBy: null,
      note: null,
    };
    const result = await this.#d.store.transact(async (tx) => {
      const r = await tx.alerts.raise(candidate);
      if (r.created) await this.#d.audit.append(tx, { workspaceId: r.alert.workspaceId, actor: MONITOR, action: 'alert.raised', target: { type: 'alert', id: r.alert.id }, data: auditData(r.alert) });
      return r;
    });
    this.#d.onRaised?.(result.alert, result.created);
    return result;
  }

  async get(workspaceId: string, id: string): Promise<AlertRecord> {
    const a = await this.#d.store.alerts.findById(workspaceId, id);
    if (a === null) throw new ClavisError('ALERT_NOT_FOUND', `no alert ${id} in this workspace`);
    return a;
  }

  /** Newest first. */
  list(workspaceId: string, filter: AlertFilter): Promise<AlertRecord[]> {
    return this.#d.store.alerts.list(workspaceId, filter);
  }

  /** open → acknowledged (someone is on it). Acknowledging twice, or a resolved alert, is ALERT_STATE_CONFLICT. */
  acknowledge(acting: Acting, id: string, note: string | null = null): Promise<AlertRecord> {
    return this.#transition(acting, id, ['open'], 'acknowledged', note);
  }

  /** open or acknowledged → resolved; a new finding on the same subject then opens a new alert. */
  resolve(acting: Acting, id: string, note: string | null = null): Promise<AlertRecord> {
    return this.#transition(acting, id, ['open', 'acknowledged'], 'resolved', note);
  }

  async #transition(acting: Acting, id: string, from: AlertStatus[], to: 'acknowledged' | 'resolved', note: string | null): Promise<AlertRecord> {
    return this.#d.store.transact(async (tx) => {
      const current = await tx.alerts.findById(acting.workspaceId, id);
      if (current === null) throw new ClavisError('ALERT_NOT_FOUND', `no alert ${id} in this workspace`);
      const next = await tx.alerts.transition(acting.workspaceId, id, from, { status: to, at: this.#d.clock.now(), by: acting.actor.id, note });
      if (next === null) throw new ClavisError('ALERT_STATE_CONFLICT', `cannot ${to === 'acknowledged' ? 'acknowledge' : 'resolve'} an alert that is ${current.status}`);
      await this.#d.audit.append(tx, { workspaceId: acting.workspaceId, actor: acting.actor, action: `alert.${to}`, target: { type: 'alert', id }, data: { ...auditData(next), from: current.status, note } });
      return next;
    });
  }

  /** Marks a key owner offboarded (audited `owner.offboarded`); any use of their keys is then an alert. */
  async offboardOwner(acting: Acting, ownerId: string, reason: string | null): Promise<{ owner: OffboardedOwner; created: boolean }> {
    const record: OffboardedOwner = { workspaceId: acting.workspaceId, ownerId, offboardedAt: this.#d.clock.now(), reason, by: acting.actor.id };
    const result = await this.#d.store.transact(async (tx) => {
      const created = await tx.owners.offboard(record);
      if (!created) return { owner: (await tx.owners.find(acting.workspaceId, ownerId)) ?? record, created };
      await this.#d.audit.append(tx, { workspaceId: acting.workspaceId, actor: acting.actor, action: 'owner.offboarded', target: { type: 'owner', id: ownerId }, data: { reason } });
      return { owner: record, created };
    });
    this.#d.onOwnersChanged?.();
    return result;
  }

  /** Lifts the mark (audited `owner.reinstated`); OWNER_NOT_OFFBOARDED when there was none. */
  async reinstateOwner(acting: Acting, ownerId: string): Promise<void> {
    await this.#d.store.transact(async (tx) => {
      if (!(await tx.owners.reinstate(acting.workspaceId, ownerId))) throw new ClavisError('OWNER_NOT_OFFBOARDED', `owner ${ownerId} is not marked offboarded in this workspace`);
      await this.#d.audit.append(tx, { workspaceId: acting.workspaceId, actor: acting.actor, action: 'owner.reinstated', target: { type: 'owner', id: ownerId }, data: {} });
    });
    this.#d.onOwnersChanged?.();
  }

  listOffboarded(workspaceId: string, page: { afterOwnerId?: string; limit: number }): Promise<OffboardedOwner[]> {
    return this.#d.store.owners.listOffboarded(workspaceId, page);
  }
}
