import { createHash, randomBytes } from 'node:crypto';
import { base32Encode } from './totp.ts';

/** Recovery codes handed out at enrolment; each works once in place of a TOTP code. */
export const RECOVERY_CODE_COUNT = 10;
/** 10 random bytes: 80 bits, 16 base32 characters. */
const RECOVERY_CODE_BYTES = 10;
const RECOVERY_CODE_PATTERN = /^[A-Z2-7]{16}$/;

/**
 * Fresh recovery codes, shown once: 80 random bits each, as four groups of four base32 characters
 * (`ABCD-EFGH-JKLM-NPQR`). 80 bits is beyond offline guessing, so a plain SHA-256 (as for API keys)
 * is a sufficient hash — no slow KDF, no server-side key that sealing would take away.
 *
 * @example const codes = generateRecoveryCodes() // ['7XQ2-…', … 10 codes]
 */
export function generateRecoveryCodes(count = RECOVERY_CODE_COUNT, random: (n: number) => Buffer = randomBytes): string[] {
  return Array.from({ length: count }, () => {
    const text = base32Encode(random(RECOVERY_CODE_BYTES));
    return text.match(/.{4}/g)?.join('-') ?? text;
  });
}

/**
 * A typed recovery code in canonical form (upper case, no dashes or spaces), or null when it
 * cannot be one. Lower case, spaces and missing dashes are forgiven: people copy these by hand.
 */
export function normaliseRecoveryCode(text: string): string | null {
  const clean = text.replace(/[\s-]/g, '').toUpperCase();
  return RECOVERY_CODE_PATTERN.test(clean) ? clean : null;
}

/**
 * The stored form of a recovery code: SHA-256 over a label, the workspace, the user and the
 * canonical code, so a hash copied to another user or workspace matches nothing.
 *
 * @example recoveryCodeHash('ws_…', 'usr_…', 'ABCDEFGHJKLMNPQR') // 64 hex characters
 */
export function recoveryCodeHash(workspaceId: string, userId: string, canonicalCode: string): string {
  return createHash('sha256').update(JSON.stringify(['clavis.mfa.recovery-code.v1', workspaceId, userId, canonicalCode]), 'utf8').digest('hex');
}
