import { systemClock, type Clock } from '../core/clock.ts';
import { dayOf, isoDay, lastClosedDay, parseDay } from './calendar.ts';
import { createDataset, sliceDataset, type AssetInfo, type MarketDataset } from './dataset.ts';
import type { MarketDataProvider } from './provider.ts';
import { createRng, type Rng } from './random.ts';
import { simulatorCatalogue, type SimAssetSpec, type SimGroup } from './simulator-catalogue.ts';

/** Options of {@link simulateMarket}. */
export interface SimulatorOptions {
  /** Every number follows from the seed (default 1). */
  seed?: number | string;
  /** First day, `YYYY-MM-DD` (default 2017-01-01). */
  start?: string;
  /** Last day, inclusive (default 2025-06-30). */
  end?: string;
  /** Keep only the first N assets of the catalogue (bitcoin, ethereum and usd-coin come first). */
  assets?: number;
}

/** Default first day of the simulation. */
export const SIMULATOR_START = '2017-01-01';
const DEFAULT_END = '2025-06-30';

interface Phase {
  mu: number;
  sigma: number;
}

const PHASES: readonly (Phase & { name: string; min: number; max: number; next: readonly number[] })[] = [
  // next: chance of moving to bull, bear, chop after this phase.
  { name: 'bull', mu: 0.0046, sigma: 0.034, min: 150, max: 450, next: [0, 0.6, 0.4] },
  { name: 'bear', mu: -0.003, sigma: 0.042, min: 120, max: 330, next: [0.5, 0, 0.5] },
  { name: 'chop', mu: 0.0006, sigma: 0.028, min: 60, max: 240, next: [0.55, 0.45, 0] },
];

// Idiosyncratic moves mean-revert (theta per day) so that daily volatility is realistic while
// market caps keep a realistic spread over years instead of diffusing without bound.
const GROUPS: Readonly<Record<SimGroup, { beta: number; vol: number; theta: number; turnover: number; drift: number; gapRate: number }>> = {
  major: { beta: 1.1, vol: 0.026, theta: 0.008, turnover: 0.05, drift: -0.0003, gapRate: 0.0005 },
  large: { beta: 1.25, vol: 0.04, theta: 0.006, turnover: 0.06, drift: -0.0007, gapRate: 0.001 },
  mid: { beta: 1.35, vol: 0.05, theta: 0.006, turnover: 0.07, drift: -0.0009, gapRate: 0.0015 },
  meme: { beta: 1.5, vol: 0.075, theta: 0.004, turnover: 0.12, drift: -0.0007, gapRate: 0.002 },
};

/** BTC deviation from its phase trend: mean-reverting, with rare jumps. */
const BTC_VOL = 0.033;
const BTC_THETA = 0.003;

/** The BTC market factor: bull, bear and sideways phases of random length and order, drawn as needed. */
function phaseStream(rng: Rng): (day: number) => Phase {
  const ends: number[] = [];
  const kinds: number[] = [];
  let kind = 0;
  return (day) => {
    while (ends.length === 0 || day >= (ends[ends.length - 1] ?? 0)) {
      const p = PHASES[kind];
      if (p === undefined) break;
      ends.push((ends[ends.length - 1] ?? 0) + Math.round(rng.uniform(p.min, p.max)));
      kinds.push(kind);
      const u = rng.next();
      const [toBull = 0, toBear = 0] = p.next;
      kind = u < toBull ? 0 : u < toBull + toBear ? 1 : 2;
    }
    let i = ends.length - 1;
    while (i > 0 && day < (ends[i - 1] ?? 0)) i--;
    return PHASES[kinds[i] ?? 0] ?? { mu: 0, sigma: 0.03 };
  };
}

/** Per-asset state and parameters, fixed at the start from the asset's own random stream. */
interface SimAsset {
  spec: SimAssetSpec;
  rng: Rng;
  /** Day offsets. */
  list: number;
  delist: number;
  beta: number;
  vol: number;
  theta: number;
  drift: number;
  turnover: number;
  gapRate: number;
  inflation: number;
  supply: number;
  logPrice: number;
  logCap: number;
  /** Coins: log price = base + driftBeta·btcTrend + beta·btcDeviation + idio + shock. */
  base: number;
  driftBeta: number;
  idio: number;
  shock: number;
  underlying: number;
  collapseFrom: number;
  collapseDays: number;
  collapseStep: number;
  gapLeft: number;
  forcedGaps: Map<number, number>;
  overrides: Map<number, number>;
  discount: [number, number, number] | null;
}

function offset(iso: string | undefined, start: number): number | undefined {
  return iso === undefined ? undefined : dayOf(iso) - start;
}

function setUp(spec: SimAssetSpec, seed: string, start: number, index: ReadonlyMap<string, number>): SimAsset {
  const rng = createRng(`${seed}:${spec.id}`);
  const g = GROUPS[spec.group];
  // Draw every parameter, used or not, in one order, so a spec change never shifts another's stream.
  const jitterBeta = rng.uniform(0.85, 1.15);
  const jitterVol = rng.uniform(0.85, 1.15);
  const driftNoise = rng.normal() * 0.0004;
  const inflation = rng.uniform(0, 0.08);
  const tailList = rng.next() < 0.45 ? 0 : Math.floor(rng.uniform(1, 3200));
  const tailCap = Math.exp(rng.uniform(Math.log(2e6), Math.log(6e8)));
  const tailTurnover = Math.exp(rng.uniform(Math.log(0.004), Math.log(0.25)));
  const tailGap = rng.uniform(0, 0.004);
  const tailDelist = rng.next() < 0.12 ? Math.floor(rng.uniform(250, 2200)) : -1;
  const price0 = Math.exp(rng.uniform(Math.log(0.01), Math.log(100)));

  const generated = spec.listed === undefined && spec.cap0 === 0 && spec.kind === 'coin';
  const list = Math.max(0, generated ? tailList : (offset(spec.listed, start) ?? 0));
  let delist = offset(spec.delisted, start) ?? Number.POSITIVE_INFINITY;
  if (generated && tailDelist > 0) delist = list + tailDelist;
  const cap0 = generated ? tailCap : spec.cap0;
  const p0 = spec.price0 ?? (spec.kind === 'btc' ? 1000 : spec.kind === 'stable' ? 1 : spec.kind === 'gold' ? 1250 : price0);
  const collapse = spec.collapse;
  const collapseFrom = offset(collapse?.on, start) ?? Number.POSITIVE_INFINITY;
  const collapseDays = collapse?.days ?? 1;
  const toMap = (rec: Readonly<Record<string, number>> | undefined): Map<number, number> => new Map(Object.entries(rec ?? {}).map(([k, v]) => [dayOf(k) - start, v]));
  return {
    spec,
    rng,
    list,
    delist,
    beta: g.beta * jitterBeta,
    vol: g.vol * jitterVol,
    theta: g.theta,
    drift: (spec.drift ?? g.drift) + driftNoise,
    turnover: spec.turnover ?? (generated ? tailTurnover : g.turnover),
    gapRate: spec.gapRate ?? (generated ? tailGap : spec.kind === 'btc' ? 0 : g.gapRate),
    inflation,
    supply: cap0 / p0,
    logPrice: Math.log(p0),
    logCap: Math.log(Math.max(cap0, 1)),
    base: Number.NaN,
    driftBeta: 1 + 0.3 * (g.beta * jitterBeta - 1),
    idio: 0,
    shock: 0,
    underlying: spec.tracks === undefined ? -1 : (index.get(spec.tracks.id) ?? -1),
    collapseFrom,
    collapseDays,
    collapseStep: Math.log(collapse?.total ?? 1) / collapseDays,
    gapLeft: 0,
    forcedGaps: toMap(spec.gaps),
    overrides: toMap(spec.overrides),
    discount: spec.discount === undefined ? null : [dayOf(spec.discount[0]) - start, dayOf(spec.discount[1]) - start, spec.discount[2]],
  };
}

const clip = (x: number, lo: number, hi: number): number => (x < lo ? lo : x > hi ? hi : x);

/**
 * A deterministic synthetic crypto market: about 200 assets with a realistic spread of market
 * caps, volatility and correlation to BTC through bull, bear and sideways phases; stablecoins near
 * $1 with the odd depeg (USDC in March 2023, an untagged one in April 2025); wrapped and staking
 * tokens that track their underlying; listings, collapses and delistings; and gaps in the data
 * (rare one-to-three-day gaps, a five-day outage, two missing BTC days).
 *
 * The output is prefix-stable: every draw of day d depends only on days up to d, so a longer
 * simulation agrees with a shorter one on their common days, and a live provider can extend the
 * history every day without rewriting it.
 *
 * @example const ds = simulateMarket({ seed: 1, start: '2018-01-01', end: '2024-12-31' })
 */
export function simulateMarket(opts: SimulatorOptions = {}): MarketDataset {
  const seed = String(opts.seed ?? 1);
  const start = dayOf(opts.start ?? SIMULATOR_START);
  const end = dayOf(opts.end ?? DEFAULT_END);
  if (end < start) throw new RangeError(`simulator: end ${opts.end ?? DEFAULT_END} is before start ${opts.start ?? SIMULATOR_START}`);
  const all = simulatorCatalogue();
  const limit = opts.assets ?? all.length;
  if (!Number.isSafeInteger(limit) || limit < 1) throw new RangeError(`simulator: assets must be a whole number of at least 1, got ${String(opts.assets)}`);
  const specs = all.slice(0, limit);
  const index = new Map(specs.map((s, i) => [s.id, i]));
  const sims = specs.map((s) => setUp(s, seed, start, index));
  const days = end - start + 1;
  const n = sims.length;
  const price = new Float64Array(n * days).fill(Number.NaN);
  const marketCap = new Float64Array(n * days).fill(Number.NaN);
  const volume = new Float64Array(n * days).fill(Number.NaN);
  // Today's unrounded price and cap of every asset, for trackers (their underlying comes first).
  const px = new Float64Array(n);
  const cap = new Float64Array(n);

  const market = createRng(`${seed}:market`);
  const phaseAt = phaseStream(createRng(`${seed}:phases`));

  let btcTrend = 0;
  let btcDev = 0;
  for (let d = 0; d < days; d++) {
    const phase = phaseAt(d);
    const zm = market.normal();
    const jump = market.next() < 0.006 ? market.normal() * 0.08 - 0.02 : 0;
    if (d > 0) {
      btcTrend += phase.mu;
      btcDev = clip(btcDev * (1 - BTC_THETA) + BTC_VOL * zm * (phase.sigma / 0.034) + jump, -1.2, 1.2);
    }

    for (let a = 0; a < n; a++) {
      const s = sims[a];
      if (s === undefined) continue;
      // Five draws every day, listed or not: the stream of day d never depends on later days.
      const z = s.rng.normal();
      const zv = s.rng.normal();
      const zc = s.rng.normal();
      const ug = s.rng.next();
      const ul = s.rng.next();
      if (d < s.list || d >= s.delist) continue;
      const age = d - s.list;
      let r = 0;
      let p = Number.NaN;
      let c = Number.NaN;
      const kind = s.spec.kind;
      if (kind === 'btc' || kind === 'coin') {
        const btc = kind === 'btc';
        const beta = btc ? 1 : s.beta;
        const driftBeta = btc ? 1 : s.driftBeta;
        if (age === 0) s.base = s.logPrice - driftBeta * btcTrend - beta * btcDev;
        else if (!btc) {
          const collapsing = d >= s.collapseFrom && d < s.collapseFrom + s.collapseDays;
          const afterCollapse = d >= s.collapseFrom + s.collapseDays;
          s.idio = clip(s.idio * (1 - s.theta) + (afterCollapse ? 0.09 : s.vol) * z, -3, 3);
          s.shock += s.drift + (collapsing ? s.collapseStep : 0) + (afterCollapse ? -0.004 : 0) + (d >= s.delist - 150 ? -0.012 : 0);
        }
        const logPrice = s.base + driftBeta * btcTrend + beta * btcDev + s.idio + s.shock;
        r = age === 0 ? 0 : logPrice - s.logPrice;
        s.logPrice = logPrice;
        p = Math.exp(logPrice);
        c = p * s.supply * Math.exp(((btc ? 0.018 : s.inflation) * age) / 365);
      } else if (kind === 'stable') {
        const over = s.overrides.size === 0 ? undefined : s.overrides.get(d);
        if (d >= s.collapseFrom) {
          s.logPrice += d < s.collapseFrom + s.collapseDays ? s.collapseStep : -0.01 + 0.08 * z;
          p = Math.exp(s.logPrice);
        } else {
          p = over ?? 1 + clip(0.0012 * z, -0.005, 0.005);
        }
        r = over === undefined ? 0 : Math.abs(over - 1);
        if (age > 0) s.logCap += (s.spec.growth ?? 0.5) / 365 + 0.012 * zc - (d >= s.collapseFrom ? 0.05 : 0);
        c = Math.exp(s.logCap) * (d >= s.collapseFrom ? p : 1);
      } else if (kind === 'gold') {
        r = 0.0003 + 0.009 * z;
        if (age > 0) s.logPrice += r;
        p = Math.exp(s.logPrice);
        c = p * s.supply * Math.exp((0.3 * age) / 365);
      } else {
        const u = s.underlying;
        const tr = s.spec.tracks;
        if (u < 0 || tr === undefined) continue;
        const base = px[u] ?? Number.NaN;
        if (!(base > 0)) continue;
        let ratio = Math.exp((tr.ratioGrowth * age) / 365) * (1 + 0.0015 * z);
        const disc = s.discount;
        if (disc !== null && d >= disc[0] && d <= disc[1]) ratio *= disc[2];
        p = base * ratio;
        r = 0.0015 * Math.abs(z);
        c = (cap[u] ?? 0) * tr.share * (0.1 + 0.9 * (1 - Math.exp(-age / 400))) * Math.exp(0.05 * zc);
      }

      px[a] = p;
      cap[a] = c;

      // Gaps: forced outages, then rare random ones of one to three days (never over 72 h).
      const forced = s.forcedGaps.size === 0 ? undefined : s.forcedGaps.get(d);
      if (forced !== undefined) s.gapLeft = Math.max(s.gapLeft, forced);
      else if (s.gapLeft === 0 && age > 0 && ug < s.gapRate) s.gapLeft = 1 + Math.floor(ul * 3);
      if (s.gapLeft > 0) {
        s.gapLeft--;
        continue;
      }
      const cell = a * days + d;
      price[cell] = p;
      marketCap[cell] = c;
      const dry = d >= s.delist - 150 ? Math.exp(-(d - (s.delist - 150)) / 40) : 1;
      volume[cell] = c * s.turnover * dry * Math.exp(0.45 * zv - 0.1) * (1 + 5 * Math.abs(r));
    }
  }

  const assets: AssetInfo[] = specs.map((s) => ({ id: s.id, symbol: s.symbol, name: s.name, tags: [...s.tags] }));
  return createDataset({ source: `simulator (seed ${seed})`, firstDay: start, days, assets, price, marketCap, volume });
}

/** Options of {@link createSimulatorProvider}: a fixed `end`, or the last closed UTC day by `clock`. */
export interface SimulatorProviderOptions extends SimulatorOptions {
  clock?: Clock;
}

/**
 * The embedded default provider: the simulated market from its start up to the last closed UTC
 * day (or `end`), so a fresh install serves an index with years of history that grows daily.
 *
 * @example const provider = createSimulatorProvider({ seed: 1 })
 */
export function createSimulatorProvider(opts: SimulatorProviderOptions = {}): MarketDataProvider {
  const seed = String(opts.seed ?? 1);
  const clock = opts.clock ?? systemClock;
  let cache: { end: number; data: MarketDataset } | undefined;
  return {
    name: `simulator (seed ${seed})`,
    load: async (range) => {
      const fixedEnd = opts.end === undefined ? null : parseDay(opts.end);
      const end = Math.min(fixedEnd ?? lastClosedDay(clock.now()), range?.to ?? Number.POSITIVE_INFINITY);
      const start = opts.start ?? SIMULATOR_START;
      if (end < dayOf(start)) throw new RangeError(`simulator: nothing to load before its start ${start}`);
      if (cache === undefined || cache.end !== end) cache = { end, data: simulateMarket({ ...opts, seed, start, end: isoDay(end) }) };
      const data = cache.data;
      return range?.from === undefined ? data : sliceDataset(data, range.from, end);
    },
  };
}
