import { normaliseRecoveryCode } from './recovery-codes.ts';

/**
 * The step-up rule for critical operations, as a pure function so that its table is tested on its
 * own (test/mfa/step-up-decision.test.ts):
 *
 * | caller                          | requireMfa off   | requireMfa on            |
 * | ------------------------------- | ---------------- | ------------------------ |
 * | service token / user, no TOTP   | pass             | MFA_ENROLMENT_REQUIRED   |
 * | user with confirmed TOTP, no code | MFA_REQUIRED   | MFA_REQUIRED             |
 * | user with confirmed TOTP, code  | verify           | verify                   |
 *
 * A pending (unconfirmed) enrolment counts as none.
 */
export type StepUpDecision = 'pass' | 'verify' | 'MFA_REQUIRED' | 'MFA_ENROLMENT_REQUIRED';

export interface StepUpFacts {
  /** The caller's user has a confirmed TOTP enrolment. */
  enrolled: boolean;
  /** The workspace requires MFA for critical operations. */
  requireMfa: boolean;
  /** The request carries an X-Clavis-MFA value. */
  codeGiven: boolean;
}

/**
 * What a critical operation does with its caller.
 *
 * @example stepUpDecision({ enrolled: true, requireMfa: false, codeGiven: false }) // 'MFA_REQUIRED'
 */
export function stepUpDecision(f: StepUpFacts): StepUpDecision {
  if (f.enrolled) return f.codeGiven ? 'verify' : 'MFA_REQUIRED';
  return f.requireMfa ? 'MFA_ENROLMENT_REQUIRED' : 'pass';
}

/** Attempts allowed since the last success before step-up locks. */
export const MFA_FAILURES_PER_LOCK = 5;
const FIRST_LOCK_MS = 5 * 60_000;
const MAX_LOCK_MS = 24 * 3_600_000;

/**
 * How long step-up locks at the `failures`-th attempt since the last success (attempts are counted
 * before the code is checked): nothing until a multiple of {@link MFA_FAILURES_PER_LOCK}, then 5
 * minutes, doubling with each further lock, at most a day. A six-digit code with ±1 step of drift
 * is guessed with odds 3 in 10^6 per try, so this holds an attacker with a stolen token to a few
 * hundred tries a month, each one an audit event.
 *
 * @example lockoutMs(5) // 300000; lockoutMs(10) // 600000; lockoutMs(6) // 0
 */
export function lockoutMs(failures: number): number {
  if (failures <= 0 || failures % MFA_FAILURES_PER_LOCK !== 0) return 0;
  const lock = failures / MFA_FAILURES_PER_LOCK - 1;
  return Math.min(MAX_LOCK_MS, FIRST_LOCK_MS * 2 ** Math.min(lock, 20));
}

/** What `X-Clavis-MFA` holds: a TOTP code, a recovery code (canonical form), or neither. */
export type PresentedCode = { kind: 'totp'; code: string } | { kind: 'recovery'; code: string } | { kind: 'invalid' };

/**
 * Reads an X-Clavis-MFA value: six digits are a TOTP code, anything that normalises to a
 * recovery code is one, the rest is invalid.
 *
 * @example classifyCode(' 123456 ') // { kind: 'totp', code: '123456' }
 */
export function classifyCode(text: string): PresentedCode {
  const trimmed = text.trim();
  if (/^\d{6}$/.test(trimmed)) return { kind: 'totp', code: trimmed };
  const recovery = normaliseRecoveryCode(trimmed);
  return recovery === null ? { kind: 'invalid' } : { kind: 'recovery', code: recovery };
}
