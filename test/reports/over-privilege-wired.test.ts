import type { HygieneReport } from '@clavis/sdk';
import { afterEach, describe, expect, it } from 'vitest';
import { verifyConsumer } from '../../src/http/consumer-auth.ts';
import { DAY_MS, bearer, makeHarness, type Harness } from '../support/harness.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('over-privileged keys from real verifications', () => {
  it('counts the scope the verify API and the consumer edge asked for', async () => {
    h = await makeHarness();
    const acting = { workspaceId: h.workspaceId, actor: { type: 'system' as const, id: 't' } };
    const viaApi = await h.services.keys.create(acting, { name: 'via-api', environment: 'test', scopes: ['prices:read', 'index:read', 'signals:read'] });
    const viaEdge = await h.services.keys.create(acting, { name: 'via-edge', environment: 'test', scopes: ['prices:read', 'index:read'] });
    h.clock.advance(31 * DAY_MS);
    const verify = (key: string, scope?: string) => h?.app.inject({ method: 'POST', url: '/v1/keys/verify', headers: bearer(h.owner.secret), payload: { key, ...(scope !== undefined ? { scope } : {}) } });
    expect((await verify(viaApi.secret, 'prices:read'))?.json<{ code: string }>().code).toBe('VALID');
    expect((await verify(viaApi.secret, 'index:read'))?.json<{ code: string }>().code).toBe('VALID');
    expect((await verify(viaApi.secret))?.json<{ code: string }>().code).toBe('VALID');
    const edge = await verifyConsumer(h.services.verifier, { method: 'GET', url: '/v1/prices', headers: { authorization: `Bearer ${viaEdge.secret}` }, ip: '203.0.113.9' }, { scope: 'index:read', route: 'GET /v1/prices', usage: h.services.usage });
    expect(edge.code).toBe('VALID');
    await h.services.usage.flush();
    const r = (await h.app.inject({ url: '/v1/reports/hygiene', headers: bearer(h.owner.secret) })).json<HygieneReport>();
    expect(Object.fromEntries(r.keys.map((k) => [k.name, k.unusedScopes]))).toEqual({ 'via-api': ['signals:read'], 'via-edge': ['prices:read'] });
  });
});
