import type { Environment } from '@clavis/sdk';
import type { Command } from 'commander';
import { clientOf, jsonOf, type CliContext } from '../context.ts';
import { formatJson } from '../output.ts';
import { integer } from '../parsers.ts';
import { environmentArg } from './secrets-args.ts';

/** `clavis secrets get ENV PATH`: prints the value alone (for `$(…)`), or everything with --json. */
export function registerSecretsGet(secrets: Command, ctx: CliContext): void {
  secrets
    .command('get')
    .description('Print a secret value (the read is recorded in the audit log)')
    .argument('<environment>', 'live, test or dev', environmentArg)
    .argument('<path>', 'secret path')
    .option('--version <n>', 'a version other than the latest', integer(1))
    .addHelpText('after', '\nExamples:\n  $ BINANCE_SECRET=$(clavis secrets get live exchanges/binance/api-secret)\n  $ clavis secrets get live exchanges/binance/api-secret --version 3 --json')
    .action(async (environment: Environment, path: string, _opts: unknown, cmd: Command) => {
      const { version } = cmd.opts<{ version?: number }>();
      const r = await clientOf(cmd, ctx).getSecret(environment, path, version);
      // The value is printed as stored, unescaped: it is the one output meant to be captured.
      ctx.io.stdout(jsonOf(cmd) ? formatJson(r) : `${r.value}\n`);
    });
}
