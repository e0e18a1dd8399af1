import { describe, expect, it } from 'vitest';
import { csvField, formatCsv } from '../../src/cli/commands/audit-export.ts';
import { cell, formatRecord, formatTable, truncate } from '../../src/cli/output.ts';

describe('output', () => {
  it('aligns table columns without trailing spaces', () => {
    expect(formatTable(['id', 'name', 'x'], [['key_1', 'alice', null], ['k', 'bo', ['a', 'b']]])).toBe('ID     NAME   X\nkey_1  alice  -\nk      bo     a, b\n');
  });

  it('aligns records', () => {
    expect(formatRecord([['id', 'key_1'], ['status', 'active'], ['owner', null]])).toBe('id      key_1\nstatus  active\nowner   -\n');
  });

  it('escapes control characters from server data', () => {
    expect(cell('evil\u001b[2J\nname')).toBe('evil\\u001b[2J\\u000aname');
    expect(cell({ a: 1 })).toBe('{"a":1}');
    expect(truncate('abcdef', 4)).toBe('abc…');
  });

  it('writes csv that spreadsheets neither split nor evaluate', () => {
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('=HYPERLINK("x")')).toBe('"\'=HYPERLINK(""x"")"');
    const csv = formatCsv([
      { id: 'evt_1', workspaceId: 'ws_1', seq: 0, time: '2025-01-01T00:00:00.000Z', actor: { type: 'system', id: 'bootstrap' }, action: 'workspace.created', target: null, data: { name: 'a,b' }, leafHash: '00' },
    ]);
    expect(csv).toBe('seq,time,actor,action,target,data-json\r\n0,2025-01-01T00:00:00.000Z,system:bootstrap,workspace.created,,"{""name"":""a,b""}"\r\n');
  });
});
