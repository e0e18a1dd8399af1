#!/usr/bin/env node
// Launcher for `npx clavis`: npm links the bins of workspace packages (not the root package's),
// so this package exists only to put `clavis` on the path. The CLI itself lives in src/cli.
import { register } from 'tsx/esm/api';

register();
await import(new URL('../../../src/cli/main.ts', import.meta.url).href);
