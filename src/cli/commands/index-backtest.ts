import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { runBacktest, type BacktestMetrics } from '../../indices/backtest.ts';
import { renderChartSvg } from '../../indices/chart-svg.ts';
import { IndexDataError } from '../../indices/errors.ts';
import type { SeriesMetrics } from '../../indices/metrics.ts';
import { formatLevelsCsv, formatTransactionsJsonl, formatWeightsCsv } from '../../indices/report-files.ts';
import type { WeightVariant } from '../../indices/rules.ts';
import { isoDay, parseDay } from '../../market/calendar.ts';
import type { MarketDataset } from '../../market/dataset.ts';
import { MarketDataError } from '../../market/errors.ts';
import { loadMarketFile } from '../../market/file-import.ts';
import { createSimulatorProvider } from '../../market/simulator.ts';
import { jsonOf, type CliContext } from '../context.ts';
import { CliError, type CliIo } from '../io.ts';
import { emit, formatTable, note } from '../output.ts';

function dateOption(value: string): number {
  const day = parseDay(value.trim());
  if (day === null) throw new InvalidArgumentError(`expected a date YYYY-MM-DD, got "${value}"`);
  return day;
}

function seedOption(value: string): number {
  if (!/^\d{1,9}$/.test(value.trim())) throw new InvalidArgumentError(`expected a whole number, got "${value}"`);
  return Number(value.trim());
}

/** A bar on stderr that redraws itself, only on a terminal; at most one redraw per percent. */
function progressBar(io: CliIo): { update(done: number, total: number, label: string): void; done(): void } {
  let drawn = false;
  let last = '';
  return {
    update(done, total, label) {
      if (!io.stderrIsTty) return;
      const share = total > 0 ? done / total : 1;
      const width = 30;
      const filled = Math.round(share * width);
      const text = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(Math.floor(share * 100)).padStart(3)}% ${label}`;
      if (text === last) return;
      last = text;
      io.stderr(`\r${text}\u001b[K`);
      drawn = true;
    },
    done() {
      if (drawn) io.stderr('\r\u001b[K');
    },
  };
}

const pct = (x: number | null, digits = 1): string => (x === null || !Number.isFinite(x) ? '-' : `${(x * 100).toFixed(digits)}%`);
const ratio = (x: number | null): string => (x === null || !Number.isFinite(x) ? '-' : x.toFixed(2));

function metricsTable(m: BacktestMetrics): string {
  const cols: [string, SeriesMetrics][] = [
    ['ct100 net', m.series.net],
    ['ct100 gross', m.series.gross],
    ['top100 b&h', m.series.top100],
    ['btc', m.series.btc],
  ];
  const row = (label: string, f: (s: SeriesMetrics) => string): string[] => [label, ...cols.map(([, s]) => f(s))];
  return formatTable(
    ['metric', ...cols.map(([name]) => name)],
    [
      row('final level', (s) => s.endLevel.toFixed(1)),
      row('cumulative return', (s) => pct(s.cumulativeReturn)),
      row('CAGR', (s) => pct(s.cagr)),
      row('volatility (√365)', (s) => pct(s.volatility)),
      row('Sharpe (rf 0)', (s) => ratio(s.sharpe)),
      row('Sortino', (s) => ratio(s.sortino)),
      row('Calmar', (s) => ratio(s.calmar)),
      row('max drawdown', (s) => pct(s.maxDrawdown)),
      row('max DD peak', (s) => s.maxDrawdownPeak ?? '-'),
      row('max DD duration (days)', (s) => `${s.maxDrawdownDays}${s.maxDrawdownRecovery === null && s.maxDrawdownPeak !== null ? ' (open)' : ''}`),
    ],
  );
}

function summary(m: BacktestMetrics): string {
  const head = `Clavis Top 100 backtest: ${m.from} to ${m.to} (${m.days} days, ${m.years.toFixed(2)} years)\n` + `data: ${m.source} · rules ${m.rulesVersion} · denylist ${m.denylistVersion} · weights ${m.variant}\n\n`;
  const rel = formatTable(
    ['ct100 net against', 'tracking error', 'beta', 'correlation'],
    [
      ['top100 b&h', pct(m.relative.top100.trackingError), ratio(m.relative.top100.beta), ratio(m.relative.top100.correlation)],
      ['btc', pct(m.relative.btc.trackingError), ratio(m.relative.btc.beta), ratio(m.relative.btc.correlation)],
    ],
  );
  const ops = formatTable(
    ['turnover / year', 'cost drag / year', 'costs (usd)', 'switches', 'time invested', 'rebalances', 'emergencies'],
    [[`${(m.turnover * 100).toFixed(0)}%`, pct(m.costDrag, 2), Math.round(m.costsUsd).toLocaleString('en-US'), m.switches, pct(m.timeInvested, 0), m.rebalances, m.emergencies]],
  );
  return `${head}${metricsTable(m)}\n${rel}\n${ops}`;
}

async function loadData(o: { data?: string; seed: number; to?: number }): Promise<MarketDataset> {
  try {
    if (o.data !== undefined) return await loadMarketFile(o.data);
    return await createSimulatorProvider({ seed: o.seed }).load(o.to === undefined ? undefined : { to: o.to });
  } catch (error) {
    if (error instanceof MarketDataError || error instanceof RangeError) throw new CliError(error.message);
    throw error;
  }
}

async function writeOutputs(dir: string, files: readonly [string, string][]): Promise<string[]> {
  try {
    await mkdir(dir, { recursive: true });
    const written: string[] = [];
    for (const [name, text] of files) {
      const path = join(dir, name);
      await writeFile(path, text);
      written.push(path);
    }
    return written;
  } catch (error) {
    throw new CliError(`cannot write to ${dir}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** `clavis index backtest`: runs the Clavis Top 100 over a history and prints its metrics. */
export function registerIndexBacktest(index: Command, ctx: CliContext): void {
  index
    .command('backtest')
    .description('Backtest the Clavis Top 100 over a price history and print its metrics')
    .option('--data <path>', 'daily closes: a .csv file, a CoinGecko-shaped .json file, or a directory of them (default: the built-in market simulator)')
    .option('--seed <n>', 'simulator seed, without --data', seedOption, 1)
    .option('--from <date>', 'base day, level 1000 (default: the first day the 200-day BTC SMA exists)', dateOption)
    .option('--to <date>', 'last day (default: the last day of data)', dateOption)
    .addOption(new Option('--variant <variant>', 'weights: plain (market cap) or capped (30% largest, 20% others)').choices(['plain', 'capped']).default('plain'))
    .option('--out <dir>', 'write levels.csv, weights.csv, transactions.jsonl and chart.svg to this directory')
    .addHelpText(
      'after',
      `
Runs the methodology of docs/methodology.md day by day: weekly selection with the rank buffer,
regime switches to USDC and back, emergency removals, gross and net levels. Metrics are printed
for the index (net and gross of costs), the Top 100 held without the regime signal, and BTC.
Runs locally: no server, no token.

CSV columns: date,id,symbol,price,market_cap,volume,tags (daily UTC closes; tags like
stablecoin;wrapped;staking). JSON: /coins/markets snapshots or /coins/{id}/market_chart/range
histories (file name = id). The data must include bitcoin and usd-coin.

Examples:
  $ clavis index backtest
  $ clavis index backtest --variant capped --from 2019-01-01 --out ./ct100
  $ clavis index backtest --data prices.csv --json | jq .series.net.cagr`,
    )
    .action(async (_opts: unknown, cmd: Command) => {
      const o = cmd.opts<{ data?: string; seed: number; from?: number; to?: number; variant: WeightVariant; out?: string }>();
      if (o.from !== undefined && o.to !== undefined && o.from > o.to) throw new CliError(`--from ${isoDay(o.from)} is after --to ${isoDay(o.to)}`);
      const ds = await loadData(o);
      const bar = progressBar(ctx.io);
      let result: ReturnType<typeof runBacktest>;
      try {
        result = runBacktest(ds, {
          variant: o.variant,
          ...(o.from === undefined ? {} : { from: o.from }),
          ...(o.to === undefined ? {} : { to: o.to }),
          // Two runs (index, then benchmark): each fills half the bar.
          onProgress: (done, total, part) => bar.update(part === 'index' ? done : total + done, 2 * total, part === 'index' ? 'index' : 'benchmark (no regime signal)'),
        });
      } catch (error) {
        if (error instanceof IndexDataError) throw new CliError(error.message);
        throw error;
      } finally {
        bar.done();
      }
      const { index, benchmark, btcLevels, metrics } = result;
      let written: string[] = [];
      if (o.out !== undefined) {
        const chart = renderChartSvg({
          title: `Clavis Top 100 (${o.variant}) ${metrics.from} to ${metrics.to}`,
          firstDay: index.firstDay,
          regime: index.regime,
          lines: [
            { name: 'CT100 net', levels: index.levelNet, color: '#0969da', width: 1.6 },
            { name: 'CT100 gross', levels: index.levelGross, color: '#54aeff', dash: '4 3' },
            { name: 'Top 100 buy-and-hold', levels: benchmark.levelNet, color: '#8250df', width: 0.9 },
            { name: 'BTC', levels: btcLevels, color: '#bf8700', width: 0.9 },
          ],
        });
        written = await writeOutputs(o.out, [
          ['levels.csv', formatLevelsCsv(index)],
          ['weights.csv', formatWeightsCsv(index)],
          ['transactions.jsonl', formatTransactionsJsonl(index.transactions)],
          ['chart.svg', chart],
        ]);
      }
      emit(ctx.io, jsonOf(cmd), { ...metrics, files: written }, () => summary(metrics));
      if (written.length > 0 && !jsonOf(cmd)) note(ctx.io, `wrote ${written.join(', ')}`);
    });
}
