import type { ApiKeyRecord } from '../model.ts';

/**
 * Storage of the rotation and expiry scheduler (docs/decisions/0009-rotation-scheduler.md): the
 * lease that lets one node at a time act, the record of what was already done (so that a tick run
 * twice, or on two nodes, does nothing twice), and the scans that find the keys a tick looks at.
 */

/** A named lease: who holds it and until when (epoch ms). */
export interface LeaseRecord {
  name: string;
  holder: string;
  expiresAt: number;
}

/** What the scheduler records per key: each kind happens once per period. */
export const NOTICE_KINDS = ['rotated', 'rotation_due', 'expiring_soon', 'quota_low', 'idle_suspended'] as const;
export type NoticeKind = (typeof NOTICE_KINDS)[number];

/**
 * One thing the scheduler did for a key. `period` names the occurrence: the rotation period
 * number (`rotation_due`), the expiry time (`expiring_soon`: a new expiry is a new notice), the
 * credit period start (`quota_low`), the time idleness counts from (`idle_suspended`), 1 for the
 * one rotation a key gets (`rotated`).
 */
export interface NoticeRecord {
  keyId: string;
  kind: NoticeKind;
  period: number;
  workspaceId: string;
  /** When it was done (epoch ms). */
  at: number;
}

/** A page of a scan across every workspace, in key id (creation) order. */
export interface KeyScanPage {
  afterId?: string;
  limit: number;
}

export interface SchedulerRepo {
  /**
   * Gives the lease `name` to `holder` until `expiresAt` when it is free, expired at `now`, or
   * held by `holder` already (a renewal) — in one atomic statement, so two nodes never both get
   * it. True when `holder` holds it afterwards.
   */
  acquireLease(name: string, holder: string, now: number, expiresAt: number): Promise<boolean>;
  /** Ends the lease if `holder` holds it (a clean shut-down: another node may take over at once). */
  releaseLease(name: string, holder: string): Promise<boolean>;
  findLease(name: string): Promise<LeaseRecord | null>;
  /** Records a notice; false (and nothing written) when one with the same key, kind and period exists. */
  recordNotice(notice: NoticeRecord): Promise<boolean>;
  /** The notices of `kind` recorded for these keys, any period. */
  notices(keyIds: readonly string[], kind: NoticeKind): Promise<NoticeRecord[]>;
  /** Active keys that carry a rotation policy and were not rotated yet, across workspaces. */
  keysWithRotation(page: KeyScanPage): Promise<ApiKeyRecord[]>;
  /** Keys not revoked nor rotated whose expiry is in (`from`, `to`], across workspaces. */
  keysExpiringBetween(from: number, to: number, page: KeyScanPage): Promise<ApiKeyRecord[]>;
  /** Active keys with a credit quota that were not rotated yet, across workspaces. */
  keysWithCredits(page: KeyScanPage): Promise<ApiKeyRecord[]>;
  /** Active keys not rotated yet that hold at least one of `scopes`, across workspaces. */
  keysWithAnyScope(scopes: readonly string[], page: KeyScanPage): Promise<ApiKeyRecord[]>;
}
