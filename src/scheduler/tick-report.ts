/** What one scheduler tick did, or would do in a dry run (docs/guides/rotation.md). */

/** Each action is named after the audit event (and webhook) it produces. */
export const SCHEDULER_ACTION_TYPES = ['key.rotated', 'key.rotation_due', 'key.expiring_soon', 'key.quota_low', 'key.suspended'] as const;
export type SchedulerActionType = (typeof SCHEDULER_ACTION_TYPES)[number];

export interface SchedulerAction {
  type: SchedulerActionType;
  workspaceId: string;
  keyId: string;
  /** The successor a rotation created (null otherwise, and in a dry run). */
  successorId: string | null;
  /** What and why, for people: never a secret. */
  detail: string;
}

/** An action that was due and could not be done; the next tick tries again. */
export interface SchedulerFailure {
  type: SchedulerActionType;
  workspaceId: string;
  keyId: string;
  /** The error's code or message (no secret ever reaches one). */
  error: string;
}

export interface TickReport {
  /** Epoch ms. */
  startedAt: number;
  /** The node that ran it (the lease holder name). */
  node: string;
  dryRun: boolean;
  /** Why nothing (or not everything) was done: another node holds the lease, or it was lost; null otherwise. */
  skipped: string | null;
  actions: SchedulerAction[];
  failures: SchedulerFailure[];
}
