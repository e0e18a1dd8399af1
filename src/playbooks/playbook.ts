import { z } from 'zod';
import { ALERT_SEVERITIES, type AlertSeverity } from '../core/ports/monitor-store.ts';
import { ALERT_TYPES } from '../monitor/thresholds.ts';

/**
 * Playbooks are JSON files (YAML is not a dependency of Clavis, and a home-made YAML subset
 * would be one more parser to get wrong). Unknown fields are refused, so a typo never silently
 * drops a step.
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

/** A playbook file that does not parse or validate; the message names the file and the field. */
export class PlaybookError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PlaybookError';
  }
}

/**
 * Parses and validates one playbook file's text.
 *
 * @example parsePlaybook(readFileSync('playbooks/key-compromise.json', 'utf8'), 'key-compromise.json').steps[0].action // 'suspend-key'
 */
export function parsePlaybook(text: string, source: string): Playbook {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new PlaybookError(`${source}: not valid JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  const parsed = PlaybookSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new PlaybookError(`${source}: ${issue === undefined ? 'invalid' : `/${issue.path.join('/')}: ${issue.message}`}`);
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
