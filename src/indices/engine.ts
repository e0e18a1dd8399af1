import { closeTime, isoDay, weekday } from '../market/calendar.ts';
import { assetIndex, type MarketDataset } from '../market/dataset.ts';
import { legCost, legCostTotal } from './costs.ts';
import { rankEligible, staticExclusions, type ScreenContext } from './eligibility.ts';
import { IndexDataError } from './errors.ts';
import { averageVolume, dailyVolatility, firstPricedDays } from './market-stats.ts';
import { BULL, computeRegime, type RegimeSeries, type RegimeSwitch } from './regime.ts';
import { CT100_RULES, type IndexRules, type WeightVariant } from './rules.ts';
import { selectWithBuffer, type SelectionReason } from './selection.ts';
import { cappedWeights, proportionalWeights } from './weights.ts';

/** Kinds of log entries (DESIGN.md §8). */
export type TransactionType = 'REBALANCE' | 'REGIME_SWITCH' | 'EMERGENCY';
/** The regime state, as the API and files write it. */
export type RegimeName = 'bull' | 'bear';

/** One order leg of the net (investable) portfolio. */
export interface Order {
  id: string;
  symbol: string;
  side: 'buy' | 'sell';
  /** Tokens. */
  quantity: number;
  /** The fill price: the close of the trade day (the last close when that day has none). */
  estPrice: number;
  notionalUsd: number;
  fee: number;
  spread: number;
  impact: number;
  cost: number;
}

/** An asset's weight, as a fraction of the portfolio. */
export interface WeightEntry {
  id: string;
  weight: number;
}

/** The regime signal as it stood at the close of a transaction. */
export interface SignalInputs {
  btcClose: number | null;
  sma: number | null;
  /** btcClose / sma. */
  ratio: number | null;
  aboveStreak: number;
  belowStreak: number;
  state: RegimeName;
  /** REGIME_SWITCH: the close at which the switch was decided (the day before). */
  decidedOn: string | null;
}

/** One constituent of a selection, with why it is in. */
export interface SelectionMember {
  id: string;
  symbol: string;
  rank: number;
  averageMarketCap: number;
  weight: number;
  reason: SelectionReason;
}

/** A selection: who, at which weights, and what changed against the previous one. */
export interface SelectionRecord {
  /** Last day of data used (the Saturday for a weekly selection). */
  dataThrough: string;
  /** false: the weekly Sunday selection; true: computed the same way for a bull switch with no weekly selection yet. */
  fresh: boolean;
  eligible: number;
  members: SelectionMember[];
  added: string[];
  removed: string[];
}

/** One entry of the transactions log. */
export interface Transaction {
  seq: number;
  /** The close: 24:00 UTC of `date`. */
  time: string;
  date: string;
  type: TransactionType;
  /** Regime state after the close. */
  regime: RegimeName;
  reason: string;
  signal: SignalInputs;
  selection: SelectionRecord | null;
  orders: Order[];
  weightsBefore: WeightEntry[];
  weightsAfter: WeightEntry[];
  /** One-way turnover: Σ|w_after − w_before| / 2. */
  turnover: number;
  /** Whether the trade paid costs (false for the base portfolio and for selection-only entries). */
  charged: boolean;
  costUsd: number;
  /** Cost in basis points of the portfolio value before the trade. */
  costBps: number;
  valueBeforeUsd: number;
  valueAfterUsd: number;
  levelGross: number;
  levelNet: number;
}

/** Holdings from a transaction on, until the next one. Quantities are tokens of the notional portfolio. */
export interface HoldingsSnapshot {
  day: number;
  seq: number;
  assets: Int32Array;
  qGross: Float64Array;
  qNet: Float64Array;
  /** Target weights of the trade, per asset in `assets`. */
  targetWeights: Float64Array;
}

/** Options of {@link runIndex}. */
export interface IndexRunOptions {
  rules?: IndexRules;
  variant?: WeightVariant;
  /** `signal` (default): the regime signal switches to the bear asset; `always-bull`: the buy-and-hold benchmark. */
  mode?: 'signal' | 'always-bull';
  /** Base day (day number; level 1000 at its close). Default: the first day the regime signal exists. */
  from?: number;
  /** Last day (day number). Default: the data's last day. */
  to?: number;
  onProgress?: (done: number, total: number) => void;
}

/** Everything one run of the index produced: series per index day, the log and the holdings. */
export interface IndexRun {
  readonly rules: IndexRules;
  readonly variant: WeightVariant;
  readonly mode: 'signal' | 'always-bull';
  readonly dataset: MarketDataset;
  /** Day number of the base day; the series below have one entry per day from it. */
  readonly firstDay: number;
  readonly days: number;
  readonly levelGross: Float64Array;
  readonly levelNet: Float64Array;
  /** Regime state after each close (1 bull). */
  readonly regime: Uint8Array;
  /** 1 when the portfolio holds tokens other than the bear asset after the close. */
  readonly invested: Uint8Array;
  /** Σq·P / I; constant, because quantities reset to the portfolio's own value at every trade. */
  readonly divisor: { gross: number; net: number };
  readonly transactions: readonly Transaction[];
  readonly snapshots: readonly HoldingsSnapshot[];
  /** The regime signal over the dataset's days up to the last index day (dataset offsets). */
  readonly signal: RegimeSeries;
  readonly totals: { turnover: number; costUsd: number; switches: number; rebalances: number; emergencies: number };
}

/** Orders under a cent are not logged (the quantities still move to the exact target). */
const EPS_USD = 0.005;

/** A computed selection: asset offsets and weights in rank order, and its log record. */
interface Chosen {
  assets: number[];
  weights: number[];
  record: SelectionRecord;
}

function byWeight(a: WeightEntry, b: WeightEntry): number {
  return b.weight - a.weight || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/**
 * Runs the Clavis Top 100 over a dataset, one close at a time (docs/methodology.md): weekly
 * selection with the rank buffer, weights, regime switches to the bear asset and back, emergency
 * removals, and the gross and net levels with the transactions log.
 *
 * No look-ahead: the work of close t reads data of days ≤ t only (the weekly selection of a Sunday
 * reads up to the Saturday), so changing any data after a day leaves every output up to it as it was.
 *
 * @example const run = runIndex(simulateMarket({ seed: 1 }), { variant: 'capped' })
 */
export function runIndex(ds: MarketDataset, opts: IndexRunOptions = {}): IndexRun {
  const rules = opts.rules ?? CT100_RULES;
  const variant = opts.variant ?? 'plain';
  const mode = opts.mode ?? 'signal';
  const N = ds.days;
  const nA = ds.assets.length;
  const btc = assetIndex(ds, rules.btcId);
  if (btc < 0) throw new IndexDataError(`the data has no asset "${rules.btcId}": the regime signal needs its closes`);
  const bear = assetIndex(ds, rules.bearAssetId);
  if (bear < 0) throw new IndexDataError(`the data has no asset "${rules.bearAssetId}": the bear state holds it`);
  const lastOff = Math.min(N - 1, (opts.to ?? ds.firstDay + N - 1) - ds.firstDay);
  if (lastOff < 0) throw new IndexDataError(`no data on or before ${isoDay(opts.to ?? ds.firstDay)}`);
  const signal = computeRegime(ds.price.subarray(btc * N, btc * N + lastOff + 1), rules);
  const fromOff = opts.from === undefined ? Math.max(0, signal.firstSignal) : opts.from - ds.firstDay;
  if (fromOff < 0 || fromOff > lastOff) {
    throw new IndexDataError(`the base day ${isoDay(ds.firstDay + fromOff)} is outside the data (${isoDay(ds.firstDay)} to ${isoDay(ds.firstDay + lastOff)})`);
  }
  const days = lastOff - fromOff + 1;
  const divisor = rules.notionalUsd / rules.baseLevel;

  const ctx: ScreenContext = { ds, rules, excluded: staticExclusions(ds, rules), firstPriced: firstPricedDays(ds), scratch: new Float64Array(Math.max(rules.volumeWindowDays, 1)) };
  const lastPrice = new Float64Array(nA).fill(Number.NaN);
  const lastSeen = new Int32Array(nA).fill(-(2 ** 30));
  // Before its first close the bear asset counts as $1: the bear state then holds dollars.
  lastPrice[bear] = 1;
  const qG = new Float64Array(nA);
  const qN = new Float64Array(nA);
  let held: number[] = [];

  const levelGross = new Float64Array(days);
  const levelNet = new Float64Array(days);
  const regime = new Uint8Array(days);
  const invested = new Uint8Array(days);
  const transactions: Transaction[] = [];
  const snapshots: HoldingsSnapshot[] = [];
  const totals = { turnover: 0, costUsd: 0, switches: 0, rebalances: 0, emergencies: 0 };
  const switchAt = new Map<number, RegimeSwitch>(signal.switches.map((s) => [s.executed, s]));

  let members = new Set<number>();
  let lastSelection: Chosen | null = null;

  const idOf = (a: number): string => ds.assets[a]?.id ?? String(a);
  const symbolOf = (a: number): string => ds.assets[a]?.symbol ?? '';
  const priceOf = (a: number): number => lastPrice[a] ?? Number.NaN;
  const fresh = (a: number, t: number): boolean => a === bear || (t - (lastSeen[a] ?? 0) <= rules.maxUnpricedDays && priceOf(a) > 0);
  const value = (q: Float64Array): number => {
    let v = 0;
    for (const a of held) v += (q[a] ?? 0) * priceOf(a);
    return v;
  };
  const stateAt = (t: number): number => (mode === 'always-bull' ? BULL : (signal.state[t] ?? 0));

  const signalInputs = (t: number, decidedOn: number | null): SignalInputs => {
    const c = ds.price[btc * N + t] ?? Number.NaN;
    const m = signal.sma[t] ?? Number.NaN;
    return {
      btcClose: Number.isNaN(c) ? null : c,
      sma: Number.isNaN(m) ? null : m,
      ratio: Number.isNaN(c) || Number.isNaN(m) ? null : c / m,
      aboveStreak: signal.above[t] ?? 0,
      belowStreak: signal.below[t] ?? 0,
      state: stateAt(t) === BULL ? 'bull' : 'bear',
      decidedOn: decidedOn === null ? null : isoDay(ds.firstDay + decidedOn),
    };
  };

  /** The selection computed from data through offset `s` (the Saturday, or the day before a switch). */
  const select = (s: number, isFresh: boolean): Chosen => {
    const ranked = rankEligible(ctx, s);
    const picked = selectWithBuffer(ranked, members, rules);
    const caps = picked.map((p) => p.averageCap);
    const w = picked.length === 0 ? new Float64Array(0) : variant === 'capped' ? cappedWeights(caps, rules.capLargest, rules.capOther) : proportionalWeights(caps);
    const assets = picked.map((p) => p.asset);
    const weights = Array.from(w);
    const now = new Set(assets);
    const record: SelectionRecord = {
      dataThrough: isoDay(ds.firstDay + s),
      fresh: isFresh,
      eligible: ranked.length,
      members: picked.map((p, i) => ({ id: idOf(p.asset), symbol: symbolOf(p.asset), rank: p.rank, averageMarketCap: p.averageCap, weight: weights[i] ?? 0, reason: p.reason })),
      added: assets.filter((a) => !members.has(a)).map(idOf),
      removed: [...members].filter((a) => !now.has(a)).map(idOf).sort(),
    };
    members = now;
    return { assets, weights, record };
  };

  /** Target weights restricted to assets with a close within 72 h, renormalised; the bear asset when none is left. */
  const tradable = (assets: readonly number[], weights: readonly number[], t: number): { assets: number[]; weights: number[] } => {
    const keep: number[] = [];
    const w: number[] = [];
    let total = 0;
    assets.forEach((a, i) => {
      if (fresh(a, t)) {
        keep.push(a);
        w.push(weights[i] ?? 0);
        total += weights[i] ?? 0;
      }
    });
    if (keep.length === 0 || !(total > 0)) return { assets: [bear], weights: [1] };
    return { assets: keep, weights: w.map((x) => x / total) };
  };

  /**
   * Moves both portfolios to the target weights at close t. Gross: Σq′·P = V. Net: Σq′·P = V − C
   * where C is the cost of the trades actually made, solved by fixed-point iteration (C is a few
   * basis points of V, so it converges in two or three rounds).
   */
  const trade = (
    t: number,
    type: TransactionType,
    reason: string,
    targetAssets: readonly number[],
    targetWeights: readonly number[],
    extra: { selection: SelectionRecord | null; decidedOn: number | null; charge: boolean },
  ): void => {
    const VG = value(qG);
    const VN = value(qN);
    const union = [...new Set([...held, ...targetAssets])];
    const target = new Float64Array(union.length);
    const pos = new Map(union.map((a, i) => [a, i]));
    targetAssets.forEach((a, i) => {
      const k = pos.get(a);
      if (k !== undefined) target[k] = targetWeights[i] ?? 0;
    });
    const sigma = new Float64Array(union.length);
    const adv = new Float64Array(union.length);
    union.forEach((a, i) => {
      sigma[i] = dailyVolatility(ds, a, t - 1, rules.costs.windowDays);
      adv[i] = averageVolume(ds, a, t - 1, rules.costs.windowDays);
    });
    let after = VN;
    if (extra.charge) {
      for (let round = 0; round < 20; round++) {
        let cost = 0;
        for (let i = 0; i < union.length; i++) {
          const a = union[i] ?? 0;
          cost += legCostTotal((target[i] ?? 0) * after - (qN[a] ?? 0) * priceOf(a), sigma[i] ?? Number.NaN, adv[i] ?? Number.NaN, rules.costs);
        }
        const next = VN - cost;
        const done = Math.abs(next - after) <= 1e-9 * VN;
        after = next;
        if (done) break;
      }
    }
    const before: WeightEntry[] = [];
    const weightsAfter: WeightEntry[] = [];
    const orders: Order[] = [];
    let turnover = 0;
    // What the net portfolio lost to the trade: every leg, also those too small to list.
    const costUsd = VN - after;
    union.forEach((a, i) => {
      const p = priceOf(a);
      const wBefore = VN > 0 ? ((qN[a] ?? 0) * p) / VN : 0;
      const wAfter = target[i] ?? 0;
      if (wBefore > 0) before.push({ id: idOf(a), weight: wBefore });
      if (wAfter > 0) weightsAfter.push({ id: idOf(a), weight: wAfter });
      turnover += Math.abs(wAfter - wBefore) / 2;
      const delta = wAfter * after - (qN[a] ?? 0) * p;
      if (Math.abs(delta) >= EPS_USD) {
        const c = extra.charge ? legCost(delta, sigma[i] ?? Number.NaN, adv[i] ?? Number.NaN, rules.costs) : legCost(0, 0, 0, rules.costs);
        orders.push({ id: idOf(a), symbol: symbolOf(a), side: delta > 0 ? 'buy' : 'sell', quantity: Math.abs(delta) / p, estPrice: p, notionalUsd: Math.abs(delta), fee: c.fee, spread: c.spread, impact: c.impact, cost: c.total });
      }
      qG[a] = (wAfter * VG) / p;
      qN[a] = (wAfter * after) / p;
    });
    held = union.filter((a) => (qN[a] ?? 0) > 0);
    for (const a of union) {
      if ((qN[a] ?? 0) > 0) continue;
      qG[a] = 0;
      qN[a] = 0;
    }
    const seq = transactions.length + 1;
    const state = stateAt(t);
    transactions.push({
      seq,
      time: closeTime(ds.firstDay + t),
      date: isoDay(ds.firstDay + t),
      type,
      regime: state === BULL ? 'bull' : 'bear',
      reason,
      signal: signalInputs(t, extra.decidedOn),
      selection: extra.selection,
      orders: orders.sort((x, y) => (x.side === y.side ? y.notionalUsd - x.notionalUsd : x.side === 'sell' ? -1 : 1)),
      weightsBefore: before.sort(byWeight),
      weightsAfter: weightsAfter.sort(byWeight),
      turnover,
      charged: extra.charge,
      costUsd,
      costBps: VN > 0 ? (costUsd / VN) * 10_000 : 0,
      valueBeforeUsd: VN,
      valueAfterUsd: value(qN),
      levelGross: value(qG) / divisor,
      levelNet: value(qN) / divisor,
    });
    snapshots.push({
      day: ds.firstDay + t,
      seq,
      assets: Int32Array.from(held),
      qGross: Float64Array.from(held, (a) => qG[a] ?? 0),
      qNet: Float64Array.from(held, (a) => qN[a] ?? 0),
      targetWeights: Float64Array.from(held, (a) => target[pos.get(a) ?? -1] ?? 0),
    });
    totals.turnover += extra.charge ? turnover : 0;
    totals.costUsd += costUsd;
    if (type === 'REGIME_SWITCH') totals.switches++;
    if (type === 'EMERGENCY') totals.emergencies++;
    if (type === 'REBALANCE' && orders.length > 0 && extra.charge) totals.rebalances++;
  };

  /** A log entry without trades: the weekly selection of a bear week (or one a switch supersedes). */
  const logSelection = (t: number, selection: SelectionRecord, reason: string): void => {
    const VN = value(qN);
    const weights = held.map((a) => ({ id: idOf(a), weight: VN > 0 ? ((qN[a] ?? 0) * priceOf(a)) / VN : 0 })).sort(byWeight);
    const state = stateAt(t);
    transactions.push({
      seq: transactions.length + 1,
      time: closeTime(ds.firstDay + t),
      date: isoDay(ds.firstDay + t),
      type: 'REBALANCE',
      regime: state === BULL ? 'bull' : 'bear',
      reason,
      signal: signalInputs(t, null),
      selection,
      orders: [],
      weightsBefore: weights,
      weightsAfter: weights,
      turnover: 0,
      charged: false,
      costUsd: 0,
      costBps: 0,
      valueBeforeUsd: VN,
      valueAfterUsd: VN,
      levelGross: value(qG) / divisor,
      levelNet: VN / divisor,
    });
  };

  const see = (t: number): void => {
    for (let a = 0; a < nA; a++) {
      const p = ds.price[a * N + t] ?? Number.NaN;
      if (p === p) {
        lastPrice[a] = p;
        lastSeen[a] = t;
      }
    }
  };
  for (let t = 0; t < fromOff; t++) see(t);

  const total = days;
  for (let t = fromOff; t <= lastOff; t++) {
    see(t);
    const state = stateAt(t);
    const isSunday = weekday(ds.firstDay + t) === rules.rebalanceWeekday;
    if (t === fromOff) {
      // The base portfolio at the first close: level 1000, not charged (an index starts in its target).
      held = [bear];
      qG[bear] = rules.notionalUsd / priceOf(bear);
      qN[bear] = qG[bear] ?? 0;
      const weekly = isSunday ? select(t - 1, false) : null;
      if (weekly !== null) lastSelection = weekly;
      if (state === BULL) {
        const sel = weekly ?? select(t - 1, true);
        lastSelection = sel;
        const go = tradable(sel.assets, sel.weights, t);
        trade(t, 'REBALANCE', 'initial: the base portfolio, bull state (not charged)', go.assets, go.weights, { selection: sel.record, decidedOn: null, charge: false });
      } else {
        trade(t, 'REBALANCE', `initial: the base portfolio, bear state: 100% ${rules.bearAssetId} (not charged)`, [bear], [1], { selection: weekly?.record ?? null, decidedOn: null, charge: false });
      }
    } else {
      const prev = stateAt(t - 1);
      // 1. Emergency: members without a close for over 72 h leave at their last close.
      const stale = held.filter((a) => a !== bear && !fresh(a, t));
      if (stale.length > 0) {
        const rest = held.filter((a) => a !== bear && fresh(a, t));
        const vals = rest.map((a) => (qN[a] ?? 0) * priceOf(a));
        const sum = vals.reduce((s, v) => s + v, 0);
        for (const a of stale) members.delete(a);
        const why = stale.map((a) => `${idOf(a)} has had no close since ${isoDay(ds.firstDay + (lastSeen[a] ?? 0))} (over ${rules.maxUnpricedDays * 24} h); removed at its last close ${priceOf(a)}`).join('; ');
        if (rest.length > 0 && sum > 0) trade(t, 'EMERGENCY', `${why}; its value is spread pro rata over the other members`, rest, vals.map((v) => v / sum), { selection: null, decidedOn: null, charge: true });
        else trade(t, 'EMERGENCY', `${why}; no other member is left: 100% ${rules.bearAssetId}`, [bear], [1], { selection: null, decidedOn: null, charge: true });
      }
      // 2. The weekly selection, with data through the Saturday close.
      const switching = state !== prev;
      if (isSunday) {
        const sel = select(t - 1, false);
        lastSelection = sel;
        if (state === BULL && !switching) {
          const go = tradable(sel.assets, sel.weights, t);
          trade(t, 'REBALANCE', 'weekly rebalance', go.assets, go.weights, { selection: sel.record, decidedOn: null, charge: true });
        } else if (state === BULL) logSelection(t, sel.record, 'weekly selection; the regime switch at this close buys it');
        else logSelection(t, sel.record, `weekly selection computed and logged; bear state: nothing bought, 100% ${rules.bearAssetId}`);
      }
      // 3. A regime switch decided at the previous close executes now.
      if (switching) {
        const sw = switchAt.get(t);
        const decided = sw?.decided ?? t - 1;
        if (state === BULL) {
          const sel: Chosen = lastSelection ?? select(t - 1, true);
          lastSelection = sel;
          const go = tradable(sel.assets, sel.weights, t);
          const src = sel.record.fresh ? `a fresh selection (data through ${sel.record.dataThrough}; no weekly selection yet)` : `the last weekly selection (data through ${sel.record.dataThrough})`;
          trade(t, 'REGIME_SWITCH', `switch to bull decided at the close of ${isoDay(ds.firstDay + decided)}: buy ${src} at its weights`, go.assets, go.weights, { selection: sel.record, decidedOn: decided, charge: true });
        } else {
          trade(t, 'REGIME_SWITCH', `switch to bear decided at the close of ${isoDay(ds.firstDay + decided)}: sell every member, 100% ${rules.bearAssetId}`, [bear], [1], { selection: null, decidedOn: decided, charge: true });
        }
      }
    }
    const k = t - fromOff;
    // The base level is exact by definition (Σ w·V/P·P can differ from V in the last bit).
    levelGross[k] = k === 0 ? rules.baseLevel : value(qG) / divisor;
    levelNet[k] = k === 0 ? rules.baseLevel : value(qN) / divisor;
    regime[k] = state;
    invested[k] = held.some((a) => a !== bear) ? 1 : 0;
    if (opts.onProgress !== undefined && (k % 64 === 63 || t === lastOff)) opts.onProgress(k + 1, total);
  }

  return {
    rules,
    variant,
    mode,
    dataset: ds,
    firstDay: ds.firstDay + fromOff,
    days,
    levelGross,
    levelNet,
    regime,
    invested,
    divisor: { gross: divisor, net: divisor },
    transactions,
    snapshots,
    signal,
    totals,
  };
}
