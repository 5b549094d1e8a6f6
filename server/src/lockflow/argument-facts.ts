/**
 * What a call's arguments tell the callee, and what a callee writes into its
 * caller's structs, for summaries that depend on argument values:
 * `do_vmi_munmap(..., false)` never unlocks, and 6.12's `init_vma_munmap()`
 * copies `unlock` into `vms->unlock`, which `vms_complete_munmap_vmas()` tests.
 */
import { type AbsState, factValue, numberClass, type ValueClass, withFact } from './modes';

/** `callee(param->field = param j)` or `= constant`, unconditionally in the callee's top-level block. */
export interface FieldWrite {
  param: number;
  field: string;
  from: number | ValueClass;
}

/** Names of the objects every mm helper is handed (never a flag that decides a lock effect). */
export function looksLikeObject(name: string): boolean {
  return /(^|_)(mm|vma|vmi|mas|tlb|page|folio|regs|vmf|file|task|mapping|inode|pages)$/.test(name);
}

const LITERAL = /^(?:\(\w+\))?\s*(-?\d+|true|false|NULL)$/;

/**
 * The value class of an argument as the caller knows it: a literal, or a
 * variable with a known value (only those in `passOn`, when given: values
 * that came in as the caller's own entry facts, not what a null check learnt).
 */
export function argClass(arg: string | undefined, s: AbsState, passOn?: ReadonlySet<string>): ValueClass | undefined {
  if (!arg) return undefined;
  const lit = LITERAL.exec(arg);
  if (lit) {
    const t = lit[1];
    return t === 'true' ? numberClass(1) : t === 'false' || t === 'NULL' ? 'z' : numberClass(Number(t));
  }
  if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(arg) && (!passOn || passOn.has(arg))) return factValue(s, 'v:' + arg) as ValueClass | undefined;
  return undefined;
}

/** Facts for the callee's entry, in its own names: `v:unlock=z`, `v:vms->unlock=z`. Sorted; empty when nothing is known. */
export function calleeEntryFacts(args: readonly string[], params: readonly string[], s: AbsState, passOn: ReadonlySet<string>): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length && i < params.length; i++) {
    const p = params[i];
    if (!p) continue;
    const cls = argClass(args[i], s, passOn);
    if (cls && cls !== 'u') out.push(`v:${p}=${cls}`);
    // Fields known of the struct passed: `&vms` (a local struct) or `vms` (a pointer).
    const a = args[i];
    const prefix = a.startsWith('&') ? `v:${a.slice(1)}.` : passOn.has(a) ? `v:${a}->` : undefined;
    if (!prefix) continue;
    for (const f of s.facts) if (f.startsWith(prefix)) out.push(`v:${p}->${f.slice(prefix.length)}`);
  }
  return out.sort();
}

/** The caller's state after a callee stored argument values into a struct it was passed. */
export function applyFieldWrites(s: AbsState, args: readonly string[], writes: readonly FieldWrite[]): AbsState {
  let t = s;
  for (const w of writes) {
    const a = args[w.param];
    if (!a) continue;
    const key = a.startsWith('&') ? `v:${a.slice(1)}.${w.field}` : /^[A-Za-z_][A-Za-z0-9_]*$/.test(a) ? `v:${a}->${w.field}` : undefined;
    if (!key) continue;
    const v = typeof w.from === 'number' ? argClass(args[w.from], s) : w.from;
    t = withFact(t, key, v && v !== 'u' ? v : undefined);
  }
  return t;
}
