import type { Environment } from '@clavis/sdk';
import type { Command } from 'commander';
import { clientOf, jsonOf, type CliContext } from '../context.ts';
import { emit, formatRecord } from '../output.ts';
import { integer } from '../parsers.ts';
import { readSecretValue } from '../secret-input.ts';
import { environmentArg } from './secrets-args.ts';

/** `clavis secrets put ENV PATH`: the value comes on stdin, never as an argument. */
export function registerSecretsPut(secrets: Command, ctx: CliContext): void {
  secrets
    .command('put')
    .description('Write a new version of a secret; the value is read from stdin (or prompted for)')
    .argument('<environment>', 'live, test or dev', environmentArg)
    .argument('<path>', 'secret path, e.g. exchanges/binance/api-secret')
    .option('--cas <version>', 'check-and-set: write only if the current version is this one (0: only if the secret does not exist)', integer(0))
    .addHelpText('after', '\nExamples:\n  $ clavis secrets put live exchanges/binance/api-secret < secret.txt\n  $ printf %s "$WEBHOOK_SECRET" | clavis secrets put live webhooks/stripe --cas 0')
    .action(async (environment: Environment, path: string, _opts: unknown, cmd: Command) => {
      const { cas } = cmd.opts<{ cas?: number }>();
      const value = await readSecretValue(ctx.io);
      const r = await clientOf(cmd, ctx).putSecret(environment, path, cas === undefined ? { value } : { value, cas });
      emit(ctx.io, jsonOf(cmd), r, () => formatRecord([['environment', r.environment], ['path', r.path], ['version', r.version]]));
    });
}
