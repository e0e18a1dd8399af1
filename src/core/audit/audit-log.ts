import type { Clock } from '../clock.ts';
import { ClavisError } from '../errors/registry.ts';
import type { IdGenerator } from '../ids.ts';
import type { AuditActor, AuditCheckpoint, AuditEvent, AuditTarget } from '../model.ts';
import type { CheckpointSigner } from '../ports/signer.ts';
import type { AuditRepo, Repos } from '../ports/store.ts';
import { MerkleTree, leafHashOfEvent } from './merkle.ts';
import { checkpointBody, encodeVerifierKey, signNote } from './signed-note.ts';

export interface AuditEntryInput {
  workspaceId: string;
  actor: AuditActor;
  action: string;
  target: AuditTarget | null;
  data: Record<string, unknown>;
}

export interface InclusionProof {
  seq: number;
  leafHash: string;
  treeSize: number;
  rootHash: string;
  proof: string[];
  checkpoint: AuditCheckpoint;
}

export interface AuditLogDeps {
  audit: AuditRepo;
  signer: CheckpointSigner;
  clock: Clock;
  ids: IdGenerator;
  /** Log-wide origin prefix; a workspace's checkpoints carry `<origin>/<workspaceId>`. */
  origin: string;
  /**
   * Called with each appended event, in the same transaction (the webhook outbox): what it writes
   * commits with the event, or neither does.
   */
  onAppend?: (tx: Repos, event: AuditEvent) => Promise<void>;
}

/**
 * The workspace audit logs: appends inside the caller's transaction, keeps an in-memory Merkle
 * tree per workspace (loaded from the store incrementally, so several nodes stay in step) and
 * signs checkpoints.
 */
export class AuditLog {
  readonly #deps: AuditLogDeps;
  readonly #trees = new Map<string, MerkleTree>();
  readonly #loading = new Map<string, Promise<MerkleTree>>();

  constructor(deps: AuditLogDeps) {
    this.#deps = deps;
  }

  /** The verifier key (C2SP note form) an auditor uses to check checkpoints offline. */
  get verifierKey(): string {
    return encodeVerifierKey(this.#deps.signer.keyName, this.#deps.signer.publicKeyRaw);
  }

  originOf(workspaceId: string): string {
    return `${this.#deps.origin}/${workspaceId}`;
  }

  /**
   * Appends an event in the transaction `tx`: the event commits with the change it records, or
   * neither does.
   */
  async append(tx: Repos, input: AuditEntryInput): Promise<AuditEvent> {
    const seq = await tx.audit.nextSeq(input.workspaceId);
    const event: AuditEvent = {
      id: this.#deps.ids('evt'),
      workspaceId: input.workspaceId,
      seq,
      time: new Date(this.#deps.clock.now()).toISOString(),
      actor: input.actor,
      action: input.action,
      target: input.target,
      data: input.data,
    };
    await tx.audit.insert(event, leafHashOfEvent(event).toString('hex'));
    await this.#deps.onAppend?.(tx, event);
    return event;
  }

  /** The Merkle tree of the workspace, brought up to the store's current size. */
  async tree(workspaceId: string): Promise<MerkleTree> {
    const pending = this.#loading.get(workspaceId);
    if (pending !== undefined) return pending;
    const run = this.#sync(workspaceId).finally(() => this.#loading.delete(workspaceId));
    this.#loading.set(workspaceId, run);
    return run;
  }

  async #sync(workspaceId: string): Promise<MerkleTree> {
    let tree = this.#trees.get(workspaceId);
    if (tree === undefined) {
      tree = new MerkleTree();
      this.#trees.set(workspaceId, tree);
    }
    const size = await this.#deps.audit.size(workspaceId);
    const batch = 10_000;
    while (tree.size < size) {
      const to = Math.min(size, tree.size + batch);
      const hashes = await this.#deps.audit.leafHashes(workspaceId, tree.size, to);
      if (hashes.length !== to - tree.size) throw new Error(`audit log of ${workspaceId}: expected ${to - tree.size} leaves, store gave ${hashes.length}`);
      for (const h of hashes) tree.append(Buffer.from(h, 'hex'));
    }
    return tree;
  }

  /**
   * Signs a checkpoint of the workspace log at its current size. Returns the existing one when
   * the log has not grown since.
   */
  async checkpoint(workspaceId: string): Promise<AuditCheckpoint | null> {
    const tree = await this.tree(workspaceId);
    const latest = await this.#deps.audit.latestCheckpoint(workspaceId);
    if (latest !== null && latest.treeSize === tree.size) return latest;
    if (tree.size === 0) return null;
    const root = tree.root(tree.size);
    const body = checkpointBody(this.originOf(workspaceId), tree.size, root);
    const note = await signNote(body, this.#deps.signer.keyName, (m) => this.#deps.signer.sign(m), this.#deps.signer.publicKeyRaw);
    const cp: AuditCheckpoint = {
      workspaceId,
      treeSize: tree.size,
      rootHash: root.toString('hex'),
      createdAt: this.#deps.clock.now(),
      note,
    };
    await this.#deps.audit.insertCheckpoint(cp);
    return cp;
  }

  /** Checkpoints every workspace whose log grew since its last checkpoint. */
  async checkpointAll(): Promise<number> {
    const ids = await this.#deps.audit.workspacesNeedingCheckpoint();
    for (const id of ids) await this.checkpoint(id);
    return ids.length;
  }

  /**
   * Inclusion proof of event `seq` in the smallest signed checkpoint that covers it, or in the
   * checkpoint of size `treeSize` when given.
   */
  async inclusionProof(workspaceId: string, seq: number, treeSize?: number): Promise<InclusionProof> {
    const stored = await this.#deps.audit.findBySeq(workspaceId, seq);
    if (stored === null) throw new ClavisError('AUDIT_EVENT_NOT_FOUND', `no audit event with seq ${seq}`);
    const cp =
      treeSize === undefined
        ? await this.#deps.audit.checkpointCovering(workspaceId, seq + 1)
        : (await this.#deps.audit.checkpointCovering(workspaceId, treeSize));
    if (cp === null || cp.treeSize <= seq || (treeSize !== undefined && cp.treeSize !== treeSize)) {
      throw new ClavisError('CHECKPOINT_NOT_FOUND', treeSize === undefined ? `no checkpoint covers seq ${seq} yet` : `no checkpoint of tree size ${treeSize}`);
    }
    const tree = await this.tree(workspaceId);
    return {
      seq,
      leafHash: stored.leafHash,
      treeSize: cp.treeSize,
      rootHash: cp.rootHash,
      proof: tree.inclusionProof(seq, cp.treeSize).map((b) => b.toString('hex')),
      checkpoint: cp,
    };
  }

  /** Consistency proof between two tree sizes of the workspace log. */
  async consistencyProof(workspaceId: string, from: number, to: number): Promise<string[]> {
    const tree = await this.tree(workspaceId);
    if (from > to || to > tree.size) throw new ClavisError('VALIDATION_FAILED', `need 0 <= from <= to <= ${tree.size}`);
    return tree.consistencyProof(from, to).map((b) => b.toString('hex'));
  }
}
