import { randomBytes } from 'node:crypto';
import type { AuditLog } from '../audit/audit-log.ts';
import { canGrant } from '../auth/permissions.ts';
import type { AuthContext } from '../auth/token-service.ts';
import type { Clock } from '../clock.ts';
import { ClavisError, type ErrorCode } from '../errors/registry.ts';
import type { IdGenerator } from '../ids.ts';
import type { Repos, Store, TotpEnrolmentRecord, UserRecord } from '../ports/store.ts';
import type { Keyring } from '../vault/keyring.ts';
import { RECOVERY_CODE_COUNT, generateRecoveryCodes, recoveryCodeHash } from './recovery-codes.ts';
import { classifyCode, lockoutMs, stepUpDecision } from './step-up.ts';
import { TotpSecretBox } from './totp-secret-box.ts';
import { base32Encode, newTotpSecret, otpauthUri, verifyTotp } from './totp.ts';

export interface MfaServiceDeps {
  store: Store;
  keyring: Keyring;
  audit: AuditLog;
  clock: Clock;
  ids: IdGenerator;
  /** The issuer authenticator apps show next to the account (CLAVIS_MFA_ISSUER). */
  issuer: string;
  random?: (n: number) => Buffer;
}

/** What enrolment shows once: the secret three ways, and the recovery codes. */
export interface TotpEnrolment {
  /** RFC 4648 base32, for typing into an app or `oathtool --totp -b`. */
  secret: string;
  /** `otpauth://totp/…`, for a QR code. */
  otpauthUri: string;
  recoveryCodes: string[];
}

export interface MfaStatus {
  state: 'none' | 'pending' | 'enrolled';
  confirmedAt: number | null;
  recoveryCodesLeft: number;
  lockedUntil: number | null;
}

/** Step-up refused: the domain error, carrying how long a lock lasts (for Retry-After). */
export class StepUpError extends ClavisError {
  readonly retryAfterSeconds: number | null;

  constructor(code: ErrorCode, detail: string, retryAfterSeconds: number | null = null) {
    super(code, detail);
    this.name = 'StepUpError';
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/**
 * TOTP for users (RFC 6238): enrolment shown once and confirmed with a first code, recovery codes
 * (hashed, each usable once), and the step-up check of critical operations. A code is accepted
 * once: its time step must be above the last used one, raised by one conditional update in the
 * store, so a replay fails on every node. Every step-up success and failure is an audit event;
 * no code ever is.
 */
export class MfaService {
  readonly #d: MfaServiceDeps;
  readonly #box: TotpSecretBox;
  readonly #random: (n: number) => Buffer;

  constructor(deps: MfaServiceDeps) {
    this.#d = deps;
    this.#random = deps.random ?? randomBytes;
    this.#box = new TotpSecretBox(deps.store, deps.keyring, this.#random);
  }

  async #user(ctx: AuthContext): Promise<UserRecord> {
    if (ctx.userId === undefined) throw new ClavisError('USER_TOKEN_REQUIRED', 'this admin token was issued for no user (a service token); MFA belongs to users: use a token created with --user');
    const user = await this.#d.store.users.findById(ctx.workspaceId, ctx.userId);
    if (user === null) throw new ClavisError('USER_NOT_FOUND', `no user ${ctx.userId} in this workspace`);
    if (user.disabledAt !== null) throw new ClavisError('USER_DISABLED', `user ${user.id} is disabled`);
    return user;
  }

  /**
   * Starts (or restarts) TOTP enrolment of the caller's user: a pending enrolment until
   * {@link confirm}. Refused while a confirmed one exists.
   *
   * @example const { secret, otpauthUri, recoveryCodes } = await mfa.enrol(ctx)
   */
  async enrol(ctx: AuthContext): Promise<TotpEnrolment> {
    const user = await this.#user(ctx);
    const existing = await this.#d.store.mfa.find(ctx.workspaceId, user.id);
    if (existing?.confirmedAt !== undefined && existing.confirmedAt !== null) throw new ClavisError('MFA_ALREADY_ENROLLED', 'TOTP is already confirmed for this user; remove it (with a code) before enrolling again');
    const secret = newTotpSecret(this.#random);
    try {
      // The provider may be across a network: wrap before the transaction, as secret writes do.
      const sealed = await this.#box.seal(ctx.workspaceId, user.id, secret);
      const codes = generateRecoveryCodes(RECOVERY_CODE_COUNT, this.#random);
      const record: TotpEnrolmentRecord = { id: this.#d.ids('mfa'), workspaceId: ctx.workspaceId, userId: user.id, ...sealed, createdAt: this.#d.clock.now(), confirmedAt: null, lastUsedStep: null, failures: 0, lockedUntil: null };
      await this.#d.store.transact(async (tx) => {
        const hashes = codes.map((c) => recoveryCodeHash(ctx.workspaceId, user.id, c.replaceAll('-', '')));
        if (!(await tx.mfa.putPending(record, hashes))) throw new ClavisError('MFA_ALREADY_ENROLLED', 'TOTP is already confirmed for this user');
        await this.#d.audit.append(tx, { workspaceId: ctx.workspaceId, actor: { type: 'token', id: ctx.tokenId }, action: 'mfa.totp.enrolment_started', target: { type: 'user', id: user.id }, data: { enrolmentId: record.id, keyVersion: record.keyVersion } });
      });
      return { secret: base32Encode(secret), otpauthUri: otpauthUri(this.#d.issuer, user.email, secret), recoveryCodes: codes };
    } finally {
      secret.fill(0);
    }
  }

  /** Confirms the pending enrolment with a first code from the app; the code is then used up. */
  async confirm(ctx: AuthContext, code: string): Promise<MfaStatus> {
    const user = await this.#user(ctx);
    const pending = await this.#d.store.mfa.find(ctx.workspaceId, user.id);
    if (pending === null || pending.confirmedAt !== null) throw new ClavisError('MFA_NOT_ENROLLED', 'no pending TOTP enrolment: start one with POST /v1/mfa/totp');
    const now = this.#d.clock.now();
    const step = await this.#matchStep(pending, code, now);
    if (step === null) throw new ClavisError('MFA_INVALID', 'the code does not match the pending enrolment (check the device clock and the secret)');
    await this.#d.store.transact(async (tx) => {
      if (!(await tx.mfa.confirm(ctx.workspaceId, user.id, pending.id, now, step))) throw new ClavisError('MFA_NOT_ENROLLED', 'the pending enrolment was replaced or confirmed meanwhile');
      await this.#d.audit.append(tx, { workspaceId: ctx.workspaceId, actor: { type: 'token', id: ctx.tokenId }, action: 'mfa.totp.enrolled', target: { type: 'user', id: user.id }, data: { enrolmentId: pending.id } });
    });
    return this.status(ctx);
  }

  async status(ctx: AuthContext): Promise<MfaStatus> {
    const user = await this.#user(ctx);
    const e = await this.#d.store.mfa.find(ctx.workspaceId, user.id);
    if (e === null) return { state: 'none', confirmedAt: null, recoveryCodesLeft: 0, lockedUntil: null };
    return {
      state: e.confirmedAt === null ? 'pending' : 'enrolled',
      confirmedAt: e.confirmedAt,
      recoveryCodesLeft: e.confirmedAt === null ? 0 : await this.#d.store.mfa.unusedRecoveryCodes(ctx.workspaceId, user.id),
      lockedUntil: e.lockedUntil !== null && e.lockedUntil > this.#d.clock.now() ? e.lockedUntil : null,
    };
  }

  /** Removes the caller's TOTP (pending or confirmed) and its recovery codes. The route is critical: a confirmed one needs a code first. */
  async remove(ctx: AuthContext): Promise<void> {
    const user = await this.#user(ctx);
    await this.#d.store.transact(async (tx) => {
      if (!(await tx.mfa.remove(ctx.workspaceId, user.id))) throw new ClavisError('MFA_NOT_ENROLLED', 'this user has no TOTP enrolment');
      await this.#d.audit.append(tx, { workspaceId: ctx.workspaceId, actor: { type: 'token', id: ctx.tokenId }, action: 'mfa.totp.removed', target: { type: 'user', id: user.id }, data: {} });
    });
  }

  /**
   * Removes another user's TOTP (a lost device and lost recovery codes): the user enrols again.
   * Never above the caller's role, as for every change to a user. The route is critical, so the
   * caller proves their own second factor first.
   */
  async reset(ctx: AuthContext, userId: string): Promise<void> {
    const user = await this.#d.store.users.findById(ctx.workspaceId, userId);
    if (user === null) throw new ClavisError('USER_NOT_FOUND', `no user ${userId} in this workspace`);
    if (!canGrant(ctx.role, user.role)) throw new ClavisError('ROLE_NOT_GRANTABLE', `a ${ctx.role} token cannot reset the MFA of a ${user.role} user`);
    await this.#d.store.transact(async (tx) => {
      if (!(await tx.mfa.remove(ctx.workspaceId, user.id))) throw new ClavisError('MFA_NOT_ENROLLED', `user ${user.id} has no TOTP enrolment`);
      await this.#d.audit.append(tx, { workspaceId: ctx.workspaceId, actor: { type: 'token', id: ctx.tokenId }, action: 'mfa.totp.reset', target: { type: 'user', id: user.id }, data: { email: user.email } });
    });
  }

  /** Whether the workspace requires MFA for critical operations. */
  async requireMfa(workspaceId: string): Promise<boolean> {
    return (await this.#d.store.workspaceSettings.get(workspaceId))?.requireMfa ?? false;
  }

  /**
   * Turns the workspace's requireMfa on or off. Turning it on needs a caller with confirmed TOTP,
   * so that the workspace keeps at least one person able to pass step-up (else nobody could turn
   * it off again).
   */
  async setRequireMfa(ctx: AuthContext, on: boolean): Promise<boolean> {
    const before = await this.requireMfa(ctx.workspaceId);
    if (on && !before && !(await this.#enrolled(ctx))) throw new ClavisError('MFA_ENROLMENT_REQUIRED', 'enrol and confirm TOTP for your own user before requiring it for the workspace');
    await this.#d.store.transact(async (tx) => {
      await tx.workspaceSettings.put({ workspaceId: ctx.workspaceId, requireMfa: on, updatedAt: this.#d.clock.now() });
      if (on !== before) await this.#d.audit.append(tx, { workspaceId: ctx.workspaceId, actor: { type: 'token', id: ctx.tokenId }, action: 'workspace.settings_changed', target: { type: 'workspace', id: ctx.workspaceId }, data: { requireMfa: on, previous: { requireMfa: before } } });
    });
    return on;
  }

  async #enrolled(ctx: AuthContext): Promise<boolean> {
    if (ctx.userId === undefined) return false;
    const e = await this.#d.store.mfa.find(ctx.workspaceId, ctx.userId);
    return e !== null && e.confirmedAt !== null;
  }

  /**
   * The step-up check of a critical operation, given the caller and the X-Clavis-MFA value (if
   * any). Returns when the caller may go on; throws a {@link StepUpError} (MFA_REQUIRED,
   * MFA_INVALID, MFA_REPLAYED, MFA_LOCKED, MFA_ENROLMENT_REQUIRED) otherwise. `operation` names the
   * operation in the audit event (`POST /v1/keys`).
   *
   * @example await mfa.stepUp(ctx, request.headers['x-clavis-mfa'], 'GET /v1/secrets/:environment/*')
   */
  async stepUp(ctx: AuthContext, presented: string | undefined, operation: string): Promise<void> {
    const enrolment = ctx.userId === undefined ? null : await this.#d.store.mfa.find(ctx.workspaceId, ctx.userId);
    const enrolled = enrolment !== null && enrolment.confirmedAt !== null;
    const decision = stepUpDecision({ enrolled, requireMfa: await this.requireMfa(ctx.workspaceId), codeGiven: presented !== undefined && presented !== '' });
    if (decision === 'pass') return;
    if (decision === 'MFA_ENROLMENT_REQUIRED') {
      await this.#fail(ctx, operation, 'MFA_ENROLMENT_REQUIRED', {});
      throw new StepUpError('MFA_ENROLMENT_REQUIRED', ctx.userId === undefined ? 'this workspace requires MFA for critical operations: use a token issued for a user with confirmed TOTP, not a service token' : 'this workspace requires MFA for critical operations: enrol and confirm TOTP first (POST /v1/mfa/totp)');
    }
    if (decision === 'MFA_REQUIRED' || enrolment === null || presented === undefined) {
      await this.#fail(ctx, operation, 'MFA_REQUIRED', {});
      throw new StepUpError('MFA_REQUIRED', `${operation} is a critical operation: send a fresh code from your authenticator (or a recovery code) in the X-Clavis-MFA header`);
    }
    const now = this.#d.clock.now();
    if (enrolment.lockedUntil !== null && enrolment.lockedUntil > now) return this.#locked(ctx, operation, enrolment.lockedUntil, now);
    const code = classifyCode(presented);
    const step = code.kind === 'totp' ? await this.#matchStep(enrolment, code.code, now) : null;
    // A code of a step already used only shows the caller saw a recent code: refused, not counted.
    if (step !== null && enrolment.lastUsedStep !== null && step <= enrolment.lastUsedStep) return this.#replayed(ctx, operation, 'totp');
    // Any other code is counted as an attempt before its outcome is known, by one conditional
    // update that a lock refuses: a burst of parallel guesses gets no more answers than a sequence.
    // Every MFA_FAILURES_PER_LOCK-th attempt since the last success locks step-up for a while.
    const attempt = await this.#d.store.transact(async (tx) => {
      const attempts = await tx.mfa.countAttempt(ctx.workspaceId, enrolment.userId, now);
      if (attempts === null) return null;
      const lockMs = lockoutMs(attempts);
      const lockedUntil = lockMs > 0 ? now + lockMs : null;
      if (lockedUntil !== null) await tx.mfa.lock(ctx.workspaceId, enrolment.userId, lockedUntil);
      return { attempts, lockedUntil };
    });
    if (attempt === null) return this.#locked(ctx, operation, (await this.#d.store.mfa.find(ctx.workspaceId, enrolment.userId))?.lockedUntil ?? now, now);
    if (step !== null) {
      const accepted = await this.#d.store.transact(async (tx) => {
        if (!(await tx.mfa.useStep(ctx.workspaceId, enrolment.userId, step))) return false;
        await this.#succeed(ctx, operation, { method: 'totp' }, tx);
        return true;
      });
      // Another node took this step first.
      if (!accepted) return this.#replayed(ctx, operation, 'totp');
      return;
    }
    if (code.kind === 'recovery') {
      const hash = recoveryCodeHash(ctx.workspaceId, enrolment.userId, code.code);
      const outcome = await this.#d.store.transact(async (tx) => {
        const used = await tx.mfa.useRecoveryCode(ctx.workspaceId, enrolment.userId, hash, now);
        if (used === 'accepted') await this.#succeed(ctx, operation, { method: 'recovery-code', recoveryCodesLeft: await tx.mfa.unusedRecoveryCodes(ctx.workspaceId, enrolment.userId) }, tx);
        return used;
      });
      if (outcome === 'accepted') return;
      if (outcome === 'used-before') return this.#replayed(ctx, operation, 'recovery-code');
    }
    const { attempts, lockedUntil } = attempt;
    await this.#fail(ctx, operation, 'MFA_INVALID', { attempts, ...(lockedUntil !== null ? { lockedUntil: new Date(lockedUntil).toISOString() } : {}) });
    throw new StepUpError('MFA_INVALID', lockedUntil === null ? 'the X-Clavis-MFA code is not valid' : `the X-Clavis-MFA code is not valid; too many attempts: step-up is locked until ${new Date(lockedUntil).toISOString()}`);
  }

  async #locked(ctx: AuthContext, operation: string, lockedUntil: number, now: number): Promise<never> {
    const wait = Math.max(1, Math.ceil((lockedUntil - now) / 1000));
    await this.#fail(ctx, operation, 'MFA_LOCKED', { lockedUntil: new Date(lockedUntil).toISOString() });
    throw new StepUpError('MFA_LOCKED', `too many attempts: step-up is locked for ${wait} s`, wait);
  }

  async #replayed(ctx: AuthContext, operation: string, method: string): Promise<never> {
    await this.#fail(ctx, operation, 'MFA_REPLAYED', { method });
    throw new StepUpError('MFA_REPLAYED', method === 'totp' ? 'this code was already used: wait for the next one' : 'this recovery code was already used');
  }

  /** The time step `code` matches (±1 step), ignoring replay; the secret is zeroed after. */
  async #matchStep(e: TotpEnrolmentRecord, code: string, now: number): Promise<number | null> {
    if (!/^\d{6}$/.test(code)) return null;
    const secret = await this.#box.open(e);
    try {
      return verifyTotp(secret, code, now, null);
    } finally {
      secret.fill(0);
    }
  }

  async #succeed(ctx: AuthContext, operation: string, data: Record<string, unknown>, tx: Repos): Promise<void> {
    await this.#d.audit.append(tx, { workspaceId: ctx.workspaceId, actor: { type: 'token', id: ctx.tokenId }, action: 'mfa.step_up.succeeded', target: ctx.userId === undefined ? null : { type: 'user', id: ctx.userId }, data: { operation, ...data } });
  }

  async #fail(ctx: AuthContext, operation: string, reason: ErrorCode, data: Record<string, unknown>, tx?: Repos): Promise<void> {
    const entry = { workspaceId: ctx.workspaceId, actor: { type: 'token' as const, id: ctx.tokenId }, action: 'mfa.step_up.failed', target: ctx.userId === undefined ? null : { type: 'user' as const, id: ctx.userId }, data: { operation, reason, ...data } };
    if (tx !== undefined) await this.#d.audit.append(tx, entry);
    else await this.#d.store.transact((t) => this.#d.audit.append(t, entry).then(() => undefined));
  }
}
