import type { Readable } from 'node:stream';

/** Where the CLI reads and writes. Tests replace it to capture output and set the environment. */
export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: Readonly<Record<string, string | undefined>>;
  /** Standard input, read only for arguments given as `-`. */
  stdin: () => Readable;
  /** Progress lines are drawn only on a terminal: in a pipe or log they would be noise. */
  stderrIsTty: boolean;
}

/** Exit codes of every command. */
export const EXIT_OK = 0;
/** A check ran and failed: a key is not valid, a bundle or proof does not verify. */
export const EXIT_CHECK_FAILED = 1;
/** Bad usage, an unreachable server or an API error. */
export const EXIT_USAGE = 2;

/** A failure the CLI reports as one line on stderr with its exit code, without a stack trace. */
export class CliError extends Error {
  readonly exitCode: number;

  constructor(message: string, exitCode: number = EXIT_USAGE) {
    super(message);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}

/** The process's own streams and environment. */
export function processIo(): CliIo {
  return {
    stdout: (text) => {
      process.stdout.write(text);
    },
    stderr: (text) => {
      process.stderr.write(text);
    },
    env: process.env,
    stdin: () => process.stdin,
    stderrIsTty: process.stderr.isTTY === true,
  };
}

/** Reads a whole stream as UTF-8 text. */
export async function readAll(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks).toString('utf8');
}
