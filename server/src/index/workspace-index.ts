/**
 * Indexing a tree: find the C files, keep those the prefilter picks (without
 * parsing 60k files), and parse them in worker threads or take them from the
 * content cache. Never throws for a bad file: it becomes a note.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { FileIR } from '../parse/ir';
import { emptyFileIR } from '../parse/parse-file';
import { discoverFiles, type FoundFile, hashFile, makePrefilter, PREFILTER_TOKENS, scanFileBytes } from './discover';
import { contentHash, defaultCacheRoot, IrCache } from './ir-cache';
import { type ParsedFile, ParsePool, parseFileSync } from './worker-pool';

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

/** One selected file of a scan: where it is and (when it could be read) its content hash. */
export interface ScannedFile {
  rel: string;
  abs: string;
  size: number;
  mtimeMs: number;
  /** Content hash; undefined when the file could not be read. */
  hash?: string;
}

/** What a scan found: the selected files (sorted by path) and the cache that knows their parses. */
export interface TreeScan {
  root: string;
  files: ScannedFile[];
  problems: string[];
  cache?: IrCache;
  stats: IndexStats;
  /** Parses the scan started (files the cache does not hold), until `loadTree` takes them. */
  parses?: Parses;
}

/**
 * The parses of one index, in worker threads: the pool starts with the first file that needs
 * parsing, and each parse is stored in the cache as it is taken. The scan starts them as soon as it
 * picks a file, so the workers parse while the main thread is still reading the rest of the tree.
 */
class Parses {
  private pool?: ParsePool;
  private readonly owned: boolean;
  private readonly started = new Map<string, Promise<ParsedFile | Error>>();
  parsed = 0;
  threads = 0;

  constructor(opts: IndexOptions) {
    this.pool = opts.pool;
    this.owned = !opts.pool;
  }

  /** Starts parsing `f` now; `take` gets the result. */
  start(f: ScannedFile): void {
    if (!this.started.has(f.rel)) this.started.set(f.rel, this.run(f));
  }

  /** The IR of `f` (parsed now unless `start` began it), stored in the cache; a failure becomes a note. */
  async take(f: ScannedFile, cache: IrCache | undefined): Promise<FileIR> {
    const p = this.started.get(f.rel) ?? this.run(f);
    this.started.delete(f.rel);
    const r = await p;
    if (r instanceof Error) return emptyFileIR(f.rel, f.size, `could not be analysed: ${r.message}`);
    this.parsed++;
    cache?.storeText(r.hash, r.json);
    cache?.remember(f.rel, { size: f.size, mtimeMs: f.mtimeMs, hash: r.hash, hit: true });
    return r.ir;
  }

  private async run(f: ScannedFile): Promise<ParsedFile | Error> {
    try {
      this.pool ??= new ParsePool();
      this.threads = this.pool.threads;
      return await this.pool.parse(f.abs, f.rel);
    } catch (err) {
      return err instanceof Error ? err : new Error(String(err));
    }
  }

  /** Stops the workers this started (parses not taken are dropped). */
  async close(): Promise<void> {
    this.started.clear();
    if (this.pool && this.owned) await this.pool.close();
    this.pool = undefined;
  }
}

/**
 * Finds the tree's files and keeps those the prefilter picks, with their content hashes (from
 * the cache's manifest when size and mtime are unchanged, else read and hashed). Parses nothing.
 */
export async function scanTree(opts: IndexOptions): Promise<TreeScan> {
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
  const t1 = Date.now();
  const include = new Set((opts.include ?? []).map((f) => f.replace(/\\/g, '/')));
  // The manifest remembers which files the prefilter picked: it is kept per token list (built-in ones included).
  const cache = opts.noCache ? undefined : new IrCache(opts.cacheRoot ?? defaultCacheRoot(), root, [...PREFILTER_TOKENS, ...(opts.extraTokens ?? [])].join(','));
  const prefilter = makePrefilter(opts.extraTokens);
  const selected: ScannedFile[] = [];
  const parses = new Parses(opts);
  // A picked file the cache does not hold goes to the workers at once.
  const pick = (s: ScannedFile) => {
    selected.push(s);
    if (!(s.hash && cache?.has(s.hash))) parses.start(s);
  };
  let done = 0;
  // Synchronous reads into one buffer: ~55k small files go faster this way than through promises.
  const scratch = Buffer.alloc(1 << 20);
  const step = (f: FoundFile) => {
    const known = cache?.lookup(f.rel, f.size, f.mtimeMs);
    if (known && (known.hash || !include.has(f.rel))) {
      if (known.hit || include.has(f.rel)) pick({ ...f, hash: known.hash });
    } else {
      try {
        const { bytes, hit } = scanFileBytes(f.abs, scratch, prefilter);
        const hash = hit || include.has(f.rel) ? (bytes ? contentHash(bytes) : hashFile(f.abs, scratch)) : '';
        cache?.remember(f.rel, { size: f.size, mtimeMs: f.mtimeMs, hash, hit });
        if (hit || include.has(f.rel)) pick({ ...f, hash });
      } catch (err) {
        problems.push(`cannot read ${f.rel}: ${(err as Error).message}`);
      }
    }
    if (++done % 2000 === 0) {
      if (opts.signal?.aborted) throw new IndexCancelled();
      opts.onProgress?.('scanning', done, found.length);
    }
  };
  // Let the event loop run between slices: a language server answers requests for open files
  // meanwhile, and the workers' parses come in.
  try {
    for (let i = 0; i < found.length; i++) {
      step(found[i]);
      if (i % 1000 === 999) await new Promise((r) => setImmediate(r));
    }
  } catch (err) {
    await parses.close();
    throw err;
  }
  // Explicit files outside the discovered set (outside the tree's C files) are still analysed.
  const have = new Set(selected.map((s) => s.rel));
  for (const rel of include) {
    if (have.has(rel)) continue;
    const abs = path.join(root, rel);
    let s: fs.Stats;
    try {
      s = fs.statSync(abs);
    } catch {
      problems.push(`cannot read ${rel}`);
      continue;
    }
    let hash: string | undefined;
    try {
      hash = contentHash(fs.readFileSync(abs));
    } catch {
      // Unreadable: parsing it fails too, and the file becomes a note.
    }
    selected.push({ rel, abs, size: s.size, mtimeMs: s.mtimeMs, hash });
  }
  selected.sort((a, b) => (a.rel < b.rel ? -1 : 1));
  const t2 = Date.now();
  return {
    root,
    files: selected,
    problems,
    cache,
    stats: { discovered: found.length, selected: selected.length, parsed: 0, fromCache: 0, discoverMs: t1 - t0, prefilterMs: t2 - t1, parseMs: 0, threads: 0 },
    parses,
  };
}

/** The IR of a scan's files: `ready` holds what was parsed (or loaded); `deferred` are in the cache, to load with `loadCachedIR`. */
export interface LoadedTree {
  ready: Map<string, FileIR>;
  deferred: ScannedFile[];
}

/**
 * Parses the scan's files that the cache does not hold (in worker threads) and stores their IR
 * in the cache. With `defer`, files whose IR the cache holds are left for `loadCachedIR`;
 * without, they are loaded now. Updates `scan.stats`.
 */
export async function loadTree(scan: TreeScan, opts: IndexOptions, defer: boolean): Promise<LoadedTree> {
  const t0 = Date.now();
  const cache = scan.cache;
  const ready = new Map<string, FileIR>();
  const deferred: ScannedFile[] = [];
  const toLoad: ScannedFile[] = [];
  for (const f of scan.files) {
    if (defer && f.hash && cache?.has(f.hash)) deferred.push(f);
    else toLoad.push(f);
  }
  // Workers start only when something needs parsing (a warm run parses nothing); the scan may
  // have started some parses already.
  const parses = scan.parses ?? new Parses(opts);
  scan.parses = undefined;
  let fromCache = deferred.length;
  let done = 0;
  try {
    await runLimited(toLoad, 2 * ParsePool.defaultSize(), async (f) => {
      if (opts.signal?.aborted) return;
      let ir = f.hash && cache ? cache.load(f.hash, f.rel) : undefined;
      if (ir) fromCache++;
      else ir = await parses.take(f, cache);
      ready.set(f.rel, ir);
      if (++done % 25 === 0 || done === toLoad.length) opts.onProgress?.('parsing', done, toLoad.length);
    });
  } finally {
    await parses.close();
    cache?.closeManifest();
  }
  if (opts.signal?.aborted) throw new IndexCancelled();
  Object.assign(scan.stats, { parsed: parses.parsed, fromCache, parseMs: Date.now() - t0, threads: parses.threads });
  return { ready, deferred };
}

/** A deferred file's IR, read from the cache now; parsed in a child process if the cached copy is gone or damaged. */
export function loadCachedIR(scan: TreeScan, f: ScannedFile): FileIR {
  const ir = f.hash ? scan.cache?.load(f.hash, f.rel) : undefined;
  if (ir) return ir;
  try {
    return parseFileSync(f.abs, f.rel);
  } catch (err) {
    return emptyFileIR(f.rel, f.size, `could not be analysed: ${(err as Error).message}`);
  }
}

export async function indexTree(opts: IndexOptions): Promise<IndexResult> {
  const scan = await scanTree(opts);
  const { ready } = await loadTree(scan, opts, false);
  const files = scan.files.map((f) => ready.get(f.rel)!);
  return { files, problems: scan.problems, stats: scan.stats };
}

async function runLimited<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let i = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (i < items.length) await fn(items[i++]);
  });
  await Promise.all(lanes);
}
