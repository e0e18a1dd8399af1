import type { KeyProvider } from '../core/ports/key-provider.ts';
import type { Keyring } from '../core/vault/keyring.ts';

export interface UnsealerOptions {
  keyring: Keyring;
  /** Opens the provider (reading passphrase, PIN or token files afresh each time). */
  open: () => Promise<KeyProvider>;
  intervalMs: number;
  onUnsealed?: (provider: KeyProvider) => void;
  onFailed?: (message: string) => void;
}

export interface Unsealer {
  /** One attempt now; true when the keyring is unsealed afterwards. */
  attempt(): Promise<boolean>;
  stop(): void;
}

const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/**
 * Keeps trying to unseal a sealed keyring every `intervalMs` (provider back, token inserted, PIN
 * or passphrase file fixed), so the server unseals without a restart. It also starts again when
 * the keyring seals later (a provider that fails mid-run).
 */
export function startUnsealer(opts: UnsealerOptions): Unsealer {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<boolean> | null = null;
  let stopped = false;

  const schedule = (): void => {
    if (stopped || timer !== undefined || !opts.keyring.sealed) return;
    timer = setTimeout(() => {
      timer = undefined;
      void attempt();
    }, opts.intervalMs);
    timer.unref();
  };

  const attempt = (): Promise<boolean> => {
    if (running !== null) return running;
    running = (async () => {
      if (!opts.keyring.sealed) return true;
      try {
        const provider = await opts.open();
        if (stopped) {
          await provider.close();
          return false;
        }
        opts.keyring.unseal(provider);
        opts.onUnsealed?.(provider);
        return true;
      } catch (err) {
        const message = messageOf(err);
        opts.keyring.seal(message);
        opts.onFailed?.(message);
        return false;
      }
    })().finally(() => {
      running = null;
      schedule();
    });
    return running;
  };

  const off = opts.keyring.onChange((status) => {
    if (status.state === 'sealed') schedule();
  });
  schedule();
  return {
    attempt,
    stop: () => {
      stopped = true;
      off();
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
    },
  };
}
