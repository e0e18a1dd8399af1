/**
 * SoftHSM2 for tests: a config whose token directory the test owns (SOFTHSM2_CONF points at it),
 * and tokens made with softhsm2-util. `.ci/run` installs softhsm2; elsewhere the suites skip
 * with a note unless CI is set, where a missing SoftHSM2 fails them.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const CANDIDATES = ['/usr/lib/softhsm/libsofthsm2.so', '/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so', '/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so', '/usr/local/lib/softhsm/libsofthsm2.so'];

/** Path of the SoftHSM2 module, or null when it is not installed. */
export const SOFTHSM_MODULE: string | null = CANDIDATES.find((p) => existsSync(p)) ?? null;
export const SOFTHSM_REQUIRED = Boolean(process.env.CI) || process.env.CLAVIS_REQUIRE_SOFTHSM === '1';

export interface SoftHsm {
  module: string;
  /** Folder holding softhsm2.conf and the tokens. */
  dir: string;
  /** The environment a child process needs to see the same tokens. */
  env: Record<string, string>;
  initToken(label: string, pin: string, soPin?: string): void;
  remove(): void;
}

/**
 * Points SOFTHSM2_CONF (in this process) at a fresh token directory. Call before the module is
 * first initialised in the process.
 */
export function setUpSoftHsm(): SoftHsm {
  if (SOFTHSM_MODULE === null) throw new Error('SoftHSM2 is not installed (apt-get install softhsm2)');
  const module = SOFTHSM_MODULE;
  const dir = mkdtempSync(join(tmpdir(), 'clavis-softhsm-'));
  const tokens = join(dir, 'tokens');
  mkdirSync(tokens);
  const conf = join(dir, 'softhsm2.conf');
  writeFileSync(conf, `directories.tokendir = ${tokens}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n`);
  process.env.SOFTHSM2_CONF = conf;
  return {
    module,
    dir,
    env: { SOFTHSM2_CONF: conf },
    initToken: (label, pin, soPin = '87654321') => {
      execFileSync('softhsm2-util', ['--init-token', '--free', '--label', label, '--pin', pin, '--so-pin', soPin], { env: { ...process.env, SOFTHSM2_CONF: conf }, stdio: 'pipe' });
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
