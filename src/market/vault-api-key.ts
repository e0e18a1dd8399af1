import type { Services } from '../services.ts';

/**
 * Reads the CoinGecko API key from the operator workspace's vault (an audited read by the
 * `market-data` system actor). Without it the provider uses the keyless public API, with a warning.
 */
export async function readVaultApiKey(services: Pick<Services, 'store' | 'secrets'>, at: { environment: 'live' | 'test' | 'dev'; path: string }, warn: (message: string) => void = (m) => process.stderr.write(`clavis: ${m}\n`)): Promise<string | undefined> {
  try {
    const operator = (await services.store.workspaces.list({ limit: 1 }))[0];
    if (operator === undefined) throw new Error('no operator workspace yet');
    const secret = await services.secrets.get({ workspaceId: operator.id, actor: { type: 'system', id: 'market-data' } }, { workspaceId: operator.id, ...at });
    return secret.value.trim();
  } catch (err) {
    warn(`WARNING: cannot read the CoinGecko API key from the vault at ${at.environment}/${at.path} (${err instanceof Error ? err.message : String(err)}); using the keyless public API`);
    return undefined;
  }
}

