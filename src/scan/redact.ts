import { createHash } from 'node:crypto';
import { displayStart } from '../core/keys/key-format.ts';
import { CLAVIS_KEY_RULE, CLAVIS_MALFORMED_RULE, CLAVIS_TOKEN_RULE } from './clavis-keys.ts';

/**
 * What reporters print instead of a secret: its start and its length. Clavis credentials show
 * their display start (prefix, type and 4 body characters, as the server does); other secrets
 * show at most 4 characters and never more than a fifth of the secret.
 *
 * @example redact('clavis-api-key', 'clv_live_3xY…') // 'clv_live_3xY1…(58 chars)'
 */
export function redact(ruleId: string, secret: string): string {
  const length = `(${secret.length} chars)`;
  if (ruleId === CLAVIS_KEY_RULE || ruleId === CLAVIS_TOKEN_RULE || ruleId === CLAVIS_MALFORMED_RULE) return `${displayStart(secret)}…${length}`;
  const shown = Math.min(4, Math.floor(secret.length / 5));
  return `${secret.slice(0, shown).replace(/[^\x21-\x7e]/g, '?')}…${length}`;
}

/**
 * Identifies a finding across runs without its position: rule, file and secret (hashed). Lines
 * move as files change; the fingerprint does not, so a baseline keeps matching.
 */
export function fingerprint(ruleId: string, file: string, secret: string): string {
  return createHash('sha256').update(`${ruleId}\u0000${file}\u0000${secret}`).digest('hex');
}
