import { cpSync, mkdtempSync, readFileSync, readdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { secretFor } from './tokens.ts';

export const CORPUS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'scan-corpus');

/** A secret planted in the materialised corpus: what the scanner must (or must not) report. */
export interface Planted {
  kind: 'plant' | 'quiet' | 'noise';
  ruleId: string;
  name: string;
  file: string;
  line: number;
  column: number;
  value: string;
}

const PLACEHOLDER = /\{\{(plant|quiet|noise):([a-z0-9-]+):([a-z0-9-]+)\}\}/g;

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

/** 1-based line and column of an offset. */
function position(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, column: offset - (before.lastIndexOf('\n') + 1) + 1 };
}

/**
 * Copies the corpus to a new temporary folder, renames `dot-X` to `.X` and drops `.tmpl`, and
 * replaces every placeholder with a value made now. Returns the folder and every planted value
 * with its exact position in the written file.
 */
export function materialiseCorpus(): { dir: string; planted: Planted[] } {
  const dir = mkdtempSync(join(tmpdir(), 'clavis-corpus-'));
  cpSync(CORPUS_DIR, dir, { recursive: true });
  const planted: Planted[] = [];
  for (const path of filesUnder(dir)) {
    let target = path;
    const base = target.slice(dirname(target).length + 1);
    if (base.startsWith('dot-')) target = join(dirname(target), `.${base.slice(4)}`);
    if (target.endsWith('.tmpl')) target = target.slice(0, -'.tmpl'.length);
    if (target !== path) renameSync(path, target);
    const template = readFileSync(target, 'utf8');
    let out = '';
    let last = 0;
    const here: Omit<Planted, 'line' | 'column'>[] = [];
    const offsets: number[] = [];
    for (const m of template.matchAll(PLACEHOLDER)) {
      const [whole, kind, ruleId, name] = m;
      if (kind === undefined || ruleId === undefined || name === undefined) continue;
      const value = secretFor(ruleId, name);
      out += template.slice(last, m.index);
      offsets.push(out.length);
      out += value;
      last = m.index + whole.length;
      here.push({ kind: kind as Planted['kind'], ruleId, name, file: relative(dir, target).split('\\').join('/'), value });
    }
    if (here.length === 0) continue;
    out += template.slice(last);
    writeFileSync(target, out);
    here.forEach((p, i) => planted.push({ ...p, ...position(out, offsets[i] ?? 0) }));
  }
  return { dir, planted };
}
