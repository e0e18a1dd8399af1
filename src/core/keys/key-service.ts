import type { AuditLog } from '../audit/audit-log.ts';
import type { Clock } from '../clock.ts';
import { ClavisError, type FieldError } from '../errors/registry.ts';
import type { IdGenerator } from '../ids.ts';
import type { ApiKeyPatch, ApiKeyRecord, AuditActor, KeySigning, KeyStatus } from '../model.ts';
import { ed25519FromBase64 } from '../signing/request-signature.ts';
import type { IssuedSigningSecret, SigningSecretBox } from '../signing/signing-secret-box.ts';
import { validateCreditPolicy, validateRateLimits, type CreditPolicy, type RateLimit } from '../limits/limit-policy.ts';
import type { KeyFilter, Repos, Store } from '../ports/store.ts';
import { displayStart, generateCredential, hashCredential, type Environment } from './key-format.ts';
import type { KeyPolicy } from './key-policy.ts';
import { parseCidr } from './ip-allowlist.ts';
import { hasHighRiskScope, isScope } from './scopes.ts';
import { checkRotationPolicy, type RotationPolicy } from './rotation-policy.ts';

export interface CreateKeyInput {
  name: string;
  environment: Environment;
  scopes: string[];
  /** Epoch ms. */
  expiresAt?: number;
  ttlSeconds?: number;
  ipAllowlist?: string[];
  metadata?: Record<string, unknown>;
  ownerId?: string;
  /** Require signed requests: Ed25519 (the consumer's public key) or HMAC-SHA256 (a secret issued here). */
  signing?: SigningInput | null;
  rateLimits?: RateLimit[];
  credits?: CreditPolicy | null;
  /** Automatic rotation by the scheduler (docs/guides/rotation.md). */
  rotation?: RotationPolicy | null;
}

/**
 * A signing requirement as asked for. Without a scheme it is Ed25519 (the only scheme before
 * HMAC existed, so older clients keep working). `hmac-sha256` carries nothing: Clavis generates
 * the secret.
 */
export type SigningInput = { scheme?: 'ed25519'; publicKey: string } | { scheme: 'hmac-sha256' };

export interface UpdateKeyInput {
  name?: string;
  scopes?: string[];
  ipAllowlist?: string[];
  metadata?: Record<string, unknown>;
  /** Epoch ms. */
  expiresAt?: number;
  /** null removes the signing requirement; `hmac-sha256` issues a new secret (the old one stops at once). */
  signing?: SigningInput | null;
  /** Replaces the key's limits ([] removes them). */
  rateLimits?: RateLimit[];
  /** null removes the credit quota. */
  credits?: CreditPolicy | null;
  /** null removes the rotation policy. */
  rotation?: RotationPolicy | null;
}

export interface IssuedKey {
  record: ApiKeyRecord;
  /** The plaintext key: shown once, never stored. */
  secret: string;
  /** The HMAC signing secret (base64 of 32 bytes) of an `hmac-sha256` key: shown once, stored only sealed. */
  signingSecret?: string;
}

export interface UpdatedKey {
  record: ApiKeyRecord;
  /** Present when the update issued a new HMAC signing secret: shown once, stored only sealed. */
  signingSecret?: string;
}

export interface RotatedKey extends IssuedKey {
  previous: ApiKeyRecord;
}

/** Work a caller adds to a key change: a throw in it rolls the whole change back. */
export interface ChangeHooks {
  /** Runs inside the change's transaction, with the key as it was before the change (the scheduler records its idempotency marker here). */
  inTransaction?: (tx: Repos, key: ApiKeyRecord) => Promise<void>;
}

/** Work a caller adds to a rotation (the scheduler's rotation into the secrets vault). */
export interface RotationHooks {
  /**
   * Runs before the transaction with the successor's plaintext key, e.g. to seal it for the vault:
   * a key provider call must not run inside a transaction.
   */
  prepare?: (secret: string) => Promise<void>;
  /** Runs inside the rotation's transaction once the successor is written; a throw rolls the rotation back. */
  inTransaction?: (tx: Repos, successor: ApiKeyRecord) => Promise<void>;
}

/** Who acts, and in which workspace. */
export interface Acting {
  workspaceId: string;
  actor: AuditActor;
}

export interface KeyServiceDeps {
  store: Store;
  audit: AuditLog;
  clock: Clock;
  ids: IdGenerator;
  policy: KeyPolicy;
  /** Called after a change commits, with the hash of every key whose state changed. */
  onKeyChanged: (hash: string) => void;
  /** Issues and seals HMAC signing secrets (a sealed keyring refuses `hmac-sha256` keys with SEALED). */
  signingSecrets: Pick<SigningSecretBox, 'issue'>;
  random?: (n: number) => Buffer;
}

/** Audit data of a key: what it is, never anything that helps guess it. */
function auditView(k: ApiKeyRecord): Record<string, unknown> {
  return {
    name: k.name,
    environment: k.environment,
    start: k.start,
    scopes: k.scopes,
    status: k.status,
    expiresAt: k.expiresAt === null ? null : new Date(k.expiresAt).toISOString(),
    ipAllowlist: k.ipAllowlist,
    ownerId: k.ownerId,
    signing: k.enforcement.signing,
    rateLimits: k.enforcement.rateLimits,
    credits: k.enforcement.credits,
    rotation: k.rotation,
  };
}

/** The `signingSecret` field of an answer: the secret's text when one was issued. */
function shownOnce(issued: IssuedSigningSecret | undefined): { signingSecret?: string } {
  return issued === undefined ? {} : { signingSecret: issued.text };
}

/**
 * The key lifecycle: create, read, change, rotate, suspend, resume, revoke. Every change commits
 * with its audit event.
 */
export class KeyService {
  readonly #d: KeyServiceDeps;

  constructor(deps: KeyServiceDeps) {
    this.#d = deps;
  }

  #checkScopes(scopes: readonly string[], field: string): string[] {
    const errors: FieldError[] = [];
    scopes.forEach((s, i) => {
      if (!isScope(s)) errors.push({ field: `${field}/${i}`, message: `unknown scope '${s}'` });
    });
    if (errors.length > 0) throw new ClavisError('UNKNOWN_SCOPE', errors.map((e) => e.message).join('; '), errors);
    return [...new Set(scopes)];
  }

  #checkAllowlist(entries: readonly string[], field: string): string[] {
    const out: string[] = [];
    const errors: FieldError[] = [];
    entries.forEach((e, i) => {
      const parsed = parseCidr(e);
      if (parsed === null) errors.push({ field: `${field}/${i}`, message: `'${e}' is not an IPv4/IPv6 address or CIDR range` });
      else out.push(parsed);
    });
    if (errors.length > 0) throw new ClavisError('INVALID_CIDR', errors.map((e) => e.message).join('; '), errors);
    return [...new Set(out)];
  }

  #checkSigning(signing: SigningInput | null | undefined, field: string): KeySigning | null {
    if (signing === undefined || signing === null) return null;
    if (signing.scheme === 'hmac-sha256') return { scheme: 'hmac-sha256' };
    if (ed25519FromBase64(signing.publicKey) === null) {
      throw new ClavisError('INVALID_PUBLIC_KEY', 'publicKey must be a base64 raw 32-byte Ed25519 public key', [{ field: `${field}/publicKey`, message: 'not an Ed25519 public key' }]);
    }
    return { scheme: 'ed25519', publicKey: signing.publicKey };
  }

  /** A new sealed secret when `signing` is HMAC; undefined otherwise. */
  async #issueSigningSecret(workspaceId: string, keyId: string, signing: KeySigning | null, now: number): Promise<IssuedSigningSecret | undefined> {
    return signing?.scheme === 'hmac-sha256' ? this.#d.signingSecrets.issue(workspaceId, keyId, now) : undefined;
  }

  #checkRateLimits(limits: RateLimit[]): RateLimit[] {
    const errors = validateRateLimits(limits, '/body/rateLimits');
    if (errors.length > 0) throw new ClavisError('VALIDATION_FAILED', errors.map((e) => `${e.field}: ${e.message}`).join('; '), errors);
    return limits.map((l) => ({ name: l.name, algorithm: l.algorithm, limit: l.limit, windowSeconds: l.windowSeconds }));
  }

  #checkCredits(credits: CreditPolicy | null): CreditPolicy | null {
    if (credits === null) return null;
    const errors = validateCreditPolicy(credits, '/body/credits');
    if (errors.length > 0) throw new ClavisError('VALIDATION_FAILED', errors.map((e) => `${e.field}: ${e.message}`).join('; '), errors);
    return { quota: credits.quota, refill: credits.refill };
  }

  /** High-risk scopes move funds or administer: policy demands an allowlist and signed requests. */
  #checkHighRisk(scopes: readonly string[], ipAllowlist: readonly string[], signing: KeySigning | null): void {
    if (!hasHighRiskScope(scopes)) return;
    const rule = this.#d.policy.highRisk ?? { requireIpAllowlist: true, requireSigning: true };
    const errors: FieldError[] = [];
    if (rule.requireIpAllowlist && ipAllowlist.length === 0) errors.push({ field: '/body/ipAllowlist', message: 'required for high-risk scopes' });
    if (rule.requireSigning && signing === null) errors.push({ field: '/body/signing', message: 'required for high-risk scopes' });
    if (errors.length > 0) throw new ClavisError('HIGH_RISK_POLICY', `high-risk scopes need ${errors.map((e) => e.field.slice(6)).join(' and ')}`, errors);
  }

  #checkExpiry(environment: Environment, expiresAt: number | null, now: number, field: string): number | null {
    const max = this.#d.policy.maxTtlMs[environment];
    if (expiresAt === null) {
      if (max !== null) throw new ClavisError('EXPIRY_REQUIRED', `keys in '${environment}' must expire`, [{ field, message: 'required by policy' }]);
      return null;
    }
    if (expiresAt <= now) throw new ClavisError('EXPIRY_IN_PAST', 'the expiry must be in the future', [{ field, message: 'in the past' }]);
    if (max !== null && expiresAt > now + max) {
      throw new ClavisError('EXPIRY_TOO_LONG', `keys in '${environment}' may live at most ${Math.floor(max / 1000)} seconds`, [
        { field, message: `later than ${new Date(now + max).toISOString()}` },
      ]);
    }
    return expiresAt;
  }

  async create(acting: Acting, input: CreateKeyInput): Promise<IssuedKey> {
    const now = this.#d.clock.now();
    const scopes = this.#checkScopes(input.scopes, '/body/scopes');
    const ipAllowlist = this.#checkAllowlist(input.ipAllowlist ?? [], '/body/ipAllowlist');
    const signing = this.#checkSigning(input.signing, '/body/signing');
    this.#checkHighRisk(scopes, ipAllowlist, signing);
    const rateLimits = this.#checkRateLimits(input.rateLimits ?? []);
    const credits = this.#checkCredits(input.credits ?? null);
    const rotation = checkRotationPolicy(input.rotation ?? null, '/body/rotation');
    this.#checkRotationSigning(rotation, signing);
    if (input.expiresAt !== undefined && input.ttlSeconds !== undefined) {
      throw new ClavisError('EXPIRY_CONFLICT', 'give expiresAt or ttlSeconds, not both', [{ field: '/body/ttlSeconds', message: 'conflicts with expiresAt' }]);
    }
    const max = this.#d.policy.maxTtlMs[input.environment];
    const requested = input.expiresAt ?? (input.ttlSeconds !== undefined ? now + input.ttlSeconds * 1000 : max === null ? null : now + max);
    const expiresAt = this.#checkExpiry(input.environment, requested, now, input.ttlSeconds !== undefined ? '/body/ttlSeconds' : '/body/expiresAt');
    this.#checkRotationLifetime(rotation, now, expiresAt);
    const secret = generateCredential(this.#d.policy.prefix, input.environment, this.#d.random);
    const record: ApiKeyRecord = {
      id: this.#d.ids('key'),
      workspaceId: acting.workspaceId,
      name: input.name,
      environment: input.environment,
      start: displayStart(secret),
      hash: hashCredential(secret),
      scopes,
      status: 'active',
      createdAt: now,
      updatedAt: now,
      expiresAt,
      ipAllowlist,
      metadata: input.metadata ?? {},
      ownerId: input.ownerId ?? null,
      replacesId: null,
      replacedById: null,
      revokedAt: null,
      revokeReason: null,
      suspendedAt: null,
      enforcement: { signing, rateLimits, credits },
      rotation,
    };
    // Sealing calls the key provider: before the transaction, which must not wait on a network.
    const signingSecret = await this.#issueSigningSecret(acting.workspaceId, record.id, signing, now);
    await this.#d.store.transact(async (tx) => {
      await tx.keys.insert(record);
      if (signingSecret !== undefined) await tx.signingSecrets.put(signingSecret.record);
      await this.#d.audit.append(tx, { ...acting, action: 'key.created', target: { type: 'key', id: record.id }, data: auditView(record) });
    });
    this.#d.onKeyChanged(record.hash);
    return { record, secret, ...shownOnce(signingSecret) };
  }

  async get(workspaceId: string, id: string): Promise<ApiKeyRecord> {
    const key = await this.#d.store.keys.findById(workspaceId, id);
    if (key === null) throw new ClavisError('KEY_NOT_FOUND', `no key ${id} in this workspace`);
    return key;
  }

  async list(workspaceId: string, filter: KeyFilter): Promise<ApiKeyRecord[]> {
    return this.#d.store.keys.list(workspaceId, filter);
  }

  /** Loads the key inside the transaction and applies `change`, which returns the patch and audit data. */
  async #change(
    acting: Acting,
    id: string,
    action: string,
    change: (key: ApiKeyRecord, now: number, tx: Repos) => Promise<{ patch: ApiKeyPatch; data?: Record<string, unknown> }>,
  ): Promise<ApiKeyRecord> {
    const now = this.#d.clock.now();
    const updated = await this.#d.store.transact(async (tx) => {
      const key = await tx.keys.findById(acting.workspaceId, id);
      if (key === null) throw new ClavisError('KEY_NOT_FOUND', `no key ${id} in this workspace`);
      const { patch, data } = await change(key, now, tx);
      const next = await tx.keys.update(acting.workspaceId, id, { ...patch, updatedAt: now });
      if (next === null) throw new ClavisError('KEY_NOT_FOUND', `no key ${id} in this workspace`);
      await tx.changes.announce({ kind: 'key', hash: next.hash });
      await this.#d.audit.append(tx, { ...acting, action, target: { type: 'key', id }, data: { ...auditView(next), ...data } });
      return next;
    });
    this.#d.onKeyChanged(updated.hash);
    return updated;
  }

  /**
   * A vault rotation hands the consumer the successor key only: a new HMAC signing secret would be
   * shown to nobody, and the successor could not sign. Such keys rotate by notice.
   */
  #checkRotationSigning(rotation: RotationPolicy | null, signing: KeySigning | null): void {
    if (rotation?.mode === 'vault' && signing?.scheme === 'hmac-sha256') {
      throw new ClavisError('VALIDATION_FAILED', '/body/rotation/mode: an HMAC-signing key cannot rotate into the vault (its new signing secret would reach nobody); use notify', [
        { field: '/body/rotation/mode', message: 'vault rotation is not available for hmac-sha256 signing' },
      ]);
    }
  }

  /**
   * A vault rotation falls due `graceHours` before the key expires: a key that lives no longer than
   * that would be due at birth, and so would each successor (same lifetime), rotating every tick.
   */
  #checkRotationLifetime(rotation: RotationPolicy | null, createdAt: number, expiresAt: number | null): void {
    if (rotation?.mode !== 'vault' || expiresAt === null || expiresAt - createdAt > rotation.graceHours * 3_600_000) return;
    throw new ClavisError('VALIDATION_FAILED', '/body/rotation/graceHours: must be shorter than the key lifetime (a vault rotation falls due graceHours before expiry)', [
      { field: '/body/rotation/graceHours', message: 'must be shorter than the key lifetime' },
    ]);
  }

  /** The successor's plaintext, made before the rotation's transaction and handed to `prepare`. */
  async #prepareSuccessor(acting: Acting, id: string, prepare: (secret: string) => Promise<void>): Promise<string> {
    // The environment never changes after creation, so the key read here names the successor's.
    const key = await this.get(acting.workspaceId, id);
    const secret = generateCredential(this.#d.policy.prefix, key.environment, this.#d.random);
    await prepare(secret);
    return secret;
  }

  #requireStatus(key: ApiKeyRecord, now: number, allowed: readonly KeyStatus[], operation: string): void {
    if (!allowed.includes(key.status)) throw new ClavisError('KEY_STATE_CONFLICT', `cannot ${operation} ${key.status === 'active' ? 'an' : 'a'} ${key.status} key`);
    if (key.expiresAt !== null && key.expiresAt <= now) throw new ClavisError('KEY_STATE_CONFLICT', `cannot ${operation} an expired key`);
  }

  async update(acting: Acting, id: string, input: UpdateKeyInput): Promise<UpdatedKey> {
    const signing = input.signing === undefined ? undefined : this.#checkSigning(input.signing, '/body/signing');
    // Sealed before the transaction (a provider call); dropped unused if the change is refused.
    const issued = signing === undefined ? undefined : await this.#issueSigningSecret(acting.workspaceId, id, signing, this.#d.clock.now());
    const record = await this.#change(acting, id, 'key.updated', async (key, now, tx) => {
      if (key.status === 'revoked') throw new ClavisError('KEY_STATE_CONFLICT', 'cannot change a revoked key');
      const patch: ApiKeyPatch = {};
      const changed: string[] = [];
      if (input.name !== undefined) { patch.name = input.name; changed.push('name'); }
      if (input.scopes !== undefined) { patch.scopes = this.#checkScopes(input.scopes, '/body/scopes'); changed.push('scopes'); }
      if (input.ipAllowlist !== undefined) { patch.ipAllowlist = this.#checkAllowlist(input.ipAllowlist, '/body/ipAllowlist'); changed.push('ipAllowlist'); }
      if (input.metadata !== undefined) { patch.metadata = input.metadata; changed.push('metadata'); }
      if (input.expiresAt !== undefined) {
        patch.expiresAt = this.#checkExpiry(key.environment, input.expiresAt, now, '/body/expiresAt');
        changed.push('expiresAt');
      }
      if (signing !== undefined) {
        patch.enforcement = { ...key.enforcement, signing };
        changed.push('signing');
        // A new HMAC secret replaces the old at once; leaving HMAC erases the secret (crypto-shred).
        if (issued !== undefined) {
          await tx.signingSecrets.put(issued.record);
          changed.push('signingSecret');
        } else if (key.enforcement.signing?.scheme === 'hmac-sha256') await tx.signingSecrets.delete(acting.workspaceId, id);
      }
      if (input.rateLimits !== undefined) {
        patch.enforcement = { ...(patch.enforcement ?? key.enforcement), rateLimits: this.#checkRateLimits(input.rateLimits) };
        changed.push('rateLimits');
      }
      if (input.credits !== undefined) {
        patch.enforcement = { ...(patch.enforcement ?? key.enforcement), credits: this.#checkCredits(input.credits) };
        changed.push('credits');
      }
      if (input.rotation !== undefined) {
        patch.rotation = checkRotationPolicy(input.rotation, '/body/rotation');
        changed.push('rotation');
      }
      this.#checkHighRisk(patch.scopes ?? key.scopes, patch.ipAllowlist ?? key.ipAllowlist, (patch.enforcement ?? key.enforcement).signing);
      this.#checkRotationSigning(patch.rotation === undefined ? key.rotation : patch.rotation, (patch.enforcement ?? key.enforcement).signing);
      this.#checkRotationLifetime(patch.rotation === undefined ? key.rotation : patch.rotation, key.createdAt, patch.expiresAt === undefined ? key.expiresAt : patch.expiresAt);
      return { patch, data: { changed } };
    });
    return { record, ...shownOnce(issued) };
  }

  async suspend(acting: Acting, id: string, reason?: string, hooks: ChangeHooks = {}): Promise<ApiKeyRecord> {
    return this.#change(acting, id, 'key.suspended', async (key, now, tx) => {
      this.#requireStatus(key, now, ['active'], 'suspend');
      await hooks.inTransaction?.(tx, key);
      return { patch: { status: 'suspended', suspendedAt: now }, data: { reason: reason ?? null } };
    });
  }

  async resume(acting: Acting, id: string): Promise<ApiKeyRecord> {
    return this.#change(acting, id, 'key.resumed', async (key, now) => {
      this.#requireStatus(key, now, ['suspended'], 'resume');
      return { patch: { status: 'active', suspendedAt: null } };
    });
  }

  async revoke(acting: Acting, id: string, reason: string): Promise<ApiKeyRecord> {
    return this.#change(acting, id, 'key.revoked', async (key, _now, tx) => {
      if (key.status === 'revoked') throw new ClavisError('KEY_STATE_CONFLICT', 'the key is already revoked');
      // A revoked key never verifies again: its HMAC secret is erased with it (crypto-shred).
      if (key.enforcement.signing?.scheme === 'hmac-sha256') await tx.signingSecrets.delete(acting.workspaceId, id);
      return { patch: { status: 'revoked', revokedAt: this.#d.clock.now(), revokeReason: reason }, data: { reason } };
    });
  }

  /**
   * Issues a successor with the same attributes and keeps the old key valid for the grace period,
   * never past its own expiry. The successor's lifetime is the old key's lifetime, within policy.
   */
  async rotate(acting: Acting, id: string, gracePeriodSeconds?: number, hooks: RotationHooks = {}): Promise<RotatedKey> {
    const graceMs = gracePeriodSeconds === undefined ? this.#d.policy.defaultGraceMs : gracePeriodSeconds * 1000;
    const early = hooks.prepare === undefined ? undefined : await this.#prepareSuccessor(acting, id, hooks.prepare);
    let issued: IssuedKey | undefined;
    // The successor of an HMAC key gets its own secret, sealed for its id before the transaction.
    const successorId = this.#d.ids('key');
    const current = await this.#d.store.keys.findById(acting.workspaceId, id);
    const signingSecret = current === null ? undefined : await this.#issueSigningSecret(acting.workspaceId, successorId, current.enforcement.signing, this.#d.clock.now());
    const previous = await this.#change(acting, id, 'key.rotated', async (key, now, tx) => {
      this.#requireStatus(key, now, ['active', 'suspended'], 'rotate');
      if (key.replacedById !== null) throw new ClavisError('KEY_STATE_CONFLICT', `the key was already rotated to ${key.replacedById}`);
      const hmac = key.enforcement.signing?.scheme === 'hmac-sha256';
      if (hmac && signingSecret === undefined) throw new ClavisError('KEY_STATE_CONFLICT', "the key's signing requirement changed during the rotation; rotate again");
      const max = this.#d.policy.maxTtlMs[key.environment];
      const lifetime = key.expiresAt === null ? max : Math.min(key.expiresAt - key.createdAt, max ?? Number.POSITIVE_INFINITY);
      const secret = early ?? generateCredential(this.#d.policy.prefix, key.environment, this.#d.random);
      const successor: ApiKeyRecord = {
        ...key,
        id: successorId,
        start: displayStart(secret),
        hash: hashCredential(secret),
        status: 'active',
        suspendedAt: null,
        createdAt: now,
        updatedAt: now,
        expiresAt: lifetime === null ? null : now + lifetime,
        replacesId: key.id,
        replacedById: null,
        revokedAt: null,
        revokeReason: null,
      };
      await tx.keys.insert(successor);
      await hooks.inTransaction?.(tx, successor);
      if (hmac && signingSecret !== undefined) await tx.signingSecrets.put(signingSecret.record);
      await this.#d.audit.append(tx, { ...acting, action: 'key.created', target: { type: 'key', id: successor.id }, data: { ...auditView(successor), replacesId: key.id } });
      issued = { record: successor, secret, ...(hmac ? shownOnce(signingSecret) : {}) };
      const graceEnd = now + graceMs;
      const expiresAt = key.expiresAt === null ? graceEnd : Math.min(key.expiresAt, graceEnd);
      return { patch: { replacedById: successor.id, expiresAt }, data: { successorId: successor.id, gracePeriodSeconds: graceMs / 1000 } };
    });
    if (issued === undefined) throw new Error('rotation produced no successor');
    this.#d.onKeyChanged(issued.record.hash);
    return { ...issued, previous };
  }
}
