import { createHash } from 'node:crypto';
import type { AuditLog } from '../core/audit/audit-log.ts';
import { canonicalJson } from '../core/audit/canonical-json.ts';
import type { Clock } from '../core/clock.ts';
import { ClavisError } from '../core/errors/registry.ts';
import type { IdGenerator } from '../core/ids.ts';
import type { Acting, KeyService } from '../core/keys/key-service.ts';
import type { ApiKeyRecord, AuditActor } from '../core/model.ts';
import type { AlertRecord, Store } from '../core/ports/store.ts';
import type { CompromiseEvent, CompromisePlaybook } from '../scan/compromise-playbook.ts';
import { needsKey, triggeredBy, type Playbook, type PlaybookStep } from './playbook.ts';

/** The playbook fired for a compromised key (alerts, leak reports, `clavis scan --revoke`). */
export const COMPROMISE_PLAYBOOK = 'key-compromise';

export interface PlaybookTarget {
  workspaceId: string;
  keyId?: string;
  ownerId?: string;
  /** The alert that fired the run, if any. */
  alertId?: string;
}

export interface StepOutcome {
  index: number;
  action: PlaybookStep['action'];
  status: 'planned' | 'done' | 'skipped' | 'failed';
  detail: string;
  /** Keys the step changed or created. */
  keyIds: string[];
}

export interface PlaybookRun {
  runId: string;
  playbook: string;
  dryRun: boolean;
  status: 'planned' | 'completed' | 'failed';
  steps: StepOutcome[];
  error: { code: string; message: string } | null;
  /**
   * The successor's secret when a manual run rotated a key: shown once to whoever ran it, never
   * audited nor sent in a webhook. Runs fired by alerts drop it (rotate the successor to get one).
   */
  newKeySecret: string | null;
  /** The successor's HMAC signing secret, under the same rule, when the key signs with HMAC-SHA256. */
  newKeySigningSecret: string | null;
}

export interface PlaybookEngineDeps {
  store: Store;
  audit: AuditLog;
  keys: KeyService;
  clock: Clock;
  ids: IdGenerator;
  playbooks: readonly Playbook[];
  onError?: (err: unknown, what: string) => void;
}

const SYSTEM: AuditActor = { type: 'system', id: 'playbook' };
const PAGE = 200;

/**
 * Runs declarative playbooks: by hand (`clavis playbook run`, `POST /v1/playbooks/{name}/run`),
 * when a detector raises a matching alert, and for a compromised key reported by a leak report
 * or a scan. Every run and step is an audit event (`playbook.started`, `playbook.step`,
 * `playbook.completed` / `playbook.failed`); the key operations audit themselves too. The first
 * failed step stops the run. A dry run reads only and writes nothing.
 *
 * @example await engine.run('key-compromise', { workspaceId, keyId }, { actor, dryRun: true })
 */
export class PlaybookEngine implements CompromisePlaybook {
  readonly #d: PlaybookEngineDeps;
  readonly #pending = new Set<Promise<unknown>>();

  constructor(deps: PlaybookEngineDeps) {
    this.#d = deps;
  }

  list(): readonly Playbook[] {
    return this.#d.playbooks;
  }

  get(name: string): Playbook {
    const p = this.#d.playbooks.find((x) => x.name === name);
    if (p === undefined) throw new ClavisError('PLAYBOOK_NOT_FOUND', `no playbook named ${name}`);
    return p;
  }

  /** Fires the playbooks an alert matches (new alerts only; a repeat is the same incident). */
  onAlert(alert: AlertRecord, created: boolean): void {
    if (!created) return;
    for (const p of this.#d.playbooks) {
      if (!triggeredBy(p, alert)) continue;
      if (alert.keyId === null && p.steps.some(needsKey)) continue;
      this.#track(this.run(p.name, { workspaceId: alert.workspaceId, ...(alert.keyId !== null ? { keyId: alert.keyId } : {}), alertId: alert.id }, { actor: SYSTEM }), `playbook ${p.name} for alert ${alert.id}`);
    }
  }

  /** The scanner's and leak reports' hook: runs the compromise playbook on the key. */
  async keyCompromised(event: CompromiseEvent): Promise<void> {
    if (event.workspaceId === undefined || !this.#d.playbooks.some((p) => p.name === COMPROMISE_PLAYBOOK)) return;
    await this.run(COMPROMISE_PLAYBOOK, { workspaceId: event.workspaceId, keyId: event.keyId }, { actor: SYSTEM });
  }

  /** Resolves once every run fired by alerts so far has ended (tests, shut-down). */
  async settled(): Promise<void> {
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
  }

  #track(p: Promise<unknown>, what: string): void {
    const tracked = p.catch((err: unknown) => this.#d.onError?.(err, what)).finally(() => this.#pending.delete(tracked));
    this.#pending.add(tracked);
  }

  async run(name: string, target: PlaybookTarget, opts: { actor: AuditActor; dryRun?: boolean; revealSecret?: boolean }): Promise<PlaybookRun> {
    const playbook = this.get(name);
    const dryRun = opts.dryRun === true;
    const acting: Acting = { workspaceId: target.workspaceId, actor: opts.actor };
    const key = target.keyId === undefined ? null : await this.#d.keys.get(target.workspaceId, target.keyId);
    const ownerId = target.ownerId ?? key?.ownerId ?? undefined;
    if (key === null && playbook.steps.some(needsKey)) throw new ClavisError('PLAYBOOK_TARGET_MISSING', `playbook ${name} acts on a key: give --key`);
    if (ownerId === undefined && playbook.steps.some((s) => s.action === 'revoke-owner-keys')) throw new ClavisError('PLAYBOOK_TARGET_MISSING', `playbook ${name} acts on an owner: give --owner (or a key that has one)`);
    const run: PlaybookRun = { runId: this.#d.ids('pbr'), playbook: name, dryRun, status: dryRun ? 'planned' : 'completed', steps: [], error: null, newKeySecret: null, newKeySigningSecret: null };
    const base = { runId: run.runId, playbook: name, keyId: key?.id ?? null, ownerId: ownerId ?? null, alertId: target.alertId ?? null };
    if (!dryRun) await this.#audit(acting, 'playbook.started', base);
    const currentKeyId = key?.id ?? null;
    for (const [index, step] of playbook.steps.entries()) {
      if (dryRun) {
        run.steps.push({ index, action: step.action, status: 'planned', detail: await this.#plan(step, target.workspaceId, currentKeyId, ownerId), keyIds: [] });
        continue;
      }
      let outcome: StepOutcome;
      try {
        const r = await this.#execute(step, acting, currentKeyId, ownerId, base, opts.revealSecret === true);
        outcome = { index, action: step.action, status: r.skipped ? 'skipped' : 'done', detail: r.detail, keyIds: r.keyIds };
        if (r.secret !== undefined) run.newKeySecret = r.secret;
        if (r.signingSecret !== undefined) run.newKeySigningSecret = r.signingSecret;
      } catch (err) {
        const code = err instanceof ClavisError ? err.code : 'INTERNAL';
        const message = err instanceof Error ? err.message : String(err);
        outcome = { index, action: step.action, status: 'failed', detail: message, keyIds: [] };
        run.status = 'failed';
        run.error = { code, message: `step ${index + 1} (${step.action}) failed: ${message}` };
      }
      run.steps.push(outcome);
      await this.#audit(acting, 'playbook.step', { ...base, index, action: step.action, status: outcome.status, detail: outcome.detail, keyIds: outcome.keyIds });
      if (run.status === 'failed') break;
    }
    if (!dryRun) await this.#audit(acting, run.status === 'failed' ? 'playbook.failed' : 'playbook.completed', { ...base, steps: run.steps.length, error: run.error });
    return run;
  }

  /**
   * The key as it is now, after a key operation failed with KEY_STATE_CONFLICT (any other error
   * is rethrown). Two runs can act on one key at once — two alerts of one incident raised in the
   * same drain, or on two nodes — and the one that loses the race finds the work done: the caller
   * skips the step when the key already is where the step would take it.
   */
  async #afterConflict(err: unknown, workspaceId: string, keyId: string): Promise<ApiKeyRecord> {
    if (!(err instanceof ClavisError) || err.code !== 'KEY_STATE_CONFLICT') throw err;
    return this.#d.keys.get(workspaceId, keyId);
  }

  async #audit(acting: Acting, action: string, data: Record<string, unknown>): Promise<void> {
    await this.#d.store.transact((tx) => this.#d.audit.append(tx, { ...acting, action, target: { type: 'playbook', id: String(data.runId) }, data }));
  }

  async #ownerKeys(workspaceId: string, ownerId: string): Promise<{ id: string; status: string }[]> {
    const out: { id: string; status: string }[] = [];
    let afterId: string | undefined;
    for (;;) {
      const page = await this.#d.keys.list(workspaceId, { ownerId, limit: PAGE, ...(afterId !== undefined ? { afterId } : {}) });
      out.push(...page.map((k) => ({ id: k.id, status: k.status })));
      const last = page.at(-1);
      if (page.length < PAGE || last === undefined) return out;
      afterId = last.id;
    }
  }

  async #plan(step: PlaybookStep, workspaceId: string, keyId: string | null, ownerId: string | undefined): Promise<string> {
    switch (step.action) {
      case 'suspend-key':
        return `suspend ${keyId ?? '?'}`;
      case 'rotate-key':
        return `rotate ${keyId ?? '?'} (old key valid ${step.gracePeriodSeconds} s more)`;
      case 'revoke-key':
        return `revoke ${keyId ?? '?'}: ${step.reason}`;
      case 'revoke-owner-keys': {
        const keys = ownerId === undefined ? [] : (await this.#ownerKeys(workspaceId, ownerId)).filter((k) => k.status !== 'revoked');
        return `revoke ${keys.length} key(s) of owner ${ownerId ?? '?'}${keys.length > 0 ? `: ${keys.map((k) => k.id).join(', ')}` : ''}`;
      }
      case 'notify-webhook':
        return `send playbook.notify to the endpoints subscribed to it: ${step.message}`;
      case 'snapshot-evidence':
        return 'record the key, its last use and the alert in the audit log';
    }
  }

  async #execute(step: PlaybookStep, acting: Acting, keyId: string | null, ownerId: string | undefined, base: Record<string, unknown>, reveal: boolean): Promise<{ detail: string; keyIds: string[]; skipped?: boolean; secret?: string; signingSecret?: string }> {
    const ws = acting.workspaceId;
    const need = (): string => {
      if (keyId === null) throw new ClavisError('PLAYBOOK_TARGET_MISSING', 'this step needs a key');
      return keyId;
    };
    switch (step.action) {
      case 'suspend-key': {
        const k = await this.#d.keys.get(ws, need());
        if (k.status !== 'active') return { detail: `key is already ${k.status}`, keyIds: [k.id], skipped: true };
        try {
          await this.#d.keys.suspend(acting, k.id, step.reason);
        } catch (err) {
          const now = await this.#afterConflict(err, ws, k.id);
          if (now.status !== 'active') return { detail: `key is already ${now.status}`, keyIds: [k.id], skipped: true };
          throw err;
        }
        return { detail: `suspended ${k.id}`, keyIds: [k.id] };
      }
      case 'rotate-key': {
        const k = await this.#d.keys.get(ws, need());
        if (k.status === 'revoked') return { detail: 'key is revoked: nothing to rotate', keyIds: [k.id], skipped: true };
        if (k.replacedById !== null) return { detail: `key was already rotated to ${k.replacedById}`, keyIds: [k.id, k.replacedById], skipped: true };
        let r: Awaited<ReturnType<KeyService['rotate']>>;
        try {
          r = await this.#d.keys.rotate(acting, k.id, step.gracePeriodSeconds);
        } catch (err) {
          const now = await this.#afterConflict(err, ws, k.id);
          if (now.replacedById !== null) return { detail: `key was already rotated to ${now.replacedById}`, keyIds: [k.id, now.replacedById], skipped: true };
          throw err;
        }
        return { detail: `rotated ${k.id} to ${r.record.id}`, keyIds: [k.id, r.record.id], ...(reveal ? { secret: r.secret, ...(r.signingSecret !== undefined ? { signingSecret: r.signingSecret } : {}) } : {}) };
      }
      case 'revoke-key': {
        const k = await this.#d.keys.get(ws, need());
        if (k.status === 'revoked') return { detail: 'key is already revoked', keyIds: [k.id], skipped: true };
        try {
          await this.#d.keys.revoke(acting, k.id, step.reason);
        } catch (err) {
          if ((await this.#afterConflict(err, ws, k.id)).status === 'revoked') return { detail: 'key is already revoked', keyIds: [k.id], skipped: true };
          throw err;
        }
        return { detail: `revoked ${k.id}`, keyIds: [k.id] };
      }
      case 'revoke-owner-keys': {
        if (ownerId === undefined) throw new ClavisError('PLAYBOOK_TARGET_MISSING', 'this step needs an owner');
        const keys = (await this.#ownerKeys(ws, ownerId)).filter((k) => k.status !== 'revoked');
        for (const k of keys) await this.#d.keys.revoke(acting, k.id, step.reason);
        return { detail: `revoked ${keys.length} key(s) of owner ${ownerId}`, keyIds: keys.map((k) => k.id) };
      }
      case 'notify-webhook':
        // An audited event; the webhook outbox delivers it to the endpoints subscribed to playbook.notify.
        await this.#audit(acting, 'playbook.notify', { ...base, message: step.message });
        return { detail: 'queued playbook.notify', keyIds: [] };
      case 'snapshot-evidence': {
        const key = keyId === null ? null : await this.#d.keys.get(ws, keyId);
        const [lastUse] = key === null ? [] : await this.#d.store.usage.lastUse([key.id]);
        const alert = typeof base.alertId === 'string' ? await this.#d.store.alerts.findById(ws, base.alertId) : null;
        // Alert evidence holds client addresses (kept out of the audit log, decision 0006): the
        // snapshot records its SHA-256, which proves later that the stored evidence is unchanged.
        const snapshot = {
          ...base,
          at: new Date(this.#d.clock.now()).toISOString(),
          key: key === null ? null : { id: key.id, name: key.name, environment: key.environment, start: key.start, status: key.status, scopes: key.scopes, ownerId: key.ownerId, expiresAt: key.expiresAt, replacedById: key.replacedById, lastUsedAt: lastUse === undefined ? null : new Date(lastUse.at).toISOString(), lastUsedCountry: lastUse?.country ?? null },
          alert: alert === null ? null : { id: alert.id, type: alert.type, severity: alert.severity, summary: alert.summary, occurrences: alert.occurrences, firstSeenAt: new Date(alert.firstSeenAt).toISOString(), lastSeenAt: new Date(alert.lastSeenAt).toISOString(), evidenceSha256: createHash('sha256').update(canonicalJson(alert.evidence)).digest('hex') },
        };
        await this.#audit(acting, 'playbook.evidence', snapshot);
        return { detail: 'evidence recorded in the audit log', keyIds: key === null ? [] : [key.id] };
      }
    }
  }
}
