import { readFileSync, writeFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { CLAVIS_KEY_RULE, CLAVIS_MALFORMED_RULE, CLAVIS_TOKEN_RULE } from '../../scan/clavis-keys.ts';
import { readBaseline, writeBaseline } from '../../scan/baseline.ts';
import type { Finding } from '../../scan/finding.ts';
import { jsonReport } from '../../scan/report-json.ts';
import { sarifReport, type SarifRuleInfo } from '../../scan/report-sarif.ts';
import { summaryLine, textReport } from '../../scan/report-text.ts';
import { DEFAULT_MAX_FILE_SIZE, effectiveRules, loadScanConfig, pathAllowlistOf, ruleSetOf } from '../../scan/scan-config.ts';
import { scanGit, scanPaths, scanText, type ScanOptions, type ScanResult } from '../../scan/scanner.ts';
import { verifyFindings } from '../../scan/verify-keys.ts';
import { remoteCompromisePlaybook } from '../../scan/compromise-playbook.ts';
import { clientOf, globalsOf, type CliContext } from '../context.ts';
import { CliError, EXIT_CHECK_FAILED, EXIT_OK, readAll } from '../io.ts';
import { formatTable, note } from '../output.ts';
import { integer } from '../parsers.ts';
import { progressBar } from './scan-progress.ts';

interface Options {
  git?: boolean;
  staged?: boolean;
  range?: string;
  format?: 'text' | 'json' | 'sarif';
  output?: string;
  config?: string;
  baseline?: string;
  writeBaseline?: string;
  maxFileSize?: number;
  malformed?: boolean;
  showSecrets?: boolean;
  verify?: boolean;
  offline?: boolean;
  revoke?: boolean;
  progress: boolean;
}

/** From this much data on, files are scanned on worker threads (one per core, at most 4). */
const PARALLEL_MIN_BYTES = 32 * 1024 * 1024;

const CLAVIS_RULES: SarifRuleInfo[] = [
  { id: CLAVIS_KEY_RULE, description: 'Clavis API key (checksum verified)', severity: 'high' },
  { id: CLAVIS_TOKEN_RULE, description: 'Clavis admin token (checksum verified)', severity: 'high' },
  { id: CLAVIS_MALFORMED_RULE, description: 'Malformed key-like string: Clavis key shape, but the checksum fails', severity: 'low' },
];

function cliVersion(): string {
  try {
    const pkg: unknown = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8'));
    if (typeof pkg === 'object' && pkg !== null && 'version' in pkg && typeof pkg.version === 'string') return pkg.version;
  } catch {
    // Only the SARIF tool version depends on it.
  }
  return '0.0.0';
}

const message = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** `clavis scan [PATH…]`: finds Clavis keys and third-party secrets in files, stdin or git history. */
export function registerScan(program: Command, ctx: CliContext): void {
  program
    .command('scan')
    .description('Find leaked Clavis keys and other secrets in files, stdin or git history; exits 1 when any is found')
    .argument('[paths...]', 'files and folders to scan (default: the current folder), or - for stdin')
    .option('--git', 'scan every commit of the repository history (lines each commit added) instead of the files')
    .option('--staged', 'scan only the staged changes (for a pre-commit hook)')
    .option('--range <revisions>', 'with --git: only these commits, e.g. origin/main..HEAD')
    .addOption(new Option('--format <format>', 'report format').choices(['text', 'json', 'sarif']))
    .option('--output <file>', 'write the report to a file instead of stdout')
    .option('--config <file>', 'rules and allowlists (default: .clavis-scan.json in the current folder, if present)')
    .option('--baseline <file>', 'leave out the findings listed in this baseline file')
    .option('--write-baseline <file>', 'write the current findings to a baseline file and exit 0')
    .option('--max-file-size <bytes>', `skip files larger than this (default ${DEFAULT_MAX_FILE_SIZE})`, integer(1))
    .option('--malformed', 'also report Clavis-shaped strings whose checksum fails (low severity)')
    .option('--show-secrets', 'print secrets in full instead of their start and length')
    .option('--verify', 'look found Clavis keys up on the server (default when a token is configured)')
    .option('--offline', 'never contact a server, even with a token configured')
    .option('--revoke', 'revoke found keys the server still accepts (live or suspended), with the finding as the reason')
    .option('--no-progress', 'no progress bar, even on a terminal')
    .addHelpText(
      'after',
      `
Clavis keys are confirmed by their checksum: a string that only looks like a key is never
reported (see --malformed). Third-party rules, allowlists and baselines: docs/guides/secret-scanning.md.
Secrets are redacted (start and length) in every format unless --show-secrets is given.

Exit status: 0 nothing found, 1 something found, 2 usage or scan error.

Examples:
  $ clavis scan                                # the current folder, honouring .gitignore
  $ clavis scan --git --format sarif --output clavis.sarif
  $ git show HEAD:app.env | clavis scan -      # standard input
  $ clavis scan src config --json | jq '.findings[] | .ruleId'
  $ CLAVIS_TOKEN=… clavis scan --git --revoke  # revoke every live key found in history`,
    )
    .action(async (paths: string[], _opts: unknown, cmd: Command) => {
      const o = cmd.opts<Options>();
      const globals = globalsOf(cmd);
      const format = o.format ?? (globals.json === true ? 'json' : 'text');
      const cwd = process.cwd();
      if (o.git === true && o.staged === true) throw new CliError('--git and --staged exclude each other');
      if (o.range !== undefined && o.git !== true) throw new CliError('--range needs --git');
      if (o.offline === true && (o.verify === true || o.revoke === true)) throw new CliError('--offline excludes --verify and --revoke');
      const stdin = paths.length === 1 && paths[0] === '-';
      if (paths.includes('-') && !stdin) throw new CliError('- (stdin) cannot be combined with other paths');
      if (stdin && (o.git === true || o.staged === true)) throw new CliError('- (stdin) cannot be combined with --git or --staged');

      let options: ScanOptions;
      let sarifRules: SarifRuleInfo[];
      try {
        const { config } = loadScanConfig(cwd, o.config);
        const reportMalformed = o.malformed === true || config.reportMalformed === true;
        const baselineFile = o.writeBaseline !== undefined ? undefined : (o.baseline ?? config.baseline);
        options = {
          ruleSet: ruleSetOf(config, reportMalformed),
          maxFileSizeBytes: o.maxFileSize ?? config.maxFileSizeBytes ?? DEFAULT_MAX_FILE_SIZE,
          pathAllowlist: pathAllowlistOf(config),
          baseline: baselineFile === undefined ? null : readBaseline(baselineFile),
          cwd,
          // Worker threads pay ~0.3 s to start: worth it only for a large tree.
          parallel: { config, reportMalformed, minBytes: PARALLEL_MIN_BYTES },
        };
        sarifRules = [...CLAVIS_RULES.filter((r) => reportMalformed || r.id !== CLAVIS_MALFORMED_RULE), ...effectiveRules(config).map((r) => ({ id: r.id, description: r.description, severity: r.severity ?? 'medium' }))];
      } catch (error) {
        throw new CliError(message(error));
      }

      // Resolve the server before scanning: a bad --url should fail fast, not after a long scan.
      const tokenGiven = (globals.token ?? ctx.io.env.CLAVIS_TOKEN ?? '').trim() !== '';
      const useServer = o.offline !== true && (o.verify === true || o.revoke === true || tokenGiven);
      const client = useServer ? clientOf(cmd, ctx) : null;

      const bar = ctx.io.stderrIsTty && o.progress ? progressBar(ctx.io.stderr) : null;
      if (bar !== null) options.onProgress = bar.update;
      let result: ScanResult;
      try {
        if (stdin) result = scanText(await readAll(ctx.io.stdin()), '(stdin)', options);
        else if (o.git === true) result = await scanGit(paths[0] ?? '.', { kind: 'log', ...(o.range !== undefined ? { range: o.range } : {}) }, options);
        else if (o.staged === true) result = await scanGit(paths[0] ?? '.', { kind: 'staged' }, options);
        else result = await scanPaths(paths.length === 0 ? ['.'] : paths, options);
      } catch (error) {
        throw new CliError(`scan failed: ${message(error)}`);
      } finally {
        bar?.done();
      }

      const findings: Finding[] = result.findings;
      if (client !== null && findings.some((f) => f.ruleId === CLAVIS_KEY_RULE)) {
        try {
          const outcome = await verifyFindings(findings, client, { revoke: o.revoke === true, playbook: remoteCompromisePlaybook(client) });
          if (o.revoke === true) note(ctx.io, `revoked ${outcome.revoked.length} key(s) found live or suspended${outcome.revoked.length > 0 ? `: ${outcome.revoked.join(', ')}` : ''}`);
        } catch (error) {
          // Asked for explicitly, a failed lookup is an error; implied by a token in the
          // environment, it must not break a CI scan that found what it found.
          if (o.verify === true || o.revoke === true) throw error;
          note(ctx.io, `warning: could not look the found keys up on the server (${message(error)}); pass --offline to skip`);
        }
      }

      if (o.writeBaseline !== undefined) {
        writeBaseline(o.writeBaseline, findings);
        note(ctx.io, `wrote ${findings.length} finding(s) to the baseline ${o.writeBaseline}`);
        ctx.exitCode = EXIT_OK;
        return;
      }

      const showSecrets = o.showSecrets === true;
      const report =
        format === 'json'
          ? `${JSON.stringify(jsonReport(findings, result.stats, showSecrets), null, 2)}\n`
          : format === 'sarif'
            ? `${JSON.stringify(sarifReport(findings, sarifRules, cliVersion()), null, 2)}\n`
            : textReport(findings, result.stats, showSecrets, formatTable);
      if (o.output !== undefined) {
        writeFileSync(o.output, report);
        note(ctx.io, `${summaryLine(result.stats)}; report written to ${o.output}`);
      } else ctx.io.stdout(report);
      ctx.exitCode = findings.length > 0 ? EXIT_CHECK_FAILED : EXIT_OK;
    });
}
