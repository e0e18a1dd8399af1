import type { CliIo } from './io.ts';

/** One table row: a value per column, rendered with {@link cell}. */
export type Row = readonly unknown[];

// Server data (names, metadata, audit data) reaches the terminal: escape control characters so
// that no value can move the cursor, clear the screen or forge lines of output.
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

/** Text of one cell: control characters escaped, null and undefined shown as `-`. */
export function cell(value: unknown): string {
  if (value === null || value === undefined || value === '') return '-';
  let text: string;
  if (typeof value === 'string') text = value;
  else if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') text = String(value);
  else if (Array.isArray(value)) text = value.length === 0 ? '-' : value.map((v) => cell(v)).join(', ');
  else text = JSON.stringify(value) ?? '-';
  return text.replace(CONTROL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Shortens a cell to `max` characters, marking the cut with an ellipsis. */
export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(0, max - 1))}…`;
}

/**
 * Columns aligned with two spaces between them, headers in upper case, no trailing spaces.
 *
 * @example formatTable(['id', 'name'], [['key_1', 'alice']]) // 'ID     NAME\nkey_1  alice\n'
 */
export function formatTable(headers: readonly string[], rows: readonly Row[]): string {
  const all: string[][] = [headers.map((h) => h.toUpperCase()), ...rows.map((r) => r.map((c) => cell(c)))];
  const widths = headers.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  const lines = all.map((r) =>
    widths
      .map((w, i) => (i === widths.length - 1 ? (r[i] ?? '') : (r[i] ?? '').padEnd(w)))
      .join('  ')
      .trimEnd(),
  );
  return `${lines.join('\n')}\n`;
}

/**
 * One record as aligned `label  value` lines, for commands that show a single object.
 *
 * @example formatRecord([['id', 'key_1'], ['status', 'active']]) // 'id      key_1\nstatus  active\n'
 */
export function formatRecord(pairs: readonly (readonly [string, unknown])[]): string {
  const width = Math.max(0, ...pairs.map(([label]) => label.length));
  return pairs.map(([label, value]) => `${label.padEnd(width)}  ${cell(value)}`.trimEnd()).join('\n') + '\n';
}

/** Pretty JSON with a final newline; the machine-readable form of every command (`--json`). */
export function formatJson(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/** Writes the result of a command: `json` under `--json`, otherwise the human `text`. */
export function emit(io: CliIo, json: boolean, value: unknown, text: () => string): void {
  io.stdout(json ? formatJson(value) : text());
}

/** A note for the human, on stderr so that stdout stays parseable. */
export function note(io: CliIo, text: string): void {
  io.stderr(`${text}\n`);
}
