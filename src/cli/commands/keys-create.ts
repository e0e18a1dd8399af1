import type { CreateKeyRequest, Environment } from '@clavis/sdk';
import { Option, type Command } from 'commander';
import { clientOf, jsonOf, type CliContext } from '../context.ts';
import { emit, formatRecord, note } from '../output.ts';
import { collect, integer, isoDate, jsonObject } from '../parsers.ts';
import { SHOWN_ONCE, keyRecord } from '../views.ts';
import { addRotationOptions, rotationRequest, type RotationOptions } from './keys-rotation.ts';
import { SHOWN_BOTH, SIGNING_SECRET_NOTE, publicKeyOption, signingOption, signingRequest } from './keys-signing.ts';

interface Options extends RotationOptions {
  name: string;
  env: Environment;
  scope: string[];
  ttl?: number;
  expiresAt?: string;
  ip?: string[];
  owner?: string;
  metadata?: Record<string, unknown>;
  signing?: string;
  publicKey?: string;
}

/** `clavis keys create`: issues a key and prints it, the only time it is ever shown. */
export function registerKeysCreate(keys: Command, ctx: CliContext): void {
  addRotationOptions(keys.command('create'), false)
    .description('Create an API key and print it once')
    .requiredOption('--name <name>', 'human-readable name (1–100 characters)')
    .addOption(new Option('--env <environment>', 'environment the key verifies in').choices(['live', 'test', 'dev']).makeOptionMandatory())
    .requiredOption('--scope <scope>', 'scope as resource:action; repeat for several', collect)
    .addOption(new Option('--ttl <seconds>', 'lifetime in seconds from now').argParser(integer(1)).conflicts('expiresAt'))
    .addOption(new Option('--expires-at <time>', 'expiry as an ISO 8601 time').argParser(isoDate))
    .option('--ip <cidr>', 'allowed client address or CIDR range; repeat for several (default: any)', collect)
    .option('--owner <id>', 'identity of the consumer who owns the key')
    .option('--metadata <json>', 'free-form JSON object stored with the key', jsonObject)
    .addOption(signingOption('require signed requests: ed25519 (the consumer keeps the private key; give --public-key) or hmac-sha256 (Clavis issues a secret, printed once)'))
    .addOption(publicKeyOption())
    .addHelpText(
      'after',
      `
The key is printed once, in this output only: store it right away. --ttl and --expires-at
exclude each other; the server's policy may require one (and cap it) for live keys. With
--signing hmac-sha256 the signing secret is printed once too, next to the key.

Examples:
  $ clavis keys create --name alice-prices --env live --scope prices:read --ttl 2592000
  $ clavis keys create --name bot --env test --scope portfolio:read --scope portfolio:trade \\
      --ip 203.0.113.0/24 --owner user_42 --metadata '{"team":"quant"}'
  $ clavis keys create --name ci --env dev --scope prices:read --json | jq -r .key
  $ clavis keys create --name trader --env live --scope portfolio:trade --ip 203.0.113.7 \\
      --signing hmac-sha256 --ttl 604800
  $ clavis keys create --name bot --env test --scope prices:read --signing ed25519 --public-key "$(cat bot.pub.b64)"`,
    )
    .action(async (_opts: unknown, cmd: Command) => {
      const o = cmd.opts<Options>();
      const req: CreateKeyRequest = { name: o.name, environment: o.env, scopes: o.scope };
      if (o.ttl !== undefined) req.ttlSeconds = o.ttl;
      if (o.expiresAt !== undefined) req.expiresAt = o.expiresAt;
      if (o.ip !== undefined) req.ipAllowlist = o.ip;
      if (o.owner !== undefined) req.ownerId = o.owner;
      if (o.metadata !== undefined) req.metadata = o.metadata;
      const rotation = rotationRequest(o);
      if (rotation !== undefined && rotation !== null) req.rotation = rotation;
      const signing = signingRequest(o.signing, o.publicKey);
      if (signing !== undefined && signing !== null) req.signing = signing;
      const created = await clientOf(cmd, ctx).createKey(req);
      const json = jsonOf(cmd);
      const shown: [string, unknown][] = [['key', created.key], ...(created.signingSecret !== undefined ? ([['signing secret', created.signingSecret]] as [string, unknown][]) : [])];
      const once = created.signingSecret !== undefined ? `${SHOWN_BOTH} ${SIGNING_SECRET_NOTE}` : SHOWN_ONCE;
      emit(ctx.io, json, created, () => `${formatRecord(shown)}${once}\n\n${formatRecord(keyRecord(created))}`);
      if (json) note(ctx.io, `The key is in the "key" field${created.signingSecret !== undefined ? ', its signing secret in "signingSecret"' : ''}. ${SHOWN_ONCE}`);
    });
}
