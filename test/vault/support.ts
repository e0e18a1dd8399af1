import { AuditLog } from '../../src/core/audit/audit-log.ts';
import { createIdGenerator } from '../../src/core/ids.ts';
import type { Acting } from '../../src/core/keys/key-service.ts';
import type { KeyProvider } from '../../src/core/ports/key-provider.ts';
import type { Store } from '../../src/core/ports/store.ts';
import { Keyring } from '../../src/core/vault/keyring.ts';
import { KeyringAdmin } from '../../src/core/vault/keyring-admin.ts';
import { SecretsService } from '../../src/core/vault/secrets-service.ts';
import { ephemeralSigner } from '../../src/keyring/local-signer.ts';
import { ManualClock } from '../support/harness.ts';

export const WS = 'ws_0000000000000000000001';
export const OTHER = 'ws_0000000000000000000002';

export interface VaultRig {
  store: Store;
  clock: ManualClock;
  keyring: Keyring;
  audit: AuditLog;
  secrets: SecretsService;
  admin: KeyringAdmin;
  acting: Acting;
  otherActing: Acting;
}

/**
 * The vault services on `store` with two workspaces (the first is the operator's), unsealed
 * with `provider`.
 */
export async function vaultRig(store: Store, provider: KeyProvider, opts: { maxVersions?: number } = {}): Promise<VaultRig> {
  const clock = new ManualClock();
  await store.transact(async (tx) => {
    await tx.workspaces.insert({ id: WS, name: 'operator', createdAt: clock.now(), operator: true });
    await tx.workspaces.insert({ id: OTHER, name: 'tenant', createdAt: clock.now(), operator: false });
  });
  const keyring = new Keyring(clock, 'test');
  keyring.unseal(provider);
  const audit = new AuditLog({ audit: store.audit, signer: ephemeralSigner(), clock, ids: createIdGenerator(() => clock.now()), origin: 'clavis.test' });
  const secrets = new SecretsService({ store, keyring, audit, clock, maxVersions: opts.maxVersions ?? 10 });
  const admin = new KeyringAdmin({ store, keyring, audit, clock });
  return { store, clock, keyring, audit, secrets, admin, acting: { workspaceId: WS, actor: { type: 'token', id: 'tok_alice' } }, otherActing: { workspaceId: OTHER, actor: { type: 'token', id: 'tok_bob' } } };
}

/** A provider that behaves like `inner` until `failAfter` unwraps, then throws (a crash mid-way). */
export function failingAfter(inner: KeyProvider, failAfter: number, error: () => Error): KeyProvider & { unwraps: number } {
  const wrapper = {
    ...inner,
    unwraps: 0,
    unwrap: async (wrapped: Buffer, aad: Buffer, version: number) => {
      wrapper.unwraps += 1;
      if (wrapper.unwraps > failAfter) throw error();
      return inner.unwrap(wrapped, aad, version);
    },
  };
  return wrapper;
}
