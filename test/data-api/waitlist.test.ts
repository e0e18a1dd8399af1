import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normaliseEmail } from '../../src/portfolio/waitlist-service.ts';
import { bearer } from '../support/harness.ts';
import { makeDataHarness, type DataHarness } from './harness.ts';

let h: DataHarness;
let key: string;
beforeAll(async () => {
  h = await makeDataHarness();
  key = (await h.createKey({ name: 'site', scopes: ['index:read'] })).key;
});
afterAll(async () => h.close());

const join = async (payload: object, k = key) => {
  const res = await h.app.inject({ method: 'POST', url: '/v1/waitlist', headers: bearer(k), payload });
  return { status: res.statusCode, body: res.json<{ status?: string; email?: string; index?: string; code?: string; errors?: { field: string }[] }>() };
};

describe('waitlist for new index launches', () => {
  it('normalises addresses and refuses what is not one', () => {
    expect(normaliseEmail('  Ada.Lovelace+ct@Example.COM ')).toBe('ada.lovelace+ct@example.com');
    for (const bad of ['', 'ada', 'ada@', '@example.com', 'ada@example', 'ada@@example.com', 'ada lovelace@example.com', 'ada@exa mple.com', '.ada@example.com', 'ada..l@example.com', 'ada@-example.com', `${'a'.repeat(65)}@example.com`, 'ada@example.c']) {
      expect(normaliseEmail(bad), bad).toBeNull();
    }
  });

  it('signs an address up once per workspace, whatever its case and spacing, with the same answer', async () => {
    const first = await join({ email: 'Grace@Example.com', index: 'ct100-capped' });
    expect(first).toEqual({ status: 202, body: { status: 'subscribed', email: 'grace@example.com', index: 'ct100-capped' } });
    const again = await join({ email: '  grace@EXAMPLE.com ' });
    expect(again).toEqual({ status: 202, body: { status: 'subscribed', email: 'grace@example.com', index: 'any' } });
    const stored = await h.store.waitlist.find(h.workspaceId, 'grace@example.com');
    expect(stored).toMatchObject({ email: 'grace@example.com', indexId: 'ct100-capped' });
  });

  it('refuses a bad address or launch id with the field at fault, and needs index:read', async () => {
    for (const email of ['not-an-email', 'a@b', 'x'.repeat(321)]) {
      const r = await join({ email });
      expect(r.status, email).toBe(400);
      expect(r.body).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ field: '/body/email' }] });
    }
    expect((await join({ email: 'ok@example.com', index: 'CT 100' })).body).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ field: '/body/index' }] });
    expect((await join({ email: 'ok@example.com', extra: 1 })).body.code).toBe('VALIDATION_FAILED');
    const other = (await h.createKey({ name: 'prices', scopes: ['prices:read'] })).key;
    expect((await join({ email: 'ok@example.com' }, other)).body.code).toBe('INSUFFICIENT_SCOPE');
    expect(await h.store.waitlist.find(h.workspaceId, 'ok@example.com')).toBeNull();
  });
});
