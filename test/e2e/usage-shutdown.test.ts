import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanup, createKey, http, startServer, verifyKey, type ApiKey } from './process.ts';

afterAll(cleanup);

// The real process: verifications are counted in memory with the flush timer off, so only the
// shut-down flush can have written them; a restart on the same data folder reads them back.
describe('usage counting in the real process', () => {
  it('flushes counts and last uses at a clean shut-down, and serves them after a restart', async () => {
    const env = { CLAVIS_USAGE_FLUSH_INTERVAL_SECONDS: '0' };
    const first = await startServer(env);
    const token = readFileSync(first.tokenFile, 'utf8').trim();
    const key = await createKey(first.url, token, 'counted');
    for (let i = 0; i < 3; i += 1) expect((await verifyKey(first.url, token, key.key, 'prices:read')).code).toBe('VALID');
    expect((await verifyKey(first.url, token, key.key, 'signals:read')).code).toBe('INSUFFICIENT_SCOPE');
    const before = await http<ApiKey & { lastUsedAt: string | null }>(first.url, 'GET', `/v1/keys/${key.id}`, { token });
    expect(before.body.lastUsedAt).toBeNull();
    expect((await first.stop()).code).toBe(0);

    const second = await startServer(env, { dataDir: first.dataDir });
    const usage = await http<{ total: number; buckets: { codes: Record<string, number>; routes: Record<string, number>; countries: Record<string, number> }[] }>(second.url, 'GET', `/v1/keys/${key.id}/usage`, { token });
    expect(usage.status).toBe(200);
    expect(usage.body.total).toBe(4);
    expect(usage.body.buckets[0]).toMatchObject({ codes: { VALID: 3, INSUFFICIENT_SCOPE: 1 }, routes: { 'verify-api': 4 }, countries: { '??': 4 } });
    const after = await http<ApiKey & { lastUsedAt: string | null; lastUsedIp: string | null }>(second.url, 'GET', `/v1/keys/${key.id}`, { token });
    expect(after.body.lastUsedAt).not.toBeNull();
    expect(after.body.lastUsedIp).toBe('127.0.0.1');
    const metrics = await fetch(`${second.url}/metrics`, { headers: { authorization: `Bearer ${token}` } });
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toMatch(/^# TYPE clavis_verifications_total counter$/m);
    await second.stop();
  });
});
