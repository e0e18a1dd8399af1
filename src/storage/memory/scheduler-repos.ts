import type { ApiKeyRecord } from '../../core/model.ts';
import type { KeyScanPage, LeaseRecord, NoticeRecord, SchedulerRepo } from '../../core/ports/store.ts';
import { clampLimit } from '../common/rows.ts';
import { JournaledMap, type Journal } from './journal.ts';

/** The scheduler part of the memory store's state; journaled, so rollbacks undo it. */
export interface SchedulerState {
  leases: Map<string, LeaseRecord>;
  /** By `keyId NUL kind NUL period`. */
  notices: Map<string, NoticeRecord>;
}

/** What the scans read: the scheduler state and the store's keys. */
export interface SchedulerView extends SchedulerState {
  keys: ReadonlyMap<string, ApiKeyRecord>;
}

export function createSchedulerState(journal: Journal): SchedulerState {
  return { leases: new JournaledMap(journal), notices: new JournaledMap(journal) };
}

type Exec = <T>(op: (state: SchedulerView) => T) => Promise<T>;

const noticeKey = (n: Pick<NoticeRecord, 'keyId' | 'kind' | 'period'>): string => `${n.keyId}\u0000${n.kind}\u0000${n.period}`;
const byId = (a: { id: string }, b: { id: string }): number => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

function scan(s: SchedulerView, page: KeyScanPage, keep: (k: ApiKeyRecord) => boolean): ApiKeyRecord[] {
  return [...s.keys.values()]
    .filter((k) => (page.afterId === undefined || k.id > page.afterId) && keep(k))
    .sort(byId)
    .slice(0, clampLimit(page.limit))
    .map((k) => structuredClone(k));
}

const live = (k: ApiKeyRecord): boolean => k.status === 'active' && k.replacedById === null;

/** Scheduler repos of the memory store: the same answers as the SQL adapters. */
export function makeMemorySchedulerRepos(exec: Exec): { scheduler: SchedulerRepo } {
  const scheduler: SchedulerRepo = {
    acquireLease: (name, holder, now, expiresAt) =>
      exec((s) => {
        const held = s.leases.get(name);
        if (held !== undefined && held.holder !== holder && held.expiresAt > now) return false;
        s.leases.set(name, { name, holder, expiresAt });
        return true;
      }),
    releaseLease: (name, holder) =>
      exec((s) => {
        if (s.leases.get(name)?.holder !== holder) return false;
        s.leases.delete(name);
        return true;
      }),
    findLease: (name) => exec((s) => structuredClone(s.leases.get(name) ?? null)),
    recordNotice: (n) =>
      exec((s) => {
        if (s.notices.has(noticeKey(n))) return false;
        s.notices.set(noticeKey(n), { ...n });
        return true;
      }),
    notices: (keyIds, kind) =>
      exec((s) => {
        const wanted = new Set(keyIds);
        return [...s.notices.values()].filter((n) => n.kind === kind && wanted.has(n.keyId)).map((n) => ({ ...n }));
      }),
    keysWithRotation: (page) => exec((s) => scan(s, page, (k) => live(k) && k.rotation !== null)),
    keysExpiringBetween: (from, to, page) =>
      exec((s) => scan(s, page, (k) => k.status !== 'revoked' && k.replacedById === null && k.expiresAt !== null && k.expiresAt > from && k.expiresAt <= to)),
    keysWithCredits: (page) => exec((s) => scan(s, page, (k) => live(k) && k.enforcement.credits !== null)),
    keysWithAnyScope: (scopes, page) => exec((s) => scan(s, page, (k) => live(k) && k.scopes.some((x) => scopes.includes(x)))),
  };
  return { scheduler };
}
