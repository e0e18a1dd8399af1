import { randomBytes } from 'node:crypto';
import type { AuditLog } from '../audit/audit-log.ts';
import type { Clock } from '../clock.ts';
import { ClavisError } from '../errors/registry.ts';
import type { Acting } from '../keys/key-service.ts';
import { DecryptionError, ProviderUnavailableError, type KeyProvider } from '../ports/key-provider.ts';
import type { KeyringRecord, Repos, SecretRef, SecretSummary, SecretVersionRecord, Store } from '../ports/store.ts';
import type { Environment } from '../keys/key-format.ts';
import { newDataKey, openWithKey, sealWithKey, secretAad } from './envelope.ts';
import type { Keyring } from './keyring.ts';
import { MAX_SECRET_BYTES, checkSecretPath } from './secret-path.ts';

export interface SecretsServiceDeps {
  store: Store;
  keyring: Keyring;
  audit: AuditLog;
  clock: Clock;
  /** Versions kept per secret; older ones are removed with their wrapped data keys. */
  maxVersions: number;
  random?: (n: number) => Buffer;
}

/** A value as `GET /v1/secrets/…` returns it. */
export interface RevealedSecret {
  environment: Environment;
  path: string;
  version: number;
  value: string;
  createdAt: number;
  createdBy: string;
}

/** Metadata of one version: never the value, never the wrapped key. */
export interface SecretVersionInfo {
  version: number;
  keyVersion: number | null;
  createdAt: number;
  createdBy: string;
  deletedAt: number | null;
  destroyedAt: number | null;
}

/**
 * A version encrypted and wrapped ahead of the transaction that stores it ({@link SecretsService.prepareWrite}).
 * Holds ciphertext only; the plaintext was dropped when it was sealed.
 */
export interface PreparedSecretWrite {
  ref: SecretRef;
  /** The version the secret must still be at when this one is stored (0: it must not exist). */
  expected: number;
  version: number;
  keyVersion: number;
  wrappedKey: Buffer;
  ciphertext: Buffer;
}

/** How many times a write retries when another writer took the version it prepared. */
const WRITE_ATTEMPTS = 5;

class VersionTaken extends Error {}

function targetOf(ref: SecretRef): { type: 'secret'; id: string } {
  return { type: 'secret', id: `${ref.environment}/${ref.path}` };
}

/**
 * The secrets vault: versioned values per workspace, environment and path, each version under a
 * fresh AES-256-GCM data key wrapped by the key provider, with soft delete, undelete, destroy
 * (crypto-shred) and check-and-set writes. Every change, and every read of a value, is an audit
 * event committed before the answer; events carry the path and version, never the value.
 *
 * The provider is called outside store transactions (it may be across a network); a write
 * prepares version n+1, then commits it only if the secret is still at n (check-and-set in the
 * database), and otherwise prepares again.
 */
export class SecretsService {
  readonly #d: SecretsServiceDeps;
  readonly #random: (n: number) => Buffer;

  constructor(deps: SecretsServiceDeps) {
    if (!Number.isSafeInteger(deps.maxVersions) || deps.maxVersions < 1) throw new RangeError('maxVersions must be at least 1');
    this.#d = deps;
    this.#random = deps.random ?? randomBytes;
  }

  async #keyringState(): Promise<KeyringRecord> {
    const state = await this.#d.store.keyring.get();
    if (state === null) throw new ClavisError('SEALED', 'the keyring is not initialised (run `clavis init`)');
    return state;
  }

  /** Runs a provider call; a provider that went away seals the keyring (the unsealer reopens it). */
  async #withProvider<T>(fn: (p: KeyProvider) => Promise<T>): Promise<T> {
    const provider = this.#d.keyring.provider();
    try {
      return await fn(provider);
    } catch (err) {
      if (err instanceof DecryptionError) throw new ClavisError('DECRYPTION_FAILED', 'a stored ciphertext did not authenticate: it was altered, moved to another row, or wrapped by another key');
      if (err instanceof ProviderUnavailableError) {
        // Drop and close the failed provider (a PKCS#11 session is released, so the retry can re-initialise).
        void this.#d.keyring.seal(`the key provider failed: ${err.message}`)?.close().catch(() => undefined);
        throw new ClavisError('SEALED', `the key provider failed: ${err.message}`);
      }
      throw err;
    }
  }

  /**
   * Writes a new version. `cas` is the version the caller last saw (0: the secret must not exist);
   * any other current version is CAS_MISMATCH and nothing is written.
   *
   * @example await secrets.put(acting, { workspaceId, environment: 'live', path: 'binance/api-secret' }, value, 0)
   */
  async put(acting: Acting, ref: SecretRef, value: string, cas?: number): Promise<{ version: number }> {
    checkSecretPath(ref.path);
    const plaintext = Buffer.from(value, 'utf8');
    if (plaintext.length > MAX_SECRET_BYTES) throw new ClavisError('VALIDATION_FAILED', `/body/value: at most ${MAX_SECRET_BYTES} bytes`, [{ field: '/body/value', message: `at most ${MAX_SECRET_BYTES} bytes` }]);
    this.#d.keyring.provider();
    for (let attempt = 1; ; attempt += 1) {
      const current = (await this.#d.store.secrets.find(ref))?.currentVersion ?? 0;
      if (cas !== undefined && cas !== current) throw new ClavisError('CAS_MISMATCH', `cas ${cas} does not match the current version ${current}`);
      const prepared = await this.#prepare(ref, plaintext, current);
      const version = prepared.version;
      try {
        await this.#d.store.transact(async (tx) => {
          if (!(await this.#commit(tx, acting, prepared, cas))) throw new VersionTaken();
        });
        return { version };
      } catch (err) {
        if (!(err instanceof VersionTaken)) throw err;
        if (cas !== undefined) throw new ClavisError('CAS_MISMATCH', `cas ${cas} no longer matches: another write landed first`);
        if (attempt >= WRITE_ATTEMPTS) throw new ClavisError('CAS_MISMATCH', 'the secret changed under every attempt to write it; retry');
      }
    }
  }

  /**
   * Encrypts `value` as the next version of the secret and has the key provider wrap its data key
   * now, outside any transaction, so that {@link commitWrite} can store it inside the caller's own
   * transaction, beside the change it belongs with: a scheduled rotation stores the successor key
   * in the vault and rotates the key in one commit, or does neither.
   *
   * @example const p = await secrets.prepareWrite(ref, successorKey); await store.transact(async (tx) => { …; await secrets.commitWrite(tx, acting, p) })
   */
  async prepareWrite(ref: SecretRef, value: string): Promise<PreparedSecretWrite> {
    checkSecretPath(ref.path);
    const plaintext = Buffer.from(value, 'utf8');
    if (plaintext.length > MAX_SECRET_BYTES) throw new ClavisError('VALIDATION_FAILED', `value: at most ${MAX_SECRET_BYTES} bytes`);
    this.#d.keyring.provider();
    return this.#prepare(ref, plaintext, (await this.#d.store.secrets.find(ref))?.currentVersion ?? 0);
  }

  /**
   * Stores a prepared version in `tx` with its `secret.written` audit event. False, and nothing
   * written, when another write took that version since it was prepared: prepare again.
   */
  async commitWrite(tx: Repos, acting: Acting, prepared: PreparedSecretWrite): Promise<boolean> {
    return this.#commit(tx, acting, prepared, undefined);
  }

  async #prepare(ref: SecretRef, plaintext: Buffer, current: number): Promise<PreparedSecretWrite> {
    const version = current + 1;
    const state = await this.#keyringState();
    const dataKey = newDataKey(this.#random);
    const ciphertext = sealWithKey(dataKey, plaintext, secretAad('value', ref, version), this.#random);
    try {
      const wrappedKey = await this.#withProvider((p) => p.wrap(dataKey, secretAad('data-key', ref, version), state.currentVersion));
      return { ref: { workspaceId: ref.workspaceId, environment: ref.environment, path: ref.path }, expected: current, version, keyVersion: state.currentVersion, wrappedKey, ciphertext };
    } finally {
      dataKey.fill(0);
    }
  }

  async #commit(tx: Repos, acting: Acting, p: PreparedSecretWrite, cas: number | undefined): Promise<boolean> {
    const now = this.#d.clock.now();
    const { ref, version } = p;
    if (!(await tx.secrets.advance(ref, p.expected, version, now))) return false;
    await tx.secrets.insertVersion({ ...ref, version, keyVersion: p.keyVersion, wrappedKey: p.wrappedKey, ciphertext: p.ciphertext, createdAt: now, createdBy: acting.actor.id, deletedAt: null, destroyedAt: null });
    const pruned = version > this.#d.maxVersions ? await tx.secrets.pruneVersions(ref, version - this.#d.maxVersions) : 0;
    await this.#audit(tx, acting, ref, 'secret.written', { version, keyVersion: p.keyVersion, ...(cas !== undefined ? { cas } : {}), ...(pruned > 0 ? { prunedThrough: version - this.#d.maxVersions } : {}) });
    return true;
  }

  /** Decrypts a version (the latest when none is named); the read is audited before the value is returned. */
  async get(acting: Acting, ref: SecretRef, version?: number): Promise<RevealedSecret> {
    checkSecretPath(ref.path);
    this.#d.keyring.provider();
    const meta = await this.#d.store.secrets.find(ref);
    if (meta === null) throw new ClavisError('SECRET_NOT_FOUND', `no secret ${ref.environment}/${ref.path}`);
    const n = version ?? meta.currentVersion;
    const row = await this.#d.store.secrets.findVersion(ref, n);
    if (row === null) throw new ClavisError('SECRET_NOT_FOUND', `no version ${n} of ${ref.environment}/${ref.path}`);
    const value = await this.#decrypt(ref, row);
    await this.#d.store.transact((tx) => this.#audit(tx, acting, ref, 'secret.read', { version: n }));
    return { environment: ref.environment, path: ref.path, version: n, value: value.toString('utf8'), createdAt: row.createdAt, createdBy: row.createdBy };
  }

  async #decrypt(ref: SecretRef, row: SecretVersionRecord): Promise<Buffer> {
    if (row.destroyedAt !== null || row.ciphertext === null || row.wrappedKey === null || row.keyVersion === null) throw new ClavisError('SECRET_DESTROYED', `version ${row.version} of ${ref.environment}/${ref.path} was destroyed`);
    if (row.deletedAt !== null) throw new ClavisError('SECRET_DELETED', `version ${row.version} of ${ref.environment}/${ref.path} is deleted`);
    const state = await this.#keyringState();
    const keyVersion = row.keyVersion;
    if (keyVersion < state.minDecryptionVersion) throw new ClavisError('KEY_VERSION_RETIRED', `version ${row.version} is wrapped by master key version ${keyVersion}, below the minimum decryption version ${state.minDecryptionVersion}`);
    const wrapped = row.wrappedKey;
    const ciphertext = row.ciphertext;
    const dataKey = await this.#withProvider((p) => p.unwrap(wrapped, secretAad('data-key', ref, row.version), keyVersion));
    try {
      return openWithKey(dataKey, ciphertext, secretAad('value', ref, row.version));
    } catch (err) {
      if (err instanceof DecryptionError) throw new ClavisError('DECRYPTION_FAILED', 'a stored ciphertext did not authenticate: it was altered, moved to another row, or wrapped by another key');
      throw err;
    } finally {
      dataKey.fill(0);
    }
  }

  /** Metadata of every secret (never a value), in (environment, path) order. */
  async list(workspaceId: string, filter: { environment?: Environment; after?: { environment: Environment; path: string }; limit: number }): Promise<SecretSummary[]> {
    return this.#d.store.secrets.list(workspaceId, filter);
  }

  /** Metadata of every kept version of one secret. */
  async versions(ref: SecretRef): Promise<{ currentVersion: number; versions: SecretVersionInfo[] }> {
    checkSecretPath(ref.path);
    const meta = await this.#d.store.secrets.find(ref);
    if (meta === null) throw new ClavisError('SECRET_NOT_FOUND', `no secret ${ref.environment}/${ref.path}`);
    const rows = await this.#d.store.secrets.listVersions(ref);
    return { currentVersion: meta.currentVersion, versions: rows.map((r) => ({ version: r.version, keyVersion: r.keyVersion, createdAt: r.createdAt, createdBy: r.createdBy, deletedAt: r.deletedAt, destroyedAt: r.destroyedAt })) };
  }

  /** Soft-deletes versions (default: the latest); undelete brings them back. */
  async delete(acting: Acting, ref: SecretRef, versions?: number[]): Promise<{ versions: number[] }> {
    return this.#change(acting, ref, versions, 'latest', 'secret.deleted', async (tx, v, now) => {
      if (v.destroyedAt !== null || v.deletedAt !== null) return false;
      return tx.secrets.updateVersion(ref, v.version, { deletedAt: now });
    });
  }

  /** Restores soft-deleted versions (default: the latest). */
  async undelete(acting: Acting, ref: SecretRef, versions?: number[]): Promise<{ versions: number[] }> {
    return this.#change(acting, ref, versions, 'latest', 'secret.undeleted', async (tx, v) => {
      if (v.destroyedAt !== null || v.deletedAt === null) return false;
      return tx.secrets.updateVersion(ref, v.version, { deletedAt: null });
    });
  }

  /**
   * Destroys versions (default: all): the ciphertext and the only copy of its wrapped data key are
   * erased, so the value cannot be recovered even from a backup of the provider (crypto-shred).
   */
  async destroy(acting: Acting, ref: SecretRef, versions?: number[]): Promise<{ versions: number[] }> {
    return this.#change(acting, ref, versions, 'all', 'secret.destroyed', async (tx, v, now) => {
      if (v.destroyedAt !== null) return false;
      return tx.secrets.updateVersion(ref, v.version, { destroyedAt: now, ciphertext: null, wrappedKey: null, keyVersion: null });
    });
  }

  async #change(
    acting: Acting,
    ref: SecretRef,
    versions: number[] | undefined,
    fallback: 'latest' | 'all',
    action: string,
    apply: (tx: Repos, v: SecretVersionRecord, now: number) => Promise<boolean>,
  ): Promise<{ versions: number[] }> {
    checkSecretPath(ref.path);
    return this.#d.store.transact(async (tx) => {
      const meta = await tx.secrets.find(ref);
      if (meta === null) throw new ClavisError('SECRET_NOT_FOUND', `no secret ${ref.environment}/${ref.path}`);
      const rows = await tx.secrets.listVersions(ref);
      const wanted = versions ?? (fallback === 'latest' ? [meta.currentVersion] : rows.map((r) => r.version));
      const missing = wanted.filter((n) => !rows.some((r) => r.version === n));
      if (missing.length > 0) throw new ClavisError('SECRET_NOT_FOUND', `no version ${missing.join(', ')} of ${ref.environment}/${ref.path}`);
      const now = this.#d.clock.now();
      const changed: number[] = [];
      for (const v of rows) if (wanted.includes(v.version) && (await apply(tx, v, now))) changed.push(v.version);
      if (changed.length > 0) await this.#audit(tx, acting, ref, action, { versions: changed });
      return { versions: changed };
    });
  }

  async #audit(tx: Repos, acting: Acting, ref: SecretRef, action: string, data: Record<string, unknown>): Promise<void> {
    await this.#d.audit.append(tx, { workspaceId: acting.workspaceId, actor: acting.actor, action, target: targetOf(ref), data: { environment: ref.environment, path: ref.path, ...data } });
  }
}
