import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** RFC 4648 base32 alphabet (what authenticator apps and `oathtool -b` take). */
const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

export function base32Encode(bytes: Uint8Array): string {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += BASE32.charAt((value >>> (bits - 5)) & 31);
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32.charAt((value << (5 - bits)) & 31);
  return out;
}

export function base32Decode(text: string): Buffer | null {
  const clean = text.replace(/[\s=]/g, '').toUpperCase();
  let bits = 0;
  let value = 0;
  const out: number[] = [];
  for (const c of clean) {
    const d = BASE32.indexOf(c);
    if (d < 0) return null;
    value = (value << 5) | d;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 255);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

export const TOTP_PERIOD_SECONDS = 30;
export const TOTP_DIGITS = 6;

/** The RFC 6238 time step of `now` (epoch ms). */
export function timeStep(now: number): number {
  return Math.floor(now / 1000 / TOTP_PERIOD_SECONDS);
}

/** RFC 4226 HOTP with HMAC-SHA1 and 6 digits (the parameters every authenticator app uses). */
export function hotp(secret: Uint8Array, counter: number): string {
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac('sha1', secret).update(msg).digest();
  const offset = (mac[mac.length - 1] ?? 0) & 0x0f;
  const code = (mac.readUInt32BE(offset) & 0x7fffffff) % 10 ** TOTP_DIGITS;
  return String(code).padStart(TOTP_DIGITS, '0');
}

/**
 * Checks a TOTP code against the steps around `now` (±1 step for clock drift) and returns the
 * step it matched, or null. The caller stores the step and refuses any code at or below it, so a
 * code can be used once.
 *
 * @example const step = verifyTotp(secret, '267161', Date.now(), lastUsedStep); if (step === null) refuse()
 */
export function verifyTotp(secret: Uint8Array, code: string, now: number, lastUsedStep: number | null): number | null {
  if (!/^\d{6}$/.test(code)) return null;
  const given = Buffer.from(code);
  const current = timeStep(now);
  let matched: number | null = null;
  // Every candidate is compared (no early exit), so timing says nothing about which step matched.
  for (const step of [current - 1, current, current + 1]) {
    const ok = timingSafeEqual(Buffer.from(hotp(secret, step)), given);
    if (ok && (lastUsedStep === null || step > lastUsedStep)) matched = step;
  }
  return matched;
}

/** A fresh 20-byte secret (the RFC 4226 recommended length). */
export function newTotpSecret(random: (n: number) => Buffer = randomBytes): Buffer {
  return random(20);
}

/**
 * The otpauth:// URI authenticator apps read from a QR code.
 *
 * @example otpauthUri('Clavis', 'alice@example.com', secret)
 */
export function otpauthUri(issuer: string, account: string, secret: Uint8Array): string {
  const label = `${encodeURIComponent(issuer)}:${encodeURIComponent(account)}`;
  // RFC 3986 percent-encoding (a space is %20): URLSearchParams would write `+`, which some
  // authenticator apps show as is.
  const params: [string, string][] = [['secret', base32Encode(secret)], ['issuer', issuer], ['algorithm', 'SHA1'], ['digits', String(TOTP_DIGITS)], ['period', String(TOTP_PERIOD_SECONDS)]];
  return `otpauth://totp/${label}?${params.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&')}`;
}
