import type { CreatedKey, RotatedKey, UpdatedKey } from '@clavis/sdk';
import { sha256Hex, signRequest } from '@clavis/sdk/signing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ephemeralLocalKeyring } from '../../src/keyring/local-keyring.ts';
import { parseJson, startServer, type TestServer } from './harness.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startServer();
  // As a started server: HMAC keys need the keyring unsealed.
  server.services.keyring.unseal(await ephemeralLocalKeyring(server.services.store, server.services.clock));
});
afterAll(async () => server.close());

/** The value of a `label  value` line of a record printed as a table. */
function field(text: string, label: string): string {
  // Labels are padded to a common width and followed by two spaces ('signing' is not 'signing secret').
  const line = text.split('\n').find((l) => l.startsWith(label) && /^\s{2,}\S/.test(l.slice(label.length)));
  if (line === undefined) throw new Error(`no "${label}" line in:\n${text}`);
  return line.slice(label.length).trim();
}

async function verifies(key: string, secret: string): Promise<string> {
  const headers = signRequest({ key, signer: { scheme: 'hmac-sha256', secret }, method: 'GET', url: '/x' });
  const signature = { method: 'GET', url: '/x', timestamp: Number(headers['x-clavis-timestamp']), nonce: headers['x-clavis-nonce'], signature: headers['x-clavis-signature'], bodySha256: sha256Hex('') };
  const res = await fetch(`${server.url}/v1/keys/verify`, { method: 'POST', headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/json' }, body: JSON.stringify({ key, signature }) });
  return ((await res.json()) as { code: string }).code;
}

describe('clavis keys --signing', () => {
  it('create --signing hmac-sha256 prints the signing secret once, next to the key; get never shows it', async () => {
    const created = await server.cli(['keys', 'create', '--name', 'bot', '--env', 'test', '--scope', 'prices:read', '--signing', 'hmac-sha256']);
    expect(created.code, created.stderr).toBe(0);
    const key = field(created.stdout, 'key');
    const secret = field(created.stdout, 'signing secret');
    expect(secret).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    expect(created.stdout).toContain('Store both now: neither will be shown again.');
    expect(field(created.stdout, 'signing')).toBe('hmac-sha256');
    expect(await verifies(key, secret)).toBe('VALID');
    const get = await server.cli(['keys', 'get', field(created.stdout, 'id')]);
    expect(get.code).toBe(0);
    expect(field(get.stdout, 'signing')).toBe('hmac-sha256');
    expect(get.stdout).not.toContain(secret);

    const json = await server.cli(['keys', 'create', '--name', 'bot2', '--env', 'test', '--scope', 'prices:read', '--signing', 'hmac-sha256', '--json']);
    expect(json.code).toBe(0);
    const parsed = parseJson<CreatedKey>(json);
    expect(parsed.signingSecret).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    expect(json.stderr).toContain('its signing secret in "signingSecret"');
  });

  it('create --signing ed25519 --public-key; update --signing hmac-sha256 issues a new secret; --no-signing drops it; rotate prints the successor secret', async () => {
    const publicKey = Buffer.from('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a', 'hex').toString('base64');
    const ed = parseJson<CreatedKey>(await server.cli(['keys', 'create', '--name', 'ed', '--env', 'test', '--scope', 'prices:read', '--signing', 'ed25519', '--public-key', publicKey, '--json']));
    expect(ed.signing).toEqual({ scheme: 'ed25519', publicKey });
    expect(ed.signingSecret).toBeUndefined();

    const switched = await server.cli(['keys', 'update', ed.id, '--signing', 'hmac-sha256']);
    expect(switched.code, switched.stderr).toBe(0);
    const secret = field(switched.stdout, 'signing secret');
    expect(await verifies(ed.key, secret)).toBe('VALID');
    const again = parseJson<UpdatedKey>(await server.cli(['keys', 'update', ed.id, '--signing', 'hmac-sha256', '--json']));
    expect(again.signingSecret).not.toBe(secret);
    expect(await verifies(ed.key, secret)).toBe('SIGNATURE_INVALID');

    const rotated = await server.cli(['keys', 'rotate', ed.id, '--grace', '60']);
    expect(rotated.code, rotated.stderr).toBe(0);
    const successorKey = field(rotated.stdout, 'key');
    const successorSecret = field(rotated.stdout, 'signing secret');
    expect(await verifies(successorKey, successorSecret)).toBe('VALID');
    const json = parseJson<RotatedKey>(await server.cli(['keys', 'rotate', field(rotated.stdout, 'successor'), '--json']));
    expect(json.signingSecret).toMatch(/^[A-Za-z0-9+/]{43}=$/);

    const dropped = parseJson<UpdatedKey>(await server.cli(['keys', 'update', ed.id, '--no-signing', '--json']));
    expect(dropped.signing).toBeNull();
  });

  it('refuses inconsistent signing options before calling the server, with exit 2', async () => {
    for (const args of [
      ['keys', 'create', '--name', 'x', '--env', 'test', '--scope', 'prices:read', '--signing', 'ed25519'],
      ['keys', 'create', '--name', 'x', '--env', 'test', '--scope', 'prices:read', '--signing', 'hmac-sha256', '--public-key', 'AAAA'],
      ['keys', 'create', '--name', 'x', '--env', 'test', '--scope', 'prices:read', '--public-key', 'AAAA'],
      ['keys', 'create', '--name', 'x', '--env', 'test', '--scope', 'prices:read', '--signing', 'rsa'],
      ['keys', 'update', 'key_x', '--no-signing', '--public-key', 'AAAA'],
    ]) {
      const r = await server.cli(args);
      expect(r.code, `${args.join(' ')}\n${r.stderr}`).toBe(2);
      expect(r.stdout).toBe('');
    }
  });
});
