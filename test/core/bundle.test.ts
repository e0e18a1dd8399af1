import { generateKeyPairSync } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import type { AuditCheckpoint, AuditEvent, StoredAuditEvent } from '../../src/core/model.ts';
import { BundleVerifier, formatBundle, verifyBundle } from '../../src/core/audit/bundle.ts';
import type { BundleReport, ProblemKind } from '../../src/core/audit/bundle.ts';
import { MerkleTree, leafHashOfEvent } from '../../src/core/audit/merkle.ts';
import {
  checkpointBody,
  ed25519PublicKeyRaw,
  ed25519Signer,
  encodeVerifierKey,
  signNote,
} from '../../src/core/audit/signed-note.ts';

const WS = 'ws_0TQxAbCdEfGhIjKlMnOpQr';
const ORIGIN = `clavis.example/audit/${WS}`;
const EVENTS = 50;
const CHECKPOINT_SIZES = [17, 34, 50];
/** Line numbers in the untampered bundle: header, then events, then checkpoints. */
const lineOfSeq = (seq: number): number => seq + 2;
const lineOfCheckpoint = (i: number): number => EVENTS + 2 + i;

interface Fixture {
  text: string;
  vkey: string;
  sign: (m: Buffer) => Promise<Buffer>;
  pub: Buffer;
  stored: StoredAuditEvent[];
  checkpoints: AuditCheckpoint[];
}

function makeEvent(seq: number): AuditEvent {
  return {
    id: `evt_${String(seq).padStart(22, '0')}`,
    workspaceId: WS,
    seq,
    time: new Date(Date.UTC(2024, 0, 1, 0, 0, seq)).toISOString(),
    actor: { type: 'token', id: 'tok_owner' },
    action: seq % 3 === 0 ? 'key.created' : 'key.updated',
    target: seq === 0 ? null : { type: 'key', id: `key_${seq}` },
    data: { name: `service ${seq}`, scopes: ['read', 'write'], note: seq % 5 === 0 ? 'ünïcødé ✓' : null },
  };
}

async function makeFixture(): Promise<Fixture> {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const pub = ed25519PublicKeyRaw(publicKey);
  const sign = ed25519Signer(privateKey);
  const vkey = encodeVerifierKey(ORIGIN, pub);
  const tree = new MerkleTree();
  const stored: StoredAuditEvent[] = [];
  for (let seq = 0; seq < EVENTS; seq++) {
    const event = makeEvent(seq);
    const leaf = leafHashOfEvent(event);
    tree.append(leaf);
    stored.push({ event, leafHash: leaf.toString('hex') });
  }
  const checkpoints: AuditCheckpoint[] = [];
  for (const size of CHECKPOINT_SIZES) {
    const root = tree.root(size);
    const note = await signNote(checkpointBody(ORIGIN, size, root), ORIGIN, sign, pub);
    checkpoints.push({ workspaceId: WS, treeSize: size, rootHash: root.toString('hex'), createdAt: Date.UTC(2024, 0, 2, size), note });
  }
  const text = formatBundle(
    { workspaceId: WS, origin: ORIGIN, verifierKey: vkey, exportedAt: '2024-01-03T00:00:00.000Z' },
    stored,
    checkpoints,
  );
  return { text, vkey, sign, pub, stored, checkpoints };
}

/** The bundle's lines, 1-based: lines[1] is the header. */
function linesOf(text: string): string[] {
  return ['', ...text.split('\n').slice(0, -1)];
}

function textOf(lines: readonly string[]): string {
  return `${lines.slice(1).join('\n')}\n`;
}

function lineAt(lines: readonly string[], n: number): string {
  const line = lines[n];
  if (line === undefined) throw new Error(`no line ${n}`);
  return line;
}

function editLine(lines: string[], n: number, edit: (value: Record<string, unknown>) => void): void {
  const value = JSON.parse(lineAt(lines, n)) as Record<string, unknown>;
  edit(value);
  lines[n] = JSON.stringify(value);
}

function eventOf(value: Record<string, unknown>): AuditEvent {
  return value.event as AuditEvent;
}

function expectFirst(report: BundleReport, line: number, kind: ProblemKind): string {
  expect(report.ok).toBe(false);
  const first = report.problems[0];
  expect(first, JSON.stringify(report.problems)).toBeDefined();
  expect({ line: first?.line, kind: first?.kind }, JSON.stringify(report.problems, null, 1)).toEqual({ line, kind });
  return first?.message ?? '';
}

let fx: Fixture;
beforeAll(async () => {
  fx = await makeFixture();
});

describe('formatBundle', () => {
  it('writes the header, events in order, then checkpoints, as JSON Lines', () => {
    const lines = linesOf(fx.text);
    expect(lines).toHaveLength(1 + 1 + EVENTS + CHECKPOINT_SIZES.length);
    expect(JSON.parse(lineAt(lines, 1))).toEqual({
      type: 'clavis.audit.bundle',
      version: 1,
      workspaceId: WS,
      origin: ORIGIN,
      verifierKey: fx.vkey,
      exportedAt: '2024-01-03T00:00:00.000Z',
    });
    expect(lineAt(lines, 1).startsWith('{"type":"clavis.audit.bundle","version":1,')).toBe(true);
    const event = JSON.parse(lineAt(lines, lineOfSeq(7))) as Record<string, unknown>;
    expect(event).toEqual({ type: 'event', event: makeEvent(7), leafHash: fx.stored[7]?.leafHash });
    const checkpoint = JSON.parse(lineAt(lines, lineOfCheckpoint(1))) as Record<string, unknown>;
    expect(checkpoint).toEqual({
      type: 'checkpoint',
      treeSize: 34,
      rootHash: fx.checkpoints[1]?.rootHash,
      createdAt: new Date(Date.UTC(2024, 0, 2, 34)).toISOString(),
      note: fx.checkpoints[1]?.note,
    });
    expect(fx.text.endsWith('\n')).toBe(true);
  });
});

describe('verifyBundle on an intact bundle', () => {
  it('accepts it against the trusted key', () => {
    expect(verifyBundle(fx.text, { verifierKey: fx.vkey })).toEqual({ ok: true, events: 50, checkpoints: 3, problems: [] });
  });

  it('accepts it against its own header key when no trust anchor is given', () => {
    expect(verifyBundle(fx.text).ok).toBe(true);
  });

  it('gives the same report when streamed line by line', () => {
    const verifier = new BundleVerifier({ verifierKey: fx.vkey });
    for (const line of fx.text.split('\n').slice(0, -1)) verifier.push(line);
    expect(verifier.finish()).toEqual(verifyBundle(fx.text, { verifierKey: fx.vkey }));
    expect(() => verifier.push('{}')).toThrow();
  });

  it('accepts a log whose only checkpoint covers everything, and an empty log with a size-0 checkpoint', async () => {
    const lines = linesOf(fx.text);
    const onlyLast = textOf([...lines.slice(0, lineOfCheckpoint(0)), lineAt(lines, lineOfCheckpoint(2))]);
    expect(verifyBundle(onlyLast, { verifierKey: fx.vkey }).ok).toBe(true);
    const empty = new MerkleTree().root();
    const note = await signNote(checkpointBody(ORIGIN, 0, empty), ORIGIN, fx.sign, fx.pub);
    const text = formatBundle({ workspaceId: WS, origin: ORIGIN, verifierKey: fx.vkey, exportedAt: '2024-01-03T00:00:00Z' }, [], [
      { treeSize: 0, rootHash: empty.toString('hex'), createdAt: 0, note },
    ]);
    expect(verifyBundle(text, { verifierKey: fx.vkey })).toEqual({ ok: true, events: 0, checkpoints: 1, problems: [] });
  });

  it('throws only for an invalid trust anchor', () => {
    expect(() => verifyBundle(fx.text, { verifierKey: 'nonsense' })).toThrow(TypeError);
  });
});

describe('verifyBundle finds tampering at the first bad entry', () => {
  it('an altered event field: altered, naming the seq', () => {
    const lines = linesOf(fx.text);
    editLine(lines, lineOfSeq(20), (v) => {
      eventOf(v).data.name = 'innocent';
    });
    const report = verifyBundle(textOf(lines), { verifierKey: fx.vkey });
    const message = expectFirst(report, lineOfSeq(20), 'altered');
    expect(report.problems[0]?.seq).toBe(20);
    expect(message).toContain('seq 20');
    // The signed roots no longer match either, from the first checkpoint covering seq 20 on.
    expect(report.problems.slice(1).map((p) => [p.line, p.kind])).toEqual([
      [lineOfCheckpoint(1), 'root-mismatch'],
      [lineOfCheckpoint(2), 'root-mismatch'],
    ]);
  });

  it('an altered event with a recomputed leaf hash: root-mismatch naming the seq range', () => {
    const lines = linesOf(fx.text);
    editLine(lines, lineOfSeq(20), (v) => {
      const event = eventOf(v);
      event.action = 'key.revoked';
      v.leafHash = leafHashOfEvent(event).toString('hex');
    });
    const report = verifyBundle(textOf(lines), { verifierKey: fx.vkey });
    const message = expectFirst(report, lineOfCheckpoint(1), 'root-mismatch');
    expect(message).toContain('seq 17–33');
  });

  it('an altered first event with a recomputed leaf hash: the range starts at seq 0', () => {
    const lines = linesOf(fx.text);
    editLine(lines, lineOfSeq(3), (v) => {
      const event = eventOf(v);
      event.time = '2020-01-01T00:00:00.000Z';
      v.leafHash = leafHashOfEvent(event).toString('hex');
    });
    const message = expectFirst(verifyBundle(textOf(lines), { verifierKey: fx.vkey }), lineOfCheckpoint(0), 'root-mismatch');
    expect(message).toContain('seq 0–16');
  });

  it('a removed event line: gap at the line after it', () => {
    const lines = linesOf(fx.text);
    lines.splice(lineOfSeq(7), 1);
    const report = verifyBundle(textOf(lines), { verifierKey: fx.vkey });
    const message = expectFirst(report, lineOfSeq(7), 'gap');
    expect(message).toBe('seq 7 expected, found 8');
    expect(report.problems[0]?.seq).toBe(8);
    expect(report.events).toBe(49);
  });

  it('a removed last event: the checkpoint that covers it reports the gap', () => {
    const lines = linesOf(fx.text);
    lines.splice(lineOfSeq(49), 1);
    const message = expectFirst(verifyBundle(textOf(lines), { verifierKey: fx.vkey }), lineOfCheckpoint(2) - 1, 'gap');
    expect(message).toContain('50');
  });

  it('two swapped event lines: out-of-order at the first of them', () => {
    const lines = linesOf(fx.text);
    const a = lineAt(lines, lineOfSeq(10));
    lines[lineOfSeq(10)] = lineAt(lines, lineOfSeq(11));
    lines[lineOfSeq(11)] = a;
    const report = verifyBundle(textOf(lines), { verifierKey: fx.vkey });
    expectFirst(report, lineOfSeq(10), 'out-of-order');
    expect(report.problems[0]?.seq).toBe(11);
    // After the swapped pair the sequence is whole again; the signed roots still expose the order.
    expect(report.problems.slice(1).map((p) => p.kind)).toEqual(['root-mismatch', 'root-mismatch', 'root-mismatch']);
  });

  it('an event moved far back: out-of-order at the line where it is missing', () => {
    const lines = linesOf(fx.text);
    const [moved] = lines.splice(lineOfSeq(5), 1);
    lines.splice(lineOfSeq(12), 0, moved ?? '');
    const report = verifyBundle(textOf(lines), { verifierKey: fx.vkey });
    const message = expectFirst(report, lineOfSeq(5), 'out-of-order');
    expect(message).toContain('seq 5 expected, found 6');
    expect(report.problems[1]).toMatchObject({ line: lineOfSeq(12), kind: 'out-of-order', seq: 5 });
  });

  it('an event moved far forward: out-of-order at the moved line only', () => {
    const lines = linesOf(fx.text);
    const [moved] = lines.splice(lineOfSeq(12), 1);
    lines.splice(lineOfSeq(5), 0, moved ?? '');
    const report = verifyBundle(textOf(lines), { verifierKey: fx.vkey });
    const message = expectFirst(report, lineOfSeq(5), 'out-of-order');
    expect(message).toContain('seq 5 expected, found 12');
    expect(report.problems.filter((p) => p.kind !== 'root-mismatch')).toHaveLength(1);
  });

  it('two events removed in a row: one gap', () => {
    const lines = linesOf(fx.text);
    lines.splice(lineOfSeq(40), 2);
    const report = verifyBundle(textOf(lines), { verifierKey: fx.vkey });
    expect(expectFirst(report, lineOfSeq(40), 'gap')).toBe('seq 40 expected, found 42');
    expect(report.problems.filter((p) => p.kind === 'gap')).toHaveLength(2); // and the last checkpoint's
  });

  it('a forged event inserted with the next seq: duplicate at the genuine one', () => {
    const lines = linesOf(fx.text);
    const forged = { ...makeEvent(31), action: 'key.deleted', id: 'evt_forged' };
    const line = JSON.stringify({ type: 'event', event: forged, leafHash: leafHashOfEvent(forged).toString('hex') });
    lines.splice(lineOfSeq(31), 0, line);
    const report = verifyBundle(textOf(lines), { verifierKey: fx.vkey });
    expectFirst(report, lineOfSeq(31) + 1, 'duplicate');
    expect(report.problems[0]?.seq).toBe(31);
    expect(report.problems.some((p) => p.kind === 'root-mismatch')).toBe(true);
  });

  it('a forged event inserted with a fresh seq: gap at the forged line', () => {
    const lines = linesOf(fx.text);
    const forged = { ...makeEvent(77), id: 'evt_forged' };
    const line = JSON.stringify({ type: 'event', event: forged, leafHash: leafHashOfEvent(forged).toString('hex') });
    lines.splice(lineOfSeq(25), 0, line);
    const report = verifyBundle(textOf(lines), { verifierKey: fx.vkey });
    expect(expectFirst(report, lineOfSeq(25), 'gap')).toBe('seq 25 expected, found 77');
    // One intruder is one sequence problem, plus the signed roots it breaks and the event it
    // pushes past the last checkpoint.
    expect(report.problems.filter((p) => p.kind !== 'root-mismatch').map((p) => p.kind)).toEqual(['gap', 'uncovered']);
  });

  it('a forged event appended after the last one: uncovered', () => {
    const lines = linesOf(fx.text);
    const forged = makeEvent(50);
    const line = JSON.stringify({ type: 'event', event: forged, leafHash: leafHashOfEvent(forged).toString('hex') });
    lines.splice(lineOfSeq(50), 0, line);
    const report = verifyBundle(textOf(lines), { verifierKey: fx.vkey });
    expectFirst(report, lineOfSeq(50), 'uncovered');
    expect(report.problems).toHaveLength(1);
  });

  it('a changed checkpoint signature: bad-signature', () => {
    const lines = linesOf(fx.text);
    editLine(lines, lineOfCheckpoint(1), (v) => {
      const note = v.note as string;
      // Change one base64 character inside the signature (after the 4-byte key id).
      const i = note.length - 20;
      v.note = note.slice(0, i) + (note[i] === 'A' ? 'B' : 'A') + note.slice(i + 1);
    });
    const report = verifyBundle(textOf(lines), { verifierKey: fx.vkey });
    const message = expectFirst(report, lineOfCheckpoint(1), 'bad-signature');
    expect(message).toMatch(/does not verify/);
    expect(report.problems).toHaveLength(1);
  });

  it('a dropped last checkpoint: uncovered from the first unprotected event', () => {
    const lines = linesOf(fx.text);
    lines.splice(lineOfCheckpoint(2), 1);
    const report = verifyBundle(textOf(lines), { verifierKey: fx.vkey });
    const message = expectFirst(report, lineOfSeq(34), 'uncovered');
    expect(report.problems[0]?.seq).toBe(34);
    expect(message).toContain('16 event(s)');
    expect(report.problems).toHaveLength(1);
  });

  it('a bundle with no checkpoint at all: uncovered', () => {
    const lines = linesOf(fx.text).slice(0, lineOfCheckpoint(0));
    const message = expectFirst(verifyBundle(textOf(lines), { verifierKey: fx.vkey }), lineOfSeq(0), 'uncovered');
    expect(message).toMatch(/no checkpoint/);
    const headerOnly = textOf(linesOf(fx.text).slice(0, 2));
    expectFirst(verifyBundle(headerOnly, { verifierKey: fx.vkey }), 2, 'uncovered');
  });

  it('a different trust anchor: bad-signature at the header, then at every checkpoint', async () => {
    const other = generateKeyPairSync('ed25519');
    const otherKey = encodeVerifierKey(ORIGIN, ed25519PublicKeyRaw(other.publicKey));
    const report = verifyBundle(fx.text, { verifierKey: otherKey });
    const message = expectFirst(report, 1, 'bad-signature');
    expect(message).toMatch(/not the trusted key/);
    expect(report.problems.map((p) => [p.line, p.kind])).toEqual([
      [1, 'bad-signature'],
      [lineOfCheckpoint(0), 'bad-signature'],
      [lineOfCheckpoint(1), 'bad-signature'],
      [lineOfCheckpoint(2), 'bad-signature'],
    ]);
    // A forger who re-signs everything with their own key and header passes only the self-check.
    const forged = fx.text.replace(fx.vkey, otherKey);
    expect(verifyBundle(forged, { verifierKey: fx.vkey }).problems[0]).toMatchObject({ line: 1, kind: 'bad-signature' });
    const resigned = await resignAll(forged, ed25519Signer(other.privateKey), ed25519PublicKeyRaw(other.publicKey));
    expect(verifyBundle(resigned).ok).toBe(true);
    expectFirst(verifyBundle(resigned, { verifierKey: fx.vkey }), 1, 'bad-signature');
  });

  it('a garbage line: malformed, and nothing else', () => {
    const lines = linesOf(fx.text);
    lines.splice(6, 0, 'this is not {json');
    const report = verifyBundle(textOf(lines), { verifierKey: fx.vkey });
    expectFirst(report, 6, 'malformed');
    expect(report.problems).toHaveLength(1);
    expect(report.events).toBe(50);
  });
});

describe('verifyBundle, other checks', () => {
  it('an event from another workspace: wrong-workspace', () => {
    const lines = linesOf(fx.text);
    editLine(lines, lineOfSeq(4), (v) => {
      const event = eventOf(v);
      event.workspaceId = 'ws_other';
      v.leafHash = leafHashOfEvent(event).toString('hex');
    });
    expect(expectFirst(verifyBundle(textOf(lines), { verifierKey: fx.vkey }), lineOfSeq(4), 'wrong-workspace')).toContain('ws_other');
  });

  it('a checkpoint signed for another origin: wrong-workspace', async () => {
    const lines = linesOf(fx.text);
    const otherOrigin = 'clavis.example/audit/ws_other';
    const root = Buffer.from(fx.checkpoints[0]?.rootHash ?? '', 'hex');
    const note = await signNote(checkpointBody(otherOrigin, 17, root), ORIGIN, fx.sign, fx.pub);
    editLine(lines, lineOfCheckpoint(0), (v) => {
      v.note = note;
    });
    expectFirst(verifyBundle(textOf(lines), { verifierKey: fx.vkey }), lineOfCheckpoint(0), 'wrong-workspace');
  });

  it('a checkpoint line whose fields disagree with its signed note: altered', () => {
    const lines = linesOf(fx.text);
    editLine(lines, lineOfCheckpoint(0), (v) => {
      v.rootHash = fx.checkpoints[1]?.rootHash;
    });
    expectFirst(verifyBundle(textOf(lines), { verifierKey: fx.vkey }), lineOfCheckpoint(0), 'altered');
  });

  it('checkpoints out of order or repeated', () => {
    const lines = linesOf(fx.text);
    const a = lineAt(lines, lineOfCheckpoint(0));
    lines[lineOfCheckpoint(0)] = lineAt(lines, lineOfCheckpoint(1));
    lines[lineOfCheckpoint(1)] = a;
    expectFirst(verifyBundle(textOf(lines), { verifierKey: fx.vkey }), lineOfCheckpoint(1), 'out-of-order');
    const repeated = linesOf(fx.text);
    repeated.push(lineAt(repeated, lineOfCheckpoint(2)));
    expectFirst(verifyBundle(textOf(repeated), { verifierKey: fx.vkey }), lineOfCheckpoint(3), 'duplicate');
  });

  it('a missing or broken header', () => {
    const lines = linesOf(fx.text);
    const headless = textOf(['', ...lines.slice(2)]);
    const report = verifyBundle(headless, { verifierKey: fx.vkey });
    expectFirst(report, 1, 'malformed');
    // The first line is still read as the event it is, and the trust anchor still checks the rest.
    expect(report.problems).toHaveLength(1);
    expect(report.events).toBe(50);
    const noKey = verifyBundle(headless);
    expect(noKey.problems.filter((p) => p.kind === 'bad-signature')).toHaveLength(3);
    editLine(lines, 1, (v) => {
      v.version = 2;
    });
    expect(expectFirst(verifyBundle(textOf(lines), { verifierKey: fx.vkey }), 1, 'malformed')).toMatch(/version/);
    expectFirst(verifyBundle('', { verifierKey: fx.vkey }), 1, 'malformed');
  });

  it('malformed event and checkpoint lines', () => {
    const cases: [number, (v: Record<string, unknown>) => void][] = [
      [lineOfSeq(2), (v) => void (eventOf(v).seq = -1)],
      [lineOfSeq(2), (v) => void (v.leafHash = 'ABC')],
      [lineOfSeq(2), (v) => void (v.type = 'evnt')],
      [lineOfSeq(2), (v) => void (eventOf(v).data = [] as unknown as Record<string, unknown>)],
      [lineOfCheckpoint(0), (v) => void (v.treeSize = '17')],
      [lineOfCheckpoint(0), (v) => void (v.note = 5)],
    ];
    for (const [line, edit] of cases) {
      const lines = linesOf(fx.text);
      editLine(lines, line, edit);
      expectFirst(verifyBundle(textOf(lines), { verifierKey: fx.vkey }), line, 'malformed');
    }
    const blank = linesOf(fx.text);
    blank.splice(3, 0, '');
    expectFirst(verifyBundle(textOf(blank), { verifierKey: fx.vkey }), 3, 'malformed');
  });

  it('an event after the checkpoints: malformed and uncovered', () => {
    const lines = linesOf(fx.text);
    const forged = makeEvent(50);
    lines.push(JSON.stringify({ type: 'event', event: forged, leafHash: leafHashOfEvent(forged).toString('hex') }));
    const report = verifyBundle(textOf(lines), { verifierKey: fx.vkey });
    expect(report.problems.map((p) => p.kind)).toEqual(['malformed', 'uncovered']);
    expect(report.problems[0]?.line).toBe(lines.length - 1);
  });
});

/** Re-signs every checkpoint of a bundle with another key, as a forger holding that key could. */
async function resignAll(text: string, sign: (m: Buffer) => Promise<Buffer>, pub: Buffer): Promise<string> {
  const lines = linesOf(text);
  for (let n = 1; n < lines.length; n++) {
    const value = JSON.parse(lineAt(lines, n)) as Record<string, unknown>;
    if (value.type !== 'checkpoint') continue;
    const root = Buffer.from(value.rootHash as string, 'hex');
    value.note = await signNote(checkpointBody(ORIGIN, value.treeSize as number, root), ORIGIN, sign, pub);
    lines[n] = JSON.stringify(value);
  }
  return textOf(lines);
}
