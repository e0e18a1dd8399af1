import type { AuditEvent, StoredAuditEvent } from '../model.ts';
import { canonicalJson } from './canonical-json.ts';
import { MerkleTree, leafHashOfEvent } from './merkle.ts';
import { openNote, parseVerifierKey } from './signed-note.ts';
import type { VerifierKey } from './signed-note.ts';

/** The `type` of a bundle's header line. */
export const BUNDLE_TYPE = 'clavis.audit.bundle';
/** The bundle format version this module writes and reads. */
export const BUNDLE_VERSION = 1;

/** The first line of a bundle. */
export interface BundleHeader {
  type: typeof BUNDLE_TYPE;
  version: typeof BUNDLE_VERSION;
  workspaceId: string;
  /** The checkpoint origin of the workspace's log. */
  origin: string;
  /** Encoded C2SP verifier key of the log (see encodeVerifierKey). */
  verifierKey: string;
  /** ISO 8601. */
  exportedAt: string;
}

/** What {@link formatBundle} needs for the header; it adds type and version itself. */
export type BundleHeaderFields = Omit<BundleHeader, 'type' | 'version'>;

/** A checkpoint as {@link formatBundle} takes it; an AuditCheckpoint fits. */
export interface BundleCheckpoint {
  treeSize: number;
  /** Hex. */
  rootHash: string;
  /** Epoch milliseconds or ISO 8601; written as ISO 8601. */
  createdAt: number | string;
  /** The C2SP signed note. */
  note: string;
}

export type ProblemKind =
  | 'malformed'
  | 'gap'
  | 'out-of-order'
  | 'duplicate'
  | 'altered'
  | 'bad-signature'
  | 'root-mismatch'
  | 'uncovered'
  | 'wrong-workspace';

/** One finding of {@link verifyBundle}. */
export interface Problem {
  /** 1-based line of the bundle the problem is at. */
  line: number;
  /** The event's seq, when the problem is about one event. */
  seq?: number;
  kind: ProblemKind;
  message: string;
}

/** The verdict on a bundle. Problems are in file order; the first is the first bad entry. */
export interface BundleReport {
  ok: boolean;
  /** Well-formed event lines read. */
  events: number;
  /** Well-formed checkpoint lines read. */
  checkpoints: number;
  problems: Problem[];
}

export interface VerifyBundleOptions {
  /**
   * The trusted verifier key (encoded). Without it the header's own key is used, which proves
   * only that the bundle is self-consistent, not who signed it.
   */
  verifierKey?: string;
}

/**
 * Formats an export bundle as JSON Lines: the header, then one line per event in the order
 * given, then one line per checkpoint. Events are written as canonical JSON so that the same
 * log always exports to the same bytes.
 *
 * @example
 * const text = formatBundle(
 *   { workspaceId, origin, verifierKey, exportedAt: new Date().toISOString() },
 *   storedEvents,
 *   checkpoints,
 * );
 */
export function formatBundle(
  header: BundleHeaderFields,
  events: readonly StoredAuditEvent[],
  checkpoints: readonly BundleCheckpoint[],
): string {
  const lines: string[] = [
    JSON.stringify({
      type: BUNDLE_TYPE,
      version: BUNDLE_VERSION,
      workspaceId: header.workspaceId,
      origin: header.origin,
      verifierKey: header.verifierKey,
      exportedAt: header.exportedAt,
    }),
  ];
  for (const { event, leafHash } of events) {
    lines.push(`{"type":"event","event":${canonicalJson(event)},"leafHash":${JSON.stringify(leafHash)}}`);
  }
  for (const c of checkpoints) {
    const createdAt = typeof c.createdAt === 'number' ? new Date(c.createdAt).toISOString() : c.createdAt;
    lines.push(
      JSON.stringify({ type: 'checkpoint', treeSize: c.treeSize, rootHash: c.rootHash, createdAt, note: c.note }),
    );
  }
  return `${lines.join('\n')}\n`;
}

/**
 * Verifies a bundle's text; see {@link BundleVerifier} for the rules. Throws a TypeError only
 * when `opts.verifierKey` itself is not a valid verifier key; everything wrong with the bundle
 * is reported in the result.
 *
 * @example
 * const report = verifyBundle(text, { verifierKey: trustedKey });
 * if (!report.ok) console.error(report.problems[0]); // the first bad entry
 */
export function verifyBundle(text: string, opts: VerifyBundleOptions = {}): BundleReport {
  const verifier = new BundleVerifier(opts);
  const lines = text.split('\n');
  // A final newline terminates the last line rather than starting an empty one.
  if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();
  for (const line of lines) verifier.push(line);
  return verifier.finish();
}

/** Seqs skipped at one line, kept until they turn up later (a reordering) or never do (a gap). */
interface MissingRange {
  from: number;
  to: number;
  problem: Problem;
}

const HEX_HASH = /^[0-9a-f]{64}$/;

/**
 * Line-by-line bundle verifier, for callers that stream a large bundle instead of holding its
 * text. It keeps the Merkle tree of leaf hashes (64 bytes per event) and two numbers per event,
 * never the events.
 *
 * The rules: line 1 is a valid header. The trust anchor is `opts.verifierKey` when given (a
 * header key that differs is a problem) and the header's key otherwise. Every event belongs to
 * the header's workspace and carries seq 0, 1, 2, … in file order; a skipped seq is a gap, an
 * event met before or after its place is a reordering, a repeated seq a duplicate. Each event's
 * recomputed leaf hash equals its recorded one. Every checkpoint's note verifies under the key,
 * names the header's origin, agrees with the line's size and root, and its root equals the root
 * of the first treeSize events as recomputed from the events themselves. At least one
 * checkpoint exists and the largest covers every event; events beyond it are reported at the
 * first of them.
 *
 * @example
 * const verifier = new BundleVerifier({ verifierKey });
 * for await (const line of readline.createInterface({ input: createReadStream(path) })) verifier.push(line);
 * const report = verifier.finish();
 */
export class BundleVerifier {
  readonly #anchor: VerifierKey | null = null;
  #key: VerifierKey | null = null;
  #workspaceId: string | null = null;
  #origin: string | null = null;
  #line = 0;
  readonly #problems: Problem[] = [];
  /** Built from recomputed leaf hashes, in file order: the tree the signatures must match. */
  readonly #tree = new MerkleTree();
  /** Line and seq of each event, by position, to place problems found after the fact. */
  readonly #eventLines: number[] = [];
  readonly #eventSeqs: number[] = [];
  #nextSeq = 0;
  readonly #missing: MissingRange[] = [];
  /** Seqs met before their place; reaching their place later proves a reordering. */
  readonly #ahead = new Map<number, Problem>();
  /** A jump ahead not yet classified: see #sequence. */
  #pending: { expected: number; found: number; problem: Problem } | null = null;
  #checkpoints = 0;
  #sawCheckpoint = false;
  #largestTreeSize = -1;
  /** Size of the largest checkpoint that verified and matched: the events before it are sound. */
  #goodSize = 0;
  #finished = false;

  /** Throws a TypeError when `opts.verifierKey` is not a valid verifier key. */
  constructor(opts: VerifyBundleOptions = {}) {
    if (opts.verifierKey !== undefined) this.#anchor = parseVerifierKey(opts.verifierKey);
    this.#key = this.#anchor;
  }

  /** Feeds the next line of the bundle, without its line terminator. */
  push(line: string): void {
    if (this.#finished) throw new Error('bundle verifier: push after finish');
    this.#line++;
    const value = this.#parse(line);
    if (value === null) return;
    if (this.#line === 1) {
      if (value.type === BUNDLE_TYPE) {
        this.#header(value);
        return;
      }
      this.#problem('malformed', 'line 1 is not a bundle header');
    }
    switch (value.type) {
      case 'event':
        this.#event(value);
        return;
      case 'checkpoint':
        this.#checkpoint(value);
        return;
      case BUNDLE_TYPE:
        this.#problem('malformed', 'a second bundle header');
        return;
      default:
        this.#problem('malformed', 'unknown line type');
    }
  }

  /** Ends the bundle and returns the report; the verifier takes no more lines. */
  finish(): BundleReport {
    if (!this.#finished) {
      this.#finished = true;
      this.#checkEnd();
    }
    // Problems found after the fact (reorderings, uncovered events) are placed at their line.
    const problems = this.#problems.map((p, i) => ({ p, i }));
    problems.sort((a, b) => a.p.line - b.p.line || a.i - b.i);
    return {
      ok: problems.length === 0,
      events: this.#tree.size,
      checkpoints: this.#checkpoints,
      problems: problems.map(({ p }) => ({ ...p })),
    };
  }

  #problem(kind: ProblemKind, message: string, seq?: number, line = this.#line): Problem {
    const problem: Problem = seq === undefined ? { line, kind, message } : { line, seq, kind, message };
    this.#problems.push(problem);
    return problem;
  }

  #parse(line: string): Record<string, unknown> | null {
    if (line.trim() === '') {
      this.#problem('malformed', 'empty line');
      return null;
    }
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      this.#problem('malformed', 'not JSON');
      return null;
    }
    if (!isRecord(value)) {
      this.#problem('malformed', 'not a JSON object');
      return null;
    }
    return value;
  }

  #header(value: Record<string, unknown>): void {
    const faults: string[] = [];
    if (value.version !== BUNDLE_VERSION) faults.push(`version must be ${BUNDLE_VERSION}`);
    if (typeof value.workspaceId === 'string' && value.workspaceId !== '') this.#workspaceId = value.workspaceId;
    else faults.push('no workspaceId');
    if (typeof value.origin === 'string' && value.origin !== '') this.#origin = value.origin;
    else faults.push('no origin');
    if (typeof value.exportedAt !== 'string' || Number.isNaN(Date.parse(value.exportedAt))) faults.push('no exportedAt');
    let headerKey: VerifierKey | null = null;
    if (typeof value.verifierKey !== 'string') faults.push('no verifierKey');
    else {
      try {
        headerKey = parseVerifierKey(value.verifierKey);
      } catch (error) {
        faults.push(error instanceof Error ? error.message : 'invalid verifierKey');
      }
    }
    if (faults.length > 0) this.#problem('malformed', `bad header: ${faults.join('; ')}`);
    if (this.#anchor === null) {
      this.#key = headerKey;
    } else if (headerKey !== null && !sameKey(headerKey, this.#anchor)) {
      this.#problem(
        'bad-signature',
        `the header's verifier key ${describeKey(headerKey)} is not the trusted key ${describeKey(this.#anchor)}`,
      );
    }
  }

  #event(value: Record<string, unknown>): void {
    const { event, leafHash } = value;
    if (!isAuditEvent(event)) {
      this.#problem('malformed', `bad event: ${eventFault(event) ?? 'invalid'}`);
      return;
    }
    if (typeof leafHash !== 'string' || !HEX_HASH.test(leafHash)) {
      this.#problem('malformed', 'bad event line: leafHash must be 64 lowercase hex digits', event.seq);
      return;
    }
    let recomputed: Buffer;
    try {
      recomputed = leafHashOfEvent(event);
    } catch (error) {
      this.#problem('malformed', `bad event: ${error instanceof Error ? error.message : 'not serialisable'}`, event.seq);
      return;
    }
    const { seq } = event;
    if (this.#sawCheckpoint) this.#problem('malformed', 'event after the checkpoint lines', seq);
    this.#tree.append(recomputed);
    this.#eventLines.push(this.#line);
    this.#eventSeqs.push(seq);
    if (this.#workspaceId !== null && event.workspaceId !== this.#workspaceId) {
      this.#problem('wrong-workspace', `event seq ${seq} belongs to ${event.workspaceId}, not ${this.#workspaceId}`, seq);
    }
    this.#sequence(seq);
    if (recomputed.toString('hex') !== leafHash) {
      this.#problem(
        'altered',
        `event seq ${seq} was altered: its content hashes to ${recomputed.toString('hex')}, the bundle records ${leafHash}`,
        seq,
      );
    }
  }

  /**
   * Seq bookkeeping. A line whose seq jumps ahead is ambiguous until the next event: if that one
   * resumes at the seq expected before the jump, the jumping line is the intruder (an inserted or
   * moved event), otherwise the skipped seqs are missing. Deciding one event late keeps a single
   * insertion or removal from turning every later event into a problem.
   */
  #sequence(seq: number): void {
    const pending = this.#pending;
    if (pending !== null) {
      this.#pending = null;
      if (seq === pending.expected) {
        this.#ahead.set(pending.found, pending.problem);
      } else {
        this.#missing.push({ from: pending.expected, to: pending.found - 1, problem: pending.problem });
        this.#nextSeq = pending.found + 1;
        this.#skipAhead();
      }
    }
    if (seq === this.#nextSeq) {
      this.#nextSeq++;
      this.#skipAhead();
      return;
    }
    if (seq > this.#nextSeq) {
      if (this.#ahead.has(seq)) {
        this.#problem('duplicate', `seq ${seq} appears again (seq ${this.#nextSeq} expected)`, seq);
        return;
      }
      // Reported as a gap until the next event or a later line shows the events were reordered.
      const problem = this.#problem('gap', `seq ${this.#nextSeq} expected, found ${seq}`, seq);
      this.#pending = { expected: this.#nextSeq, found: seq, problem };
      return;
    }
    const index = this.#missing.findIndex((r) => r.from <= seq && seq <= r.to);
    const range = this.#missing[index];
    if (range === undefined) {
      this.#problem('duplicate', `seq ${seq} appears again (seq ${this.#nextSeq} expected)`, seq);
      return;
    }
    const pieces: MissingRange[] = [];
    if (range.from < seq) pieces.push({ from: range.from, to: seq - 1, problem: range.problem });
    if (seq < range.to) pieces.push({ from: seq + 1, to: range.to, problem: range.problem });
    this.#missing.splice(index, 1, ...pieces);
    const earlier = range.problem;
    if (earlier.kind === 'gap') {
      earlier.kind = 'out-of-order';
      earlier.message += `: events out of order (seq ${seq} comes later, at line ${this.#line})`;
    }
    this.#problem('out-of-order', `seq ${seq} out of order: it belongs before line ${earlier.line}`, seq);
  }

  /** Steps over seqs already seen ahead of their place, which proves those events were moved. */
  #skipAhead(): void {
    for (let problem = this.#ahead.get(this.#nextSeq); problem !== undefined; problem = this.#ahead.get(this.#nextSeq)) {
      this.#ahead.delete(this.#nextSeq);
      if (problem.kind === 'gap') {
        problem.kind = 'out-of-order';
        problem.message += `: events out of order (seq ${this.#nextSeq} comes too early)`;
      }
      this.#nextSeq++;
    }
  }

  #checkpoint(value: Record<string, unknown>): void {
    this.#sawCheckpoint = true;
    const { treeSize, rootHash, createdAt, note } = value;
    if (typeof treeSize !== 'number' || !Number.isSafeInteger(treeSize) || treeSize < 0) {
      this.#problem('malformed', 'bad checkpoint: treeSize must be a non-negative integer');
      return;
    }
    if (typeof rootHash !== 'string' || !HEX_HASH.test(rootHash)) {
      this.#problem('malformed', 'bad checkpoint: rootHash must be 64 lowercase hex digits');
      return;
    }
    if (typeof createdAt !== 'string' || Number.isNaN(Date.parse(createdAt)) || typeof note !== 'string') {
      this.#problem('malformed', 'bad checkpoint: needs createdAt and note');
      return;
    }
    this.#checkpoints++;
    if (treeSize <= this.#largestTreeSize) {
      this.#problem(
        treeSize === this.#largestTreeSize ? 'duplicate' : 'out-of-order',
        `checkpoint for tree size ${treeSize} after one for ${this.#largestTreeSize}`,
      );
    }
    this.#largestTreeSize = Math.max(this.#largestTreeSize, treeSize);
    if (this.#key === null) {
      this.#problem('bad-signature', 'no verifier key to check the checkpoint signature against');
      return;
    }
    const opened = openNote(note, this.#key);
    if (!opened.ok) {
      this.#problem('bad-signature', `checkpoint for tree size ${treeSize}: ${opened.reason}`);
      return;
    }
    if (this.#origin !== null && opened.origin !== this.#origin) {
      this.#problem('wrong-workspace', `checkpoint origin ${opened.origin} is not the bundle's origin ${this.#origin}`);
      return;
    }
    // From here the signed values rule; the line's own fields are unsigned copies.
    const size = opened.treeSize;
    if (size !== treeSize || opened.rootHash.toString('hex') !== rootHash) {
      this.#problem(
        'altered',
        `checkpoint line says size ${treeSize} root ${rootHash}, its signed note size ${size} root ${opened.rootHash.toString('hex')}`,
      );
    }
    if (size > this.#tree.size) {
      this.#problem('gap', `checkpoint covers ${size} events but only ${this.#tree.size} precede it: events were removed`);
      return;
    }
    if (!this.#tree.root(size).equals(opened.rootHash)) {
      const range = this.#goodSize === 0 ? 'no earlier checkpoint matched' : `seq 0–${this.#goodSize - 1} match the previous good checkpoint`;
      this.#problem(
        'root-mismatch',
        `signed root for tree size ${size} does not match the events: an entry in seq ${this.#goodSize}–${size - 1} was altered, removed, inserted or reordered (${range})`,
      );
      return;
    }
    this.#goodSize = Math.max(this.#goodSize, size);
  }

  #checkEnd(): void {
    if (this.#line === 0) {
      this.#problem('malformed', 'empty bundle: no header', undefined, 1);
      return;
    }
    const events = this.#tree.size;
    const covered = Math.max(this.#largestTreeSize, 0);
    if (events <= covered) {
      if (this.#largestTreeSize < 0) this.#problem('uncovered', 'the bundle has no checkpoint', undefined, this.#line + 1);
      return;
    }
    const line = this.#eventLines[covered] ?? this.#line + 1;
    const seq = this.#eventSeqs[covered];
    const what = `${events - covered} event(s) from line ${line} on`;
    const message =
      this.#largestTreeSize < 0
        ? `the bundle has no checkpoint: ${what} are not protected by any signature`
        : `the last checkpoint covers ${covered} events: ${what} are not protected by any signature`;
    this.#problem('uncovered', message, seq, line);
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isRef(value: unknown): value is { type: string; id: string } {
  return isRecord(value) && typeof value.type === 'string' && typeof value.id === 'string';
}

/** Why `value` is not an AuditEvent, or null. Unknown extra fields pass: they are hashed too. */
function eventFault(value: unknown): string | null {
  if (!isRecord(value)) return 'event is not an object';
  if (typeof value.id !== 'string') return 'id must be a string';
  if (typeof value.workspaceId !== 'string') return 'workspaceId must be a string';
  if (typeof value.seq !== 'number' || !Number.isSafeInteger(value.seq) || value.seq < 0) {
    return 'seq must be a non-negative integer';
  }
  if (typeof value.time !== 'string') return 'time must be a string';
  if (!isRef(value.actor)) return 'actor must be {type, id}';
  if (typeof value.action !== 'string') return 'action must be a string';
  if (value.target !== null && !isRef(value.target)) return 'target must be {type, id} or null';
  if (!isRecord(value.data)) return 'data must be an object';
  return null;
}

function isAuditEvent(value: unknown): value is AuditEvent {
  return eventFault(value) === null;
}

function sameKey(a: VerifierKey, b: VerifierKey): boolean {
  return a.name === b.name && a.keyId.equals(b.keyId) && a.publicKeyRaw.equals(b.publicKeyRaw);
}

function describeKey(key: VerifierKey): string {
  return `${key.name}+${key.keyId.toString('hex')}`;
}
