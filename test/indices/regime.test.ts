import { describe, expect, it } from 'vitest';
import { BEAR, BULL, computeRegime } from '../../src/indices/regime.ts';
import { CT100_RULES } from '../../src/indices/rules.ts';

/**
 * A BTC path built to cross the band on known days (offsets):
 * - 0–199 at 100: the SMA exists from day 199 (the 200th close), state bear;
 * - 200, 201 at 110: above 1.02·SMA twice → bull decided at 201, executed at 202;
 * - 202–204 at 100 (inside the band: streaks end);
 * - 205, 206 at 90: below 0.98·SMA twice → bear would be decided at 206 and execute at 207,
 *   but only 5 days after the switch of 202: not decided;
 * - 207, 208 at 90: the streak holds; at 208 a switch executing at 209 is 7 days after 202:
 *   bear decided at 208, executed at 209;
 * - 209–239 at 90, then 240 missing and 241–260 at 120: the gap ends the streak, so bull needs
 *   241 and 242, and the spacing is long satisfied: decided 242, executed 243.
 */
function path(): Float64Array {
  const p = new Float64Array(261);
  for (let t = 0; t < 261; t++) {
    if (t < 200) p[t] = 100;
    else if (t < 202) p[t] = 110;
    else if (t < 205) p[t] = 100;
    else if (t < 240) p[t] = 90;
    else if (t === 240) p[t] = Number.NaN;
    else p[t] = 120;
  }
  return p;
}

describe('regime signal', () => {
  const r = computeRegime(path(), CT100_RULES);

  it('is bear until 200 closes exist', () => {
    expect(r.firstSignal).toBe(199);
    expect(Number.isNaN(r.sma[198] ?? 0)).toBe(true);
    expect(r.sma[199]).toBe(100);
    for (let t = 0; t <= 201; t++) expect(r.state[t]).toBe(BEAR);
  });

  it('computes the SMA of the last 200 closes exactly', () => {
    expect(r.sma[200]).toBe((199 * 100 + 110) / 200);
    expect(r.sma[201]).toBe((198 * 100 + 220) / 200);
  });

  it('turns bull after two closes above 1.02·SMA, executing the next day', () => {
    expect(r.above[200]).toBe(1);
    expect(r.above[201]).toBe(2);
    expect(r.decision[201]).toBe(1);
    expect(r.state[201]).toBe(BEAR);
    expect(r.state[202]).toBe(BULL);
    expect(r.switches[0]).toEqual({ decided: 201, executed: 202, to: 'bull', close: 110, sma: (198 * 100 + 220) / 200, streak: 2 });
  });

  it('waits for 7 days between executed switches, then switches while the streak holds', () => {
    expect(r.below[206]).toBe(2);
    expect(r.decision[206]).toBe(0);
    expect(r.decision[207]).toBe(0);
    expect(r.decision[208]).toBe(-1);
    for (let t = 202; t <= 208; t++) expect(r.state[t]).toBe(BULL);
    expect(r.state[209]).toBe(BEAR);
    expect(r.switches[1]).toMatchObject({ decided: 208, executed: 209, to: 'bear', streak: 4 });
  });

  it('a missing close keeps the state and breaks the streak', () => {
    expect(r.state[240]).toBe(BEAR);
    expect(r.above[240]).toBe(0);
    expect(r.below[240]).toBe(0);
    expect(Number.isNaN(r.sma[240] ?? 0)).toBe(true);
    expect(r.above[241]).toBe(1);
    expect(r.decision[241]).toBe(0);
    expect(r.decision[242]).toBe(1);
    expect(r.state[243]).toBe(BULL);
    expect(r.switches).toHaveLength(3);
    expect(r.pending).toBeNull();
  });

  it('a close inside the band ends a streak', () => {
    const p = path().slice(0, 205);
    p[200] = 110;
    p[201] = 101; // inside the band
    p[202] = 110;
    p[203] = 110;
    p[204] = 110;
    const s = computeRegime(p, CT100_RULES);
    expect(Array.from(s.above.subarray(200, 205))).toEqual([1, 0, 1, 2, 3]);
    expect(s.switches.map((x) => x.decided)).toEqual([203]);
  });

  it('reports a switch decided on the last day as pending', () => {
    const s = computeRegime(path().slice(0, 202), CT100_RULES);
    expect(s.pending).toMatchObject({ decided: 201, executed: 202, to: 'bull' });
    expect(s.switches).toHaveLength(0);
  });

  it('depends only on closes up to each day', () => {
    const full = computeRegime(path(), CT100_RULES);
    const cut = computeRegime(path().slice(0, 207), CT100_RULES);
    expect(Array.from(cut.state)).toEqual(Array.from(full.state.subarray(0, 207)));
    expect(Array.from(cut.sma)).toEqual(Array.from(full.sma.subarray(0, 207)));
  });
});
