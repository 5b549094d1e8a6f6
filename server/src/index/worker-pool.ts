/** A small pool of parse workers; falls back to parsing in this thread when workers cannot start. */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Worker } from 'worker_threads';
import { parseFileBytes } from '../parse/parse-file';
import type { FileIR } from '../parse/ir';
import { contentHash } from './ir-cache';
import type { ParseReply, ParseRequest } from './parse-worker';

export interface ParsedFile {
  ir: FileIR;
  /** The IR as JSON text (what the cache stores). */
  json: string;
  hash: string;
}

const WORKER_SCRIPT = path.join(__dirname, 'parse-worker.js');

/**
 * Requests a worker holds at once: with two, it starts the next file as soon as it has sent a
 * result, instead of waiting for the main thread (busy scanning the tree, or reading a result) to
 * send one. With one, the workers were idle ~20% of a cold 6.12 index.
 */
const DEPTH = 2;

export class ParsePool {
  private workers: Worker[] = [];
  /** Requests each worker holds. */
  private load = new Map<Worker, number>();
  private waiting: Array<{ req: ParseRequest; resolve: (r: ParsedFile) => void; reject: (e: Error) => void }> = [];
  private inflight = new Map<number, { resolve: (r: ParsedFile) => void; reject: (e: Error) => void; worker: Worker }>();
  private nextId = 0;

  /** Workers a pool starts by default: one per core, at most four. */
  static defaultSize(): number {
    return Math.min(4, Math.max(1, os.cpus().length));
  }

  constructor(size = ParsePool.defaultSize()) {
    if (size > 1 && fs.existsSync(WORKER_SCRIPT)) {
      for (let i = 0; i < size; i++) {
        try {
          const w = new Worker(WORKER_SCRIPT);
          w.on('message', (m: ParseReply) => this.onReply(w, m));
          w.on('error', (err) => this.onWorkerError(w, err));
          w.unref();
          this.workers.push(w);
          this.load.set(w, 0);
        } catch {
          break;
        }
      }
    }
  }

  get threads(): number {
    return this.workers.length || 1;
  }

  parse(abs: string, rel: string): Promise<ParsedFile> {
    if (!this.workers.length) return parseHere(abs, rel);
    return new Promise((resolve, reject) => {
      this.waiting.push({ req: { id: this.nextId++, abs, rel }, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    while (this.waiting.length) {
      // The least loaded worker, if one has room.
      let w: Worker | undefined;
      for (const x of this.workers) if (this.load.get(x)! < DEPTH && (!w || this.load.get(x)! < this.load.get(w)!)) w = x;
      if (!w) return;
      const job = this.waiting.shift()!;
      this.inflight.set(job.req.id, { resolve: job.resolve, reject: job.reject, worker: w });
      // A busy worker keeps the process alive; an idle one must not.
      if (this.load.get(w) === 0) w.ref();
      this.load.set(w, this.load.get(w)! + 1);
      w.postMessage(job.req);
    }
  }

  private onReply(w: Worker, m: ParseReply): void {
    const job = this.inflight.get(m.id);
    this.inflight.delete(m.id);
    const n = Math.max(0, (this.load.get(w) ?? 1) - 1);
    if (this.load.has(w)) this.load.set(w, n);
    if (n === 0) w.unref();
    if (job) {
      if (m.json !== undefined && m.hash) job.resolve({ ir: JSON.parse(m.json) as FileIR, json: m.json, hash: m.hash });
      else job.reject(new Error(m.error ?? 'worker failed'));
    }
    this.pump();
  }

  private onWorkerError(w: Worker, err: Error): void {
    // A crashed worker fails its job; the rest go on in the others (or here).
    for (const [id, job] of this.inflight) {
      if (job.worker === w) {
        this.inflight.delete(id);
        job.reject(err);
      }
    }
    this.workers = this.workers.filter((x) => x !== w);
    this.load.delete(w);
    if (!this.workers.length) {
      const rest = this.waiting.splice(0);
      for (const j of rest) parseHere(j.req.abs, j.req.rel).then(j.resolve, j.reject);
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
    this.workers = [];
    this.load.clear();
  }
}

async function parseHere(abs: string, rel: string): Promise<ParsedFile> {
  const bytes = fs.readFileSync(abs);
  // Through JSON like a worker's reply, so every file's IR has the same form whichever way it came.
  const json = JSON.stringify(await parseFileBytes(rel, bytes));
  return { ir: JSON.parse(json) as FileIR, json, hash: contentHash(bytes) };
}

/** Parses one file synchronously, in a child process running the worker script. Throws when that fails. */
export function parseFileSync(abs: string, rel: string): FileIR {
  if (!fs.existsSync(WORKER_SCRIPT)) throw new Error('the parse worker script is missing');
  const json = execFileSync(process.execPath, [WORKER_SCRIPT, '--parse', abs, rel], { encoding: 'utf8', maxBuffer: 1 << 30, stdio: ['ignore', 'pipe', 'pipe'] });
  return JSON.parse(json) as FileIR;
}
