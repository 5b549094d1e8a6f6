/** Worker thread: reads and parses files on request, so two cores parse at once. */
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
  ir?: import('../parse/ir').FileIR;
  hash?: string;
  error?: string;
}

parentPort?.on('message', (req: ParseRequest) => {
  void (async () => {
    try {
      const bytes = fs.readFileSync(req.abs);
      const ir = await parseFileBytes(req.rel, bytes);
      parentPort!.postMessage({ id: req.id, ir, hash: contentHash(bytes) } satisfies ParseReply);
    } catch (err) {
      parentPort!.postMessage({ id: req.id, error: (err as Error).message ?? String(err) } satisfies ParseReply);
    }
  })();
});
