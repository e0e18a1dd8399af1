import type { AuditLog } from '../audit/audit-log.ts';
import { canGrant, roleWithin } from '../auth/permissions.ts';
import type { AuthContext } from '../auth/token-service.ts';
import type { Clock } from '../clock.ts';
import { ClavisError } from '../errors/registry.ts';
import type { IdGenerator } from '../ids.ts';
import { ROLES, type AdminTokenRecord, type Role } from '../model.ts';
import type { Page, Repos, Store, UserRecord } from '../ports/store.ts';
import { normaliseEmail } from './email.ts';

export interface UserServiceDeps {
  store: Store;
  audit: AuditLog;
  clock: Clock;
  ids: IdGenerator;
  /** Drops revoked tokens from this node's cache after the change commits (other nodes hear it from the change feed). */
  onTokenRevoked: (hash: string) => void;
}

export interface CreateUserInput {
  email: string;
  name: string;
  role: Role;
}

export interface UpdateUserInput {
  name?: string;
  role?: Role;
}

/** A user with whether it has confirmed TOTP. */
export interface UserSummary {
  user: UserRecord;
  mfaEnrolled: boolean;
}

function auditView(u: UserRecord): Record<string, unknown> {
  return { email: u.email, name: u.name, role: u.role };
}

function actorOf(ctx: AuthContext): { type: 'token'; id: string } {
  return { type: 'token', id: ctx.tokenId };
}

/**
 * Users of a workspace: the people admin tokens are issued for. A user's role caps its tokens;
 * lowering it revokes the tokens above the new role, disabling it revokes them all. Only owners
 * manage owners, and nobody grants above their own role (the `canGrant` rule of tokens).
 */
export class UserService {
  readonly #d: UserServiceDeps;

  constructor(deps: UserServiceDeps) {
    this.#d = deps;
  }

  /**
   * @example await users.create(ctx, { email: 'ada@example.com', name: 'Ada', role: 'developer' })
   */
  async create(ctx: AuthContext, input: CreateUserInput): Promise<UserRecord> {
    if (!canGrant(ctx.role, input.role)) throw new ClavisError('ROLE_NOT_GRANTABLE', `a ${ctx.role} token cannot create a ${input.role} user`);
    const now = this.#d.clock.now();
    const user: UserRecord = { id: this.#d.ids('usr'), workspaceId: ctx.workspaceId, email: normaliseEmail(input.email), name: input.name, role: input.role, createdAt: now, updatedAt: now, disabledAt: null };
    await this.#d.store.transact(async (tx) => {
      if (!(await tx.users.add(user))) throw new ClavisError('USER_EXISTS', `a user with email ${user.email} exists in this workspace`);
      await this.#d.audit.append(tx, { workspaceId: ctx.workspaceId, actor: actorOf(ctx), action: 'user.created', target: { type: 'user', id: user.id }, data: auditView(user) });
    });
    return user;
  }

  async get(ctx: AuthContext, id: string): Promise<UserRecord> {
    const u = await this.#d.store.users.findById(ctx.workspaceId, id);
    if (u === null) throw new ClavisError('USER_NOT_FOUND', `no user ${id} in this workspace`);
    return u;
  }

  async summary(ctx: AuthContext, id: string): Promise<UserSummary> {
    const user = await this.get(ctx, id);
    return { user, mfaEnrolled: (await this.#d.store.mfa.confirmedAmong(ctx.workspaceId, [id])).length === 1 };
  }

  async list(ctx: AuthContext, page: Page): Promise<UserSummary[]> {
    const users = await this.#d.store.users.list(ctx.workspaceId, page);
    const enrolled = new Set(await this.#d.store.mfa.confirmedAmong(ctx.workspaceId, users.map((u) => u.id)));
    return users.map((user) => ({ user, mfaEnrolled: enrolled.has(user.id) }));
  }

  /** Renames and/or changes the role; a lower role revokes the user's tokens that exceed it. */
  async update(ctx: AuthContext, id: string, input: UpdateUserInput): Promise<UserRecord> {
    const { user, revoked } = await this.#d.store.transact(async (tx) => {
      const current = await tx.users.lockActive(ctx.workspaceId, id);
      if (current === null) throw await this.#missingOrDisabled(tx, ctx.workspaceId, id);
      const role = input.role;
      const roleChanges = role !== undefined && role !== current.role;
      if (roleChanges && (!canGrant(ctx.role, current.role) || !canGrant(ctx.role, role))) {
        throw new ClavisError('ROLE_NOT_GRANTABLE', `a ${ctx.role} token cannot change a ${current.role} user to ${role}`);
      }
      const next = await tx.users.update(ctx.workspaceId, id, { updatedAt: this.#d.clock.now(), ...(input.name !== undefined ? { name: input.name } : {}), ...(roleChanges ? { role } : {}) });
      if (next === null) throw new ClavisError('USER_NOT_FOUND', `no user ${id} in this workspace`);
      const changed = [...(input.name !== undefined && input.name !== current.name ? ['name'] : []), ...(roleChanges ? ['role'] : [])];
      await this.#d.audit.append(tx, {
        workspaceId: ctx.workspaceId,
        actor: actorOf(ctx),
        action: 'user.updated',
        target: { type: 'user', id },
        data: { ...auditView(next), changed, ...(roleChanges ? { previousRole: current.role } : {}) },
      });
      const above = ROLES.filter((r) => !roleWithin(r, next.role));
      const gone = roleChanges && above.length > 0 ? await this.#revokeTokens(tx, ctx, id, above, 'user role lowered') : [];
      return { user: next, revoked: gone };
    });
    for (const t of revoked) this.#d.onTokenRevoked(t.hash);
    return user;
  }

  /** Disables the user and revokes every token issued for it, with an audit event for each. */
  async disable(ctx: AuthContext, id: string): Promise<{ user: UserRecord; revokedTokens: number }> {
    const { user, revoked } = await this.#d.store.transact(async (tx) => {
      const current = await tx.users.lockActive(ctx.workspaceId, id);
      if (current === null) throw await this.#missingOrDisabled(tx, ctx.workspaceId, id);
      if (!canGrant(ctx.role, current.role)) throw new ClavisError('ROLE_NOT_GRANTABLE', `a ${ctx.role} token cannot disable a ${current.role} user`);
      const next = await tx.users.disable(ctx.workspaceId, id, this.#d.clock.now());
      if (next === null) throw new ClavisError('USER_DISABLED', `user ${id} is already disabled`);
      const gone = await this.#revokeTokens(tx, ctx, id, undefined, 'user disabled');
      await this.#d.audit.append(tx, { workspaceId: ctx.workspaceId, actor: actorOf(ctx), action: 'user.disabled', target: { type: 'user', id }, data: { ...auditView(next), revokedTokens: gone.map((t) => t.id) } });
      return { user: next, revoked: gone };
    });
    for (const t of revoked) this.#d.onTokenRevoked(t.hash);
    return { user, revokedTokens: revoked.length };
  }

  async #missingOrDisabled(tx: Repos, workspaceId: string, id: string): Promise<ClavisError> {
    return (await tx.users.findById(workspaceId, id)) === null ? new ClavisError('USER_NOT_FOUND', `no user ${id} in this workspace`) : new ClavisError('USER_DISABLED', `user ${id} is disabled`);
  }

  async #revokeTokens(tx: Repos, ctx: AuthContext, userId: string, roles: readonly Role[] | undefined, reason: string): Promise<AdminTokenRecord[]> {
    const revoked = await tx.tokens.revokeForUser(ctx.workspaceId, userId, this.#d.clock.now(), roles);
    for (const t of revoked) {
      await tx.changes.announce({ kind: 'token', hash: t.hash });
      await this.#d.audit.append(tx, { workspaceId: ctx.workspaceId, actor: actorOf(ctx), action: 'token.revoked', target: { type: 'token', id: t.id }, data: { name: t.name, role: t.role, start: t.start, userId, reason } });
    }
    return revoked;
  }
}
