import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Candidate } from '../../src/indices/eligibility.ts';
import { selectWithBuffer } from '../../src/indices/selection.ts';

const RULES = { size: 100, coreRank: 80, bufferRank: 120 };
/** Assets 1…n ranked in order: asset k has rank k. */
const ranked = (n: number): Candidate[] => Array.from({ length: n }, (_, i) => ({ asset: i + 1, averageCap: 1e12 / (i + 1) }));

describe('weekly selection with the rank buffer', () => {
  it('takes ranks 1–80, then members ranked 81–120 best first, then the best non-members', () => {
    // Members: 5 (core anyway), 85, 95, 119 (buffer), 121 and 150 (out of the buffer: dropped).
    const picked = selectWithBuffer(ranked(150), new Set([5, 85, 95, 119, 121, 150]), RULES);
    expect(picked).toHaveLength(100);
    const ranks = picked.map((p) => p.rank);
    // 80 core + 85, 95, 119 + the 17 best non-members: 81–84, 86–94, 96–99.
    const expected = [...Array.from({ length: 80 }, (_, i) => i + 1), 81, 82, 83, 84, 85, 86, 87, 88, 89, 90, 91, 92, 93, 94, 95, 96, 97, 98, 99, 119];
    expect(ranks).toEqual(expected);
    expect(picked.filter((p) => p.reason === 'buffer').map((p) => p.rank)).toEqual([85, 95, 119]);
    expect(picked.filter((p) => p.reason === 'fill')).toHaveLength(17);
    expect(ranks).not.toContain(121);
    expect(ranks).not.toContain(100);
  });

  it('keeps only the best 20 members when more than 20 sit in ranks 81–120', () => {
    const members = new Set(Array.from({ length: 30 }, (_, i) => 91 + i)); // ranks 91–120
    const picked = selectWithBuffer(ranked(150), members, RULES);
    expect(picked.map((p) => p.rank)).toEqual([...Array.from({ length: 80 }, (_, i) => i + 1), ...Array.from({ length: 20 }, (_, i) => 91 + i)]);
    expect(picked.every((p) => p.rank <= 80 || p.reason === 'buffer')).toBe(true);
  });

  it('is plain ranks 1–100 without members, and everything when fewer are eligible', () => {
    expect(selectWithBuffer(ranked(150), new Set(), RULES).map((p) => p.rank)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    expect(selectWithBuffer(ranked(60), new Set([3]), RULES)).toHaveLength(60);
    expect(selectWithBuffer([], new Set([1]), RULES)).toEqual([]);
  });

  it('always holds min(100, eligible) distinct assets including the top 80', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 200 }), fc.uniqueArray(fc.integer({ min: 1, max: 220 }), { maxLength: 120 }), (n, members) => {
        const picked = selectWithBuffer(ranked(n), new Set(members), RULES);
        expect(picked).toHaveLength(Math.min(100, n));
        expect(new Set(picked.map((p) => p.asset)).size).toBe(picked.length);
        for (let r = 1; r <= Math.min(80, n); r++) expect(picked.some((p) => p.rank === r)).toBe(true);
        // A member in 81–120 is dropped only for a better-ranked member.
        const kept = new Set(picked.map((p) => p.rank));
        for (const m of members) if (m > 80 && m <= Math.min(120, n) && !kept.has(m)) expect(picked.filter((p) => p.reason === 'buffer' && p.rank < m)).toHaveLength(20);
      }),
    );
  });
});
