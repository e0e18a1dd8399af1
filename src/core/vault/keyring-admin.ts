import type { AuditLog } from '../audit/audit-log.ts';
import type { Clock } from '../clock.ts';
import { ClavisError } from '../errors/registry.ts';
import type { Acting } from '../keys/key-service.ts';
import { DecryptionError, ProviderUnavailableError, type KeyProvider } from '../ports/key-provider.ts';
import type { KeyringRecord, Store } from '../ports/store.ts';
import { secretAad } from './envelope.ts';
import type { Keyring, KeyringStatus } from './keyring.ts';

export interface KeyringAdminDeps {
  store: Store;
  keyring: Keyring;
  audit: AuditLog;
  clock: Clock;
  /** Data keys kept outside the secrets vault (TOTP secrets) that rewrap moves and retire counts too. */
  extraDataKeys?: readonly WrappedDataKeys[];
}

/** One stored data key as rewrap sees it. */
export interface WrappedDataKey {
  keyVersion: number;
  wrappedKey: Buffer;
  aad: Buffer;
  /** Stores the key wrapped by `toVersion` only if the row is still at `keyVersion`; false when it moved on. */
  rewrap(toVersion: number, wrapped: Buffer): Promise<boolean>;
}

/** A table of wrapped data keys. */
export interface WrappedDataKeys {
  countByKeyVersion(): Promise<{ keyVersion: number; count: number }[]>;
  /** Keys wrapped by a root key version in [from, to), at most `limit`. */
  wrappedBetween(fromKeyVersion: number, toKeyVersion: number, limit: number): Promise<WrappedDataKey[]>;
}

function mergeCounts(lists: readonly { keyVersion: number; count: number }[][]): { keyVersion: number; count: number }[] {
  const byVersion = new Map<number, number>();
  for (const list of lists) for (const c of list) byVersion.set(c.keyVersion, (byVersion.get(c.keyVersion) ?? 0) + c.count);
  return [...byVersion.entries()].sort((a, b) => a[0] - b[0]).map(([keyVersion, count]) => ({ keyVersion, count }));
}

/** `GET /v1/keyring`: the process's seal state, the shared versions, and how much data each version wraps. */
export interface KeyringReport extends KeyringStatus {
  currentVersion: number | null;
  minDecryptionVersion: number | null;
  /** Stored data keys per root key version (destroyed versions hold none). */
  dataKeys: { keyVersion: number; count: number }[];
}

export interface RewrapOutcome {
  currentVersion: number;
  /** Data keys moved to the current version by this call. */
  rewrapped: number;
  /** Data keys still wrapped by an older, unretired version (0: done). */
  remaining: number;
  /** Data keys wrapped by retired versions: they cannot be rewrapped any more. */
  stranded: number;
}

export interface RewrapOptions {
  batchSize?: number;
  /** Stop after this many data keys (a long rewrap runs as several calls; each resumes). */
  maxKeys?: number;
}

/**
 * Master key rotation for the operator: add a root key version, rewrap every stored data key to
 * it (only data keys pass through memory; secret values are never decrypted), and retire old
 * versions by raising the minimum decryption version.
 *
 * Rewrap commits one data key at a time with a check-and-set on its key version, so a crash
 * part-way leaves every row either on its old version or on the new one, both readable, and
 * running rewrap again picks up what is left.
 */
export class KeyringAdmin {
  readonly #d: KeyringAdminDeps;

  readonly #sources: readonly WrappedDataKeys[];

  constructor(deps: KeyringAdminDeps) {
    this.#d = deps;
    const secrets = deps.store.secrets;
    const vault: WrappedDataKeys = {
      countByKeyVersion: () => secrets.countByKeyVersion(),
      wrappedBetween: async (from, to, limit) =>
        (await secrets.wrappedBetween(from, to, limit)).flatMap((row) => {
          const { keyVersion, wrappedKey } = row;
          if (keyVersion === null || wrappedKey === null) return [];
          return [{ keyVersion, wrappedKey, aad: secretAad('data-key', row, row.version), rewrap: (toVersion: number, wrapped: Buffer) => secrets.rewrap(row, row.version, keyVersion, toVersion, wrapped) }];
        }),
    };
    this.#sources = [vault, ...(deps.extraDataKeys ?? [])];
  }

  async #counts(): Promise<{ keyVersion: number; count: number }[]> {
    return mergeCounts(await Promise.all(this.#sources.map((s) => s.countByKeyVersion())));
  }

  async #operator(acting: Acting): Promise<void> {
    const ws = await this.#d.store.workspaces.findById(acting.workspaceId);
    if (ws?.operator !== true) throw new ClavisError('OPERATOR_ONLY', 'the master keyring is managed from the operator workspace');
  }

  async #state(): Promise<KeyringRecord> {
    const state = await this.#d.store.keyring.get();
    if (state === null) throw new ClavisError('SEALED', 'the keyring is not initialised (run `clavis init`)');
    return state;
  }

  async #call<T>(fn: (p: KeyProvider) => Promise<T>): Promise<T> {
    const provider = this.#d.keyring.provider();
    try {
      return await fn(provider);
    } catch (err) {
      if (err instanceof DecryptionError) throw new ClavisError('DECRYPTION_FAILED', 'a wrapped data key did not authenticate during rewrap');
      if (err instanceof ProviderUnavailableError) {
        // Drop and close the failed provider (a PKCS#11 session is released, so the retry can re-initialise).
        void this.#d.keyring.seal(`the key provider failed: ${err.message}`)?.close().catch(() => undefined);
        throw new ClavisError('SEALED', `the key provider failed: ${err.message}`);
      }
      throw err;
    }
  }

  async report(): Promise<KeyringReport> {
    const state = await this.#d.store.keyring.get();
    return {
      ...this.#d.keyring.status(),
      currentVersion: state?.currentVersion ?? null,
      minDecryptionVersion: state?.minDecryptionVersion ?? null,
      dataKeys: await this.#counts(),
    };
  }

  /** Adds root key version current+1 in the provider, then makes it current for new writes. */
  async rotate(acting: Acting): Promise<{ version: number }> {
    await this.#operator(acting);
    const state = await this.#state();
    const version = state.currentVersion + 1;
    await this.#call(async (p) => {
      await p.ensureVersion(version);
      await p.selfTest(version);
    });
    await this.#d.store.transact(async (tx) => {
      const now = await tx.keyring.get();
      if (now === null || now.currentVersion !== state.currentVersion) throw new ClavisError('CAS_MISMATCH', 'the keyring was rotated concurrently; look again');
      await tx.keyring.update({ currentVersion: version, updatedAt: this.#d.clock.now() });
      await this.#d.audit.append(tx, { workspaceId: acting.workspaceId, actor: acting.actor, action: 'keyring.rotated', target: { type: 'keyring', id: 'master' }, data: { from: state.currentVersion, to: version, provider: state.provider } });
    });
    return { version };
  }

  /** Moves data keys wrapped by older (unretired) versions to the current version. */
  async rewrap(acting: Acting, opts: RewrapOptions = {}): Promise<RewrapOutcome> {
    await this.#operator(acting);
    const state = await this.#state();
    const to = state.currentVersion;
    const batch = Math.max(1, opts.batchSize ?? 100);
    const budget = opts.maxKeys ?? Number.POSITIVE_INFINITY;
    let rewrapped = 0;
    try {
      for (const source of this.#sources) {
        while (rewrapped < budget) {
          const rows = await source.wrappedBetween(state.minDecryptionVersion, to, Math.min(batch, budget - rewrapped));
          if (rows.length === 0) break;
          for (const row of rows) {
            const moved = await this.#call(async (p) => {
              const dataKey = await p.unwrap(row.wrappedKey, row.aad, row.keyVersion);
              try {
                return await p.wrap(dataKey, row.aad, to);
              } finally {
                dataKey.fill(0);
              }
            });
            if (await row.rewrap(to, moved)) rewrapped += 1;
          }
        }
      }
    } finally {
      if (rewrapped > 0) {
        await this.#d.store.transact((tx) =>
          this.#d.audit.append(tx, { workspaceId: acting.workspaceId, actor: acting.actor, action: 'keyring.rewrapped', target: { type: 'keyring', id: 'master' }, data: { to, count: rewrapped } }),
        );
      }
    }
    const counts = await this.#counts();
    const sum = (pred: (v: number) => boolean): number => counts.filter((c) => pred(c.keyVersion)).reduce((a, c) => a + c.count, 0);
    return { currentVersion: to, rewrapped, remaining: sum((v) => v >= state.minDecryptionVersion && v < to), stranded: sum((v) => v < state.minDecryptionVersion) };
  }

  /**
   * Raises the minimum decryption version: data still wrapped by a lower version stops reading.
   * Refused (RETIRE_BLOCKED) while such data exists, unless `force`.
   */
  async retire(acting: Acting, minDecryptionVersion: number, force = false): Promise<{ minDecryptionVersion: number; stranded: number }> {
    await this.#operator(acting);
    const state = await this.#state();
    if (!Number.isSafeInteger(minDecryptionVersion) || minDecryptionVersion < state.minDecryptionVersion || minDecryptionVersion > state.currentVersion) {
      throw new ClavisError('VALIDATION_FAILED', `/body/minDecryptionVersion: must be between ${state.minDecryptionVersion} and the current version ${state.currentVersion}`, [{ field: '/body/minDecryptionVersion', message: `between ${state.minDecryptionVersion} and ${state.currentVersion}` }]);
    }
    const stranded = (await this.#counts()).filter((c) => c.keyVersion < minDecryptionVersion).reduce((a, c) => a + c.count, 0);
    if (stranded > 0 && !force) throw new ClavisError('RETIRE_BLOCKED', `${stranded} data key(s) are still wrapped by versions below ${minDecryptionVersion}: run rewrap first (or force, and they stop reading)`);
    await this.#d.store.transact(async (tx) => {
      await tx.keyring.update({ minDecryptionVersion, updatedAt: this.#d.clock.now() });
      await this.#d.audit.append(tx, { workspaceId: acting.workspaceId, actor: acting.actor, action: 'keyring.retired', target: { type: 'keyring', id: 'master' }, data: { from: state.minDecryptionVersion, to: minDecryptionVersion, stranded, forced: force } });
    });
    return { minDecryptionVersion, stranded };
  }
}
