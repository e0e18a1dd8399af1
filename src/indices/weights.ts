/**
 * Weights proportional to `caps` (non-negative; at least one positive).
 *
 * @example proportionalWeights([3, 1]) // Float64Array [0.75, 0.25]
 */
export function proportionalWeights(caps: ArrayLike<number>): Float64Array {
  let total = 0;
  for (let i = 0; i < caps.length; i++) total += caps[i] ?? 0;
  const out = new Float64Array(caps.length);
  if (!(total > 0)) throw new RangeError('weights: the market caps sum to zero');
  for (let i = 0; i < caps.length; i++) out[i] = (caps[i] ?? 0) / total;
  return out;
}

/**
 * The capped variant: the largest asset (by cap; the first on a tie) at most `capLargest`, every
 * other at most `capOther`. The excess of assets over their cap is spread over the assets under
 * theirs in proportion to their weights, and again until none is over (iterative pro-rata
 * redistribution). The result is w_i = min(cap_i, λ·m_i) with λ making the weights sum to 1.
 *
 * When the caps cannot sum to 1 (fewer than 5 assets with 30%/20%), weights are the caps scaled
 * to sum to 1: the cap is then unreachable and the ordering of caps is kept.
 *
 * @example cappedWeights([60, 20, 10, 5, 5], 0.3, 0.2) // [0.3, 0.2, 0.2, 0.15, 0.15]
 */
export function cappedWeights(caps: ArrayLike<number>, capLargest: number, capOther: number): Float64Array {
  const n = caps.length;
  const w = proportionalWeights(caps);
  let largest = 0;
  for (let i = 1; i < n; i++) if ((caps[i] ?? 0) > (caps[largest] ?? 0)) largest = i;
  const limit = new Float64Array(n).fill(capOther);
  if (n > 0) limit[largest] = capLargest;
  let room = 0;
  for (let i = 0; i < n; i++) room += limit[i] ?? 0;
  if (room <= 1 + 1e-12) {
    for (let i = 0; i < n; i++) w[i] = (limit[i] ?? 0) / room;
    return w;
  }
  const capped = new Uint8Array(n);
  for (let round = 0; round < n; round++) {
    let excess = 0;
    let free = 0;
    for (let i = 0; i < n; i++) {
      const lim = limit[i] ?? 0;
      if (capped[i] === 0 && (w[i] ?? 0) > lim) {
        excess += (w[i] ?? 0) - lim;
        w[i] = lim;
        capped[i] = 1;
      }
    }
    if (excess <= 0) break;
    for (let i = 0; i < n; i++) if (capped[i] === 0) free += w[i] ?? 0;
    if (!(free > 0)) break;
    const scale = 1 + excess / free;
    for (let i = 0; i < n; i++) if (capped[i] === 0) w[i] = (w[i] ?? 0) * scale;
  }
  return w;
}
