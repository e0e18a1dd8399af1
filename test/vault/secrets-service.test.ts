import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ClavisError } from '../../src/core/errors/registry.ts';
import { ProviderUnavailableError, type KeyProvider } from '../../src/core/ports/key-provider.ts';
import type { SecretRef, Store } from '../../src/core/ports/store.ts';
import { ephemeralLocalKeyring } from '../../src/keyring/local-keyring.ts';
import { createMemoryStore } from '../../src/storage/memory/memory-store.ts';
import { openSqliteStore } from '../../src/storage/sqlite/sqlite-store.ts';
import { OTHER, WS, failingAfter, vaultRig, type VaultRig } from './support.ts';

const dir = mkdtempSync(join(tmpdir(), 'clavis-vault-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

const STORES: [string, () => Store][] = [
  ['memory', () => createMemoryStore()],
  ['sqlite', () => openSqliteStore({ path: join(dir, `vault-${++n}.db`) })],
];

async function code(p: Promise<unknown>): Promise<string> {
  const err: unknown = await p.then(() => null, (e: unknown) => e);
  if (!(err instanceof ClavisError)) throw new Error(`expected a ClavisError, got ${String(err)}`);
  return err.code;
}

const ref = (path: string, workspaceId = WS, environment: SecretRef['environment'] = 'live'): SecretRef => ({ workspaceId, environment, path });

describe.each(STORES)('secrets vault on %s', (_name, open) => {
  let r: VaultRig;
  let provider: KeyProvider;

  beforeEach(async () => {
    const store = open();
    provider = await ephemeralLocalKeyring(store, { now: () => Date.UTC(2026, 0, 1) });
    r = await vaultRig(store, provider, { maxVersions: 3 });
  });
  afterEach(async () => {
    await r.store.close();
  });

  it('writes versions and reads the latest or a given one', async () => {
    expect(await r.secrets.put(r.acting, ref('exchanges/binance/api-secret'), 's3cret-1')).toEqual({ version: 1 });
    expect(await r.secrets.put(r.acting, ref('exchanges/binance/api-secret'), 's3cret-2')).toEqual({ version: 2 });
    expect(await r.secrets.get(r.acting, ref('exchanges/binance/api-secret'))).toMatchObject({ value: 's3cret-2', version: 2, createdBy: 'tok_alice' });
    expect((await r.secrets.get(r.acting, ref('exchanges/binance/api-secret'), 1)).value).toBe('s3cret-1');
    expect(await code(r.secrets.get(r.acting, ref('exchanges/binance/api-secret'), 9))).toBe('SECRET_NOT_FOUND');
    expect(await code(r.secrets.get(r.acting, ref('nothing/here')))).toBe('SECRET_NOT_FOUND');
  });

  it('keeps workspaces and environments apart', async () => {
    await r.secrets.put(r.acting, ref('k'), 'mine');
    expect(await code(r.secrets.get(r.otherActing, ref('k', OTHER)))).toBe('SECRET_NOT_FOUND');
    expect(await code(r.secrets.get(r.acting, ref('k', WS, 'test')))).toBe('SECRET_NOT_FOUND');
    await r.secrets.put(r.otherActing, ref('k', OTHER), 'theirs');
    expect((await r.secrets.get(r.acting, ref('k'))).value).toBe('mine');
    expect((await r.secrets.list(WS, { limit: 10 })).map((s) => s.path)).toEqual(['k']);
  });

  it('check-and-set: a stale or wrong cas writes nothing; of concurrent cas writers exactly one wins', async () => {
    expect(await r.secrets.put(r.acting, ref('c'), 'v1', 0)).toEqual({ version: 1 });
    expect(await code(r.secrets.put(r.acting, ref('c'), 'again', 0))).toBe('CAS_MISMATCH');
    expect(await code(r.secrets.put(r.acting, ref('c'), 'ahead', 5))).toBe('CAS_MISMATCH');
    const outcomes = await Promise.allSettled(Array.from({ length: 6 }, (_, i) => r.secrets.put(r.acting, ref('c'), `racer ${i}`, 1)));
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    for (const o of outcomes) if (o.status === 'rejected') expect((o.reason as ClavisError).code).toBe('CAS_MISMATCH');
    expect((await r.secrets.get(r.acting, ref('c'))).version).toBe(2);
  });

  it('concurrent writers without cas all land, each on its own version', async () => {
    const results = await Promise.all(Array.from({ length: 3 }, (_, i) => r.secrets.put(r.acting, ref('w'), `v${i}`)));
    expect(results.map((x) => x.version).sort()).toEqual([1, 2, 3]);
  });

  it('keeps the last N versions; older ones are gone with their data keys', async () => {
    for (let i = 1; i <= 5; i += 1) await r.secrets.put(r.acting, ref('n'), `v${i}`);
    expect((await r.secrets.versions(ref('n'))).versions.map((v) => v.version)).toEqual([3, 4, 5]);
    expect(await code(r.secrets.get(r.acting, ref('n'), 2))).toBe('SECRET_NOT_FOUND');
    expect((await r.secrets.get(r.acting, ref('n'), 3)).value).toBe('v3');
  });

  it('soft delete, undelete and destroy', async () => {
    await r.secrets.put(r.acting, ref('d'), 'one');
    await r.secrets.put(r.acting, ref('d'), 'two');
    expect(await r.secrets.delete(r.acting, ref('d'))).toEqual({ versions: [2] });
    expect(await code(r.secrets.get(r.acting, ref('d')))).toBe('SECRET_DELETED');
    expect((await r.secrets.get(r.acting, ref('d'), 1)).value).toBe('one');
    expect((await r.secrets.list(WS, { limit: 10 }))[0]).toMatchObject({ currentDeletedAt: expect.any(Number) as number });
    expect(await r.secrets.undelete(r.acting, ref('d'))).toEqual({ versions: [2] });
    expect((await r.secrets.get(r.acting, ref('d'))).value).toBe('two');
    expect(await r.secrets.destroy(r.acting, ref('d'), [1])).toEqual({ versions: [1] });
    expect(await code(r.secrets.get(r.acting, ref('d'), 1))).toBe('SECRET_DESTROYED');
    const row = await r.store.secrets.findVersion(ref('d'), 1);
    expect(row).toMatchObject({ ciphertext: null, wrappedKey: null, keyVersion: null });
    expect(await r.secrets.undelete(r.acting, ref('d'), [1])).toEqual({ versions: [] });
    expect(await r.secrets.destroy(r.acting, ref('d'))).toEqual({ versions: [2] });
    expect(await code(r.secrets.get(r.acting, ref('d')))).toBe('SECRET_DESTROYED');
    expect(await code(r.secrets.delete(r.acting, ref('d'), [7]))).toBe('SECRET_NOT_FOUND');
  });

  it('a tampered ciphertext or wrapped key fails to decrypt', async () => {
    await r.secrets.put(r.acting, ref('t'), 'tamper me');
    const row = await r.store.secrets.findVersion(ref('t'), 1);
    if (row?.ciphertext == null || row.wrappedKey === null) throw new Error('no row');
    const flipped = Buffer.from(row.ciphertext);
    flipped[flipped.length - 20] = (flipped[flipped.length - 20] ?? 0) ^ 0x01;
    await r.store.transact((tx) => tx.secrets.updateVersion(ref('t'), 1, { ciphertext: flipped }));
    expect(await code(r.secrets.get(r.acting, ref('t')))).toBe('DECRYPTION_FAILED');
    const key = Buffer.from(row.wrappedKey);
    key[key.length - 1] = (key[key.length - 1] ?? 0) ^ 0x80;
    await r.store.transact((tx) => tx.secrets.updateVersion(ref('t'), 1, { ciphertext: row.ciphertext, wrappedKey: key }));
    expect(await code(r.secrets.get(r.acting, ref('t')))).toBe('DECRYPTION_FAILED');
  });

  it('swapped rows fail: another path, another version, another workspace', async () => {
    await r.secrets.put(r.acting, ref('a'), 'value of a');
    await r.secrets.put(r.acting, ref('b'), 'value of b');
    await r.secrets.put(r.acting, ref('b'), 'b two');
    await r.secrets.put(r.otherActing, ref('a', OTHER), 'other a');
    const a1 = await r.store.secrets.findVersion(ref('a'), 1);
    if (a1 === null) throw new Error('no row');
    const move = { ciphertext: a1.ciphertext, wrappedKey: a1.wrappedKey, keyVersion: a1.keyVersion };
    await r.store.transact((tx) => tx.secrets.updateVersion(ref('b'), 1, move));
    expect(await code(r.secrets.get(r.acting, ref('b'), 1))).toBe('DECRYPTION_FAILED');
    await r.store.transact((tx) => tx.secrets.updateVersion(ref('b'), 2, move));
    expect(await code(r.secrets.get(r.acting, ref('b'), 2))).toBe('DECRYPTION_FAILED');
    await r.store.transact((tx) => tx.secrets.updateVersion(ref('a', OTHER), 1, move));
    expect(await code(r.secrets.get(r.otherActing, ref('a', OTHER)))).toBe('DECRYPTION_FAILED');
    // Only the value moved, with the right wrapped key left in place: still refused.
    await r.secrets.put(r.acting, ref('c'), 'value of c');
    await r.store.transact((tx) => tx.secrets.updateVersion(ref('c'), 1, { ciphertext: a1.ciphertext }));
    expect(await code(r.secrets.get(r.acting, ref('c')))).toBe('DECRYPTION_FAILED');
    expect((await r.secrets.get(r.acting, ref('a'))).value).toBe('value of a');
  });

  it('audits every write and read with path and version, never the value', async () => {
    const value = 'AUDIT-CANARY-7f3a9c';
    await r.secrets.put(r.acting, ref('x'), value);
    await r.secrets.get(r.acting, ref('x'));
    await r.secrets.delete(r.acting, ref('x'));
    const events = await r.store.audit.list(WS, { limit: 100 });
    expect(events.map((e) => e.event.action)).toEqual(['secret.written', 'secret.read', 'secret.deleted']);
    expect(events[1]?.event).toMatchObject({ actor: { id: 'tok_alice' }, target: { type: 'secret', id: 'live/x' }, data: { environment: 'live', path: 'x', version: 1 } });
    expect(JSON.stringify(events)).not.toContain(value);
  });

  it('no plaintext reaches the store', async () => {
    const value = 'PLAINTEXT-CANARY-e41b07d2';
    await r.secrets.put(r.acting, ref('p'), value);
    const row = await r.store.secrets.findVersion(ref('p'), 1);
    expect(row?.ciphertext?.includes(Buffer.from(value))).toBe(false);
    expect(row?.wrappedKey?.includes(Buffer.from(value))).toBe(false);
    if (r.store.kind === 'sqlite') {
      await r.store.close();
      for (const f of readdirSync(dir)) expect(readFileSync(join(dir, f)).includes(Buffer.from(value)), f).toBe(false);
      r.store = openSqliteStore({ path: ':memory:' });
    }
  });

  it('sealed: nothing that needs a secret works, metadata still lists; unseal brings it back', async () => {
    await r.secrets.put(r.acting, ref('s'), 'sealed value');
    r.keyring.seal('test');
    expect(await code(r.secrets.get(r.acting, ref('s')))).toBe('SEALED');
    expect(await code(r.secrets.put(r.acting, ref('s'), 'x'))).toBe('SEALED');
    expect(await code(r.admin.rotate(r.acting))).toBe('SEALED');
    expect(await r.secrets.list(WS, { limit: 10 })).toHaveLength(1);
    r.keyring.unseal(provider);
    expect((await r.secrets.get(r.acting, ref('s'))).value).toBe('sealed value');
  });

  it('a provider that fails mid-run seals the keyring (503 SEALED), not a 500', async () => {
    await r.secrets.put(r.acting, ref('u'), 'v');
    r.keyring.unseal(failingAfter(provider, 0, () => new ProviderUnavailableError('token removed')));
    expect(await code(r.secrets.get(r.acting, ref('u')))).toBe('SEALED');
    expect(r.keyring.status()).toMatchObject({ state: 'sealed', reason: expect.stringContaining('token removed') as string });
  });

  describe('master key rotation', () => {
    it('data written before rotation still reads; rewrap moves it; retire then needs no force', async () => {
      await r.secrets.put(r.acting, ref('old'), 'before rotation');
      await r.secrets.put(r.otherActing, ref('old', OTHER), 'tenant before');
      expect(await r.admin.rotate(r.acting)).toEqual({ version: 2 });
      await r.secrets.put(r.acting, ref('new'), 'after rotation');
      expect((await r.store.secrets.findVersion(ref('new'), 1))?.keyVersion).toBe(2);
      expect((await r.secrets.get(r.acting, ref('old'))).value).toBe('before rotation');
      expect(await code(r.admin.retire(r.acting, 2))).toBe('RETIRE_BLOCKED');
      expect(await r.admin.rewrap(r.acting)).toEqual({ currentVersion: 2, rewrapped: 2, remaining: 0, stranded: 0 });
      expect(await r.store.secrets.countByKeyVersion()).toEqual([{ keyVersion: 2, count: 3 }]);
      expect(await r.admin.retire(r.acting, 2)).toEqual({ minDecryptionVersion: 2, stranded: 0 });
      expect((await r.secrets.get(r.acting, ref('old'))).value).toBe('before rotation');
      expect((await r.secrets.get(r.otherActing, ref('old', OTHER))).value).toBe('tenant before');
      const actions = (await r.store.audit.list(WS, { limit: 100 })).map((e) => e.event.action);
      expect(actions).toEqual(expect.arrayContaining(['keyring.rotated', 'keyring.rewrapped', 'keyring.retired']));
    });

    it('reads fail once their version is retired', async () => {
      await r.secrets.put(r.acting, ref('stranded'), 'under v1');
      await r.admin.rotate(r.acting);
      expect(await r.admin.retire(r.acting, 2, true)).toEqual({ minDecryptionVersion: 2, stranded: 1 });
      expect(await code(r.secrets.get(r.acting, ref('stranded')))).toBe('KEY_VERSION_RETIRED');
      expect(await r.admin.rewrap(r.acting)).toMatchObject({ rewrapped: 0, remaining: 0, stranded: 1 });
    });

    it('a crash part-way through rewrap leaves every row readable, and rewrap resumes', async () => {
      for (let i = 0; i < 7; i += 1) await r.secrets.put(r.acting, ref(`s${i}`), `value ${i}`);
      await r.admin.rotate(r.acting);
      const crashing = failingAfter(provider, 3, () => new Error('process killed'));
      r.keyring.unseal(crashing);
      await expect(r.admin.rewrap(r.acting, { batchSize: 2 })).rejects.toThrow('process killed');
      expect(await r.store.secrets.countByKeyVersion()).toEqual([{ keyVersion: 1, count: 4 }, { keyVersion: 2, count: 3 }]);
      r.keyring.unseal(provider);
      for (let i = 0; i < 7; i += 1) expect((await r.secrets.get(r.acting, ref(`s${i}`))).value).toBe(`value ${i}`);
      expect(await r.admin.rewrap(r.acting, { batchSize: 2 })).toEqual({ currentVersion: 2, rewrapped: 4, remaining: 0, stranded: 0 });
      for (let i = 0; i < 7; i += 1) expect((await r.secrets.get(r.acting, ref(`s${i}`))).value).toBe(`value ${i}`);
    });

    it('only the operator workspace manages the keyring', async () => {
      expect(await code(r.admin.rotate(r.otherActing))).toBe('OPERATOR_ONLY');
      expect(await code(r.admin.rewrap(r.otherActing))).toBe('OPERATOR_ONLY');
      expect(await code(r.admin.retire(r.otherActing, 1))).toBe('OPERATOR_ONLY');
    });
  });
});
