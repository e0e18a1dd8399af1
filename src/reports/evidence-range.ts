import { ClavisError } from '../core/errors/registry.ts';

/** The longest evidence period: SOC 2 type II and ISO 27001 surveillance periods are at most a year. */
export const MAX_EVIDENCE_DAYS = 366;

const DAY_MS = 86_400_000;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/;

/** An evidence period: `from` inclusive, `to` exclusive, epoch ms; `label` names its folder. */
export interface EvidenceRange {
  from: number;
  to: number;
  /** `2026-01-01-2026-03-31` for dates, compact UTC times otherwise: safe in a file name. */
  label: string;
}

/** A date (`2026-03-31`) or an ISO 8601 time with a zone; a date is a whole UTC day. */
function parseBound(text: string, field: 'from' | 'to'): { start: number; end: number; date: boolean } {
  const fail = (message: string): never => {
    throw new ClavisError('EVIDENCE_RANGE_INVALID', `${field}: ${message}`, [{ field: `/querystring/${field}`, message }]);
  };
  const d = DATE.exec(text);
  if (d !== null) {
    const [y, m, day] = [Number(d[1]), Number(d[2]), Number(d[3])];
    const start = Date.UTC(y, m - 1, day);
    // Date.UTC rolls 2026-02-30 over to March: a date that does not round-trip does not exist.
    if (new Date(start).toISOString().slice(0, 10) !== text) fail(`${text} is not a calendar date`);
    return { start, end: start + DAY_MS, date: true };
  }
  if (!TIME.test(text)) fail(`expected a date (2026-03-31) or an ISO 8601 time with a zone (2026-03-31T12:00:00Z), got ${JSON.stringify(text.slice(0, 40))}`);
  const at = Date.parse(text);
  if (!Number.isFinite(at)) fail(`${text} is not a valid time`);
  return { start: at, end: at, date: false };
}

const compact = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z').replaceAll(/[-:]/g, '');

/**
 * Parses and checks an evidence period. A date `to` includes that whole day (`--to 2026-03-31`
 * ends at 2026-04-01T00:00Z), so a quarter is `--from 2026-01-01 --to 2026-03-31`.
 * EVIDENCE_RANGE_INVALID when a bound does not parse, `from` is not before `to`, `from` is in
 * the future, or the period is longer than MAX_EVIDENCE_DAYS.
 *
 * @example parseEvidenceRange('2026-01-01', '2026-03-31', Date.now()).label // '2026-01-01-2026-03-31'
 */
export function parseEvidenceRange(fromText: string, toText: string, now: number): EvidenceRange {
  const from = parseBound(fromText, 'from');
  const to = parseBound(toText, 'to');
  const bad = (field: 'from' | 'to', message: string): ClavisError => new ClavisError('EVIDENCE_RANGE_INVALID', `${field}: ${message}`, [{ field: `/querystring/${field}`, message }]);
  if (!(to.end > from.start)) throw bad('to', 'the period ends before it starts: to must be after from');
  if (from.start > now) throw bad('from', 'the period starts in the future');
  if (to.end - from.start > MAX_EVIDENCE_DAYS * DAY_MS) throw bad('to', `the period spans more than ${MAX_EVIDENCE_DAYS} days; make one pack per period`);
  const label = from.date && to.date ? `${fromText}-${toText}` : `${compact(from.start)}-${compact(to.end)}`;
  return { from: from.start, to: to.end, label };
}
