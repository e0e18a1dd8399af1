import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SHIPPED_PLAYBOOKS_DIR, loadPlaybooks } from '../../src/playbooks/playbook-files.ts';
import { PlaybookError, parsePlaybook } from '../../src/playbooks/playbook.ts';

const OK = `name: x
description: d
trigger:
  type: manual
steps:
  - action: snapshot-evidence
`;

/** The PlaybookError `text` raises, as file:line:column and message. */
function error(text: string, source = 'x.yaml'): { where: string; message: string } {
  try {
    parsePlaybook(text, source);
  } catch (e) {
    if (!(e instanceof PlaybookError)) throw e;
    return { where: `${e.source}:${e.position?.line ?? '?'}:${e.position?.column ?? '?'}`, message: e.message };
  }
  throw new Error('parsed');
}

let dir: string | undefined;
afterEach(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('YAML playbooks', () => {
  it('ships the playbooks as YAML', () => {
    const shipped = loadPlaybooks(SHIPPED_PLAYBOOKS_DIR);
    expect(shipped.map((p) => p.name)).toEqual(['key-compromise', 'personnel-offboarding']);
    expect(shipped[0]?.steps).toEqual([
      { action: 'suspend-key', reason: 'suspected compromise' },
      { action: 'rotate-key', gracePeriodSeconds: 0 },
      { action: 'notify-webhook', message: 'key suspended and rotated after a suspected compromise' },
      { action: 'snapshot-evidence' },
    ]);
    // A folded block scalar is one line of text.
    expect(shipped[0]?.description).toBe('Suspected key compromise: stop the key, issue a successor, tell the on-call receiver, and record the evidence.');
  });

  it('reads YAML and JSON to the same playbook', () => {
    const json = JSON.stringify({ name: 'x', description: 'd', trigger: { type: 'manual' }, steps: [{ action: 'snapshot-evidence' }] });
    expect(parsePlaybook(OK, 'x.yaml')).toEqual(parsePlaybook(json, 'x.json'));
    // YAML 1.2 core schema: `no` is text, as in JSON, not the boolean of YAML 1.1.
    expect(parsePlaybook(OK.replace('  - action: snapshot-evidence', '  - action: suspend-key\n    reason: no'), 'x.yaml').steps[0]).toEqual({ action: 'suspend-key', reason: 'no' });
    // JSON is YAML too, so a .yml file may hold it.
    expect(parsePlaybook(json, 'x.yml')).toEqual(parsePlaybook(json, 'x.json'));
  });

  it('names the file, line and column of YAML syntax errors', () => {
    const syntax = error('name: x\nsteps:\n  - action: a\n   bad: [1\n');
    expect(syntax.where).toMatch(/^x\.yaml:4:/);
    expect(syntax.message).toMatch(/^x\.yaml:4:\d+: not valid YAML: /);
    expect(error('name: x\nname: y\n').message).toMatch(/^x\.yaml:2:1: not valid YAML: Map keys must be unique/);
    expect(error('name: x\n---\nname: y\n').message).toMatch(/^x\.yaml:\d+:\d+: not valid YAML: .*multiple documents/);
    expect(error('name: !secret x\n').message).toMatch(/^x\.yaml:1:7: not valid YAML: .*tag/i);
  });

  it('names the line of an unknown step, an unknown field, a bad value and a missing field', () => {
    const step = (lines: string) => `${OK}${lines}`;
    expect(error(step('  - action: delete-everything\n')).message).toBe(
      'x.yaml:7:13: /steps/1/action: unknown action "delete-everything": expected one of suspend-key, rotate-key, revoke-key, revoke-owner-keys, notify-webhook, snapshot-evidence',
    );
    expect(error(step('  - action: suspend-key\n    resaon: typo\n')).message).toMatch(/^x\.yaml:8:5: \/steps\/1: unknown field "resaon"/);
    expect(error(`${OK}extra: 1\n`).message).toMatch(/^x\.yaml:7:1: \/: unknown field "extra"/);
    expect(error(step('  - action: rotate-key\n    gracePeriodSeconds: soon\n')).message).toMatch(/^x\.yaml:8:25: \/steps\/1\/gracePeriodSeconds: Expected number, received string/);
    // A missing field points at the step that lacks it.
    expect(error(step('  - action: revoke-key\n')).message).toMatch(/^x\.yaml:7:5: \/steps\/1\/reason: Required/);
    expect(error(OK.replace('  type: manual', '  type: alert\n  alertTypes: [rate-spike, nope]\n  minSeverity: high')).message).toMatch(/^x\.yaml:5:28: \/trigger\/alertTypes\/1: Invalid enum value/);
    // A number where text is wanted is an error, not a silent conversion.
    expect(error(step('  - action: notify-webhook\n    message: 12\n')).message).toMatch(/^x\.yaml:8:14: \/steps\/1\/message: Expected string, received number/);
    expect(error('').message).toMatch(/^x\.yaml: \/: Expected object, received null|^x\.yaml:1:1: \/: Expected object/);
  });

  it('names the line in JSON files too', () => {
    const json = '{\n  "name": "x",\n  "description": "d",\n  "trigger": { "type": "manual" },\n  "steps": [\n    { "action": "snapshot-evidence", "extra": 1 }\n  ]\n}\n';
    expect(error(json, 'x.json').message).toMatch(/^x\.json:6:38: \/steps\/0: unknown field "extra"/);
    expect(error('{\n  "name": "x",\n}', 'x.json').message).toMatch(/^x\.json(:\d+:\d+)?: not valid JSON/);
  });

  it('loads .yaml, .yml and .json, refuses two files for one playbook and a file named after another', () => {
    dir = mkdtempSync(join(tmpdir(), 'clavis-playbooks-'));
    writeFileSync(join(dir, 'a.yaml'), OK.replace('name: x', 'name: a'));
    writeFileSync(join(dir, 'b.yml'), OK.replace('name: x', 'name: b'));
    writeFileSync(join(dir, 'c.json'), JSON.stringify({ name: 'c', description: '', trigger: { type: 'manual' }, steps: [{ action: 'snapshot-evidence' }] }));
    writeFileSync(join(dir, 'notes.txt'), 'not a playbook');
    expect(loadPlaybooks(dir).map((p) => p.name)).toEqual(['a', 'b', 'c']);
    writeFileSync(join(dir, 'a.json'), JSON.stringify({ name: 'a', description: '', trigger: { type: 'manual' }, steps: [{ action: 'snapshot-evidence' }] }));
    expect(() => loadPlaybooks(dir ?? '')).toThrow(/a\.yaml: playbook a is also defined in a\.json/);
    rmSync(join(dir, 'a.json'));
    writeFileSync(join(dir, 'd.yaml'), OK);
    expect(() => loadPlaybooks(dir ?? '')).toThrow(/d\.yaml: the file must be named after the playbook \(x\.yaml\)/);
  });
});

describe('clavis playbook validate', () => {
  it('passes the shipped playbooks and names the line of a bad one, offline', async () => {
    const { runCli } = await import('../cli/harness.ts');
    const shipped = ['key-compromise.yaml', 'personnel-offboarding.yaml'].map((f) => join(SHIPPED_PLAYBOOKS_DIR, f));
    const good = await runCli(['playbook', 'validate', ...shipped]);
    expect(good.code, good.stderr).toBe(0);
    expect(good.stdout).toContain('ok    ');
    dir = mkdtempSync(join(tmpdir(), 'clavis-playbooks-'));
    const bad = join(dir, 'x.yaml');
    writeFileSync(bad, `${OK}  - action: revoke-everything\n`);
    const r = await runCli(['playbook', 'validate', bad, ...shipped, '--json']);
    expect(r.code).toBe(1);
    const results = JSON.parse(r.stdout) as { ok: boolean; error: string | null }[];
    expect(results.map((x) => x.ok)).toEqual([false, true, true]);
    expect(results[0]?.error).toContain(`${bad}:7:13: /steps/1/action: unknown action "revoke-everything"`);
    const misnamed = join(dir, 'y.yaml');
    writeFileSync(misnamed, OK);
    expect((await runCli(['playbook', 'validate', misnamed])).stdout).toContain('must be named after the playbook (x)');
    expect((await runCli(['playbook', 'validate', join(dir, 'missing.yaml')])).code).toBe(2);
  });
});
