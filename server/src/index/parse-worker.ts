/**
 * Worker thread: reads and parses files on request, so two cores parse at once. The IR goes back
 * as JSON text: the main thread stores that text in the cache as it is and parses it into the
 * same compact objects a warm run reads from the cache.
 *
 * Run as a script (`node parse-worker.js --parse ABS REL`) it parses one file and prints its IR
 * as JSON: the synchronous way back when a cached parse is gone when it is needed.
 */
import * as fs from 'fs';
import { parentPort } from 'worker_threads';
import { parseFileBytes } from '../parse/parse-file';
import { contentHash } from './ir-cache';

export interface ParseRequest {
  id: number;
  abs: string;
  rel: string;
}

export interface ParseReply {
  id: number;
  /** The file's IR, JSON.stringify'd. */
  json?: string;
  hash?: string;
  error?: string;
}

parentPort?.on('message', (req: ParseRequest) => {
  void (async () => {
    try {
      const bytes = fs.readFileSync(req.abs);
      const ir = await parseFileBytes(req.rel, bytes);
      parentPort!.postMessage({ id: req.id, json: JSON.stringify(ir), hash: contentHash(bytes) } satisfies ParseReply);
    } catch (err) {
      parentPort!.postMessage({ id: req.id, error: (err as Error).message ?? String(err) } satisfies ParseReply);
    }
  })();
});

if (!parentPort && require.main === module && process.argv[2] === '--parse') {
  const [abs, rel] = process.argv.slice(3);
  parseFileBytes(rel, fs.readFileSync(abs)).then(
    (ir) => process.stdout.write(JSON.stringify(ir)),
    (err) => {
      process.stderr.write(String(err));
      process.exitCode = 1;
    },
  );
}
