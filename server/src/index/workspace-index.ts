/**
 * Indexing a tree: find the C files, keep those the prefilter picks (without
 * parsing 60k files), and parse them in worker threads or take them from the
 * content cache. Never throws for a bad file: it becomes a note.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { FileIR } from '../parse/ir';
import { emptyFileIR } from '../parse/parse-file';
import { discoverFiles, type FoundFile, makePrefilter, readInto } from './discover';
import { contentHash, defaultCacheRoot, IrCache } from './ir-cache';
import { ParsePool } from './worker-pool';

export interface IndexOptions {
  root: string;
  cacheRoot?: string;
  noCache?: boolean;
  /** Extra names (user-taught primitives) that make a file worth parsing. */
  extraTokens?: string[];
  /** Files (relative to root) to include whatever the prefilter says. */
  include?: string[];
  /** Limit the index to paths under these prefixes (relative). */
  scope?: string[];
  /** Keep only files this accepts (a front end's include/exclude globs), applied after discovery. */
  filter?: (rel: string) => boolean;
  onProgress?: (phase: string, done: number, total: number) => void;
  /** Aborting stops the index between files; indexTree then rejects with IndexCancelled. */
  signal?: AbortSignal;
  pool?: ParsePool;
}

export interface IndexStats {
  discovered: number;
  selected: number;
  parsed: number;
  fromCache: number;
  discoverMs: number;
  prefilterMs: number;
  parseMs: number;
  threads: number;
}

export interface IndexResult {
  files: FileIR[];
  stats: IndexStats;
  problems: string[];
}

export class UsageError extends Error {}

/** Indexing was stopped through `IndexOptions.signal`. */
export class IndexCancelled extends Error {
  constructor() {
    super('indexing cancelled');
  }
}

export async function indexTree(opts: IndexOptions): Promise<IndexResult> {
  const root = path.resolve(opts.root);
  let st: fs.Stats;
  try {
    st = fs.statSync(root);
  } catch {
    throw new UsageError(`root ${opts.root} does not exist`);
  }
  if (!st.isDirectory()) throw new UsageError(`root ${opts.root} is not a directory`);
  const problems: string[] = [];
  const t0 = Date.now();
  let found = discoverFiles(root, (m) => problems.push(m));
  if (opts.scope?.length) found = found.filter((f) => opts.scope!.some((s) => f.rel === s || f.rel.startsWith(s.replace(/\/?$/, '/'))));
  if (opts.filter) found = found.filter((f) => opts.filter!(f.rel));
  const cancelled = () => {
    if (opts.signal?.aborted) throw new IndexCancelled();
  };
  const t1 = Date.now();
  const include = new Set((opts.include ?? []).map((f) => f.replace(/\\/g, '/')));
  const cache = opts.noCache ? undefined : new IrCache(opts.cacheRoot ?? defaultCacheRoot(), root, (opts.extraTokens ?? []).join(','));
  const prefilter = makePrefilter(opts.extraTokens);
  const selected: Array<{ f: FoundFile; hash?: string }> = [];
  let done = 0;
  // Synchronous reads into one buffer: ~55k small files go faster this way than through promises.
  const scratch = Buffer.alloc(1 << 20);
  const step = (f: FoundFile) => {
    const known = cache?.lookup(f.rel, f.size, f.mtimeMs);
    if (known) {
      if (known.hit || include.has(f.rel)) selected.push({ f, hash: known.hash });
    } else {
      try {
        const bytes = readInto(f.abs, scratch);
        const hit = prefilter(bytes);
        const hash = hit || include.has(f.rel) ? contentHash(bytes) : '';
        cache?.remember(f.rel, { size: f.size, mtimeMs: f.mtimeMs, hash, hit });
        if (hit || include.has(f.rel)) selected.push({ f, hash });
      } catch (err) {
        problems.push(`cannot read ${f.rel}: ${(err as Error).message}`);
      }
    }
    if (++done % 2000 === 0) {
      cancelled();
      opts.onProgress?.('scanning', done, found.length);
    }
  };
  // Let the event loop run between slices: a language server answers requests for open files meanwhile.
  for (let i = 0; i < found.length; i++) {
    step(found[i]);
    if (i % 1000 === 999) await new Promise((r) => setImmediate(r));
  }
  // Explicit files outside the discovered set (outside the tree's C files) are still analysed.
  for (const rel of include) {
    if (!selected.some((s) => s.f.rel === rel)) {
      const abs = path.join(root, rel);
      try {
        const s = fs.statSync(abs);
        selected.push({ f: { rel, abs, size: s.size, mtimeMs: s.mtimeMs } });
      } catch {
        problems.push(`cannot read ${rel}`);
      }
    }
  }
  selected.sort((a, b) => (a.f.rel < b.f.rel ? -1 : 1));
  const t2 = Date.now();
  const pool = opts.pool ?? new ParsePool();
  const files: FileIR[] = [];
  let parsed = 0;
  let fromCache = 0;
  done = 0;
  await runLimited(selected, pool.threads * 2, async ({ f, hash }) => {
    if (opts.signal?.aborted) return;
    let ir = hash && cache ? cache.load(hash, f.rel) : undefined;
    if (ir) fromCache++;
    else {
      try {
        const r = await pool.parse(f.abs, f.rel);
        ir = r.ir;
        parsed++;
        cache?.store(r.hash, ir);
        cache?.remember(f.rel, { size: f.size, mtimeMs: f.mtimeMs, hash: r.hash, hit: true });
      } catch (err) {
        ir = emptyFileIR(f.rel, f.size, `could not be analysed: ${(err as Error).message}`);
      }
    }
    files.push(ir);
    if (++done % 25 === 0 || done === selected.length) opts.onProgress?.('parsing', done, selected.length);
  });
  const threads = pool.threads;
  if (!opts.pool) await pool.close();
  if (opts.signal?.aborted) {
    cache?.flush();
    throw new IndexCancelled();
  }
  cache?.flush();
  files.sort((a, b) => (a.file < b.file ? -1 : 1));
  return {
    files,
    problems,
    stats: { discovered: found.length, selected: selected.length, parsed, fromCache, discoverMs: t1 - t0, prefilterMs: t2 - t1, parseMs: Date.now() - t2, threads },
  };
}

async function runLimited<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let i = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (i < items.length) await fn(items[i++]);
  });
  await Promise.all(lanes);
}
