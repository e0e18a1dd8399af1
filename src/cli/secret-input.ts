import type { Readable } from 'node:stream';
import type { CliIo } from './io.ts';
import { CliError, readAll } from './io.ts';

/** Whether a stream is an interactive terminal. */
function isTty(stream: Readable): stream is Readable & { isTTY: true; setRawMode(raw: boolean): void } {
  return (stream as { isTTY?: unknown }).isTTY === true && typeof (stream as { setRawMode?: unknown }).setRawMode === 'function';
}

/** Reads one line from a terminal without echoing it. */
async function promptHidden(io: CliIo, stream: Readable & { setRawMode(raw: boolean): void }, prompt: string): Promise<string> {
  io.stderr(prompt);
  stream.setRawMode(true);
  stream.setEncoding('utf8');
  stream.resume();
  try {
    return await new Promise<string>((resolve, reject) => {
      let text = '';
      const onData = (chunk: string): void => {
        for (const ch of chunk) {
          if (ch === '\r' || ch === '\n') {
            stream.off('data', onData);
            resolve(text);
            return;
          }
          if (ch === '\u0003') {
            stream.off('data', onData);
            reject(new CliError('cancelled'));
            return;
          }
          if (ch === '\u007f' || ch === '\b') text = text.slice(0, -1);
          else text += ch;
        }
      };
      stream.on('data', onData);
    });
  } finally {
    stream.setRawMode(false);
    stream.pause();
    io.stderr('\n');
  }
}

/**
 * A passphrase: prompted twice without echo on a terminal (when `confirm`), otherwise the first
 * line of standard input. Never taken from an argument, which would show in `ps` and history.
 */
export async function readPassphrase(io: CliIo, opts: { confirm: boolean; what: string }): Promise<string> {
  const stdin = io.stdin();
  let value: string;
  if (isTty(stdin)) {
    value = await promptHidden(io, stdin, `${opts.what}: `);
    if (opts.confirm && (await promptHidden(io, stdin, `${opts.what} again: `)) !== value) throw new CliError('the two entries differ');
  } else {
    value = (await readAll(stdin)).split(/\r?\n/)[0] ?? '';
  }
  if (value === '') throw new CliError(`no ${opts.what.toLowerCase()} given (type it at the prompt, or pipe it on stdin)`);
  return value;
}

/** A secret value from standard input: everything, less one trailing newline (`echo` adds it). */
export async function readSecretValue(io: CliIo): Promise<string> {
  const stdin = io.stdin();
  if (isTty(stdin)) return readPassphrase(io, { confirm: false, what: 'Secret value' });
  const text = (await readAll(stdin)).replace(/\r?\n$/, '');
  if (text === '') throw new CliError('no value on stdin: pipe the secret in, e.g. `clavis secrets put live exchanges/binance/api-key < key.txt`');
  return text;
}
