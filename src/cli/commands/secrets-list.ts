import type { Environment, SecretSummary } from '@clavis/sdk';
import { Option, type Command } from 'commander';
import { clientOf, jsonOf, type CliContext } from '../context.ts';
import { emit, formatTable } from '../output.ts';

/** `clavis secrets list`: metadata of every secret (all pages); never a value. */
export function registerSecretsList(secrets: Command, ctx: CliContext): void {
  secrets
    .command('list')
    .description('List secrets (paths, versions and state; never values)')
    .addOption(new Option('--env <environment>', 'only this environment').choices(['live', 'test', 'dev']))
    .addHelpText('after', '\nExamples:\n  $ clavis secrets list --env live\n  $ clavis secrets list --json | jq -r \'.data[].path\'')
    .action(async (_opts: unknown, cmd: Command) => {
      const { env } = cmd.opts<{ env?: Environment }>();
      const client = clientOf(cmd, ctx);
      const data: SecretSummary[] = [];
      let cursor: string | undefined;
      do {
        const page = await client.listSecrets({ ...(env !== undefined ? { environment: env } : {}), limit: 200, ...(cursor !== undefined ? { cursor } : {}) });
        data.push(...page.data);
        cursor = page.nextCursor ?? undefined;
      } while (cursor !== undefined);
      emit(ctx.io, jsonOf(cmd), { data, nextCursor: null }, () => formatTable(['environment', 'path', 'version', 'state', 'updated'], data.map((s) => [s.environment, s.path, s.currentVersion, s.state, s.updatedAt])));
    });
}
