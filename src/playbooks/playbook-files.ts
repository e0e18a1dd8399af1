import { readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PlaybookError, parsePlaybook, type Playbook } from './playbook.ts';

/** The playbooks shipped with Clavis (`playbooks/` at the package root). */
export const SHIPPED_PLAYBOOKS_DIR = fileURLToPath(new URL('../../playbooks/', import.meta.url));

/** File extensions read as playbooks: YAML, and JSON as before YAML was. */
export const PLAYBOOK_EXTENSIONS = ['.yaml', '.yml', '.json'] as const;

/**
 * Reads every `*.yaml`, `*.yml` and `*.json` playbook of a folder, in name order; a file's name
 * must be its playbook's name, one file per playbook, and a file that does not validate stops
 * the load (a server must not start with half its playbooks).
 *
 * @example loadPlaybooks(SHIPPED_PLAYBOOKS_DIR).map((p) => p.name) // ['key-compromise', 'personnel-offboarding']
 */
export function loadPlaybooks(dir: string): Playbook[] {
  const out: Playbook[] = [];
  const seen = new Map<string, string>();
  const files = readdirSync(dir).filter((f) => (PLAYBOOK_EXTENSIONS as readonly string[]).includes(extname(f).toLowerCase()) && !f.startsWith('.'));
  for (const file of files.sort()) {
    const p = parsePlaybook(readFileSync(join(dir, file), 'utf8'), file);
    const stem = file.slice(0, -extname(file).length);
    if (stem !== p.name) throw new PlaybookError(`${file}: the file must be named after the playbook (${p.name}${extname(file)})`, file);
    const other = seen.get(p.name);
    if (other !== undefined) throw new PlaybookError(`${file}: playbook ${p.name} is also defined in ${other}`, file);
    seen.set(p.name, file);
    out.push(p);
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : 1));
}
