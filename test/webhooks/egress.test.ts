import type { LookupAddress } from 'node:dns';
import { afterEach, describe, expect, it } from 'vitest';
import { effectiveAddress, specialAddressKind } from '../../src/webhooks/special-addresses.ts';
import { WebhookDispatcher } from '../../src/webhooks/webhook-dispatcher.ts';
import { WebhookEgress, type ResolveHost } from '../../src/webhooks/webhook-egress.ts';
import { WebhookSecretBox } from '../../src/webhooks/webhook-secret-box.ts';
import { bearer, makeHarness, type Harness } from '../support/harness.ts';
import { startReceiver, type Receiver } from './receiver.ts';

// Issue #6: webhook URLs must not let an admin aim Clavis at internal services (SSRF), neither
// when the endpoint is created nor later, when its name resolves somewhere else (DNS rebinding).

let h: Harness | undefined;
let rx: Receiver | undefined;

afterEach(async () => {
  await rx?.close();
  await h?.close();
  rx = undefined;
  h = undefined;
});

/** A public address (documentation ranges are special-purpose too, so a real one: example.com's). */
const PUBLIC_V4 = '93.184.215.14';

/** A resolver from a table; a name maps to the answers of its successive lookups (the last repeats). */
function fakeResolver(table: Record<string, string[][]>): ResolveHost & { calls: string[] } {
  const calls: string[] = [];
  const resolve = async (hostname: string): Promise<LookupAddress[]> => {
    calls.push(hostname);
    const answers = table[hostname];
    if (answers === undefined) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    const seen = calls.filter((c) => c === hostname).length;
    const addresses = answers[Math.min(seen, answers.length) - 1] ?? [];
    return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
  return Object.assign(resolve, { calls });
}

async function createEndpoint(hh: Harness, url: string): Promise<{ status: number; code?: string; detail?: string; id?: string; body: string }> {
  const res = await hh.app.inject({ method: 'POST', url: '/v1/webhooks', headers: bearer(hh.owner.secret), payload: { url, events: ['key.created'] } });
  const body = res.json<{ code?: string; detail?: string; id?: string }>();
  return { status: res.statusCode, ...body, body: res.body };
}

async function createKey(hh: Harness): Promise<void> {
  const res = await hh.app.inject({ method: 'POST', url: '/v1/keys', headers: bearer(hh.owner.secret), payload: { name: 'k', environment: 'test', scopes: ['prices:read'] } });
  expect(res.statusCode, res.body).toBe(201);
}

describe('special-purpose addresses', () => {
  it('names every internal range and lets public unicast addresses through', () => {
    const cases: [string, string | null][] = [
      ['127.0.0.1', 'loopback'],
      ['127.255.0.9', 'loopback'],
      ['10.1.2.3', 'private (RFC 1918)'],
      ['172.16.0.1', 'private (RFC 1918)'],
      ['172.31.255.255', 'private (RFC 1918)'],
      ['192.168.1.1', 'private (RFC 1918)'],
      ['169.254.169.254', 'link-local (incl. cloud metadata)'],
      ['0.0.0.0', 'unspecified'],
      ['0.1.2.3', '"this network"'],
      ['100.64.0.1', 'shared (carrier-grade NAT)'],
      ['224.0.0.1', 'multicast'],
      ['239.255.255.250', 'multicast'],
      ['255.255.255.255', 'broadcast'],
      ['240.0.0.1', 'reserved'],
      ['::1', 'loopback'],
      ['::', 'unspecified'],
      ['fd12:3456::1', 'unique local (private)'],
      ['fc00::1', 'unique local (private)'],
      ['fe80::1', 'link-local'],
      ['fe80::1%eth0', 'link-local'],
      ['ff02::1', 'multicast'],
      ['fec0::1', 'site-local (deprecated)'],
      // IPv4 inside IPv6: judged by the IPv4 address the connection reaches.
      ['::ffff:127.0.0.1', 'loopback'],
      ['::ffff:7f00:1', 'loopback'],
      ['::ffff:a9fe:a9fe', 'link-local (incl. cloud metadata)'],
      ['64:ff9b::a00:1', 'private (RFC 1918)'],
      ['64:ff9b:1::1', 'NAT64 local-use'],
      ['::127.0.0.1', 'reserved'],
      // Public.
      [PUBLIC_V4, null],
      ['8.8.8.8', null],
      ['172.32.0.1', null],
      ['::ffff:8.8.8.8', null],
      ['64:ff9b::808:808', null],
      ['2606:4700:4700::1111', null],
    ];
    for (const [address, kind] of cases) expect(specialAddressKind(address), address).toBe(kind);
    expect(effectiveAddress('::FFFF:7F00:1')).toBe('127.0.0.1');
    expect(effectiveAddress('2606:4700::1')).toBe('2606:4700::1');
  });

  it('allowed networks open exactly their range, for http and https; plain http goes nowhere else', () => {
    const egress = new WebhookEgress({ allowedNetworks: ['10.20.0.0/16', '127.0.0.1', '::1'] });
    expect(egress.refusal('10.20.3.4', 'http:')).toBeNull();
    expect(egress.refusal('10.21.0.1', 'https:')).toBe('a private (RFC 1918) address');
    expect(egress.refusal('127.0.0.1', 'http:')).toBeNull();
    expect(egress.refusal('::ffff:127.0.0.1', 'http:')).toBeNull();
    expect(egress.refusal('127.0.0.2', 'http:')).toBe('a loopback address');
    expect(egress.refusal('::1', 'http:')).toBeNull();
    expect(egress.refusal(PUBLIC_V4, 'https:')).toBeNull();
    expect(egress.refusal(PUBLIC_V4, 'http:')).toMatch(/plain http outside CLAVIS_WEBHOOK_ALLOWED_NETWORKS/);
    expect(new WebhookEgress().refusal('127.0.0.1', 'https:')).toBe('a loopback address');
    expect(() => new WebhookEgress({ allowedNetworks: ['hooks.internal'] })).toThrow(RangeError);
  });
});

describe('creating an endpoint', () => {
  it('refuses internal destinations by address or by name, and plain http to the internet, with WEBHOOK_URL_FORBIDDEN', async () => {
    const resolve = fakeResolver({ 'hooks.example.com': [[PUBLIC_V4]], 'intranet.example.com': [['10.0.0.7']], 'mixed.example.com': [[PUBLIC_V4, 'fd00::7']] });
    h = await makeHarness({ webhooks: { resolve } });
    const refused: [string, RegExp][] = [
      ['http://127.0.0.1:8080/hooks', /127\.0\.0\.1 is a loopback address/],
      ['https://127.0.0.1/hooks', /loopback/],
      ['https://169.254.169.254/latest/meta-data/', /link-local \(incl\. cloud metadata\)/],
      ['https://10.0.0.1/hooks', /private \(RFC 1918\)/],
      ['https://192.168.0.10/hooks', /private/],
      ['https://[::1]/hooks', /loopback/],
      ['https://[::ffff:127.0.0.1]/hooks', /loopback/],
      ['https://[fd00::1]/hooks', /unique local/],
      ['https://[fe80::1]/hooks', /link-local/],
      ['https://0.0.0.0/hooks', /unspecified/],
      ['https://224.0.0.251/hooks', /multicast/],
      // Numeric forms a URL parser turns into loopback.
      ['https://2130706433/hooks', /loopback/],
      ['https://0x7f.1/hooks', /loopback/],
      ['https://intranet.example.com/hooks', /intranet\.example\.com resolves to a private \(RFC 1918\) address/],
      ['https://mixed.example.com/hooks', /resolves to a unique local/],
      ['https://nowhere.example.com/hooks', /does not resolve \(ENOTFOUND\)/],
      [`http://${PUBLIC_V4}/hooks`, /plain http outside/],
      ['http://hooks.example.com/hooks', /plain http outside/],
    ];
    for (const [url, message] of refused) {
      const r = await createEndpoint(h, url);
      expect(r.status, url).toBe(400);
      expect(r.code, url).toBe('WEBHOOK_URL_FORBIDDEN');
      expect(r.detail, url).toMatch(message);
    }
    // The answer names the kind of address a name resolved to, never the address itself.
    expect((await createEndpoint(h, 'https://intranet.example.com/hooks')).body).not.toContain('10.0.0.7');
    // localhost through the real resolver (/etc/hosts), not the fake one.
    const real = await makeHarness();
    try {
      const r = await createEndpoint(real, 'https://localhost:8443/hooks');
      expect(r.code).toBe('WEBHOOK_URL_FORBIDDEN');
      expect(r.detail).toMatch(/localhost resolves to a loopback address/);
    } finally {
      await real.close();
    }

    const ok = await createEndpoint(h, 'https://hooks.example.com/hooks');
    expect(ok.status, ok.body).toBe(201);
    // Nothing was recorded for the refused ones.
    const created = (await h.store.audit.list(h.workspaceId, { limit: 1000 })).filter((e) => e.event.action === 'webhook.created');
    expect(created.map((e) => e.event.data.url)).toEqual(['https://hooks.example.com/hooks']);
    expect(await h.store.webhooks.listEndpoints(h.workspaceId)).toHaveLength(1);
  });

  it('accepts an allowed network, by address or by name, over plain http', async () => {
    rx = await startReceiver();
    h = await makeHarness({ webhooks: { allowedNetworks: ['127.0.0.1', '::1'] } });
    expect((await createEndpoint(h, rx.url)).status).toBe(201);
    const byName = await createEndpoint(h, `http://localhost:${rx.port}/hooks`);
    expect(byName.status, byName.body).toBe(201);
    // Allowed means exactly the range: another loopback address stays refused.
    expect((await createEndpoint(h, `http://127.0.0.2:${rx.port}/hooks`)).code).toBe('WEBHOOK_URL_FORBIDDEN');
    // And deliveries through the checked lookup reach it.
    await createKey(h);
    expect(await h.services.webhookDispatcher.runOnce()).toEqual({ attempted: 2, delivered: 2 });
    expect(rx.received).toHaveLength(2);
  });
});

describe('delivering', () => {
  it('refuses at delivery an endpoint whose address is no longer allowed, without opening a connection', async () => {
    rx = await startReceiver();
    h = await makeHarness({ webhooks: { allowedNetworks: ['127.0.0.1', '::1'] } });
    const byAddress = await createEndpoint(h, rx.url);
    const byName = await createEndpoint(h, `http://localhost:${rx.port}/hooks`);
    await createKey(h);
    // The same store, delivered by a node whose egress filter allows nothing internal
    // (the operator removed the allowance, or the endpoints were made before the filter existed).
    const strict = new WebhookDispatcher({ store: h.store, box: new WebhookSecretBox(h.store, h.services.keyring), clock: h.clock, nodeId: 'strict', egress: new WebhookEgress() });
    expect(await strict.runOnce()).toEqual({ attempted: 2, delivered: 0 });
    expect(rx.connections()).toBe(0);
    const [d1] = await h.store.webhooks.listDeliveries(h.workspaceId, byAddress.id ?? '', { limit: 1 });
    const [d2] = await h.store.webhooks.listDeliveries(h.workspaceId, byName.id ?? '', { limit: 1 });
    expect(d1).toMatchObject({ status: 'pending', attempts: 1, lastStatusCode: null });
    expect(d1?.lastError).toMatch(/127\.0\.0\.1 is a loopback address/);
    expect(d2?.lastError).toMatch(/localhost resolves to a loopback address/);

    // The allowed node delivers both once they are due again: the refusal was the filter's.
    h.clock.advance(60_000);
    expect(await h.services.webhookDispatcher.runOnce()).toEqual({ attempted: 2, delivered: 2 });
    expect(rx.connections()).toBeGreaterThan(0);
  });

  it('DNS rebinding: a name that was public at creation and is 127.0.0.1 at delivery is refused before connecting', async () => {
    rx = await startReceiver();
    const resolve = fakeResolver({ 'rebind.example.com': [[PUBLIC_V4], ['127.0.0.1']] });
    h = await makeHarness({ webhooks: { resolve } });
    const ep = await createEndpoint(h, `https://rebind.example.com:${rx.port}/hooks`);
    expect(ep.status, ep.body).toBe(201);
    await createKey(h);
    expect(await h.services.webhookDispatcher.runOnce()).toEqual({ attempted: 1, delivered: 0 });
    // Resolved again at delivery (not the answer cached from creation), and refused.
    expect(resolve.calls).toEqual(['rebind.example.com', 'rebind.example.com']);
    const [d] = await h.store.webhooks.listDeliveries(h.workspaceId, ep.id ?? '', { limit: 1 });
    expect(d?.lastError).toMatch(/rebind\.example\.com resolves to a loopback address/);
    expect(d?.lastError).not.toContain('127.0.0.1');
    expect(rx.connections()).toBe(0);

    // Without the check the same delivery does reach the receiver's socket (the TLS handshake
    // then fails against a plain-http receiver), so the zero above is the filter's doing.
    const open = new WebhookDispatcher({ store: h.store, box: new WebhookSecretBox(h.store, h.services.keyring), clock: h.clock, nodeId: 'open', egress: new WebhookEgress({ allowedNetworks: ['127.0.0.1'], resolve }) });
    h.clock.advance(60_000);
    expect(await open.runOnce()).toEqual({ attempted: 1, delivered: 0 });
    expect(rx.connections()).toBe(1);
  });
});
