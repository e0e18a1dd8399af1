import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PlaybookError, parsePlaybook, type Playbook } from './playbook.ts';

/** The playbooks shipped with Clavis (`playbooks/` at the package root). */
export const SHIPPED_PLAYBOOKS_DIR = fileURLToPath(new URL('../../playbooks/', import.meta.url));

/**
 * Reads every `*.json` playbook of a folder; a file's name must be its playbook's name, and a
 * file that does not validate stops the load (a server must not start with half its playbooks).
 *
 * @example loadPlaybooks(SHIPPED_PLAYBOOKS_DIR).map((p) => p.name) // ['key-compromise', 'personnel-offboarding']
 */
export function loadPlaybooks(dir: string): Playbook[] {
  const out: Playbook[] = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
    const p = parsePlaybook(readFileSync(join(dir, file), 'utf8'), file);
    if (`${p.name}.json` !== file) throw new PlaybookError(`${file}: the file must be named after the playbook (${p.name}.json)`);
    out.push(p);
  }
  return out;
}
