import { CLAVIS_CANDIDATE, CLAVIS_KEYWORDS, CLAVIS_MALFORMED_RULE, CLAVIS_TOKEN_RULE, classifyCandidate } from './clavis-keys.ts';
import { shannonEntropy } from './entropy.ts';
import type { Finding, Severity } from './finding.ts';
import { fingerprint, redact } from './redact.ts';
import { passesValidator, type CompiledRule } from './rules.ts';

/** The marker that silences every finding on its line. */
export const INLINE_ALLOW = 'clavis:allow';

/** Everything detection needs besides the text. */
export interface RuleSet {
  rules: readonly CompiledRule[];
  /** Tested against every secret of every rule (config `allowlist.regexes`). */
  allowRegexes: readonly RegExp[];
  /** Lower-case; a secret containing one is dropped (config `allowlist.stopwords`). */
  stopwords: readonly string[];
  /** Report Clavis-shaped strings whose checksum fails, as low severity. Off by default. */
  reportMalformed: boolean;
}

/** Where a text comes from: a file, or the added lines of a file in a commit. */
export interface Origin {
  file: string;
  /** Line number of the first line of `text` in the file (git hunks start mid-file). Default 1. */
  firstLine?: number;
  commit?: string;
  author?: string;
  date?: string;
}

export interface DetectResult {
  findings: Finding[];
  /** Matches dropped by an inline `clavis:allow` or an allowlist. */
  allowed: number;
}

const DESCRIPTIONS: Record<string, { description: string; severity: Severity }> = {
  'clavis-api-key': { description: 'Clavis API key (checksum verified)', severity: 'high' },
  [CLAVIS_TOKEN_RULE]: { description: 'Clavis admin token (checksum verified)', severity: 'high' },
  [CLAVIS_MALFORMED_RULE]: { description: 'Malformed key-like string: Clavis key shape, but the checksum fails', severity: 'low' },
};

/** Line starts of a text, built on first use: most texts have no match at all. */
class Lines {
  #starts: number[] | null = null;
  constructor(private readonly text: string) {}

  #index(): number[] {
    if (this.#starts === null) {
      const starts = [0];
      for (let i = this.text.indexOf('\n'); i !== -1; i = this.text.indexOf('\n', i + 1)) starts.push(i + 1);
      this.#starts = starts;
    }
    return this.#starts;
  }

  /** 0-based line and column of an offset. */
  position(offset: number): { line: number; column: number } {
    const starts = this.#index();
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((starts[mid] ?? 0) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo, column: offset - (starts[lo] ?? 0) };
  }

  /** The text of the line holding `offset`. */
  lineAt(offset: number): string {
    const start = this.text.lastIndexOf('\n', offset - 1) + 1;
    const end = this.text.indexOf('\n', offset);
    return this.text.slice(start, end === -1 ? undefined : end);
  }
}

interface Range {
  start: number;
  end: number;
}

const overlaps = (ranges: readonly Range[], r: Range): boolean => ranges.some((x) => r.start < x.end && x.start < r.end);

/** Generic rules never report a string shaped like a Clavis key: its checksum already spoke. */
const isGeneric = (rule: CompiledRule): boolean => rule.id.startsWith('generic-');

/**
 * Finds the secrets in one text: Clavis credentials confirmed by their checksum, then every rule
 * whose keywords occur, in order. A secret is reported once, by the first rule that finds it.
 *
 * @example detectSecrets(`KEY=${generateCredential('clv', 'live')}`, { file: '.env' }, ruleSet).findings[0].ruleId // 'clavis-api-key'
 */
export function detectSecrets(text: string, origin: Origin, set: RuleSet): DetectResult {
  const findings: Finding[] = [];
  let allowed = 0;
  const lines = new Lines(text);
  const claimed: Range[] = [];
  const clavisShaped: Range[] = [];
  const firstLine = origin.firstLine ?? 1;

  const allowedInline = (matchStart: number, secretStart: number): boolean =>
    lines.lineAt(matchStart).includes(INLINE_ALLOW) || lines.lineAt(secretStart).includes(INLINE_ALLOW);

  const report = (ruleId: string, description: string, severity: Severity, secret: string, start: number): void => {
    const from = lines.position(start);
    const to = lines.position(start + secret.length);
    const f: Finding = {
      ruleId,
      description,
      severity,
      file: origin.file,
      line: firstLine + from.line,
      column: from.column + 1,
      endLine: firstLine + to.line,
      endColumn: to.column + 1,
      secret,
      redacted: redact(ruleId, secret),
      fingerprint: fingerprint(ruleId, origin.file, secret),
    };
    if (origin.commit !== undefined) f.commit = origin.commit;
    if (origin.author !== undefined) f.author = origin.author;
    if (origin.date !== undefined) f.date = origin.date;
    findings.push(f);
  };

  if (CLAVIS_KEYWORDS.some((k) => text.includes(k))) {
    for (const m of text.matchAll(CLAVIS_CANDIDATE)) {
      const secret = m[0];
      const range = { start: m.index, end: m.index + secret.length };
      const kind = classifyCandidate(secret);
      clavisShaped.push(range);
      if (kind === CLAVIS_MALFORMED_RULE && !set.reportMalformed) continue;
      if (kind !== CLAVIS_MALFORMED_RULE) claimed.push(range);
      if (allowedInline(range.start, range.start)) {
        allowed++;
        continue;
      }
      const d = DESCRIPTIONS[kind];
      if (d !== undefined) report(kind, d.description, d.severity, secret, range.start);
    }
  }

  let lower: string | null = null;
  for (const rule of set.rules) {
    if (rule.keywords.length > 0) {
      lower ??= text.toLowerCase();
      const l = lower;
      if (!rule.keywords.some((k) => l.includes(k))) continue;
    }
    if (rule.pathFilter?.ignores(origin.file) === true) continue;
    rule.regex.lastIndex = 0;
    for (const m of text.matchAll(rule.regex)) {
      const secret = m[rule.secretGroup];
      const span = m.indices?.[rule.secretGroup];
      if (secret === undefined || secret === '' || span === undefined) continue;
      const range = { start: span[0], end: span[1] };
      if (overlaps(claimed, range)) continue;
      if (isGeneric(rule) && overlaps(clavisShaped, range)) continue;
      if (rule.minEntropy > 0 && shannonEntropy(secret) < rule.minEntropy) continue;
      if (rule.def.validate !== undefined && !passesValidator(rule.def.validate, secret)) continue;
      claimed.push(range);
      const lowerSecret = secret.toLowerCase();
      const isAllowed =
        rule.stopwords.some((w) => lowerSecret.includes(w)) ||
        set.stopwords.some((w) => lowerSecret.includes(w)) ||
        rule.allowRegexes.some((r) => r.test(secret)) ||
        set.allowRegexes.some((r) => r.test(secret)) ||
        allowedInline(m.index, range.start);
      if (isAllowed) {
        allowed++;
        continue;
      }
      report(rule.id, rule.def.description, rule.severity, secret, range.start);
    }
  }
  return { findings, allowed };
}
