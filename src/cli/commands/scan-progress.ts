import type { ScanProgress } from '../../scan/scanner.ts';

/** Redraws at most this often: a terminal repaint per file would cost more than the scan. */
const INTERVAL_MS = 100;
const WIDTH = 24;

/**
 * A one-line progress bar on stderr, redrawn in place; `done()` erases it so the report starts
 * on a clean line. Only used when stderr is a terminal.
 */
export function progressBar(write: (text: string) => void, now: () => number = () => performance.now()): { update: (p: ScanProgress) => void; done: () => void } {
  let last = -Infinity;
  let drawn = false;
  return {
    update: (p) => {
      const t = now();
      if (t - last < INTERVAL_MS && p.done !== p.total) return;
      last = t;
      const ratio = p.total > 0 ? Math.min(1, p.done / p.total) : 0;
      const filled = Math.round(ratio * WIDTH);
      const mib = (p.bytes / 1024 / 1024).toFixed(1);
      const count = p.total > 0 ? `${p.done}/${p.total}` : `${p.done}`;
      write(`\r\u001b[K[${'#'.repeat(filled)}${'.'.repeat(WIDTH - filled)}] ${Math.round(ratio * 100)}% ${count} ${p.unit}, ${mib} MiB`);
      drawn = true;
    },
    done: () => {
      if (drawn) write('\r\u001b[K');
    },
  };
}
