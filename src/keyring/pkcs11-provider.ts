import { createPublicKey, randomBytes, verify } from 'node:crypto';
import pkcs11js from 'pkcs11js';
import type { GcmParams, Handle, Mechanism, Template } from 'pkcs11js';
import { DecryptionError, ProviderUnavailableError, type KeyProvider } from '../core/ports/key-provider.ts';
import { type CheckpointSigner, noCheckpointSigner } from '../core/ports/signer.ts';

// pkcs11js has no names for the PKCS#11 3.0 Edwards-curve constants.
const CKK_EC_EDWARDS = 0x40;
const CKM_EC_EDWARDS_KEY_PAIR_GEN = 0x1055;
const CKM_EDDSA = 0x1057;
/** CKA_EC_PARAMS of Ed25519: the PrintableString "edwards25519" (what SoftHSM2 and most tokens accept). */
const ED25519_PARAMS = Buffer.concat([Buffer.from([0x13, 12]), Buffer.from('edwards25519', 'ascii')]);
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
const IV_BYTES = 12;
const TAG_BYTES = 16;
const VERSION_BYTES = 4;

/** Result codes that mean the session or token went away, not that the data is bad. */
const UNAVAILABLE = new Set([
  pkcs11js.CKR_SESSION_HANDLE_INVALID,
  pkcs11js.CKR_SESSION_CLOSED,
  pkcs11js.CKR_DEVICE_REMOVED,
  pkcs11js.CKR_DEVICE_ERROR,
  pkcs11js.CKR_TOKEN_NOT_PRESENT,
  pkcs11js.CKR_TOKEN_NOT_RECOGNIZED,
  pkcs11js.CKR_USER_NOT_LOGGED_IN,
  pkcs11js.CKR_CRYPTOKI_NOT_INITIALIZED,
]);

export interface Pkcs11Options {
  /** Path of the PKCS#11 module, e.g. /usr/lib/softhsm/libsofthsm2.so. */
  module: string;
  /** Token label (trailing blanks ignored); or `slot`. */
  tokenLabel?: string;
  /** Slot id, when the token is not selected by label. */
  slot?: number;
  pin: string;
  /** Label prefix of Clavis's objects on the token. */
  keyLabel: string;
  /** Create (or use) the Ed25519 audit signing key pair on the token. */
  withSigningKey: boolean;
}

/** The PKCS#11 result code of an error thrown by pkcs11js, if it has one. */
function ckr(err: unknown): number | null {
  const code: unknown = err instanceof Error ? (err as Error & { code?: unknown }).code : undefined;
  return typeof code === 'number' ? code : null;
}

/** How many providers of this process use each module: C_Finalize only when the last one closes. */
const openCount = new Map<string, number>();

const rootLabel = (prefix: string, version: number): string => `${prefix}-root-v${version}`;
const wrapAad = (aad: Buffer, version: number): Buffer => Buffer.concat([Buffer.from(`clavis.pkcs11-wrap.v1:${version}:`, 'utf8'), aad]);

function gcm(iv: Buffer, aad: Buffer): Mechanism {
  const parameter: GcmParams = { type: pkcs11js.CK_PARAMS_AES_GCM, iv, ivBits: IV_BYTES * 8, aad, tagBits: TAG_BYTES * 8 };
  return { mechanism: pkcs11js.CKM_AES_GCM, parameter };
}

/** The raw 32-byte key from CKA_EC_POINT, which tokens give as a DER OCTET STRING or bare. */
function edPointToRaw(point: Buffer): Buffer {
  if (point.length === 32) return point;
  if (point.length === 34 && point[0] === 0x04 && point[1] === 32) return point.subarray(2);
  throw new Error(`unexpected CKA_EC_POINT of ${point.length} bytes`);
}

/**
 * The PKCS#11 key provider (HSM; SoftHSM2 in tests). Root key versions are non-extractable,
 * sensitive AES-256 keys on the token labelled `<keyLabel>-root-v<N>`; wrap and unwrap run
 * AES-GCM with the AAD on the token, so root keys never leave it. The audit signing key is an
 * Ed25519 key pair `<keyLabel>-audit` (CKM_EDDSA); its signatures verify with node:crypto.
 *
 * A wrapped key is `version (4 bytes) || iv (12) || ciphertext || tag (16)`.
 *
 * @example const provider = await openPkcs11Provider({ module: '/usr/lib/softhsm/libsofthsm2.so', tokenLabel: 'clavis', pin, keyLabel: 'clavis', withSigningKey: true })
 */
export async function openPkcs11Provider(opts: Pkcs11Options): Promise<KeyProvider> {
  const lib = new pkcs11js.PKCS11();
  try {
    lib.load(opts.module);
  } catch (err) {
    throw new ProviderUnavailableError(`cannot load the PKCS#11 module ${opts.module}: ${err instanceof Error ? err.message : String(err)}`);
  }
  try {
    lib.C_Initialize();
  } catch (err) {
    if (ckr(err) !== pkcs11js.CKR_CRYPTOKI_ALREADY_INITIALIZED) throw new ProviderUnavailableError(`C_Initialize failed: ${err instanceof Error ? err.message : String(err)}`);
  }
  openCount.set(opts.module, (openCount.get(opts.module) ?? 0) + 1);
  let session: Handle | null = null;
  let closed = false;
  const finalize = (): void => {
    if (closed) return;
    closed = true;
    try {
      if (session !== null) lib.C_CloseSession(session);
    } catch {
      // The session may already be gone with the token.
    }
    const left = (openCount.get(opts.module) ?? 1) - 1;
    openCount.set(opts.module, left);
    if (left === 0) {
      try {
        lib.C_Finalize();
      } catch {
        // Already finalized.
      }
    }
  };

  try {
    const slots = lib.C_GetSlotList(true);
    const slot = slots.find((s) => {
      if (opts.tokenLabel !== undefined) return lib.C_GetTokenInfo(s).label.trim() === opts.tokenLabel;
      return opts.slot !== undefined && s.readUIntLE(0, Math.min(6, s.length)) === opts.slot;
    });
    if (slot === undefined) {
      throw new ProviderUnavailableError(opts.tokenLabel !== undefined ? `no PKCS#11 token labelled "${opts.tokenLabel}" is present` : `no token in PKCS#11 slot ${opts.slot ?? '(none given)'}`);
    }
    session = lib.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION | pkcs11js.CKF_RW_SESSION);
    try {
      lib.C_Login(session, pkcs11js.CKU_USER, opts.pin);
    } catch (err) {
      const code = ckr(err);
      if (code === pkcs11js.CKR_PIN_INCORRECT) throw new Error('the PKCS#11 PIN is wrong');
      if (code === pkcs11js.CKR_PIN_LOCKED) throw new Error('the PKCS#11 PIN is locked');
      if (code !== pkcs11js.CKR_USER_ALREADY_LOGGED_IN) throw err;
    }
    const s: Handle = session;
    const mechanisms = new Set(lib.C_GetMechanismList(slot));
    if (!mechanisms.has(pkcs11js.CKM_AES_GCM)) throw new Error('the token offers no AES-GCM (CKM_AES_GCM)');

    const find = (template: Template, max = 100): Handle[] => {
      lib.C_FindObjectsInit(s, template);
      try {
        return lib.C_FindObjects(s, max);
      } finally {
        lib.C_FindObjectsFinal(s);
      }
    };
    const label = (h: Handle): string => {
      const [attr] = lib.C_GetAttributeValue(s, h, [{ type: pkcs11js.CKA_LABEL }]);
      return attr?.value.toString('utf8') ?? '';
    };
    const roots = new Map<number, Handle>();
    const rootOf = (version: number): Handle => {
      let h = roots.get(version);
      if (h === undefined) {
        h = find([{ type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_SECRET_KEY }, { type: pkcs11js.CKA_TOKEN, value: true }, { type: pkcs11js.CKA_LABEL, value: rootLabel(opts.keyLabel, version) }], 1)[0];
        if (h === undefined) throw new DecryptionError(`the token holds no root key version ${version}`);
        roots.set(version, h);
      }
      return h;
    };
    /** Runs a token call, telling a lost session apart from bad data. */
    const call = <T>(fn: () => T, onData: (err: unknown) => never): T => {
      if (closed) throw new ProviderUnavailableError('the PKCS#11 provider is closed');
      try {
        return fn();
      } catch (err) {
        const code = ckr(err);
        if (code !== null && UNAVAILABLE.has(code)) throw new ProviderUnavailableError(`the PKCS#11 token failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
        return onData(err);
      }
    };
    const rethrow = (err: unknown): never => {
      throw err;
    };

    let signer: CheckpointSigner = noCheckpointSigner('the token');
    if (opts.withSigningKey) {
      const auditLabel = `${opts.keyLabel}-audit`;
      let priv = find([{ type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY }, { type: pkcs11js.CKA_TOKEN, value: true }, { type: pkcs11js.CKA_LABEL, value: auditLabel }], 1)[0];
      let pub = find([{ type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PUBLIC_KEY }, { type: pkcs11js.CKA_TOKEN, value: true }, { type: pkcs11js.CKA_LABEL, value: auditLabel }], 1)[0];
      if (priv === undefined || pub === undefined) {
        if (!mechanisms.has(CKM_EDDSA) || !mechanisms.has(CKM_EC_EDWARDS_KEY_PAIR_GEN)) {
          throw new Error('the token offers no Ed25519 (CKM_EDDSA): keep signing checkpoints with CLAVIS_AUDIT_SIGNING_KEY_FILE (ECDSA P-256 checkpoints are not supported by the audit verifier yet)');
        }
        const pair = lib.C_GenerateKeyPair(
          s,
          { mechanism: CKM_EC_EDWARDS_KEY_PAIR_GEN },
          [
            { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PUBLIC_KEY },
            { type: pkcs11js.CKA_KEY_TYPE, value: CKK_EC_EDWARDS },
            { type: pkcs11js.CKA_TOKEN, value: true },
            { type: pkcs11js.CKA_VERIFY, value: true },
            { type: pkcs11js.CKA_EC_PARAMS, value: ED25519_PARAMS },
            { type: pkcs11js.CKA_LABEL, value: auditLabel },
          ],
          [
            { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY },
            { type: pkcs11js.CKA_KEY_TYPE, value: CKK_EC_EDWARDS },
            { type: pkcs11js.CKA_TOKEN, value: true },
            { type: pkcs11js.CKA_PRIVATE, value: true },
            { type: pkcs11js.CKA_SENSITIVE, value: true },
            { type: pkcs11js.CKA_EXTRACTABLE, value: false },
            { type: pkcs11js.CKA_SIGN, value: true },
            { type: pkcs11js.CKA_LABEL, value: auditLabel },
          ],
        );
        priv = pair.privateKey;
        pub = pair.publicKey;
      }
      const [point] = lib.C_GetAttributeValue(s, pub, [{ type: pkcs11js.CKA_EC_POINT }]);
      if (point === undefined) throw new Error('the audit public key has no CKA_EC_POINT');
      const publicKeyRaw = edPointToRaw(point.value);
      const privateKey = priv;
      signer = {
        keyName: 'clavis-audit',
        publicKeyRaw,
        sign: async (message) =>
          call(() => {
            lib.C_SignInit(s, { mechanism: CKM_EDDSA }, privateKey);
            return Buffer.from(lib.C_Sign(s, message, Buffer.alloc(64)));
          }, rethrow),
      };
    }

    const provider: KeyProvider = {
      kind: 'pkcs11',
      description: `PKCS#11 ${opts.module} (${opts.tokenLabel !== undefined ? `token "${opts.tokenLabel}"` : `slot ${opts.slot ?? '?'}`})`,
      signer,
      versions: async () =>
        call(() => {
          const prefix = `${opts.keyLabel}-root-v`;
          return find([{ type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_SECRET_KEY }, { type: pkcs11js.CKA_TOKEN, value: true }], 10_000)
            .map(label)
            .filter((l) => l.startsWith(prefix) && /^\d+$/.test(l.slice(prefix.length)))
            .map((l) => Number(l.slice(prefix.length)))
            .sort((a, b) => a - b);
        }, rethrow),
      ensureVersion: async (version) =>
        call(() => {
          try {
            rootOf(version);
            return;
          } catch (err) {
            if (!(err instanceof DecryptionError)) throw err;
          }
          const h = lib.C_GenerateKey(s, { mechanism: pkcs11js.CKM_AES_KEY_GEN }, [
            { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_SECRET_KEY },
            { type: pkcs11js.CKA_KEY_TYPE, value: pkcs11js.CKK_AES },
            { type: pkcs11js.CKA_VALUE_LEN, value: 32 },
            { type: pkcs11js.CKA_TOKEN, value: true },
            { type: pkcs11js.CKA_PRIVATE, value: true },
            { type: pkcs11js.CKA_SENSITIVE, value: true },
            { type: pkcs11js.CKA_EXTRACTABLE, value: false },
            { type: pkcs11js.CKA_ENCRYPT, value: true },
            { type: pkcs11js.CKA_DECRYPT, value: true },
            { type: pkcs11js.CKA_LABEL, value: rootLabel(opts.keyLabel, version) },
          ]);
          roots.set(version, h);
        }, rethrow),
      wrap: async (dataKey, aad, version) => {
        const iv = randomBytes(IV_BYTES);
        const body = call(() => {
          lib.C_EncryptInit(s, gcm(iv, wrapAad(aad, version)), rootOf(version));
          return Buffer.from(lib.C_Encrypt(s, dataKey, Buffer.alloc(dataKey.length + TAG_BYTES)));
        }, rethrow);
        const head = Buffer.alloc(VERSION_BYTES);
        head.writeUInt32BE(version);
        return Buffer.concat([head, iv, body]);
      },
      unwrap: async (wrapped, aad, version) => {
        if (wrapped.length < VERSION_BYTES + IV_BYTES + TAG_BYTES || wrapped.readUInt32BE(0) !== version) throw new DecryptionError('the wrapped key names another root key version');
        const iv = wrapped.subarray(VERSION_BYTES, VERSION_BYTES + IV_BYTES);
        const body = wrapped.subarray(VERSION_BYTES + IV_BYTES);
        const key = rootOf(version);
        return call(
          () => {
            lib.C_DecryptInit(s, gcm(iv, wrapAad(aad, version)), key);
            return Buffer.from(lib.C_Decrypt(s, body, Buffer.alloc(body.length)));
          },
          () => {
            throw new DecryptionError();
          },
        );
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
          if (!verify(null, message, spki, sig)) throw new Error('self-test: the token signature does not verify with node:crypto');
        }
      },
      close: async () => finalize(),
    };
    return provider;
  } catch (err) {
    finalize();
    throw err;
  }
}
