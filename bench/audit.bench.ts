/**
 * The audit log, three figures:
 * 1. AuditLog.append in its own transaction on SQLite (synchronous=normal), against the same
 *    transaction holding only a bare insert of a prebuilt event of the same shape: the cost of
 *    seq reservation, id, timestamp, canonical JSON and leaf hash on top of the write.
 * 2. AuditLog.checkpoint of a log that grew by one event since the last one (tree sync, root,
 *    signed note with its self-check, checkpoint row), against a bare Ed25519 signature of a
 *    checkpoint body of the same size.
 * 3. MerkleTree.append of 100k leaves plus root(), against a bare SHA-256 of the same 100k leaves.
 */
import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { join } from 'node:path';
import type { AuditEntryInput } from '../src/core/audit/audit-log.ts';
import { MerkleTree, hashLeaf } from '../src/core/audit/merkle.ts';
import { checkpointBody } from '../src/core/audit/signed-note.ts';
import type { AuditEvent } from '../src/core/model.ts';
import { openSqliteStore } from '../src/storage/sqlite/sqlite-store.ts';
import { compare, emit, latencyExtras, measure, note, round } from './lib/measure.ts';
import { servicesWithWorkspace, tempDir } from './lib/setup.ts';

const LEAVES = 100_000;

const tmp = tempDir();
const store = openSqliteStore({ path: join(tmp.dir, 'clavis.db'), synchronous: 'normal' });
try {
  const { services, acting } = await servicesWithWorkspace(store);
  const { audit } = services;
  const workspaceId = acting.workspaceId;

  // What a key change records (the shape of KeyService's audit data).
  const entry = (i: number): AuditEntryInput => ({
    workspaceId,
    actor: { type: 'token', id: 'tok_0000000000000000000001' },
    action: 'key.updated',
    target: { type: 'key', id: `key_${i.toString().padStart(22, '0')}` },
    data: {
      name: `bench-key-${i}`,
      environment: 'live',
      start: 'clv_live_Ab3x',
      scopes: ['prices:read', 'signals:read'],
      status: 'active',
      expiresAt: '2025-04-01T00:00:00.000Z',
      ipAllowlist: [],
      ownerId: null,
      changed: ['name'],
    },
  });
  const appendOne = (i: number) => store.transact((tx) => audit.append(tx, entry(i)));

  // The baseline writes to a workspace of its own, so both logs stay gapless.
  const baselineWs = 'ws_9999999999999999999999';
  const leafHex = hashLeaf(Buffer.from('bench')).toString('hex');
  const bareEvent = (i: number): AuditEvent => ({
    ...entry(i),
    workspaceId: baselineWs,
    id: `evt_${i.toString().padStart(22, '0')}`,
    seq: i,
    time: '2025-01-01T00:00:00.000Z',
  });

  // 1. append
  const appended = await compare(
    { kind: 'async', op: (i) => appendOne(i) },
    { kind: 'async', op: (i) => store.transact((tx) => tx.audit.insert(bareEvent(i), leafHex)) },
    { warmup: 500, iterations: 100_000, maxMs: 2500, rounds: 5 },
  );
  const logSize = await store.audit.size(workspaceId);
  const sample = await store.audit.findBySeq(workspaceId, logSize - 1);
  emit({
    name: 'audit.append.sqlite.normal',
    unit: 'ops/s',
    value: appended.subject.opsPerSec,
    baseline: { name: 'same-transaction-bare-insert', value: appended.baseline.opsPerSec },
    n: appended.subject.ops,
    baselineN: appended.baseline.ops,
    synchronous: 'normal',
    eventBytes: JSON.stringify(sample?.event ?? null).length,
    ...latencyExtras('', appended.subject),
    ...latencyExtras('baseline', appended.baseline),
  });

  // 2. checkpoint: each one follows a fresh (untimed) append, so there is always something to sign.
  const { privateKey } = generateKeyPairSync('ed25519');
  const body = Buffer.from(checkpointBody(audit.originOf(workspaceId), logSize, hashLeaf(Buffer.from('root'))), 'utf8');
  let lastSize = 0;
  const checkpoints = await compare(
    {
      kind: 'async',
      before: async (i) => {
        await appendOne(logSize + i);
      },
      op: async () => {
        const cp = await audit.checkpoint(workspaceId);
        if (cp === null || cp.treeSize <= lastSize) throw new Error('checkpoint: the log grew but no new checkpoint was signed');
        lastSize = cp.treeSize;
      },
    },
    { kind: 'sync', op: () => sign(null, body, privateKey) },
    { warmup: 50, iterations: 50_000, maxMs: 1500, rounds: 5 },
  );
  emit({
    name: 'audit.checkpoint.sqlite.normal',
    unit: 'ops/s',
    value: checkpoints.subject.opsPerSec,
    baseline: { name: 'ed25519-sign-of-checkpoint-body', value: checkpoints.baseline.opsPerSec },
    n: checkpoints.subject.ops,
    baselineN: checkpoints.baseline.ops,
    treeSize: lastSize,
    ...latencyExtras('', checkpoints.subject),
    ...latencyExtras('baseline', checkpoints.baseline),
  });

  // 3. Merkle: one timed sample is one whole tree of LEAVES leaves and its root.
  const leaves = Array.from({ length: LEAVES }, (_, i) => hashLeaf(Buffer.from(`leaf ${i}`, 'utf8')));
  const leaf = (i: number): Buffer => {
    const h = leaves[i % LEAVES];
    if (h === undefined) throw new Error('merkle: no leaf');
    return h;
  };
  let tree = new MerkleTree();
  let root: Buffer = Buffer.alloc(0);
  const rounds = 5;
  const merkle = await compare(
    {
      kind: 'sync',
      op: (i) => {
        if (i % LEAVES === 0) tree = new MerkleTree();
        tree.append(leaf(i));
        if (i % LEAVES === LEAVES - 1) root = tree.root();
      },
    },
    { kind: 'sync', op: (i) => createHash('sha256').update(leaf(i)).digest() },
    { warmup: LEAVES, iterations: rounds * 20 * LEAVES, maxMs: 2000, batch: LEAVES, rounds },
  );
  if (tree.size !== LEAVES || root.length !== 32) throw new Error('merkle: the last tree was not completed');
  const rootOnly = await measure({ kind: 'sync', op: () => tree.root() }, { warmup: 1000, iterations: 200_000, maxMs: 500, batch: 100 });
  emit({
    name: 'audit.merkle.append+root.100k',
    unit: 'ops/s',
    value: merkle.subject.opsPerSec,
    baseline: { name: 'sha256-of-each-leaf', value: merkle.baseline.opsPerSec },
    n: merkle.subject.ops,
    baselineN: merkle.baseline.ops,
    leavesPerTree: LEAVES,
    msPerTree: round((LEAVES / merkle.subject.opsPerSec) * 1000, 4),
    baselineMsPerTree: round((LEAVES / merkle.baseline.opsPerSec) * 1000, 4),
    rootUs: round(1e6 / rootOnly.opsPerSec, 4),
  });
} finally {
  await store.close();
  tmp.remove();
  note('audit: done');
}
