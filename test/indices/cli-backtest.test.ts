import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../src/cli/run.ts';
import type { BacktestMetrics } from '../../src/indices/backtest.ts';
import { isoDay } from '../../src/market/calendar.ts';
import { formatMarketCsv } from '../../src/market/csv-import.ts';
import type { MarketDataset, MarketRow } from '../../src/market/dataset.ts';
import { simulateMarket } from '../../src/market/simulator.ts';

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

async function cli(args: readonly string[], tty = false): Promise<Result> {
  let stdout = '';
  let stderr = '';
  const code = await run(['node', 'clavis', ...args], {
    stdout: (s) => {
      stdout += s;
    },
    stderr: (s) => {
      stderr += s;
    },
    env: {},
    stdin: () => Readable.from(['']),
    stderrIsTty: tty,
  });
  return { code, stdout, stderr };
}

function rowsOf(ds: MarketDataset): MarketRow[] {
  const rows: MarketRow[] = [];
  ds.assets.forEach((a, i) => {
    for (let d = 0; d < ds.days; d++) {
      const price = ds.price[i * ds.days + d] ?? Number.NaN;
      if (!Number.isNaN(price)) rows.push({ day: ds.firstDay + d, id: a.id, symbol: a.symbol, price, marketCap: ds.marketCap[i * ds.days + d] ?? Number.NaN, volume: ds.volume[i * ds.days + d] ?? Number.NaN, tags: a.tags });
    }
  });
  return rows;
}

let dir: string;
let csv: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'clavis-index-cli-'));
  csv = join(dir, 'prices.csv');
  await writeFile(csv, formatMarketCsv(rowsOf(simulateMarket({ seed: 4, assets: 25, start: '2019-01-01', end: '2020-12-31' })), isoDay));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('clavis index backtest', () => {
  it('prints the metrics against buy-and-hold Top 100 and BTC', async () => {
    const r = await cli(['index', 'backtest', '--data', csv]);
    expect(r.code, r.stderr).toBe(0);
    // The 200th BTC close: 2019-07-19 plus one day, since the simulator has no BTC close on 2019-03-10.
    expect(r.stdout).toContain('Clavis Top 100 backtest: 2019-07-20 to 2020-12-31');
    expect(r.stdout).toMatch(/METRIC\s+CT100 NET\s+CT100 GROSS\s+TOP100 B&H\s+BTC/);
    for (const label of ['CAGR', 'cumulative return', 'volatility', 'Sharpe', 'Sortino', 'Calmar', 'max drawdown', 'max DD duration', 'TRACKING ERROR', 'BETA', 'TURNOVER', 'COST DRAG', 'SWITCHES', 'TIME INVESTED']) expect(r.stdout).toContain(label);
    expect(r.stderr).toBe('');
  });

  it('prints JSON with --json, honouring --from, --to and --variant', async () => {
    const r = await cli(['index', 'backtest', '--data', csv, '--from', '2019-09-01', '--to', '2020-06-30', '--variant', 'capped', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const m = JSON.parse(r.stdout) as BacktestMetrics & { files: string[] };
    expect(m.from).toBe('2019-09-01');
    expect(m.to).toBe('2020-06-30');
    expect(m.variant).toBe('capped');
    expect(m.series.net.startLevel).toBe(1000);
    expect(m.files).toEqual([]);
  });

  it('writes levels.csv, weights.csv, transactions.jsonl and chart.svg with --out', async () => {
    const out = join(dir, 'out');
    const r = await cli(['index', 'backtest', '--data', csv, '--out', out, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect((await readdir(out)).sort()).toEqual(['chart.svg', 'levels.csv', 'transactions.jsonl', 'weights.csv']);
    const m = JSON.parse(r.stdout) as BacktestMetrics;
    const levels = (await readFile(join(out, 'levels.csv'), 'utf8')).trimEnd().split('\n');
    expect(levels).toHaveLength(m.days + 1);
    expect(levels[0]).toBe('date,level_gross,level_net,regime');
    expect((await readFile(join(out, 'weights.csv'), 'utf8')).split('\n')[0]).toBe('date,id,weight');
    const first = (await readFile(join(out, 'transactions.jsonl'), 'utf8')).split('\n')[0] ?? '';
    expect(JSON.parse(first)).toMatchObject({ seq: 1, type: 'REBALANCE' });
    expect(await readFile(join(out, 'chart.svg'), 'utf8')).toContain('<svg');
  });

  it('draws a progress bar on stderr only on a terminal', async () => {
    const tty = await cli(['index', 'backtest', '--data', csv, '--json'], true);
    expect(tty.code).toBe(0);
    expect(tty.stderr).toContain('\r[');
    expect(tty.stderr).toContain('100% benchmark');
    expect(tty.stderr.endsWith('\r\u001b[K')).toBe(true);
    JSON.parse(tty.stdout);
    const pipe = await cli(['index', 'backtest', '--data', csv, '--json'], false);
    expect(pipe.stderr).toBe('');
  });

  it('runs on the built-in simulator without --data', async () => {
    const r = await cli(['index', 'backtest', '--to', '2018-03-31', '--seed', '3', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const m = JSON.parse(r.stdout) as BacktestMetrics;
    expect(m.source).toBe('simulator (seed 3)');
    expect(m.to).toBe('2018-03-31');
  });

  it('names file, line and field of bad data, exit 2', async () => {
    const bad = join(dir, 'bad.csv');
    await writeFile(bad, 'date,id,symbol,price,market_cap,volume,tags\n2024-01-01,bitcoin,btc,1,1,1,\n2024-01-02,bitcoin,btc,1,1e9,oops,\n');
    const r = await cli(['index', 'backtest', '--data', bad]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`error: ${bad}:3: volume: expected a plain decimal number (no currency sign or thousands separator), got "oops"\n`);
    expect(r.stdout).toBe('');
  });

  it('refuses bad options and data the index cannot use, exit 2', async () => {
    expect((await cli(['index', 'backtest', '--variant', 'equal'])).code).toBe(2);
    expect((await cli(['index', 'backtest', '--from', '2020-02-30'])).stderr).toContain('expected a date YYYY-MM-DD');
    const order = await cli(['index', 'backtest', '--data', csv, '--from', '2020-06-01', '--to', '2020-01-01']);
    expect(order).toMatchObject({ code: 2, stderr: 'error: --from 2020-06-01 is after --to 2020-01-01\n' });
    const noUsdc = join(dir, 'btc-only.csv');
    await writeFile(noUsdc, 'date,id,symbol,price,market_cap,volume,tags\n2024-01-01,bitcoin,btc,1,1,1,\n');
    const r = await cli(['index', 'backtest', '--data', noUsdc]);
    expect(r).toMatchObject({ code: 2, stderr: 'error: the data has no asset "usd-coin": the bear state holds it\n' });
  });
});
