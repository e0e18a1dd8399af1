import { createPublicKey, verify } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DecryptionError, ProviderUnavailableError } from '../../src/core/ports/key-provider.ts';
import { startServerKeyring } from '../../src/keyring/server-keyring.ts';
import { openVaultTransitProvider } from '../../src/keyring/vault-transit-provider.ts';
import { createMemoryStore } from '../../src/storage/memory/memory-store.ts';
import { ManualClock } from '../support/harness.ts';
import { WS, vaultRig } from '../vault/support.ts';
import { startFakeVault, type FakeVault } from './fake-vault-transit.ts';

let vault: FakeVault;
beforeAll(async () => {
  vault = await startFakeVault();
});
afterAll(async () => vault.close());

const open = (over: Partial<Parameters<typeof openVaultTransitProvider>[0]> = {}) =>
  openVaultTransitProvider({ address: vault.address, token: vault.token, mount: 'transit', keyName: 'clavis-root', signingKeyName: 'clavis-audit', withSigningKey: true, ...over });

describe('vault transit provider (against a local fake of the transit API)', () => {
  it('creates its keys, wraps with associated data and key_version, and refuses a changed AAD or blob', async () => {
    const p = await open();
    await p.ensureVersion(1);
    await p.selfTest(1);
    const dk = Buffer.alloc(32, 3);
    const w = await p.wrap(dk, Buffer.from('row'), 1);
    expect(w.toString()).toMatch(/^vault:v1:/);
    expect((await p.unwrap(w, Buffer.from('row'), 1)).equals(dk)).toBe(true);
    await expect(p.unwrap(w, Buffer.from('other row'), 1)).rejects.toThrow(DecryptionError);
    await expect(p.unwrap(w, Buffer.from('row'), 2)).rejects.toThrow(DecryptionError);
    await p.ensureVersion(3);
    expect(await p.versions()).toEqual([1, 2, 3]);
    expect((await p.wrap(dk, Buffer.from('row'), 3)).toString()).toMatch(/^vault:v3:/);
  });

  it('signs with the ed25519 transit key; node:crypto verifies', async () => {
    const p = await open();
    const m = Buffer.from('checkpoint');
    const spki = createPublicKey({ key: Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), p.signer.publicKeyRaw]), format: 'der', type: 'spki' });
    expect(verify(null, m, spki, await p.signer.sign(m))).toBe(true);
  });

  it('a bad token is refused; an unreachable or sealed Vault is unavailable', async () => {
    await expect(open({ token: 'hvs.wrong' })).rejects.toThrow(/refused the token/);
    await expect(open({ address: 'http://127.0.0.1:1' })).rejects.toThrow(ProviderUnavailableError);
    vault.down();
    try {
      await expect(open()).rejects.toThrow(ProviderUnavailableError);
    } finally {
      vault.up();
    }
  });

  it('runs the vault: the server starts sealed while Vault is down, unseals when it is back', async () => {
    const store = createMemoryStore();
    vault.down();
    const kr = await startServerKeyring({
      store,
      clock: new ManualClock(),
      settings: { kind: 'vault-transit', address: vault.address, token: vault.token, mount: 'transit', keyName: 'clavis-e2e', signingKeyName: 'clavis-e2e-audit' },
      signingKeyFile: '/nonexistent/audit.pem',
      signingKeyFileSet: false,
      retryMs: 30,
      warn: () => undefined,
    });
    try {
      expect(kr.keyring.status()).toMatchObject({ state: 'sealed', reason: expect.stringContaining('503') as string });
      vault.up();
      for (let i = 0; i < 200 && kr.keyring.sealed; i += 1) await new Promise((res) => setTimeout(res, 20));
      expect(kr.keyring.status().state).toBe('unsealed');
      const provider = kr.keyring.provider();
      await store.transact(async (tx) => tx.workspaces.insert({ id: 'ws_boot', name: 'b', createdAt: 0, operator: false }));
      const r = await vaultRig(store, provider);
      const ref = { workspaceId: WS, environment: 'test' as const, path: 'webhooks/stripe' };
      await r.secrets.put(r.acting, ref, 'whsec_123');
      await r.admin.rotate(r.acting);
      expect(await r.admin.rewrap(r.acting)).toMatchObject({ rewrapped: 1, remaining: 0 });
      expect((await r.secrets.get(r.acting, ref)).value).toBe('whsec_123');
      vault.down();
      await expect(r.secrets.get(r.acting, ref)).rejects.toMatchObject({ code: 'SEALED' });
      vault.up();
    } finally {
      await kr.close();
    }
  });
});
