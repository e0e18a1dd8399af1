import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { BatchResult, WorkerInit } from './scan-worker.ts';
import type { WalkedFile } from './walker.ts';

/** Files per message: large enough to amortise the round trip, small enough to balance the load. */
const BATCH_FILES = 16;

/** How many worker threads a scan of this size gets: one per core, at most 4, at least 1. */
export function workerCount(requested?: number): number {
  return Math.max(1, Math.min(requested ?? availableParallelism(), 4));
}

/**
 * The worker runs the TypeScript sources like the rest of the CLI: a small bootstrap registers
 * tsx's ESM hooks in the worker thread, then imports scan-worker.ts.
 */
function bootstrap(): string {
  // tsx's ESM entry sits next to the CommonJS one that require.resolve finds.
  const api = pathToFileURL(join(dirname(createRequire(import.meta.url).resolve('tsx/esm/api')), 'index.mjs')).href;
  const entry = new URL('./scan-worker.ts', import.meta.url).href;
  return `import(${JSON.stringify(api)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); });`;
}

/**
 * Scans `files` on `workers` threads; `onBatch` gets each batch's result as it arrives (in any
 * order). Rejects when a worker fails; every worker is stopped at the end either way.
 */
export async function scanInWorkers(files: readonly WalkedFile[], init: WorkerInit, workers: number, onBatch: (r: BatchResult) => void): Promise<void> {
  const batches: WalkedFile[][] = [];
  for (let i = 0; i < files.length; i += BATCH_FILES) batches.push(files.slice(i, i + BATCH_FILES));
  const code = bootstrap();
  const pool = Array.from({ length: Math.min(workers, batches.length) }, () => new Worker(code, { eval: true, workerData: init }));
  let next = 0;
  try {
    await Promise.all(
      pool.map(
        (w) =>
          new Promise<void>((resolve, reject) => {
            const feed = (): void => {
              const batch = batches[next++];
              if (batch === undefined) resolve();
              else w.postMessage(batch);
            };
            w.on('message', (r: BatchResult) => {
              onBatch(r);
              feed();
            });
            w.once('error', reject);
            w.once('exit', (exitCode) => {
              if (exitCode !== 0) reject(new Error(`a scan worker stopped with exit code ${exitCode}`));
            });
            feed();
          }),
      ),
    );
  } finally {
    await Promise.all(pool.map((w) => w.terminate()));
  }
}
