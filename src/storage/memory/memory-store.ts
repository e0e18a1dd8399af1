import type {
  AuditFilter,
  AuditRepo,
  KeyFilter,
  KeyRepo,
  Page,
  Repos,
  Store,
  TokenRepo,
  WorkspaceRepo,
} from '../../core/ports/store.ts';
import type {
  AdminTokenRecord,
  ApiKeyPatch,
  ApiKeyRecord,
  AuditCheckpoint,
  AuditEvent,
  StoredAuditEvent,
  Workspace,
} from '../../core/model.ts';
import { createMutex } from '../common/mutex.ts';
import { Journal, JournaledMap, JournaledSet } from './journal.ts';
import { NO_ANNOUNCE, NO_WATCH } from '../common/no-change-feed.ts';
import { eventTimeMs, transactionEnded } from '../common/records.ts';
import { clampLimit } from '../common/rows.ts';
import { createVaultState, makeMemoryVaultRepos, type VaultState } from './vault-repos.ts';
import { createMonitorState, makeMemoryMonitorRepos, type MonitorState } from './monitor-repos.ts';
import { createWebhookState, makeMemoryWebhookRepos, type WebhookState } from './webhook-repos.ts';
import { createSigningSecretState, makeMemorySigningSecretRepos, type SigningSecretState } from './signing-secret-repos.ts';
import { createSchedulerState, makeMemorySchedulerRepos, type SchedulerState } from './scheduler-repos.ts';
import { createPaperState, makeMemoryPaperRepos, type PaperState } from './paper-repos.ts';
import { createUserState, makeMemoryUserRepos, type UserState } from './user-repos.ts';

interface StoredEvent {
  stored: StoredAuditEvent;
  timeMs: number;
}

/** Everything the store holds; its maps are journaled, so a failed transaction undoes its own changes. */
interface State {
  workspaces: Map<string, Workspace>;
  keys: Map<string, ApiKeyRecord>;
  keyIdByHash: Map<string, string>;
  tokens: Map<string, AdminTokenRecord>;
  tokenIdByHash: Map<string, string>;
  auditHeads: Map<string, number>;
  /** Per workspace, events by seq. */
  events: Map<string, Map<number, StoredEvent>>;
  eventIds: Set<string>;
  /** Per workspace, checkpoints by tree size. */
  checkpoints: Map<string, Map<number, AuditCheckpoint>>;
  vault: VaultState;
  monitor: MonitorState;
  paper: PaperState;
  user: UserState;
  webhook: WebhookState;
  signing: SigningSecretState;
  scheduler: SchedulerState;
  journal: Journal;
}

function emptyState(j: Journal): State {
  const workspaces = new JournaledMap<string, Workspace>(j);
  return {
    workspaces,
    keys: new JournaledMap(j),
    keyIdByHash: new JournaledMap(j),
    tokens: new JournaledMap(j),
    tokenIdByHash: new JournaledMap(j),
    auditHeads: new JournaledMap(j),
    events: new JournaledMap(j),
    eventIds: new JournaledSet(j),
    checkpoints: new JournaledMap(j),
    vault: createVaultState(j, (id) => workspaces.has(id)),
    monitor: createMonitorState(j, (id) => workspaces.has(id)),
    paper: createPaperState(j, (id) => workspaces.has(id)),
    user: createUserState(j, (id) => workspaces.has(id)),
    webhook: createWebhookState(j, (id) => workspaces.has(id)),
    signing: createSigningSecretState(j),
    scheduler: createSchedulerState(j),
    journal: j,
  };
}

/** Messages mirror SQLite's so tests that match on a constraint name behave alike on both. */
function constraintError(message: string): Error {
  return new Error(`${message} (memory store)`);
}

function byId<T extends { id: string }>(a: T, b: T): number {
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

function paginate<T extends { id: string }>(rows: T[], page: Page): T[] {
  const sorted = rows.filter((r) => page.afterId === undefined || r.id > page.afterId).sort(byId);
  return sorted.slice(0, clampLimit(page.limit));
}

/** Assigns only the patch fields that are present, so `{ name: undefined }` changes nothing. */
function applyPatch(key: ApiKeyRecord, patch: ApiKeyPatch): ApiKeyRecord {
  const next = { ...key };
  if (patch.name !== undefined) next.name = patch.name;
  if (patch.scopes !== undefined) next.scopes = [...patch.scopes];
  if (patch.status !== undefined) next.status = patch.status;
  if (patch.updatedAt !== undefined) next.updatedAt = patch.updatedAt;
  if (patch.expiresAt !== undefined) next.expiresAt = patch.expiresAt;
  if (patch.ipAllowlist !== undefined) next.ipAllowlist = [...patch.ipAllowlist];
  if (patch.metadata !== undefined) next.metadata = structuredClone(patch.metadata);
  if (patch.replacedById !== undefined) next.replacedById = patch.replacedById;
  if (patch.revokedAt !== undefined) next.revokedAt = patch.revokedAt;
  if (patch.revokeReason !== undefined) next.revokeReason = patch.revokeReason;
  if (patch.suspendedAt !== undefined) next.suspendedAt = patch.suspendedAt;
  if (patch.enforcement !== undefined) next.enforcement = structuredClone(patch.enforcement);
  if (patch.rotation !== undefined) next.rotation = structuredClone(patch.rotation);
  return next;
}

/** Runs a synchronous operation against the state; the returned promise settles with its outcome. */
type Exec = <T>(op: (state: State) => T) => Promise<T>;

function makeRepos(exec: Exec): Repos {
  const workspaces: WorkspaceRepo = {
    insert: (ws) =>
      exec((s) => {
        if (s.workspaces.has(ws.id)) throw constraintError('UNIQUE constraint failed: workspaces.id');
        s.workspaces.set(ws.id, structuredClone(ws));
      }),
    findById: (id) => exec((s) => structuredClone(s.workspaces.get(id) ?? null)),
    list: (page) => exec((s) => structuredClone(paginate([...s.workspaces.values()], page))),
  };

  const keys: KeyRepo = {
    insert: (key) =>
      exec((s) => {
        if (s.keys.has(key.id)) throw constraintError('UNIQUE constraint failed: api_keys.id');
        if (s.keyIdByHash.has(key.hash)) throw constraintError('UNIQUE constraint failed: api_keys.hash');
        if (!s.workspaces.has(key.workspaceId)) throw constraintError('FOREIGN KEY constraint failed');
        s.keys.set(key.id, structuredClone(key));
        s.keyIdByHash.set(key.hash, key.id);
      }),
    findById: (workspaceId, id) =>
      exec((s) => {
        const key = s.keys.get(id);
        return key && key.workspaceId === workspaceId ? structuredClone(key) : null;
      }),
    findByHash: (hash) =>
      exec((s) => {
        const id = s.keyIdByHash.get(hash);
        const key = id === undefined ? undefined : s.keys.get(id);
        return key ? structuredClone(key) : null;
      }),
    update: (workspaceId, id, patch) =>
      exec((s) => {
        const key = s.keys.get(id);
        if (!key || key.workspaceId !== workspaceId) return null;
        const next = applyPatch(key, patch);
        s.keys.set(id, next);
        return structuredClone(next);
      }),
    list: (workspaceId, filter: KeyFilter) =>
      exec((s) => {
        const rows = [...s.keys.values()].filter(
          (k) =>
            k.workspaceId === workspaceId &&
            (filter.environment === undefined || k.environment === filter.environment) &&
            (filter.status === undefined || k.status === filter.status) &&
            (filter.ownerId === undefined || k.ownerId === filter.ownerId),
        );
        return structuredClone(paginate(rows, filter));
      }),
  };

  const tokens: TokenRepo = {
    insert: (token) =>
      exec((s) => {
        if (s.tokens.has(token.id)) throw constraintError('UNIQUE constraint failed: admin_tokens.id');
        if (s.tokenIdByHash.has(token.hash)) throw constraintError('UNIQUE constraint failed: admin_tokens.hash');
        if (!s.workspaces.has(token.workspaceId)) throw constraintError('FOREIGN KEY constraint failed');
        s.tokens.set(token.id, structuredClone(token));
        s.tokenIdByHash.set(token.hash, token.id);
      }),
    findById: (workspaceId, id) =>
      exec((s) => {
        const token = s.tokens.get(id);
        return token && token.workspaceId === workspaceId ? structuredClone(token) : null;
      }),
    findByHash: (hash) =>
      exec((s) => {
        const id = s.tokenIdByHash.get(hash);
        const token = id === undefined ? undefined : s.tokens.get(id);
        return token ? structuredClone(token) : null;
      }),
    revoke: (workspaceId, id, at) =>
      exec((s) => {
        const token = s.tokens.get(id);
        if (!token || token.workspaceId !== workspaceId) return null;
        const next = { ...token, revokedAt: at };
        s.tokens.set(id, next);
        return structuredClone(next);
      }),
    list: (workspaceId, page) =>
      exec((s) => structuredClone(paginate([...s.tokens.values()].filter((t) => t.workspaceId === workspaceId), page))),
    anyOwner: () => exec((s) => [...s.tokens.values()].some((t) => t.role === 'owner')),
    revokeForUser: (workspaceId, userId, at, roles) =>
      exec((s) => {
        const out: AdminTokenRecord[] = [];
        for (const t of [...s.tokens.values()].sort(byId)) {
          if (t.workspaceId !== workspaceId || t.userId !== userId || t.revokedAt !== null || (roles !== undefined && !roles.includes(t.role))) continue;
          const next = { ...t, revokedAt: at };
          s.tokens.set(t.id, next);
          out.push(structuredClone(next));
        }
        return out;
      }),
  };

  const eventsOf = (s: State, workspaceId: string): StoredEvent[] =>
    [...(s.events.get(workspaceId)?.values() ?? [])].sort((a, b) => a.stored.event.seq - b.stored.event.seq);

  const checkpointsOf = (s: State, workspaceId: string): AuditCheckpoint[] =>
    [...(s.checkpoints.get(workspaceId)?.values() ?? [])].sort((a, b) => a.treeSize - b.treeSize);

  const audit: AuditRepo = {
    nextSeq: (workspaceId) =>
      exec((s) => {
        const seq = s.auditHeads.get(workspaceId) ?? 0;
        s.auditHeads.set(workspaceId, seq + 1);
        return seq;
      }),
    insert: (event: AuditEvent, leafHash) =>
      exec((s) => {
        const timeMs = eventTimeMs(event.time);
        let log = s.events.get(event.workspaceId);
        if (log?.has(event.seq)) throw constraintError('UNIQUE constraint failed: audit_events.workspace_id, audit_events.seq');
        if (s.eventIds.has(event.id)) throw constraintError('UNIQUE constraint failed: audit_events.id');
        if (!log) {
          log = new JournaledMap(s.journal);
          s.events.set(event.workspaceId, log);
        }
        log.set(event.seq, { stored: { event: structuredClone(event), leafHash }, timeMs });
        s.eventIds.add(event.id);
      }),
    list: (workspaceId, filter: AuditFilter) =>
      exec((s) => {
        const rows = eventsOf(s, workspaceId).filter(({ stored: { event }, timeMs }) => {
          if (filter.fromSeq !== undefined && event.seq < filter.fromSeq) return false;
          if (filter.toSeq !== undefined && event.seq > filter.toSeq) return false;
          if (filter.since !== undefined && timeMs < filter.since) return false;
          if (filter.until !== undefined && timeMs > filter.until) return false;
          if (filter.actorId !== undefined && event.actor.id !== filter.actorId) return false;
          if (filter.targetId !== undefined && event.target?.id !== filter.targetId) return false;
          if (filter.action !== undefined && event.action !== filter.action) return false;
          return true;
        });
        return structuredClone(rows.slice(0, clampLimit(filter.limit)).map((r) => r.stored));
      }),
    findBySeq: (workspaceId, seq) => exec((s) => structuredClone(s.events.get(workspaceId)?.get(seq)?.stored ?? null)),
    leafHashes: (workspaceId, fromSeq, toSeq) =>
      exec((s) =>
        eventsOf(s, workspaceId)
          .filter((r) => r.stored.event.seq >= fromSeq && r.stored.event.seq < toSeq)
          .map((r) => r.stored.leafHash),
      ),
    // The log is gapless, so the highest seq + 1 is the size (as the SQL adapters compute it).
    size: (workspaceId) =>
      exec((s) => {
        let max = -1;
        for (const seq of s.events.get(workspaceId)?.keys() ?? []) max = Math.max(max, seq);
        return max + 1;
      }),
    insertCheckpoint: (cp) =>
      exec((s) => {
        let byTreeSize = s.checkpoints.get(cp.workspaceId);
        if (!byTreeSize) {
          byTreeSize = new JournaledMap(s.journal);
          s.checkpoints.set(cp.workspaceId, byTreeSize);
        }
        if (!byTreeSize.has(cp.treeSize)) byTreeSize.set(cp.treeSize, structuredClone(cp));
      }),
    listCheckpoints: (workspaceId, limit, beforeTreeSize) =>
      exec((s) =>
        structuredClone(
          checkpointsOf(s, workspaceId)
            .filter((cp) => beforeTreeSize === undefined || cp.treeSize < beforeTreeSize)
            .reverse()
            .slice(0, clampLimit(limit)),
        ),
      ),
    latestCheckpoint: (workspaceId) => exec((s) => structuredClone(checkpointsOf(s, workspaceId).at(-1) ?? null)),
    checkpointCovering: (workspaceId, minTreeSize) =>
      exec((s) => structuredClone(checkpointsOf(s, workspaceId).find((cp) => cp.treeSize >= minTreeSize) ?? null)),
    workspacesNeedingCheckpoint: () =>
      exec((s) =>
        [...s.auditHeads.entries()]
          .filter(([workspaceId, size]) => size > (checkpointsOf(s, workspaceId).at(-1)?.treeSize ?? 0))
          .map(([workspaceId]) => workspaceId)
          .sort(),
      ),
  };

  return { workspaces, keys, tokens, audit, changes: NO_ANNOUNCE, ...makeMemoryVaultRepos((op) => exec((s) => op(s.vault))), ...makeMemoryMonitorRepos((op) => exec((s) => op(s.monitor))), ...makeMemoryPaperRepos((op) => exec((s) => op(s.paper))), ...makeMemoryUserRepos((op) => exec((s) => op(s.user))), ...makeMemoryWebhookRepos((op) => exec((s) => op(s.webhook))), ...makeMemorySigningSecretRepos((op) => exec((s) => op(s.signing, s.keys))), ...makeMemorySchedulerRepos((op) => exec((s) => op({ ...s.scheduler, keys: s.keys }))) };
}

/**
 * An in-process store for tests. It keeps the SQL adapters' constraints (unique ids and hashes,
 * key/token workspace must exist) so tests fail here the way they would against a database.
 */
export function createMemoryStore(): Store {
  const state = emptyState(new Journal());
  const mutex = createMutex();
  let closed = false;

  const run = <T>(op: (s: State) => T): T => {
    if (closed) throw new Error('memory store is closed');
    return op(state);
  };

  // Outside transact, operations wait for a running transaction to end: otherwise they could read
  // its uncommitted changes, or slip a write into it that its rollback would then undo.
  const direct = makeRepos(async (op) => (mutex.busy ? mutex.run(() => run(op)) : run(op)));

  return {
    kind: 'memory',
    ...direct,
    transact: <T>(fn: (tx: Repos) => Promise<T>) =>
      mutex.run(async () => {
        if (closed) throw new Error('memory store is closed');
        state.journal.begin();
        let active = true;
        const tx = makeRepos(async (op) => {
          if (!active) throw transactionEnded();
          return run(op);
        });
        try {
          const result = await fn(tx);
          state.journal.commit();
          return result;
        } catch (err) {
          state.journal.rollback();
          throw err;
        } finally {
          active = false;
        }
      }),
    watch: NO_WATCH,
    ping: async () => {
      if (closed) throw new Error('memory store is closed');
    },
    close: async () => {
      await mutex.run(() => {
        closed = true;
      });
    },
  };
}
