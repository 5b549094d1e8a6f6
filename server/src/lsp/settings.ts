/**
 * The `kernelLockLens.*` settings: read defensively (a client may send
 * anything), turned into engine options, and compared so a change re-indexes
 * only when it has to.
 */
import type { Primitive } from '../lockflow/primitives';
import { DEFAULT_SETTINGS, type ExtraPrimitiveSetting, type InlayHintMode, type KernelLockLensSettings, type ModeName } from './protocol';

const MODES: readonly ModeName[] = ['none', 'read', 'write'];
const HINT_MODES: readonly InlayHintMode[] = ['transitions', 'every-line', 'off'];
const SEVERITIES = ['error', 'warning', 'information', 'hint', 'off'] as const;
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string' && x.trim() !== '').map((x) => x.trim()) : [];
}

function obj(v: unknown): Record<string, unknown> {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

/** Whatever the client sent -> complete settings; `problems` says what was ignored and why. */
export function readSettings(raw: unknown, problems: string[] = []): KernelLockLensSettings {
  const r = obj(raw);
  const index = obj(r.index);
  const hints = obj(r.inlayHints);
  const sim = obj(r.simulate);
  const out: KernelLockLensSettings = {
    index: { include: strings(index.include), exclude: strings(index.exclude) },
    primitives: {},
    inlayHints: { mode: HINT_MODES.includes(hints.mode as InlayHintMode) ? (hints.mode as InlayHintMode) : DEFAULT_SETTINGS.inlayHints.mode },
    severity: {},
    simulate: { maxPaths: typeof sim.maxPaths === 'number' && sim.maxPaths >= 1 ? Math.min(Math.floor(sim.maxPaths), 10_000) : DEFAULT_SETTINGS.simulate.maxPaths },
    cacheDir: typeof r.cacheDir === 'string' ? r.cacheDir : '',
  };
  if (hints.mode !== undefined && !HINT_MODES.includes(hints.mode as InlayHintMode)) problems.push(`kernelLockLens.inlayHints.mode: "${String(hints.mode)}" is not one of ${HINT_MODES.join(', ')}; using transitions`);
  for (const [code, sev] of Object.entries(obj(r.severity))) {
    if (!/^LL\d{3}$/.test(code) || !SEVERITIES.includes(sev as (typeof SEVERITIES)[number])) {
      problems.push(`kernelLockLens.severity.${code}: ignored (expected LLnnn: ${SEVERITIES.join('|')})`);
      continue;
    }
    out.severity[code] = sev as (typeof SEVERITIES)[number];
  }
  for (const [name, v] of Object.entries(obj(r.primitives))) {
    const p = obj(v);
    const kind = p.kind as ExtraPrimitiveSetting['kind'];
    const mode = p.mode as ModeName;
    if (!NAME.test(name) || !['acquire', 'release', 'downgrade', 'assert'].includes(kind) || (kind !== 'downgrade' && !MODES.includes(mode))) {
      problems.push(`kernelLockLens.primitives.${name}: ignored (expected {"kind": "acquire|release|downgrade|assert", "mode": "read|write"})`);
      continue;
    }
    const cond = p.conditional === 'trylock' || p.conditional === 'killable' ? p.conditional : undefined;
    out.primitives[name] = { kind, mode: kind === 'downgrade' ? 'write' : mode, ...(cond ? { conditional: cond } : {}) };
  }
  return out;
}

/** The settings' wrappers as engine primitives. */
export function extraPrimitives(s: KernelLockLensSettings): Map<string, Primitive> {
  const out = new Map<string, Primitive>();
  for (const [name, p] of Object.entries(s.primitives)) {
    if (p.kind === 'assert') out.set(name, { kind: 'assert', mode: p.mode, accepts: p.mode === 'write' ? ['write'] : ['read', 'write'] });
    else if (p.kind === 'acquire' && p.conditional === 'trylock') out.set(name, { kind: 'acquire', mode: p.mode, taken: 'p', notTaken: 'z' });
    else if (p.kind === 'acquire' && p.conditional === 'killable') out.set(name, { kind: 'acquire', mode: p.mode, taken: 'z', notTaken: 'e' });
    else out.set(name, { kind: p.kind, mode: p.mode });
  }
  return out;
}

/** Whether going from `a` to `b` needs a new index (the rest applies at once). */
export function needsReindex(a: KernelLockLensSettings, b: KernelLockLensSettings): boolean {
  return JSON.stringify([a.index, a.primitives, a.cacheDir]) !== JSON.stringify([b.index, b.primitives, b.cacheDir]);
}

/**
 * A glob as a RegExp over paths relative to the folder: `**` any depth, `*`
 * within a segment, `?` one character, `{a,b}` alternatives. A pattern without
 * a slash matches at any depth (`*.h`), and a folder matches what is under it.
 */
export function globToRegExp(glob: string): RegExp {
  let g = glob.replace(/\\/g, '/').replace(/^\.\//, '');
  if (!g.includes('/')) g = '**/' + g;
  let re = '';
  for (let i = 0; i < g.length; i++) {
    const c = g[i];
    if (c === '*' && g[i + 1] === '*') {
      const slash = g[i + 2] === '/';
      re += slash ? '(?:.*/)?' : '.*';
      i += slash ? 2 : 1;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '{') {
      const end = g.indexOf('}', i);
      if (end < 0) re += '\\{';
      else {
        re += '(?:' + g.slice(i + 1, end).split(',').map((s) => s.replace(/[.+^$()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*')).join('|') + ')';
        i = end;
      }
    } else re += /[.+^$()|[\]\\]/.test(c) ? '\\' + c : c;
  }
  return new RegExp(`^${re.replace(/\/$/, '')}(?:/.*)?$`);
}

/** include/exclude globs -> a filter for the index, or undefined when both are empty. */
export function scopeFilter(s: KernelLockLensSettings): ((rel: string) => boolean) | undefined {
  const inc = s.index.include.map(globToRegExp);
  const exc = s.index.exclude.map(globToRegExp);
  if (!inc.length && !exc.length) return undefined;
  return (rel) => (!inc.length || inc.some((r) => r.test(rel))) && !exc.some((r) => r.test(rel));
}
