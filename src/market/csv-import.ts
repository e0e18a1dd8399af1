import { parseDay } from './calendar.ts';
import type { MarketRow } from './dataset.ts';
import { MarketDataError } from './errors.ts';

/** The columns of a market CSV file, in the documented order (any order is accepted). */
export const CSV_COLUMNS = ['date', 'id', 'symbol', 'price', 'market_cap', 'volume', 'tags'] as const;

/** Tags the index methodology reads; an unknown tag is an error rather than silently ignored. */
export const KNOWN_TAGS: readonly string[] = ['stablecoin', 'pegged', 'wrapped', 'bridged', 'staking'];

const ID = /^[a-z0-9][a-z0-9._-]{0,99}$/;
const NUMBER = /^\+?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const CONTROL = /[\u0000-\u001f\u007f]/;

/** One CSV record with the line it starts on. */
interface Record {
  fields: string[];
  line: number;
}

/** Splits RFC 4180 text into records; quoted fields may hold commas, quotes ("") and newlines. */
function* records(text: string, file: string): Generator<Record> {
  let line = 1;
  let pos = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  while (pos < text.length) {
    const start = line;
    let end = text.indexOf('\n', pos);
    if (end < 0) end = text.length;
    const raw = text.slice(pos, end);
    if (!raw.includes('"')) {
      // Fast path: no quoting on this line.
      pos = end + 1;
      line++;
      const body = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
      if (body !== '') yield { fields: body.split(','), line: start };
      continue;
    }
    const fields: string[] = [];
    let field = '';
    let quoted = false;
    let i = pos;
    for (; i < text.length; i++) {
      const ch = text[i];
      if (quoted) {
        if (ch === '"') {
          if (text[i + 1] === '"') {
            field += '"';
            i++;
          } else quoted = false;
        } else {
          if (ch === '\n') line++;
          field += ch;
        }
      } else if (ch === '"') {
        if (field !== '') throw new MarketDataError('a quote may only open a field', { file, line });
        quoted = true;
      } else if (ch === ',') {
        fields.push(field);
        field = '';
      } else if (ch === '\n') {
        break;
      } else if (ch !== '\r' || text[i + 1] !== '\n') {
        field += ch;
      }
    }
    if (quoted) throw new MarketDataError('a quoted field is not closed before the end of the file', { file, line: start });
    fields.push(field);
    pos = i + 1;
    line++;
    yield { fields, line: start };
  }
}

function parseAmount(text: string, field: string, file: string, line: number, required: boolean): number {
  const t = text.trim();
  if (t === '') {
    if (required) throw new MarketDataError('is empty; a price is required', { file, line, field });
    return Number.NaN;
  }
  const n = NUMBER.test(t) ? Number(t) : Number.NaN;
  if (!Number.isFinite(n)) throw new MarketDataError(`expected a plain decimal number (no currency sign or thousands separator), got "${t}"`, { file, line, field });
  if (required && !(n > 0)) throw new MarketDataError(`must be greater than 0, got "${t}"`, { file, line, field });
  return n;
}

/**
 * Parses market CSV text: a header naming the columns `date,id,symbol,price,market_cap,volume,tags`
 * (any order, no others), then one row per asset per UTC day (the close at 24:00 UTC). `price` is
 * required and positive; `market_cap` and `volume` may be empty (unknown); `tags` is a
 * `;`-separated list of {@link KNOWN_TAGS}.
 *
 * @throws MarketDataError naming the file, line and column of the first bad value.
 * @example parseMarketCsv('date,id,symbol,price,market_cap,volume,tags\n2024-01-01,bitcoin,btc,42000,8.2e11,2.1e10,\n', 'p.csv')
 */
export function parseMarketCsv(text: string, file: string): MarketRow[] {
  const it = records(text, file);
  const head = it.next();
  if (head.done === true) throw new MarketDataError(`the file is empty; expected the header ${CSV_COLUMNS.join(',')}`, { file, line: 1 });
  const names = head.value.fields.map((f) => f.trim().toLowerCase());
  const col = new Map<string, number>();
  names.forEach((n, i) => {
    if (!(CSV_COLUMNS as readonly string[]).includes(n)) throw new MarketDataError(`unknown column "${n}"; expected ${CSV_COLUMNS.join(',')}`, { file, line: head.value.line, field: n || `column ${i + 1}` });
    if (col.has(n)) throw new MarketDataError(`column "${n}" appears twice`, { file, line: head.value.line, field: n });
    col.set(n, i);
  });
  const missing = CSV_COLUMNS.filter((c) => !col.has(c));
  if (missing.length > 0) throw new MarketDataError(`the header lacks ${missing.join(', ')}; expected ${CSV_COLUMNS.join(',')}`, { file, line: head.value.line });
  const at = (c: (typeof CSV_COLUMNS)[number]): number => col.get(c) ?? 0;
  const [iDate, iId, iSymbol, iPrice, iCap, iVol, iTags] = CSV_COLUMNS.map(at) as [number, number, number, number, number, number, number];

  const rows: MarketRow[] = [];
  for (const { fields, line } of it) {
    if (fields.length !== names.length) throw new MarketDataError(`has ${fields.length} fields, the header has ${names.length}`, { file, line });
    const get = (i: number): string => fields[i] ?? '';
    const dateText = get(iDate).trim();
    const day = parseDay(dateText);
    if (day === null) throw new MarketDataError(`expected a UTC date YYYY-MM-DD, got "${dateText}"`, { file, line, field: 'date' });
    const id = get(iId).trim();
    if (!ID.test(id)) throw new MarketDataError(`expected a provider id of lower-case letters, digits and - . _ (like usd-coin), got "${id}"`, { file, line, field: 'id' });
    const symbol = get(iSymbol).trim();
    if (symbol === '' || symbol.length > 20 || CONTROL.test(symbol)) throw new MarketDataError(`expected 1–20 printable characters, got "${symbol}"`, { file, line, field: 'symbol' });
    const price = parseAmount(get(iPrice), 'price', file, line, true);
    const marketCap = parseAmount(get(iCap), 'market_cap', file, line, false);
    const volume = parseAmount(get(iVol), 'volume', file, line, false);
    const tagText = get(iTags).trim();
    const tags = tagText === '' ? [] : tagText.split(';').map((t) => t.trim().toLowerCase());
    for (const t of tags) {
      if (!KNOWN_TAGS.includes(t)) throw new MarketDataError(`unknown tag "${t}"; known tags: ${KNOWN_TAGS.join(', ')} (separate several with ;)`, { file, line, field: 'tags' });
    }
    rows.push({ day, id, symbol, price, marketCap, volume, tags, at: { file, line } });
  }
  return rows;
}

function csvField(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** Writes rows in the documented CSV format (the inverse of {@link parseMarketCsv}). */
export function formatMarketCsv(rows: readonly MarketRow[], isoDate: (day: number) => string): string {
  const num = (n: number): string => (Number.isNaN(n) ? '' : String(n));
  const lines = [CSV_COLUMNS.join(',')];
  for (const r of rows) lines.push([isoDate(r.day), r.id, csvField(r.symbol), String(r.price), num(r.marketCap), num(r.volume), r.tags.join(';')].join(','));
  return `${lines.join('\n')}\n`;
}
