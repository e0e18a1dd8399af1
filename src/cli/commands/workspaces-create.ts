import type { Command } from 'commander';
import { clientOf, jsonOf, type CliContext } from '../context.ts';
import { emit, formatRecord, note } from '../output.ts';
import { SHOWN_ONCE, tokenRecord } from '../views.ts';

/** `clavis workspaces create NAME`: a tenant workspace and its owner token. */
export function registerWorkspacesCreate(workspaces: Command, ctx: CliContext): void {
  workspaces
    .command('create')
    .description('Create a tenant workspace and print its owner token once (operator owners only)')
    .argument('<name>', 'workspace name')
    .addHelpText('after', "\nExamples:\n  $ clavis workspaces create acme\n  $ clavis workspaces create acme --json | jq -r .ownerToken.token")
    .action(async (name: string, _opts: unknown, cmd: Command) => {
      const r = await clientOf(cmd, ctx).createWorkspace(name);
      const json = jsonOf(cmd);
      emit(
        ctx.io,
        json,
        r,
        () =>
          `${formatRecord([
            ['workspace', r.workspace.id],
            ['name', r.workspace.name],
            ['created', r.workspace.createdAt],
          ])}\n${formatRecord([['owner token', r.ownerToken.token]])}${SHOWN_ONCE}\n\n${formatRecord(tokenRecord(r.ownerToken))}`,
      );
      if (json) note(ctx.io, `The owner token is in "ownerToken.token". ${SHOWN_ONCE}`);
    });
}
