import type { UpdateKeyRequest } from '@clavis/sdk';
import { Option, type Command } from 'commander';
import { clientOf, jsonOf, type CliContext } from '../context.ts';
import { CliError } from '../io.ts';
import { emit, formatRecord, note } from '../output.ts';
import { collect, isoDate, jsonObject } from '../parsers.ts';
import { addRotationOptions, rotationRequest, type RotationOptions } from './keys-rotation.ts';
import { SHOWN_ONCE, keyRecord } from '../views.ts';
import { SIGNING_SECRET_NOTE, publicKeyOption, signingOption, signingRequest } from './keys-signing.ts';

interface Options extends RotationOptions {
  name?: string;
  scope?: string[];
  ip?: string[];
  anyIp?: boolean;
  metadata?: Record<string, unknown>;
  expiresAt?: string;
  signing?: string | boolean;
  publicKey?: string;
}

/** `clavis keys update ID`: changes name, scopes, allowlist, metadata or expiry. */
export function registerKeysUpdate(keys: Command, ctx: CliContext): void {
  addRotationOptions(keys.command('update'), true)
    .description('Change the name, scopes, IP allowlist, metadata or expiry of a key')
    .argument('<id>', 'key id (key_…)')
    .option('--name <name>', 'new name')
    .option('--scope <scope>', 'replace the scopes; repeat for several', collect)
    .addOption(new Option('--ip <cidr>', 'replace the IP allowlist; repeat for several').argParser(collect).conflicts('anyIp'))
    .option('--any-ip', 'clear the IP allowlist so any address may use the key')
    .option('--metadata <json>', "replace the metadata with this JSON object ('{}' clears it)", jsonObject)
    .option('--expires-at <time>', 'new expiry as an ISO 8601 time', isoDate)
    .addOption(signingOption('require signed requests: ed25519 (with --public-key) or hmac-sha256 (a new secret, printed once; the old one stops at once)'))
    .option('--no-signing', 'drop the signing requirement (an HMAC secret is erased)')
    .addOption(publicKeyOption())
    .addHelpText(
      'after',
      `
Lists given here replace the key's list; they are not merged. --signing hmac-sha256 issues a
new signing secret even when the key already signs with HMAC: that is how its secret is rotated.

Examples:
  $ clavis keys update key_01J9Z… --scope prices:read --scope signals:read
  $ clavis keys update key_01J9Z… --ip 10.0.0.0/8 --expires-at 2026-01-01T00:00:00Z
  $ clavis keys update key_01J9Z… --any-ip --metadata '{}'
  $ clavis keys update key_01J9Z… --signing hmac-sha256
  $ clavis keys update key_01J9Z… --no-signing`,
    )
    .action(async (id: string, _opts: unknown, cmd: Command) => {
      const o = cmd.opts<Options>();
      const req: UpdateKeyRequest = {};
      if (o.name !== undefined) req.name = o.name;
      if (o.scope !== undefined) req.scopes = o.scope;
      if (o.ip !== undefined) req.ipAllowlist = o.ip;
      if (o.anyIp === true) req.ipAllowlist = [];
      if (o.metadata !== undefined) req.metadata = o.metadata;
      if (o.expiresAt !== undefined) req.expiresAt = o.expiresAt;
      const rotation = rotationRequest(o);
      if (rotation !== undefined) req.rotation = rotation;
      const signing = signingRequest(o.signing, o.publicKey);
      if (signing !== undefined) req.signing = signing;
      if (Object.keys(req).length === 0) {
        throw new CliError('nothing to update: give at least one of --name, --scope, --ip, --any-ip, --metadata, --expires-at, --signing, --no-signing');
      }
      const key = await clientOf(cmd, ctx).updateKey(id, req);
      const json = jsonOf(cmd);
      const secret = key.signingSecret;
      emit(ctx.io, json, key, () => (secret === undefined ? '' : `${formatRecord([['signing secret', secret]])}${SHOWN_ONCE} ${SIGNING_SECRET_NOTE}\n\n`) + formatRecord(keyRecord(key)));
      if (json && secret !== undefined) note(ctx.io, `The new signing secret is in the "signingSecret" field. ${SHOWN_ONCE}`);
    });
}
