/**
 * Results of `check` cached by everything they depend on, in the user's cache folder (never in the
 * kernel tree): the engine's own code, the options that change results, the check's scope, and
 * the path and content hash of every indexed file. A run over an unchanged tree then reads its
 * diagnostics instead of analysing. Files are written whole (temporary file, then rename); one
 * that does not read back as expected is ignored; only the newest MAX_RESULT_FILES are kept.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { IR_VERSION } from '../index/ir-cache';
import type { Diagnostic, RelatedLocation } from '../rules/diagnostic';

/** Bump when the stored shape changes. */
const FORMAT = 'results-1';

/** Result files kept (a tree, a few option sets, a few scopes); the least recently used go first. */
export const MAX_RESULT_FILES = 16;

/** Figures of the run that made the results, reported again when they are reused. */
export interface CheckFigures {
  files: number;
  functions: number;
  analysed: number;
  parseFailures: number;
}

export interface StoredResult {
  figures: CheckFigures;
  diagnostics: Diagnostic[];
}

interface ResultFile extends StoredResult {
  format: string;
  key: string;
}

let buildId: string | undefined;

/**
 * Identity of the running engine: a hash of its compiled code and the parser's wasm, so any
 * change to the engine invalidates stored results. From the esbuild bundle (dist/cli.js,
 * dist/server.js) that is the bundle and the parse worker beside it; from tsc output, every
 * compiled file of server/src.
 */
export function engineBuildId(): string {
  if (buildId) return buildId;
  const h = crypto.createHash('sha256').update(FORMAT + '\0' + IR_VERSION + '\0');
  const files: string[] = [];
  const srcRoot = path.resolve(__dirname, '..');
  if (path.basename(__dirname) === 'engine' && fs.existsSync(path.join(srcRoot, 'index', 'ir-cache.js'))) {
    const walk = (dir: string) => {
      for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (e.name.endsWith('.js')) files.push(p);
      }
    };
    walk(srcRoot);
  } else {
    files.push(__filename, path.join(__dirname, 'parse-worker.js'));
  }
  for (const wasm of ['tree-sitter.wasm', 'tree-sitter-c.wasm']) {
    const beside = path.join(__dirname, wasm);
    files.push(fs.existsSync(beside) ? beside : wasmInPackage(wasm));
  }
  for (const f of files) {
    h.update(f.slice(srcRoot.length) + '\0');
    try {
      h.update(fs.readFileSync(f));
    } catch {
      // A missing file is part of the identity too (its name went in above).
      h.update('missing');
    }
  }
  buildId = h.digest('hex');
  return buildId;
}

function wasmInPackage(file: string): string {
  try {
    return require.resolve(file === 'tree-sitter.wasm' ? 'web-tree-sitter/tree-sitter.wasm' : 'tree-sitter-c/tree-sitter-c.wasm');
  } catch {
    return file;
  }
}

/**
 * A stable text for option values: object keys and Map entries sorted, undefined left out.
 * Returns undefined when a value cannot be written down (a function), so no key is made.
 */
export function stableText(v: unknown): string | undefined {
  if (v === undefined) return undefined;
  if (v === null || typeof v === 'number' || typeof v === 'boolean' || typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'function' || typeof v === 'symbol' || typeof v === 'bigint') return undefined;
  if (v instanceof Map) return stableText(Object.fromEntries([...v.entries()].map(([k, x]) => [String(k), x])));
  if (v instanceof Set) return stableText([...v].map((x) => stableText(x)).sort());
  if (Array.isArray(v)) {
    const parts = v.map((x) => stableText(x) ?? '?');
    return parts.includes('?') ? undefined : `[${parts.join(',')}]`;
  }
  const parts: string[] = [];
  for (const k of Object.keys(v as object).sort()) {
    const x = (v as Record<string, unknown>)[k];
    if (x === undefined) continue;
    const t = stableText(x);
    if (t === undefined) return undefined;
    parts.push(`${JSON.stringify(k)}:${t}`);
  }
  return `{${parts.join(',')}}`;
}

export class ResultCache {
  readonly dir: string;

  constructor(cacheRoot: string) {
    this.dir = path.join(cacheRoot, 'results');
  }

  /** The key of a check: `parts` are the engine's identity, options, files and scope, already stable text. */
  static key(parts: string[]): string {
    const h = crypto.createHash('sha256');
    for (const p of parts) h.update(p).update('\0');
    return h.digest('hex');
  }

  private file(key: string): string {
    return path.join(this.dir, key.slice(0, 40) + '.json');
  }

  /** The stored result for this key, or undefined (none, unreadable, damaged, or another key's). */
  load(key: string): StoredResult | undefined {
    const file = this.file(key);
    let r: ResultFile;
    try {
      r = JSON.parse(fs.readFileSync(file, 'utf8')) as ResultFile;
    } catch {
      return undefined;
    }
    if (!r || r.format !== FORMAT || r.key !== key || !Array.isArray(r.diagnostics) || !validFigures(r.figures) || !r.diagnostics.every(validDiagnostic)) return undefined;
    try {
      // Recently used: kept when the folder is trimmed.
      const now = new Date();
      fs.utimesSync(file, now, now);
    } catch {
      // Read-only cache: still usable.
    }
    return { figures: r.figures, diagnostics: r.diagnostics };
  }

  /** Stores a result (whole or not at all), then trims the folder to the newest MAX_RESULT_FILES. Never throws. */
  store(key: string, result: StoredResult): void {
    try {
      fs.mkdirSync(this.dir, { recursive: true });
      const file = this.file(key);
      const tmp = `${file}.${process.pid}.tmp`;
      const body: ResultFile = { format: FORMAT, key, figures: result.figures, diagnostics: result.diagnostics.map(plainDiagnostic) };
      fs.writeFileSync(tmp, JSON.stringify(body));
      fs.renameSync(tmp, file);
      this.trim();
    } catch {
      // A cache that cannot be written only costs time.
    }
  }

  private trim(): void {
    const entries: Array<{ p: string; t: number }> = [];
    for (const name of fs.readdirSync(this.dir)) {
      if (!name.endsWith('.json')) continue;
      const p = path.join(this.dir, name);
      try {
        entries.push({ p, t: fs.statSync(p).mtimeMs });
      } catch {
        // Removed meanwhile by another run.
      }
    }
    if (entries.length <= MAX_RESULT_FILES) return;
    entries.sort((a, b) => b.t - a.t);
    for (const e of entries.slice(MAX_RESULT_FILES)) fs.rmSync(e.p, { force: true });
  }
}

/** Exactly the fields a diagnostic has, so what is stored is what was computed. */
function plainDiagnostic(d: Diagnostic): Diagnostic {
  const related = d.related.map((r): RelatedLocation => ({ file: r.file, at: [...r.at] as RelatedLocation['at'], message: r.message }));
  return { file: d.file, at: [...d.at] as Diagnostic['at'], severity: d.severity, code: d.code, message: d.message, function: d.function, related };
}

const isSpan = (a: unknown) => Array.isArray(a) && a.length === 4 && a.every((n) => typeof n === 'number');

function validDiagnostic(d: Diagnostic): boolean {
  return (
    !!d &&
    typeof d.file === 'string' &&
    isSpan(d.at) &&
    typeof d.severity === 'string' &&
    typeof d.code === 'string' &&
    typeof d.message === 'string' &&
    typeof d.function === 'string' &&
    Array.isArray(d.related) &&
    d.related.every((r) => !!r && typeof r.file === 'string' && isSpan(r.at) && typeof r.message === 'string')
  );
}

function validFigures(f: CheckFigures): boolean {
  return !!f && (['files', 'functions', 'analysed', 'parseFailures'] as const).every((k) => typeof f[k] === 'number');
}
