import ignore, { type Ignore } from 'ignore';
import { shannonEntropy } from './entropy.ts';
import type { Severity } from './finding.ts';

/**
 * Named checks a rule can ask for after its regex matched, for shapes a regex cannot confirm:
 * - `jwt`: the first segment is base64url JSON with an `alg` string;
 * - `pem-body`: the body between BEGIN and END holds at least 64 base64 characters;
 * - `not-identifier`: the value is not made only of letters and separators (`password_reset`,
 *   `SECRET_KEY_NAME`, `/usr/local/bin`), and is not a URL: names and paths are not secrets.
 */
export const VALIDATORS = ['jwt', 'pem-body', 'not-identifier'] as const;
export type ValidatorName = (typeof VALIDATORS)[number];

/** What a rule lets through although its regex matched. */
export interface RuleAllowlist {
  /** JavaScript regexes tested against the secret; a match drops the finding. */
  regexes?: string[];
  /** Case-insensitive words; a secret containing one is a placeholder (`example`, `changeme`). */
  stopwords?: string[];
  /** .gitignore-style patterns of files the rule does not run on. */
  paths?: string[];
}

/**
 * One detection rule, in the format of the built-in rule set and of a user's config file.
 *
 * @example
 * { id: 'acme-token', description: 'ACME API token', keywords: ['acme_'],
 *   regex: '\\b(acme_[0-9a-f]{32})\\b', secretGroup: 1, minEntropy: 3 }
 */
export interface RuleDefinition {
  /** kebab-case, unique; it is the `ruleId` of findings. */
  id: string;
  description: string;
  severity?: Severity;
  /**
   * Lower-case strings of which at least one must occur (ignoring case) in a file before the
   * regex runs on it: a cheap prefilter. Empty: the regex always runs.
   */
  keywords: string[];
  /** JavaScript regex source. A leading `(?i)` makes it case-insensitive (as in gitleaks). */
  regex: string;
  /** Capture group holding the secret; 0 (the default) is the whole match. */
  secretGroup?: number;
  /** Least Shannon entropy (bits per character) of the secret; below it the match is noise. */
  minEntropy?: number;
  validate?: ValidatorName;
  allowlist?: RuleAllowlist;
  /**
   * Every match starts where one of the keywords starts (ignoring case). The regex then runs only
   * at keyword occurrences instead of over the whole text: much faster for common keywords. A
   * match that starts elsewhere is not found, so set it only when the regex begins with the
   * keywords.
   */
  anchored?: boolean;
}

/** A rule ready to run. */
export interface CompiledRule {
  def: RuleDefinition;
  id: string;
  severity: Severity;
  keywords: string[];
  regex: RegExp;
  /** The same regex, sticky, for anchored rules: tried at each keyword occurrence. */
  sticky: RegExp | null;
  secretGroup: number;
  minEntropy: number;
  allowRegexes: RegExp[];
  stopwords: string[];
  pathFilter: Ignore | null;
}

/**
 * Compiles a regex source, honouring a leading `(?i)`. Rules scan with `gmd` (global, `^`/`$` at
 * line ends, match indices); allowlist regexes test one secret and take no flags.
 */
export function compileRegex(source: string, flags = 'gmd'): RegExp {
  let body = source;
  let f = flags;
  if (body.startsWith('(?i)')) {
    body = body.slice(4);
    f += 'i';
  }
  return new RegExp(body, [...new Set(f)].join(''));
}

/** A path matcher for .gitignore-style patterns, or null when there are none. */
export function pathMatcher(patterns: readonly string[] | undefined): Ignore | null {
  if (patterns === undefined || patterns.length === 0) return null;
  return ignore({ allowRelativePaths: true }).add([...patterns]);
}

/** Throws a RangeError naming the rule when its definition cannot run. */
export function compileRule(def: RuleDefinition): CompiledRule {
  const where = `rule ${def.id}`;
  let regex: RegExp;
  let allowRegexes: RegExp[];
  try {
    regex = compileRegex(def.regex);
    allowRegexes = (def.allowlist?.regexes ?? []).map((r) => compileRegex(r, ''));
  } catch (error) {
    throw new RangeError(`${where}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const secretGroup = def.secretGroup ?? 0;
  // An empty match would loop forever on a global regex; a group beyond the regex's is a typo.
  if (regex.test('')) throw new RangeError(`${where}: the regex matches the empty string`);
  regex.lastIndex = 0;
  const groups = new RegExp(`${regex.source}|`).exec('')?.length ?? 1;
  if (secretGroup >= groups) throw new RangeError(`${where}: secretGroup ${secretGroup} but the regex has ${groups - 1} group(s)`);
  return {
    def,
    id: def.id,
    severity: def.severity ?? 'medium',
    keywords: def.keywords.map((k) => k.toLowerCase()),
    regex,
    sticky: def.anchored === true && def.keywords.length > 0 ? compileRegex(def.regex, 'ymd') : null,
    secretGroup,
    minEntropy: def.minEntropy ?? 0,
    allowRegexes,
    stopwords: (def.allowlist?.stopwords ?? []).map((s) => s.toLowerCase()),
    pathFilter: pathMatcher(def.allowlist?.paths),
  };
}

const IDENTIFIER = /^[A-Za-z]+(?:[-_./ ][A-Za-z]+)*[-_./]?$/;

function base64UrlJson(segment: string): unknown {
  try {
    return JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
}

/** Runs a named validator on a secret; true keeps the finding. */
export function passesValidator(name: ValidatorName, secret: string): boolean {
  switch (name) {
    case 'jwt': {
      const header = base64UrlJson(secret.split('.')[0] ?? '');
      return typeof header === 'object' && header !== null && 'alg' in header && typeof header.alg === 'string';
    }
    case 'pem-body': {
      const body = pemBody(secret);
      return body.length >= 64 && shannonEntropy(body) >= 4;
    }
    case 'not-identifier':
      return !IDENTIFIER.test(secret) && !secret.includes('://');
  }
}

/** The base64 characters of a PEM body, without headers (`Proc-Type: …`), escapes or white space. */
export function pemBody(text: string): string {
  return text
    .replace(/\\[rn]/g, '\n')
    .split(/\r?\n/)
    .filter((l) => !l.includes(':'))
    .join('')
    .replace(/[^A-Za-z0-9+/=]/g, '');
}
