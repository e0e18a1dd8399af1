import type { SigningSecretRecord } from '../../core/ports/signing-secret-store.ts';

/** A key_signing_secrets row as both SQL drivers return it (PostgreSQL BIGINT arrives as a string). */
export interface SigningSecretRow {
  key_id: string;
  workspace_id: string;
  ciphertext: Buffer;
  wrapped_key: Buffer;
  key_version: number | string;
  created_at: number | string;
}

/** Maps a `key_signing_secrets` row to its record. */
export function signingSecretFromRow(r: SigningSecretRow): SigningSecretRecord {
  return {
    keyId: r.key_id,
    workspaceId: r.workspace_id,
    ciphertext: Buffer.from(r.ciphertext),
    wrappedKey: Buffer.from(r.wrapped_key),
    keyVersion: Number(r.key_version),
    createdAt: Number(r.created_at),
  };
}
