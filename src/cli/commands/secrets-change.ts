import type { Environment } from '@clavis/sdk';
import type { Command } from 'commander';
import { clientOf, jsonOf, type CliContext } from '../context.ts';
import { CliError } from '../io.ts';
import { emit, formatRecord } from '../output.ts';
import { integer } from '../parsers.ts';
import { environmentArg } from './secrets-args.ts';

const collect = (parse: (v: string) => number) => (value: string, previous: number[] | undefined): number[] => [...(previous ?? []), parse(value)];

/** `clavis secrets delete|undelete|destroy ENV PATH [--version N…]`. */
export function registerSecretsChange(secrets: Command, ctx: CliContext): void {
  const actions = [
    { name: 'delete', done: 'deleted', what: 'Soft-delete the latest version (or --version); undelete restores it', call: 'deleteSecret' },
    { name: 'undelete', done: 'undeleted', what: 'Restore soft-deleted versions (default: the latest)', call: 'undeleteSecret' },
    { name: 'destroy', done: 'destroyed', what: 'Destroy versions for good (default: all): ciphertext and data key are erased', call: 'destroySecret' },
  ] as const;
  for (const a of actions) {
    secrets
      .command(a.name)
      .description(a.what)
      .argument('<environment>', 'live, test or dev', environmentArg)
      .argument('<path>', 'secret path')
      .option('--version <n>', 'a version (repeat for several)', collect(integer(1)))
      .addHelpText('after', `\nExamples:\n  $ clavis secrets ${a.name} live exchanges/binance/api-secret${a.name === 'destroy' ? ' --version 1 --version 2' : ''}`)
      .action(async (environment: Environment, path: string, _opts: unknown, cmd: Command) => {
        const { version } = cmd.opts<{ version?: number[] }>();
        if (a.call === 'deleteSecret' && (version?.length ?? 0) > 1) throw new CliError('delete takes one --version at a time');
        const client = clientOf(cmd, ctx);
        const r =
          a.call === 'deleteSecret'
            ? await client.deleteSecret(environment, path, version?.[0])
            : a.call === 'undeleteSecret'
              ? await client.undeleteSecret(environment, path, version)
              : await client.destroySecret(environment, path, version);
        emit(ctx.io, jsonOf(cmd), r, () => formatRecord([['environment', r.environment], ['path', r.path], [a.done, r.versions.length === 0 ? 'nothing (already so)' : r.versions]]));
      });
  }
}
