import { isMap, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import { z } from 'zod';
import { ALERT_SEVERITIES, type AlertSeverity } from '../core/ports/monitor-store.ts';
import { ALERT_TYPES } from '../monitor/thresholds.ts';

/**
 * Playbooks are YAML files (`*.yaml`, `*.yml`; JSON is still read, `*.json`). Unknown fields
 * and actions are refused with the file, line and column, so a typo never silently drops a step.
 */
const Name = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lower-case letters, digits and dashes');
const Reason = z.string().min(1).max(500);

const Step = z.discriminatedUnion('action', [
  z.object({ action: z.literal('suspend-key'), reason: Reason.optional() }).strict(),
  z.object({ action: z.literal('rotate-key'), gracePeriodSeconds: z.number().int().min(0).max(30 * 86_400) }).strict(),
  z.object({ action: z.literal('revoke-key'), reason: Reason }).strict(),
  z.object({ action: z.literal('revoke-owner-keys'), reason: Reason }).strict(),
  z.object({ action: z.literal('notify-webhook'), message: z.string().min(1).max(500) }).strict(),
  z.object({ action: z.literal('snapshot-evidence') }).strict(),
]);

const Trigger = z.discriminatedUnion('type', [
  z.object({ type: z.literal('manual') }).strict(),
  z.object({ type: z.literal('alert'), alertTypes: z.array(z.enum(ALERT_TYPES)).min(1), minSeverity: z.enum(ALERT_SEVERITIES) }).strict(),
]);

export const PlaybookSchema = z.object({ name: Name, description: z.string().max(500), trigger: Trigger, steps: z.array(Step).min(1).max(20) }).strict();

export type Playbook = z.infer<typeof PlaybookSchema>;
export type PlaybookStep = Playbook['steps'][number];
export type PlaybookAction = PlaybookStep['action'];

/** Where in a file a problem is (1-based). */
export interface SourcePosition {
  line: number;
  column: number;
}

/** A playbook file that does not parse or validate; the message names the file, the line and the field. */
export class PlaybookError extends Error {
  readonly source: string;
  readonly position: SourcePosition | null;

  constructor(message: string, source = '', position: SourcePosition | null = null) {
    super(message);
    this.name = 'PlaybookError';
    this.source = source;
    this.position = position;
  }
}

/** Which parser a file name calls for. */
export function playbookFormat(source: string): 'yaml' | 'json' {
  return source.toLowerCase().endsWith('.json') ? 'json' : 'yaml';
}

function fail(source: string, position: SourcePosition | null, message: string): never {
  throw new PlaybookError(`${source}${position === null ? '' : `:${position.line}:${position.column}`}: ${message}`, source, position);
}

/** The first line of a parser message, without the position it repeats. */
const firstLine = (message: string): string => (message.split('\n')[0] ?? message).replace(/ at line \d+, column \d+:?$/, '');

/**
 * The node a validation issue is about: the key itself for an unknown key, else the value at
 * the path, else the nearest enclosing node that exists (a missing field points at its object).
 */
function locate(doc: Document, path: readonly (string | number)[], unknownKey: string | undefined): number | null {
  for (let depth = path.length; depth >= 0; depth -= 1) {
    const node: unknown = depth === 0 ? doc.contents : doc.getIn(path.slice(0, depth), true);
    if (node === undefined || node === null) continue;
    if (depth === path.length && unknownKey !== undefined && isMap(node)) {
      const pair = node.items.find((p) => (p.key as { value?: unknown } | null)?.value === unknownKey);
      const keyNode = pair?.key as Node | undefined;
      if (keyNode?.range != null) return keyNode.range[0];
    }
    const range = (node as Node).range;
    if (range != null) return range[0];
  }
  return null;
}

/** The value at `path` of the parsed object, for messages. */
function valueAt(root: unknown, path: readonly (string | number)[]): unknown {
  let v = root;
  for (const p of path) v = typeof v === 'object' && v !== null ? (v as Record<string | number, unknown>)[p] : undefined;
  return v;
}

function describeIssue(issue: z.ZodIssue, raw: unknown): string {
  const pointer = `/${issue.path.join('/')}`;
  if (issue.code === 'invalid_union_discriminator') {
    const field = String(issue.path.at(-1) ?? 'value');
    return `${pointer}: unknown ${field} ${JSON.stringify(valueAt(raw, issue.path))}: expected one of ${issue.options.map(String).join(', ')}`;
  }
  if (issue.code === 'unrecognized_keys') return `${pointer}: unknown field ${issue.keys.map((k) => JSON.stringify(k)).join(', ')} (${issue.message})`;
  return `${pointer}: ${issue.message}`;
}

/**
 * Parses and validates one playbook file's text: YAML, or JSON when `source` ends in `.json`.
 * Errors name the file, line and column: a YAML syntax error where the parser stopped, a bad
 * field at its value, an unknown field at its key, a missing field at its object.
 *
 * @example parsePlaybook(readFileSync('playbooks/key-compromise.yaml', 'utf8'), 'key-compromise.yaml').steps[0].action // 'suspend-key'
 */
export function parsePlaybook(text: string, source: string): Playbook {
  const lines = new LineCounter();
  // YAML 1.2 core schema: `yes`, `no`, `on`, `off` stay strings, as in JSON; no custom tags.
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true, schema: 'core', strict: true });
  const at = (offset: number | null): SourcePosition | null => {
    if (offset === null) return null;
    const p = lines.linePos(offset);
    return { line: p.line, column: p.col };
  };
  let raw: unknown;
  if (playbookFormat(source) === 'json') {
    try {
      raw = JSON.parse(text);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      const offset = /position (\d+)/.exec(message)?.[1];
      fail(source, offset === undefined ? null : at(Number(offset)), `not valid JSON (${message})`);
    }
  } else {
    const problem = doc.errors[0] ?? doc.warnings[0];
    if (problem !== undefined) fail(source, at(problem.pos[0]), `not valid YAML: ${firstLine(problem.message)}`);
    raw = doc.toJS({ maxAliasCount: 50 });
  }
  const parsed = PlaybookSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    if (issue === undefined) fail(source, null, 'invalid');
    // JSON is YAML too: the same document gives JSON files their positions.
    const position = doc.errors.length === 0 ? at(locate(doc, issue.path, issue.code === 'unrecognized_keys' ? issue.keys[0] : undefined)) : null;
    fail(source, position, describeIssue(issue, raw));
  }
  return parsed.data;
}

const RANK: Record<AlertSeverity, number> = { low: 1, medium: 2, high: 3, critical: 4 };

/** Whether an alert of this type and severity fires the playbook. */
export function triggeredBy(p: Playbook, alert: { type: string; severity: AlertSeverity }): boolean {
  return p.trigger.type === 'alert' && (p.trigger.alertTypes as readonly string[]).includes(alert.type) && RANK[alert.severity] >= RANK[p.trigger.minSeverity];
}

/** Whether a step acts on the one key the run targets. */
export function needsKey(step: PlaybookStep): boolean {
  return step.action === 'suspend-key' || step.action === 'rotate-key' || step.action === 'revoke-key';
}
