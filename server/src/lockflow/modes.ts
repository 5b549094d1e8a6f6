/** Lock modes, return-value classes and the abstract state the dataflow carries. */

import { ERROR_FAULT_CODES, OTHER_FAULT_CODES } from './bits';

export type Mode = 'none' | 'read' | 'write';
export const MODES: readonly Mode[] = ['none', 'read', 'write'];
export const MODE_CHAR: Record<Mode, string> = { none: 'n', read: 'r', write: 'w' };
export const CHAR_MODE: Record<string, Mode> = { n: 'none', r: 'read', w: 'write' };
/** A mode's position in MODES. */
export const MODE_INDEX: Record<Mode, number> = { none: 0, read: 1, write: 2 };

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
  /** The state's hash (stateHash), worked out on first need: 0 until then. Not part of its value. */
  h: number;
}

export function makeState(entry: Mode, modes: string, facts: readonly string[], touched: number, ret?: ValueClass): AbsState {
  return { entry, modes, facts, touched, ret, h: 0 };
}

/**
 * Small numbers for fact texts (and return classes), so a state hashes from a few integers
 * instead of one long string built for it: the dataflow asks millions of times whether a node
 * has a state already. Past the cap a text hashes from its characters (slower, same answer).
 */
const TEXT_IDS = new Map<string, number>();
const TEXT_IDS_CAP = 200_000;

function textId(t: string): number {
  const id = TEXT_IDS.get(t);
  if (id !== undefined) return id;
  if (TEXT_IDS.size < TEXT_IDS_CAP) {
    TEXT_IDS.set(t, TEXT_IDS.size + 1);
    return TEXT_IDS.size;
  }
  let h = 0x811c9dc5;
  for (let i = 0; i < t.length; i++) h = Math.imul(h ^ t.charCodeAt(i), 0x01000193);
  return h;
}

function mix(h: number, x: number): number {
  h = Math.imul(h ^ x, 0x9e3779b1);
  return h ^ (h >>> 15);
}

/** A hash of everything that makes up the state's value (entry, modes, touched, ret, facts); cached in `s.h`. */
function stateHash(s: AbsState): number {
  if (s.h !== 0) return s.h;
  let h = mix(0x2545f491, MODE_INDEX[s.entry]);
  for (let i = 0; i < s.modes.length; i++) h = mix(h, s.modes.charCodeAt(i));
  h = mix(h, s.touched);
  h = mix(h, s.ret === undefined ? 0 : textId(s.ret));
  for (const f of s.facts) h = mix(h, textId(f));
  s.h = h || 1;
  return s.h;
}

/** Whether two states are the same value. */
export function sameState(a: AbsState, b: AbsState): boolean {
  if (a === b) return true;
  if (a.entry !== b.entry || a.modes !== b.modes || a.touched !== b.touched || a.ret !== b.ret) return false;
  const fa = a.facts;
  const fb = b.facts;
  if (fa.length !== fb.length) return false;
  for (let i = 0; i < fa.length; i++) if (fa[i] !== fb[i]) return false;
  return true;
}


/** Past this many states a set indexes them by hash; below it, a scan of their cached hashes is cheaper than a map. */
const SMALL_SET = 8;

/**
 * A set of states by value (hash, then sameState), in insertion order. Most program points hold a
 * few states: they live in an array, and only a bigger set gets a map from hash to states (a map
 * per point and analysis was most of what the dataflow allocated).
 */
export class StateSet {
  private items: AbsState[] = [];
  private byHash: Map<number, AbsState | AbsState[]> | undefined;

  get size(): number {
    return this.items.length;
  }

  /** Adds the state unless an equal one is there; true when it was added. */
  add(s: AbsState): boolean {
    const h = stateHash(s);
    const index = this.byHash;
    if (!index) {
      for (const x of this.items) if (x.h === h && sameState(x, s)) return false;
      this.items.push(s);
      if (this.items.length > SMALL_SET) {
        this.byHash = new Map();
        for (const x of this.items) this.index(x);
      }
      return true;
    }
    const at = index.get(h);
    if (at === undefined) index.set(h, s);
    else if (Array.isArray(at)) {
      for (const x of at) if (sameState(x, s)) return false;
      at.push(s);
    } else {
      if (sameState(at, s)) return false;
      index.set(h, [at, s]);
    }
    this.items.push(s);
    return true;
  }

  private index(s: AbsState): void {
    const at = this.byHash!.get(s.h);
    if (at === undefined) this.byHash!.set(s.h, s);
    else if (Array.isArray(at)) at.push(s);
    else this.byHash!.set(s.h, [at, s]);
  }

  clear(): void {
    this.items = [];
    this.byHash = undefined;
  }

  /** The states, in insertion order (the set's own array: not to be changed, and stale after add, delete or clear). */
  values(): readonly AbsState[] {
    return this.items;
  }

  /** The states in a new array. */
  toArray(): AbsState[] {
    return this.items.slice();
  }
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
  // Already so (the same value, or no fact to remove): the state itself, not a copy.
  let had: string | undefined;
  for (const f of s.facts) {
    if (f.startsWith(prefix)) {
      had = f;
      break;
    }
  }
  if (had === add) return s;
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
