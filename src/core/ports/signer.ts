/**
 * Signs audit checkpoints with Ed25519. The local keyring implements it now; an HSM or KMS key
 * provider implements the same port later, so the private key never has to leave it.
 */
export interface CheckpointSigner {
  /** Key name in the C2SP signed-note sense, e.g. `clavis-audit`. */
  readonly keyName: string;
  /** Raw 32-byte Ed25519 public key. */
  readonly publicKeyRaw: Buffer;
  sign(message: Buffer): Promise<Buffer>;
}

/**
 * The signer of a provider that holds no audit signing key (the data folder's legacy PEM file
 * signs instead): any use says so.
 *
 * @example let signer = noCheckpointSigner('the token')
 */
export function noCheckpointSigner(holder: string): CheckpointSigner {
  const refuse = (): never => {
    throw new Error(`${holder} holds no audit signing key (a legacy PEM file signs)`);
  };
  return {
    keyName: 'clavis-audit',
    get publicKeyRaw(): Buffer {
      return refuse();
    },
    sign: async () => refuse(),
  };
}
