/** Lock modes, return-value classes and the abstract state the dataflow carries. */

import { ERROR_FAULT_CODES, OTHER_FAULT_CODES } from './bits';

export type Mode = 'none' | 'read' | 'write';
export const MODES: readonly Mode[] = ['none', 'read', 'write'];
export const MODE_CHAR: Record<Mode, string> = { none: 'n', read: 'r', write: 'w' };
export const CHAR_MODE: Record<string, Mode> = { n: 'none', r: 'read', w: 'write' };

/**
 * What a value is known to be, as far as lock logic needs: zero/NULL/false,
 * positive or a valid pointer, an error (negative errno or ERR_PTR), or unknown.
 */
/** `nz`: non-zero, sign unknown (learnt from `if (err)`). */
export type ValueClass = 'z' | 'p' | 'e' | 'nz' | 'u' | SmallInt | BitsClass;
/** Known protocol flag bits (see bits.ts): `B#+VM_FAULT_RETRY`, `B+FOLL_UNLOCKABLE,-FOLL_NOWAIT`. */
export type BitsClass = `B${string}`;
/** An exactly known small positive value (`return 1;` in 5.x __do_munmap means "downgraded"). */
export type SmallInt = `n${number}`;

export function numberClass(v: number): ValueClass {
  if (v === 0) return 'z';
  if (v < 0) return 'e';
  return Number.isInteger(v) && v <= 64 ? `n${v}` : 'p';
}

export function truth(v: ValueClass): boolean | undefined {
  if (v[0] === 'B') return v.includes('+') ? true : undefined;
  return v === 'z' ? false : v === 'u' ? undefined : true;
}

export function describeValue(v: ValueClass): string {
  if (/^n\d+$/.test(v)) return `returns ${v.slice(1)}`;
  if (v[0] === 'B') {
    const exact = v[1] === '#';
    const parts = v.slice(exact ? 2 : 1).split(',').filter(Boolean);
    const name = (p: string) => (p.slice(1) === OTHER_FAULT_CODES ? 'another VM_FAULT_ code' : p.slice(1) === ERROR_FAULT_CODES ? 'a VM_FAULT_ERROR code' : p.slice(1));
    const on = parts.filter((p) => p[0] === '+').map(name);
    const off = parts.filter((p) => p[0] === '-').map(name);
    if (exact) return on.length ? `returns ${on.join('|')}` : 'returns no retry flag';
    return `returns ${[...on.map((x) => 'with ' + x), ...off.map((x) => 'without ' + x)].join(', ')}`;
  }
  return ({ z: 'returns 0/NULL/false', p: 'returns non-zero/non-NULL', e: 'returns an error', nz: 'returns non-zero', u: 'returns' } as Record<string, string>)[v];
}

/**
 * One abstract state: the mode of every lock instance of the function, the
 * entry mode this path started from (the dataflow runs all entry modes at
 * once and filters later), the facts that make it path-sensitive, and which
 * instances a lock operation on this path has touched.
 */
export interface AbsState {
  readonly entry: Mode;
  /** One character per instance: n, r or w. */
  readonly modes: string;
  /** Facts, sorted: `v:ret=e` (value class of a variable), `c:vms->unlock=t` (a condition's truth). */
  readonly facts: readonly string[];
  /** Bit i set when a lock operation on this path has changed or checked instance i. */
  readonly touched: number;
  /** Value class of the returned expression, once a return statement ran. */
  readonly ret?: ValueClass;
  readonly key: string;
}

export function makeState(entry: Mode, modes: string, facts: readonly string[], touched: number, ret?: ValueClass): AbsState {
  const key = `${entry}|${modes}|${touched}|${ret ?? ''}|${facts.join(';')}`;
  return ret === undefined ? { entry, modes, facts, touched, key } : { entry, modes, facts, touched, ret, key };
}

export function modeOf(s: Pick<AbsState, 'modes'>, inst: number): Mode {
  return CHAR_MODE[s.modes[inst] ?? 'n'];
}

export function withMode(s: AbsState, inst: number, m: Mode): AbsState {
  const modes = s.modes.slice(0, inst) + MODE_CHAR[m] + s.modes.slice(inst + 1);
  return makeState(s.entry, modes, s.facts, s.touched | (1 << inst), s.ret);
}

export function withTouched(s: AbsState, inst: number): AbsState {
  return makeState(s.entry, s.modes, s.facts, s.touched | (1 << inst), s.ret);
}

export function factValue(s: AbsState, name: string): string | undefined {
  // `f` starts with `name=`, tested without making that string (this runs for every state at every call).
  const n = name.length;
  for (const f of s.facts) if (f.charCodeAt(n) === 61 && f.startsWith(name)) return f.slice(n + 1);
  return undefined;
}

/** Sets (or with value undefined, removes) a fact. */
export function withFact(s: AbsState, name: string, value: string | undefined): AbsState {
  const prefix = name + '=';
  // Facts are kept sorted: one pass drops the old value and puts the new one in its place.
  const add = value === undefined ? undefined : prefix + value;
  const facts: string[] = [];
  let placed = add === undefined;
  for (const f of s.facts) {
    if (f.startsWith(prefix)) continue;
    if (!placed && add! < f) {
      facts.push(add!);
      placed = true;
    }
    facts.push(f);
  }
  if (!placed) facts.push(add!);
  return makeState(s.entry, s.modes, facts, s.touched, s.ret);
}

export function withoutFacts(s: AbsState, drop: (fact: string) => boolean): AbsState {
  const all = s.facts;
  let i = 0;
  while (i < all.length && !drop(all[i])) i++;
  if (i === all.length) return s;
  const facts = all.slice(0, i);
  for (i++; i < all.length; i++) if (!drop(all[i])) facts.push(all[i]);
  return makeState(s.entry, s.modes, facts, s.touched, s.ret);
}

export function withRet(s: AbsState, ret: ValueClass | undefined): AbsState {
  return makeState(s.entry, s.modes, s.facts, s.touched, ret);
}

/** A set of modes shown to users: `write`, `none|write`. Sorted none, read, write. */
export function formatModes(modes: Iterable<Mode>): string {
  const set = new Set(modes);
  return MODES.filter((m) => set.has(m)).join('|') || 'unreachable';
}

export function sortModes(modes: Iterable<Mode>): Mode[] {
  const set = new Set(modes);
  return MODES.filter((m) => set.has(m));
}
