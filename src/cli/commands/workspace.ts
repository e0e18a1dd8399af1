import type { Command } from 'commander';
import { clientOf, jsonOf, type CliContext } from '../context.ts';
import { emit, formatRecord } from '../output.ts';

/** `clavis workspace`: the workspace of the admin token in use, and the caller. */
export function registerWorkspace(program: Command, ctx: CliContext): void {
  program
    .command('workspace')
    .description('Show the current workspace and who you are in it')
    .addHelpText('after', '\nExamples:\n  $ clavis workspace\n  $ clavis workspace --json | jq -r .workspace.id')
    .action(async (_opts: unknown, cmd: Command) => {
      const r = await clientOf(cmd, ctx).getWorkspace();
      emit(ctx.io, jsonOf(cmd), r, () =>
        formatRecord([
          ['workspace', r.workspace.id],
          ['name', r.workspace.name],
          ['created', r.workspace.createdAt],
          ['operator', r.workspace.operator ? 'yes' : 'no'],
          ['token', r.caller.tokenId],
          ['role', r.caller.role],
        ]),
      );
    });
}
