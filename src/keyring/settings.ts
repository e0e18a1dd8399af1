/** How to reach the key provider; built from the configuration (src/config.ts). */
export type KeyProviderSettings =
  | {
      kind: 'local';
      /** From CLAVIS_MASTER_PASSPHRASE. */
      passphrase?: string;
      /** Re-read on every unseal attempt, so fixing the file unseals a running server. */
      passphraseFile?: string;
      /** The development root key file, used when no passphrase is set. */
      rootKeyFile: string;
      kdfLogN: number;
    }
  | {
      kind: 'pkcs11';
      module: string;
      tokenLabel?: string;
      slot?: number;
      pin?: string;
      pinFile?: string;
      /** Prefix of the object labels on the token: `<label>-root-v<N>`, `<label>-audit`. */
      keyLabel: string;
    }
  | {
      kind: 'vault-transit';
      address: string;
      token?: string;
      tokenFile?: string;
      mount: string;
      keyName: string;
      signingKeyName: string;
      namespace?: string;
    };
