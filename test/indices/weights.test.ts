import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cappedWeights, proportionalWeights } from '../../src/indices/weights.ts';

const close = (a: ArrayLike<number>, b: readonly number[]): void => {
  expect(a.length).toBe(b.length);
  b.forEach((x, i) => expect(a[i]).toBeCloseTo(x, 12));
};

describe('weights', () => {
  it('are proportional to market cap', () => {
    close(proportionalWeights([3, 1]), [0.75, 0.25]);
    expect(() => proportionalWeights([0, 0])).toThrow(/sum to zero/);
  });

  it('caps by hand: 60/20/10/5/5 → 30/20/20/15/15', () => {
    // Round 1: the largest, 60% → 30%; its 30% excess goes to the others pro rata (×0.7/0.4):
    //          20 → 35, 10 → 17.5, 5 → 8.75, 5 → 8.75.
    // Round 2: 35% → 20%; 15% over 17.5 + 8.75 + 8.75 = 35 (×0.5/0.35): 17.5 → 25, 8.75 → 12.5.
    // Round 3: 25% → 20%; 5% over 12.5 + 12.5 (×0.3/0.25): 12.5 → 15.
    close(cappedWeights([60, 20, 10, 5, 5], 0.3, 0.2), [0.3, 0.2, 0.2, 0.15, 0.15]);
  });

  it('caps the largest at 30% wherever it is in the list', () => {
    close(cappedWeights([10, 50, 10, 10, 10, 10], 0.3, 0.2), [0.14, 0.3, 0.14, 0.14, 0.14, 0.14]);
  });

  it('leaves weights under their caps untouched', () => {
    close(cappedWeights([25, 20, 20, 20, 15], 0.3, 0.2), [0.25, 0.2, 0.2, 0.2, 0.15]);
  });

  it('scales the caps when they cannot sum to 1 (4 assets: 30 + 3·20 = 90%)', () => {
    close(cappedWeights([70, 10, 10, 10], 0.3, 0.2), [0.3 / 0.9, 0.2 / 0.9, 0.2 / 0.9, 0.2 / 0.9]);
  });

  it('always sum to 1, respect the caps, keep the order and equal min(cap, λ·m)', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 1, max: 1e12, noNaN: true }), { minLength: 5, maxLength: 120 }), (caps) => {
        const w = cappedWeights(caps, 0.3, 0.2);
        const sum = w.reduce((s, x) => s + x, 0);
        expect(sum).toBeCloseTo(1, 9);
        let largest = 0;
        caps.forEach((c, i) => {
          if (c > (caps[largest] ?? 0)) largest = i;
        });
        w.forEach((x, i) => expect(x).toBeLessThanOrEqual((i === largest ? 0.3 : 0.2) + 1e-12));
        // Uncapped weights share one λ: w_i / m_i is the same for all of them.
        const ratios = caps.map((c, i) => (w[i] ?? 0) / c).filter((_, i) => (w[i] ?? 0) < (i === largest ? 0.3 : 0.2) - 1e-12);
        for (const r of ratios) expect(r / (ratios[0] ?? r)).toBeCloseTo(1, 9);
        // A larger cap never gets a smaller weight, except the largest asset's own 30% against 20%.
        caps.forEach((c, i) =>
          caps.forEach((d, j) => {
            if (c > d && j !== largest) expect(w[i] ?? 0).toBeGreaterThanOrEqual((w[j] ?? 0) - 1e-12);
          }),
        );
      }),
    );
  });
});
