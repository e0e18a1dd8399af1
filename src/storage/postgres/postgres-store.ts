import { Pool, TypeOverrides, types } from 'pg';
import type { PoolClient, PoolConfig, QueryResultRow } from 'pg';
import type { AuditFilter, AuditRepo, ChangeRepo, KeyFilter, KeyRepo, Repos, Store, TokenRepo, WorkspaceRepo } from '../../core/ports/store.ts';
import { changeChannel, encodeChange, watchPostgresChanges } from './postgres-change-feed.ts';
import type { ApiKeyPatch } from '../../core/model.ts';
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
import { mapPgError, storeUnavailable } from './postgres-errors.ts';
import { migratePostgres } from './postgres-migrate.ts';
import { makePostgresVaultRepos } from './vault-repos.ts';
import { makePostgresMonitorRepos } from './monitor-repos.ts';
import { makePostgresWebhookRepos } from './webhook-repos.ts';
import { makePostgresSchedulerRepos } from './scheduler-repos.ts';
import { makePostgresSigningSecretRepos } from './signing-secret-repos.ts';
import { makePostgresPaperRepos } from './paper-repos.ts';
import { makePostgresUserRepos } from './user-repos.ts';

export interface PostgresStoreOptions {
  /** postgres:// or postgresql:// connection URL. */
  url: string;
  /** Schema to hold the tables, created when missing; otherwise the server's search_path decides. */
  schema?: string;
  /** Pool size; default 10. */
  poolSize?: number;
}

const DEFAULT_POOL_SIZE = 10;
/** A blackholed host would otherwise hang a request for the OS TCP timeout. */
const CONNECT_TIMEOUT_MS = 5000;
/** Unquoted so it can go in the startup `options` as is; lower case so it means the same unquoted. */
const SCHEMA_PATTERN = /^[a-z_][a-z0-9_]{0,62}$/;

const asIs = (value: unknown): unknown => value;

/** Runs one statement and returns its rows. */
type Run = <R extends QueryResultRow>(text: string, values: unknown[]) => Promise<R[]>;

/**
 * Every statement is a named prepared statement (parsed once per connection). Names are handed
 * out per distinct text, so the few dynamic list shapes get their own.
 */
const statementNames = new Map<string, string>();
function statementName(text: string): string {
  let name = statementNames.get(text);
  if (name === undefined) {
    name = `clavis_${statementNames.size}`;
    statementNames.set(text, name);
  }
  return name;
}

async function query<R extends QueryResultRow>(client: PoolClient, text: string, values: unknown[]): Promise<R[]> {
  const result = await client.query<R>({ name: statementName(text), text, values });
  return result.rows;
}

/** BIGINT (epoch ms, seqs, counters) as JS numbers for this pool only; never silently rounded. */
function poolTypes(): TypeOverrides {
  const overrides = new TypeOverrides();
  overrides.setTypeParser(types.builtins.INT8, (text: string) => {
    const n = Number(text);
    if (!Number.isSafeInteger(n)) throw new RangeError(`BIGINT ${text} is beyond Number.MAX_SAFE_INTEGER`);
    return n;
  });
  return overrides;
}

async function connect(pool: Pool): Promise<PoolClient> {
  try {
    return await pool.connect();
  } catch (err) {
    throw storeUnavailable(err);
  }
}

function json(value: unknown): string {
  return JSON.stringify(value);
}

const KEY_PATCH_SQL = `UPDATE api_keys SET
  name = CASE WHEN $3::boolean THEN $4::text ELSE name END,
  scopes = CASE WHEN $5::boolean THEN $6::jsonb ELSE scopes END,
  status = CASE WHEN $7::boolean THEN $8::text ELSE status END,
  updated_at = CASE WHEN $9::boolean THEN $10::bigint ELSE updated_at END,
  expires_at = CASE WHEN $11::boolean THEN $12::bigint ELSE expires_at END,
  ip_allowlist = CASE WHEN $13::boolean THEN $14::jsonb ELSE ip_allowlist END,
  metadata = CASE WHEN $15::boolean THEN $16::jsonb ELSE metadata END,
  replaced_by_id = CASE WHEN $17::boolean THEN $18::text ELSE replaced_by_id END,
  revoked_at = CASE WHEN $19::boolean THEN $20::bigint ELSE revoked_at END,
  revoke_reason = CASE WHEN $21::boolean THEN $22::text ELSE revoke_reason END,
  suspended_at = CASE WHEN $23::boolean THEN $24::bigint ELSE suspended_at END,
  enforcement = CASE WHEN $25::boolean THEN $26::jsonb ELSE enforcement END,
  rotation = CASE WHEN $27::boolean THEN $28::jsonb ELSE rotation END
WHERE id = $1 AND workspace_id = $2
RETURNING *`;

/** Parameters for KEY_PATCH_SQL: each field as a (given, value) pair, so a patch can set NULL. */
function patchValues(workspaceId: string, id: string, patch: ApiKeyPatch): unknown[] {
  const pair = (given: boolean, value: unknown): [boolean, unknown] => [given, given ? value : null];
  return [
    id,
    workspaceId,
    ...pair(patch.name !== undefined, patch.name),
    ...pair(patch.scopes !== undefined, json(patch.scopes)),
    ...pair(patch.status !== undefined, patch.status),
    ...pair(patch.updatedAt !== undefined, patch.updatedAt),
    ...pair(patch.expiresAt !== undefined, patch.expiresAt),
    ...pair(patch.ipAllowlist !== undefined, json(patch.ipAllowlist)),
    ...pair(patch.metadata !== undefined, json(patch.metadata)),
    ...pair(patch.replacedById !== undefined, patch.replacedById),
    ...pair(patch.revokedAt !== undefined, patch.revokedAt),
    ...pair(patch.revokeReason !== undefined, patch.revokeReason),
    ...pair(patch.suspendedAt !== undefined, patch.suspendedAt),
    ...pair(patch.enforcement !== undefined, json(patch.enforcement)),
    ...pair(patch.rotation !== undefined, patch.rotation === undefined || patch.rotation === null ? null : json(patch.rotation)),
  ];
}

function makeRepos(run: Run, channel: string): Repos {
  const first = async <R extends QueryResultRow>(text: string, values: unknown[]): Promise<R | null> =>
    (await run<R>(text, values))[0] ?? null;

  const workspaces: WorkspaceRepo = {
    insert: async (ws) => {
      await run('INSERT INTO workspaces (id, name, created_at, operator) VALUES ($1, $2, $3, $4)', [
        ws.id,
        ws.name,
        ws.createdAt,
        ws.operator,
      ]);
    },
    findById: async (id) => {
      const row = await first<WorkspaceRow>('SELECT * FROM workspaces WHERE id = $1', [id]);
      return row ? workspaceFromRow(row) : null;
    },
    list: async (page) =>
      (
        await run<WorkspaceRow>('SELECT * FROM workspaces WHERE id > $1 ORDER BY id LIMIT $2', [
          page.afterId ?? BEFORE_ALL_IDS,
          clampLimit(page.limit),
        ])
      ).map(workspaceFromRow),
  };

  const keys: KeyRepo = {
    insert: async (key) => {
      await run(
        `INSERT INTO api_keys (id, workspace_id, name, environment, start, hash, scopes, status, created_at,
           updated_at, expires_at, ip_allowlist, metadata, owner_id, replaces_id, replaced_by_id, revoked_at,
           revoke_reason, suspended_at, enforcement, rotation)
         VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8, $9, $10, $11, $12::jsonb, $13::jsonb, $14, $15, $16, $17, $18, $19, $20::jsonb, $21::jsonb)`,
        [
          key.id,
          key.workspaceId,
          key.name,
          key.environment,
          key.start,
          key.hash,
          json(key.scopes),
          key.status,
          key.createdAt,
          key.updatedAt,
          key.expiresAt,
          json(key.ipAllowlist),
          json(key.metadata),
          key.ownerId,
          key.replacesId,
          key.replacedById,
          key.revokedAt,
          key.revokeReason,
          key.suspendedAt,
          json(key.enforcement),
          key.rotation === null ? null : json(key.rotation),
        ],
      );
    },
    findById: async (workspaceId, id) => {
      const row = await first<KeyRow>('SELECT * FROM api_keys WHERE id = $1 AND workspace_id = $2', [id, workspaceId]);
      return row ? keyFromRow(row, asIs) : null;
    },
    findByHash: async (hash) => {
      const row = await first<KeyRow>('SELECT * FROM api_keys WHERE hash = $1', [hash]);
      return row ? keyFromRow(row, asIs) : null;
    },
    update: async (workspaceId, id, patch) => {
      const row = await first<KeyRow>(KEY_PATCH_SQL, patchValues(workspaceId, id, patch));
      return row ? keyFromRow(row, asIs) : null;
    },
    list: async (workspaceId, filter: KeyFilter) => {
      const values: unknown[] = [workspaceId, filter.afterId ?? BEFORE_ALL_IDS];
      const where = ['workspace_id = $1', 'id > $2'];
      const add = (column: string, value: string | undefined): void => {
        if (value === undefined) return;
        values.push(value);
        where.push(`${column} = $${values.length}`);
      };
      add('environment', filter.environment);
      add('status', filter.status);
      add('owner_id', filter.ownerId);
      values.push(clampLimit(filter.limit));
      const sql = `SELECT * FROM api_keys WHERE ${where.join(' AND ')} ORDER BY id LIMIT $${values.length}`;
      return (await run<KeyRow>(sql, values)).map((row) => keyFromRow(row, asIs));
    },
  };

  const tokens: TokenRepo = {
    insert: async (token) => {
      await run(
        `INSERT INTO admin_tokens (id, workspace_id, name, role, hash, start, created_at, expires_at, revoked_at, created_by, user_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
        [
          token.id,
          token.workspaceId,
          token.name,
          token.role,
          token.hash,
          token.start,
          token.createdAt,
          token.expiresAt,
          token.revokedAt,
          token.createdBy,
          token.userId,
        ],
      );
    },
    findById: async (workspaceId, id) => {
      const row = await first<TokenRow>('SELECT * FROM admin_tokens WHERE id = $1 AND workspace_id = $2', [
        id,
        workspaceId,
      ]);
      return row ? tokenFromRow(row) : null;
    },
    findByHash: async (hash) => {
      const row = await first<TokenRow>('SELECT * FROM admin_tokens WHERE hash = $1', [hash]);
      return row ? tokenFromRow(row) : null;
    },
    revoke: async (workspaceId, id, at) => {
      const row = await first<TokenRow>(
        'UPDATE admin_tokens SET revoked_at = $3 WHERE id = $1 AND workspace_id = $2 RETURNING *',
        [id, workspaceId, at],
      );
      return row ? tokenFromRow(row) : null;
    },
    list: async (workspaceId, page) =>
      (
        await run<TokenRow>('SELECT * FROM admin_tokens WHERE workspace_id = $1 AND id > $2 ORDER BY id LIMIT $3', [
          workspaceId,
          page.afterId ?? BEFORE_ALL_IDS,
          clampLimit(page.limit),
        ])
      ).map(tokenFromRow),
    anyOwner: async () =>
      (await first<{ found: boolean }>("SELECT EXISTS (SELECT 1 FROM admin_tokens WHERE role = 'owner') AS found", []))
        ?.found === true,
    revokeForUser: async (workspaceId, userId, at, roles) =>
      (
        await run<TokenRow>(
          `UPDATE admin_tokens SET revoked_at = $3
           WHERE workspace_id = $1 AND user_id = $2 AND revoked_at IS NULL AND ($4::text[] IS NULL OR role = ANY ($4::text[]))
           RETURNING *`,
          [workspaceId, userId, at, roles === undefined ? null : [...roles]],
        )
      )
        .map(tokenFromRow)
        .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)),
  };

  const audit: AuditRepo = {
    nextSeq: async (workspaceId) => {
      const row = await first<{ seq: number }>(
        `INSERT INTO audit_heads (workspace_id, size) VALUES ($1, 1)
         ON CONFLICT (workspace_id) DO UPDATE SET size = audit_heads.size + 1
         RETURNING size - 1 AS seq`,
        [workspaceId],
      );
      if (!row) throw new Error('audit_heads upsert returned no row');
      return row.seq;
    },
    insert: async (event, leafHash) => {
      await run(
        `INSERT INTO audit_events (workspace_id, seq, id, time, time_ms, actor_type, actor_id, action, target_type,
           target_id, data, leaf_hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::jsonb, $12)`,
        [
          event.workspaceId,
          event.seq,
          event.id,
          event.time,
          eventTimeMs(event.time),
          event.actor.type,
          event.actor.id,
          event.action,
          event.target?.type ?? null,
          event.target?.id ?? null,
          json(event.data),
          leafHash,
        ],
      );
    },
    list: async (workspaceId, filter: AuditFilter) => {
      const values: unknown[] = [workspaceId];
      const where = ['workspace_id = $1'];
      const add = (clause: string, value: string | number | undefined): void => {
        if (value === undefined) return;
        values.push(value);
        where.push(clause.replace('?', `$${values.length}`));
      };
      add('seq >= ?', filter.fromSeq);
      add('seq <= ?', filter.toSeq);
      add('time_ms >= ?', filter.since);
      add('time_ms <= ?', filter.until);
      add('actor_id = ?', filter.actorId);
      add('target_id = ?', filter.targetId);
      add('action = ?', filter.action);
      values.push(clampLimit(filter.limit));
      const sql = `SELECT * FROM audit_events WHERE ${where.join(' AND ')} ORDER BY seq LIMIT $${values.length}`;
      return (await run<EventRow>(sql, values)).map((row) => eventFromRow(row, asIs));
    },
    findBySeq: async (workspaceId, seq) => {
      const row = await first<EventRow>('SELECT * FROM audit_events WHERE workspace_id = $1 AND seq = $2', [
        workspaceId,
        seq,
      ]);
      return row ? eventFromRow(row, asIs) : null;
    },
    leafHashes: async (workspaceId, fromSeq, toSeq) =>
      (
        await run<{ leaf_hash: string }>(
          'SELECT leaf_hash FROM audit_events WHERE workspace_id = $1 AND seq >= $2 AND seq < $3 ORDER BY seq',
          [workspaceId, fromSeq, toSeq],
        )
      ).map((r) => r.leaf_hash),
    // The log is gapless, so max(seq) + 1 is its size; unlike count(*) it is one index probe.
    size: async (workspaceId) =>
      (
        await first<{ size: number }>(
          'SELECT COALESCE(MAX(seq) + 1, 0) AS size FROM audit_events WHERE workspace_id = $1',
          [workspaceId],
        )
      )?.size ?? 0,
    insertCheckpoint: async (cp) => {
      await run(
        `INSERT INTO audit_checkpoints (workspace_id, tree_size, root_hash, created_at, note)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (workspace_id, tree_size) DO NOTHING`,
        [cp.workspaceId, cp.treeSize, cp.rootHash, cp.createdAt, cp.note],
      );
    },
    listCheckpoints: async (workspaceId, limit, beforeTreeSize) =>
      (
        await run<CheckpointRow>(
          'SELECT * FROM audit_checkpoints WHERE workspace_id = $1 AND tree_size < $2 ORDER BY tree_size DESC LIMIT $3',
          [workspaceId, beforeTreeSize ?? Number.MAX_SAFE_INTEGER, clampLimit(limit)],
        )
      ).map(checkpointFromRow),
    latestCheckpoint: async (workspaceId) => {
      const row = await first<CheckpointRow>(
        'SELECT * FROM audit_checkpoints WHERE workspace_id = $1 ORDER BY tree_size DESC LIMIT 1',
        [workspaceId],
      );
      return row ? checkpointFromRow(row) : null;
    },
    checkpointCovering: async (workspaceId, minTreeSize) => {
      const row = await first<CheckpointRow>(
        'SELECT * FROM audit_checkpoints WHERE workspace_id = $1 AND tree_size >= $2 ORDER BY tree_size LIMIT 1',
        [workspaceId, minTreeSize],
      );
      return row ? checkpointFromRow(row) : null;
    },
    workspacesNeedingCheckpoint: async () =>
      (
        await run<{ workspace_id: string }>(
          `SELECT h.workspace_id FROM audit_heads h
           WHERE h.size > COALESCE((SELECT MAX(c.tree_size) FROM audit_checkpoints c WHERE c.workspace_id = h.workspace_id), 0)
           ORDER BY h.workspace_id`,
          [],
        )
      ).map((r) => r.workspace_id),
  };

  const changes: ChangeRepo = {
    announce: async (change) => {
      await run('SELECT pg_notify($1, $2)', [channel, encodeChange(change)]);
    },
  };

  return { workspaces, keys, tokens, audit, changes, ...makePostgresVaultRepos(run), ...makePostgresMonitorRepos(run), ...makePostgresPaperRepos(run), ...makePostgresUserRepos(run), ...makePostgresWebhookRepos(run), ...makePostgresSchedulerRepos(run), ...makePostgresSigningSecretRepos(run) };
}

/** A client whose connection failed must not go back to the pool; release(err) destroys it. */
function release(client: PoolClient, err: unknown): void {
  client.release(err instanceof Error && mapPgError(err) !== err ? err : undefined);
}

function poolConfig(opts: PostgresStoreOptions): PoolConfig {
  const config: PoolConfig = {
    connectionString: opts.url,
    max: opts.poolSize ?? DEFAULT_POOL_SIZE,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    application_name: 'clavis',
    types: poolTypes(),
  };
  if (opts.schema !== undefined) {
    if (!SCHEMA_PATTERN.test(opts.schema)) {
      throw new RangeError(`invalid PostgreSQL schema name ${JSON.stringify(opts.schema)}: must match ${SCHEMA_PATTERN.source}`);
    }
    // Set in the startup packet rather than by a query on 'connect', so no statement can ever run
    // on a pooled connection before search_path points at our schema. An `options` parameter
    // already in the URL would override the config, so it is merged in here.
    const url = new URL(opts.url);
    const existing = url.searchParams.get('options');
    url.searchParams.delete('options');
    config.connectionString = url.toString();
    config.options = [existing, `-c search_path=${opts.schema}`].filter((o) => o !== null && o !== '').join(' ');
  }
  return config;
}

/**
 * Connects a pool to PostgreSQL and applies pending migrations (creating `schema` first when
 * given). Fails with STORE_UNAVAILABLE when the server cannot be reached.
 *
 * @example const store = await openPostgresStore({ url: 'postgres://clavis@db/clavis' })
 */
export async function openPostgresStore(opts: PostgresStoreOptions): Promise<Store> {
  const pool = new Pool(poolConfig(opts));
  // An idle client whose server went away emits 'error' on the pool; unhandled, that would crash
  // the process. The pool drops the client and the next checkout dials a fresh connection.
  pool.on('error', () => undefined);

  try {
    const client = await connect(pool);
    try {
      await migratePostgres(client, opts.schema);
      release(client, undefined);
    } catch (err) {
      release(client, err);
      throw err;
    }
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw mapPgError(err);
  }

  const runDirect: Run = async <R extends QueryResultRow>(text: string, values: unknown[]) => {
    const client = await connect(pool);
    try {
      const rows = await query<R>(client, text, values);
      release(client, undefined);
      return rows;
    } catch (err) {
      release(client, err);
      throw mapPgError(err);
    }
  };
  const channel = changeChannel(opts.schema);
  const direct = makeRepos(runDirect, channel);
  let closed = false;

  return {
    kind: 'postgres',
    ...direct,
    transact: async <T>(fn: (tx: Repos) => Promise<T>): Promise<T> => {
      const client = await connect(pool);
      let active = true;
      let discard = false;
      try {
        await client.query('BEGIN');
        const tx = makeRepos(async <R extends QueryResultRow>(text: string, values: unknown[]) => {
          if (!active) throw transactionEnded();
          return query<R>(client, text, values);
        }, channel);
        const result = await fn(tx);
        active = false;
        await client.query('COMMIT');
        return result;
      } catch (err) {
        active = false;
        // The client queues statements, so this runs after any still in flight from the callback.
        // If even ROLLBACK fails the session state is unknown: the connection is thrown away.
        await client.query('ROLLBACK').catch(() => {
          discard = true;
        });
        throw mapPgError(err);
      } finally {
        client.release(discard);
      }
    },
    watch: (listener) => watchPostgresChanges(poolConfig(opts), channel, listener),
    ping: async () => {
      await runDirect('SELECT 1', []);
    },
    close: async () => {
      if (closed) return;
      closed = true;
      await pool.end();
    },
  };
}
