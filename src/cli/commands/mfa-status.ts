import type { TotpStatus } from '@clavis/sdk';
import type { Command } from 'commander';
import { clientOf, jsonOf, type CliContext } from '../context.ts';
import { emit, formatRecord } from '../output.ts';

/** The TOTP state as record lines. */
export function totpRecord(s: TotpStatus): [string, unknown][] {
  return [
    ['totp', s.state],
    ['confirmed', s.confirmedAt],
    ['recovery codes left', s.state === 'enrolled' ? s.recoveryCodesLeft : null],
    ...(s.lockedUntil !== null ? ([['locked until', s.lockedUntil]] as [string, unknown][]) : []),
  ];
}

/** `clavis mfa status`: the TOTP state of your user. */
export function registerMfaStatus(mfa: Command, ctx: CliContext): void {
  mfa
    .command('status')
    .description('Show whether your user has TOTP, and how many recovery codes are left')
    .addHelpText('after', '\nExamples:\n  $ clavis mfa status')
    .action(async (_opts: unknown, cmd: Command) => {
      const s = await clientOf(cmd, ctx).getTotp();
      emit(ctx.io, jsonOf(cmd), s, () => formatRecord(totpRecord(s)));
    });
}
