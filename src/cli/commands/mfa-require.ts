import { Argument, type Command } from 'commander';
import { clientOf, jsonOf, type CliContext } from '../context.ts';
import { emit, formatRecord } from '../output.ts';

/** `clavis mfa require on|off --mfa CODE`: the workspace's requireMfa setting (owners). */
export function registerMfaRequire(mfa: Command, ctx: CliContext): void {
  mfa
    .command('require')
    .description('Require TOTP for every critical operation of the workspace (on), or not (off); owners only, critical')
    .addArgument(new Argument('<setting>', 'on or off').choices(['on', 'off']))
    .addHelpText(
      'after',
      '\nWith it on, service tokens and users without TOTP get MFA_ENROLMENT_REQUIRED on critical operations.\nTurning it on needs your own confirmed TOTP.\n\nExamples:\n  $ clavis mfa require on --mfa 123456',
    )
    .action(async (setting: 'on' | 'off', _opts: unknown, cmd: Command) => {
      const r = await clientOf(cmd, ctx).updateWorkspace({ requireMfa: setting === 'on' });
      emit(ctx.io, jsonOf(cmd), r, () => formatRecord([['workspace', r.workspace.id], ['require mfa', r.settings.requireMfa ? 'on' : 'off']]));
    });
}
