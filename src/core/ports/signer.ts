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
