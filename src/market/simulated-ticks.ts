import { createHash } from 'node:crypto';
import type { PriceView } from './market-service.ts';
import { MS_PER_DAY, parseDay } from './calendar.ts';

/** One simulated intraday price of an asset. */
export interface SimulatedTick {
  id: string;
  symbol: string;
  price: number;
  /** Against the last close, as a fraction. */
  changeFromClose: number;
}

const HOUR = 3_600_000;
/** Periods and amplitudes of the wave sum: slow, medium and fast moves. */
const WAVES: readonly (readonly [periodMs: number, amplitude: number])[] = [
  [6 * HOUR, 0.0035],
  [37 * 60_000, 0.0012],
  [3 * 60_000, 0.0003],
];

/** A phase in [0, 2π) from the asset id, so assets do not move in step. */
function phaseOf(id: string): number {
  return (createHash('sha256').update(id).digest().readUInt32BE(0) / 2 ** 32) * 2 * Math.PI;
}

/**
 * A deterministic, small intraday drift around the last daily close, for the price stream of a
 * provider that has only daily closes (the simulator, files, CoinGecko's daily history). **It is
 * simulated, not market data**: a fixed sum of sine waves of the time since the close, with a
 * phase per asset, zero at the close and never more than ±0.5% away from it. The same asset, close
 * and time always give the same price.
 *
 * @example simulatedTicks(market.latestPrices(['bitcoin']), Date.now())[0]?.price
 */
export function simulatedTicks(prices: readonly PriceView[], nowMs: number): SimulatedTick[] {
  return prices.map((p) => {
    const day = parseDay(p.date);
    // The close of `date` is at 24:00 UTC, i.e. the start of the next day.
    const sinceClose = day === null ? 0 : Math.max(0, nowMs - (day + 1) * MS_PER_DAY);
    const phase = phaseOf(p.id);
    let drift = 0;
    for (const [period, amplitude] of WAVES) drift += amplitude * (Math.sin((2 * Math.PI * sinceClose) / period + phase) - Math.sin(phase));
    // Each wave moves at most 2·amplitude from the close: halved, the sum stays within ±0.5%.
    const change = drift / 2;
    return { id: p.id, symbol: p.symbol, price: p.price * (1 + change), changeFromClose: change };
  });
}
