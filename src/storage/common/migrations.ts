import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

const FILE_PATTERN = /^(\d{3})-([a-z0-9-]+)\.sql$/;

/**
 * Reads `NNN-name.sql` files of a migrations folder, in version order. Other files are ignored so
 * that a README can sit next to them; a repeated version is a packaging mistake and throws.
 */
export function loadMigrations(dir: URL): Migration[] {
  const migrations: Migration[] = [];
  for (const file of readdirSync(fileURLToPath(dir))) {
    const m = FILE_PATTERN.exec(file);
    if (!m) continue;
    const [, version, name] = m;
    if (version === undefined || name === undefined) continue;
    migrations.push({ version: Number(version), name, sql: readFileSync(new URL(file, dir), 'utf8') });
  }
  migrations.sort((a, b) => a.version - b.version);
  for (let i = 1; i < migrations.length; i += 1) {
    const prev = migrations[i - 1];
    const cur = migrations[i];
    if (prev && cur && prev.version === cur.version) {
      throw new Error(`duplicate migration version ${cur.version} in ${fileURLToPath(dir)}`);
    }
  }
  return migrations;
}
