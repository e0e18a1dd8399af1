import { describe, expect, it } from 'vitest';
import { runIndex, type IndexRun, type Transaction } from '../../src/indices/engine.ts';
import { IndexDataError } from '../../src/indices/errors.ts';
import { withRules } from '../../src/indices/rules.ts';
import { dayOf, isoDay, weekday } from '../../src/market/calendar.ts';
import type { AssetSpec } from './support.ts';
import { at, buildDataset } from './support.ts';

const START = '2024-01-01'; // a Monday: offsets 6, 13, …, 202, 209, 216, 223, 230 are Sundays
const N = Number.NaN;
/** Fees and half-spread only (15 bps per leg), so costs can be checked by hand. */
const FLAT = withRules({ costs: { impactY: 0 } });
const date = (off: number, start = START): string => isoDay(dayOf(start) + off);

/** BTC at 100 for 200 days, then 110: bull decided at the close of offset 201, executed at 202. */
const btcBull: AssetSpec = { id: 'bitcoin', price: (d) => (d < 200 ? 100 : 110), cap: () => 600e9, volume: () => 1e10 };
const usdc: AssetSpec = { id: 'usd-coin', tags: ['stablecoin'], price: () => 1, cap: () => 50e9, volume: () => 1e10 };

const txs = (run: IndexRun, off: number, start = START): Transaction[] => run.transactions.filter((t) => t.date === date(off, start));
const one = (run: IndexRun, off: number, type: Transaction['type'], start = START): Transaction => {
  const found = txs(run, off, start).filter((t) => t.type === type);
  expect(found, `${type} on ${date(off, start)}`).toHaveLength(1);
  return at(found, 0);
};
const level = (series: Float64Array, run: IndexRun, off: number): number => at(series, dayOf(START) + off - run.firstDay);
const weights = (t: Transaction): Record<string, number> => Object.fromEntries(t.weightsAfter.map((w) => [w.id, w.weight]));
/** Weights equal to 12 decimals. */
const expectWeights = (t: Transaction | undefined, expected: Record<string, number>): void => {
  const w = t === undefined ? {} : weights(t);
  expect(Object.keys(w).sort()).toEqual(Object.keys(expected).sort());
  for (const [id, x] of Object.entries(expected)) expect(w[id]).toBeCloseTo(x, 12);
};

describe('index engine, by hand', () => {
  const ds = buildDataset(START, 240, [
    btcBull,
    usdc,
    { id: 'alt-a', price: (d) => (d < 210 ? 10 : 12), cap: () => 300e9 },
    { id: 'alt-b', price: (d) => (d < 215 ? 5 : 4), cap: () => 100e9 },
  ]);
  const run = runIndex(ds, { rules: FLAT });

  it('starts at 1000 in the bear asset on the first day the SMA exists', () => {
    expect(run.firstDay).toBe(dayOf(START) + 199);
    expect(at(run.transactions, 0)).toMatchObject({ seq: 1, type: 'REBALANCE', regime: 'bear', charged: false, weightsAfter: [{ id: 'usd-coin', weight: 1 }] });
    for (const off of [199, 200, 201]) expect(level(run.levelNet, run, off)).toBe(1000);
    expect(run.divisor).toEqual({ gross: 10_000, net: 10_000 });
  });

  it('switches to bull on a Sunday: logs the weekly selection, then the switch buys it at its weights', () => {
    expect(weekday(dayOf(date(202)))).toBe(0);
    const [rebalance, sw] = txs(run, 202);
    expect(rebalance?.type).toBe('REBALANCE');
    expect(rebalance?.orders).toEqual([]);
    expect(rebalance?.selection?.dataThrough).toBe(date(201));
    expect(rebalance?.selection?.members.map((m) => [m.id, m.rank, m.weight])).toEqual([
      ['bitcoin', 1, 0.6],
      ['alt-a', 2, 0.3],
      ['alt-b', 3, 0.1],
    ]);
    expect(sw?.type).toBe('REGIME_SWITCH');
    expect(sw?.signal).toMatchObject({ decidedOn: date(201), btcClose: 110, aboveStreak: 3, state: 'bull' });
    expectWeights(sw, { bitcoin: 0.6, 'alt-a': 0.3, 'alt-b': 0.1 });
  });

  it('charges the switch: V′ = V − 15 bps of every leg (sell $10M of USDC, buy V′ of tokens)', () => {
    const sw = one(run, 202, 'REGIME_SWITCH');
    // C = 0.0015·10M + 0.0015·V′ and V′ = 10M − C  ⇒  V′ = 9,985,000 / 1.0015.
    const after = 9_985_000 / 1.0015;
    expect(sw.valueAfterUsd).toBeCloseTo(after, 4);
    expect(sw.costUsd).toBeCloseTo(10e6 - after, 4);
    expect(level(run.levelNet, run, 202)).toBeCloseTo(after / 10_000, 8);
    expect(level(run.levelGross, run, 202)).toBeCloseTo(1000, 9);
    expect(sw.orders.map((o) => [o.side, o.id])).toEqual([
      ['sell', 'usd-coin'],
      ['buy', 'bitcoin'],
      ['buy', 'alt-a'],
      ['buy', 'alt-b'],
    ]);
    expect(sw.orders[1]?.quantity).toBeCloseTo((0.6 * after) / 110, 8);
  });

  it('moves the level with the members: alt-a +20% on 210, alt-b −20% on 215', () => {
    expect(level(run.levelGross, run, 209)).toBeCloseTo(1000, 9);
    expect(level(run.levelGross, run, 210)).toBeCloseTo(1000 * (0.6 + 0.3 * 1.2 + 0.1), 9);
    expect(level(run.levelGross, run, 215)).toBeCloseTo(1000 * (0.6 + 0.3 * 1.2 + 0.1 * 0.8), 9);
    // Between trades the net level is the gross one scaled by what the costs took.
    const k = 9_985_000 / 1.0015 / 10e6;
    for (const off of [203, 210, 215]) expect(level(run.levelNet, run, off) / level(run.levelGross, run, off)).toBeCloseTo(k, 12);
  });

  it('rebalances on Sunday 216 back to market-cap weights, costs solved as a fixed point', () => {
    const t = one(run, 216, 'REBALANCE');
    const v = 1.04;
    expect(t.weightsBefore.map((w) => [w.id, w.weight])).toEqual([
      ['bitcoin', expect.closeTo(0.6 / v, 12) as number],
      ['alt-a', expect.closeTo(0.36 / v, 12) as number],
      ['alt-b', expect.closeTo(0.08 / v, 12) as number],
    ]);
    expect(t.turnover).toBeCloseTo((Math.abs(0.6 - 0.6 / v) + Math.abs(0.3 - 0.36 / v) + Math.abs(0.1 - 0.08 / v)) / 2, 12);
    const V = t.valueBeforeUsd;
    const after = V - t.costUsd;
    const legs = [0.6 * after - (0.6 / v) * V, 0.3 * after - (0.36 / v) * V, 0.1 * after - (0.08 / v) * V];
    expect(t.costUsd).toBeCloseTo(0.0015 * legs.reduce((s, x) => s + Math.abs(x), 0), 4);
    expect(level(run.levelGross, run, 216)).toBeCloseTo(1040, 9);
    expect(run.totals.switches).toBe(1);
  });
});

describe('bear state and a depegged USDC', () => {
  // BTC never leaves the band: the index stays in USDC, which trades at 0.88 and 0.96 for two days.
  const ds = buildDataset(START, 230, [
    { id: 'bitcoin', price: () => 100, cap: () => 600e9 },
    { id: 'usd-coin', tags: ['stablecoin'], price: (d) => (d === 211 ? 0.88 : d === 212 ? 0.96 : 1), cap: () => 50e9 },
    { id: 'alt-a', price: () => 10, cap: () => 300e9 },
  ]);
  const run = runIndex(ds, { rules: FLAT });

  it('marks the USDC holding to market', () => {
    expect(level(run.levelGross, run, 210)).toBe(1000);
    expect(level(run.levelGross, run, 211)).toBeCloseTo(880, 9);
    expect(level(run.levelNet, run, 212)).toBeCloseTo(960, 9);
    expect(level(run.levelNet, run, 213)).toBe(1000);
    expect(Array.from(run.invested).every((x) => x === 0)).toBe(true);
    expect(Array.from(run.regime).every((x) => x === 0)).toBe(true);
  });

  it('still computes and logs the weekly selection, buying nothing; the stablecoin is never selected', () => {
    const sundays = run.transactions.filter((t) => t.seq > 1);
    expect(sundays.map((t) => weekday(dayOf(t.date)))).toEqual(sundays.map(() => 0));
    expect(sundays.length).toBe(4);
    for (const t of sundays) {
      expect(t.type).toBe('REBALANCE');
      expect(t.orders).toEqual([]);
      expect(t.reason).toContain('bear state: nothing bought');
      expect(t.selection?.members.map((m) => m.id)).toEqual(['bitcoin', 'alt-a']);
    }
    expect(run.totals.costUsd).toBe(0);
  });
});

describe('delisting: emergency removal', () => {
  const ds = buildDataset(START, 240, [
    btcBull,
    usdc,
    { id: 'alt-a', price: () => 10, cap: () => 300e9 },
    // Delisted: the last close is at offset 224 (a Monday).
    { id: 'alt-b', price: (d) => (d <= 224 ? 5 : N), cap: () => 100e9 },
    // Three closes missing (226–228): exactly 72 h at 228, not over, so it stays.
    { id: 'alt-c', price: (d) => (d >= 226 && d <= 228 ? N : 2), cap: () => 100e9 },
  ]);
  const run = runIndex(ds, { rules: FLAT });

  it('removes a member after its fourth missing close, at its last close, spreading its value pro rata', () => {
    expect(run.transactions.filter((t) => t.type === 'EMERGENCY').map((t) => t.date)).toEqual([date(228)]);
    const e = one(run, 228, 'EMERGENCY');
    expect(e.reason).toContain(`alt-b has had no close since ${date(224)} (over 72 h); removed at its last close 5`);
    const sell = e.orders.find((o) => o.side === 'sell');
    expect(sell).toMatchObject({ id: 'alt-b', estPrice: 5 });
    expect(sell?.notionalUsd).toBeCloseTo(e.valueBeforeUsd / 11, 4);
    // The others keep their relative weights (600 : 300 : 100 of market cap at the last rebalance).
    const w = weights(e);
    expect(Object.keys(w).sort()).toEqual(['alt-a', 'alt-c', 'bitcoin']);
    expect(w.bitcoin).toBeCloseTo(0.6, 12);
    expect(w['alt-a']).toBeCloseTo(0.3, 12);
    expect(w['alt-c']).toBeCloseTo(0.1, 12);
    expect(e.orders.filter((o) => o.side === 'buy').map((o) => o.id)).toEqual(['bitcoin', 'alt-a', 'alt-c']);
    // The gross level does not jump: the removal happens at the last close.
    expect(level(run.levelGross, run, 228)).toBeCloseTo(level(run.levelGross, run, 227), 9);
    expect(level(run.levelNet, run, 228)).toBeCloseTo(level(run.levelNet, run, 227) * (1 - e.costUsd / e.valueBeforeUsd), 6);
  });

  it('values a member without a close at its last close until then', () => {
    for (const off of [225, 226, 227]) expect(level(run.levelGross, run, off)).toBeCloseTo(level(run.levelGross, run, 224), 9);
  });

  it('does not bring the removed asset back: the next selection leaves it out', () => {
    const next = one(run, 230, 'REBALANCE');
    expect(next.selection?.members.map((m) => m.id)).toEqual(['bitcoin', 'alt-a', 'alt-c']);
    const snap = run.snapshots.at(-1);
    expect(Array.from(snap?.assets ?? []).map((a) => ds.assets[a]?.id)).not.toContain('alt-b');
  });
});

describe('switch to bull between Sundays', () => {
  const start = '2024-01-03'; // a Wednesday: offset 200 is a Sunday, the switch executes at 202 (Friday)
  const specs: AssetSpec[] = [
    btcBull,
    usdc,
    // alt-a's market cap triples after the Sunday's data day (199).
    { id: 'alt-a', price: () => 10, cap: (d) => (d <= 199 ? 300e9 : 900e9) },
    { id: 'alt-b', price: () => 5, cap: () => 100e9 },
  ];
  const ds = buildDataset(start, 210, specs);

  it('buys the last weekly selection at its own weights', () => {
    expect(weekday(dayOf(start) + 200)).toBe(0);
    const run = runIndex(ds, { rules: FLAT });
    const sw = one(run, 202, 'REGIME_SWITCH', start);
    expect(sw.reason).toContain(`the last weekly selection (data through ${date(199, start)})`);
    expect(sw.selection?.fresh).toBe(false);
    expectWeights(sw, { bitcoin: 0.6, 'alt-a': 0.3, 'alt-b': 0.1 });
  });

  it('computes a fresh selection the same way when there is no weekly one yet', () => {
    const run = runIndex(ds, { rules: FLAT, from: dayOf(start) + 201 });
    const sw = one(run, 202, 'REGIME_SWITCH', start);
    expect(sw.selection?.fresh).toBe(true);
    expect(sw.selection?.dataThrough).toBe(date(201, start));
    // 7-day average cap of alt-a over offsets 195–201: five days at 300 and two at 900.
    const a = (5 * 300 + 2 * 900) / 7;
    const total = 600 + a + 100;
    const w = weights(sw);
    expect(w.bitcoin).toBeCloseTo(600 / total, 12);
    expect(w['alt-a']).toBeCloseTo(a / total, 12);
    expect(w['alt-b']).toBeCloseTo(100 / total, 12);
  });
});

describe('capped variant', () => {
  it('caps the largest at 30% and spreads the excess pro rata (by hand)', () => {
    const alts: AssetSpec[] = [100, 100, 100, 50, 50].map((cap, i) => ({ id: `alt-${i}`, price: () => 10, cap: () => cap * 1e9 }));
    const ds = buildDataset(START, 210, [btcBull, usdc, ...alts]);
    const sw = one(runIndex(ds, { rules: FLAT, variant: 'capped' }), 202, 'REGIME_SWITCH');
    // Plain: 60/10/10/10/5/5. Capped: BTC 30; the 30 excess over 40 ⇒ ×1.75: 17.5, 17.5, 17.5, 8.75, 8.75.
    const w = weights(sw);
    expect(w.bitcoin).toBeCloseTo(0.3, 12);
    expect(w['alt-0']).toBeCloseTo(0.175, 12);
    expect(w['alt-4']).toBeCloseTo(0.0875, 12);
  });
});

describe('engine errors', () => {
  it('needs bitcoin and the bear asset, and a base day inside the data', () => {
    const noUsdc = buildDataset(START, 10, [{ id: 'bitcoin', price: () => 1 }]);
    expect(() => runIndex(noUsdc)).toThrow(IndexDataError);
    expect(() => runIndex(noUsdc)).toThrow(/no asset "usd-coin"/);
    const noBtc = buildDataset(START, 10, [usdc]);
    expect(() => runIndex(noBtc)).toThrow(/no asset "bitcoin"/);
    const ok = buildDataset(START, 10, [btcBull, usdc]);
    expect(() => runIndex(ok, { from: dayOf(START) + 20 })).toThrow(/outside the data/);
  });
});

describe('fills and costs', () => {
  it('fills a member without a Sunday close at its Saturday close', () => {
    const ds = buildDataset(START, 225, [
      btcBull,
      usdc,
      { id: 'alt-a', price: (d) => (d < 210 ? 10 : 12), cap: () => 300e9 },
      // No close on Sunday 216; 4.5 on Saturday 215.
      { id: 'alt-b', price: (d) => (d === 216 ? N : d === 215 ? 4.5 : 5), cap: () => 100e9 },
    ]);
    const t = one(runIndex(ds, { rules: FLAT }), 216, 'REBALANCE');
    expect(t.orders.find((o) => o.id === 'alt-b')?.estPrice).toBe(4.5);
    expect(t.selection?.members.map((m) => m.id)).toContain('alt-b');
  });

  it('prices impact with σ and ADV of the 30 days before the trade', () => {
    const specs: AssetSpec[] = [
      btcBull,
      usdc,
      // A volatile alt with a thin market: σ₃₀ and ADV₃₀ matter.
      { id: 'alt-a', price: (d) => 10 * (1 + 0.05 * Math.sin(d)), cap: () => 300e9, volume: (d) => 2e6 + 1e5 * (d % 3) },
      { id: 'alt-b', price: () => 5, cap: () => 100e9 },
    ];
    const ds = buildDataset(START, 225, specs);
    const run = runIndex(ds);
    const t = one(run, 216, 'REBALANCE');
    const order = t.orders.find((o) => o.id === 'alt-a');
    expect(order).toBeDefined();
    const returns: number[] = [];
    for (let d = 187; d <= 215; d++) returns.push(Math.log((specs[2]?.price(d) ?? 0) / (specs[2]?.price(d - 1) ?? 1)));
    const mean = returns.reduce((s, r) => s + r, 0) / returns.length;
    const sigma = Math.sqrt(returns.reduce((s, r) => s + (r - mean) ** 2, 0) / (returns.length - 1));
    let adv = 0;
    for (let d = 186; d <= 215; d++) adv += (specs[2]?.volume?.(d) ?? 0) / 30;
    const n = order?.notionalUsd ?? 0;
    expect(order?.impact).toBeCloseTo(0.7 * sigma * Math.sqrt(n / adv) * n, 6);
    expect(order?.fee).toBeCloseTo(0.001 * n, 9);
    expect(order?.cost).toBeCloseTo((order?.fee ?? 0) + (order?.spread ?? 0) + (order?.impact ?? 0), 9);
  });

  it('counts the bear asset at $1 before its first close', () => {
    const ds = buildDataset(START, 215, [{ id: 'bitcoin', price: () => 100 }, { id: 'usd-coin', tags: ['stablecoin'], price: (d) => (d < 205 ? N : 0.99) }]);
    const run = runIndex(ds);
    expect(level(run.levelNet, run, 204)).toBe(1000);
    expect(level(run.levelNet, run, 205)).toBeCloseTo(990, 9);
  });
});
