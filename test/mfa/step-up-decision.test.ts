import { describe, expect, it } from 'vitest';
import { MFA_FAILURES_PER_LOCK, classifyCode, lockoutMs, stepUpDecision, type StepUpDecision } from '../../src/core/mfa/step-up.ts';

describe('step-up decision table', () => {
  // [enrolled, requireMfa, codeGiven] → decision: every combination, spelled out.
  const table: [boolean, boolean, boolean, StepUpDecision][] = [
    [false, false, false, 'pass'],
    [false, false, true, 'pass'],
    [false, true, false, 'MFA_ENROLMENT_REQUIRED'],
    [false, true, true, 'MFA_ENROLMENT_REQUIRED'],
    [true, false, false, 'MFA_REQUIRED'],
    [true, false, true, 'verify'],
    [true, true, false, 'MFA_REQUIRED'],
    [true, true, true, 'verify'],
  ];

  it.each(table)('enrolled=%s requireMfa=%s code=%s → %s', (enrolled, requireMfa, codeGiven, expected) => {
    expect(stepUpDecision({ enrolled, requireMfa, codeGiven })).toBe(expected);
  });

  it('reads X-Clavis-MFA values as a TOTP code, a recovery code or nothing valid', () => {
    expect(classifyCode('123456')).toEqual({ kind: 'totp', code: '123456' });
    expect(classifyCode(' 012345 ')).toEqual({ kind: 'totp', code: '012345' });
    expect(classifyCode('abcd-efgh-ijkl-mnop')).toEqual({ kind: 'recovery', code: 'ABCDEFGHIJKLMNOP' });
    for (const bad of ['', '12345', '1234567', '12 34 56', 'ABCD-EFGH', 'x'.repeat(64)]) expect(classifyCode(bad), bad).toEqual({ kind: 'invalid' });
  });

  it('locks after every fifth wrong code in a row, doubling from 5 minutes to at most a day', () => {
    expect(MFA_FAILURES_PER_LOCK).toBe(5);
    expect([0, 1, 2, 3, 4, 6, 9].map(lockoutMs)).toEqual([0, 0, 0, 0, 0, 0, 0]);
    expect(lockoutMs(5)).toBe(5 * 60_000);
    expect(lockoutMs(10)).toBe(10 * 60_000);
    expect(lockoutMs(15)).toBe(20 * 60_000);
    expect(lockoutMs(50)).toBe(24 * 3_600_000);
    expect(lockoutMs(5_000)).toBe(24 * 3_600_000);
  });
});
