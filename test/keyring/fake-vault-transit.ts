/**
 * A local fake of the HashiCorp Vault transit engine's HTTP API, enough for the provider:
 * keys (create, read, rotate), encrypt and decrypt with associated_data and key_version, and
 * ed25519 sign. Ciphertexts are `vault:v<N>:base64(nonce || ciphertext || tag)` as Vault's are.
 * `down()` makes it answer 503 (a sealed Vault); `up()` brings it back.
 */
import { createCipheriv, createDecipheriv, createPublicKey, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

interface FakeKey {
  type: 'aes256-gcm96' | 'ed25519';
  versions: { aes?: Buffer; ed?: KeyObject; created: string }[];
  minDecryptionVersion: number;
}

export interface FakeVault {
  address: string;
  token: string;
  keys: Map<string, FakeKey>;
  down(): void;
  up(): void;
  close(): Promise<void>;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

async function body(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
}

export async function startFakeVault(mount = 'transit'): Promise<FakeVault> {
  const token = `hvs.${randomBytes(12).toString('hex')}`;
  const keys = new Map<string, FakeKey>();
  let available = true;
  const addVersion = (k: FakeKey): void => {
    const created = new Date().toISOString();
    k.versions.push(k.type === 'aes256-gcm96' ? { aes: randomBytes(32), created } : { ed: generateKeyPairSync('ed25519').privateKey, created });
  };
  const view = (k: FakeKey) => ({
    type: k.type,
    latest_version: k.versions.length,
    min_decryption_version: k.minDecryptionVersion,
    keys: Object.fromEntries(
      k.versions.map((v, i) => [String(i + 1), v.ed === undefined ? Math.floor(Date.parse(v.created) / 1000) : { public_key: createPublicKey(v.ed).export({ format: 'der', type: 'spki' }).subarray(12).toString('base64'), creation_time: v.created }]),
    ),
  });

  const server: Server = createServer((req, res) => {
    void (async () => {
      if (!available) return send(res, 503, { errors: ['Vault is sealed'] });
      if (req.headers['x-vault-token'] !== token) return send(res, 403, { errors: ['permission denied'] });
      const url = new URL(req.url ?? '/', 'http://vault');
      const prefix = `/v1/${mount}/`;
      if (!url.pathname.startsWith(prefix)) return send(res, 404, { errors: [] });
      const parts = url.pathname.slice(prefix.length).split('/').map(decodeURIComponent);
      const b = req.method === 'POST' ? await body(req) : {};
      const [op, name, sub] = parts;
      const key = name === undefined ? undefined : keys.get(name);
      if (op === 'keys' && name !== undefined && sub === undefined && req.method === 'GET') return key === undefined ? send(res, 404, { errors: [] }) : send(res, 200, { data: view(key) });
      if (op === 'keys' && name !== undefined && sub === undefined && req.method === 'POST') {
        if (key === undefined) {
          const k: FakeKey = { type: b.type === 'ed25519' ? 'ed25519' : 'aes256-gcm96', versions: [], minDecryptionVersion: 1 };
          addVersion(k);
          keys.set(name, k);
        }
        return send(res, 204, {});
      }
      if (key === undefined) return send(res, 400, { errors: [`encryption key not found`] });
      if (op === 'keys' && sub === 'rotate') {
        addVersion(key);
        return send(res, 200, { data: view(key) });
      }
      const aad = typeof b.associated_data === 'string' ? Buffer.from(b.associated_data, 'base64') : Buffer.alloc(0);
      if (op === 'encrypt') {
        const n = typeof b.key_version === 'number' && b.key_version > 0 ? b.key_version : key.versions.length;
        const k = key.versions[n - 1]?.aes;
        if (k === undefined || n < key.minDecryptionVersion) return send(res, 400, { errors: ['invalid key version'] });
        const nonce = randomBytes(12);
        const c = createCipheriv('aes-256-gcm', k, nonce);
        c.setAAD(aad);
        const ct = Buffer.concat([nonce, c.update(Buffer.from(String(b.plaintext), 'base64')), c.final(), c.getAuthTag()]);
        return send(res, 200, { data: { ciphertext: `vault:v${n}:${ct.toString('base64')}`, key_version: n } });
      }
      if (op === 'decrypt') {
        const m = /^vault:v(\d+):(.*)$/.exec(String(b.ciphertext));
        const n = Number(m?.[1]);
        const k = key.versions[n - 1]?.aes;
        if (m === null || k === undefined || n < key.minDecryptionVersion) return send(res, 400, { errors: ['invalid ciphertext: no prefix or key version'] });
        const raw = Buffer.from(m[2] ?? '', 'base64');
        try {
          const d = createDecipheriv('aes-256-gcm', k, raw.subarray(0, 12));
          d.setAAD(aad);
          d.setAuthTag(raw.subarray(raw.length - 16));
          const pt = Buffer.concat([d.update(raw.subarray(12, raw.length - 16)), d.final()]);
          return send(res, 200, { data: { plaintext: pt.toString('base64') } });
        } catch {
          return send(res, 400, { errors: ['cipher: message authentication failed'] });
        }
      }
      if (op === 'sign') {
        const n = typeof b.key_version === 'number' ? b.key_version : key.versions.length;
        const k = key.versions[n - 1]?.ed;
        if (k === undefined) return send(res, 400, { errors: ['not a signing key'] });
        return send(res, 200, { data: { signature: `vault:v${n}:${sign(null, Buffer.from(String(b.input), 'base64'), k).toString('base64')}`, key_version: n } });
      }
      return send(res, 404, { errors: [] });
    })().catch((err: unknown) => send(res, 500, { errors: [String(err)] }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    address: `http://127.0.0.1:${port}`,
    token,
    keys,
    down: () => {
      available = false;
    },
    up: () => {
      available = true;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
