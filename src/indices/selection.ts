import type { Candidate } from './eligibility.ts';

/** Why an asset is in a selection: ranks 1–coreRank, a member kept by the buffer, or a fill. */
export type SelectionReason = 'core' | 'buffer' | 'fill';

/** A selected asset: its rank among the eligible and why it is in. */
export interface Selected extends Candidate {
  /** 1-based rank among the eligible. */
  rank: number;
  reason: SelectionReason;
}

/**
 * The weekly selection with the rank buffer: ranks 1–`coreRank`; then current members ranked
 * `coreRank + 1`–`bufferRank`, best first, until there are `size`; then the best-ranked
 * non-members until there are `size` (fewer only when fewer are eligible). Returned in rank order.
 *
 * @example selectWithBuffer(ranked, new Set([memberAsset]), { size: 100, coreRank: 80, bufferRank: 120 })
 */
export function selectWithBuffer(
  ranked: readonly Candidate[],
  members: ReadonlySet<number>,
  rules: { size: number; coreRank: number; bufferRank: number },
): Selected[] {
  const picked: Selected[] = [];
  const taken = new Set<number>();
  const take = (c: Candidate, i: number, reason: SelectionReason): void => {
    picked.push({ asset: c.asset, averageCap: c.averageCap, rank: i + 1, reason });
    taken.add(c.asset);
  };
  const core = Math.min(rules.coreRank, ranked.length);
  for (let i = 0; i < core; i++) {
    const c = ranked[i];
    if (c !== undefined) take(c, i, 'core');
  }
  for (let i = core; i < Math.min(rules.bufferRank, ranked.length) && picked.length < rules.size; i++) {
    const c = ranked[i];
    if (c !== undefined && members.has(c.asset)) take(c, i, 'buffer');
  }
  for (let i = core; i < ranked.length && picked.length < rules.size; i++) {
    const c = ranked[i];
    if (c !== undefined && !taken.has(c.asset)) take(c, i, 'fill');
  }
  return picked.sort((x, y) => x.rank - y.rank);
}
