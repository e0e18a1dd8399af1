import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RECOVERY_CODE_COUNT, generateRecoveryCodes, normaliseRecoveryCode, recoveryCodeHash } from '../../src/core/mfa/recovery-codes.ts';

describe('recovery codes', () => {
  it('are ten distinct 80-bit codes in four groups of four base32 characters', () => {
    const codes = generateRecoveryCodes();
    expect(codes).toHaveLength(RECOVERY_CODE_COUNT);
    expect(new Set(codes).size).toBe(RECOVERY_CODE_COUNT);
    for (const c of codes) expect(c).toMatch(/^[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}$/);
    // 16 base32 characters carry 80 bits: the generator takes 10 random bytes per code.
    const asked: number[] = [];
    generateRecoveryCodes(3, (n) => {
      asked.push(n);
      return Buffer.alloc(n, 0xff);
    });
    expect(asked).toEqual([10, 10, 10]);
  });

  it('normalise what people type (case, spaces, missing dashes) and refuse anything else (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 10, maxLength: 10 }), fc.boolean(), fc.boolean(), (bytes, lower, spaced) => {
        const [code] = generateRecoveryCodes(1, () => Buffer.from(bytes));
        if (code === undefined) throw new Error('no code');
        let typed = lower ? code.toLowerCase() : code;
        if (spaced) typed = ` ${typed.replaceAll('-', ' ')} `;
        expect(normaliseRecoveryCode(typed)).toBe(code.replaceAll('-', ''));
      }),
    );
    for (const bad of ['', '123456', 'ABCD-EFGH-IJKL-MNO', 'ABCD-EFGH-IJKL-MNOP1', 'ABCD-EFGH-IJKL-MNO1', 'ABCD-EFGH-IJKL-MNO8', 'ABCD-EFGH-IJKL-MNO0']) {
      expect(normaliseRecoveryCode(bad), bad).toBeNull();
    }
  });

  it('hash per workspace and user, so a hash matches nowhere else, and never contain the code', () => {
    const code = 'ABCDEFGHIJKLMNOP';
    const h = recoveryCodeHash('ws_a', 'usr_a', code);
    expect(h).toMatch(/^[0-9a-f]{64}$/);
    expect(h).toBe(recoveryCodeHash('ws_a', 'usr_a', code));
    expect(recoveryCodeHash('ws_b', 'usr_a', code)).not.toBe(h);
    expect(recoveryCodeHash('ws_a', 'usr_b', code)).not.toBe(h);
    expect(recoveryCodeHash('ws_a', 'usr_a', 'ABCDEFGHIJKLMNOQ')).not.toBe(h);
    // The fields are JSON-framed: moving a character between workspace and user changes the hash.
    expect(recoveryCodeHash('ws_a1', 'usr_a', code)).not.toBe(recoveryCodeHash('ws_a', '1usr_a', code));
    expect(h).not.toContain(code.toLowerCase());
  });
});
