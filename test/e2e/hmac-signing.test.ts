import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sha256Hex, signRequest } from '@clavis/sdk/signing';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, http, startServer, type Server } from './process.ts';

// HMAC-SHA256 signing against the real process: the secret is shown once, survives a restart
// sealed under the keyring (the data folder's root key), and is found in no file and no log line.

afterEach(cleanup);

interface Created {
  id: string;
  key: string;
  signingSecret: string;
}

async function verifyCode(server: Server, token: string, key: string, secret: string, body = '{"side":"buy"}', sentBody = body): Promise<string> {
  const headers = signRequest({ key, signer: { scheme: 'hmac-sha256', secret }, method: 'POST', url: '/v1/orders?pair=BTC-USD', body });
  const signature = { method: 'POST', url: '/v1/orders?pair=BTC-USD', timestamp: Number(headers['x-clavis-timestamp']), nonce: headers['x-clavis-nonce'], signature: headers['x-clavis-signature'], bodySha256: sha256Hex(sentBody) };
  const r = await http<{ code: string }>(server.url, 'POST', '/v1/keys/verify', { token, body: { key, signature } });
  if (r.status !== 200) throw new Error(`verify: ${r.status} ${r.text}`);
  return r.body.code;
}

describe('HMAC-signed keys in the real server', () => {
  it('verify after a restart; the secret is in no database file and no log line', async () => {
    const server = await startServer({ CLAVIS_GEOIP: 'false', CLAVIS_LOG_LEVEL: 'debug' });
    const token = readFileSync(server.tokenFile, 'utf8').trim();
    const r = await http<Created>(server.url, 'POST', '/v1/keys', { token, body: { name: 'hmac', environment: 'test', scopes: ['prices:read'], signing: { scheme: 'hmac-sha256' } } });
    expect(r.status, r.text).toBe(201);
    const { key, signingSecret } = r.body;
    expect(await verifyCode(server, token, key, signingSecret)).toBe('VALID');
    expect(await verifyCode(server, token, key, signingSecret, '{"side":"buy"}', '{"side":"sell"}')).toBe('SIGNATURE_INVALID');
    expect((await server.stop()).code).toBe(0);

    const again = await startServer({ CLAVIS_GEOIP: 'false', CLAVIS_LOG_LEVEL: 'debug' }, { dataDir: server.dataDir });
    expect(await verifyCode(again, token, key, signingSecret)).toBe('VALID');
    const rotated = await http<{ key: string; signingSecret: string }>(again.url, 'POST', `/v1/keys/${r.body.id}/rotate`, { token, body: { gracePeriodSeconds: 60 } });
    expect(rotated.status).toBe(200);
    expect(await verifyCode(again, token, rotated.body.key, rotated.body.signingSecret)).toBe('VALID');
    expect(await verifyCode(again, token, key, signingSecret)).toBe('VALID');
    expect((await again.stop()).code).toBe(0);

    const secrets = [signingSecret, rotated.body.signingSecret];
    const raw = secrets.map((s) => Buffer.from(s, 'base64'));
    const files = ['clavis.db', 'clavis.db-wal', 'clavis.db-shm'].map((f) => join(server.dataDir, f)).filter((f) => existsSync(f));
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) {
      const bytes = readFileSync(file);
      for (const [i, s] of secrets.entries()) {
        expect(bytes.includes(Buffer.from(s)), `${file} holds a secret's text`).toBe(false);
        expect(bytes.includes(raw[i] ?? Buffer.alloc(1)), `${file} holds a secret's bytes`).toBe(false);
      }
    }
    const logs = [...server.stdout, ...server.stderr, ...again.stdout, ...again.stderr].join('\n');
    expect(logs.length).toBeGreaterThan(0);
    for (const s of secrets) expect(logs).not.toContain(s);
  });
});
