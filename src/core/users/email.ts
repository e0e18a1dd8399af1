import { ClavisError } from '../errors/registry.ts';

/** Longest address accepted (RFC 5321's path limit). */
export const MAX_EMAIL_LENGTH = 254;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/**
 * The stored form of an email address: trimmed, Unicode NFC, lower case, so `Ada@Example.com` and
 * `ada@example.com ` are the same user. Throws VALIDATION_FAILED naming `field` when it does not
 * look like an address. Delivery is not checked: users are identities, not mailboxes.
 *
 * @example normaliseEmail(' Ada@Example.COM ') // 'ada@example.com'
 */
export function normaliseEmail(text: string, field = '/body/email'): string {
  const email = text.trim().normalize('NFC').toLowerCase();
  if (email.length > MAX_EMAIL_LENGTH || !EMAIL.test(email)) throw new ClavisError('VALIDATION_FAILED', `${field}: not an email address`, [{ field, message: 'not an email address' }]);
  return email;
}
