import type { AuditLog } from '../audit/audit-log.ts';
import { TtlCache } from '../cache/ttl-cache.ts';
import type { Clock } from '../clock.ts';
import { ClavisError } from '../errors/registry.ts';
import type { IdGenerator } from '../ids.ts';
import { ADMIN_TOKEN_TYPE, displayStart, generateCredential, hashCredential, parseCredential, parseCredentialShape } from '../keys/key-format.ts';
import type { AdminTokenRecord, Role } from '../model.ts';
import type { Page, Repos, Store } from '../ports/store.ts';
import { canGrant, roleWithin } from './permissions.ts';

/** The authenticated caller of an admin route. */
export interface AuthContext {
  tokenId: string;
  workspaceId: string;
  role: Role;
  /** The user the token was issued for; absent for a service token. */
  userId?: string;
}

export interface IssuedToken {
  record: AdminTokenRecord;
  /** Shown once, never stored. */
  secret: string;
}

export interface CreateTokenInput {
  name: string;
  role: Role;
  ttlSeconds?: number;
  /** Issue the token for this user of the workspace (the role must be within the user's). */
  userId?: string;
}

export interface TokenServiceDeps {
  store: Store;
  audit: AuditLog;
  clock: Clock;
  ids: IdGenerator;
  prefix: string;
  cacheTtlMs: number;
  random?: (n: number) => Buffer;
}

/** Audit data of a token: never the token or its hash. */
function auditView(t: AdminTokenRecord): Record<string, unknown> {
  return { name: t.name, role: t.role, start: t.start, expiresAt: t.expiresAt === null ? null : new Date(t.expiresAt).toISOString(), userId: t.userId };
}

/** Admin tokens: scoped credentials for the people and services that administer a workspace. */
export class TokenService {
  readonly #d: TokenServiceDeps;
  readonly #cache: TtlCache<string, AdminTokenRecord>;
  #caching = true;

  constructor(deps: TokenServiceDeps) {
    this.#d = deps;
    this.#cache = new TtlCache({ maxEntries: 10_000, ttlMs: deps.cacheTtlMs, now: () => deps.clock.now() });
  }

  /** Drops a token from this node's cache (another node changed it). */
  invalidate(hash: string): void {
    this.#cache.delete(hash);
  }

  /** Stops (or resumes) serving from the cache: while the change feed is down, changes could be missed. */
  setCaching(on: boolean): void {
    this.#cache.clear();
    this.#caching = on;
  }

  /**
   * Resolves a bearer token; every failure is the same AUTH_INVALID so nothing is learnt by probing.
   * A cached token is answered synchronously (no promise: every admin request pays for this);
   * a miss returns a promise of the store lookup. A synchronous failure throws.
   *
   * @example const ctx = await tokens.authenticate(bearer)
   */
  authenticate(bearer: string): AuthContext | Promise<AuthContext> {
    // The shape first; the checksum only before a store lookup (a cached token passed it, and
    // any other string has another hash), as the key verifier does.
    const shape = parseCredentialShape(bearer, false);
    if (shape === null || shape.type !== ADMIN_TOKEN_TYPE) throw new ClavisError('AUTH_INVALID', 'the admin token is malformed');
    const hash = hashCredential(bearer);
    const cached = this.#caching ? this.#cache.get(hash) : undefined;
    if (cached !== undefined) return this.#context(cached);
    if (parseCredential(bearer) === null) throw new ClavisError('AUTH_INVALID', 'the admin token is malformed');
    return this.#d.store.tokens.findByHash(hash).then((found) => {
      if (found === null) throw new ClavisError('AUTH_INVALID', 'the admin token is not known');
      if (this.#caching) this.#cache.set(hash, found);
      return this.#context(found);
    });
  }

  #context(token: AdminTokenRecord): AuthContext {
    if (token.revokedAt !== null) throw new ClavisError('AUTH_INVALID', 'the admin token was revoked');
    if (token.expiresAt !== null && token.expiresAt <= this.#d.clock.now()) throw new ClavisError('AUTH_INVALID', 'the admin token has expired');
    return { tokenId: token.id, workspaceId: token.workspaceId, role: token.role, ...(token.userId !== null ? { userId: token.userId } : {}) };
  }

  /** Builds a token record and its secret; the caller inserts it in its transaction. */
  mint(workspaceId: string, input: CreateTokenInput, createdBy: string | null): IssuedToken {
    const now = this.#d.clock.now();
    const secret = generateCredential(this.#d.prefix, ADMIN_TOKEN_TYPE, this.#d.random);
    const record: AdminTokenRecord = {
      id: this.#d.ids('tok'),
      workspaceId,
      name: input.name,
      role: input.role,
      hash: hashCredential(secret),
      start: displayStart(secret),
      createdAt: now,
      expiresAt: input.ttlSeconds === undefined ? null : now + input.ttlSeconds * 1000,
      revokedAt: null,
      createdBy,
      userId: input.userId ?? null,
    };
    return { record, secret };
  }

  /** Inserts a minted token with its audit event, inside `tx`. */
  async insert(tx: Repos, issued: IssuedToken, actor: { type: 'token' | 'system'; id: string }): Promise<void> {
    await tx.tokens.insert(issued.record);
    await this.#d.audit.append(tx, {
      workspaceId: issued.record.workspaceId,
      actor,
      action: 'token.created',
      target: { type: 'token', id: issued.record.id },
      data: auditView(issued.record),
    });
  }

  async create(ctx: AuthContext, input: CreateTokenInput): Promise<IssuedToken> {
    if (!canGrant(ctx.role, input.role)) throw new ClavisError('ROLE_NOT_GRANTABLE', `a ${ctx.role} token cannot create a ${input.role} token`);
    const issued = this.mint(ctx.workspaceId, input, ctx.tokenId);
    const userId = input.userId;
    await this.#d.store.transact(async (tx) => {
      if (userId !== undefined) {
        // Locked, so a concurrent disable either sees this token and revokes it, or wins and this fails.
        const user = await tx.users.lockActive(ctx.workspaceId, userId);
        if (user === null) {
          const found = await tx.users.findById(ctx.workspaceId, userId);
          throw found === null ? new ClavisError('USER_NOT_FOUND', `no user ${userId} in this workspace`) : new ClavisError('USER_DISABLED', `user ${userId} is disabled`);
        }
        if (!roleWithin(input.role, user.role)) throw new ClavisError('ROLE_NOT_GRANTABLE', `a token for a ${user.role} user cannot have the ${input.role} role`);
      }
      await this.insert(tx, issued, { type: 'token', id: ctx.tokenId });
    });
    return issued;
  }

  async list(ctx: AuthContext, page: Page): Promise<AdminTokenRecord[]> {
    return this.#d.store.tokens.list(ctx.workspaceId, page);
  }

  async get(ctx: AuthContext, id: string): Promise<AdminTokenRecord> {
    const t = await this.#d.store.tokens.findById(ctx.workspaceId, id);
    if (t === null) throw new ClavisError('TOKEN_NOT_FOUND', `no admin token ${id} in this workspace`);
    return t;
  }

  async revoke(ctx: AuthContext, id: string): Promise<AdminTokenRecord> {
    const revoked = await this.#d.store.transact(async (tx) => {
      const t = await tx.tokens.findById(ctx.workspaceId, id);
      if (t === null) throw new ClavisError('TOKEN_NOT_FOUND', `no admin token ${id} in this workspace`);
      if (t.revokedAt !== null) throw new ClavisError('TOKEN_STATE_CONFLICT', 'the admin token is already revoked');
      if (!canGrant(ctx.role, t.role)) throw new ClavisError('ROLE_NOT_GRANTABLE', `a ${ctx.role} token cannot revoke a ${t.role} token`);
      const next = await tx.tokens.revoke(ctx.workspaceId, id, this.#d.clock.now());
      if (next === null) throw new ClavisError('TOKEN_NOT_FOUND', `no admin token ${id} in this workspace`);
      await tx.changes.announce({ kind: 'token', hash: next.hash });
      await this.#d.audit.append(tx, {
        workspaceId: ctx.workspaceId,
        actor: { type: 'token', id: ctx.tokenId },
        action: 'token.revoked',
        target: { type: 'token', id },
        data: auditView(next),
      });
      return next;
    });
    this.#cache.delete(revoked.hash);
    return revoked;
  }
}
