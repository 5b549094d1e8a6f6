/**
 * The engine's one entry point for front ends (CLI, language server): open a
 * tree, ask for annotations, diagnostics and simulations, feed edits. Plain
 * data in, plain data out; nothing here knows about LSP or VS Code.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { FnRef } from '../interproc/function-table';
import { Program, type ProgramOptions } from '../interproc/program';
import { defaultCacheRoot } from '../index/ir-cache';
import { type IndexOptions, type IndexStats, loadCachedIR, loadTree, type ScannedFile, scanTree, type TreeScan, UsageError } from '../index/workspace-index';
import type { Mode } from '../lockflow/modes';
import type { FileIR } from '../parse/ir';
import { parseFileText } from '../parse/parse-file';
import { sourceTextOf } from '../parse/source-text';
import { runRules } from '../rules/lock-rules';
import type { Diagnostic } from '../rules/diagnostic';
import { annotateFunction, type FunctionAnnotation } from './annotate';
import { type CheckFigures, engineBuildId, ResultCache, stableText, type StoredResult } from './result-cache';
import { simulate, type SimOptions, type SimResult } from './simulate';

export interface EngineOptions extends ProgramOptions, Omit<IndexOptions, 'root'> {
  root: string;
}

export interface FileAnnotation {
  file: string;
  functions: FunctionAnnotation[];
  notes: string[];
}

/**
 * A user's path as a path relative to root, with forward slashes: taken
 * relative to root when it exists there, else relative to cwd when that lies
 * inside root, else returned as typed (and reported missing by the caller).
 */
export function rootRelative(root: string, file: string): string {
  const slash = (p: string) => p.split(path.sep).join('/');
  const underRoot = path.resolve(root, file);
  if (fs.existsSync(underRoot)) return slash(path.relative(path.resolve(root), underRoot)) || '.';
  const fromCwd = path.relative(path.resolve(root), path.resolve(file));
  return fromCwd.startsWith('..') || path.isAbsolute(fromCwd) ? slash(file) : slash(fromCwd) || '.';
}

/** What the last `check` did with the result cache: reused a stored result, stored a new one, or was not allowed to. */
export type ResultCacheUse = 'hit' | 'miss' | 'off';

/** Options that say where things are or how a run reports, not what it finds: left out of result keys. */
const NOT_IN_RESULT_KEY = new Set(['root', 'cacheRoot', 'noCache', 'onProgress', 'signal', 'pool']);

export class LockEngine {
  private readonly prog: Program;
  private readonly fileMap = new Map<string, FileIR>();
  indexStats?: IndexStats;
  problems: string[] = [];
  analyseMs = 0;
  /** Bumped after every change to the program: caches of query results key on it. */
  generation = 0;
  /** What the last `check` did with the result cache. */
  resultCache: ResultCacheUse = 'off';
  /** Whole-program analyses this engine has run (0 after a check answered from the result cache). */
  analyses = 0;
  /** Whether the program has been analysed since its files last changed (analysis runs on first need). */
  private analysed = false;
  /** The scan the engine was opened from, while the engine still holds exactly those files (else undefined). */
  private scan?: TreeScan;
  /** Files whose IR is in the parse cache and not read yet (read on first need, in path order). */
  private deferred?: { scan: TreeScan; files: ScannedFile[]; ready: Map<string, FileIR> };
  private results?: ResultCache;
  private stored?: StoredResult;
  /** Texts given by updateFile() and replaceTexts(), by path: what their IR was built from. */
  private readonly givenTexts = new Map<string, string>();

  private constructor(readonly root: string, readonly options: EngineOptions) {
    this.prog = new Program(options);
  }

  /**
   * Indexes the tree: finds and hashes its files and parses those the cache does not hold. Reading
   * cached parses and the analysis wait until something needs them, so a \`check\` whose result
   * is cached does neither. `overrides`, called once the files are read, gives IR that replaces
   * what is on disk (an editor's open documents); it makes the engine read every file now.
   */
  static async open(options: EngineOptions, overrides?: () => FileIR[]): Promise<LockEngine> {
    const e = new LockEngine(path.resolve(options.root), options);
    const scan = await scanTree({ ...options, root: options.root });
    const loaded = await loadTree(scan, options, !overrides);
    e.indexStats = scan.stats;
    e.problems = scan.problems;
    if (loaded.deferred.length) e.deferred = { scan, files: scan.files, ready: loaded.ready };
    else for (const f of scan.files) e.addFileIR(loaded.ready.get(f.rel)!);
    if (overrides) for (const f of overrides()) e.addFileIR(f);
    else {
      e.scan = scan;
      if (scan.cache?.usable) e.results = new ResultCache(options.cacheRoot ?? defaultCacheRoot());
    }
    return e;
  }

  /**
   * An engine with no files yet: for a folder that is still being indexed, or
   * a file outside any kernel tree. Files come in through `updateFile`.
   */
  static empty(options: EngineOptions): LockEngine {
    const e = new LockEngine(path.resolve(options.root), options);
    e.analyse();
    return e;
  }

  /** The analysed program (analysing it now if that has not happened yet). */
  get program(): Program {
    this.ensureAnalysed();
    return this.prog;
  }

  /** Every indexed file's IR, by root-relative path (reading cached parses now if that has not happened yet). */
  get files(): Map<string, FileIR> {
    this.ensureLoaded();
    return this.fileMap;
  }

  /** How many files the engine holds, without reading their parses. */
  get fileCount(): number {
    return this.deferred ? this.deferred.files.length : this.fileMap.size;
  }

  /** Reads the parses that open() left in the cache, in path order (the order the table must see them in). */
  ensureLoaded(): void {
    const d = this.deferred;
    if (!d) return;
    this.deferred = undefined;
    for (const f of d.files) this.addFileIRQuietly(d.ready.get(f.rel) ?? loadCachedIR(d.scan, f));
  }

  /** Analyses the program if its files changed since the last analysis (or it never ran). */
  ensureAnalysed(): void {
    this.ensureLoaded();
    if (!this.analysed) this.analyse();
  }

  /** Relative path of a file given as the user typed it (relative to the root, or to cwd inside the root). */
  rel(file: string): string {
    return rootRelative(this.root, file);
  }

  /** Adds or replaces a file; the program is analysed again on next need. */
  addFileIR(ir: FileIR): void {
    this.ensureLoaded();
    this.changed();
    this.addFileIRQuietly(ir);
    this.analysed = false;
  }

  private addFileIRQuietly(ir: FileIR): void {
    this.prog.table.removeFile(ir.file);
    this.fileMap.set(ir.file, ir);
    this.prog.table.addFile(ir);
  }

  /** The engine no longer holds exactly the files it was opened from: results it computes are not stored. */
  private changed(): void {
    this.scan = undefined;
    this.stored = undefined;
  }

  analyse(): void {
    this.ensureLoaded();
    const t = Date.now();
    this.prog.analyse();
    this.analyses++;
    this.analysed = true;
    this.analyseMs = Date.now() - t;
    this.generation++;
  }

  /** Replaces one file's text (an edit) and re-analyses. */
  async updateFile(rel: string, text: string): Promise<{ changed: number; reanalysed: number; entriesRecomputed: boolean }> {
    const r = this.updateFileIR(await parseFileText(rel, text));
    this.givenTexts.set(rel, text);
    return r;
  }

  /**
   * A file's text as its IR was built from it (what a simulation's steps quote): as an edit gave it,
   * else as on disk; undefined when it cannot be read.
   */
  sourceText(rel: string): string | undefined {
    const given = this.givenTexts.get(rel);
    if (given !== undefined) return given;
    try {
      return sourceTextOf(fs.readFileSync(path.join(this.root, rel)));
    } catch {
      return undefined;
    }
  }

  /** Replaces one file's IR (parsed by the caller, e.g. incrementally) and re-analyses what it touches. */
  updateFileIR(ir: FileIR): { changed: number; reanalysed: number; entriesRecomputed: boolean } {
    const rel = ir.file;
    // The update is incremental from an analysed program.
    this.ensureAnalysed();
    this.changed();
    this.generation++;
    // A new file goes through the same incremental path: its functions are all "changed", and
    // callers elsewhere that now resolve to them are re-analysed when their summaries appear.
    const result = this.program.update(ir);
    this.fileMap.set(rel, ir);
    // Built from a text this engine was not given (an editor's incremental parse): the caller has it.
    this.givenTexts.delete(rel);
    return result;
  }

  /** Drops a file (an editor's unsaved document was closed): its functions leave the program. */
  removeFile(rel: string): void {
    if (!this.files.has(rel)) return;
    this.updateFileIR({ file: rel, functions: [], callbacks: [], errorLines: [], errorBytes: 0, bytes: 0, notes: [] });
    this.prog.table.removeFile(rel);
    this.fileMap.delete(rel);
    this.generation++;
  }

  /** Diagnostics of exactly these root-relative files (no reinterpretation of the paths). */
  checkFiles(rels: Iterable<string>): Diagnostic[] {
    return runRules(this.program, { files: new Set(rels) });
  }

  /** Simulates one definition (the one a position found), not whichever the name resolves to. */
  simulateRef(ref: FnRef, opts: SimOptions = {}): SimResult {
    return simulate(this.program, ref, { ...opts, source: opts.source ?? this.sourceText(ref.file) });
  }

  /** Replaces several files' texts at once (one analysis for all of them). */
  async replaceTexts(texts: Map<string, string>): Promise<void> {
    for (const [rel, text] of texts) {
      this.addFileIR(await parseFileText(rel, text));
      this.givenTexts.set(rel, text);
    }
    this.analyse();
  }

  annotate(rel: string): FileAnnotation {
    const ir = this.files.get(rel);
    if (!ir) throw new UsageError(`${rel} is not in the index (is it under --root?)`);
    const refs = this.program.table.byFile.get(rel) ?? [];
    return { file: rel, functions: refs.map((r) => annotateFunction(this.program, r)), notes: ir.notes };
  }

  /**
   * Diagnostics of the whole index, or of the files under `files`. While the engine holds exactly
   * the files it was opened from, the result comes from the result cache when stored there, and
   * is stored there when this call had to analyse.
   */
  check(files?: string[]): Diagnostic[] {
    const set = files?.length ? new Set(this.expandPaths(files)) : undefined;
    const key = this.resultKey(set);
    if (key !== undefined) {
      const hit = this.results!.load(key);
      if (hit) {
        this.resultCache = 'hit';
        this.stored = hit;
        return hit.diagnostics;
      }
    }
    const analysing = !this.analysed;
    const diags = runRules(this.program, { files: set });
    this.resultCache = key === undefined ? 'off' : 'miss';
    this.stored = undefined;
    if (key !== undefined && analysing) this.results!.store(key, { figures: this.figures(), diagnostics: diags });
    return diags;
  }

  /**
   * Figures for a check's report: files, functions, functions analysed, files with parse errors.
   * After a check served from the result cache, those of the run that stored it (nothing is analysed for them).
   */
  figures(): CheckFigures {
    if (this.stored && !this.analysed) return { ...this.stored.figures };
    const files = this.files;
    return {
      files: files.size,
      functions: this.program.stats.functions,
      analysed: this.program.stats.analysed,
      parseFailures: [...files.values()].filter((f) => f.errorBytes > 0).length,
    };
  }

  /**
   * The result cache's key for a check of `scope` (undefined: the whole index), or undefined when
   * results may not be cached: no cache, the engine changed since it was opened, a file without a
   * content hash, or an option that cannot be written down (a filter function).
   */
  private resultKey(scope: Set<string> | undefined): string | undefined {
    const scan = this.scan;
    if (!scan || !this.results) return undefined;
    const opts: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(this.options)) if (!NOT_IN_RESULT_KEY.has(k)) opts[k] = v;
    const optionText = stableText(opts);
    if (optionText === undefined || scan.files.some((f) => !f.hash)) return undefined;
    return ResultCache.key([
      engineBuildId(),
      optionText,
      scan.files.map((f) => `${f.rel}\t${f.hash}`).join('\n'),
      scope ? [...scope].sort().join('\n') : '*',
    ]);
  }

  /** Paths or directory prefixes -> indexed files under them (known without reading their parses). */
  expandPaths(paths: string[]): string[] {
    const rels = this.deferred ? this.deferred.files.map((f) => f.rel) : [...this.fileMap.keys()];
    const out: string[] = [];
    for (const p of paths) {
      const r = this.rel(p).replace(/\/$/, '');
      for (const f of rels) if (f === r || f.startsWith(r + '/') || r === '' || r === '.') out.push(f);
    }
    return out;
  }

  findFunction(name: string, file?: string): FnRef | undefined {
    const defs = this.program.table.byName.get(name) ?? this.program.table.byName.get('sys_' + name) ?? [];
    if (file) {
      const rel = this.rel(file);
      return defs.find((d) => d.file === rel);
    }
    if (defs.length <= 1) return defs[0];
    return [...defs].sort((a, b) => this.program.table.rank(a, '') - this.program.table.rank(b, ''))[0];
  }

  simulate(name: string, opts: SimOptions & { file?: string } = {}): SimResult {
    const ref = this.findFunction(name, opts.file);
    if (!ref) throw new UsageError(`no function ${name}${opts.file ? ` in ${opts.file}` : ''} in the index`);
    return this.simulateRef(ref, opts);
  }

  entryModes(ref: FnRef): Mode[] {
    return this.program.entryModes(ref);
  }
}
