import type { KeySigningRequest } from '@clavis/sdk';
import { Option } from 'commander';
import { CliError } from '../io.ts';

// The signing options shared by `keys create` and `keys update`, and how a newly issued HMAC
// secret is printed: like the key itself, once.

export const SIGNING_SCHEMES = ['ed25519', 'hmac-sha256'] as const;

/** `--signing <scheme>` (with the schemes as choices). */
export function signingOption(description: string): Option {
  return new Option('--signing <scheme>', description).choices(SIGNING_SCHEMES);
}

/** `--public-key <base64>`, the consumer's raw 32-byte Ed25519 public key. */
export function publicKeyOption(): Option {
  return new Option('--public-key <base64>', "the consumer's raw 32-byte Ed25519 public key, base64 (with --signing ed25519)");
}

/**
 * The signing requirement of the options: undefined when none was given, null for `--no-signing`.
 *
 * @example signingRequest('hmac-sha256', undefined) // { scheme: 'hmac-sha256' }
 */
export function signingRequest(scheme: string | boolean | undefined, publicKey: string | undefined): KeySigningRequest | null | undefined {
  if (scheme === false) {
    if (publicKey !== undefined) throw new CliError('--public-key makes no sense with --no-signing');
    return null;
  }
  if (scheme === undefined || scheme === true) {
    if (publicKey !== undefined) throw new CliError('--public-key needs --signing ed25519');
    return undefined;
  }
  if (scheme === 'hmac-sha256') {
    if (publicKey !== undefined) throw new CliError('--public-key is for --signing ed25519; with hmac-sha256 Clavis generates the secret');
    return { scheme: 'hmac-sha256' };
  }
  if (publicKey === undefined) throw new CliError("--signing ed25519 needs --public-key <base64> (the consumer's raw 32-byte public key)");
  return { scheme: 'ed25519', publicKey };
}

/** The key and its HMAC secret were both just issued. */
export const SHOWN_BOTH = 'Store both now: neither will be shown again.';

/** The sentence printed under a newly issued HMAC signing secret. */
export const SIGNING_SECRET_NOTE = 'The consumer signs each request with it (HMAC-SHA256 of the canonical request, see docs/guides/sdk.md).';
