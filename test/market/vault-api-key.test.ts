import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readVaultApiKey } from '../../src/market/vault-api-key.ts';
import { makeHarness, type Harness } from '../support/harness.ts';

let h: Harness;
beforeEach(async () => {
  h = await makeHarness();
});
afterEach(async () => h.close());

describe('CoinGecko API key from the secrets vault', () => {
  it('reads it from the operator workspace as an audited system read, never logging it', async () => {
    const ref = { workspaceId: h.workspaceId, environment: 'live' as const, path: 'market/coingecko-api-key' };
    await h.services.secrets.put({ workspaceId: h.workspaceId, actor: { type: 'system', id: 'test' } }, ref, 'CG-secret-value\n');
    const warnings: string[] = [];
    expect(await readVaultApiKey(h.services, { environment: 'live', path: 'market/coingecko-api-key' }, (m) => warnings.push(m))).toBe('CG-secret-value');
    expect(warnings).toEqual([]);
    const reads = await h.store.audit.list(h.workspaceId, { action: 'secret.read', limit: 10 });
    expect(reads.map((e) => e.event.actor)).toEqual([{ type: 'system', id: 'market-data' }]);
    expect(JSON.stringify(reads)).not.toContain('CG-secret-value');
  });

  it('falls back to the keyless API with a warning when the secret is missing', async () => {
    const warnings: string[] = [];
    expect(await readVaultApiKey(h.services, { environment: 'live', path: 'market/none' }, (m) => warnings.push(m))).toBeUndefined();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/live\/market\/none.*keyless public API/);
  });
});
