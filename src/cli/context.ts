import type { ClavisClient } from '@clavis/sdk';
import type { Command } from 'commander';
import { connect } from './connection.ts';
import type { CliIo } from './io.ts';

/** Options of the root command, accepted before or after the subcommand. */
export interface GlobalOptions {
  url?: string;
  token?: string;
  json?: boolean;
  /** Step-up code for critical operations (X-Clavis-MFA). */
  mfa?: string;
}

/** State shared by the commands of one run. */
export interface CliContext {
  io: CliIo;
  /** What the run exits with when no error is thrown; commands raise it when a check fails. */
  exitCode: number;
  /** The server in use, for error messages (without credentials); set by {@link clientOf}. */
  serverUrl?: string;
}

/** The global options as seen from `cmd`. */
export function globalsOf(cmd: Command): GlobalOptions {
  return cmd.optsWithGlobals<GlobalOptions>();
}

/** Whether `cmd` should print JSON. */
export function jsonOf(cmd: Command): boolean {
  return globalsOf(cmd).json === true;
}

/** An API client from the global options and environment; throws a usage error without a token. */
export function clientOf(cmd: Command, ctx: CliContext): ClavisClient {
  const { client, url } = connect(globalsOf(cmd), ctx.io.env);
  ctx.serverUrl = url;
  return client;
}
