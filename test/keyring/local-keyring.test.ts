import { createPublicKey, verify } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AuditLog } from '../../src/core/audit/audit-log.ts';
import { openNote, parseVerifierKey } from '../../src/core/audit/signed-note.ts';
import { createIdGenerator } from '../../src/core/ids.ts';
import { Keyring, keyringSigner } from '../../src/core/vault/keyring.ts';
import { KeyringUnlockError, initLocalKeyring, openLocalKeyring } from '../../src/keyring/local-keyring.ts';
import { openKeyProvider } from '../../src/keyring/open-provider.ts';
import { startServerKeyring } from '../../src/keyring/server-keyring.ts';
import { createMemoryStore } from '../../src/storage/memory/memory-store.ts';
import { ManualClock } from '../support/harness.ts';

const dir = mkdtempSync(join(tmpdir(), 'clavis-keyring-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const clock = new ManualClock();
const FAST = 14;

describe('local keyring', () => {
  it('seals the root key with the passphrase: the right one opens it, a wrong one does not', async () => {
    const store = createMemoryStore();
    expect(await initLocalKeyring({ store, sealing: { kind: 'passphrase', passphrase: 'correct horse battery' }, clock, kdfLogN: FAST })).toBe(true);
    expect(await initLocalKeyring({ store, sealing: { kind: 'passphrase', passphrase: 'another one entirely' }, clock, kdfLogN: FAST })).toBe(false);
    const p = await openLocalKeyring({ store, sealing: { kind: 'passphrase', passphrase: 'correct horse battery' }, clock });
    await p.selfTest(1);
    const wrapped = await p.wrap(Buffer.alloc(32, 1), Buffer.from('aad'), 1);
    await expect(openLocalKeyring({ store, sealing: { kind: 'passphrase', passphrase: 'wrong horse battery' }, clock })).rejects.toThrow(KeyringUnlockError);
    await expect(openLocalKeyring({ store, sealing: { kind: 'key-file', key: Buffer.alloc(32) }, clock })).rejects.toThrow(/sealed with a passphrase/);
    // A fresh open after a restart unwraps what the first one wrapped.
    const again = await openLocalKeyring({ store, sealing: { kind: 'passphrase', passphrase: 'correct horse battery' }, clock });
    expect((await again.unwrap(wrapped, Buffer.from('aad'), 1)).equals(Buffer.alloc(32, 1))).toBe(true);
    await expect(again.unwrap(wrapped, Buffer.from('aad'), 2)).rejects.toThrow();
    // Nothing in the store is the root key in the clear: only the sealed form.
    const [root] = await store.keyring.rootKeys();
    expect(root?.sealed?.length).toBeGreaterThan(32);
  });

  it('adds versions idempotently and reloads versions another node created', async () => {
    const store = createMemoryStore();
    const sealing = { kind: 'passphrase' as const, passphrase: 'correct horse battery' };
    await initLocalKeyring({ store, sealing, clock, kdfLogN: FAST });
    const a = await openLocalKeyring({ store, sealing, clock });
    const b = await openLocalKeyring({ store, sealing, clock });
    await a.ensureVersion(2);
    await a.ensureVersion(2);
    expect(await a.versions()).toEqual([1, 2]);
    const w = await a.wrap(Buffer.alloc(32, 9), Buffer.from('x'), 2);
    expect((await b.unwrap(w, Buffer.from('x'), 2)).equals(Buffer.alloc(32, 9))).toBe(true);
  });

  it('signs audit checkpoints with its sealed Ed25519 key; the signature verifies offline', async () => {
    const store = createMemoryStore();
    const sealing = { kind: 'passphrase' as const, passphrase: 'correct horse battery' };
    await initLocalKeyring({ store, sealing, clock, kdfLogN: FAST });
    const provider = await openLocalKeyring({ store, sealing, clock });
    const keyring = new Keyring(clock, 'test');
    const signer = keyringSigner(keyring, null);
    expect(() => signer.publicKeyRaw).toThrow(/sealed/);
    keyring.unseal(provider);
    const message = Buffer.from('checkpoint body');
    const spki = createPublicKey({ key: Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), signer.publicKeyRaw]), format: 'der', type: 'spki' });
    expect(verify(null, message, spki, await signer.sign(message))).toBe(true);
    await store.transact((tx) => tx.workspaces.insert({ id: 'ws_a', name: 'a', createdAt: 0, operator: true }));
    const audit = new AuditLog({ audit: store.audit, signer, clock, ids: createIdGenerator(() => clock.now()), origin: 'clavis.test' });
    await store.transact((tx) => audit.append(tx, { workspaceId: 'ws_a', actor: { type: 'system', id: 't' }, action: 'x', target: null, data: {} }));
    const cp = await audit.checkpoint('ws_a');
    expect(cp).not.toBeNull();
    const opened = openNote(cp?.note ?? '', parseVerifierKey(audit.verifierKey));
    expect(opened.ok).toBe(true);
  });

  it('development mode: a root key file (0600) and a warning; the same file opens it again', async () => {
    const store = createMemoryStore();
    const rootKeyFile = join(dir, 'dev-root-key');
    const settings = { kind: 'local' as const, rootKeyFile, kdfLogN: FAST };
    const first = await openKeyProvider(settings, { store, clock, initialise: true, withSigningKey: true });
    expect(first.initialised).toBe(true);
    expect(first.warning).toMatch(/development/);
    expect(statSync(rootKeyFile).mode & 0o777).toBe(0o600);
    await first.provider.close();
    const second = await openKeyProvider(settings, { store, clock, initialise: true, withSigningKey: true });
    expect(second.initialised).toBe(false);
    rmSync(rootKeyFile);
    await expect(openKeyProvider(settings, { store, clock, initialise: true, withSigningKey: true })).rejects.toThrow(/root key file/);
    expect(existsSync(rootKeyFile)).toBe(false);
  });

  it('a wrong passphrase starts sealed; fixing the passphrase file unseals without a restart', async () => {
    const store = createMemoryStore();
    await initLocalKeyring({ store, sealing: { kind: 'passphrase', passphrase: 'the right passphrase' }, clock, kdfLogN: FAST });
    const passphraseFile = join(dir, 'passphrase');
    writeFileSync(passphraseFile, 'a wrong passphrase\n', { mode: 0o600 });
    const warnings: string[] = [];
    const kr = await startServerKeyring({ store, clock, settings: { kind: 'local', passphraseFile, rootKeyFile: join(dir, 'unused'), kdfLogN: FAST }, signingKeyFile: join(dir, 'no.pem'), signingKeyFileSet: false, retryMs: 50, warn: (m) => warnings.push(m) });
    try {
      expect(kr.keyring.status()).toMatchObject({ state: 'sealed', reason: 'the passphrase does not open the keyring' });
      expect(kr.line()).toMatch(/SEALED/);
      await expect(kr.unseal?.('still wrong')).rejects.toMatchObject({ code: 'UNSEAL_FAILED' });
      writeFileSync(passphraseFile, 'the right passphrase\n');
      for (let i = 0; i < 100 && kr.keyring.sealed; i += 1) await new Promise((res) => setTimeout(res, 20));
      expect(kr.keyring.status().state).toBe('unsealed');
      expect(warnings.some((w) => w.includes('unsealed now'))).toBe(true);
    } finally {
      await kr.close();
    }
  });

  it('the HTTP unseal path takes the passphrase directly', async () => {
    const store = createMemoryStore();
    await initLocalKeyring({ store, sealing: { kind: 'passphrase', passphrase: 'the right passphrase' }, clock, kdfLogN: FAST });
    const kr = await startServerKeyring({ store, clock, settings: { kind: 'local', rootKeyFile: join(dir, 'unused2'), kdfLogN: FAST }, signingKeyFile: join(dir, 'no2.pem'), signingKeyFileSet: false, retryMs: 60_000, warn: () => undefined });
    try {
      expect(kr.keyring.sealed).toBe(true);
      await kr.unseal?.('the right passphrase');
      expect(kr.keyring.sealed).toBe(false);
    } finally {
      await kr.close();
    }
  });

  it('an existing PEM audit key keeps signing (existing data folders keep their verifier key)', async () => {
    const store = createMemoryStore();
    const pem = join(dir, 'legacy.pem');
    const { openLocalSigner } = await import('../../src/keyring/local-signer.ts');
    const legacy = openLocalSigner(pem);
    const kr = await startServerKeyring({ store, clock, settings: { kind: 'local', rootKeyFile: join(dir, 'dev3'), kdfLogN: FAST }, signingKeyFile: pem, signingKeyFileSet: false, retryMs: 60_000, warn: () => undefined });
    try {
      expect(kr.signer.publicKeyRaw.equals(legacy.publicKeyRaw)).toBe(true);
      expect((await store.keyring.get())?.providerData).toMatchObject({ signingKey: null });
    } finally {
      await kr.close();
    }
  });
});
