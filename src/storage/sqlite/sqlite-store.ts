import Database from 'better-sqlite3';
import type { Statement } from 'better-sqlite3';
import type { AuditFilter, AuditRepo, KeyFilter, KeyRepo, Repos, Store, TokenRepo, WorkspaceRepo } from '../../core/ports/store.ts';
import type { ApiKeyPatch } from '../../core/model.ts';
import { createMutex } from '../common/mutex.ts';
import { NO_ANNOUNCE, NO_WATCH } from '../common/no-change-feed.ts';
import { eventTimeMs, transactionEnded } from '../common/records.ts';
import {
  BEFORE_ALL_IDS,
  checkpointFromRow,
  clampLimit,
  eventFromRow,
  keyFromRow,
  tokenFromRow,
  workspaceFromRow,
  type CheckpointRow,
  type EventRow,
  type KeyRow,
  type TokenRow,
  type WorkspaceRow,
} from '../common/rows.ts';
import { migrateSqlite } from './sqlite-migrate.ts';
import { makeSqliteVaultRepos, prepareVaultStatements, type VaultStatements } from './vault-repos.ts';
import { makeSqliteMonitorRepos, prepareMonitorStatements, type MonitorStatements } from './monitor-repos.ts';
import { makeSqliteWebhookRepos, prepareWebhookStatements, type WebhookStatements } from './webhook-repos.ts';
import { makeSqliteSigningSecretRepos, prepareSigningSecretStatements, type SigningSecretStatements } from './signing-secret-repos.ts';
import { makeSqliteSchedulerRepos, prepareSchedulerStatements, type SchedulerStatements } from './scheduler-repos.ts';
import { makeSqlitePaperRepos, preparePaperStatements, type PaperStatements } from './paper-repos.ts';
import { makeSqliteUserRepos, prepareUserStatements, type UserStatements } from './user-repos.ts';

export interface SqliteStoreOptions {
  /** File path, or ':memory:' for a private in-memory database. */
  path: string;
  /**
   * `full` (default) syncs the WAL on every commit, so an acknowledged write survives kill -9 and
   * power loss; `normal` may lose the last commits on power loss (never corrupts).
   */
  synchronous?: 'full' | 'normal';
}

const BUSY_TIMEOUT_MS = 5000;

type Params = Record<string, string | number | null>;

const parseJson = (value: unknown): unknown => JSON.parse(value as string);

/** Runs a synchronous database operation; the promise settles with its outcome. */
type Exec = <T>(op: () => T) => Promise<T>;

function prepareStatements(db: Database.Database) {
  return {
    begin: db.prepare('BEGIN IMMEDIATE'),
    commit: db.prepare('COMMIT'),
    rollback: db.prepare('ROLLBACK'),
    ping: db.prepare('SELECT 1'),

    insertWorkspace: db.prepare<[Params]>(
      'INSERT INTO workspaces (id, name, created_at, operator) VALUES (@id, @name, @created_at, @operator)',
    ),
    findWorkspace: db.prepare<[string], WorkspaceRow>('SELECT * FROM workspaces WHERE id = ?'),
    listWorkspaces: db.prepare<[string, number], WorkspaceRow>('SELECT * FROM workspaces WHERE id > ? ORDER BY id LIMIT ?'),

    insertKey: db.prepare<[Params]>(
      `INSERT INTO api_keys (id, workspace_id, name, environment, start, hash, scopes, status, created_at,
         updated_at, expires_at, ip_allowlist, metadata, owner_id, replaces_id, replaced_by_id, revoked_at,
         revoke_reason, suspended_at, enforcement, rotation)
       VALUES (@id, @workspace_id, @name, @environment, @start, @hash, @scopes, @status, @created_at,
         @updated_at, @expires_at, @ip_allowlist, @metadata, @owner_id, @replaces_id, @replaced_by_id,
         @revoked_at, @revoke_reason, @suspended_at, @enforcement, @rotation)`,
    ),
    findKey: db.prepare<[string, string], KeyRow>('SELECT * FROM api_keys WHERE id = ? AND workspace_id = ?'),
    findKeyByHash: db.prepare<[string], KeyRow>('SELECT * FROM api_keys WHERE hash = ?'),
    // One static statement for every patch shape: each field carries a "given" flag, so a patch
    // can set a column to NULL and absent fields keep their value.
    updateKey: db.prepare<[Params], KeyRow>(
      `UPDATE api_keys SET
         name = CASE WHEN @set_name THEN @name ELSE name END,
         scopes = CASE WHEN @set_scopes THEN @scopes ELSE scopes END,
         status = CASE WHEN @set_status THEN @status ELSE status END,
         updated_at = CASE WHEN @set_updated_at THEN @updated_at ELSE updated_at END,
         expires_at = CASE WHEN @set_expires_at THEN @expires_at ELSE expires_at END,
         ip_allowlist = CASE WHEN @set_ip_allowlist THEN @ip_allowlist ELSE ip_allowlist END,
         metadata = CASE WHEN @set_metadata THEN @metadata ELSE metadata END,
         replaced_by_id = CASE WHEN @set_replaced_by_id THEN @replaced_by_id ELSE replaced_by_id END,
         revoked_at = CASE WHEN @set_revoked_at THEN @revoked_at ELSE revoked_at END,
         revoke_reason = CASE WHEN @set_revoke_reason THEN @revoke_reason ELSE revoke_reason END,
         suspended_at = CASE WHEN @set_suspended_at THEN @suspended_at ELSE suspended_at END,
         enforcement = CASE WHEN @set_enforcement THEN @enforcement ELSE enforcement END,
         rotation = CASE WHEN @set_rotation THEN @rotation ELSE rotation END
       WHERE id = @id AND workspace_id = @workspace_id
       RETURNING *`,
    ),

    insertToken: db.prepare<[Params]>(
      `INSERT INTO admin_tokens (id, workspace_id, name, role, hash, start, created_at, expires_at, revoked_at, created_by, user_id)
       VALUES (@id, @workspace_id, @name, @role, @hash, @start, @created_at, @expires_at, @revoked_at, @created_by, @user_id)`,
    ),
    findToken: db.prepare<[string, string], TokenRow>('SELECT * FROM admin_tokens WHERE id = ? AND workspace_id = ?'),
    findTokenByHash: db.prepare<[string], TokenRow>('SELECT * FROM admin_tokens WHERE hash = ?'),
    revokeToken: db.prepare<[number, string, string], TokenRow>(
      'UPDATE admin_tokens SET revoked_at = ? WHERE id = ? AND workspace_id = ? RETURNING *',
    ),
    listTokens: db.prepare<[string, string, number], TokenRow>(
      'SELECT * FROM admin_tokens WHERE workspace_id = ? AND id > ? ORDER BY id LIMIT ?',
    ),
    anyOwner: db.prepare<[], { found: number }>("SELECT EXISTS (SELECT 1 FROM admin_tokens WHERE role = 'owner') AS found"),
    // @roles is a JSON array of roles, or NULL for every role.
    revokeForUser: db.prepare<[Params], TokenRow>(
      `UPDATE admin_tokens SET revoked_at = @at
       WHERE workspace_id = @workspace_id AND user_id = @user_id AND revoked_at IS NULL
         AND (@roles IS NULL OR role IN (SELECT value FROM json_each(@roles)))
       RETURNING *`,
    ),

    nextSeq: db.prepare<[string], { seq: number }>(
      `INSERT INTO audit_heads (workspace_id, size) VALUES (?, 1)
       ON CONFLICT (workspace_id) DO UPDATE SET size = audit_heads.size + 1
       RETURNING size - 1 AS seq`,
    ),
    insertEvent: db.prepare<[Params]>(
      `INSERT INTO audit_events (workspace_id, seq, id, time, time_ms, actor_type, actor_id, action, target_type,
         target_id, data, leaf_hash)
       VALUES (@workspace_id, @seq, @id, @time, @time_ms, @actor_type, @actor_id, @action, @target_type,
         @target_id, @data, @leaf_hash)`,
    ),
    findEvent: db.prepare<[string, number], EventRow>('SELECT * FROM audit_events WHERE workspace_id = ? AND seq = ?'),
    leafHashes: db.prepare<[string, number, number], { leaf_hash: string }>(
      'SELECT leaf_hash FROM audit_events WHERE workspace_id = ? AND seq >= ? AND seq < ? ORDER BY seq',
    ),
    // The log is gapless, so max(seq) + 1 is its size; unlike count(*) it is one index probe.
    auditSize: db.prepare<[string], { size: number }>(
      'SELECT COALESCE(MAX(seq) + 1, 0) AS size FROM audit_events WHERE workspace_id = ?',
    ),
    insertCheckpoint: db.prepare<[Params]>(
      `INSERT INTO audit_checkpoints (workspace_id, tree_size, root_hash, created_at, note)
       VALUES (@workspace_id, @tree_size, @root_hash, @created_at, @note)
       ON CONFLICT (workspace_id, tree_size) DO NOTHING`,
    ),
    listCheckpoints: db.prepare<[string, number, number], CheckpointRow>(
      'SELECT * FROM audit_checkpoints WHERE workspace_id = ? AND tree_size < ? ORDER BY tree_size DESC LIMIT ?',
    ),
    latestCheckpoint: db.prepare<[string], CheckpointRow>(
      'SELECT * FROM audit_checkpoints WHERE workspace_id = ? ORDER BY tree_size DESC LIMIT 1',
    ),
    checkpointCovering: db.prepare<[string, number], CheckpointRow>(
      'SELECT * FROM audit_checkpoints WHERE workspace_id = ? AND tree_size >= ? ORDER BY tree_size LIMIT 1',
    ),
    workspacesNeedingCheckpoint: db.prepare<[], { workspace_id: string }>(
      `SELECT h.workspace_id FROM audit_heads h
       WHERE h.size > COALESCE((SELECT MAX(c.tree_size) FROM audit_checkpoints c WHERE c.workspace_id = h.workspace_id), 0)
       ORDER BY h.workspace_id`,
    ),
  };
}

type Statements = ReturnType<typeof prepareStatements>;

/**
 * List queries whose WHERE clause depends on which filters are set. One statement per filter
 * shape, prepared on first use: a catch-all `(@x IS NULL OR col = @x)` would keep SQLite from
 * using the actor, target and owner indexes.
 */
function statementCache<R>(db: Database.Database): (sql: string) => Statement<[Params], R> {
  const cache = new Map<string, Statement<[Params], R>>();
  return (sql) => {
    let stmt = cache.get(sql);
    if (!stmt) {
      stmt = db.prepare<[Params], R>(sql);
      cache.set(sql, stmt);
    }
    return stmt;
  };
}

function patchParams(workspaceId: string, id: string, patch: ApiKeyPatch): Params {
  const params: Params = { id, workspace_id: workspaceId };
  const set = (column: string, given: boolean, value: string | number | null): void => {
    params[`set_${column}`] = given ? 1 : 0;
    params[column] = given ? value : null;
  };
  set('name', patch.name !== undefined, patch.name ?? null);
  set('scopes', patch.scopes !== undefined, JSON.stringify(patch.scopes ?? null));
  set('status', patch.status !== undefined, patch.status ?? null);
  set('updated_at', patch.updatedAt !== undefined, patch.updatedAt ?? null);
  set('expires_at', patch.expiresAt !== undefined, patch.expiresAt ?? null);
  set('ip_allowlist', patch.ipAllowlist !== undefined, JSON.stringify(patch.ipAllowlist ?? null));
  set('metadata', patch.metadata !== undefined, JSON.stringify(patch.metadata ?? null));
  set('replaced_by_id', patch.replacedById !== undefined, patch.replacedById ?? null);
  set('revoked_at', patch.revokedAt !== undefined, patch.revokedAt ?? null);
  set('revoke_reason', patch.revokeReason !== undefined, patch.revokeReason ?? null);
  set('suspended_at', patch.suspendedAt !== undefined, patch.suspendedAt ?? null);
  set('enforcement', patch.enforcement !== undefined, JSON.stringify(patch.enforcement ?? null));
  set('rotation', patch.rotation !== undefined, patch.rotation === undefined || patch.rotation === null ? null : JSON.stringify(patch.rotation));
  return params;
}

function makeRepos(
  s: Statements,
  vs: VaultStatements,
  ms: MonitorStatements,
  ps: PaperStatements,
  us: UserStatements,
  whs: WebhookStatements,
  sss: SigningSecretStatements,
  schs: SchedulerStatements,
  keyList: (sql: string) => Statement<[Params], KeyRow>,
  eventList: (sql: string) => Statement<[Params], EventRow>,
  exec: Exec,
): Repos {
  const workspaces: WorkspaceRepo = {
    insert: (ws) =>
      exec(() => {
        s.insertWorkspace.run({ id: ws.id, name: ws.name, created_at: ws.createdAt, operator: ws.operator ? 1 : 0 });
      }),
    findById: (id) =>
      exec(() => {
        const row = s.findWorkspace.get(id);
        return row ? workspaceFromRow(row) : null;
      }),
    list: (page) =>
      exec(() => s.listWorkspaces.all(page.afterId ?? BEFORE_ALL_IDS, clampLimit(page.limit)).map(workspaceFromRow)),
  };

  const keys: KeyRepo = {
    insert: (key) =>
      exec(() => {
        s.insertKey.run({
          id: key.id,
          workspace_id: key.workspaceId,
          name: key.name,
          environment: key.environment,
          start: key.start,
          hash: key.hash,
          scopes: JSON.stringify(key.scopes),
          status: key.status,
          created_at: key.createdAt,
          updated_at: key.updatedAt,
          expires_at: key.expiresAt,
          ip_allowlist: JSON.stringify(key.ipAllowlist),
          metadata: JSON.stringify(key.metadata),
          owner_id: key.ownerId,
          replaces_id: key.replacesId,
          replaced_by_id: key.replacedById,
          revoked_at: key.revokedAt,
          revoke_reason: key.revokeReason,
          suspended_at: key.suspendedAt,
          enforcement: JSON.stringify(key.enforcement),
          rotation: key.rotation === null ? null : JSON.stringify(key.rotation),
        });
      }),
    findById: (workspaceId, id) =>
      exec(() => {
        const row = s.findKey.get(id, workspaceId);
        return row ? keyFromRow(row, parseJson) : null;
      }),
    findByHash: (hash) =>
      exec(() => {
        const row = s.findKeyByHash.get(hash);
        return row ? keyFromRow(row, parseJson) : null;
      }),
    update: (workspaceId, id, patch) =>
      exec(() => {
        const row = s.updateKey.get(patchParams(workspaceId, id, patch));
        return row ? keyFromRow(row, parseJson) : null;
      }),
    list: (workspaceId, filter: KeyFilter) =>
      exec(() => {
        const where = ['workspace_id = @workspace_id', 'id > @after_id'];
        const params: Params = {
          workspace_id: workspaceId,
          after_id: filter.afterId ?? BEFORE_ALL_IDS,
          limit: clampLimit(filter.limit),
        };
        if (filter.environment !== undefined) {
          where.push('environment = @environment');
          params.environment = filter.environment;
        }
        if (filter.status !== undefined) {
          where.push('status = @status');
          params.status = filter.status;
        }
        if (filter.ownerId !== undefined) {
          where.push('owner_id = @owner_id');
          params.owner_id = filter.ownerId;
        }
        const sql = `SELECT * FROM api_keys WHERE ${where.join(' AND ')} ORDER BY id LIMIT @limit`;
        return keyList(sql)
          .all(params)
          .map((row) => keyFromRow(row, parseJson));
      }),
  };

  const tokens: TokenRepo = {
    insert: (token) =>
      exec(() => {
        s.insertToken.run({
          id: token.id,
          workspace_id: token.workspaceId,
          name: token.name,
          role: token.role,
          hash: token.hash,
          start: token.start,
          created_at: token.createdAt,
          expires_at: token.expiresAt,
          revoked_at: token.revokedAt,
          created_by: token.createdBy,
          user_id: token.userId,
        });
      }),
    findById: (workspaceId, id) =>
      exec(() => {
        const row = s.findToken.get(id, workspaceId);
        return row ? tokenFromRow(row) : null;
      }),
    findByHash: (hash) =>
      exec(() => {
        const row = s.findTokenByHash.get(hash);
        return row ? tokenFromRow(row) : null;
      }),
    revoke: (workspaceId, id, at) =>
      exec(() => {
        const row = s.revokeToken.get(at, id, workspaceId);
        return row ? tokenFromRow(row) : null;
      }),
    list: (workspaceId, page) =>
      exec(() =>
        s.listTokens.all(workspaceId, page.afterId ?? BEFORE_ALL_IDS, clampLimit(page.limit)).map(tokenFromRow),
      ),
    anyOwner: () => exec(() => s.anyOwner.get()?.found === 1),
    revokeForUser: (workspaceId, userId, at, roles) =>
      exec(() =>
        s.revokeForUser
          .all({ workspace_id: workspaceId, user_id: userId, at, roles: roles === undefined ? null : JSON.stringify(roles) })
          .map(tokenFromRow)
          .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)),
      ),
  };

  const audit: AuditRepo = {
    nextSeq: (workspaceId) =>
      exec(() => {
        const row = s.nextSeq.get(workspaceId);
        if (!row) throw new Error('audit_heads upsert returned no row');
        return row.seq;
      }),
    insert: (event, leafHash) =>
      exec(() => {
        s.insertEvent.run({
          workspace_id: event.workspaceId,
          seq: event.seq,
          id: event.id,
          time: event.time,
          time_ms: eventTimeMs(event.time),
          actor_type: event.actor.type,
          actor_id: event.actor.id,
          action: event.action,
          target_type: event.target?.type ?? null,
          target_id: event.target?.id ?? null,
          data: JSON.stringify(event.data),
          leaf_hash: leafHash,
        });
      }),
    list: (workspaceId, filter: AuditFilter) =>
      exec(() => {
        const where = ['workspace_id = @workspace_id'];
        const params: Params = { workspace_id: workspaceId, limit: clampLimit(filter.limit) };
        const add = (clause: string, name: string, value: string | number | undefined): void => {
          if (value === undefined) return;
          where.push(clause);
          params[name] = value;
        };
        add('seq >= @from_seq', 'from_seq', filter.fromSeq);
        add('seq <= @to_seq', 'to_seq', filter.toSeq);
        add('time_ms >= @since', 'since', filter.since);
        add('time_ms <= @until', 'until', filter.until);
        add('actor_id = @actor_id', 'actor_id', filter.actorId);
        add('target_id = @target_id', 'target_id', filter.targetId);
        add('action = @action', 'action', filter.action);
        const sql = `SELECT * FROM audit_events WHERE ${where.join(' AND ')} ORDER BY seq LIMIT @limit`;
        return eventList(sql)
          .all(params)
          .map((row) => eventFromRow(row, parseJson));
      }),
    findBySeq: (workspaceId, seq) =>
      exec(() => {
        const row = s.findEvent.get(workspaceId, seq);
        return row ? eventFromRow(row, parseJson) : null;
      }),
    leafHashes: (workspaceId, fromSeq, toSeq) =>
      exec(() => s.leafHashes.all(workspaceId, fromSeq, toSeq).map((r) => r.leaf_hash)),
    size: (workspaceId) => exec(() => s.auditSize.get(workspaceId)?.size ?? 0),
    insertCheckpoint: (cp) =>
      exec(() => {
        s.insertCheckpoint.run({
          workspace_id: cp.workspaceId,
          tree_size: cp.treeSize,
          root_hash: cp.rootHash,
          created_at: cp.createdAt,
          note: cp.note,
        });
      }),
    listCheckpoints: (workspaceId, limit, beforeTreeSize) =>
      exec(() =>
        s.listCheckpoints
          .all(workspaceId, beforeTreeSize ?? Number.MAX_SAFE_INTEGER, clampLimit(limit))
          .map(checkpointFromRow),
      ),
    latestCheckpoint: (workspaceId) =>
      exec(() => {
        const row = s.latestCheckpoint.get(workspaceId);
        return row ? checkpointFromRow(row) : null;
      }),
    checkpointCovering: (workspaceId, minTreeSize) =>
      exec(() => {
        const row = s.checkpointCovering.get(workspaceId, minTreeSize);
        return row ? checkpointFromRow(row) : null;
      }),
    workspacesNeedingCheckpoint: () => exec(() => s.workspacesNeedingCheckpoint.all().map((r) => r.workspace_id)),
  };

  return { workspaces, keys, tokens, audit, changes: NO_ANNOUNCE, ...makeSqliteVaultRepos(vs, exec), ...makeSqliteMonitorRepos(ms, exec), ...makeSqlitePaperRepos(ps, exec), ...makeSqliteUserRepos(us, exec), ...makeSqliteWebhookRepos(whs, exec), ...makeSqliteSigningSecretRepos(sss, exec), ...makeSqliteSchedulerRepos(schs, exec) };
}

/**
 * Opens (creating if needed) a SQLite database and applies pending migrations.
 *
 * One connection serves everything. Transactions are serialised by a promise mutex, and plain
 * calls made while one is open wait for it, so nothing outside a transaction sees its uncommitted
 * changes. Consequence: calling the outer store (not the `tx` repos) inside `transact` deadlocks.
 *
 * @example const store = openSqliteStore({ path: '.clavis/clavis.db' })
 */
export function openSqliteStore(opts: SqliteStoreOptions): Store {
  const db = new Database(opts.path);
  let s: Statements;
  let vs: VaultStatements;
  let ms: MonitorStatements;
  let ps: PaperStatements;
  let us: UserStatements;
  let whs: WebhookStatements;
  let sss: SigningSecretStatements;
  let schs: SchedulerStatements;
  let keyList: (sql: string) => Statement<[Params], KeyRow>;
  let eventList: (sql: string) => Statement<[Params], EventRow>;
  try {
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${opts.synchronous === 'normal' ? 'NORMAL' : 'FULL'}`);
    db.pragma('foreign_keys = ON');
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    migrateSqlite(db);
    s = prepareStatements(db);
    vs = prepareVaultStatements(db);
    ms = prepareMonitorStatements(db);
    ps = preparePaperStatements(db);
    us = prepareUserStatements(db);
    whs = prepareWebhookStatements(db);
    sss = prepareSigningSecretStatements(db);
    schs = prepareSchedulerStatements(db);
    keyList = statementCache<KeyRow>(db);
    eventList = statementCache<EventRow>(db);
  } catch (err) {
    db.close();
    throw err;
  }

  const mutex = createMutex();
  const run = <T>(op: () => T): T => {
    if (!db.open) throw new Error('sqlite store is closed');
    return op();
  };
  const direct = makeRepos(s, vs, ms, ps, us, whs, sss, schs, keyList, eventList, async (op) => (mutex.busy ? mutex.run(() => run(op)) : run(op)));

  return {
    kind: 'sqlite',
    ...direct,
    transact: <T>(fn: (tx: Repos) => Promise<T>) =>
      mutex.run(async () => {
        run(() => s.begin.run());
        let active = true;
        const tx = makeRepos(s, vs, ms, ps, us, whs, sss, schs, keyList, eventList, async (op) => {
          if (!active) throw transactionEnded();
          return run(op);
        });
        try {
          const result = await fn(tx);
          active = false;
          s.commit.run();
          return result;
        } catch (err) {
          active = false;
          // COMMIT may itself have failed (disk full, I/O error) and left the transaction open.
          if (db.open && db.inTransaction) s.rollback.run();
          throw err;
        }
      }),
    watch: NO_WATCH,
    ping: async () => {
      run(() => s.ping.get());
    },
    close: async () => {
      await mutex.run(() => {
        if (db.open) db.close();
      });
    },
  };
}
