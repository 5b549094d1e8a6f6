/**
 * What a call's arguments tell the callee, and what a callee writes into its
 * caller's structs, for summaries that depend on argument values:
 * `do_vmi_munmap(..., false)` never unlocks, and 6.12's `init_vma_munmap()`
 * copies `unlock` into `vms->unlock`, which `vms_complete_munmap_vmas()` tests.
 */
import { bitsClass, constantBits, isBitsClass, joinBits, knownBitCount, textBits } from './bits';
import { type AbsState, factValue, numberClass, truth, type ValueClass, withFact } from './modes';

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

/** A literal argument, cast or not: `0`, `-1`, `true`, `(bool)false`, `NULL`. */
export const LITERAL = /^(?:\(\w+\))?\s*(-?\d+|true|false|NULL)$/;

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

const PATH = /^\*?[A-Za-z_][A-Za-z0-9_]*(?:(?:->|\.)[A-Za-z_][A-Za-z0-9_]*)*$/;

/**
 * An argument's value class, with known protocol flag bits: a literal, a
 * variable or field with known bits (`vmf->flags`), a constant mask
 * (`FOLL_WRITE | FOLL_TOUCH`), or bits added to a variable (`flags | FOLL_TRIED`).
 * Other known values only of names in `passOn`, as argClass().
 */
export function argValue(arg: string | undefined, s: AbsState, passOn?: ReadonlySet<string>): ValueClass | undefined {
  if (!arg) return undefined;
  const lit = argClass(arg, s, passOn);
  if (lit) return lit;
  if (PATH.test(arg)) {
    const f = s.facts.length ? (factValue(s, 'v:' + arg) as ValueClass | undefined) : undefined;
    // Flag bits, and a flag-like local known to be 0 (`unsigned int fault_flags = 0;`), are worth passing on.
    if (f && (f[0] === 'B' || (f === 'z' && !looksLikeObject(arg.replace(/^\*/, '').split(/->|\./)[0])))) return f;
    const c = constantBits(arg);
    return c ? bitsClass({ exact: true, on: new Set(c.on), off: new Set() }) : undefined;
  }
  if (!arg.includes('|')) return undefined;
  return textBits(arg, (n) => argValue(n, s, passOn));
}

/** `locked ? locked : &local_locked` with `locked` known: the branch taken. */
export function chosenArg(arg: string, s: AbsState, passOn: ReadonlySet<string>): string {
  const m = /^([A-Za-z_][A-Za-z0-9_]*)\?(.+?):(.+)$/.exec(arg.replace(/\s+/g, ''));
  if (!m) return arg;
  const c = argClass(m[1], s, passOn) ?? (factValue(s, 'v:' + m[1]) as ValueClass | undefined);
  const t = c ? truth(c) : undefined;
  return t === undefined ? arg : t ? m[2] : m[3];
}

/** Facts for the callee's entry, in its own names: `v:unlock=z`, `v:vms->unlock=z`, `v:*locked=n1`. Sorted; empty when nothing is known. */
export function calleeEntryFacts(args: readonly string[], params: readonly string[], s: AbsState, passOn: ReadonlySet<string>): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length && i < params.length; i++) {
    const p = params[i];
    if (!p) continue;
    const a = chosenArg(args[i], s, passOn);
    const cls = argValue(a, s, passOn);
    if (cls && cls !== 'u') out.push(`v:${p}=${cls}`);
    if (!s.facts.length) continue;
    // Fields known of the struct passed: `&vms` (a local struct) or `vms` (a pointer); what an out-parameter points to.
    if (a.startsWith('&')) {
      const x = a.slice(1);
      // `&locked` is never NULL (`if (locked) flags |= FOLL_UNLOCKABLE` in the callee).
      if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(x) && !looksLikeObject(p)) out.push(`v:${p}=p`);
      const v = factValue(s, 'v:' + x);
      if (v !== undefined && v !== '@' && /^[A-Za-z_][A-Za-z0-9_]*$/.test(x)) out.push(`v:*${p}=${v}`);
      const prefix = `v:${x}.`;
      for (const f of s.facts) if (f.startsWith(prefix)) out.push(`v:${p}->${f.slice(prefix.length)}`);
      continue;
    }
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(a)) continue;
    const deref = factValue(s, `v:*${a}`);
    if (deref !== undefined && deref !== '@') out.push(`v:*${p}=${deref}`);
    const prefix = `v:${a}->`;
    const all = passOn.has(a);
    for (const f of s.facts) if (f.startsWith(prefix) && (all || f[f.lastIndexOf('=') + 1] === 'B')) out.push(`v:${p}->${f.slice(prefix.length)}`);
  }
  return out.sort();
}

/**
 * The facts among `facts` that can change what a callee does: those about the
 * names it tests or passes on (`controls`), or about what they point to or hold.
 */
export function contextFacts(facts: readonly string[], controls: ReadonlySet<string>): string[] {
  return facts.filter((f) => {
    const name = f.slice(2, f.lastIndexOf('='));
    return controls.has(name) || controls.has(name.split('->')[0]) || controls.has(name.replace(/^\*/, ''));
  });
}

/**
 * The facts worth following a call for (entry contexts): values a caller chose, not what a
 * null check on one of its structs' fields learnt (`vmf->pud` non-NULL, 350 contexts on 6.12).
 */
export function contextWorthy(f: string): boolean {
  const eq = f.lastIndexOf('=');
  const v = f.slice(eq + 1);
  if (v !== 'nz' && v !== 'p') return true;
  const name = f.slice(2, eq);
  return !name.includes('->') && !name.includes('.');
}

/**
 * What two argument contexts (`v:a=z;v:b->c=B#...`, facts sorted) both say: the
 * facts on which they agree, flag bits known alike in both. A function entered
 * in more contexts than it may be analysed in merges two into this one: entered
 * in it, its body reaches every call the two reached (a weaker fact never prunes more).
 */
export function joinContexts(a: string, b: string): string {
  const theirs = new Map<string, string>();
  for (const f of b.split(';')) theirs.set(f.slice(0, f.lastIndexOf('=')), f.slice(f.lastIndexOf('=') + 1));
  const out: string[] = [];
  for (const f of a.split(';')) {
    const eq = f.lastIndexOf('=');
    const v = f.slice(eq + 1);
    const w = theirs.get(f.slice(0, eq));
    if (w === undefined) continue;
    if (v === w) out.push(f);
    else if (flagLike(v) && flagLike(w)) {
      const j = joinBits(v as ValueClass, w as ValueClass);
      if (j) out.push(`${f.slice(0, eq)}=${j}`);
    }
  }
  return out.join(';');
}

/** Flag bits, or 0 (no bit set). */
const flagLike = (v: string) => v === 'z' || isBitsClass(v);

/** How much a context says: one per fact, and one per flag bit it knows. */
export function contextWeight(key: string): number {
  let n = 0;
  for (const f of key ? key.split(';') : []) {
    const v = f.slice(f.lastIndexOf('=') + 1);
    n += 1 + (isBitsClass(v) ? knownBitCount(v as ValueClass) : 0);
  }
  return n;
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
