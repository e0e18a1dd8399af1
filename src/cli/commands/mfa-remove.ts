import type { Command } from 'commander';
import { clientOf, jsonOf, type CliContext } from '../context.ts';
import { emit } from '../output.ts';

/** `clavis mfa remove --mfa CODE`: removes TOTP from your user. */
export function registerMfaRemove(mfa: Command, ctx: CliContext): void {
  mfa
    .command('remove')
    .description('Remove TOTP and the recovery codes from your user (a confirmed enrolment needs --mfa CODE)')
    .addHelpText('after', '\nExamples:\n  $ clavis mfa remove --mfa 123456')
    .action(async (_opts: unknown, cmd: Command) => {
      const r = await clientOf(cmd, ctx).removeTotp();
      emit(ctx.io, jsonOf(cmd), r, () => 'TOTP removed.\n');
    });
}
