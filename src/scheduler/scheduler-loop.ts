import type { Scheduler } from './scheduler.ts';
import type { TickReport } from './tick-report.ts';

export interface SchedulerLoop {
  /** Ends the timer, waits for a running tick and gives up the lease (another node takes over at once). */
  stop(): Promise<void>;
}

/**
 * Ticks the scheduler every `intervalMs` on this node; the lease in the database decides which
 * node acts, the others find it held. A tick still running when the next is due is joined, not
 * doubled. The timer does not keep the process alive.
 *
 * @example const loop = startSchedulerLoop(services.scheduler, { intervalMs: 60_000, onReport: log }); … await loop.stop()
 */
export function startSchedulerLoop(scheduler: Pick<Scheduler, 'tick' | 'release'>, opts: { intervalMs: number; onReport?: (report: TickReport) => void; onError?: (err: unknown) => void }): SchedulerLoop {
  if (!(opts.intervalMs > 0)) throw new RangeError('the scheduler interval must be positive (0 means: do not start the loop)');
  let stopped = false;
  const timer = setInterval(() => {
    if (stopped) return;
    scheduler.tick().then(
      (report) => opts.onReport?.(report),
      (err: unknown) => opts.onError?.(err),
    );
  }, opts.intervalMs);
  timer.unref();
  return {
    stop: async () => {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      await scheduler.release();
    },
  };
}
