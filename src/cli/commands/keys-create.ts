import type { CreateKeyRequest, Environment } from '@clavis/sdk';
import { Option, type Command } from 'commander';
import { clientOf, jsonOf, type CliContext } from '../context.ts';
import { emit, formatRecord, note } from '../output.ts';
import { collect, integer, isoDate, jsonObject } from '../parsers.ts';
import { SHOWN_ONCE, keyRecord } from '../views.ts';

interface Options {
  name: string;
  env: Environment;
  scope: string[];
  ttl?: number;
  expiresAt?: string;
  ip?: string[];
  owner?: string;
  metadata?: Record<string, unknown>;
}

/** `clavis keys create`: issues a key and prints it, the only time it is ever shown. */
export function registerKeysCreate(keys: Command, ctx: CliContext): void {
  keys
    .command('create')
    .description('Create an API key and print it once')
    .requiredOption('--name <name>', 'human-readable name (1–100 characters)')
    .addOption(new Option('--env <environment>', 'environment the key verifies in').choices(['live', 'test', 'dev']).makeOptionMandatory())
    .requiredOption('--scope <scope>', 'scope as resource:action; repeat for several', collect)
    .addOption(new Option('--ttl <seconds>', 'lifetime in seconds from now').argParser(integer(1)).conflicts('expiresAt'))
    .addOption(new Option('--expires-at <time>', 'expiry as an ISO 8601 time').argParser(isoDate))
    .option('--ip <cidr>', 'allowed client address or CIDR range; repeat for several (default: any)', collect)
    .option('--owner <id>', 'identity of the consumer who owns the key')
    .option('--metadata <json>', 'free-form JSON object stored with the key', jsonObject)
    .addHelpText(
      'after',
      `
The key is printed once, in this output only: store it right away. --ttl and --expires-at
exclude each other; the server's policy may require one (and cap it) for live keys.

Examples:
  $ clavis keys create --name alice-prices --env live --scope prices:read --ttl 2592000
  $ clavis keys create --name bot --env test --scope portfolio:read --scope portfolio:trade \\
      --ip 203.0.113.0/24 --owner user_42 --metadata '{"team":"quant"}'
  $ clavis keys create --name ci --env dev --scope prices:read --json | jq -r .key`,
    )
    .action(async (_opts: unknown, cmd: Command) => {
      const o = cmd.opts<Options>();
      const req: CreateKeyRequest = { name: o.name, environment: o.env, scopes: o.scope };
      if (o.ttl !== undefined) req.ttlSeconds = o.ttl;
      if (o.expiresAt !== undefined) req.expiresAt = o.expiresAt;
      if (o.ip !== undefined) req.ipAllowlist = o.ip;
      if (o.owner !== undefined) req.ownerId = o.owner;
      if (o.metadata !== undefined) req.metadata = o.metadata;
      const created = await clientOf(cmd, ctx).createKey(req);
      const json = jsonOf(cmd);
      emit(ctx.io, json, created, () => `${formatRecord([['key', created.key]])}${SHOWN_ONCE}\n\n${formatRecord(keyRecord(created))}`);
      if (json) note(ctx.io, `The key is in the "key" field. ${SHOWN_ONCE}`);
    });
}
