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
 * Identifies a finding across runs without its position: rule, file and 16 bits of the secret's
 * hash. Lines move as files change; the fingerprint does not, so a baseline keeps matching. Only
 * 16 bits, because a full hash of a weak password in a shared baseline or SARIF file would let
 * anyone confirm a dictionary guess offline; 16 bits cannot confirm one (1 in 65,536 words match),
 * at the price of a 1-in-65,536 chance that a new secret in the same file and rule is baselined.
 */
export function fingerprint(ruleId: string, file: string, secret: string): string {
  const tag = createHash('sha256').update(secret).digest('hex').slice(0, 4);
  return createHash('sha256').update(`${ruleId}\u0000${file}\u0000${tag}`).digest('hex');
}
