import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, scrypt, sign, verify, type KeyObject } from 'node:crypto';
import type { Clock } from '../core/clock.ts';
import { DecryptionError, type KeyProvider } from '../core/ports/key-provider.ts';
import { type CheckpointSigner, noCheckpointSigner } from '../core/ports/signer.ts';
import type { KeyringRecord, KeyringRepo, Store } from '../core/ports/store.ts';
import { openWithKey, sealWithKey } from '../core/vault/envelope.ts';

/** How the local keyring's key-encryption key (KEK) is obtained. */
export type LocalSealing = { kind: 'passphrase'; passphrase: string } | { kind: 'key-file'; key: Buffer };

/** The local keyring's non-secret settings, kept in the keyring row (`providerData`). */
interface LocalProviderData {
  sealing: 'passphrase' | 'key-file';
  kdf: { name: 'scrypt'; salt: string; logN: number; r: number; p: number } | null;
  /** The audit signing key (PKCS#8 DER), sealed under the KEK; absent when a legacy PEM file signs. */
  signingKey: string | null;
}

/** The passphrase (or key file) does not open the keyring. */
export class KeyringUnlockError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KeyringUnlockError';
  }
}

const VERSION_BYTES = 4;
const ROOT_KEY_BYTES = 32;
/** Default scrypt cost: N = 2^17, r = 8, p = 1 (about 128 MiB and a few hundred ms, once per start). */
export const DEFAULT_KDF_LOG_N = 17;

const rootAad = (version: number): Buffer => Buffer.from(JSON.stringify(['clavis.root-key.v1', version]), 'utf8');
const SIGNING_AAD = Buffer.from('clavis.audit-signing-key.v1', 'utf8');
const wrapAad = (aad: Buffer, version: number): Buffer => Buffer.concat([Buffer.from(`clavis.local-wrap.v1:${version}:`, 'utf8'), aad]);

function scryptKey(passphrase: string, salt: Buffer, logN: number, r: number, p: number): Promise<Buffer> {
  const N = 2 ** logN;
  return new Promise((resolve, reject) => {
    scrypt(passphrase.normalize('NFC'), salt, 32, { N, r, p, maxmem: 256 * N * r + 16 * 1024 * 1024 }, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

function parseData(record: KeyringRecord): LocalProviderData {
  const d = record.providerData as Partial<LocalProviderData>;
  if (d.sealing !== 'passphrase' && d.sealing !== 'key-file') throw new Error('keyring row: providerData.sealing is missing');
  return { sealing: d.sealing, kdf: d.kdf ?? null, signingKey: d.signingKey ?? null };
}

async function kekOf(data: LocalProviderData, sealing: LocalSealing): Promise<Buffer> {
  if (data.sealing !== sealing.kind) {
    throw new KeyringUnlockError(data.sealing === 'passphrase' ? 'the keyring is sealed with a passphrase: set CLAVIS_MASTER_PASSPHRASE (or CLAVIS_MASTER_PASSPHRASE_FILE)' : 'the keyring is sealed with a root key file, not a passphrase: unset CLAVIS_MASTER_PASSPHRASE or point CLAVIS_ROOT_KEY_FILE at the file');
  }
  if (sealing.kind === 'key-file') {
    if (sealing.key.length !== 32) throw new KeyringUnlockError('the root key file must hold 32 bytes, base64');
    return sealing.key;
  }
  if (data.kdf === null) throw new Error('keyring row: passphrase sealing without KDF settings');
  return scryptKey(sealing.passphrase, Buffer.from(data.kdf.salt, 'base64'), data.kdf.logN, data.kdf.r, data.kdf.p);
}

function rawPublicKey(key: KeyObject): Buffer {
  const der = createPublicKey(key).export({ format: 'der', type: 'spki' });
  return der.subarray(der.length - 32);
}

export interface InitLocalKeyringOptions {
  store: Store;
  sealing: LocalSealing;
  clock: Clock;
  /** scrypt cost as log2 N; ignored for key-file sealing. */
  kdfLogN?: number;
  /** When false, no signing key is made (a legacy PEM file keeps signing). Default true. */
  withSigningKey?: boolean;
}

/**
 * Creates the local keyring: a random root key (version 1) sealed under the KEK, and an Ed25519
 * audit signing key sealed the same way. Returns false when a keyring already exists (nothing is
 * changed). Both rows commit in one transaction.
 *
 * @example await initLocalKeyring({ store, sealing: { kind: 'passphrase', passphrase }, clock: systemClock })
 */
export async function initLocalKeyring(opts: InitLocalKeyringOptions): Promise<boolean> {
  if ((await opts.store.keyring.get()) !== null) return false;
  const logN = opts.kdfLogN ?? DEFAULT_KDF_LOG_N;
  const salt = randomBytes(16);
  const data: LocalProviderData = {
    sealing: opts.sealing.kind,
    kdf: opts.sealing.kind === 'passphrase' ? { name: 'scrypt', salt: salt.toString('base64'), logN, r: 8, p: 1 } : null,
    signingKey: null,
  };
  const kek = await kekOf(data, opts.sealing);
  if (opts.withSigningKey !== false) {
    const { privateKey } = generateKeyPairSync('ed25519');
    data.signingKey = sealWithKey(kek, privateKey.export({ format: 'der', type: 'pkcs8' }), SIGNING_AAD).toString('base64');
  }
  const root = randomBytes(ROOT_KEY_BYTES);
  const now = opts.clock.now();
  const created = await opts.store.transact(async (tx) => {
    if (!(await tx.keyring.create({ provider: 'local', currentVersion: 1, minDecryptionVersion: 1, providerData: { ...data }, createdAt: now, updatedAt: now }))) return false;
    await tx.keyring.insertRootKey({ version: 1, sealed: sealWithKey(kek, root, rootAad(1)), createdAt: now });
    return true;
  });
  root.fill(0);
  return created;
}

/**
 * The local keyring as a key provider: root keys live in the store sealed under the KEK (from
 * the passphrase through scrypt, or from the development key file) and are held unsealed in
 * memory while the process runs. A wrapped data key is `version (4 bytes) || 0x01 || iv ||
 * ciphertext || tag`, the version also bound into the AAD.
 *
 * Throws {@link KeyringUnlockError} when the passphrase or key file does not open the keyring.
 *
 * @example const provider = await openLocalKeyring({ store, sealing: { kind: 'passphrase', passphrase }, clock })
 */
export async function openLocalKeyring(opts: { store: Store; sealing: LocalSealing; clock: Clock }): Promise<KeyProvider> {
  const record = await opts.store.keyring.get();
  if (record === null) throw new Error('no keyring yet: run `clavis init` first');
  if (record.provider !== 'local') throw new Error(`the keyring belongs to the ${record.provider} provider, not the local keyring`);
  const data = parseData(record);
  const kek = await kekOf(data, opts.sealing);
  const roots = new Map<number, Buffer>();
  const repo: KeyringRepo = opts.store.keyring;

  const load = async (): Promise<void> => {
    for (const r of await repo.rootKeys()) {
      if (roots.has(r.version) || r.sealed === null) continue;
      try {
        roots.set(r.version, openWithKey(kek, r.sealed, rootAad(r.version)));
      } catch (err) {
        if (err instanceof DecryptionError) throw new KeyringUnlockError(data.sealing === 'passphrase' ? 'the passphrase does not open the keyring' : 'the root key file does not open the keyring');
        throw err;
      }
    }
  };
  await load();
  if (roots.size === 0) throw new Error('the keyring holds no root key');

  const rootOf = async (version: number): Promise<Buffer> => {
    let root = roots.get(version);
    if (root === undefined) {
      await load();
      root = roots.get(version);
    }
    if (root === undefined) throw new DecryptionError(`no root key version ${version}`);
    return root;
  };

  let signer: CheckpointSigner;
  if (data.signingKey !== null) {
    let privateKey: KeyObject;
    try {
      privateKey = createPrivateKey({ key: openWithKey(kek, Buffer.from(data.signingKey, 'base64'), SIGNING_AAD), format: 'der', type: 'pkcs8' });
    } catch {
      throw new KeyringUnlockError('the audit signing key does not open with this passphrase');
    }
    signer = { keyName: 'clavis-audit', publicKeyRaw: rawPublicKey(privateKey), sign: async (m) => sign(null, m, privateKey) };
  } else {
    signer = noCheckpointSigner('this keyring');
  }

  const provider: KeyProvider = {
    kind: 'local',
    description: `local keyring (${data.sealing === 'passphrase' ? 'passphrase, scrypt' : 'development root key file'})`,
    signer,
    versions: async () => {
      await load();
      return [...roots.keys()].sort((a, b) => a - b);
    },
    ensureVersion: async (version) => {
      await load();
      if (roots.has(version)) return;
      const root = randomBytes(ROOT_KEY_BYTES);
      await repo.insertRootKey({ version, sealed: sealWithKey(kek, root, rootAad(version)), createdAt: opts.clock.now() });
      root.fill(0);
      // Another node may have inserted the same version first: load whatever the store holds.
      await load();
      if (!roots.has(version)) throw new Error(`root key version ${version} could not be created`);
    },
    wrap: async (dataKey, aad, version) => {
      const head = Buffer.alloc(VERSION_BYTES);
      head.writeUInt32BE(version);
      return Buffer.concat([head, sealWithKey(await rootOf(version), dataKey, wrapAad(aad, version))]);
    },
    unwrap: async (wrapped, aad, version) => {
      if (wrapped.length < VERSION_BYTES || wrapped.readUInt32BE(0) !== version) throw new DecryptionError('the wrapped key names another root key version');
      return openWithKey(await rootOf(version), wrapped.subarray(VERSION_BYTES), wrapAad(aad, version));
    },
    selfTest: async (version) => {
      const probe = randomBytes(32);
      const aad = Buffer.from('clavis.self-test', 'utf8');
      const back = await provider.unwrap(await provider.wrap(probe, aad, version), aad, version);
      if (!back.equals(probe)) throw new Error('self-test: unwrap did not give back the probe');
      if (data.signingKey !== null) {
        const message = Buffer.from('clavis.self-test', 'utf8');
        const sig = await signer.sign(message);
        const spki = Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), signer.publicKeyRaw]);
        if (!verify(null, message, createPublicKey({ key: spki, format: 'der', type: 'spki' }), sig)) throw new Error('self-test: the audit signature does not verify');
      }
    },
    close: async () => {
      for (const r of roots.values()) r.fill(0);
      roots.clear();
    },
  };
  return provider;
}

/**
 * A local keyring on `store` sealed by a random in-memory key, for tests and benchmarks: it is
 * lost with the process. Creates the keyring when the store has none.
 *
 * @example services.keyring.unseal(await ephemeralLocalKeyring(store, clock))
 */
export async function ephemeralLocalKeyring(store: Store, clock: Clock, key: Buffer = randomBytes(32)): Promise<KeyProvider> {
  const sealing: LocalSealing = { kind: 'key-file', key };
  await initLocalKeyring({ store, sealing, clock });
  return openLocalKeyring({ store, sealing, clock });
}
