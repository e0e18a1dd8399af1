import type { Command } from 'commander';
import { clientOf, jsonOf, type CliContext } from '../context.ts';
import { emit, formatRecord, note } from '../output.ts';
import { integer } from '../parsers.ts';
import { SHOWN_ONCE } from '../views.ts';
import { SHOWN_BOTH } from './keys-signing.ts';

/** `clavis keys rotate ID`: issues a successor key and prints it once. */
export function registerKeysRotate(keys: Command, ctx: CliContext): void {
  keys
    .command('rotate')
    .description('Issue a successor key; the old key keeps working for a grace period')
    .argument('<id>', 'key id (key_…) of the key to replace')
    .option('--grace <seconds>', 'how long the old key keeps working (0 ends it now; server default 24 h, at most 30 days)', integer(0))
    .addHelpText('after', '\nExamples:\n  $ clavis keys rotate key_01J9Z…\n  $ clavis keys rotate key_01J9Z… --grace 0 --json | jq -r .key')
    .action(async (id: string, _opts: unknown, cmd: Command) => {
      const { grace } = cmd.opts<{ grace?: number }>();
      const r = await clientOf(cmd, ctx).rotateKey(id, grace);
      const json = jsonOf(cmd);
      emit(
        ctx.io,
        json,
        r,
        () =>
          `${formatRecord([['key', r.key], ...(r.signingSecret !== undefined ? ([['signing secret', r.signingSecret]] as [string, unknown][]) : [])])}${r.signingSecret !== undefined ? `${SHOWN_BOTH} The successor signs with its own secret; the old key keeps its own until it ends.` : SHOWN_ONCE}\n\n` +
          formatRecord([
            ['successor', r.successor.id],
            ['scopes', r.successor.scopes],
            ['expires', r.successor.expiresAt ?? 'never'],
            ['previous', r.previous.id],
            ['previous works until', r.previous.expiresAt ?? 'never'],
          ]),
      );
      if (json) note(ctx.io, `The successor key is in the "key" field${r.signingSecret !== undefined ? ', its signing secret in "signingSecret"' : ''}. ${SHOWN_ONCE}`);
    });
}
