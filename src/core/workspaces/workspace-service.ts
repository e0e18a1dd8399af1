import type { AuditLog } from '../audit/audit-log.ts';
import type { AuthContext, IssuedToken, TokenService } from '../auth/token-service.ts';
import type { Clock } from '../clock.ts';
import { ClavisError } from '../errors/registry.ts';
import type { IdGenerator } from '../ids.ts';
import type { Workspace } from '../model.ts';
import type { Store } from '../ports/store.ts';

export interface WorkspaceServiceDeps {
  store: Store;
  audit: AuditLog;
  tokens: TokenService;
  clock: Clock;
  ids: IdGenerator;
}

export interface NewWorkspace {
  workspace: Workspace;
  ownerToken: IssuedToken;
}

/** Workspaces (tenants): every key, event and admin token belongs to exactly one. */
export class WorkspaceService {
  readonly #d: WorkspaceServiceDeps;

  constructor(deps: WorkspaceServiceDeps) {
    this.#d = deps;
  }

  /**
   * On an empty store (no owner token yet) creates the operator workspace and its owner token.
   * Returns null when the store already has an owner: bootstrap never runs twice.
   */
  async bootstrap(name = 'default'): Promise<NewWorkspace | null> {
    if (await this.#d.store.tokens.anyOwner()) return null;
    return this.#create(name, true, { type: 'system', id: 'bootstrap' });
  }

  async #create(name: string, operator: boolean, actor: { type: 'token' | 'system'; id: string }, creator?: AuthContext): Promise<NewWorkspace> {
    const workspace: Workspace = { id: this.#d.ids('ws'), name, createdAt: this.#d.clock.now(), operator };
    const ownerToken = this.#d.tokens.mint(workspace.id, { name: `${name} owner`, role: 'owner' }, creator?.tokenId ?? null);
    await this.#d.store.transact(async (tx) => {
      await tx.workspaces.insert(workspace);
      await this.#d.audit.append(tx, { workspaceId: workspace.id, actor, action: 'workspace.created', target: { type: 'workspace', id: workspace.id }, data: { name, operator } });
      await this.#d.tokens.insert(tx, ownerToken, actor);
      if (creator !== undefined) {
        await this.#d.audit.append(tx, { workspaceId: creator.workspaceId, actor, action: 'workspace.created', target: { type: 'workspace', id: workspace.id }, data: { name, operator } });
      }
    });
    return { workspace, ownerToken };
  }

  /** Creates a tenant workspace; only owners of the operator workspace may. */
  async create(ctx: AuthContext, name: string): Promise<NewWorkspace> {
    const mine = await this.get(ctx.workspaceId);
    if (!mine.operator || ctx.role !== 'owner') throw new ClavisError('PERMISSION_DENIED', 'only owners of the operator workspace create workspaces');
    return this.#create(name, false, { type: 'token', id: ctx.tokenId }, ctx);
  }

  async get(id: string): Promise<Workspace> {
    const ws = await this.#d.store.workspaces.findById(id);
    if (ws === null) throw new ClavisError('WORKSPACE_NOT_FOUND', `no workspace ${id}`);
    return ws;
  }
}
