/**
 * kernel-lock-lens: the command line. A contract for scripts and CI:
 * exit 0 when clean, 1 when problems were found, 2 on usage or I/O errors.
 */
import * as fs from 'fs';
import * as path from 'path';
import { LockEngine, rootRelative } from '../engine/engine';
import { UsageError } from '../index/workspace-index';
import { MODES, type Mode } from '../lockflow/modes';
import { ArgError, parseArgs } from './args';
import { annotationText, diagnosticJson, diagnosticText, sarif, simulationText } from './format';

export const VERSION = '0.1.0';

const HELP = `kernel-lock-lens ${VERSION}: which mmap_lock modes are held at every line of Linux mm code

Usage:
  kernel-lock-lens annotate FILE... --root DIR [--json]
  kernel-lock-lens check --root DIR [PATH...] [--json|--sarif]
  kernel-lock-lens simulate FUNCTION --root DIR [--file F] [--entry none|read|write] [--max-paths N] [--json]
  kernel-lock-lens lsp --stdio      (the language server, for any LSP editor)

Options:
  --root DIR        the kernel tree (required); paths are relative to it
  --json            machine-readable output
  --sarif           SARIF 2.1.0 (check only)
  --no-cache        do not read or write the caches (parses and check results)
  --cache-dir DIR   where the caches live (default: $XDG_CACHE_HOME/kernel-lock-lens)
  --prefer PATHS    comma-separated path prefixes whose definitions win when a name is defined twice
  --quiet           no progress on stderr
  -h, --help        this text

Exit status: 0 no problems, 1 problems found, 2 usage or I/O error.`;

const VALUED = new Set(['root', 'file', 'entry', 'cache-dir', 'prefer', 'max-paths']);
const FLAGS = new Set(['json', 'sarif', 'no-cache', 'quiet', 'help', 'stdio', 'node-ipc', 'version']);

export async function main(argv: string[], out: (s: string) => void = (s) => process.stdout.write(s + '\n'), err: (s: string) => void = (s) => process.stderr.write(s + '\n')): Promise<number> {
  let args;
  try {
    args = parseArgs(argv, VALUED, FLAGS);
  } catch (e) {
    err(`kernel-lock-lens: ${(e as Error).message}\n\n${HELP}`);
    return 2;
  }
  if (args.flags.has('version')) {
    out(VERSION);
    return 0;
  }
  if (args.flags.has('help') || !args.command || args.command === 'help') {
    out(HELP);
    return args.command || args.flags.has('help') ? 0 : 2;
  }
  const quiet = args.flags.has('quiet') || !process.stderr.isTTY;
  const progress = (phase: string, done: number, total: number) => {
    if (!quiet) process.stderr.write(`\r${phase} ${done}/${total}   `);
    if (!quiet && done === total) process.stderr.write('\n');
  };
  try {
    switch (args.command) {
      case 'annotate':
        return await annotate(args.positionals, args, out, err, progress);
      case 'check':
        return await check(args.positionals, args, out, err, progress);
      case 'simulate':
        return await simulateCmd(args.positionals, args, out, progress);
      case 'lsp': {
        if (!args.flags.has('stdio') && !args.flags.has('node-ipc')) throw new UsageError('lsp needs a transport: --stdio (or --node-ipc when started by a Node parent)');
        // The language server owns the process from here; it exits when its client says exit.
        const { runServer } = await import('../lsp/server.js');
        runServer();
        return await new Promise<number>(() => undefined);
      }
      default:
        err(`kernel-lock-lens: unknown command ${args.command}\n\n${HELP}`);
        return 2;
    }
  } catch (e) {
    if (e instanceof UsageError || e instanceof ArgError) {
      err(`kernel-lock-lens: ${e.message}`);
      return 2;
    }
    err(`kernel-lock-lens: internal error: ${(e as Error).stack ?? String(e)}`);
    return 2;
  }
}

type Args = ReturnType<typeof parseArgs>;

function requireRoot(args: Args): string {
  const root = args.options.get('root');
  if (!root) throw new UsageError('--root DIR is required');
  return root;
}

async function openEngine(args: Args, include: string[], progress: (p: string, d: number, t: number) => void): Promise<LockEngine> {
  const root = requireRoot(args);
  const prefer = args.options.get('prefer')?.split(',').filter(Boolean);
  return LockEngine.open({
    root,
    noCache: args.flags.has('no-cache'),
    cacheRoot: args.options.get('cache-dir'),
    include,
    prefer,
    onProgress: progress,
  });
}

async function annotate(files: string[], args: Args, out: (s: string) => void, err: (s: string) => void, progress: (p: string, d: number, t: number) => void): Promise<number> {
  if (!files.length) throw new UsageError('annotate needs at least one FILE');
  const rels = files.map((f) => rootRelative(requireRoot(args), f));
  const engine = await openEngine(args, rels, progress);
  const result = [];
  let status = 0;
  for (const f of rels) {
    if (!engine.files.has(f)) {
      err(`kernel-lock-lens: ${f}: not found under --root`);
      status = 2;
      continue;
    }
    const a = engine.annotate(f);
    if (args.flags.has('json')) result.push({ file: a.file, functions: a.functions, notes: a.notes });
    else {
      const text = fs.readFileSync(path.join(engine.root, f), 'utf8');
      out(annotationText(a, text));
    }
  }
  if (args.flags.has('json')) out(JSON.stringify({ files: result }, null, 1));
  return status;
}

async function check(paths: string[], args: Args, out: (s: string) => void, err: (s: string) => void, progress: (p: string, d: number, t: number) => void): Promise<number> {
  const t0 = Date.now();
  const root = requireRoot(args);
  for (const p of paths) {
    // A typo must not pass as "clean": every PATH has to exist under --root.
    if (!fs.existsSync(path.resolve(root, rootRelative(root, p)))) throw new UsageError(`${p}: no such file or directory under --root`);
  }
  const engine = await openEngine(args, [], progress);
  const diags = engine.check(paths.length ? paths : undefined);
  const s = engine.indexStats!;
  // From the run that stored the result when it came from the result cache (nothing was analysed now).
  const f = engine.figures();
  const stats = {
    files: f.files,
    discovered: s.discovered,
    parsed: s.parsed,
    fromCache: s.fromCache,
    functions: f.functions,
    analysed: f.analysed,
    diagnostics: diags.length,
    ms: Date.now() - t0,
    parseFailures: f.parseFailures,
    resultCache: engine.resultCache,
    analyseMs: engine.analyseMs,
  };
  if (args.flags.has('sarif')) out(JSON.stringify(sarif(diags, VERSION), null, 1));
  else if (args.flags.has('json')) out(JSON.stringify({ diagnostics: diags.map(diagnosticJson), stats }, null, 1));
  else {
    for (const d of diags) out(diagnosticText(d));
    err(`${diags.length} problem(s) in ${stats.files} file(s) (${stats.functions} functions) in ${(stats.ms / 1000).toFixed(1)} s`);
  }
  for (const p of engine.problems.slice(0, 20)) err(`kernel-lock-lens: ${p}`);
  return diags.length ? 1 : 0;
}

async function simulateCmd(pos: string[], args: Args, out: (s: string) => void, progress: (p: string, d: number, t: number) => void): Promise<number> {
  const name = pos[0];
  if (!name) throw new UsageError('simulate needs a FUNCTION name');
  const entry = args.options.get('entry');
  if (entry && !MODES.includes(entry as Mode)) throw new UsageError(`--entry must be one of ${MODES.join(', ')}`);
  const maxPaths = args.options.has('max-paths') ? Number(args.options.get('max-paths')) : undefined;
  if (maxPaths !== undefined && !(maxPaths > 0)) throw new UsageError('--max-paths must be a positive number');
  const file = args.options.get('file');
  const engine = await openEngine(args, file ? [rootRelative(requireRoot(args), file)] : [], progress);
  const r = engine.simulate(name, { file, entry: entry as Mode | undefined, maxPaths });
  out(args.flags.has('json') ? JSON.stringify(r, null, 1) : simulationText(r));
  return 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  }, (e) => {
    process.stderr.write(`kernel-lock-lens: ${String(e)}\n`);
    process.exitCode = 2;
  });
}
