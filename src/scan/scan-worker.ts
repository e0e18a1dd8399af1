import { parentPort, workerData } from 'node:worker_threads';
import { readFile } from 'node:fs/promises';
import { looksBinary } from './binary.ts';
import { detectSecrets } from './detect.ts';
import type { Finding } from './finding.ts';
import { ruleSetOf, type ScanConfig } from './scan-config.ts';
import type { WalkedFile } from './walker.ts';

/** What a scan worker is started with: the config it compiles its own rules from. */
export interface WorkerInit {
  config: ScanConfig;
  reportMalformed: boolean;
}

/** The answer to one batch of files. */
export interface BatchResult {
  findings: Finding[];
  scanned: number;
  bytes: number;
  binary: number;
  unreadable: number;
  allowed: number;
}

// One worker thread of a parallel file scan (parallel-scan.ts): it compiles the rules once, then
// reads and scans each batch of files it is sent and posts the findings back.
const port = parentPort;
if (port !== null) {
  const init = workerData as WorkerInit;
  const ruleSet = ruleSetOf(init.config, init.reportMalformed);
  port.on('message', (files: WalkedFile[]) => {
    void (async () => {
      const out: BatchResult = { findings: [], scanned: 0, bytes: 0, binary: 0, unreadable: 0, allowed: 0 };
      for (const f of files) {
        let bytes: Buffer;
        try {
          bytes = await readFile(f.path);
        } catch {
          out.unreadable++;
          continue;
        }
        if (looksBinary(bytes)) {
          out.binary++;
          continue;
        }
        const r = detectSecrets(bytes.toString('utf8'), { file: f.display }, ruleSet);
        out.scanned++;
        out.bytes += f.size;
        out.allowed += r.allowed;
        out.findings.push(...r.findings);
      }
      port.postMessage(out);
    })();
  });
}
