/**
 * The language server: a thin LSP layer over the engine. It keeps one
 * FolderSession per workspace folder (and per folder of a loose file), turns
 * requests into engine queries and engine results into LSP data.
 *
 * Every handler is guarded: a bad request gets an error response or an
 * empty result and a line in the log, never a crash.
 */
import * as path from 'path';
import { fileURLToPath } from 'url';
import {
  type CancellationToken,
  type Connection,
  type InitializeParams,
  type InitializeResult,
  type Diagnostic as LspDiagnostic,
  ErrorCodes,
  ResponseError,
  TextDocumentSyncKind,
  TextDocuments,
  type WorkDoneProgressServerReporter,
} from 'vscode-languageserver';
import { createConnection, ProposedFeatures } from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { describeFunction, functionAtLine } from '../engine/explain';
import type { FnRef } from '../interproc/function-table';
import { UsageError } from '../index/workspace-index';
import type { Mode } from '../lockflow/modes';
import { fileUri, toLspDiagnostic } from './diagnostics';
import { FolderSession } from './folder-session';
import { computeHover, summaryMarkdown } from './hover';
import { computeInlayHints } from './inlay-hints';
import {
  DEFAULT_SETTINGS,
  FunctionSummaryRequestMethod,
  type FunctionSummaryParams,
  type FunctionSummaryResult,
  type KernelLockLensSettings,
  LockStateRequestMethod,
  type LockStateParams,
  type LockStateResult,
  ReindexRequestMethod,
  type ReindexResult,
  SimulateRequestMethod,
  type SimulateParams,
  type SimulateResult,
  StatusNotificationMethod,
  type StatusParams,
} from './protocol';
import { extraPrimitives, needsReindex, readSettings, scopeFilter } from './settings';
import { formatState } from '../engine/lock-state-json';

const MODES: readonly Mode[] = ['none', 'read', 'write'];
/** Diagnostics of the whole folder are recomputed this long after the last edit; the edited file's at once. */
const FULL_CHECK_DELAY_MS = 1500;
/** However many paths a client asks for, a simulation stops here (the answer must fit in a message). */
const MAX_SIM_PATHS = 10_000;
/** Files per slice of a whole-folder diagnostics run. */
const PUBLISH_SLICE = 40;

export interface ServerOptions {
  /** Extra index options for tests (a private cache folder). */
  cacheRoot?: string;
}

/** Starts a server on the transport the command line names (`--stdio`, `--node-ipc`, `--socket=N`). */
export function runServer(): void {
  const connection = createConnection(ProposedFeatures.all);
  process.on('uncaughtException', (e) => connection.console.error(`uncaught: ${e.stack ?? e}`));
  process.on('unhandledRejection', (e) => connection.console.error(`unhandled rejection: ${(e as Error)?.stack ?? e}`));
  startServer(connection, { cacheRoot: process.env.KERNEL_LOCK_LENS_CACHE || undefined });
}

export function startServer(connection: Connection, serverOptions: ServerOptions = {}): void {
  const documents = new TextDocuments(TextDocument);
  const sessions: FolderSession[] = [];
  const loose = new Map<string, FolderSession>();
  let settings: KernelLockLensSettings = DEFAULT_SETTINGS;
  let canConfigure = false;
  let canProgress = false;
  let canRefreshHints = false;
  let canWatchFolders = false;
  let shuttingDown = false;
  /** URIs each session last published diagnostics for, so fixed files are cleared. */
  const published = new Map<FolderSession, Set<string>>();
  const fullCheckTimers = new Map<FolderSession, NodeJS.Timeout>();

  const log = (msg: string) => connection.console.log(msg);

  const engineOptions = () => ({
    extraPrimitives: extraPrimitives(settings),
    extraTokens: Object.keys(settings.primitives),
    filter: scopeFilter(settings),
    cacheRoot: settings.cacheDir || serverOptions.cacheRoot,
    quiet: true,
  });

  const sendStatus = (s: StatusParams) => void connection.sendNotification(StatusNotificationMethod, s).catch(() => undefined);

  const overallStatus = (): StatusParams => {
    const indexing = sessions.find((s) => s.state === 'indexing');
    if (indexing) return { state: 'indexing', message: indexing.stateMessage };
    const failed = sessions.find((s) => s.state === 'error');
    if (failed) return { state: 'error', message: failed.stateMessage };
    const files = sessions.reduce((n, s) => n + s.engine.files.size, 0);
    const functions = sessions.reduce((n, s) => n + s.engine.program.table.byId.size, 0);
    const ms = sessions.reduce((n, s) => Math.max(n, s.indexMs), 0);
    const cancelled = sessions.find((s) => s.state === 'cancelled');
    return { state: 'ready', message: cancelled ? cancelled.stateMessage : `Ready: ${files} files, ${functions} functions`, files, functions, ms };
  };

  const events = {
    log,
    progress: (message: string, done: number, total: number) => {
      progressReport?.(message, done, total);
      sendStatusThrottled({ state: 'indexing', message, done, total });
    },
    changed: (session: FolderSession, rels: string[] | 'all') => {
      if (shuttingDown || session.disposed) return;
      if (rels === 'all') {
        void publishAll(session);
        if (canRefreshHints) void connection.languages.inlayHint.refresh().catch(() => undefined);
        sendStatus(overallStatus());
      } else {
        publishFiles(session, rels);
        scheduleFullCheck(session);
      }
    },
  };

  let lastStatusAt = 0;
  const sendStatusThrottled = (s: StatusParams) => {
    const now = Date.now();
    if (now - lastStatusAt < 150 && s.done !== s.total) return;
    lastStatusAt = now;
    sendStatus(s);
  };
  let progressReport: ((message: string, done: number, total: number) => void) | undefined;

  // --- sessions and documents -------------------------------------------------

  const uriToPath = (uri: string): string | undefined => {
    try {
      return uri.startsWith('file:') ? fileURLToPath(uri) : undefined;
    } catch {
      return undefined;
    }
  };

  /** The session a document belongs to, and its path in it; loose files get a session of their own folder. */
  const locate = (uri: string, create: boolean): { session: FolderSession; rel: string } | undefined => {
    if (typeof uri !== 'string') return undefined;
    const fsPath = uriToPath(uri);
    if (fsPath) {
      const owner = sessions.filter((s) => s.contains(fsPath)).sort((a, b) => b.root.length - a.root.length)[0];
      if (owner) return { session: owner, rel: owner.rel(fsPath) };
    }
    // Untitled and other non-file documents, and files outside every folder: per-file analysis.
    const dir = fsPath ? path.dirname(fsPath) : '/untitled';
    let s = loose.get(dir);
    if (!s) {
      if (!create) return undefined;
      s = new FolderSession(dir, fsPath ? fileUri(dir, '') : 'untitled:', engineOptions(), events, false);
      s.state = 'ready';
      loose.set(dir, s);
    }
    return { session: s, rel: fsPath ? s.rel(fsPath) : uri.replace(/^[a-z]+:/i, '').replace(/[^\w.-]+/g, '_') };
  };

  documents.onDidOpen((e) => {
    if (typeof e.document.getText() !== 'string' || !Number.isInteger(e.document.version)) {
      log(`ignored didOpen of ${String(e.document.uri)}: text must be a string and version an integer`);
      return;
    }
    const at = locate(e.document.uri, true);
    if (!at) return;
    at.session.open(at.rel, e.document.uri, e.document.version, e.document.getText()).catch((err) => log(`open ${e.document.uri}: ${(err as Error).message}`));
  });
  documents.onDidChangeContent((e) => {
    const at = locate(e.document.uri, false);
    if (!at || !at.session.docs.has(at.rel)) return;
    // Coalesced: a burst of edits is analysed once, with the newest text (or at once when a request needs it).
    at.session.change(at.rel, e.document.version, e.document.getText());
  });
  documents.onDidClose((e) => {
    const at = locate(e.document.uri, false);
    if (!at) return;
    at.session.close(at.rel);
    if (!at.session.indexable) {
      void connection.sendDiagnostics({ uri: e.document.uri, diagnostics: [] }).catch(() => undefined);
      published.get(at.session)?.delete(e.document.uri);
      // A loose folder lives as long as it has open documents.
      if (!at.session.docs.size) {
        for (const [dir, s] of loose) {
          if (s !== at.session) continue;
          loose.delete(dir);
          published.delete(s);
          s.dispose();
        }
      }
    }
  });

  // --- diagnostics --------------------------------------------------------------

  const diagnosticsFor = (session: FolderSession, rels?: string[]): Map<string, LspDiagnostic[]> => {
    const byFile = new Map<string, LspDiagnostic[]>();
    const engine = session.engine;
    const diags = rels ? engine.checkFiles(rels.filter((r) => engine.files.has(r))) : engine.check();
    for (const d of diags) {
      const lsp = toLspDiagnostic(d, session.root, settings);
      if (!lsp) continue;
      const list = byFile.get(d.file) ?? [];
      list.push(lsp);
      byFile.set(d.file, list);
    }
    return byFile;
  };

  const send = (session: FolderSession, rel: string, diagnostics: LspDiagnostic[]): void => {
    const doc = session.docs.get(rel);
    // A newer version is on its way: its own publication will come; never show these for it.
    if (doc && doc.applied < doc.version) return;
    const uri = doc?.uri ?? fileUri(session.root, rel);
    const set = published.get(session) ?? new Set();
    published.set(session, set);
    if (diagnostics.length) set.add(uri);
    else set.delete(uri);
    void connection.sendDiagnostics({ uri, version: doc?.applied, diagnostics }).catch(() => undefined);
  };

  const publishFiles = (session: FolderSession, rels: string[]) => {
    try {
      const by = diagnosticsFor(session, rels);
      for (const rel of rels) send(session, rel, by.get(rel) ?? []);
    } catch (e) {
      log(`diagnostics for ${rels.join(', ')} failed: ${(e as Error).stack ?? e}`);
    }
  };

  /** Whole-folder diagnostics, in slices of files so requests are answered in between; a newer run supersedes. */
  const publishRuns = new Map<FolderSession, number>();
  const publishAll = (session: FolderSession): Promise<void> => {
    const timer = fullCheckTimers.get(session);
    if (timer) clearTimeout(timer);
    fullCheckTimers.delete(session);
    const run = (publishRuns.get(session) ?? 0) + 1;
    publishRuns.set(session, run);
    return (async () => {
      try {
        const t0 = Date.now();
        const before = new Set(published.get(session) ?? []);
        const uriOf = (rel: string) => session.docs.get(rel)?.uri ?? fileUri(session.root, rel);
        const files = [...session.engine.files.keys()];
        let count = 0;
        let withDiags = 0;
        for (let i = 0; i < files.length; i += PUBLISH_SLICE) {
          if (i > 0) await new Promise((r) => setImmediate(r));
          if (publishRuns.get(session) !== run || session.disposed || shuttingDown) return;
          const slice = files.slice(i, i + PUBLISH_SLICE).filter((f) => session.engine.files.has(f));
          const by = diagnosticsFor(session, slice);
          for (const [rel, list] of by) {
            before.delete(uriOf(rel));
            send(session, rel, list);
            count += list.length;
            withDiags++;
          }
        }
        for (const uri of before) {
          void connection.sendDiagnostics({ uri, diagnostics: [] }).catch(() => undefined);
          published.get(session)?.delete(uri);
        }
        log(`${session.root}: ${count} diagnostics in ${withDiags} files (${Date.now() - t0} ms)`);
      } catch (e) {
        log(`diagnostics failed: ${(e as Error).stack ?? e}`);
      }
    })();
  };

  const scheduleFullCheck = (session: FolderSession) => {
    if (session.disposed) return;
    const t = fullCheckTimers.get(session);
    if (t) clearTimeout(t);
    fullCheckTimers.set(
      session,
      setTimeout(() => {
        fullCheckTimers.delete(session);
        // Wait for queued edits first, so the full check sees the latest versions.
        void session.current('').then(() => {
          if (!session.disposed) void publishAll(session);
        });
      }, FULL_CHECK_DELAY_MS),
    );
  };

  // --- indexing -------------------------------------------------------------------

  const indexAll = async (only?: FolderSession[]): Promise<void> => {
    let reporter: WorkDoneProgressServerReporter | undefined;
    const targets = (only ?? sessions).filter((s) => s.indexable);
    if (!targets.length) return;
    if (canProgress) {
      try {
        reporter = await connection.window.createWorkDoneProgress();
        reporter.begin('Kernel Lock Lens', 0, 'Indexing kernel tree', true);
      } catch {
        reporter = undefined;
      }
    }
    let lastAt = 0;
    // Each run owns its reporter; a run that was superseded must not switch off the newer run's reports.
    const mine = (message: string, done: number, total: number) => {
      const now = Date.now();
      if (!reporter || (now - lastAt < 100 && done !== total)) return;
      lastAt = now;
      reporter.report(total ? Math.floor((done / total) * 100) : 0, message);
    };
    progressReport = mine;
    sendStatus({ state: 'indexing', message: 'Indexing kernel tree' });
    const cancel = reporter?.token;
    const opts = engineOptions();
    await Promise.all(targets.map((s) => s.index(opts, cancel)));
    if (progressReport === mine) progressReport = undefined;
    reporter?.done();
    sendStatus(overallStatus());
  };

  // --- requests -----------------------------------------------------------------------

  /** Wraps a handler: errors become a log line and the fallback (or an LSP error for bad params). */
  function guard<P, R>(name: string, fallback: R, fn: (params: P, token: CancellationToken) => Promise<R> | R) {
    // A rejected ResponseError is sent to the client as the request's error.
    return async (params: P, token: CancellationToken): Promise<R> => {
      try {
        return await fn(params, token);
      } catch (e) {
        if (e instanceof ResponseError) throw e;
        if (e instanceof UsageError) throw new ResponseError(ErrorCodes.InvalidParams, e.message);
        log(`${name} failed: ${(e as Error).stack ?? e}`);
        return fallback;
      }
    };
  }

  const badParams = (msg: string) => new ResponseError(ErrorCodes.InvalidParams, msg);

  const validPosition = (p: unknown): p is { line: number; character: number } =>
    !!p && typeof p === 'object' && Number.isInteger((p as { line: unknown }).line) && Number.isInteger((p as { character: unknown }).character) && (p as { line: number }).line >= 0 && (p as { character: number }).character >= 0;

  /** Session, relative path and up-to-date engine for a document URI, or undefined for one we do not know. */
  const ready = async (uri: unknown) => {
    if (typeof uri !== 'string') throw badParams('textDocument.uri must be a string');
    const at = locate(uri, false);
    if (!at) return undefined;
    await at.session.current(at.rel);
    if (!at.session.engine.files.has(at.rel)) return undefined;
    return at;
  };

  /** The function a request names: at a position in a document, or by name (in that document's folder, else anywhere). */
  const findFunction = async (params: { textDocument?: { uri?: unknown }; position?: unknown; function?: unknown }): Promise<{ session: FolderSession; ref: FnRef } | undefined> => {
    if (params.function !== undefined && typeof params.function !== 'string') throw badParams('function must be a string');
    const name = typeof params.function === 'string' ? params.function.trim().replace(/\(\)$/, '') : undefined;
    const uri = params.textDocument?.uri;
    if (name) {
      const at = uri !== undefined ? await ready(uri) : undefined;
      const pool = at ? [at.session, ...sessions.filter((s) => s !== at.session)] : [...sessions, ...loose.values()];
      for (const s of pool) {
        await s.current('');
        // Prefer the definition in the asking document (paths are already root-relative: no lookup through the cwd).
        const defs = s.engine.program.table.byName.get(name) ?? s.engine.program.table.byName.get('sys_' + name) ?? [];
        const ref = (at && s === at.session ? defs.find((d) => d.file === at.rel) : undefined) ?? s.engine.findFunction(name);
        if (ref) return { session: s, ref };
      }
      return undefined;
    }
    if (uri === undefined) throw badParams('give textDocument and position, or function');
    if (!validPosition(params.position)) throw badParams('position must be {line, character} with non-negative integers');
    const at = await ready(uri);
    if (!at) return undefined;
    const ref = functionAtLine(at.session.engine.program, at.rel, params.position.line + 1);
    return ref ? { session: at.session, ref } : undefined;
  };

  connection.onInitialize((params: InitializeParams): InitializeResult => {
    const caps = params.capabilities ?? {};
    canConfigure = !!caps.workspace?.configuration;
    canProgress = !!caps.window?.workDoneProgress;
    canRefreshHints = !!caps.workspace?.inlayHint?.refreshSupport;
    canWatchFolders = !!caps.workspace?.workspaceFolders;
    const problems: string[] = [];
    const init = (params.initializationOptions ?? {}) as { settings?: unknown };
    if (init.settings) settings = readSettings(init.settings, problems);
    for (const p of problems) log(p);
    const folders = params.workspaceFolders?.length ? params.workspaceFolders.map((f) => f.uri) : params.rootUri ? [params.rootUri] : [];
    for (const uri of folders) {
      const root = uriToPath(uri);
      if (!root) {
        log(`workspace folder ${uri} is not a file: URI; its files are analysed one by one`);
        continue;
      }
      sessions.push(new FolderSession(root, uri, engineOptions(), events, true));
    }
    return {
      capabilities: {
        textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental },
        hoverProvider: true,
        inlayHintProvider: { resolveProvider: false },
        executeCommandProvider: undefined,
        workspace: { workspaceFolders: { supported: true, changeNotifications: true } },
      },
      serverInfo: { name: 'kernel-lock-lens', version: '0.1.0' },
    };
  });

  const fetchSettings = async (): Promise<KernelLockLensSettings> => {
    if (!canConfigure) return settings;
    try {
      const [raw] = await connection.workspace.getConfiguration([{ section: 'kernelLockLens' }]);
      const problems: string[] = [];
      const s = readSettings(raw, problems);
      for (const p of problems) log(p);
      return s;
    } catch (e) {
      log(`could not read settings: ${(e as Error).message}`);
      return settings;
    }
  };

  let initialSettings: Promise<void> | undefined;
  connection.onInitialized(async () => {
    if (initialSettings) return log('ignored a second initialized notification');
    let settled: () => void = () => undefined;
    initialSettings = new Promise<void>((r) => (settled = r));
    if (canWatchFolders) {
      connection.workspace.onDidChangeWorkspaceFolders((e) => {
        for (const f of e.removed) {
          const i = sessions.findIndex((s) => s.rootUri === f.uri);
          if (i < 0) continue;
          const [gone] = sessions.splice(i, 1);
          for (const uri of published.get(gone) ?? []) void connection.sendDiagnostics({ uri, diagnostics: [] }).catch(() => undefined);
          published.delete(gone);
          const timer = fullCheckTimers.get(gone);
          if (timer) clearTimeout(timer);
          fullCheckTimers.delete(gone);
          const stillOpen = [...gone.docs.values()];
          gone.dispose();
          log(`workspace folder removed: ${gone.root}`);
          // Its open documents are analysed on their own from now on.
          for (const d of stillOpen) {
            const doc = documents.get(d.uri);
            const at = doc ? locate(d.uri, true) : undefined;
            if (doc && at) void at.session.open(at.rel, d.uri, doc.version, doc.getText()).catch(() => undefined);
          }
        }
        const added: FolderSession[] = [];
        for (const f of e.added) {
          const root = uriToPath(f.uri);
          if (!root || sessions.some((s) => s.rootUri === f.uri)) continue;
          const s = new FolderSession(root, f.uri, engineOptions(), events, true);
          sessions.push(s);
          added.push(s);
          // Documents already open under the new folder move to it from their loose session.
          for (const doc of documents.all()) {
            const p = uriToPath(doc.uri);
            if (!p || !s.contains(p)) continue;
            for (const ls of loose.values()) if (ls.docs.has(ls.rel(p))) ls.close(ls.rel(p));
            void s.open(s.rel(p), doc.uri, doc.version, doc.getText());
          }
        }
        if (added.length) void indexAll(added).catch((err) => log(`indexing failed: ${(err as Error).stack ?? err}`));
      });
    }
    settings = await fetchSettings();
    settled();
    sendStatus({ state: 'starting', message: 'Starting' });
    void indexAll().catch((e) => log(`indexing failed: ${(e as Error).stack ?? e}`));
  });

  // Changes are handled one at a time, after the first settings are in.
  let configChain: Promise<void> = Promise.resolve();
  connection.onDidChangeConfiguration((change) => {
    configChain = configChain.then(() => applyConfigChange(change)).catch((e) => log(`settings change failed: ${(e as Error).stack ?? e}`));
  });
  const applyConfigChange = async (change: { settings?: unknown } | undefined): Promise<void> => {
    await initialSettings;
    const before = settings;
    const pushed = (change?.settings as { kernelLockLens?: unknown } | undefined)?.kernelLockLens;
    settings = canConfigure ? await fetchSettings() : pushed !== undefined ? readSettings(pushed) : settings;
    if (needsReindex(before, settings)) {
      log('index settings changed: re-indexing');
      for (const s of loose.values()) void s.index(engineOptions());
      void indexAll();
      return;
    }
    for (const s of [...sessions, ...loose.values()]) void publishAll(s);
    if (canRefreshHints) void connection.languages.inlayHint.refresh().catch(() => undefined);
  };

  connection.onHover(
    guard('hover', null, async (params) => {
      if (!validPosition(params?.position)) throw badParams('position must be {line, character} with non-negative integers');
      const at = await ready(params.textDocument?.uri);
      if (!at) return null;
      return computeHover(at.session.engine.program, at.session.cache(), at.session.root, at.rel, params.position.line, params.position.character);
    }),
  );

  connection.languages.inlayHint.on(
    guard('inlayHint', [], async (params) => {
      const r = params?.range;
      if (!r || !validPosition(r.start) || !validPosition(r.end)) throw badParams('range must have start and end positions');
      const at = await ready(params.textDocument?.uri);
      if (!at) return [];
      const doc = documents.get(params.textDocument.uri);
      const lines = (doc?.getText() ?? '').split('\n');
      return computeInlayHints(at.session.engine.program, at.session.cache(), at.rel, lines, r.start.line, r.end.line, settings.inlayHints.mode);
    }),
  );

  connection.onRequest(
    SimulateRequestMethod,
    guard('simulate', null, async (params: SimulateParams, token): Promise<SimulateResult | null> => {
      if (!params || typeof params !== 'object') throw badParams('params must be an object');
      if (params.entry !== undefined && !MODES.includes(params.entry as Mode)) throw badParams('entry must be none, read or write');
      if (params.maxPaths !== undefined && (!Number.isInteger(params.maxPaths) || params.maxPaths < 1)) throw badParams('maxPaths must be a positive integer');
      const found = await findFunction(params);
      if (!found || token.isCancellationRequested) return null;
      const { session, ref } = found;
      const doc = session.docs.get(ref.file);
      const sim = session.engine.simulateRef(ref, { entry: params.entry, maxPaths: Math.min(params.maxPaths ?? settings.simulate.maxPaths, MAX_SIM_PATHS), source: doc?.irText });
      return { ...sim, uri: doc?.uri ?? fileUri(session.root, ref.file), possibleEntries: session.engine.entryModes(ref), ...(doc ? { version: doc.applied } : {}) };
    }),
  );

  connection.onRequest(
    FunctionSummaryRequestMethod,
    guard('functionSummary', null, async (params: FunctionSummaryParams): Promise<FunctionSummaryResult | null> => {
      if (!params || typeof params !== 'object') throw badParams('params must be an object');
      const found = await findFunction(params);
      if (!found) return null;
      const { session, ref } = found;
      const d = describeFunction(session.engine.program, ref);
      return {
        name: d.name,
        file: d.file,
        uri: session.docs.get(d.file)?.uri ?? fileUri(session.root, d.file),
        line: d.line,
        entry: d.entry,
        exit: d.exit,
        transitions: d.transitions,
        ...(d.requirement ? { requirement: d.requirement } : {}),
        ...(d.documentedContext ? { documentedContext: d.documentedContext } : {}),
        callers: d.callers,
        registeredAs: d.registeredAs,
        entryWhy: d.entryWhy,
        markdown: summaryMarkdown(d, session.root),
      };
    }),
  );

  connection.onRequest(
    LockStateRequestMethod,
    guard('lockState', { function: null, state: null, text: '' }, async (params: LockStateParams): Promise<LockStateResult> => {
      if (!params || !validPosition(params.position)) throw badParams('position must be {line, character} with non-negative integers');
      const at = await ready(params.textDocument?.uri);
      if (!at) return { function: null, state: null, text: '' };
      const ref = functionAtLine(at.session.engine.program, at.rel, params.position.line + 1);
      if (!ref) return { function: null, state: null, text: '' };
      const st = at.session.cache().stateAt(ref, params.position.line + 1);
      const state = st?.before ?? null;
      return { function: ref.fn.name, state, text: state ? formatState(state) : '' };
    }),
  );

  connection.onRequest(
    ReindexRequestMethod,
    guard('reindex', null, async (): Promise<ReindexResult | null> => {
      const t0 = Date.now();
      await indexAll();
      const failed = sessions.find((s) => s.state === 'error' || s.state === 'cancelled');
      if (failed) throw new ResponseError(-32803 /* RequestFailed */, failed.stateMessage);
      return {
        files: sessions.reduce((n, s) => n + s.engine.files.size, 0),
        functions: sessions.reduce((n, s) => n + s.engine.program.table.byId.size, 0),
        ms: Date.now() - t0,
      };
    }),
  );

  connection.onShutdown(() => {
    shuttingDown = true;
    for (const t of fullCheckTimers.values()) clearTimeout(t);
    for (const s of [...sessions, ...loose.values()]) s.dispose();
  });

  documents.listen(connection);
  connection.listen();
}
