import { isoDay } from '../market/calendar.ts';
import type { IndexRun, Transaction } from './engine.ts';

/** A number for CSV: at most `digits` significant digits, no exponent for ordinary magnitudes. */
function num(x: number, digits = 12): string {
  if (!Number.isFinite(x)) return '';
  return String(Number(x.toPrecision(digits)));
}

/**
 * `levels.csv`: `date,level_gross,level_net,regime`, one row per index day; regime is the state
 * after that day's close (`bull` or `bear`).
 */
export function formatLevelsCsv(run: IndexRun): string {
  const lines = ['date,level_gross,level_net,regime'];
  for (let k = 0; k < run.days; k++) {
    lines.push(`${isoDay(run.firstDay + k)},${num(run.levelGross[k] ?? Number.NaN)},${num(run.levelNet[k] ?? Number.NaN)},${run.regime[k] === 1 ? 'bull' : 'bear'}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Whether a transaction bought into tokens (a rebalance, a switch to bull or an emergency with members left). */
export function intoTokens(t: Transaction, bearAssetId: string): boolean {
  return t.orders.length > 0 && t.weightsAfter.some((w) => w.id !== bearAssetId);
}

/**
 * `weights.csv`: `date,id,weight`, the target weights of every trade into tokens. When one close
 * has several (an emergency removal and the Sunday rebalance), the last is the close's target
 * and the only one written, so the weights of each date sum to 1.
 */
export function formatWeightsCsv(run: IndexRun): string {
  const byDate = new Map<string, Transaction>();
  for (const t of run.transactions) if (intoTokens(t, run.rules.bearAssetId)) byDate.set(t.date, t);
  const lines = ['date,id,weight'];
  for (const t of byDate.values()) for (const w of t.weightsAfter) lines.push(`${t.date},${w.id},${num(w.weight, 10)}`);
  return `${lines.join('\n')}\n`;
}

/** `transactions.jsonl`: the transactions log, one JSON object per line. */
export function formatTransactionsJsonl(transactions: readonly Transaction[]): string {
  return transactions.map((t) => JSON.stringify(t)).join('\n') + (transactions.length > 0 ? '\n' : '');
}
