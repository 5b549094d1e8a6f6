/**
 * The engine's one entry point for front ends (CLI, language server): open a
 * tree, ask for annotations, diagnostics and simulations, feed edits. Plain
 * data in, plain data out; nothing here knows about LSP or VS Code.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { FnRef } from '../interproc/function-table';
import { Program, type ProgramOptions } from '../interproc/program';
import { indexTree, type IndexOptions, type IndexStats, UsageError } from '../index/workspace-index';
import type { Mode } from '../lockflow/modes';
import type { FileIR } from '../parse/ir';
import { parseFileText } from '../parse/parse-file';
import { runRules } from '../rules/lock-rules';
import type { Diagnostic } from '../rules/diagnostic';
import { annotateFunction, type FunctionAnnotation } from './annotate';
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

export class LockEngine {
  readonly program: Program;
  readonly files = new Map<string, FileIR>();
  indexStats?: IndexStats;
  problems: string[] = [];
  analyseMs = 0;
  /** Bumped after every change to the program: caches of query results key on it. */
  generation = 0;

  private constructor(readonly root: string, readonly options: EngineOptions) {
    this.program = new Program(options);
  }

  /**
   * Indexes the tree and analyses it. `overrides`, called once the files are
   * parsed, gives IR that replaces what is on disk (an editor's open documents).
   */
  static async open(options: EngineOptions, overrides?: () => FileIR[]): Promise<LockEngine> {
    const e = new LockEngine(path.resolve(options.root), options);
    const idx = await indexTree({ ...options, root: options.root });
    e.indexStats = idx.stats;
    e.problems = idx.problems;
    for (const f of idx.files) e.addFileIR(f);
    for (const f of overrides?.() ?? []) e.addFileIR(f);
    e.analyse();
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

  /** Relative path of a file given as the user typed it (relative to the root, or to cwd inside the root). */
  rel(file: string): string {
    return rootRelative(this.root, file);
  }

  addFileIR(ir: FileIR): void {
    this.program.table.removeFile(ir.file);
    this.files.set(ir.file, ir);
    this.program.table.addFile(ir);
  }

  analyse(): void {
    const t = Date.now();
    this.program.analyse();
    this.analyseMs = Date.now() - t;
    this.generation++;
  }

  /** Replaces one file's text (an edit) and re-analyses. */
  async updateFile(rel: string, text: string): Promise<{ changed: number; reanalysed: number; entriesRecomputed: boolean }> {
    return this.updateFileIR(await parseFileText(rel, text));
  }

  /** Replaces one file's IR (parsed by the caller, e.g. incrementally) and re-analyses what it touches. */
  updateFileIR(ir: FileIR): { changed: number; reanalysed: number; entriesRecomputed: boolean } {
    const rel = ir.file;
    this.generation++;
    // A new file goes through the same incremental path: its functions are all "changed", and
    // callers elsewhere that now resolve to them are re-analysed when their summaries appear.
    const result = this.program.update(ir);
    this.files.set(rel, ir);
    return result;
  }

  /** Drops a file (an editor's unsaved document was closed): its functions leave the program. */
  removeFile(rel: string): void {
    if (!this.files.has(rel)) return;
    this.updateFileIR({ file: rel, functions: [], callbacks: [], errorLines: [], errorBytes: 0, bytes: 0, notes: [] });
    this.program.table.removeFile(rel);
    this.files.delete(rel);
    this.generation++;
  }

  /** Diagnostics of exactly these root-relative files (no reinterpretation of the paths). */
  checkFiles(rels: Iterable<string>): Diagnostic[] {
    return runRules(this.program, { files: new Set(rels) });
  }

  /** Simulates one definition (the one a position found), not whichever the name resolves to. */
  simulateRef(ref: FnRef, opts: SimOptions = {}): SimResult {
    return simulate(this.program, ref, opts);
  }

  /** Replaces several files' texts at once (one analysis for all of them). */
  async replaceTexts(texts: Map<string, string>): Promise<void> {
    for (const [rel, text] of texts) this.addFileIR(await parseFileText(rel, text));
    this.analyse();
  }

  annotate(rel: string): FileAnnotation {
    const ir = this.files.get(rel);
    if (!ir) throw new UsageError(`${rel} is not in the index (is it under --root?)`);
    const refs = this.program.table.byFile.get(rel) ?? [];
    return { file: rel, functions: refs.map((r) => annotateFunction(this.program, r)), notes: ir.notes };
  }

  check(files?: string[]): Diagnostic[] {
    const set = files?.length ? new Set(this.expandPaths(files)) : undefined;
    return runRules(this.program, { files: set });
  }

  /** Paths or directory prefixes -> indexed files under them. */
  expandPaths(paths: string[]): string[] {
    const out: string[] = [];
    for (const p of paths) {
      const r = this.rel(p).replace(/\/$/, '');
      for (const f of this.files.keys()) if (f === r || f.startsWith(r + '/') || r === '' || r === '.') out.push(f);
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
    return simulate(this.program, ref, opts);
  }

  entryModes(ref: FnRef): Mode[] {
    return this.program.entryModes(ref);
  }
}
