import type { Role } from '@clavis/sdk';
import { Option, type Command } from 'commander';
import { clientOf, jsonOf, type CliContext } from '../context.ts';
import { emit, formatRecord, note } from '../output.ts';
import { integer } from '../parsers.ts';
import { SHOWN_ONCE, tokenRecord } from '../views.ts';

/** `clavis tokens create`: issues an admin token and prints it once. */
export function registerTokensCreate(tokens: Command, ctx: CliContext): void {
  tokens
    .command('create')
    .description('Create an admin token (never above your own role) and print it once')
    .requiredOption('--name <name>', 'what the token is for')
    .addOption(new Option('--role <role>', 'what it may do').choices(['owner', 'admin', 'developer', 'auditor', 'read-only']).default('read-only'))
    .option('--ttl <seconds>', 'lifetime in seconds (default: no expiry)', integer(1))
    .option('--user <id>', "issue it for this user (usr_…): its role must be within the user's; for another user a critical operation")
    .addHelpText(
      'after',
      `
Examples:
  $ clavis tokens create --name ci-deploy --role developer --ttl 86400
  $ clavis tokens create --name ada-laptop --role developer --user usr_01J9Z… --mfa 123456
  $ clavis tokens create --name quarterly-audit --role auditor --json | jq -r .token`,
    )
    .action(async (_opts: unknown, cmd: Command) => {
      const o = cmd.opts<{ name: string; role: Role; ttl?: number; user?: string }>();
      const created = await clientOf(cmd, ctx).createToken({ name: o.name, role: o.role, ...(o.ttl !== undefined ? { ttlSeconds: o.ttl } : {}), ...(o.user !== undefined ? { userId: o.user } : {}) });
      const json = jsonOf(cmd);
      emit(ctx.io, json, created, () => `${formatRecord([['token', created.token]])}${SHOWN_ONCE}\n\n${formatRecord(tokenRecord(created))}`);
      if (json) note(ctx.io, `The token is in the "token" field. ${SHOWN_ONCE}`);
    });
}
