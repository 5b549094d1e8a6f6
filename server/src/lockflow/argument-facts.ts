/**
 * What a call's arguments tell the callee, and what a callee writes into its
 * caller's structs, for summaries that depend on argument values:
 * `do_vmi_munmap(..., false)` never unlocks, and 6.12's `init_vma_munmap()`
 * copies `unlock` into `vms->unlock`, which `vms_complete_munmap_vmas()` tests.
 */
import { constantClass, isBitsClass, joinBits, knownBitCount, textBits } from './bits';
import { type AbsState, factValue, numberClass, truth, type ValueClass, withFact } from './modes';

/** `callee(param->field = param j)` or `= constant`, unconditionally in the callee's top-level block. */
export interface FieldWrite {
  param: number;
  field: string;
  from: number | ValueClass;
}

/** looksLikeObject() by name: asked for the same few names at every call of every state. */
const objectNames = new Map<string, boolean>();

/** Names of the objects every mm helper is handed (never a flag that decides a lock effect). */
export function looksLikeObject(name: string): boolean {
  let v = objectNames.get(name);
  if (v === undefined) objectNames.set(name, (v = /(^|_)(mm|vma|vmi|mas|tlb|page|folio|regs|vmf|file|task|mapping|inode|pages)$/.test(name)));
  return v;
}

/** Values the program knows of names a body uses: enumerators and the constant members of static struct instances. */
export interface KnownValues {
  /** `PGWALK_WRLOCK` is 1. */
  constant(name: string): number | undefined;
  /** `&pagemap_ops` passed on: its `.walk_lock` is PGWALK_RDLOCK, 0. */
  instanceConstants(name: string): Array<[string, number]>;
}

/** A literal argument, cast or not: `0`, `-1`, `true`, `(bool)false`, `NULL`. */
export const LITERAL = /^(?:\(\w+\))?\s*(-?\d+|true|false|NULL)$/;

/** A plain C name. */
export const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;
const PATH = /^\*?[A-Za-z_][A-Za-z0-9_]*(?:(?:->|\.)[A-Za-z_][A-Za-z0-9_]*)*$/;

/**
 * What an argument's text alone says, worked out once per text: the dataflow reads the
 * arguments of a call again for every state that reaches it.
 */
interface ArgShape {
  /** The value of a literal argument. */
  literal?: ValueClass;
  ident: boolean;
  /** A name, `*p`, or a field path (`vmf->flags`). */
  path: boolean;
  /** For a path: its root names one of the objects every helper is handed. */
  object: boolean;
  /** `v:` + the text: the fact naming the argument. */
  fact: string;
  /** `c ? x : y` (blanks removed), when the condition is a plain name. */
  choice?: { c: string; a: string; b: string };
  /** `&x` with x a plain name: x. */
  addressOf?: string;
}

const shapes = new Map<string, ArgShape>();

function argShape(arg: string): ArgShape {
  let sh = shapes.get(arg);
  if (sh) return sh;
  const lit = LITERAL.exec(arg);
  const t = lit?.[1];
  const path = PATH.test(arg);
  sh = {
    literal: t === undefined ? undefined : t === 'true' ? numberClass(1) : t === 'false' || t === 'NULL' ? 'z' : numberClass(Number(t)),
    ident: IDENT.test(arg),
    path,
    object: path && looksLikeObject(arg.replace(/^\*/, '').split(/->|\./)[0]),
    fact: 'v:' + arg,
  };
  const m = /^([A-Za-z_][A-Za-z0-9_]*)\?(.+?):(.+)$/.exec(arg.replace(/\s+/g, ''));
  if (m) sh.choice = { c: m[1], a: m[2], b: m[3] };
  if (arg.startsWith('&') && IDENT.test(arg.slice(1))) sh.addressOf = arg.slice(1);
  shapes.set(arg, sh);
  return sh;
}

/**
 * The value class of an argument as the caller knows it: a literal, or a
 * variable with a known value (only those in `passOn`, when given: values
 * that came in as the caller's own entry facts, not what a null check learnt).
 */
export function argClass(arg: string | undefined, s: AbsState, passOn?: ReadonlySet<string>, known?: KnownValues): ValueClass | undefined {
  if (!arg) return undefined;
  const sh = argShape(arg);
  if (sh.literal) return sh.literal;
  if (!sh.ident) return undefined;
  if (!passOn || passOn.has(arg)) {
    const v = factValue(s, sh.fact) as ValueClass | undefined;
    if (v !== undefined) return v;
  }
  // An enumerator (`PGWALK_RDLOCK`) is its number.
  const c = known?.constant(arg);
  return c === undefined ? undefined : numberClass(c);
}

/** A small number a caller chose (`n0`, `n2`): worth passing on from a struct field, unlike what a null check learnt. */
const SMALL_INT = /^n\d+$/;

/**
 * An argument's value class, with known protocol flag bits: a literal, a
 * variable or field with known bits (`vmf->flags`), a constant mask
 * (`FOLL_WRITE | FOLL_TOUCH`), or bits added to a variable (`flags | FOLL_TRIED`).
 * Other known values only of names in `passOn`, as argClass().
 */
export function argValue(arg: string | undefined, s: AbsState, passOn?: ReadonlySet<string>, known?: KnownValues): ValueClass | undefined {
  if (!arg) return undefined;
  const lit = argClass(arg, s, passOn, known);
  if (lit) return lit;
  // `(write_fault ? FAULT_FLAG_WRITE : 0)`: what is inside the parentheses.
  const inner = enclosed(arg);
  if (inner !== undefined) return argValue(inner, s, passOn, known);
  const sh = argShape(arg);
  if (sh.path) {
    const f = s.facts.length ? (factValue(s, sh.fact) as ValueClass | undefined) : undefined;
    // Flag bits, a caller's small number (`ops->walk_lock`), and a flag-like local known to be 0
    // (`unsigned int fault_flags = 0;`) are worth passing on.
    if (f && (f[0] === 'B' || SMALL_INT.test(f) || (f === 'z' && !sh.object))) return f;
    return constantClass(arg);
  }
  // `capable(CAP_SYS_NICE) ? MPOL_MF_MOVE_ALL : MPOL_MF_MOVE`: what both arms say.
  const arms = arg.includes('?') ? ternaryArms(arg) : undefined;
  if (arms) {
    const [x, y] = arms.map((a) => argValue(a, s, passOn, known));
    if (!x || !y) return undefined;
    return x === y ? x : isBitsClass(x) || isBitsClass(y) ? joinBits(x, y) : undefined;
  }
  if (!arg.includes('|')) return undefined;
  return textBits(arg, (n) => argValue(n, s, passOn, known));
}

/** The text inside parentheses that enclose all of `text` (`(a ? b : c)`, not `(long)x` or `(a) | (b)`); else undefined. */
export function enclosed(text: string): string | undefined {
  if (text[0] !== '(' || text[text.length - 1] !== ')') return undefined;
  let depth = 0;
  for (let i = 0; i < text.length - 1; i++) {
    if (text[i] === '(') depth++;
    else if (text[i] === ')' && --depth === 0) return undefined;
  }
  return text.slice(1, -1).trim();
}

/** The two arms of `c ? a : b` written as an argument (not GNU `c ?: b`); undefined for any other text. */
export function ternaryArms(text: string): [string, string] | undefined {
  let depth = 0;
  let q = -1;
  let nested = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '(' || ch === '[') depth++;
    else if (ch === ')' || ch === ']') depth--;
    else if (depth === 0 && ch === '?') {
      if (q < 0) q = i;
      else nested++;
    } else if (depth === 0 && ch === ':' && q >= 0) {
      if (nested) nested--;
      else {
        const a = text.slice(q + 1, i).trim();
        const b = text.slice(i + 1).trim();
        return a && b ? [a, b] : undefined;
      }
    }
  }
  return undefined;
}

/** `locked ? locked : &local_locked` with `locked` known: the branch taken. */
export function chosenArg(arg: string, s: AbsState, passOn: ReadonlySet<string>): string {
  const m = argShape(arg).choice;
  if (!m) return arg;
  const c = argClass(m.c, s, passOn) ?? (factValue(s, 'v:' + m.c) as ValueClass | undefined);
  const t = c ? truth(c) : undefined;
  return t === undefined ? arg : t ? m.a : m.b;
}

/** Facts for the callee's entry, in its own names: `v:unlock=z`, `v:vms->unlock=z`, `v:*locked=n1`. Sorted; empty when nothing is known. */
export function calleeEntryFacts(args: readonly string[], params: readonly string[], s: AbsState, passOn: ReadonlySet<string>, known?: KnownValues): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length && i < params.length; i++) {
    const p = params[i];
    if (!p) continue;
    const a = chosenArg(args[i], s, passOn);
    const cls = argValue(a, s, passOn, known);
    if (cls && cls !== 'u') out.push(`v:${p}=${cls}`);
    // `walk_page_range(mm, start, end, &pagemap_ops, pm)`: the instance's constant members.
    if (known && /^&[A-Za-z_][A-Za-z0-9_]*$/.test(a)) for (const [field, v] of known.instanceConstants(a.slice(1))) out.push(`v:${p}->${field}=${numberClass(v)}`);
    if (!s.facts.length) continue;
    // Fields known of the struct passed: `&vms` (a local struct) or `vms` (a pointer); what an out-parameter points to.
    if (a.startsWith('&')) {
      const x = a.slice(1);
      const named = argShape(a).addressOf !== undefined;
      // `&locked` is never NULL (`if (locked) flags |= FOLL_UNLOCKABLE` in the callee).
      if (named && !looksLikeObject(p)) out.push(`v:${p}=p`);
      const v = factValue(s, 'v:' + x);
      if (v !== undefined && v !== '@' && named) out.push(`v:*${p}=${v}`);
      const prefix = `v:${x}.`;
      for (const f of s.facts) if (f.startsWith(prefix)) out.push(`v:${p}->${f.slice(prefix.length)}`);
      continue;
    }
    if (!argShape(a).ident) continue;
    const deref = factValue(s, `v:*${a}`);
    if (deref !== undefined && deref !== '@') out.push(`v:*${p}=${deref}`);
    const prefix = `v:${a}->`;
    const all = passOn.has(a);
    for (const f of s.facts) if (f.startsWith(prefix) && (all || f[f.lastIndexOf('=') + 1] === 'B')) out.push(`v:${p}->${f.slice(prefix.length)}`);
  }
  return out.length > 1 ? out.sort() : out;
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
  const theirs = factValues(b);
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

/** A context key's facts as name -> value (`v:ops->walk_lock` -> `n1`). */
function factValues(key: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const f of key.split(';')) out.set(f.slice(0, f.lastIndexOf('=')), f.slice(f.lastIndexOf('=') + 1));
  return out;
}

/**
 * Whether two contexts know different values of one name (`ops->walk_lock` PGWALK_RDLOCK in one,
 * PGWALK_WRLOCK in the other): merged, that name no longer tells their paths apart.
 */
export function contextsConflict(a: string, b: string): boolean {
  if (!a || !b) return false;
  const theirs = factValues(b);
  for (const f of a.split(';')) {
    const w = theirs.get(f.slice(0, f.lastIndexOf('=')));
    if (w !== undefined && w !== f.slice(f.lastIndexOf('=') + 1)) return true;
  }
  return false;
}

/** Flag bits, or 0 (no bit set). */
const flagLike = (v: string) => v === 'z' || isBitsClass(v);

/**
 * How much a context says: one per fact, one more per flag bit it knows and for a known small
 * number (`ops->walk_lock` = PGWALK_WRLOCK decides a switch), a quarter for a pointer known only
 * to be non-NULL (it rarely decides anything).
 */
export function contextWeight(key: string): number {
  let n = 0;
  for (const f of key ? key.split(';') : []) {
    const v = f.slice(f.lastIndexOf('=') + 1);
    n += v === 'p' || v === 'nz' ? 0.25 : 1 + (isBitsClass(v) ? knownBitCount(v as ValueClass) : SMALL_INT.test(v) ? 1 : 0);
  }
  return n;
}

/** The caller's state after a callee stored argument values into a struct it was passed. */
export function applyFieldWrites(s: AbsState, args: readonly string[], writes: readonly FieldWrite[]): AbsState {
  let t = s;
  for (const w of writes) {
    const a = args[w.param];
    if (!a) continue;
    const key = a.startsWith('&') ? `v:${a.slice(1)}.${w.field}` : argShape(a).ident ? `v:${a}->${w.field}` : undefined;
    if (!key) continue;
    const v = typeof w.from === 'number' ? argClass(args[w.from], s) : w.from;
    t = withFact(t, key, v && v !== 'u' ? v : undefined);
  }
  return t;
}
