import { createPublicKey, verify } from 'node:crypto';
import pkcs11js from 'pkcs11js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DecryptionError } from '../../src/core/ports/key-provider.ts';
import { openPkcs11Provider } from '../../src/keyring/pkcs11-provider.ts';
import { startServerKeyring } from '../../src/keyring/server-keyring.ts';
import { createMemoryStore } from '../../src/storage/memory/memory-store.ts';
import { ManualClock } from '../support/harness.ts';
import { OTHER, WS, vaultRig } from '../vault/support.ts';
import { SOFTHSM_MODULE, SOFTHSM_REQUIRED, setUpSoftHsm, type SoftHsm } from './softhsm.ts';

// The PKCS#11 provider against SoftHSM2 (apt softhsm2; .ci/run installs it). Each test closes its
// providers: the module's login state is per process, so a provider left open would let a wrong
// PIN through with CKR_USER_ALREADY_LOGGED_IN.

const PIN = '246810';
const clock = new ManualClock();

if (SOFTHSM_MODULE === null && SOFTHSM_REQUIRED) {
  describe('pkcs11 provider', () => {
    it('needs SoftHSM2', () => {
      throw new Error('SoftHSM2 is required (CI or CLAVIS_REQUIRE_SOFTHSM=1): apt-get install softhsm2');
    });
  });
} else if (SOFTHSM_MODULE === null) {
  console.warn('PKCS#11 suite skipped: SoftHSM2 is not installed (apt-get install softhsm2)');
}

describe.skipIf(SOFTHSM_MODULE === null)('pkcs11 provider on SoftHSM2', () => {
  let hsm: SoftHsm;
  const open = (over: Partial<Parameters<typeof openPkcs11Provider>[0]> = {}) =>
    openPkcs11Provider({ module: hsm.module, tokenLabel: 'clavis', pin: PIN, keyLabel: 'clavis', withSigningKey: true, ...over });

  beforeAll(() => {
    hsm = setUpSoftHsm();
    hsm.initToken('clavis', PIN);
  });
  afterAll(() => hsm.remove());

  it('wraps and unwraps with AES-GCM on the token; a tampered blob or another AAD fails', async () => {
    const p = await open();
    try {
      await p.ensureVersion(1);
      await p.selfTest(1);
      const dataKey = Buffer.alloc(32, 0x5a);
      const wrapped = await p.wrap(dataKey, Buffer.from('row a'), 1);
      expect(wrapped.includes(dataKey)).toBe(false);
      expect((await p.unwrap(wrapped, Buffer.from('row a'), 1)).equals(dataKey)).toBe(true);
      await expect(p.unwrap(wrapped, Buffer.from('row b'), 1)).rejects.toThrow(DecryptionError);
      const bad = Buffer.from(wrapped);
      bad[bad.length - 3] = (bad[bad.length - 3] ?? 0) ^ 1;
      await expect(p.unwrap(bad, Buffer.from('row a'), 1)).rejects.toThrow(DecryptionError);
      await expect(p.unwrap(wrapped, Buffer.from('row a'), 2)).rejects.toThrow(DecryptionError);
    } finally {
      await p.close();
    }
  });

  it('keeps the root key non-extractable and sensitive on the token', async () => {
    const p = await open();
    await p.ensureVersion(1);
    const lib = new pkcs11js.PKCS11();
    lib.load(hsm.module);
    try {
      const slot = lib.C_GetSlotList(true).find((s) => lib.C_GetTokenInfo(s).label.trim() === 'clavis');
      if (slot === undefined) throw new Error('no slot');
      const session = lib.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION);
      lib.C_FindObjectsInit(session, [{ type: pkcs11js.CKA_LABEL, value: 'clavis-root-v1' }]);
      const [key] = lib.C_FindObjects(session, 1);
      lib.C_FindObjectsFinal(session);
      if (key === undefined) throw new Error('root key not found');
      const attrs = lib.C_GetAttributeValue(session, key, [{ type: pkcs11js.CKA_EXTRACTABLE }, { type: pkcs11js.CKA_SENSITIVE }]);
      expect(attrs.map((a) => a.value[0])).toEqual([0, 1]);
      expect(() => lib.C_GetAttributeValue(session, key, [{ type: pkcs11js.CKA_VALUE }])).toThrow();
      lib.C_CloseSession(session);
    } finally {
      await p.close();
    }
  });

  it('signs with an Ed25519 key on the token; node:crypto verifies the signature', async () => {
    const p = await open();
    try {
      const message = Buffer.from('clavis.test/ws_1\n5\nroot\n');
      const sig = await p.signer.sign(message);
      const spki = createPublicKey({ key: Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), p.signer.publicKeyRaw]), format: 'der', type: 'spki' });
      expect(sig).toHaveLength(64);
      expect(verify(null, message, spki, sig)).toBe(true);
      expect(verify(null, Buffer.from('other'), spki, sig)).toBe(false);
    } finally {
      await p.close();
    }
    // The same key pair after a reopen: the verifier key does not change.
    const again = await open();
    const first = again.signer.publicKeyRaw;
    await again.close();
    const third = await open();
    expect(third.signer.publicKeyRaw.equals(first)).toBe(true);
    await third.close();
  });

  it('a wrong PIN is refused', async () => {
    await expect(open({ pin: '000000' })).rejects.toThrow(/PIN is wrong/);
  });

  it('a missing token is refused; the server starts sealed and unseals once the token is there', async () => {
    await expect(open({ tokenLabel: 'not-there' })).rejects.toThrow(/no PKCS#11 token labelled "not-there"/);
    const store = createMemoryStore();
    const kr = await startServerKeyring({
      store,
      clock,
      settings: { kind: 'pkcs11', module: hsm.module, tokenLabel: 'late', pin: PIN, keyLabel: 'clavis' },
      signingKeyFile: '/nonexistent/clavis-audit.pem',
      signingKeyFileSet: false,
      retryMs: 50,
      warn: () => undefined,
    });
    try {
      expect(kr.keyring.status()).toMatchObject({ state: 'sealed', reason: expect.stringContaining('no PKCS#11 token labelled "late"') as string });
      hsm.initToken('late', PIN);
      for (let i = 0; i < 200 && kr.keyring.sealed; i += 1) await new Promise((res) => setTimeout(res, 25));
      expect(kr.keyring.status()).toMatchObject({ state: 'unsealed', provider: 'pkcs11' });
      expect(await store.keyring.get()).toMatchObject({ provider: 'pkcs11', currentVersion: 1 });
    } finally {
      await kr.close();
    }
  });

  it('runs the vault end to end: secrets, rotation, rewrap, retire', async () => {
    hsm.initToken('vault', PIN);
    const store = createMemoryStore();
    const p = await open({ tokenLabel: 'vault' });
    try {
      await p.ensureVersion(1);
      await store.keyring.create({ provider: 'pkcs11', currentVersion: 1, minDecryptionVersion: 1, providerData: {}, createdAt: 0, updatedAt: 0 });
      const r = await vaultRig(store, p);
      const ref = { workspaceId: WS, environment: 'live' as const, path: 'exchanges/kraken/api-secret' };
      await r.secrets.put(r.acting, ref, 'kraken secret');
      await r.secrets.put(r.otherActing, { ...ref, workspaceId: OTHER }, 'tenant secret');
      expect(await r.admin.rotate(r.acting)).toEqual({ version: 2 });
      expect(await p.versions()).toEqual([1, 2]);
      expect((await r.secrets.get(r.acting, ref)).value).toBe('kraken secret');
      expect(await r.admin.rewrap(r.acting)).toMatchObject({ rewrapped: 2, remaining: 0 });
      expect(await r.admin.retire(r.acting, 2)).toEqual({ minDecryptionVersion: 2, stranded: 0 });
      expect((await r.secrets.get(r.acting, ref)).value).toBe('kraken secret');
      expect((await r.secrets.get(r.otherActing, { ...ref, workspaceId: OTHER })).value).toBe('tenant secret');
    } finally {
      await p.close();
    }
  });
});
