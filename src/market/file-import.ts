import { readFile, readdir, stat } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { chartToRows, marketsToRows, parseChart, parseMarkets, type CoinGeckoMarket } from './coingecko-shapes.ts';
import { parseMarketCsv } from './csv-import.ts';
import { datasetFromRows, sliceDataset, type MarketDataset, type MarketRow } from './dataset.ts';
import { MarketDataError } from './errors.ts';
import { lineOfSyntaxError } from './json-locate.ts';
import type { MarketDataProvider } from './provider.ts';

/** What one JSON file holds. */
type JsonContent = { kind: 'markets'; markets: CoinGeckoMarket[]; text: string } | { kind: 'chart'; value: unknown; text: string };

async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw new MarketDataError(`cannot read the file: ${error instanceof Error ? error.message : String(error)}`, { file: path });
  }
}

function parseJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    const message = error instanceof Error ? error.message.split('\n')[0] ?? '' : String(error);
    const line = lineOfSyntaxError(text, message);
    throw new MarketDataError(`not valid JSON: ${message}`, { file, ...(line === undefined ? {} : { line }) });
  }
}

function classify(value: unknown, text: string, file: string): JsonContent {
  if (Array.isArray(value)) return { kind: 'markets', markets: parseMarkets(value, { name: file, text }), text };
  if (typeof value === 'object' && value !== null && 'prices' in value) return { kind: 'chart', value, text };
  throw new MarketDataError('expected a CoinGecko /coins/markets array or a /coins/{id}/market_chart/range object (with prices, market_caps, total_volumes)', { file });
}

/**
 * Rows of one JSON file. A market chart carries no id, so the id is the file's `id` field when
 * present, else its name without `.json` (`bitcoin.json` → `bitcoin`); symbol and name come from a
 * markets snapshot next to it, or its `symbol`/`name` fields, or default to the id.
 */
function chartRows(path: string, content: Extract<JsonContent, { kind: 'chart' }>, known: ReadonlyMap<string, CoinGeckoMarket>): MarketRow[] {
  const src = { name: path, text: content.text };
  const chart = parseChart(content.value, src);
  const obj = content.value as Record<string, unknown>;
  const id = typeof obj.id === 'string' && obj.id !== '' ? obj.id : basename(path, extname(path));
  const m = known.get(id);
  const symbol = typeof obj.symbol === 'string' && obj.symbol !== '' ? obj.symbol : (m?.symbol ?? id);
  const name = typeof obj.name === 'string' && obj.name !== '' ? obj.name : (m?.name ?? symbol);
  return chartToRows(chart, { id, symbol, name }, src);
}

/**
 * Loads daily closes from a file or a directory:
 * - `*.csv`: the market CSV format ({@link parseMarketCsv});
 * - `*.json`: a CoinGecko `/coins/markets` snapshot (an array) or a
 *   `/coins/{id}/market_chart/range` history (an object, id from the file name);
 * - a directory: every `*.csv` and `*.json` in it, merged. A day given twice for one asset is an
 *   error naming both places, except that snapshot rows only fill days the histories lack.
 *
 * @throws MarketDataError naming the file, line and field of the first bad value.
 * @example const ds = await loadMarketFile('data/prices.csv')
 */
export async function loadMarketFile(path: string): Promise<MarketDataset> {
  let files: string[];
  let isDir: boolean;
  try {
    isDir = (await stat(path)).isDirectory();
  } catch (error) {
    throw new MarketDataError(`cannot read: ${error instanceof Error ? error.message : String(error)}`, { file: path });
  }
  if (isDir) {
    files = (await readdir(path))
      .filter((f) => /\.(csv|json)$/i.test(f))
      .sort()
      .map((f) => join(path, f));
    if (files.length === 0) throw new MarketDataError('the directory holds no .csv or .json file', { file: path });
  } else {
    if (!/\.(csv|json)$/i.test(path)) throw new MarketDataError('expected a .csv or .json file, or a directory of them', { file: path });
    files = [path];
  }

  const rows: MarketRow[] = [];
  const charts: { path: string; content: Extract<JsonContent, { kind: 'chart' }> }[] = [];
  const known = new Map<string, CoinGeckoMarket>();
  for (const file of files) {
    const text = await readText(file);
    if (/\.csv$/i.test(file)) {
      for (const r of parseMarketCsv(text, file)) rows.push(r);
      continue;
    }
    const content = classify(parseJson(text, file), text, file);
    if (content.kind === 'markets') {
      for (const m of content.markets) known.set(m.id, m);
      for (const r of marketsToRows(content.markets, { name: file, text })) rows.push(r);
    } else charts.push({ path: file, content });
  }
  for (const c of charts) for (const r of chartRows(c.path, c.content, known)) rows.push(r);
  if (rows.length === 0) throw new MarketDataError('no rows: the data holds no priced day', { file: path });
  return datasetFromRows(rows, path);
}

/**
 * A provider over {@link loadMarketFile}; the file is read once, on the first load.
 *
 * @example const provider = createFileProvider('prices.csv')
 */
export function createFileProvider(path: string): MarketDataProvider {
  let data: Promise<MarketDataset> | undefined;
  return {
    name: `file ${path}`,
    load: async (range) => {
      // A failed read is not cached: the next load tries the file again.
      data ??= loadMarketFile(path).catch((error: unknown) => {
        data = undefined;
        throw error;
      });
      const ds = await data;
      return range === undefined ? ds : sliceDataset(ds, range.from ?? Number.NEGATIVE_INFINITY, range.to ?? Number.POSITIVE_INFINITY);
    },
  };
}
