import type { Command } from 'commander';
import { leafHashOfEvent, verifyInclusion } from '../../core/audit/merkle.ts';
import { openNote, parseVerifierKey } from '../../core/audit/signed-note.ts';
import { clientOf, jsonOf, type CliContext } from '../context.ts';
import { CliError, EXIT_CHECK_FAILED } from '../io.ts';
import { emit, formatRecord, formatTable } from '../output.ts';
import { integer } from '../parsers.ts';
import { logEventOf } from '../views.ts';

interface Check {
  check: string;
  ok: boolean;
  detail: string;
}

/** `clavis audit proof SEQ`: fetches an inclusion proof and checks it locally. */
export function registerAuditProof(audit: Command, ctx: CliContext): void {
  audit
    .command('proof')
    .description('Prove that one audit event is in a signed checkpoint, checking the proof locally')
    .argument('<seq>', 'seq of the event', integer(0))
    .option('--tree-size <n>', 'prove against the checkpoint of this size (default: the smallest that covers the event)', integer(1))
    .option('--verifier-key <key>', 'trusted verifier key (default: the key the server publishes)')
    .addHelpText(
      'after',
      `
Checks, all locally: the event's content hashes to its leaf; the checkpoint note is signed by
the verifier key and names this workspace's log; the RFC 6962 inclusion proof leads from the
leaf to the signed root. Without --verifier-key the server's own published key is trusted.
Exit status: 0 when every check passes, 1 when one fails, 2 on errors.

Examples:
  $ clavis audit proof 42
  $ clavis audit proof 42 --verifier-key 'clavis-audit+1a2b3c4d+AR…'`,
    )
    .action(async (seq: number, _opts: unknown, cmd: Command) => {
      const o = cmd.opts<{ treeSize?: number; verifierKey?: string }>();
      if (o.verifierKey !== undefined) {
        try {
          parseVerifierKey(o.verifierKey);
        } catch (error) {
          throw new CliError(`--verifier-key: ${error instanceof Error ? error.message : 'invalid'}`);
        }
      }
      const client = clientOf(cmd, ctx);
      const proof = await client.getInclusionProof(seq, o.treeSize);
      const published = await client.listCheckpoints({ limit: 1 });
      const events = await client.listAuditEvents({ fromSeq: seq, toSeq: seq, limit: 1 });
      const verifierKey = o.verifierKey ?? published.verifierKey;
      const checks: Check[] = [];

      const event = events.data[0];
      if (event?.seq !== seq) {
        checks.push({ check: 'event', ok: false, detail: `the server did not return event ${seq}` });
      } else {
        const hash = leafHashOfEvent(logEventOf(event)).toString('hex');
        const ok = hash === proof.leafHash && hash === event.leafHash;
        checks.push({ check: 'event hash', ok, detail: ok ? `leaf ${hash}` : `content hashes to ${hash}, the proof says ${proof.leafHash}` });
      }

      const opened = openNote(proof.checkpoint.note, verifierKey);
      let signedRoot: Buffer | null = null;
      if (!opened.ok) {
        checks.push({ check: 'checkpoint signature', ok: false, detail: opened.reason });
      } else if (opened.origin !== published.origin) {
        checks.push({ check: 'checkpoint signature', ok: false, detail: `signed for log ${opened.origin}, not ${published.origin}` });
      } else if (opened.treeSize !== proof.treeSize || opened.rootHash.toString('hex') !== proof.rootHash) {
        checks.push({ check: 'checkpoint signature', ok: false, detail: `the signed note says size ${opened.treeSize}, the proof ${proof.treeSize} with another root` });
      } else {
        signedRoot = opened.rootHash;
        checks.push({ check: 'checkpoint signature', ok: true, detail: `size ${opened.treeSize} signed by ${verifierKey.slice(0, verifierKey.lastIndexOf('+'))}` });
      }

      if (signedRoot === null) {
        checks.push({ check: 'inclusion proof', ok: false, detail: 'no signed root to check against' });
      } else {
        const ok = verifyInclusion(Buffer.from(proof.leafHash, 'hex'), seq, proof.treeSize, proof.proof.map((h) => Buffer.from(h, 'hex')), signedRoot);
        checks.push({ check: 'inclusion proof', ok, detail: ok ? `${proof.proof.length} hashes lead to root ${proof.rootHash}` : 'the proof does not lead to the signed root' });
      }

      const ok = checks.every((c) => c.ok);
      const result = {
        ok,
        seq,
        treeSize: proof.treeSize,
        rootHash: proof.rootHash,
        leafHash: proof.leafHash,
        verifierKey,
        verifierKeySource: o.verifierKey === undefined ? 'server' : 'option',
        checks,
      };
      emit(ctx.io, jsonOf(cmd), result, () =>
        formatTable(['check', 'result', 'detail'], checks.map((c) => [c.check, c.ok ? 'OK' : 'FAIL', c.detail])) +
        '\n' +
        formatRecord([
          ['result', ok ? `OK: event ${seq} is in the signed log of size ${proof.treeSize}` : `FAIL: event ${seq} is not proven`],
          ['verifier key', `${verifierKey} (${o.verifierKey === undefined ? 'as published by the server' : 'from --verifier-key'})`],
        ]),
      );
      if (!ok) ctx.exitCode = EXIT_CHECK_FAILED;
    });
}
