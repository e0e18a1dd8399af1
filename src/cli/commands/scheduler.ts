import type { SchedulerTick } from '@clavis/sdk';
import type { Command } from 'commander';
import { clientOf, jsonOf, type CliContext } from '../context.ts';
import { emit, formatRecord, formatTable } from '../output.ts';

function tickText(t: SchedulerTick): string {
  const head = formatRecord([
    ['node', t.node],
    ['started', t.startedAt],
    ['dry run', t.dryRun ? 'yes: nothing was changed' : 'no'],
    ...(t.skipped === null ? [] : ([['skipped', t.skipped]] as [string, unknown][])),
  ]);
  const actions = t.actions.length === 0 ? (t.dryRun ? 'Nothing is due.' : 'Nothing was due.') : formatTable(['action', 'key', 'successor', 'detail'], t.actions.map((a) => [a.type, a.keyId, a.successorId, a.detail]));
  const failures = t.failures.length === 0 ? '' : `\n\nFailed (tried again next tick):\n${formatTable(['action', 'key', 'error'], t.failures.map((f) => [f.type, f.keyId, f.error]))}`;
  return `${head}\n\n${actions}${failures}`;
}

/** `clavis scheduler run-once [--dry-run]`: one tick of the rotation and expiry scheduler on the server. */
export function registerScheduler(program: Command, ctx: CliContext): void {
  const scheduler = program
    .command('scheduler')
    .description('The rotation and expiry scheduler (docs/guides/rotation.md)')
    .addHelpText('after', '\nExamples:\n  $ clavis scheduler run-once --dry-run\n  $ clavis scheduler run-once --json');
  scheduler
    .command('run-once')
    .description('Run one tick now: due vault rotations, rotation-due, expiring-soon and quota-low notices, idle high-risk suspensions (operator workspace token)')
    .option('--dry-run', 'print what a tick would do now; change nothing')
    .addHelpText(
      'after',
      `
The server runs the scheduler on its own every CLAVIS_SCHEDULER_INTERVAL_SECONDS; this runs a tick
now, taking the same lease (when another node holds it, nothing is done and the answer says so).
Exit status 1 when a due action failed.`,
    )
    .action(async (_opts: unknown, cmd: Command) => {
      const { dryRun } = cmd.opts<{ dryRun?: boolean }>();
      const tick = await clientOf(cmd, ctx).runScheduler({ dryRun: dryRun === true });
      emit(ctx.io, jsonOf(cmd), tick, () => tickText(tick));
      if (tick.failures.length > 0) ctx.exitCode = 1;
    });
}
