import type { RotationPolicy } from '@clavis/sdk';
import { Option, type Command } from 'commander';
import { CliError } from '../io.ts';
import { integer } from '../parsers.ts';

// The rotation-policy options shared by `keys create` and `keys update` (docs/guides/rotation.md).

/** What the options parse to; `rotation` is false after `--no-rotation` (update only). */
export interface RotationOptions {
  rotateEvery?: number;
  rotateGrace?: number;
  rotateMode?: 'vault' | 'notify';
  rotateVaultPath?: string;
  rotation?: boolean;
}

/** Adds `--rotate-every`, `--rotate-grace`, `--rotate-mode`, `--rotate-vault-path` (and `--no-rotation` when `clearable`). */
export function addRotationOptions(cmd: Command, clearable: boolean): Command {
  cmd
    .addOption(new Option('--rotate-every <days>', 'rotate automatically this many days after creation (the scheduler; successors inherit the policy)').argParser(integer(1)))
    .addOption(new Option('--rotate-grace <hours>', 'with --rotate-every: how long the old key keeps working after a rotation (default 24)').argParser(integer(0)))
    .addOption(new Option('--rotate-mode <mode>', 'with --rotate-every: vault (the scheduler rotates and writes the successor to --rotate-vault-path) or notify (key.rotation_due asks the owner); default vault when a path is given, else notify').choices(['vault', 'notify']))
    .addOption(new Option('--rotate-vault-path <path>', "with --rotate-every: secret path, in the key's workspace and environment, where the successor is written"));
  if (clearable) cmd.addOption(new Option('--no-rotation', 'remove the rotation policy').conflicts(['rotateEvery', 'rotateGrace', 'rotateMode', 'rotateVaultPath']));
  return cmd;
}

/**
 * The rotation policy the options ask for: undefined when none was given, null for `--no-rotation`.
 *
 * @example rotationRequest({ rotateEvery: 90, rotateVaultPath: 'acme/clavis-key' }) // { everyDays: 90, graceHours: 24, mode: 'vault', vaultPath: 'acme/clavis-key' }
 */
export function rotationRequest(o: RotationOptions): RotationPolicy | null | undefined {
  if (o.rotation === false) return null;
  if (o.rotateEvery === undefined) {
    if (o.rotateGrace !== undefined || o.rotateMode !== undefined || o.rotateVaultPath !== undefined) throw new CliError('--rotate-grace, --rotate-mode and --rotate-vault-path go with --rotate-every <days>');
    return undefined;
  }
  const mode = o.rotateMode ?? (o.rotateVaultPath === undefined ? 'notify' : 'vault');
  if (mode === 'vault' && o.rotateVaultPath === undefined) throw new CliError('--rotate-mode vault needs --rotate-vault-path <path> (where the successor is written)');
  if (mode === 'notify' && o.rotateVaultPath !== undefined) throw new CliError('--rotate-vault-path is for --rotate-mode vault');
  const policy: RotationPolicy = { everyDays: o.rotateEvery, graceHours: o.rotateGrace ?? 24, mode };
  if (o.rotateVaultPath !== undefined) policy.vaultPath = o.rotateVaultPath;
  return policy;
}
