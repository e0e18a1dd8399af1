import { CLAVIS_KEYWORDS, CLAVIS_MALFORMED_RULE, CLAVIS_TOKEN_RULE, classifyCandidate } from './clavis-keys.ts';
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
  /** Built by {@link keywordScanner} on first use: one pass finds every keyword of every rule. */
  keywords?: KeywordScanner;
}

/** Finds where rule keywords occur in a text, in one regex pass instead of one search per keyword. */
export interface KeywordScanner {
  regex: RegExp;
  /** For each keyword, the keywords inside it and where (`private key` holds `private` at 0). */
  implied: Map<string, { word: string; offset: number }[]>;
}

const escapeRegex = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The keyword scanner of a rule set (Clavis keywords included). */
export function keywordScanner(set: RuleSet): KeywordScanner {
  const words = [...new Set([...CLAVIS_KEYWORDS, ...set.rules.flatMap((r) => r.keywords)])].sort((a, b) => b.length - a.length || (a < b ? -1 : 1));
  const implied = new Map(words.map((w) => [w, words.filter((o) => o !== w && w.includes(o)).map((o) => ({ word: o, offset: w.indexOf(o) }))]));
  return { regex: new RegExp(words.length === 0 ? '(?!)' : words.map(escapeRegex).join('|'), 'gi'), implied };
}

/**
 * Where each keyword occurs in `text`, ignoring case. After each match the search resumes one
 * character later, so overlapping keywords are all found.
 */
function keywordsIn(text: string, scanner: KeywordScanner): Map<string, number[]> {
  const seen = new Map<string, number[]>();
  const add = (w: string, at: number): void => {
    const list = seen.get(w);
    if (list === undefined) seen.set(w, [at]);
    else list.push(at);
  };
  const re = scanner.regex;
  re.lastIndex = 0;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    const w = m[0].toLowerCase();
    add(w, m.index);
    for (const o of scanner.implied.get(w) ?? []) add(o.word, m.index + o.offset);
    re.lastIndex = m.index + 1;
  }
  return seen;
}

const isBase62 = (c: number): boolean => (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
const isLower = (c: number): boolean => c >= 97 && c <= 122;

/**
 * Clavis-shaped strings (`<prefix>_<type>_<49 base62>`, the shape CLAVIS_CANDIDATE describes),
 * found from the `_live_`/`_test_`/`_dev_`/`_adm_` occurrences the keyword pass already located:
 * far cheaper than running the regex over the whole text.
 */
export function clavisCandidates(text: string, at: readonly number[]): { start: number; text: string }[] {
  const out: { start: number; text: string }[] = [];
  for (const i of at) {
    // `at` points at the `_` before the type; the type runs to the next `_`.
    const bodyStart = text.indexOf('_', i + 1) + 1;
    const end = bodyStart + 49;
    if (bodyStart === 0 || end > text.length || (end < text.length && isBase62(text.charCodeAt(end)))) continue;
    let ok = true;
    for (let k = bodyStart; k < end && ok; k++) ok = isBase62(text.charCodeAt(k));
    if (!ok) continue;
    let start = i;
    while (start > 0 && i - start < 8 && isLower(text.charCodeAt(start - 1))) start--;
    if (i - start < 2 || (start > 0 && isBase62(text.charCodeAt(start - 1)))) continue;
    out.push({ start, text: text.slice(start, end) });
  }
  return out.sort((a, b) => a.start - b.start);
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

  set.keywords ??= keywordScanner(set);
  const present = keywordsIn(text, set.keywords);
  // A keyword can be recorded twice at one place (`sk_live_` also holds `_live_`): once is enough.
  const clavisAt = [...new Set(CLAVIS_KEYWORDS.flatMap((k) => present.get(k) ?? []))];
  for (const c of clavisCandidates(text, clavisAt)) {
    const secret = c.text;
    const range = { start: c.start, end: c.start + secret.length };
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

  const consider = (rule: CompiledRule, m: RegExpExecArray): void => {
    const secret = m[rule.secretGroup];
    const span = m.indices?.[rule.secretGroup];
    if (secret === undefined || secret === '' || span === undefined) return;
    const range = { start: span[0], end: span[1] };
    if (overlaps(claimed, range)) return;
    if (isGeneric(rule) && overlaps(clavisShaped, range)) return;
    if (rule.minEntropy > 0 && shannonEntropy(secret) < rule.minEntropy) return;
    if (rule.def.validate !== undefined && !passesValidator(rule.def.validate, secret)) return;
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
      return;
    }
    report(rule.id, rule.def.description, rule.severity, secret, range.start);
  };

  for (const rule of set.rules) {
    if (rule.keywords.length > 0 && !rule.keywords.some((k) => present.has(k))) continue;
    if (rule.pathFilter?.ignores(origin.file) === true) continue;
    if (rule.sticky !== null) {
      // Anchored: try the regex only where a keyword starts, never inside an earlier match.
      const starts = [...new Set(rule.keywords.flatMap((k) => present.get(k) ?? []))].sort((a, b) => a - b);
      let after = 0;
      for (const at of starts) {
        if (at < after) continue;
        rule.sticky.lastIndex = at;
        const m = rule.sticky.exec(text);
        if (m === null) continue;
        after = at + Math.max(1, m[0].length);
        consider(rule, m);
      }
      continue;
    }
    rule.regex.lastIndex = 0;
    for (const m of text.matchAll(rule.regex)) consider(rule, m);
  }
  return { findings, allowed };
}
