import { DENYLIST, type Denylist } from './denylist.ts';

/** Plain: weights proportional to market cap. Capped: 30% for the largest, 20% for any other. */
export type WeightVariant = 'plain' | 'capped';

/** The cost model of one order leg (DESIGN.md §8); all rates are fractions of the leg's notional. */
export interface CostModel {
  /** Platform fee, in basis points of |ΔV|. */
  readonly feeBps: number;
  /** Half the bid-ask spread, in basis points of |ΔV|. */
  readonly halfSpreadBps: number;
  /** Square-root impact coefficient Y in Y·σ₃₀·√(|ΔV| / ADV₃₀). */
  readonly impactY: number;
  /** The whole cost of a leg never exceeds this share of its notional. */
  readonly maxCostRate: number;
  /** Days of the σ and ADV windows. */
  readonly windowDays: number;
}

/**
 * Every parameter of the Clavis Top 100 methodology (docs/methodology.md). Tests pass variants;
 * the published index uses {@link CT100_RULES}.
 */
export interface IndexRules {
  readonly version: string;
  /** Constituents wanted. */
  readonly size: number;
  /** Ranks always taken. */
  readonly coreRank: number;
  /** Current members keep their place down to this rank. */
  readonly bufferRank: number;
  /** Days of the average market cap used for ranking and weights. */
  readonly capAverageDays: number;
  readonly capLargest: number;
  readonly capOther: number;
  /** Tags that exclude an asset. */
  readonly excludedTags: readonly string[];
  readonly denylist: Denylist;
  /** Pegged-price rule: within `pegBand` of $1 on at least `pegShare` of the last `pegWindowDays` priced days. */
  readonly pegBand: number;
  readonly pegShare: number;
  readonly pegWindowDays: number;
  /** Days of history required. */
  readonly minHistoryDays: number;
  readonly volumeWindowDays: number;
  readonly minMedianVolumeUsd: number;
  /** Regime signal. */
  readonly smaDays: number;
  readonly bearBand: number;
  readonly bullBand: number;
  readonly confirmDays: number;
  readonly minSwitchSpacingDays: number;
  /** A member without a close for longer than this is removed (72 h = 3 days). */
  readonly maxUnpricedDays: number;
  /** Weekday of the weekly selection close (0 = Sunday). */
  readonly rebalanceWeekday: number;
  readonly baseLevel: number;
  /** Notional value of the index portfolio at the base level; costs depend on trade size. */
  readonly notionalUsd: number;
  readonly costs: CostModel;
  readonly btcId: string;
  readonly bearAssetId: string;
}

/** The published Clavis Top 100 parameters. */
export const CT100_RULES: IndexRules = {
  version: 'ct100-1.0',
  size: 100,
  coreRank: 80,
  bufferRank: 120,
  capAverageDays: 7,
  capLargest: 0.3,
  capOther: 0.2,
  excludedTags: ['stablecoin', 'pegged', 'wrapped', 'bridged', 'staking'],
  denylist: DENYLIST,
  pegBand: 0.02,
  pegShare: 0.9,
  pegWindowDays: 30,
  minHistoryDays: 30,
  volumeWindowDays: 30,
  minMedianVolumeUsd: 1_000_000,
  smaDays: 200,
  bearBand: 0.98,
  bullBand: 1.02,
  confirmDays: 2,
  minSwitchSpacingDays: 7,
  maxUnpricedDays: 3,
  rebalanceWeekday: 0,
  baseLevel: 1000,
  notionalUsd: 10_000_000,
  costs: { feeBps: 10, halfSpreadBps: 5, impactY: 0.7, maxCostRate: 0.1, windowDays: 30 },
  btcId: 'bitcoin',
  bearAssetId: 'usd-coin',
};

/** Parameters to change from the published rules; cost parameters may be given one by one. */
export type RuleChanges = Partial<Omit<IndexRules, 'costs'>> & { costs?: Partial<CostModel> };

/**
 * The published rules with some parameters changed (tests, what-if backtests), checked.
 *
 * @example withRules({ size: 10, coreRank: 8, bufferRank: 12 })
 */
export function withRules(changes: RuleChanges = {}): IndexRules {
  const rules: IndexRules = { ...CT100_RULES, ...changes, costs: { ...CT100_RULES.costs, ...changes.costs } };
  const checks: [boolean, string][] = [
    [rules.size >= 1 && rules.coreRank >= 0 && rules.coreRank <= rules.size && rules.bufferRank >= rules.size, 'need 0 ≤ coreRank ≤ size ≤ bufferRank'],
    [rules.capLargest > 0 && rules.capLargest <= 1 && rules.capOther > 0 && rules.capOther <= 1, 'caps must be in (0, 1]'],
    [rules.smaDays >= 1 && rules.confirmDays >= 1 && rules.minSwitchSpacingDays >= 0, 'smaDays and confirmDays must be at least 1'],
    [rules.bearBand > 0 && rules.bearBand <= 1 && rules.bullBand >= 1, 'need 0 < bearBand ≤ 1 ≤ bullBand'],
    [rules.notionalUsd > 0 && rules.baseLevel > 0, 'notionalUsd and baseLevel must be > 0'],
    [rules.costs.maxCostRate >= 0 && rules.costs.maxCostRate < 1, 'maxCostRate must be in [0, 1)'],
  ];
  for (const [ok, message] of checks) if (!ok) throw new RangeError(`index rules: ${message}`);
  return rules;
}
