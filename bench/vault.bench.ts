/**
 * The secrets vault: secret writes and reads per second on SQLite (synchronous=normal), one line
 * per key provider — the local keyring, and SoftHSM2 through PKCS#11 when it is installed.
 * A write is SecretsService.put (fresh data key, AES-256-GCM of the value, data key wrapped by the
 * provider, check-and-set commit with its audit event); a read is SecretsService.get (provider
 * unwrap, decrypt, audit event committed before the value is returned).
 * Baseline: bare AES-256-GCM encrypt (and, for reads, decrypt) of the same value in-process.
 */
import { execFileSync } from 'node:child_process';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KeyProvider } from '../src/core/ports/key-provider.ts';
import type { Store } from '../src/core/ports/store.ts';
import { ephemeralLocalKeyring } from '../src/keyring/local-keyring.ts';
import { openPkcs11Provider } from '../src/keyring/pkcs11-provider.ts';
import { openSqliteStore } from '../src/storage/sqlite/sqlite-store.ts';
import { compareAll, emit, latencyExtras, note, round } from './lib/measure.ts';
import { servicesWithWorkspace, tempDir } from './lib/setup.ts';

const VALUE = `bn_${randomBytes(24).toString('base64url')}`;
const SOFTHSM = ['/usr/lib/softhsm/libsofthsm2.so', '/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so'].find((p) => existsSync(p));

const key = randomBytes(32);
const aad = Buffer.from('bench');
let sealed = Buffer.alloc(0);
const encrypt = (): Buffer => {
  const iv = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', key, iv);
  c.setAAD(aad);
  const body = Buffer.concat([c.update(VALUE, 'utf8'), c.final()]);
  sealed = Buffer.concat([iv, body, c.getAuthTag()]);
  return sealed;
};
const decrypt = (): Buffer => {
  const d = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, 12));
  d.setAAD(aad);
  d.setAuthTag(sealed.subarray(sealed.length - 16));
  return Buffer.concat([d.update(sealed.subarray(12, sealed.length - 16)), d.final()]);
};

async function run(name: string, store: Store, open: (store: Store) => Promise<KeyProvider>): Promise<void> {
  const { services, acting } = await servicesWithWorkspace(store);
  const provider = await open(store);
  services.keyring.unseal(provider);
  const ref = (i: number) => ({ workspaceId: acting.workspaceId, environment: 'live' as const, path: `exchanges/bench/${i % 1000}` });
  for (let i = 0; i < 1000; i += 1) await services.secrets.put(acting, ref(i), VALUE);
  encrypt();
  const [write, enc, read, dec] = await compareAll(
    [
      { kind: 'async', op: (i) => services.secrets.put(acting, ref(i), VALUE) },
      { kind: 'sync', op: encrypt },
      {
        kind: 'async',
        op: async (i) => {
          const r = await services.secrets.get(acting, ref(i));
          if (r.value !== VALUE) throw new Error('read gave another value');
        },
      },
      { kind: 'sync', op: decrypt },
    ],
    { warmup: 200, iterations: 40_000, maxMs: 6000, rounds: 4 },
  );
  if (write === undefined || enc === undefined || read === undefined || dec === undefined) throw new Error('lost a side');
  emit({
    name: `vault.secrets.${name}.sqlite.normal`,
    unit: 'ops/s',
    value: write.opsPerSec,
    baseline: { name: 'aes-256-gcm-encrypt-same-value', value: enc.opsPerSec },
    n: write.ops,
    provider: provider.description,
    writeOpsPerSec: round(write.opsPerSec),
    readOpsPerSec: round(read.opsPerSec),
    readBaseline: { name: 'aes-256-gcm-decrypt-same-value', value: round(dec.opsPerSec) },
    readRatio: round(read.opsPerSec / dec.opsPerSec, 4),
    readN: read.ops,
    valueBytes: VALUE.length,
    ...latencyExtras('write', write),
    ...latencyExtras('read', read),
  });
  await provider.close();
}

const tmp = tempDir();
try {
  const local = openSqliteStore({ path: join(tmp.dir, 'local.db'), synchronous: 'normal' });
  try {
    await run('local', local, (store) => ephemeralLocalKeyring(store, { now: () => Date.now() }));
  } finally {
    await local.close();
  }

  if (SOFTHSM === undefined) {
    note('vault: SoftHSM2 is not installed (apt-get install softhsm2): no PKCS#11 line');
  } else {
    const tokens = join(tmp.dir, 'tokens');
    mkdirSync(tokens);
    const conf = join(tmp.dir, 'softhsm2.conf');
    writeFileSync(conf, `directories.tokendir = ${tokens}\nobjectstore.backend = file\nlog.level = ERROR\n`);
    process.env.SOFTHSM2_CONF = conf;
    execFileSync('softhsm2-util', ['--init-token', '--free', '--label', 'bench', '--pin', '1234', '--so-pin', '5678'], { stdio: 'pipe' });
    const hsm = openSqliteStore({ path: join(tmp.dir, 'hsm.db'), synchronous: 'normal' });
    try {
      await run('softhsm2', hsm, async (store) => {
        const p = await openPkcs11Provider({ module: SOFTHSM, tokenLabel: 'bench', pin: '1234', keyLabel: 'clavis', withSigningKey: true });
        await p.ensureVersion(1);
        await store.keyring.create({ provider: 'pkcs11', currentVersion: 1, minDecryptionVersion: 1, providerData: {}, createdAt: Date.now(), updatedAt: Date.now() });
        return p;
      });
    } finally {
      await hsm.close();
    }
  }
} finally {
  tmp.remove();
  note('vault: done');
}
