import type { IndexRules } from './rules.ts';

/** 1 = bull (invested). */
export const BULL = 1;
/** 0 = bear (in the bear asset). */
export const BEAR = 0;

/** One executed regime switch. Day numbers are dataset offsets. */
export interface RegimeSwitch {
  /** Close at which the switch was decided. */
  decided: number;
  /** Close at which it executes: decided + 1. */
  executed: number;
  to: 'bull' | 'bear';
  /** The BTC close, its SMA and the streak on the decision day. */
  close: number;
  sma: number;
  streak: number;
}

/**
 * The regime signal over a BTC close series, one entry per day (dataset offsets). Every entry
 * depends only on closes up to that day.
 */
export interface RegimeSeries {
  /** SMA of the last `smaDays` closes, NaN before there are that many or on a day without a close. */
  readonly sma: Float64Array;
  /** The state in force after the day's close (after any switch executing at that close). */
  readonly state: Uint8Array;
  /** +1 / −1 on a day a switch to bull / bear is decided (it executes at the next close). */
  readonly decision: Int8Array;
  /** Consecutive closes above bullBand·SMA / below bearBand·SMA, ending that day. */
  readonly above: Uint16Array;
  readonly below: Uint16Array;
  readonly switches: readonly RegimeSwitch[];
  /** First offset with an SMA (the signal can decide from here), or -1. */
  readonly firstSignal: number;
  /** A switch decided on the last day, executing at the next close (not yet in the data); else null. */
  readonly pending: RegimeSwitch | null;
}

/**
 * Computes the regime signal (DESIGN.md §8) in one causal pass:
 * - SMA_t is the mean of the last `smaDays` BTC closes ending at t (days without a close are
 *   skipped, not filled);
 * - a close below bearBand·SMA extends the "below" streak, above bullBand·SMA the "above" streak;
 *   a close inside the band, or a day without a close, ends both streaks (and keeps the state);
 * - when the streak against the current state reaches `confirmDays`, a switch is decided at that
 *   close and executes at the next one, unless it would execute less than
 *   `minSwitchSpacingDays` after the last executed switch: then it is not decided that day, and
 *   is decided on the first later day the streak still holds and the spacing allows;
 * - the state is bear until `smaDays` closes exist.
 *
 * @example computeRegime(btcCloses, CT100_RULES).state[t] === BULL
 */
export function computeRegime(closes: Float64Array, rules: Pick<IndexRules, 'smaDays' | 'bearBand' | 'bullBand' | 'confirmDays' | 'minSwitchSpacingDays'>): RegimeSeries {
  const n = closes.length;
  const sma = new Float64Array(n).fill(Number.NaN);
  const state = new Uint8Array(n);
  const decision = new Int8Array(n);
  const above = new Uint16Array(n);
  const below = new Uint16Array(n);
  const switches: RegimeSwitch[] = [];
  const window = new Float64Array(rules.smaDays);
  let count = 0;
  let current = BEAR;
  let pending: RegimeSwitch | null = null;
  let lastExecuted = Number.NEGATIVE_INFINITY;
  let up = 0;
  let down = 0;
  let firstSignal = -1;

  for (let t = 0; t < n; t++) {
    if (pending !== null && pending.executed === t) {
      current = pending.to === 'bull' ? BULL : BEAR;
      lastExecuted = t;
      switches.push(pending);
      pending = null;
    }
    const c: number = closes[t] ?? Number.NaN;
    if (c !== c) {
      up = 0;
      down = 0;
    } else {
      window[count % rules.smaDays] = c;
      count++;
      if (count >= rules.smaDays) {
        // Summed oldest to newest every day rather than kept as a running sum, so the value is
        // exact to the last bit whatever the history length (no drift in a band comparison).
        let sum = 0;
        for (let k = 0; k < rules.smaDays; k++) sum += window[(count + k) % rules.smaDays] ?? 0;
        const m = sum / rules.smaDays;
        sma[t] = m;
        if (firstSignal < 0) firstSignal = t;
        if (c < rules.bearBand * m) {
          down++;
          up = 0;
        } else if (c > rules.bullBand * m) {
          up++;
          down = 0;
        } else {
          up = 0;
          down = 0;
        }
        const spaced = t + 1 - lastExecuted >= rules.minSwitchSpacingDays;
        if (pending === null && spaced) {
          if (current === BEAR && up >= rules.confirmDays) pending = { decided: t, executed: t + 1, to: 'bull', close: c, sma: m, streak: up };
          else if (current === BULL && down >= rules.confirmDays) pending = { decided: t, executed: t + 1, to: 'bear', close: c, sma: m, streak: down };
          if (pending !== null) decision[t] = pending.to === 'bull' ? 1 : -1;
        }
      }
    }
    above[t] = Math.min(up, 65535);
    below[t] = Math.min(down, 65535);
    state[t] = current;
  }
  return { sma, state, decision, above, below, switches, firstSignal, pending };
}
