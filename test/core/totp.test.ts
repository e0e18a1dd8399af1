import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { base32Decode, base32Encode, hotp, newTotpSecret, otpauthUri, timeStep, verifyTotp } from '../../src/core/mfa/totp.ts';

function oathtoolAvailable(): boolean {
  try {
    execFileSync('oathtool', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const hasOathtool = oathtoolAvailable();
if (!hasOathtool) {
  if (process.env.CI !== undefined && process.env.CI !== '') throw new Error('oathtool is required on CI (apt-get install oathtool)');
  console.warn('test/core/totp.test.ts: oathtool interoperability tests skipped: oathtool is not installed (apt-get install oathtool)');
}

describe('TOTP (RFC 6238)', () => {
  it('matches the RFC 4226 appendix D HOTP values', () => {
    const secret = Buffer.from('12345678901234567890');
    expect([0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map((c) => hotp(secret, c))).toEqual([
      '755224', '287082', '359152', '969429', '338314', '254676', '287922', '162583', '399871', '520489',
    ]);
  });

  it('matches the RFC 6238 appendix B SHA-1 values (last six digits)', () => {
    const secret = Buffer.from('12345678901234567890');
    const cases: [number, string][] = [[59, '287082'], [1111111109, '081804'], [1111111111, '050471'], [1234567890, '005924'], [2000000000, '279037']];
    for (const [t, code] of cases) expect(hotp(secret, timeStep(t * 1000))).toBe(code);
  });

  it('accepts a code once, within one step of drift, and never a replay', () => {
    const secret = newTotpSecret();
    const now = Date.UTC(2026, 10, 28, 12, 0, 10);
    const code = hotp(secret, timeStep(now));
    const step = verifyTotp(secret, code, now, null);
    expect(step).toBe(timeStep(now));
    expect(verifyTotp(secret, code, now, step)).toBeNull();
    expect(verifyTotp(secret, hotp(secret, timeStep(now) - 1), now, null)).toBe(timeStep(now) - 1);
    expect(verifyTotp(secret, hotp(secret, timeStep(now) - 2), now, null)).toBeNull();
    expect(verifyTotp(secret, '12345', now, null)).toBeNull();
    expect(verifyTotp(secret, 'abcdef', now, null)).toBeNull();
  });

  it('round-trips base32 (property) and builds an otpauth URI', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (b) => {
        expect(base32Decode(base32Encode(b))).toEqual(Buffer.from(b));
      }),
    );
    expect(base32Encode(Buffer.from('foobar'))).toBe('MZXW6YTBOI');
    const uri = otpauthUri('Clavis', 'alice@example.com', Buffer.from('12345678901234567890'));
    expect(uri).toBe('otpauth://totp/Clavis:alice%40example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Clavis&algorithm=SHA1&digits=6&period=30');
  });

  it.skipIf(!hasOathtool)('accepts codes produced by oathtool --totp', () => {
    for (let i = 0; i < 5; i += 1) {
      const secret = newTotpSecret();
      const b32 = base32Encode(secret);
      const now = Date.now();
      const code = execFileSync('oathtool', ['--totp', '-b', b32, `--now=@${Math.floor(now / 1000)}`], { encoding: 'utf8' }).trim();
      expect(verifyTotp(secret, code, now, null)).toBe(timeStep(now));
    }
  });
});
