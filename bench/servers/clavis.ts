/**
 * Clavis server of bench/http-verify.bench.ts: the real app (`buildApp` with `createServices`)
 * on a SQLite store (WAL, synchronous=normal) in a fresh temp dir, with the operator workspace
 * bootstrapped and one `test` key with scope `prices:read` created through KeyService. Logging
 * is off (`logger: false`), the cache settings are the defaults of src/config.ts, the clock is
 * the system clock.
 *
 * Run: `node --import tsx bench/servers/clavis.ts`. Listens on 127.0.0.1, a free port, and
 * prints `{"port":…,"token":…,"key":…}` as one JSON line on stdout once it accepts connections:
 * the owner admin token and the key, both throwaway. SIGTERM or SIGINT closes the app and the
 * store and removes the temp dir.
 */
import { join } from 'node:path';
import { buildApp } from '../../src/http/app.ts';
import { ephemeralSigner } from '../../src/keyring/local-signer.ts';
import { createServices } from '../../src/services.ts';
import { openSqliteStore } from '../../src/storage/sqlite/sqlite-store.ts';
import { BENCH_CACHE, BENCH_POLICY, tempDir } from '../lib/setup.ts';

const tmp = tempDir();
const store = openSqliteStore({ path: join(tmp.dir, 'clavis.db'), synchronous: 'normal' });
const services = createServices({ store, signer: ephemeralSigner(), policy: BENCH_POLICY, cache: BENCH_CACHE, auditOrigin: 'bench.clavis.local' });
const boot = await services.workspaces.bootstrap('bench');
if (boot === null) throw new Error('clavis server: the fresh store already had an owner');
const acting = { workspaceId: boot.workspace.id, actor: { type: 'system' as const, id: 'bench' } };
const issued = await services.keys.create(acting, { name: 'http-bench', environment: 'test', scopes: ['prices:read'] });

const app = await buildApp({ services, logger: false });
await app.listen({ host: '127.0.0.1', port: 0 });
const address = app.server.address();
if (typeof address !== 'object' || address === null) throw new Error('clavis server: no TCP address');
process.stdout.write(`${JSON.stringify({ port: address.port, token: boot.ownerToken.secret, key: issued.secret })}\n`);

let closing = false;
const stop = (): void => {
  if (closing) return;
  closing = true;
  app
    .close()
    .then(() => store.close())
    .then(() => {
      tmp.remove();
      process.exit(0);
    })
    .catch((err: unknown) => {
      process.stderr.write(`clavis server: close failed: ${err instanceof Error ? err.message : String(err)}\n`);
      tmp.remove();
      process.exit(1);
    });
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
