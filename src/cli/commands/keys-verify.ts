import type { Environment, VerifyRequest } from '@clavis/sdk';
import { Option, type Command } from 'commander';
import { clientOf, jsonOf, type CliContext } from '../context.ts';
import { CliError, EXIT_CHECK_FAILED, readAll } from '../io.ts';
import { emit, formatRecord } from '../output.ts';

interface Options {
  env?: Environment;
  scope?: string;
  ip?: string;
}

/** `clavis keys verify KEY`: asks the server whether a key is valid; exit 1 when it is not. */
export function registerKeysVerify(keys: Command, ctx: CliContext): void {
  keys
    .command('verify')
    .description('Check an API key as a service would; exits 1 when it is not valid')
    .argument('<key>', 'the API key, or - to read it from stdin (keeps it out of shell history)')
    .addOption(new Option('--env <environment>', 'environment the request is for').choices(['live', 'test', 'dev']))
    .option('--scope <scope>', 'scope the request needs')
    .option('--ip <address>', 'client IPv4/IPv6 address to check against the allowlist')
    .addHelpText(
      'after',
      `
Exit status: 0 when valid, 1 when not (the code says why: REVOKED, EXPIRED, …), 2 on errors.

Examples:
  $ clavis keys verify - --env live --scope prices:read < key.txt
  $ printf %s "$KEY" | clavis keys verify - --ip 203.0.113.7 --json`,
    )
    .action(async (keyArg: string, _opts: unknown, cmd: Command) => {
      const o = cmd.opts<Options>();
      const key = keyArg === '-' ? (await readAll(ctx.io.stdin())).trim() : keyArg;
      if (key === '') throw new CliError('no key to verify: stdin was empty');
      const req: VerifyRequest = { key };
      if (o.env !== undefined) req.environment = o.env;
      if (o.scope !== undefined) req.scope = o.scope;
      if (o.ip !== undefined) req.ip = o.ip;
      const r = await clientOf(cmd, ctx).verifyKey(req);
      emit(ctx.io, jsonOf(cmd), r, () =>
        formatRecord([
          ['valid', r.valid ? 'yes' : 'no'],
          ['code', r.code],
          ['key id', r.keyId],
          ['environment', r.environment],
          ['scopes', r.scopes],
          ['expires', r.keyId === null ? null : (r.expiresAt ?? 'never')],
          ['owner', r.ownerId],
        ]),
      );
      if (!r.valid) ctx.exitCode = EXIT_CHECK_FAILED;
    });
}
