import { existsSync, readFileSync } from 'node:fs';
import { z } from 'zod';
import { BUILTIN_RULES } from './builtin-rules.ts';
import type { RuleSet } from './detect.ts';
import { VALIDATORS, compileRegex, compileRule, pathMatcher, type RuleDefinition } from './rules.ts';
import type { Ignore } from 'ignore';

/** The config file `clavis scan` reads from the current directory unless `--config` names one. */
export const DEFAULT_CONFIG_FILE = '.clavis-scan.json';

/** Largest file scanned unless the config or `--max-file-size` says otherwise: 5 MiB. */
export const DEFAULT_MAX_FILE_SIZE = 5 * 1024 * 1024;

/**
 * Paths skipped unless `useDefaultPathAllowlist` is false: lock files (integrity hashes look
 * random) and dependency folders (their secrets are test fixtures of other projects).
 */
export const DEFAULT_PATH_ALLOWLIST = [
  'node_modules/',
  'package-lock.json',
  'npm-shrinkwrap.json',
  'yarn.lock',
  'pnpm-lock.yaml',
  'bun.lockb',
  'go.sum',
  'Cargo.lock',
  'poetry.lock',
  'Pipfile.lock',
  'composer.lock',
  'Gemfile.lock',
  DEFAULT_CONFIG_FILE,
];

const Severity = z.enum(['high', 'medium', 'low']);
const RuleSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]{1,63}$/, 'kebab-case, 2–64 characters'),
    description: z.string().min(1),
    severity: Severity.optional(),
    keywords: z.array(z.string().min(1)),
    regex: z.string().min(1),
    secretGroup: z.number().int().min(0).optional(),
    minEntropy: z.number().min(0).max(8).optional(),
    validate: z.enum(VALIDATORS).optional(),
    anchored: z.boolean().optional(),
    allowlist: z.object({ regexes: z.array(z.string()).optional(), stopwords: z.array(z.string()).optional(), paths: z.array(z.string()).optional() }).strict().optional(),
  })
  .strict();

/** The config file format (JSON); documented in docs/guides/secret-scanning.md. */
export const ScanConfigSchema = z
  .object({
    $schema: z.string().optional(),
    /** Rules added to the built-in set; a rule with a built-in id replaces it. */
    rules: z.array(RuleSchema).optional(),
    disabledRules: z.array(z.string()).optional(),
    allowlist: z.object({ paths: z.array(z.string()).optional(), regexes: z.array(z.string()).optional(), stopwords: z.array(z.string()).optional() }).strict().optional(),
    useDefaultPathAllowlist: z.boolean().optional(),
    baseline: z.string().optional(),
    maxFileSizeBytes: z.number().int().min(1).optional(),
    reportMalformed: z.boolean().optional(),
  })
  .strict();

export type ScanConfig = z.infer<typeof ScanConfigSchema>;

/** Reads and checks a config file; throws an Error naming the file and each bad field. */
export function readScanConfig(file: string): ScanConfig {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`config ${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const r = ScanConfigSchema.safeParse(parsed);
  if (!r.success) throw new Error(`config ${file}: ${r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
  return r.data;
}

/** The config at `explicit`, else `.clavis-scan.json` in `cwd` when it exists, else an empty one. */
export function loadScanConfig(cwd: string, explicit?: string): { config: ScanConfig; file: string | null } {
  if (explicit !== undefined) return { config: readScanConfig(explicit), file: explicit };
  const candidate = `${cwd}/${DEFAULT_CONFIG_FILE}`;
  return existsSync(candidate) ? { config: readScanConfig(candidate), file: candidate } : { config: {}, file: null };
}

/** The rule definitions in force: built-ins (minus disabled, replaced by user rules of the same id) and the user's, before the generic rules. */
export function effectiveRules(config: ScanConfig): RuleDefinition[] {
  const disabled = new Set(config.disabledRules ?? []);
  const user = (config.rules ?? []) as RuleDefinition[];
  const byId = new Map(user.map((r) => [r.id, r]));
  const builtins = BUILTIN_RULES.map((r) => byId.get(r.id) ?? r);
  const added = user.filter((r) => !BUILTIN_RULES.some((b) => b.id === r.id));
  const generic = builtins.filter((r) => r.id.startsWith('generic-'));
  const specific = builtins.filter((r) => !r.id.startsWith('generic-'));
  return [...specific, ...added, ...generic].filter((r) => !disabled.has(r.id));
}

/** Compiles the rules and global allowlist of a config; throws a RangeError naming a bad rule or regex. */
export function ruleSetOf(config: ScanConfig, reportMalformed: boolean): RuleSet {
  const ids = new Set<string>();
  for (const r of config.rules ?? []) {
    if (ids.has(r.id)) throw new RangeError(`rule ${r.id} is defined twice`);
    ids.add(r.id);
  }
  let allowRegexes: RegExp[];
  try {
    allowRegexes = (config.allowlist?.regexes ?? []).map((r) => compileRegex(r, ''));
  } catch (error) {
    throw new RangeError(`allowlist.regexes: ${error instanceof Error ? error.message : String(error)}`);
  }
  return {
    rules: effectiveRules(config).map(compileRule),
    allowRegexes,
    stopwords: (config.allowlist?.stopwords ?? []).map((s) => s.toLowerCase()),
    reportMalformed,
  };
}

/** The path allowlist of a config: its own patterns, plus the defaults unless turned off. */
export function pathAllowlistOf(config: ScanConfig): Ignore | null {
  const own = config.allowlist?.paths ?? [];
  return pathMatcher(config.useDefaultPathAllowlist === false ? own : [...DEFAULT_PATH_ALLOWLIST, ...own]);
}
