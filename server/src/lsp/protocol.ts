/**
 * The language server's extensions to LSP, declared once: the client and the
 * tests import these names and shapes from here. Documented for other editors
 * in docs/lsp-extensions.md.
 *
 * This file imports nothing at run time so the client bundle can use it as is.
 * Lines in these payloads are 1-based, as in the CLI's JSON (the standard LSP
 * requests keep LSP's 0-based positions).
 */

export type ModeName = 'none' | 'read' | 'write';

/** `{"mmap_lock": ["write"]}`: lock instance -> modes possibly held (the CLI's state object). */
export type LockStateJson = Record<string, ModeName[]>;

export interface TextDocumentRef {
  uri: string;
}

export interface PositionRef {
  /** 0-based, as in LSP. */
  line: number;
  character: number;
}

// ---------------------------------------------------------------------------
// kernelLockLens/simulate (client -> server request)

export const SimulateRequestMethod = 'kernelLockLens/simulate';

export interface SimulateParams {
  /** The function at this position, or `function` by name (with `textDocument` to pick a file). */
  textDocument?: TextDocumentRef;
  position?: PositionRef;
  function?: string;
  /** Entry mode; default: the first held mode callers bring, else none. */
  entry?: ModeName;
  /** Path limit; default: the `kernelLockLens.simulate.maxPaths` setting. */
  maxPaths?: number;
}

export interface SimulateStep {
  line: number;
  text: string;
  /** acquire, release, downgrade, assert, call, branch-true, branch-false, return, statement, noreturn, guard-release */
  event: string;
  before: LockStateJson;
  after: LockStateJson;
  callee?: string;
}

export interface SimulatePath {
  steps: SimulateStep[];
  exit: LockStateJson;
  end: string;
  cut?: string;
}

export interface SimulateResult {
  function: string;
  /** Path relative to the workspace root, and the document's URI. */
  file: string;
  uri: string;
  line: number;
  entry: ModeName;
  /** The entry modes callers can bring (for an entry-mode picker). */
  possibleEntries: ModeName[];
  paths: SimulatePath[];
  truncated?: string;
  /** Document version the result was computed for (open documents only). */
  version?: number;
}

// ---------------------------------------------------------------------------
// kernelLockLens/functionSummary (client -> server request)

export const FunctionSummaryRequestMethod = 'kernelLockLens/functionSummary';

export interface FunctionSummaryParams {
  textDocument?: TextDocumentRef;
  position?: PositionRef;
  function?: string;
}

export interface FunctionSummaryResult {
  name: string;
  file: string;
  uri: string;
  line: number;
  entry: LockStateJson;
  exit: LockStateJson;
  /** `write -> write`, `none -> write when it returns 0; none when it returns an error`, one per entry mode. */
  transitions: string[];
  requirement?: string;
  documentedContext?: string;
  callers: Array<{ name: string; file: string; line: number; state: LockStateJson; via?: string }>;
  /** `vm_operations_struct.close` and where it was registered. */
  registeredAs: Array<{ member: string; file: string; line: number }>;
  /** Why the entry state is what it is, in words (roots, syscalls, callbacks). */
  entryWhy: string[];
  /** The same as Markdown, as the hover on the function's name shows it. */
  markdown: string;
}

// ---------------------------------------------------------------------------
// kernelLockLens/lockState (client -> server request): the mode at a position (status bar)

export const LockStateRequestMethod = 'kernelLockLens/lockState';

export interface LockStateParams {
  textDocument: TextDocumentRef;
  position: PositionRef;
}

export interface LockStateResult {
  /** Null outside any analysed function. */
  function: string | null;
  state: LockStateJson | null;
  /** `write` or `none|write`, or `mmap_lock(oldmm)=write mmap_lock(mm)=none`. */
  text: string;
}

// ---------------------------------------------------------------------------
// kernelLockLens/reindex (client -> server request): drop the index and build it again

export const ReindexRequestMethod = 'kernelLockLens/reindex';

export interface ReindexResult {
  files: number;
  functions: number;
  ms: number;
}

// ---------------------------------------------------------------------------
// kernelLockLens/status (server -> client notification)

export const StatusNotificationMethod = 'kernelLockLens/status';

export type ServerState = 'starting' | 'indexing' | 'ready' | 'error';

export interface StatusParams {
  state: ServerState;
  /** One line for a status bar tooltip: "Indexing kernel tree: 212/399 files". */
  message: string;
  done?: number;
  total?: number;
  /** When ready: indexed files and functions, and the time the index took. */
  files?: number;
  functions?: number;
  ms?: number;
}

// ---------------------------------------------------------------------------
// Settings: the `kernelLockLens` section (workspace/configuration)

export type InlayHintMode = 'transitions' | 'every-line' | 'off';

export interface ExtraPrimitiveSetting {
  kind: 'acquire' | 'release' | 'downgrade' | 'assert';
  /** acquire: the mode taken; release: the mode given up; assert: the weakest mode accepted. */
  mode: ModeName;
  /** Conditional acquires: `trylock` (true when taken) or `killable` (0 when taken). */
  conditional?: 'trylock' | 'killable';
}

export interface KernelLockLensSettings {
  index: {
    /** Globs relative to the workspace folder; empty: the whole tree (through the prefilter). */
    include: string[];
    exclude: string[];
  };
  /** Wrappers a user teaches: function name -> what it does to mmap_lock. */
  primitives: Record<string, ExtraPrimitiveSetting>;
  inlayHints: { mode: InlayHintMode };
  /** Per rule code: error, warning, information, hint or off. */
  severity: Record<string, 'error' | 'warning' | 'information' | 'hint' | 'off'>;
  simulate: { maxPaths: number };
  /** Parse cache folder; empty: the user's cache folder. */
  cacheDir: string;
}

export const DEFAULT_SETTINGS: KernelLockLensSettings = {
  index: { include: [], exclude: [] },
  primitives: {},
  inlayHints: { mode: 'transitions' },
  severity: {},
  simulate: { maxPaths: 64 },
  cacheDir: '',
};

/** Command ids the client contributes (and the server may reference in code lenses). */
export const Commands = {
  simulate: 'kernelLockLens.simulateFunction',
  summary: 'kernelLockLens.showFunctionSummary',
  reindex: 'kernelLockLens.reindex',
  showOutput: 'kernelLockLens.showOutput',
} as const;
