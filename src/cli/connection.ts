import { ClavisClient } from '@clavis/sdk';
import { CliError } from './io.ts';

/** Where the server listens when neither --url nor CLAVIS_URL says otherwise. */
export const DEFAULT_URL = 'http://127.0.0.1:8420';

/** The global options every server command reads. */
export interface ConnectionOptions {
  url?: string;
  token?: string;
  /** Step-up code for critical operations (`--mfa`). */
  mfa?: string;
}

/** A resolved server address and admin token. */
export interface Connection {
  url: string;
  token: string;
  /** Sent as X-Clavis-MFA: `--mfa`, else CLAVIS_MFA_CODE; undefined when neither is set. */
  mfa?: string;
}

/**
 * Resolves the server URL and admin token: flags first, then CLAVIS_URL / CLAVIS_TOKEN, then the
 * default URL. Throws a usage error when no token is found or the URL is not http(s).
 *
 * @example resolveConnection({}, { CLAVIS_TOKEN: 'clv_adm_…' }) // { url: 'http://127.0.0.1:8420', token: 'clv_adm_…' }
 */
export function resolveConnection(opts: ConnectionOptions, env: Readonly<Record<string, string | undefined>>): Connection {
  const url = nonEmpty(opts.url) ?? nonEmpty(env.CLAVIS_URL) ?? DEFAULT_URL;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // Not echoed: a token pasted into the wrong place must not end up in a terminal log.
    throw new CliError('the server URL (--url or CLAVIS_URL) is not a valid URL');
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new CliError('the server URL (--url or CLAVIS_URL) must start with http:// or https://');
  }
  if (parsed.username !== '' || parsed.password !== '') {
    throw new CliError('the server URL must not hold a user name or password: the admin token is the only credential');
  }
  const token = nonEmpty(opts.token) ?? nonEmpty(env.CLAVIS_TOKEN);
  if (token === undefined) {
    throw new CliError('no admin token: set CLAVIS_TOKEN or pass --token (a clv_adm_… token from `clavis tokens create` or the bootstrap)');
  }
  const mfa = nonEmpty(opts.mfa) ?? nonEmpty(env.CLAVIS_MFA_CODE);
  return { url, token, ...(mfa !== undefined ? { mfa } : {}) };
}

/** A client for the resolved connection. */
export function connect(opts: ConnectionOptions, env: Readonly<Record<string, string | undefined>>): { client: ClavisClient; url: string } {
  const { url, token, mfa } = resolveConnection(opts, env);
  return { client: new ClavisClient({ url, token, ...(mfa !== undefined ? { mfaCode: mfa } : {}) }), url: displayUrl(url) };
}

/** The URL without any user:password part, safe to print in messages. */
export function displayUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.toString().replace(/\/$/, '');
  } catch {
    return '(invalid URL)';
  }
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}
