/**
 * One workspace folder (or one loose file's folder): its engine, its
 * background index, and the open documents that override files on disk.
 *
 * Until the index is built, a provisional engine holds only the open
 * documents, so requests are answered at once (per file, without callers);
 * when the index is done it replaces the provisional one, with the open
 * documents' current texts in it, and results are refined.
 *
 * Every change to an engine goes through one queue, so a request never sees
 * an engine halfway through an update, and `current()` makes a request wait
 * until the document version it asks about has been analysed: results for an
 * older version are never served for a newer one.
 */
import { readFile } from 'fs/promises';
import * as path from 'path';
import { LockEngine, type EngineOptions } from '../engine/engine';
import { ExplainCache } from '../engine/explain';
import { IndexCancelled } from '../index/workspace-index';
import type { FileIR } from '../parse/ir';
import { IncrementalParser } from '../parse/incremental-parse';
import { parseFileText } from '../parse/parse-file';
import { decodeSource } from '../parse/source-text';

export interface OpenDocument {
  rel: string;
  uri: string;
  version: number;
  text: string;
  parser: IncrementalParser;
  /** The version the current engine holds (-1: none yet). */
  applied: number;
  /** IR of the text at `parsedVersion`, kept so a finished index can take open documents as they are. */
  ir?: FileIR;
  parsedVersion: number;
}

export interface SessionEvents {
  log(message: string): void;
  /** Indexing progress: phase, done, total. */
  progress(message: string, done: number, total: number): void;
  /** The engine changed: `rels` are the documents whose analysis changed, or 'all' after a (re)index. */
  changed(session: FolderSession, rels: string[] | 'all'): void;
}

export type IndexState = 'provisional' | 'indexing' | 'ready' | 'error' | 'cancelled';

export class FolderSession {
  engine: LockEngine;
  state: IndexState = 'provisional';
  stateMessage = '';
  private readonly caches = new WeakMap<LockEngine, ExplainCache>();
  readonly docs = new Map<string, OpenDocument>();
  private queue: Promise<unknown> = Promise.resolve();
  private abort?: AbortController;
  private indexRun = 0;
  lastEditMs = 0;
  indexMs = 0;

  constructor(
    readonly root: string,
    readonly rootUri: string,
    options: Omit<EngineOptions, 'root'>,
    private readonly events: SessionEvents,
    /** False for a loose file's folder: it is never indexed, only its open files are analysed. */
    readonly indexable: boolean,
  ) {
    this.engine = LockEngine.empty({ ...options, root, noCache: true });
  }

  rel(fsPath: string): string {
    return path.relative(this.root, fsPath).split(path.sep).join('/');
  }

  contains(fsPath: string): boolean {
    const r = path.relative(this.root, fsPath);
    return r !== '' && !r.startsWith('..') && !path.isAbsolute(r);
  }

  /** Query caches for the current engine (recreated when the engine object changes). */
  cache(): ExplainCache {
    let c = this.caches.get(this.engine);
    if (!c) {
      c = new ExplainCache(this.engine.program);
      this.caches.set(this.engine, c);
    }
    c.sync(this.engine.generation);
    return c;
  }

  /** Runs `fn` after every queued engine change; errors are logged and rethrown to the caller only. */
  private enqueue<T>(fn: () => Promise<T> | T): Promise<T> {
    const next = this.queue.then(fn, fn);
    this.queue = next.catch(() => undefined);
    return next;
  }

  open(rel: string, uri: string, version: number, text: string): Promise<void> {
    const existing = this.docs.get(rel);
    if (existing) existing.parser.dispose();
    this.docs.set(rel, { rel, uri, version, text, parser: new IncrementalParser(rel), applied: -1, parsedVersion: -1 });
    return this.enqueue(() => this.applyDoc(rel));
  }

  /** A new version of an open document: applied lazily (coalescing bursts of edits) or when a request needs it. */
  change(rel: string, version: number, text: string): Promise<void> {
    const d = this.docs.get(rel);
    if (!d) return Promise.resolve();
    d.version = version;
    d.text = text;
    return this.enqueue(() => this.applyDoc(rel));
  }

  close(rel: string): void {
    const d = this.docs.get(rel);
    if (!d) return;
    this.docs.delete(rel);
    d.parser.dispose();
    // The file on disk is what the tree has again; the index read it, or a reindex will.
    void this.enqueue(async () => {
      const onDisk = await readText(path.join(this.root, rel));
      if (onDisk !== undefined && this.engine.files.has(rel)) {
        this.engine.updateFileIR(await parseFileText(rel, onDisk));
        this.events.changed(this, [rel]);
      }
    }).catch((e) => this.events.log(`closing ${rel}: ${(e as Error).message}`));
  }

  /** Resolves when the document's current version (or a newer one) is in the engine. */
  async current(rel: string): Promise<OpenDocument | undefined> {
    const d = this.docs.get(rel);
    if (!d) {
      await this.enqueue(() => undefined);
      return undefined;
    }
    if (d.applied < d.version) await this.enqueue(() => this.applyDoc(rel));
    else await this.enqueue(() => undefined);
    return this.docs.get(rel);
  }

  private async applyDoc(rel: string): Promise<void> {
    const d = this.docs.get(rel);
    if (!d || d.applied >= d.version) return;
    const version = d.version;
    const t0 = performance.now();
    if (d.parsedVersion !== version) {
      const r = await d.parser.parse(d.text);
      d.ir = r.ir;
      d.parsedVersion = version;
    }
    if (this.docs.get(rel) !== d) return;
    this.engine.updateFileIR(d.ir!);
    d.applied = version;
    this.lastEditMs = performance.now() - t0;
    this.events.changed(this, [rel]);
  }

  /** Builds the index in the background; resolves when it is in place (or failed or was cancelled). */
  index(options: Omit<EngineOptions, 'root'>, signalFromClient?: { onCancellationRequested(cb: () => void): unknown }): Promise<void> {

    if (!this.indexable) {
      // No tree to index: re-create the per-file engine with the new options and re-apply open documents.
      return this.enqueue(async () => {
        this.engine = LockEngine.empty({ ...options, root: this.root, noCache: true });
        for (const d of this.docs.values()) d.applied = -1;
        for (const rel of this.docs.keys()) await this.applyDoc(rel);
        this.state = 'ready';
        this.events.changed(this, 'all');
      });
    }
    this.abort?.abort();
    const abort = new AbortController();
    this.abort = abort;
    const run = ++this.indexRun;
    signalFromClient?.onCancellationRequested(() => abort.abort());
    this.state = 'indexing';
    this.stateMessage = 'Indexing kernel tree';
    const t0 = Date.now();
    return (async () => {
      try {
        const engine = await LockEngine.open(
          {
            ...options,
            root: this.root,
            signal: abort.signal,
            onProgress: (phase, done, total) => {
              const what = phase === 'parsing' ? 'Indexing kernel tree' : 'Scanning for lock code';
              this.stateMessage = `${what}: ${done}/${total} files`;
              this.events.progress(this.stateMessage, done, total);
            },
          },
          () => this.openIRs(),
        );
        if (run !== this.indexRun) return;
        await this.enqueue(async () => {
          // Documents edited while the index was analysed: bring them up to date in the new engine.
          for (const d of this.docs.values()) d.applied = engine.files.has(d.rel) && d.parsedVersion >= 0 ? d.parsedVersion : -1;
          this.engine = engine;
          for (const rel of this.docs.keys()) await this.applyDoc(rel);
        });
        this.indexMs = Date.now() - t0;
        this.state = 'ready';
        this.stateMessage = `${engine.files.size} files, ${engine.program.table.byId.size} functions indexed in ${(this.indexMs / 1000).toFixed(1)} s`;
        for (const p of engine.problems.slice(0, 20)) this.events.log(p);
        this.events.log(`${this.root}: ${this.stateMessage}`);
        this.events.changed(this, 'all');
      } catch (e) {
        if (run !== this.indexRun) return;
        if (e instanceof IndexCancelled) {
          this.state = 'cancelled';
          this.stateMessage = 'Indexing cancelled; open files are analysed on their own';
        } else {
          this.state = 'error';
          this.stateMessage = `Indexing failed: ${(e as Error).message}; open files are analysed on their own`;
        }
        this.events.log(`${this.root}: ${this.stateMessage}`);
      }
    })();
  }

  cancelIndex(): void {
    this.abort?.abort();
  }

  /** The open documents' IR at their latest parsed version (for a fresh index to take instead of the disk). */
  private openIRs(): FileIR[] {
    return [...this.docs.values()].filter((d) => d.ir).map((d) => d.ir!);
  }

  dispose(): void {
    this.abort?.abort();
    for (const d of this.docs.values()) d.parser.dispose();
    this.docs.clear();
  }
}

async function readText(abs: string): Promise<string | undefined> {
  try {
    const d = decodeSource(await readFile(abs));
    return d.skipped ? undefined : d.text;
  } catch {
    return undefined;
  }
}
