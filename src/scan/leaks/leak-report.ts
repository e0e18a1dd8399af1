import type { KeyObject } from 'node:crypto';
import type { AuditLog } from '../../core/audit/audit-log.ts';
import type { Clock } from '../../core/clock.ts';
import { ClavisError } from '../../core/errors/registry.ts';
import { ADMIN_TOKEN_TYPE, displayStart, hashCredential, parseCredential } from '../../core/keys/key-format.ts';
import type { KeyService } from '../../core/keys/key-service.ts';
import type { AuditActor } from '../../core/model.ts';
import type { Store } from '../../core/ports/store.ts';
import { NO_COMPROMISE_PLAYBOOK, type CompromisePlaybook } from '../compromise-playbook.ts';
import { lookupStatus } from './key-lookup.ts';
import { verifyLeakSignature } from './leak-signature.ts';

/** What happens to a reported key that is still usable. */
export const LEAK_POLICIES = ['notify', 'suspend', 'revoke'] as const;
export type LeakPolicy = (typeof LEAK_POLICIES)[number];

/** One entry of a GitHub secret-scanning partner report. */
export interface LeakReport {
  token: string;
  type: string;
  url?: string;
  source?: string;
}

/** The per-token answer GitHub's partner format expects. */
export interface LeakAnswer {
  token_raw: string;
  token_type: string;
  label: 'true_positive' | 'false_positive';
}

/** What was done for one token, for the log line (never the token). */
export interface LeakOutcome {
  label: LeakAnswer['label'];
  kind: 'api-key' | 'admin-token' | 'not-clavis' | 'unknown';
  /** Display start of a Clavis credential; null for anything else, which is never logged. */
  start: string | null;
  keyId?: string;
  workspaceId?: string;
  action: 'revoked' | 'suspended' | 'notified' | 'none';
}

export interface LeakReportDeps {
  store: Pick<Store, 'keys' | 'tokens' | 'transact'>;
  keys: Pick<KeyService, 'suspend' | 'revoke'>;
  audit: Pick<AuditLog, 'append'>;
  clock: Clock;
  policy: LeakPolicy;
  /** Reporter keys by id; empty turns the endpoint off. */
  publicKeys: ReadonlyMap<string, KeyObject>;
  playbook?: CompromisePlaybook;
}

/** Who acts on a leaked key in the audit log. */
export const LEAK_REPORT_ACTOR: AuditActor = { type: 'system', id: 'leak-report' };

// Reported URLs end up in audit events and reasons: keep them short and free of control characters.
const clean = (text: string | undefined, max: number): string => (text ?? '').replace(/[\u0000-\u001f\u007f-\u009f]/g, '').slice(0, max);

/**
 * Handles leak reports in GitHub's secret-scanning partner format: checks the reporter's
 * signature, looks each token up by hash, and applies the leak policy (default `revoke`) to
 * every reported key that still works, in the key's own workspace, audited with the actor
 * `system:leak-report`. Leaked admin tokens are confirmed but not revoked automatically: the
 * answer and the log name them so an owner revokes them.
 */
export class LeakReportService {
  readonly #d: LeakReportDeps;

  constructor(deps: LeakReportDeps) {
    this.#d = deps;
  }

  get enabled(): boolean {
    return this.#d.publicKeys.size > 0;
  }

  get policy(): LeakPolicy {
    return this.#d.policy;
  }

  /** Throws LEAK_REPORTS_DISABLED or LEAK_SIGNATURE_INVALID; returns when the body is signed. */
  checkSignature(keyId: string | undefined, signature: string | undefined, body: Uint8Array | undefined): void {
    if (!this.enabled) throw new ClavisError('LEAK_REPORTS_DISABLED', 'no reporter public keys are configured (CLAVIS_LEAK_REPORT_PUBLIC_KEYS)');
    if (keyId === undefined || signature === undefined || body === undefined) {
      throw new ClavisError('LEAK_SIGNATURE_INVALID', 'send Github-Public-Key-Identifier and Github-Public-Key-Signature over the raw JSON body');
    }
    if (!verifyLeakSignature(this.#d.publicKeys, keyId, signature, body)) throw new ClavisError('LEAK_SIGNATURE_INVALID', 'the signature does not verify under any configured key');
  }

  /** Answers every report in order, acting on each reported Clavis key at most once. */
  async handle(reports: readonly LeakReport[]): Promise<{ answers: LeakAnswer[]; outcomes: LeakOutcome[] }> {
    const answers: LeakAnswer[] = [];
    const outcomes: LeakOutcome[] = [];
    for (const r of reports) {
      const outcome = await this.#one(r);
      outcomes.push(outcome);
      answers.push({ token_raw: r.token, token_type: r.type, label: outcome.label });
    }
    return { answers, outcomes };
  }

  async #one(r: LeakReport): Promise<LeakOutcome> {
    const parsed = parseCredential(r.token);
    if (parsed === null) return { label: 'false_positive', kind: 'not-clavis', start: null, action: 'none' };
    const start = displayStart(r.token);
    const hash = hashCredential(r.token);
    if (parsed.type === ADMIN_TOKEN_TYPE) {
      const token = await this.#d.store.tokens.findByHash(hash);
      if (token === null) return { label: 'false_positive', kind: 'unknown', start, action: 'none' };
      return { label: 'true_positive', kind: 'admin-token', start, keyId: token.id, workspaceId: token.workspaceId, action: 'none' };
    }
    const key = await this.#d.store.keys.findByHash(hash);
    if (key === null) return { label: 'false_positive', kind: 'unknown', start, action: 'none' };
    const base = { label: 'true_positive' as const, kind: 'api-key' as const, start, keyId: key.id, workspaceId: key.workspaceId };
    const status = lookupStatus(key, this.#d.clock.now());
    if (status === 'revoked' || status === 'expired') return { ...base, action: 'none' };
    const where = clean(r.url, 300) || '(no URL)';
    const reason = `leaked: reported by GitHub secret scanning (${clean(r.source, 40) || 'unknown source'}) at ${where}`.slice(0, 500);
    const acting = { workspaceId: key.workspaceId, actor: LEAK_REPORT_ACTOR };
    let action: LeakOutcome['action'] = 'none';
    try {
      if (this.#d.policy === 'revoke') {
        await this.#d.keys.revoke(acting, key.id, reason);
        action = 'revoked';
      } else if (this.#d.policy === 'suspend' && status === 'live') {
        await this.#d.keys.suspend(acting, key.id, reason);
        action = 'suspended';
      } else if (this.#d.policy === 'notify') {
        await this.#d.store.transact((tx) =>
          this.#d.audit.append(tx, { ...acting, action: 'key.leak_reported', target: { type: 'key', id: key.id }, data: { start, url: where, source: clean(r.source, 40), policy: 'notify' } }),
        );
        action = 'notified';
      }
    } catch (error) {
      // Another report or an admin changed the key meanwhile: it is still a true positive.
      if (!(error instanceof ClavisError && error.code === 'KEY_STATE_CONFLICT')) throw error;
    }
    if (action !== 'none') await (this.#d.playbook ?? NO_COMPROMISE_PLAYBOOK).keyCompromised({ keyId: key.id, workspaceId: key.workspaceId, source: 'leak-report', where, action });
    return { ...base, action };
  }
}
