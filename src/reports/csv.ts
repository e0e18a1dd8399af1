/**
 * One CSV field (RFC 4180): quoted when it holds a comma, a quote or a line break, quotes
 * doubled. A leading = + - @ tab or CR would make a spreadsheet evaluate the cell as a formula
 * (CSV injection), so such a cell gets a leading apostrophe and stays text.
 *
 * @example csvField('a, "b"') // '"a, ""b"""'
 */
export function csvField(value: string | number | null): string {
  const text = value === null ? '' : String(value);
  const safe = /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

/**
 * A CSV document: the header, then one line per row, CRLF line ends (RFC 4180) and a final one.
 * Numbers are written as they are: only text can start a formula.
 *
 * @example toCsv(['id', 'name'], [['key_1', 'alice']]) // 'id,name\r\nkey_1,alice\r\n'
 */
export function toCsv(header: readonly string[], rows: readonly (readonly (string | number | null)[])[]): string {
  const line = (row: readonly (string | number | null)[]): string => row.map((v) => (typeof v === 'number' ? String(v) : csvField(v))).join(',');
  return `${[header, ...rows].map(line).join('\r\n')}\r\n`;
}
