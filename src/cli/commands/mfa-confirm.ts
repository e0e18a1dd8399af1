import { InvalidArgumentError, type Command } from 'commander';
import { clientOf, jsonOf, type CliContext } from '../context.ts';
import { emit, formatRecord } from '../output.ts';
import { totpRecord } from './mfa-status.ts';

function sixDigits(value: string): string {
  const code = value.trim();
  if (!/^\d{6}$/.test(code)) throw new InvalidArgumentError('expected the 6-digit code from the authenticator');
  return code;
}

/** `clavis mfa confirm CODE`: finishes enrolment with a first code. */
export function registerMfaConfirm(mfa: Command, ctx: CliContext): void {
  mfa
    .command('confirm')
    .description('Confirm TOTP enrolment with the current code; from then on critical operations need --mfa CODE')
    .argument('<code>', 'current 6-digit code', sixDigits)
    .addHelpText('after', '\nExamples:\n  $ clavis mfa confirm 123456\n  $ clavis mfa confirm "$(oathtool --totp -b "$SECRET")"')
    .action(async (code: string, _opts: unknown, cmd: Command) => {
      const s = await clientOf(cmd, ctx).confirmTotp(code);
      emit(ctx.io, jsonOf(cmd), s, () => formatRecord(totpRecord(s)));
    });
}
