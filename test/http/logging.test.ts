import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { REDACT_PATHS, buildApp } from '../../src/http/app.ts';
import { bearer, makeHarness } from '../support/harness.ts';

describe('structured logs', () => {
  it('never contain a key or an admin token, even in headers or failed requests', async () => {
    const h = await makeHarness();
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString('utf8'));
        done();
      },
    });
    const app = await buildApp({ services: h.services, logger: { level: 'trace', stream, redact: { paths: REDACT_PATHS, censor: '[redacted]' } } });
    const created = await app.inject({ method: 'POST', url: '/v1/keys', headers: bearer(h.owner.secret), payload: { name: 'a', environment: 'test', scopes: ['prices:read'] } });
    const key = created.json<{ key: string }>().key;
    await app.inject({ method: 'POST', url: '/v1/keys/verify', headers: bearer(h.owner.secret), payload: { key } });
    await app.inject({ method: 'POST', url: '/v1/keys/verify', headers: { ...bearer(h.owner.secret), 'x-clavis-key': key }, payload: { key: `${key}x` } });
    await app.inject({ method: 'GET', url: '/v1/keys', headers: bearer(`${h.owner.secret}0`) });
    const token = (await app.inject({ method: 'POST', url: '/v1/tokens', headers: bearer(h.owner.secret), payload: { name: 't' } })).json<{ token: string }>().token;
    await app.close();
    await h.close();
    const all = lines.join('');
    expect(lines.length).toBeGreaterThan(8);
    expect(all).toContain('"reqId":"req_');
    for (const secret of [key, h.owner.secret, token, key.slice(9, 30), h.owner.secret.slice(8, 30)]) expect(all).not.toContain(secret);
  });
});
