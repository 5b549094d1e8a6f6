/** Why a mode is held at a function's entry, in words and as a chain of locations. */
import type { Mode } from '../lockflow/modes';
import type { RelatedLocation } from '../rules/diagnostic';
import type { FnRef } from './function-table';
import type { EntrySource, Program } from './program';

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
    cur = src.callerId ? p.table.byId.get(src.callerId) : undefined;
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
    cur = src.callerId ? p.table.byId.get(src.callerId) : undefined;
  }
  return names.join(' <- ');
}

/** Whether some real caller (not an assumed entry point) brings `mode`; a syscall's entry is real. */
export function hasRealSource(p: Program, ref: FnRef, mode: Mode): boolean {
  if (ref.fn.syscall) return true;
  return (p.entries.get(ref.id)?.get(mode) ?? []).some((s) => s.kind !== 'root');
}
