import { Option, type Command } from 'commander';
import type { Environment } from '@clavis/sdk';
import { clientOf, jsonOf, type CliContext } from '../context.ts';
import { emit, formatRecord } from '../output.ts';

/** `clavis keys revoke-all --reason TEXT`: the incident button. */
export function registerKeysRevokeAll(keys: Command, ctx: CliContext): void {
  keys
    .command('revoke-all')
    .description('Revoke every active and suspended key of the workspace, or of one environment (critical: needs --mfa when you have TOTP)')
    .requiredOption('--reason <text>', 'why, recorded on every key and in the audit log')
    .addOption(new Option('--env <environment>', 'only keys of this environment').choices(['live', 'test', 'dev']))
    .addHelpText('after', "\nExamples:\n  $ clavis keys revoke-all --env live --reason 'CI secrets leaked' --mfa 123456")
    .action(async (_opts: unknown, cmd: Command) => {
      const o = cmd.opts<{ reason: string; env?: Environment }>();
      const r = await clientOf(cmd, ctx).revokeAllKeys({ reason: o.reason, ...(o.env !== undefined ? { environment: o.env } : {}) });
      emit(ctx.io, jsonOf(cmd), r, () => formatRecord([['revoked', r.revoked], ['environment', r.environment ?? 'all']]));
    });
}
