import { createPublicKey, randomBytes, verify } from 'node:crypto';
import { DecryptionError, ProviderUnavailableError, type KeyProvider } from '../core/ports/key-provider.ts';
import { type CheckpointSigner, noCheckpointSigner } from '../core/ports/signer.ts';

export interface VaultTransitOptions {
  /** Vault address, e.g. https://vault.internal:8200. */
  address: string;
  token: string;
  /** Mount path of the transit engine (default `transit`). */
  mount: string;
  /** The aes256-gcm96 transit key that wraps data keys; its versions are the root key versions. */
  keyName: string;
  /** The ed25519 transit key that signs audit checkpoints. */
  signingKeyName: string;
  withSigningKey: boolean;
  namespace?: string;
  /** Per-request timeout; default 5 s. */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
const CIPHERTEXT = /^vault:v(\d+):/;

interface TransitKey {
  type: string;
  latest_version: number;
  min_decryption_version: number;
  keys: Record<string, number | string | { public_key?: string }>;
}

/**
 * The HashiCorp Vault transit key provider (also OpenBao). Data keys are wrapped by
 * `transit/encrypt` with `associated_data` and an explicit `key_version`, so Vault's key versions
 * are Clavis's root key versions; the root keys never leave Vault. Checkpoints are signed by an
 * ed25519 transit key. Tested against a local fake that speaks the same HTTP API
 * (test/keyring/fake-vault-transit.ts).
 *
 * @example const provider = await openVaultTransitProvider({ address: 'https://vault:8200', token, mount: 'transit', keyName: 'clavis-root', signingKeyName: 'clavis-audit', withSigningKey: true })
 */
export async function openVaultTransitProvider(opts: VaultTransitOptions): Promise<KeyProvider> {
  const base = opts.address.replace(/\/+$/, '');
  const doFetch = opts.fetch ?? fetch;
  let closed = false;

  const request = async <T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number; data: T | null; errors: string[] }> => {
    if (closed) throw new ProviderUnavailableError('the Vault transit provider is closed');
    let res: Response;
    try {
      res = await doFetch(`${base}/v1/${opts.mount}/${path}`, {
        method,
        headers: { 'x-vault-token': opts.token, ...(opts.namespace !== undefined ? { 'x-vault-namespace': opts.namespace } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(opts.timeoutMs ?? 5000),
      });
    } catch (err) {
      const cause: unknown = err instanceof Error ? err.cause : undefined;
      const code = typeof cause === 'object' && cause !== null && 'code' in cause ? String(cause.code) : err instanceof Error ? err.message : String(err);
      throw new ProviderUnavailableError(`Vault at ${base} cannot be reached: ${code}`, { cause: err });
    }
    const text = await res.text();
    let parsed: { data?: T; errors?: string[] } = {};
    try {
      parsed = text === '' ? {} : (JSON.parse(text) as { data?: T; errors?: string[] });
    } catch {
      parsed = { errors: [text.slice(0, 200)] };
    }
    if (res.status >= 500 || res.status === 429) throw new ProviderUnavailableError(`Vault answered ${res.status}: ${(parsed.errors ?? []).join('; ') || 'no detail'}`);
    if (res.status === 401 || res.status === 403) throw new Error(`Vault refused the token (${res.status}): check CLAVIS_VAULT_TOKEN and its policy on ${opts.mount}/`);
    return { status: res.status, data: parsed.data ?? null, errors: parsed.errors ?? [] };
  };

  const readKey = async (name: string): Promise<TransitKey | null> => {
    const r = await request<TransitKey>('GET', `keys/${encodeURIComponent(name)}`);
    if (r.status === 404) return null;
    if (r.status !== 200 || r.data === null) throw new Error(`Vault: reading transit key ${name} failed (${r.status}): ${r.errors.join('; ')}`);
    return r.data;
  };
  const createKey = async (name: string, type: 'aes256-gcm96' | 'ed25519'): Promise<TransitKey> => {
    const r = await request('POST', `keys/${encodeURIComponent(name)}`, { type, exportable: false, allow_plaintext_backup: false });
    if (r.status >= 300) throw new Error(`Vault: creating transit key ${name} failed (${r.status}): ${r.errors.join('; ')}`);
    const key = await readKey(name);
    if (key === null) throw new Error(`Vault: transit key ${name} is missing right after creation`);
    return key;
  };

  let signer: CheckpointSigner = noCheckpointSigner('Vault');
  if (opts.withSigningKey) {
    const key = (await readKey(opts.signingKeyName)) ?? (await createKey(opts.signingKeyName, 'ed25519'));
    if (key.type !== 'ed25519') throw new Error(`Vault transit key ${opts.signingKeyName} is ${key.type}, not ed25519`);
    const entry = key.keys[String(key.latest_version)];
    const publicKey = typeof entry === 'object' ? entry.public_key : undefined;
    if (publicKey === undefined) throw new Error(`Vault transit key ${opts.signingKeyName} shows no public key`);
    const signingVersion = key.latest_version;
    signer = {
      keyName: 'clavis-audit',
      publicKeyRaw: Buffer.from(publicKey, 'base64'),
      sign: async (message) => {
        const r = await request<{ signature: string }>('POST', `sign/${encodeURIComponent(opts.signingKeyName)}`, { input: message.toString('base64'), key_version: signingVersion });
        const sig = r.data?.signature;
        if (r.status !== 200 || sig === undefined) throw new Error(`Vault: signing failed (${r.status}): ${r.errors.join('; ')}`);
        return Buffer.from(sig.replace(/^vault:v\d+:/, ''), 'base64');
      },
    };
  }

  const provider: KeyProvider = {
    kind: 'vault-transit',
    description: `Vault transit ${base}/v1/${opts.mount} (key ${opts.keyName})`,
    signer,
    versions: async () => {
      const key = await readKey(opts.keyName);
      return key === null ? [] : Object.keys(key.keys).map(Number).sort((a, b) => a - b);
    },
    ensureVersion: async (version) => {
      let key = (await readKey(opts.keyName)) ?? (await createKey(opts.keyName, 'aes256-gcm96'));
      if (key.type !== 'aes256-gcm96') throw new Error(`Vault transit key ${opts.keyName} is ${key.type}, not aes256-gcm96`);
      while (key.latest_version < version) {
        const r = await request('POST', `keys/${encodeURIComponent(opts.keyName)}/rotate`, {});
        if (r.status >= 300) throw new Error(`Vault: rotating ${opts.keyName} failed (${r.status}): ${r.errors.join('; ')}`);
        const next = await readKey(opts.keyName);
        if (next === null) throw new Error(`Vault: transit key ${opts.keyName} disappeared`);
        key = next;
      }
    },
    wrap: async (dataKey, aad, version) => {
      const r = await request<{ ciphertext: string }>('POST', `encrypt/${encodeURIComponent(opts.keyName)}`, { plaintext: dataKey.toString('base64'), associated_data: aad.toString('base64'), key_version: version });
      const ct = r.data?.ciphertext;
      if (r.status !== 200 || ct === undefined) throw new Error(`Vault: encrypt failed (${r.status}): ${r.errors.join('; ')}`);
      if (CIPHERTEXT.exec(ct)?.[1] !== String(version)) throw new Error(`Vault wrapped with another key version than ${version}: ${ct.slice(0, 12)}…`);
      return Buffer.from(ct, 'utf8');
    },
    unwrap: async (wrapped, aad, version) => {
      const ct = wrapped.toString('utf8');
      if (CIPHERTEXT.exec(ct)?.[1] !== String(version)) throw new DecryptionError('the wrapped key names another root key version');
      const r = await request<{ plaintext: string }>('POST', `decrypt/${encodeURIComponent(opts.keyName)}`, { ciphertext: ct, associated_data: aad.toString('base64') });
      const pt = r.data?.plaintext;
      if (r.status === 400) throw new DecryptionError(`Vault could not decrypt: ${r.errors.join('; ')}`);
      if (r.status !== 200 || pt === undefined) throw new Error(`Vault: decrypt failed (${r.status}): ${r.errors.join('; ')}`);
      return Buffer.from(pt, 'base64');
    },
    selfTest: async (version) => {
      const probe = randomBytes(32);
      const aad = Buffer.from('clavis.self-test', 'utf8');
      const back = await provider.unwrap(await provider.wrap(probe, aad, version), aad, version);
      if (!back.equals(probe)) throw new Error('self-test: unwrap did not give back the probe');
      if (opts.withSigningKey) {
        const message = Buffer.from('clavis.self-test', 'utf8');
        const sig = await signer.sign(message);
        const spki = createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, signer.publicKeyRaw]), format: 'der', type: 'spki' });
        if (!verify(null, message, spki, sig)) throw new Error('self-test: the Vault signature does not verify');
      }
    },
    close: async () => {
      closed = true;
    },
  };
  return provider;
}
