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
import { sourceTextOf } from '../parse/source-text';

/** Edits that arrive within this time of each other are analysed once, with the newest text. */
const EDIT_COALESCE_MS = 15;

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
  /** The text `ir` was built from (a simulation's steps quote it: the IR keeps no statement texts). */
  irText?: string;
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
  private readonly pendingApply = new Map<string, NodeJS.Timeout>();
  disposed = false;
  private abort?: AbortController;
  private indexRun = 0;
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

  /**
   * A new version of an open document. Bursts of edits are coalesced: one
   * apply is scheduled per document and takes the newest text when it runs;
   * a request about the document applies it at once (`current`).
   */
  change(rel: string, version: number, text: string): void {
    const d = this.docs.get(rel);
    // Versions only go forward; an older one arriving late is ignored.
    if (!d || version < d.version) return;
    d.version = version;
    d.text = text;
    if (this.pendingApply.has(rel)) return;
    this.pendingApply.set(
      rel,
      setTimeout(() => {
        this.pendingApply.delete(rel);
        this.enqueue(() => this.applyDoc(rel)).catch((e) => this.events.log(`edit ${rel}: ${(e as Error).message}`));
      }, EDIT_COALESCE_MS),
    );
  }

  /**
   * The editor closed a document: the tree's file on disk counts again. A file
   * that is not on disk (never saved) or that only the editor brought (a loose
   * file) leaves the engine, so nothing is published for it any more.
   */
  close(rel: string): void {
    const d = this.docs.get(rel);
    if (!d) return;
    this.docs.delete(rel);
    this.cancelPending(rel);
    d.parser.dispose();
    void this.enqueue(async () => {
      const onDisk = this.indexable ? await readText(path.join(this.root, rel)) : undefined;
      if (onDisk !== undefined && this.engine.files.has(rel)) {
        this.engine.updateFileIR(await parseFileText(rel, onDisk));
        this.events.changed(this, [rel]);
      } else if (this.engine.files.has(rel)) {
        this.engine.removeFile(rel);
        this.events.changed(this, [rel]);
      }
    }).catch((e) => this.events.log(`closing ${rel}: ${(e as Error).message}`));
  }

  private cancelPending(rel: string): void {
    const t = this.pendingApply.get(rel);
    if (t) clearTimeout(t);
    this.pendingApply.delete(rel);
  }

  /** Resolves when the document's current version (or a newer one) is in the engine. */
  async current(rel: string): Promise<OpenDocument | undefined> {
    const d = this.docs.get(rel);
    if (!d) {
      await this.enqueue(() => undefined);
      return undefined;
    }
    if (d.applied < d.version) {
      this.cancelPending(rel);
      await this.enqueue(() => this.applyDoc(rel));
    }
    else await this.enqueue(() => undefined);
    return this.docs.get(rel);
  }

  private async applyDoc(rel: string): Promise<void> {
    const d = this.docs.get(rel);
    if (!d || d.applied >= d.version) return;
    const version = d.version;
    if (d.parsedVersion !== version) {
      const text = d.text;
      const r = await d.parser.parse(text);
      d.ir = r.ir;
      d.irText = text;
      d.parsedVersion = version;
    }
    if (this.docs.get(rel) !== d) return;
    this.engine.updateFileIR(d.ir!);
    d.applied = version;
    this.events.changed(this, [rel]);
  }

  /** Builds the index in the background; resolves when it is in place (or failed or was cancelled). */
  index(options: Omit<EngineOptions, 'root'>, signalFromClient?: { onCancellationRequested(cb: () => void): unknown }): Promise<void> {
    if (!this.indexable) {
      // No tree to index: re-create the per-file engine with the new options and re-apply open documents.
      return this.enqueue(async () => {
        await this.rebuildProvisional(options);
        this.state = 'ready';
        this.events.changed(this, 'all');
      });
    }
    // Until the new index is in, answers come from a per-file engine with the new options (taught primitives).
    if (this.state !== 'ready') void this.enqueue(() => this.rebuildProvisional(options)).catch((e) => this.events.log(`${this.root}: ${(e as Error).message}`));
    this.abort?.abort();
    const abort = new AbortController();
    this.abort = abort;
    const run = ++this.indexRun;
    const captured = new Map<string, number>();
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
          () => {
            const irs: FileIR[] = [];
            for (const d of this.docs.values()) {
              if (!d.ir) continue;
              irs.push(d.ir);
              captured.set(d.rel, d.parsedVersion);
            }
            return irs;
          },
        );
        if (run !== this.indexRun) return;
        await this.enqueue(async () => {
          // The new engine holds each open document as captured; newer versions are applied now.
          for (const d of this.docs.values()) d.applied = engine.files.has(d.rel) ? (captured.get(d.rel) ?? -1) : -1;
          this.engine = engine;
          for (const rel of this.docs.keys()) {
            try {
              await this.applyDoc(rel);
            } catch (e) {
              this.events.log(`${rel}: ${(e as Error).message}`);
            }
          }
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

  private async rebuildProvisional(options: Omit<EngineOptions, 'root'>): Promise<void> {
    this.engine = LockEngine.empty({ ...options, root: this.root, noCache: true });
    for (const d of this.docs.values()) d.applied = -1;
    for (const rel of this.docs.keys()) {
      try {
        await this.applyDoc(rel);
      } catch (e) {
        this.events.log(`${rel}: ${(e as Error).message}`);
      }
    }
  }

  dispose(): void {
    this.disposed = true;
    this.abort?.abort();
    for (const t of this.pendingApply.values()) clearTimeout(t);
    this.pendingApply.clear();
    for (const d of this.docs.values()) d.parser.dispose();
    this.docs.clear();
  }
}

async function readText(abs: string): Promise<string | undefined> {
  try {
    return sourceTextOf(await readFile(abs));
  } catch {
    return undefined;
  }
}
