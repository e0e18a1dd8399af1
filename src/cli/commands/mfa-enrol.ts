import type { Command } from 'commander';
import { clientOf, jsonOf, type CliContext } from '../context.ts';
import { emit, note } from '../output.ts';

/** `clavis mfa enrol`: starts TOTP for the token's own user and prints what is shown once. */
export function registerMfaEnrol(mfa: Command, ctx: CliContext): void {
  mfa
    .command('enrol')
    .alias('enroll')
    .description("Start TOTP for your user: prints the otpauth URI, the secret and ten recovery codes, once; then run `clavis mfa confirm CODE`")
    .addHelpText(
      'after',
      `
Add the account to an authenticator app from the otpauth:// URI (any QR generator turns it into a
code: no QR library is bundled) or by typing the base32 secret. oathtool works too:
  $ oathtool --totp -b <secret>

Examples:
  $ clavis mfa enrol
  $ clavis mfa confirm 123456`,
    )
    .action(async (_opts: unknown, cmd: Command) => {
      const e = await clientOf(cmd, ctx).enrolTotp();
      const json = jsonOf(cmd);
      emit(ctx.io, json, e, () =>
        [
          'otpauth URI (for a QR code):',
          `  ${e.otpauthUri}`,
          '',
          'secret (base32, HMAC-SHA1, 6 digits, 30 s):',
          `  ${e.secret}`,
          '',
          'recovery codes (each works once in place of a code; keep them offline):',
          ...e.recoveryCodes.map((c) => `  ${c}`),
          '',
          'Shown once: store them now. Then confirm with a first code: clavis mfa confirm CODE',
          '',
        ].join('\n'),
      );
      if (json) note(ctx.io, 'Shown once: store the secret and recovery codes now, then run `clavis mfa confirm CODE`.');
    });
}
