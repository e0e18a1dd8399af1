import { run } from './run.ts';

/**
 * Entry point of `npx clavis` (packages/clavis-cli/bin/clavis.js imports this module): it runs
 * on import. Tests import run() from ./run.ts instead, which has no side effects.
 */
export { run };

// `clavis … | head` closes stdout early; that is the reader's choice, not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});

process.exitCode = await run(process.argv);
