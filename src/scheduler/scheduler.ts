import type { AuditLog } from '../core/audit/audit-log.ts';
import type { Clock } from '../core/clock.ts';
import { ClavisError } from '../core/errors/registry.ts';
import type { Acting, KeyService } from '../core/keys/key-service.ts';
import { rotationPeriod, vaultRotationDueAt, type RotationPolicy } from '../core/keys/rotation-policy.ts';
import { SCOPES, SCOPE_NAMES } from '../core/keys/scopes.ts';
import { creditPeriod } from '../core/limits/limit-policy.ts';
import type { ApiKeyRecord, AuditActor } from '../core/model.ts';
import type { LimiterStore } from '../core/ports/limiter.ts';
import type { KeyScanPage, NoticeKind, Store } from '../core/ports/store.ts';
import type { PreparedSecretWrite, SecretsService } from '../core/vault/secrets-service.ts';
import type { SchedulerAction, SchedulerActionType, TickReport } from './tick-report.ts';

/** The audit actor of everything the scheduler does. */
export const SCHEDULER_ACTOR: AuditActor = { type: 'system', id: 'scheduler' };
/** The lease nodes take turns on. */
export const SCHEDULER_LEASE = 'scheduler';

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
/** A prepared vault version taken by another write is prepared again this many times per tick. */
const VAULT_ATTEMPTS = 3;
/** Scopes of the high-risk tier: the idle rule applies to keys holding any of them. */
const HIGH_RISK_SCOPES: readonly string[] = SCOPE_NAMES.filter((s) => SCOPES[s].risk === 'high');

/** Settings of the scheduler (CLAVIS_SCHEDULER_*, CLAVIS_EXPIRY_NOTICE_DAYS, …); 0 turns a rule off. */
export interface SchedulerSettings {
  /** `key.expiring_soon` this many days before a key expires. */
  expiryNoticeDays: number;
  /** `key.quota_low` when a key's credits left fall below this percentage of its quota. */
  quotaLowPercent: number;
  /** High-risk keys neither used nor changed for this many days are suspended. */
  highRiskIdleDays: number;
  /** How long a tick's lease lasts; it is renewed between pages. */
  leaseMs: number;
  /** Keys read per scan page. Default 200. */
  pageSize?: number;
}

export interface SchedulerDeps {
  store: Store;
  keys: Pick<KeyService, 'rotate' | 'suspend'>;
  secrets: Pick<SecretsService, 'prepareWrite' | 'commitWrite'>;
  audit: AuditLog;
  limiter: Pick<LimiterStore, 'peekCredits'>;
  clock: Clock;
  /** Names this process as lease holder; unique per node. */
  nodeId: string;
  settings: SchedulerSettings;
}

/** The state of one tick. */
interface Tick {
  now: number;
  dryRun: boolean;
  report: TickReport;
  /** Successors made by this tick: never rotated again in it. */
  created: Set<string>;
}

/** Thrown inside a transaction whose action another tick (or node) already took: it rolls back. */
class AlreadyDone extends Error {}
/** Thrown inside a rotation whose prepared vault version another write took: prepare again. */
class VaultVersionTaken extends Error {}

const iso = (ms: number): string => new Date(ms).toISOString();

function errorText(err: unknown): string {
  if (err instanceof ClavisError) return `${err.code}: ${err.message}`;
  return err instanceof Error ? err.message : String(err);
}

/** What a notice tells about its key (audit data and webhook payload): never the key or its hash. */
function keyFacts(k: ApiKeyRecord): Record<string, unknown> {
  return { name: k.name, environment: k.environment, start: k.start, ownerId: k.ownerId };
}

/**
 * The rotation and expiry scheduler (docs/guides/rotation.md, decision 0009). Each tick, holding
 * the database lease so that one node at a time acts: rotates keys whose `vault` rotation is due
 * and writes each successor into the secrets vault in the rotation's own transaction; sends
 * `key.rotation_due` once per period for `notify` policies; `key.expiring_soon` once per expiry;
 * `key.quota_low` once per credit period; and suspends high-risk keys idle past the limit. Every
 * action is audited as `system:scheduler` and recorded per (key, kind, period) in the same
 * transaction, so a tick run twice, or on two nodes at once, does nothing twice.
 *
 * @example const report = await scheduler.tick() // { actions: [{ type: 'key.rotated', keyId, successorId, … }], … }
 */
export class Scheduler {
  readonly #d: SchedulerDeps;
  readonly #page: number;
  #running: Promise<TickReport> | null = null;

  constructor(deps: SchedulerDeps) {
    const s = deps.settings;
    if (![s.expiryNoticeDays, s.quotaLowPercent, s.highRiskIdleDays].every((n) => Number.isSafeInteger(n) && n >= 0) || s.quotaLowPercent > 100 || !(s.leaseMs > 0)) {
      throw new RangeError('scheduler settings: whole days and percent from 0 (percent at most 100), and a positive lease');
    }
    this.#d = deps;
    this.#page = s.pageSize ?? 200;
  }

  get nodeId(): string {
    return this.#d.nodeId;
  }

  /**
   * One pass over every rule. A dry run takes no lease, changes nothing and reports what a tick
   * would do now. A tick already running in this process is joined, not doubled.
   */
  tick(opts: { dryRun?: boolean } = {}): Promise<TickReport> {
    if (opts.dryRun === true) return this.#run(true);
    this.#running ??= this.#run(false).finally(() => {
      this.#running = null;
    });
    return this.#running;
  }

  /** Waits for a running tick, then gives the lease up so another node can take over at once. */
  async release(): Promise<void> {
    await this.#running?.catch(() => undefined);
    await this.#d.store.scheduler.releaseLease(SCHEDULER_LEASE, this.#d.nodeId);
  }

  /**
   * A tick asked for through the API (`clavis scheduler run-once`): operator workspace only,
   * since it reaches every workspace, and audited there.
   */
  async runByHand(acting: Acting, opts: { dryRun: boolean }): Promise<TickReport> {
    const ws = await this.#d.store.workspaces.findById(acting.workspaceId);
    if (ws?.operator !== true) throw new ClavisError('OPERATOR_ONLY', 'the scheduler spans every workspace: run it with a token of the operator workspace');
    const report = await this.tick(opts);
    await this.#d.store.transact((tx) =>
      this.#d.audit.append(tx, {
        ...acting,
        action: 'scheduler.run',
        target: null,
        data: { dryRun: report.dryRun, node: report.node, skipped: report.skipped, actions: report.actions.length, failures: report.failures.length },
      }),
    );
    return report;
  }

  async #run(dryRun: boolean): Promise<TickReport> {
    const now = this.#d.clock.now();
    const t: Tick = { now, dryRun, created: new Set(), report: { startedAt: now, node: this.#d.nodeId, dryRun, skipped: null, actions: [], failures: [] } };
    const jobs: ((t: Tick) => Promise<void>)[] = [(x) => this.#rotations(x), (x) => this.#expiries(x), (x) => this.#quotas(x), (x) => this.#idle(x)];
    for (const [i, job] of jobs.entries()) {
      if (!(await this.#hold(t, i === 0))) return t.report;
      await job(t);
    }
    return t.report;
  }

  /** Takes or renews the lease (dry runs need none); false, with the reason reported, when another node has it. */
  async #hold(t: Tick, first = false): Promise<boolean> {
    if (t.dryRun) return true;
    const now = this.#d.clock.now();
    if (await this.#d.store.scheduler.acquireLease(SCHEDULER_LEASE, this.#d.nodeId, now, now + this.#d.settings.leaseMs)) return true;
    const lease = await this.#d.store.scheduler.findLease(SCHEDULER_LEASE);
    t.report.skipped = `${first ? 'another node holds the lease' : 'the lease was lost part-way through the tick'}${lease === null ? '' : ` (${lease.holder} until ${iso(lease.expiresAt)})`}`;
    return false;
  }

  /** Pages through a scan, keeping the lease between pages; false when the lease was lost. */
  async #scan(t: Tick, fetch: (page: KeyScanPage) => Promise<ApiKeyRecord[]>, each: (keys: ApiKeyRecord[]) => Promise<void>): Promise<void> {
    let afterId: string | undefined;
    for (;;) {
      const keys = await fetch({ limit: this.#page, ...(afterId === undefined ? {} : { afterId }) });
      if (keys.length > 0) await each(keys);
      const last = keys.at(-1);
      if (keys.length < this.#page || last === undefined) return;
      afterId = last.id;
      if (!(await this.#hold(t))) return;
    }
  }

  /** `keyId:period` of the notices of `kind` already recorded for these keys. */
  async #recorded(keys: readonly ApiKeyRecord[], kind: NoticeKind): Promise<Set<string>> {
    const found = await this.#d.store.scheduler.notices(keys.map((k) => k.id), kind);
    return new Set(found.map((n) => `${n.keyId}:${n.period}`));
  }

  #done(t: Tick, type: SchedulerActionType, k: ApiKeyRecord, detail: string, successorId: string | null = null): void {
    const action: SchedulerAction = { type, workspaceId: k.workspaceId, keyId: k.id, successorId, detail: t.dryRun ? `would: ${detail}` : detail };
    t.report.actions.push(action);
  }

  #failed(t: Tick, type: SchedulerActionType, k: ApiKeyRecord, err: unknown): void {
    t.report.failures.push({ type, workspaceId: k.workspaceId, keyId: k.id, error: errorText(err) });
  }

  /**
   * Records a notice and its audit event (the webhook follows from the event) in one transaction;
   * nothing when the notice was already recorded.
   */
  async #notice(t: Tick, k: ApiKeyRecord, kind: NoticeKind, period: number, type: SchedulerActionType, data: Record<string, unknown>, detail: string): Promise<void> {
    if (t.dryRun) return this.#done(t, type, k, detail);
    try {
      const sent = await this.#d.store.transact(async (tx) => {
        if (!(await tx.scheduler.recordNotice({ keyId: k.id, kind, period, workspaceId: k.workspaceId, at: this.#d.clock.now() }))) return false;
        await this.#d.audit.append(tx, { workspaceId: k.workspaceId, actor: SCHEDULER_ACTOR, action: type, target: { type: 'key', id: k.id }, data: { ...keyFacts(k), ...data } });
        return true;
      });
      if (sent) this.#done(t, type, k, detail);
    } catch (err) {
      this.#failed(t, type, k, err);
    }
  }

  async #rotations(t: Tick): Promise<void> {
    await this.#scan(t, (p) => this.#d.store.scheduler.keysWithRotation(p), async (keys) => {
      const sent = await this.#recorded(keys, 'rotation_due');
      for (const k of keys) {
        const policy = k.rotation;
        if (policy === null || t.created.has(k.id) || (k.expiresAt !== null && k.expiresAt <= t.now)) continue;
        if (policy.mode === 'vault') {
          if (t.now >= vaultRotationDueAt(policy, k.createdAt, k.expiresAt)) await this.#rotate(t, k, policy);
          continue;
        }
        const period = rotationPeriod(policy, k.createdAt, t.now);
        if (period < 1 || sent.has(`${k.id}:${period}`)) continue;
        const dueAt = k.createdAt + period * policy.everyDays * DAY_MS;
        await this.#notice(t, k, 'rotation_due', period, 'key.rotation_due', { period, everyDays: policy.everyDays, dueAt: iso(dueAt), createdAt: iso(k.createdAt) }, `rotation due since ${iso(dueAt)} (every ${policy.everyDays} days); the owner is asked to rotate`);
      }
    });
  }

  /**
   * Rotates a key into the vault: the successor is sealed for the vault before the transaction
   * (a key provider call), then the rotation, the vault version, both audit events and the
   * `rotated` record commit together. The plaintext lives only in this call.
   */
  async #rotate(t: Tick, k: ApiKeyRecord, policy: RotationPolicy): Promise<void> {
    const path = policy.vaultPath;
    if (path === undefined) return;
    const where = `${k.environment}/${path}`;
    if (k.enforcement.signing?.scheme === 'hmac-sha256') {
      return this.#failed(t, 'key.rotated', k, new ClavisError('VALIDATION_FAILED', 'an HMAC-signing key cannot rotate into the vault (its new signing secret would reach nobody); change the policy to notify'));
    }
    if (t.dryRun) return this.#done(t, 'key.rotated', k, `rotate, successor into the vault at ${where}, old key valid ${policy.graceHours} h more`);
    const acting: Acting = { workspaceId: k.workspaceId, actor: SCHEDULER_ACTOR };
    const ref = { workspaceId: k.workspaceId, environment: k.environment, path };
    for (let attempt = 1; attempt <= VAULT_ATTEMPTS; attempt += 1) {
      let prepared: PreparedSecretWrite | undefined;
      try {
        const rotated = await this.#d.keys.rotate(acting, k.id, policy.graceHours * (HOUR_MS / 1000), {
          prepare: async (secret) => {
            prepared = await this.#d.secrets.prepareWrite(ref, secret);
          },
          inTransaction: async (tx) => {
            if (prepared === undefined) throw new Error('the successor was not sealed for the vault');
            if (!(await tx.scheduler.recordNotice({ keyId: k.id, kind: 'rotated', period: 1, workspaceId: k.workspaceId, at: this.#d.clock.now() }))) throw new AlreadyDone();
            if (!(await this.#d.secrets.commitWrite(tx, acting, prepared))) throw new VaultVersionTaken();
          },
        });
        t.created.add(rotated.record.id);
        this.#done(t, 'key.rotated', k, `rotated; successor written to the vault at ${where} (version ${prepared?.version ?? '?'}), old key valid ${policy.graceHours} h more`, rotated.record.id);
        return;
      } catch (err) {
        // Another node (or a person) rotated, revoked or suspended it meanwhile: nothing left to do.
        if (err instanceof AlreadyDone || (err instanceof ClavisError && err.code === 'KEY_STATE_CONFLICT')) return;
        if (err instanceof VaultVersionTaken && attempt < VAULT_ATTEMPTS) continue;
        this.#failed(t, 'key.rotated', k, err instanceof VaultVersionTaken ? new Error(`the vault secret at ${where} kept changing under the rotation`) : err);
        return;
      }
    }
  }

  async #expiries(t: Tick): Promise<void> {
    const days = this.#d.settings.expiryNoticeDays;
    if (days === 0) return;
    await this.#scan(t, (p) => this.#d.store.scheduler.keysExpiringBetween(t.now, t.now + days * DAY_MS, p), async (keys) => {
      const sent = await this.#recorded(keys, 'expiring_soon');
      for (const k of keys) {
        // A vault rotation puts the successor in place before the key expires: no one needs telling.
        if (k.expiresAt === null || k.rotation?.mode === 'vault' || sent.has(`${k.id}:${k.expiresAt}`)) continue;
        const left = k.expiresAt - t.now;
        await this.#notice(t, k, 'expiring_soon', k.expiresAt, 'key.expiring_soon', { expiresAt: iso(k.expiresAt), expiresInSeconds: Math.floor(left / 1000), status: k.status }, `expires at ${iso(k.expiresAt)}, in ${(left / DAY_MS).toFixed(1)} days`);
      }
    });
  }

  async #quotas(t: Tick): Promise<void> {
    const percent = this.#d.settings.quotaLowPercent;
    if (percent === 0) return;
    await this.#scan(t, (p) => this.#d.store.scheduler.keysWithCredits(p), async (keys) => {
      const sent = await this.#recorded(keys, 'quota_low');
      for (const k of keys) {
        const credits = k.enforcement.credits;
        if (credits === null || credits.quota === 0 || (k.expiresAt !== null && k.expiresAt <= t.now)) continue;
        const { start: period, nextRefill } = creditPeriod(credits.refill, t.now);
        if (sent.has(`${k.id}:${period}`)) continue;
        let remaining: number;
        try {
          ({ remaining } = await this.#d.limiter.peekCredits(k.id, credits, t.now));
        } catch (err) {
          this.#failed(t, 'key.quota_low', k, err);
          continue;
        }
        // Integers only: remaining/quota < percent/100 without rounding.
        if (remaining * 100 >= percent * credits.quota) continue;
        const resetsAt = nextRefill === null ? null : iso(nextRefill);
        await this.#notice(t, k, 'quota_low', period, 'key.quota_low', { quota: credits.quota, remaining, refill: credits.refill, thresholdPercent: percent, resetsAt }, `${remaining} of ${credits.quota} credits left (below ${percent}%)${resetsAt === null ? ', no refill' : `, refills at ${resetsAt}`}`);
      }
    });
  }

  async #idle(t: Tick): Promise<void> {
    const days = this.#d.settings.highRiskIdleDays;
    if (days === 0) return;
    await this.#scan(t, (p) => this.#d.store.scheduler.keysWithAnyScope(HIGH_RISK_SCOPES, p), async (keys) => {
      const lastUse = new Map((await this.#d.store.usage.lastUse(keys.map((k) => k.id))).map((u) => [u.keyId, u.at]));
      for (const k of keys) {
        if (k.expiresAt !== null && k.expiresAt <= t.now) continue;
        // Idle since its last use, or since it was created or last changed (a resume, a new scope):
        // a key someone just resumed gets a whole period again.
        const since = Math.max(lastUse.get(k.id) ?? 0, k.updatedAt);
        if (t.now - since < days * DAY_MS) continue;
        const reason = `unused for ${Math.floor((t.now - since) / DAY_MS)} days: high-risk keys idle for ${days} days are suspended`;
        if (t.dryRun) {
          this.#done(t, 'key.suspended', k, reason);
          continue;
        }
        try {
          await this.#d.keys.suspend({ workspaceId: k.workspaceId, actor: SCHEDULER_ACTOR }, k.id, reason, {
            inTransaction: async (tx) => {
              if (!(await tx.scheduler.recordNotice({ keyId: k.id, kind: 'idle_suspended', period: since, workspaceId: k.workspaceId, at: this.#d.clock.now() }))) throw new AlreadyDone();
            },
          });
          this.#done(t, 'key.suspended', k, reason);
        } catch (err) {
          if (err instanceof AlreadyDone || (err instanceof ClavisError && err.code === 'KEY_STATE_CONFLICT')) continue;
          this.#failed(t, 'key.suspended', k, err);
        }
      }
    });
  }
}
