import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { Command } from 'commander';
import type { PlaybookRun } from '@clavis/sdk';
import { PlaybookError, parsePlaybook } from '../../playbooks/playbook.ts';
import { clientOf, jsonOf, type CliContext } from '../context.ts';
import { CliError, EXIT_CHECK_FAILED } from '../io.ts';
import { emit, formatTable, note } from '../output.ts';

function runText(r: PlaybookRun): string {
  const head = `${r.dryRun ? 'Dry run of' : 'Ran'} playbook ${r.playbook} (${r.runId}): ${r.status}`;
  const table = formatTable(['#', 'step', 'status', 'detail'], r.steps.map((s) => [String(s.index + 1), s.action, s.status, s.detail]));
  const lines = [head, table];
  if (r.error !== null) lines.push(`Stopped: ${r.error.message} (${r.error.code})`);
  if (r.newKeySecret !== null) lines.push(`New key (it will not be shown again): ${r.newKeySecret}`);
  if (r.newKeySigningSecret !== null) lines.push(`New signing secret (HMAC-SHA256; it will not be shown again): ${r.newKeySigningSecret}`);
  return `${lines.join('\n')}\n`;
}

/** `clavis playbook list`, `clavis playbook run NAME --key … | --owner … [--dry-run]` and `clavis playbook validate FILE…`. */
export function registerPlaybook(program: Command, ctx: CliContext): void {
  const playbook = program
    .command('playbook')
    .description('Incident-response playbooks: list them, run one on a key or an owner')
    .addHelpText('after', '\nExamples:\n  $ clavis playbook list\n  $ clavis playbook run key-compromise --key key_01J9Z… --dry-run\n  $ clavis playbook run personnel-offboarding --owner alice\n  $ clavis playbook validate playbooks/*.yaml');
  playbook
    .command('list')
    .description('The playbooks the server loaded')
    .action(async (_opts: unknown, cmd: Command) => {
      const { data } = await clientOf(cmd, ctx).listPlaybooks();
      emit(ctx.io, jsonOf(cmd), data, () => `${formatTable(['name', 'trigger', 'steps', 'description'], data.map((p) => [p.name, p.trigger.type === 'alert' ? `${(p.trigger.alertTypes ?? []).join(',')} ≥ ${p.trigger.minSeverity ?? ''}` : 'manual', p.steps.map((s) => s.action).join(' → '), p.description]))}\n`);
    });
  playbook
    .command('run')
    .description('Run a playbook; every step is audited and the first failed step stops the run')
    .argument('<name>', 'playbook name (clavis playbook list)')
    .option('--key <id>', 'the key the steps act on (key_…)')
    .option('--owner <id>', 'the key owner the steps act on (revoke-owner-keys)')
    .option('--dry-run', 'print what each step would do; change nothing')
    .action(async (name: string, _opts: unknown, cmd: Command) => {
      const o = cmd.opts<{ key?: string; owner?: string; dryRun?: boolean }>();
      const r = await clientOf(cmd, ctx).runPlaybook(name, { ...(o.key !== undefined ? { keyId: o.key } : {}), ...(o.owner !== undefined ? { ownerId: o.owner } : {}), dryRun: o.dryRun === true });
      emit(ctx.io, jsonOf(cmd), r, () => runText(r));
      if (r.status === 'failed') ctx.exitCode = 1;
    });
  playbook
    .command('validate')
    .description('Check playbook files offline (YAML, or JSON for *.json) as the server will load them; errors name file, line and column')
    .argument('<files...>', 'playbook files (*.yaml, *.yml, *.json)')
    .action((files: string[], _opts: unknown, cmd: Command) => {
      const results = files.map((file) => {
        let text: string;
        try {
          text = readFileSync(file, 'utf8');
        } catch (error) {
          throw new CliError(`cannot read ${file}: ${error instanceof Error ? error.message : String(error)}`);
        }
        try {
          const p = parsePlaybook(text, file);
          // The server also wants the file named after the playbook.
          const stem = basename(file).replace(/\.(ya?ml|json)$/i, '');
          if (stem !== p.name) return { file, ok: false, name: p.name, error: `${file}: the file must be named after the playbook (${p.name})` };
          return { file, ok: true, name: p.name, error: null };
        } catch (error) {
          if (error instanceof PlaybookError) return { file, ok: false, name: null, error: error.message };
          throw error;
        }
      });
      emit(ctx.io, jsonOf(cmd), results, () => `${results.map((r) => (r.ok ? `ok    ${r.file} (${r.name ?? ''})` : `FAIL  ${r.error ?? r.file}`)).join('\n')}\n`);
      const failed = results.filter((r) => !r.ok).length;
      if (failed > 0) {
        note(ctx.io, `${failed} of ${results.length} playbook file(s) do not validate`);
        ctx.exitCode = EXIT_CHECK_FAILED;
      }
    });
}
