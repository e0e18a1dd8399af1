import { describe, expect, it } from 'vitest';
import { progressBar } from '../../src/cli/commands/scan-progress.ts';
import { runCli } from '../cli/harness.ts';

describe('the scan progress bar', () => {
  it('redraws one line at most every 100 ms, always draws the end, and erases itself', () => {
    const out: string[] = [];
    let t = 0;
    const bar = progressBar((s) => out.push(s), () => t);
    bar.update({ unit: 'files', done: 1, total: 4, bytes: 0 });
    t = 50;
    bar.update({ unit: 'files', done: 2, total: 4, bytes: 0 });
    t = 200;
    bar.update({ unit: 'files', done: 3, total: 4, bytes: 3 * 1024 * 1024 });
    t = 210;
    bar.update({ unit: 'files', done: 4, total: 4, bytes: 4 * 1024 * 1024 });
    bar.done();
    expect(out).toEqual([
      '\r\u001b[K[######..................] 25% 1/4 files, 0.0 MiB',
      '\r\u001b[K[##################......] 75% 3/4 files, 3.0 MiB',
      '\r\u001b[K[########################] 100% 4/4 files, 4.0 MiB',
      '\r\u001b[K',
    ]);
  });

  it('is drawn on a terminal only', async () => {
    const tty = await runCli(['scan', 'test/fixtures/scan-corpus/README.md'], { stderrIsTty: true });
    expect(tty.stderr).toContain('\r\u001b[K[');
    expect(tty.stderr.endsWith('\r\u001b[K')).toBe(true);
    const pipe = await runCli(['scan', 'test/fixtures/scan-corpus/README.md'], { stderrIsTty: false });
    expect(pipe.stderr).toBe('');
    expect(pipe.code).toBe(0);
    expect((await runCli(['scan', 'test/fixtures/scan-corpus/README.md', '--no-progress'], { stderrIsTty: true })).stderr).toBe('');
  });
});
