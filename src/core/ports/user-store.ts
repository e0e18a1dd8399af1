/**
 * Storage of users, their TOTP enrolments and recovery codes, and the per-workspace MFA setting
 * (docs/decisions/0007-users-and-step-up-mfa.md). Times are epoch milliseconds.
 */
import type { Role } from '../model.ts';
import type { Page } from './store.ts';

/** A person who administers a workspace; admin tokens may be issued for them. */
export interface UserRecord {
  /** `usr_…` */
  id: string;
  workspaceId: string;
  /** Normalised (trimmed, NFC, lower case); unique per workspace. */
  email: string;
  name: string;
  /** The most a token issued for this user may do. */
  role: Role;
  createdAt: number;
  updatedAt: number;
  /** Set once: a disabled user's tokens are revoked and no new one is issued. */
  disabledAt: number | null;
}

export type UserPatch = Partial<Pick<UserRecord, 'name' | 'role'>> & { updatedAt: number };

export interface UserRepo {
  /** Inserts the user unless the workspace has that email already; true when inserted. */
  add(user: UserRecord): Promise<boolean>;
  findById(workspaceId: string, id: string): Promise<UserRecord | null>;
  findByEmail(workspaceId: string, email: string): Promise<UserRecord | null>;
  /**
   * The user if it exists and is not disabled, locked until the transaction ends (PostgreSQL row
   * lock; SQLite and memory serialise transactions), so a token issued for the user and a
   * concurrent disable cannot both commit unseen by each other. Call inside `transact`.
   */
  lockActive(workspaceId: string, id: string): Promise<UserRecord | null>;
  /** Applies the patch; null when there is no such user in the workspace. */
  update(workspaceId: string, id: string, patch: UserPatch): Promise<UserRecord | null>;
  /** Sets disabledAt if it is not set; returns the updated user, or null when missing or already disabled. */
  disable(workspaceId: string, id: string, at: number): Promise<UserRecord | null>;
  /** Users in id (creation) order. */
  list(workspaceId: string, page: Page): Promise<UserRecord[]>;
}

/**
 * A user's TOTP enrolment. The secret is under envelope encryption: `ciphertext` is the secret
 * sealed with a fresh data key (AES-256-GCM), `wrappedKey` that data key wrapped by the key
 * provider under root key version `keyVersion`; both are bound by AAD to (workspace, user).
 */
export interface TotpEnrolmentRecord {
  /** `mfa_…`: a new enrolment gets a new id, so a confirm never lands on a newer one. */
  id: string;
  workspaceId: string;
  userId: string;
  ciphertext: Buffer;
  wrappedKey: Buffer;
  keyVersion: number;
  createdAt: number;
  /** Null while pending: a pending enrolment protects nothing and can be replaced. */
  confirmedAt: number | null;
  /** Highest RFC 6238 time step accepted so far; a code at or below it is a replay. */
  lastUsedStep: number | null;
  /** Step-up attempts since the last success (counted before each code is checked). */
  failures: number;
  /** Step-up refuses every attempt until then (epoch ms); null when not locked. */
  lockedUntil: number | null;
}

export interface MfaRepo {
  /**
   * Stores a pending enrolment with its recovery code hashes, replacing any pending one of the
   * user (and its codes). False, and nothing written, when the user has a confirmed enrolment.
   * Several statements: call inside `transact`.
   */
  putPending(enrolment: TotpEnrolmentRecord, recoveryCodeHashes: readonly string[]): Promise<boolean>;
  find(workspaceId: string, userId: string): Promise<TotpEnrolmentRecord | null>;
  /** Enrolments of these users that are confirmed, as user ids (for listings). */
  confirmedAmong(workspaceId: string, userIds: readonly string[]): Promise<string[]>;
  /**
   * Confirms pending enrolment `id` and records `step` as used: one conditional update. False when
   * it is no longer pending, was replaced, or the step is not above the last used one.
   */
  confirm(workspaceId: string, userId: string, id: string, at: number, step: number): Promise<boolean>;
  /**
   * Records `step` as used if it is above the last used step of the confirmed enrolment, and
   * clears the failure count: one conditional update, so of two nodes given the same code, one
   * wins. False means a replay.
   */
  useStep(workspaceId: string, userId: string, step: number): Promise<boolean>;
  /**
   * Marks an unused recovery code of a confirmed enrolment used and clears the failure count (one
   * conditional update). `used-before` when the code was used already; `unknown` otherwise.
   */
  useRecoveryCode(workspaceId: string, userId: string, codeHash: string, at: number): Promise<'accepted' | 'used-before' | 'unknown'>;
  /** Recovery codes not used yet. */
  unusedRecoveryCodes(workspaceId: string, userId: string): Promise<number>;
  /**
   * Counts a step-up attempt before its code is checked: one conditional update that adds one to
   * `failures` unless the enrolment is locked at `at` (or not confirmed), returning the new count,
   * else null. A success resets the count ({@link useStep}, {@link useRecoveryCode}), so it is the
   * attempts since the last success, and parallel guesses get no more tries than sequential ones.
   */
  countAttempt(workspaceId: string, userId: string, at: number): Promise<number | null>;
  /** Sets (or clears, with null) the lock of the enrolment. */
  lock(workspaceId: string, userId: string, until: number | null): Promise<void>;
  /** Removes the enrolment (pending or confirmed) and its recovery codes; false when there was none. */
  remove(workspaceId: string, userId: string): Promise<boolean>;
  /** Enrolments, across workspaces, whose data key is wrapped by a root key version in [from, to). */
  wrappedBetween(fromKeyVersion: number, toKeyVersion: number, limit: number): Promise<TotpEnrolmentRecord[]>;
  /** Replaces the wrapped key of enrolment `id` only if still wrapped by `fromKeyVersion`. */
  rewrap(id: string, fromKeyVersion: number, toKeyVersion: number, wrappedKey: Buffer): Promise<boolean>;
  /** Enrolments per root key version, ascending. */
  countByKeyVersion(): Promise<{ keyVersion: number; count: number }[]>;
}

/** Security settings of a workspace; a workspace without a row has the defaults (requireMfa off). */
export interface WorkspaceSettingsRecord {
  workspaceId: string;
  /** Critical operations refuse callers without a confirmed TOTP enrolment. */
  requireMfa: boolean;
  updatedAt: number;
}

export interface WorkspaceSettingsRepo {
  get(workspaceId: string): Promise<WorkspaceSettingsRecord | null>;
  /** Inserts or replaces the settings of the workspace. */
  put(settings: WorkspaceSettingsRecord): Promise<void>;
}
