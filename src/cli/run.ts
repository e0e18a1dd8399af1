import { readFileSync } from 'node:fs';
import { ClavisApiError } from '@clavis/sdk';
import { Command, CommanderError } from 'commander';
import { registerAuditEvents } from './commands/audit-events.ts';
import { registerAuditExport } from './commands/audit-export.ts';
import { registerAuditProof } from './commands/audit-proof.ts';
import { registerAuditVerify } from './commands/audit-verify.ts';
import { registerIndexBacktest } from './commands/index-backtest.ts';
import { registerKeysCreate } from './commands/keys-create.ts';
import { registerKeysGet } from './commands/keys-get.ts';
import { registerKeysList } from './commands/keys-list.ts';
import { registerKeysResume } from './commands/keys-resume.ts';
import { registerKeysRevoke } from './commands/keys-revoke.ts';
import { registerKeysRotate } from './commands/keys-rotate.ts';
import { registerKeysSuspend } from './commands/keys-suspend.ts';
import { registerPlaybook } from './commands/playbook.ts';
import { registerReport } from './commands/report.ts';
import { registerScheduler } from './commands/scheduler.ts';
import { registerKeysUpdate } from './commands/keys-update.ts';
import { registerKeysVerify } from './commands/keys-verify.ts';
import { registerGateway } from './commands/gateway.ts';
import { registerScan } from './commands/scan.ts';
import { registerInit } from './commands/init.ts';
import { registerKeyringCommands } from './commands/keyring-commands.ts';
import { registerSecretsChange } from './commands/secrets-change.ts';
import { registerSecretsGet } from './commands/secrets-get.ts';
import { registerSecretsList } from './commands/secrets-list.ts';
import { registerSecretsPut } from './commands/secrets-put.ts';
import { registerTokensCreate } from './commands/tokens-create.ts';
import { registerTokensList } from './commands/tokens-list.ts';
import { registerTokensRevoke } from './commands/tokens-revoke.ts';
import { registerWorkspace } from './commands/workspace.ts';
import { registerWorkspacesCreate } from './commands/workspaces-create.ts';
import { registerKeysRevokeAll } from './commands/keys-revoke-all.ts';
import { registerMfaConfirm } from './commands/mfa-confirm.ts';
import { registerMfaEnrol } from './commands/mfa-enrol.ts';
import { registerMfaRemove } from './commands/mfa-remove.ts';
import { registerMfaRequire } from './commands/mfa-require.ts';
import { registerMfaStatus } from './commands/mfa-status.ts';
import { registerUsersCreate } from './commands/users-create.ts';
import { registerUsersDisable } from './commands/users-disable.ts';
import { registerUsersList } from './commands/users-list.ts';
import { registerUsersResetMfa } from './commands/users-reset-mfa.ts';
import { registerUsersUpdate } from './commands/users-update.ts';
import { DEFAULT_URL } from './connection.ts';
import type { CliContext } from './context.ts';
import { CliError, EXIT_OK, EXIT_USAGE, processIo, type CliIo } from './io.ts';

function version(): string {
  try {
    const pkg: unknown = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
    if (typeof pkg === 'object' && pkg !== null && 'version' in pkg && typeof pkg.version === 'string') return pkg.version;
  } catch {
    // A missing package.json must not stop the CLI; the version is only informational.
  }
  return 'unknown';
}

function group(program: Command, name: string, description: string, examples: string): Command {
  return program.command(name).description(description).addHelpText('after', `\nExamples:\n${examples}`);
}

/** The command tree of one run; every command writes through `ctx.io`. */
export function buildProgram(ctx: CliContext): Command {
  const { io } = ctx;
  const program = new Command('clavis')
    .description('Manage Clavis API keys, admin tokens and the signed audit log')
    .version(version(), '-V, --version', 'print the CLI version')
    .option('--url <url>', `server URL (or CLAVIS_URL; default ${DEFAULT_URL})`)
    .option('--token <token>', 'admin token (or CLAVIS_TOKEN, preferred: flags show in ps and shell history)')
    .option('--json', 'print JSON instead of tables')
    .option('--mfa <code>', 'step-up code for critical operations: a fresh TOTP code or a recovery code (or CLAVIS_MFA_CODE)')
    .exitOverride()
    // --json, --url and --token work on every command, so every command's help lists them.
    .configureHelp({ showGlobalOptions: true })
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .showHelpAfterError('(add --help for usage)')
    .addHelpText(
      'after',
      `
Exit status: 0 ok, 1 a check failed (key not valid, bundle or proof does not verify),
2 usage, connection or API error.

Examples:
  $ export CLAVIS_URL=https://clavis.internal:8420 CLAVIS_TOKEN=clv_adm_…
  $ clavis keys create --name alice --env live --scope prices:read --ttl 2592000
  $ clavis keys list --env live --json
  $ clavis audit export --out audit.jsonl && clavis audit verify audit.jsonl --verifier-key '…'`,
    );

  const keys = group(program, 'keys', 'Create, list, change, rotate, revoke and verify API keys', '  $ clavis keys list\n  $ clavis keys create --help');
  registerKeysCreate(keys, ctx);
  registerKeysList(keys, ctx);
  registerKeysGet(keys, ctx);
  registerKeysUpdate(keys, ctx);
  registerKeysRotate(keys, ctx);
  registerKeysRevoke(keys, ctx);
  registerKeysRevokeAll(keys, ctx);
  registerKeysSuspend(keys, ctx);
  registerKeysResume(keys, ctx);
  registerKeysVerify(keys, ctx);

  const tokens = group(program, 'tokens', 'Manage admin tokens', '  $ clavis tokens list\n  $ clavis tokens create --name ci --role developer');
  registerTokensCreate(tokens, ctx);
  registerTokensList(tokens, ctx);
  registerTokensRevoke(tokens, ctx);

  registerWorkspace(program, ctx);
  const users = group(program, 'users', 'Manage the people of the workspace (tokens are issued for users)', '  $ clavis users list\n  $ clavis users create --email ada@example.com --name Ada --role developer');
  registerUsersCreate(users, ctx);
  registerUsersList(users, ctx);
  registerUsersUpdate(users, ctx);
  registerUsersDisable(users, ctx);
  registerUsersResetMfa(users, ctx);
  const mfa = group(program, 'mfa', 'TOTP for your user: critical operations then need --mfa CODE', '  $ clavis mfa enrol\n  $ clavis mfa confirm 123456\n  $ clavis secrets get live exchanges/binance/api-secret --mfa 654321');
  registerMfaEnrol(mfa, ctx);
  registerMfaConfirm(mfa, ctx);
  registerMfaStatus(mfa, ctx);
  registerMfaRemove(mfa, ctx);
  registerMfaRequire(mfa, ctx);
  const workspaces = group(program, 'workspaces', 'Create tenant workspaces (operator owners only)', '  $ clavis workspaces create acme');
  registerWorkspacesCreate(workspaces, ctx);

  const audit = group(
    program,
    'audit',
    'Read, prove, export and verify the signed audit log',
    '  $ clavis audit events --action key.revoked\n  $ clavis audit proof 42\n  $ clavis audit export --out audit.jsonl\n  $ clavis audit verify audit.jsonl --verifier-key \'…\'',
  );
  registerAuditEvents(audit, ctx);
  registerAuditProof(audit, ctx);
  registerAuditExport(audit, ctx);
  registerAuditVerify(audit, ctx);

  const index = group(program, 'index', 'Backtest the Clavis Top 100 index (runs locally, no server)', '  $ clavis index backtest\n  $ clavis index backtest --variant capped --out ./ct100');
  registerIndexBacktest(index, ctx);

  registerScan(program, ctx);
  registerPlaybook(program, ctx);
  registerReport(program, ctx);
  registerScheduler(program, ctx);

  registerInit(program, ctx);
  const secrets = group(program, 'secrets', 'Store and read encrypted secrets (exchange API keys, webhook secrets…)', '  $ clavis secrets put live exchanges/binance/api-secret < secret.txt\n  $ clavis secrets get live exchanges/binance/api-secret');
  registerSecretsPut(secrets, ctx);
  registerSecretsGet(secrets, ctx);
  registerSecretsList(secrets, ctx);
  registerSecretsChange(secrets, ctx);
  const keyring = group(program, 'keyring', 'Master keyring: status, rotate, rewrap, retire, unseal', '  $ clavis keyring status\n  $ clavis keyring rotate && clavis keyring rewrap && clavis keyring retire --min-version 2');
  registerKeyringCommands(keyring, ctx);
  registerGateway(program, ctx);
  return program;
}

/** Why fetch failed, from the cause node's HTTP client attaches (ECONNREFUSED, ENOTFOUND, …). */
function networkReason(error: TypeError): string {
  const cause: unknown = error.cause;
  if (typeof cause === 'object' && cause !== null) {
    if ('code' in cause && typeof cause.code === 'string') return cause.code;
    if ('message' in cause && typeof cause.message === 'string') return cause.message;
  }
  return error.message;
}

function describeError(error: unknown, ctx: CliContext): { message: string; exitCode: number } {
  if (error instanceof CliError) return { message: error.message, exitCode: error.exitCode };
  if (error instanceof ClavisApiError) {
    const p = error.problem;
    if (p === undefined) return { message: `${error.code}: the server answered HTTP ${error.status} without problem details`, exitCode: EXIT_USAGE };
    // The detail often already is the only field error; print each fact once.
    const fields = (p.errors ?? []).map((f) => `${f.field}: ${f.message}`).filter((f) => f !== p.detail).map((f) => `\n  ${f}`).join('');
    const hint = p.code === 'MFA_REQUIRED' || p.code === 'MFA_REPLAYED' ? '\n  (add --mfa CODE with a fresh code from your authenticator, or set CLAVIS_MFA_CODE)' : '';
    return { message: `${p.code}: ${p.detail}${fields}${hint}\n  (HTTP ${p.status}, request ${p.requestId})`, exitCode: EXIT_USAGE };
  }
  if (error instanceof TypeError && error.message === 'fetch failed') {
    return { message: `cannot reach the server at ${ctx.serverUrl ?? 'the server'}: ${networkReason(error)} (is it running? check --url or CLAVIS_URL)`, exitCode: EXIT_USAGE };
  }
  if (error instanceof SyntaxError) {
    return { message: `the server's answer is not JSON: is ${ctx.serverUrl ?? 'the URL'} a Clavis server?`, exitCode: EXIT_USAGE };
  }
  return { message: error instanceof Error ? error.message : String(error), exitCode: EXIT_USAGE };
}

/**
 * Runs the CLI on `argv` (node-style: argv[0] the runtime, argv[1] the script) and returns the
 * exit code; never throws and never calls process.exit, so tests can drive it in-process.
 *
 * @example const code = await run(['node', 'clavis', 'keys', 'list', '--json'], { env: { CLAVIS_TOKEN: token }, stdout: (s) => out.push(s) })
 */
export async function run(argv: readonly string[], io: Partial<CliIo> = {}): Promise<number> {
  const ctx: CliContext = { io: { ...processIo(), ...io }, exitCode: EXIT_OK };
  try {
    await buildProgram(ctx).parseAsync([...argv], { from: 'node' });
    return ctx.exitCode;
  } catch (error) {
    // Commander has already printed its own message (usage error, help, version).
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    const { message, exitCode } = describeError(error, ctx);
    ctx.io.stderr(`error: ${message}\n`);
    return exitCode;
  }
}
