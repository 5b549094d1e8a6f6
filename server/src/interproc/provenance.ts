/** Why a mode is held at a function's entry, in words and as a chain of locations. */
import type { Mode } from '../lockflow/modes';
import type { RelatedLocation } from '../rules/diagnostic';
import type { FnRef } from './function-table';
import type { EntrySource, Program } from './program';

/** `write, from 3 callers: exit_mmap, remove_vma_list, ...` */
export function describeEntry(p: Program, ref: FnRef): string {
  const m = p.entries.get(ref.id);
  if (!m) return 'none (not analysed)';
  const parts: string[] = [];
  for (const [mode, sources] of [...m].sort((a, b) => order(a[0]) - order(b[0]))) {
    parts.push(`${mode} ${describeSources(sources)}`);
  }
  return parts.join('; ');
}

const order = (m: Mode) => ({ none: 0, read: 1, write: 2 })[m];

export function describeSources(sources: EntrySource[]): string {
  const roots = sources.filter((s) => s.kind === 'root');
  const callers = sources.filter((s) => s.kind !== 'root');
  const names = [...new Set(callers.map((s) => (s.via ? `${s.caller} (via ${s.via})` : s.caller!)))];
  const out: string[] = [];
  if (names.length) {
    const shown = names.slice(0, 4).join(', ') + (names.length > 4 ? ', ...' : '');
    out.push(`from ${names.length} caller${names.length > 1 ? 's' : ''}: ${shown}`);
  }
  for (const r of roots) out.push(r.why ?? 'entry point');
  return out.join('; ');
}

/**
 * A chain of call sites that brings `mode` into `ref`: the nearest caller
 * first, then its caller, up to `depth` steps (for related locations).
 */
export function entryChain(p: Program, ref: FnRef, mode: Mode, depth = 5): RelatedLocation[] {
  const out: RelatedLocation[] = [];
  const seen = new Set<string>();
  let cur: FnRef | undefined = ref;
  for (let i = 0; i < depth && cur; i++) {
    if (seen.has(cur.id)) break;
    seen.add(cur.id);
    const sources: EntrySource[] = p.entries.get(cur.id)?.get(mode) ?? [];
    const src: EntrySource | undefined = sources.find((s) => s.kind !== 'root') ?? sources[0];
    if (!src) break;
    if (src.kind === 'root') {
      out.push({ file: cur.file, at: cur.fn.nameAt, message: `${cur.fn.name}() entered with ${mode}: ${src.why}` });
      break;
    }
    const via = src.via ? ` through ${src.via}` : '';
    out.push({ file: src.file!, at: src.at!, message: `${src.caller}() calls ${cur.fn.name}()${via} with mmap_lock ${mode}` });
    const callerId: string | undefined = src.callerId;
    cur = callerId ? p.table.byFile.get(src.file!)?.find((r) => r.id === callerId) : undefined;
  }
  return out;
}

/** `remove_vma <- exit_mmap` for a message. */
export function chainNames(p: Program, ref: FnRef, mode: Mode, depth = 3): string {
  const names: string[] = [];
  let cur: FnRef | undefined = ref;
  const seen = new Set<string>();
  for (let i = 0; i < depth && cur && !seen.has(cur.id); i++) {
    seen.add(cur.id);
    const src: EntrySource | undefined = p.entries.get(cur.id)?.get(mode)?.find((s) => s.kind !== 'root');
    if (!src) break;
    names.push(src.caller! + (src.via ? ` (${src.via})` : ''));
    const callerId: string | undefined = src.callerId;
    cur = p.table.byFile.get(src.file!)?.find((r) => r.id === callerId);
  }
  return names.join(' <- ');
}

/** Whether some real caller (not an assumed entry point) brings `mode`. */
export function hasRealSource(p: Program, ref: FnRef, mode: Mode): boolean {
  const sources = p.entries.get(ref.id)?.get(mode) ?? [];
  return sources.some((s) => s.kind !== 'root' || /SYSCALL_DEFINE/.test(s.why ?? ''));
}
