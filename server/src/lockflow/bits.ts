/**
 * What is known of the protocol flag bits in a value (kernel-macros.ts
 * PROTOCOL_BITS), as a ValueClass `B...`:
 *   `B#+FAULT_FLAG_ALLOW_RETRY`  exactly these protocol bits set, the others clear
 *                                (a constant: `FAULT_FLAG_ALLOW_RETRY | FAULT_FLAG_WRITE`)
 *   `B+FOLL_UNLOCKABLE,-FOLL_NOWAIT` one bit known set, one known clear, the rest unknown
 * Bits outside the protocol set are never tracked; `B#` says nothing of them.
 */
import { EXCLUSIVE_PROTOCOL_BITS, PROTOCOL_BIT_ALIASES, PROTOCOL_BITS, PROTOCOL_FAMILIES, VM_FAULT_ERROR_CODES } from '../parse/kernel-macros';
import type { Expr } from '../parse/ir';
import type { ValueClass } from './modes';

/**
 * Every other VM_FAULT_ code (VM_FAULT_MAJOR, VM_FAULT_NOPAGE, VM_FAULT_LOCKED, ...) as one bit:
 * set, it says only "some other code"; clear, it says "none of them".
 */
export const OTHER_FAULT_CODES = 'VM_FAULT_OTHER';

/**
 * The error codes of VM_FAULT_ERROR (VM_FAULT_OOM, VM_FAULT_SIGBUS, ...) as one bit, named
 * after the mask: `if (ret & VM_FAULT_ERROR)` is false for VM_FAULT_MAJOR | VM_FAULT_RETRY,
 * and a result known to be exactly VM_FAULT_RETRY passes it too.
 */
export const ERROR_FAULT_CODES = 'VM_FAULT_ERROR';

/** Bits that stand for a group of codes: one member set or tested says nothing of another. */
const LUMPED = new Set([OTHER_FAULT_CODES, ERROR_FAULT_CODES]);

const UNIVERSE = new Set([...PROTOCOL_BITS, OTHER_FAULT_CODES, ERROR_FAULT_CODES]);

export interface Bits {
  exact: boolean;
  on: Set<string>;
  /** Known clear (only meaningful when not exact). */
  off: Set<string>;
}

const UNKNOWN = (): Bits => ({ exact: false, on: new Set(), off: new Set() });

export function isBitsClass(v: ValueClass | string | undefined): boolean {
  return typeof v === 'string' && v.startsWith('B');
}

/** The bits a value class says something about: 0 has none set; `B...` as written; others nothing. */
export function bitsOf(v: ValueClass | undefined): Bits {
  if (v === 'z') return { exact: true, on: new Set(), off: new Set() };
  if (!v || !isBitsClass(v)) return UNKNOWN();
  const exact = v[1] === '#';
  const body = v.slice(exact ? 2 : 1);
  const out: Bits = { exact, on: new Set(), off: new Set() };
  for (const part of body ? body.split(',') : []) (part[0] === '+' ? out.on : out.off).add(part.slice(1));
  return out;
}

export function bitsClass(b: Bits): ValueClass {
  const on = [...b.on].sort();
  if (b.exact) return `B#${on.map((x) => '+' + x).join(',')}` as ValueClass;
  const parts = [...on.map((x) => '+' + x), ...[...b.off].filter((x) => !b.on.has(x)).sort().map((x) => '-' + x)].sort((x, y) => x.slice(1).localeCompare(y.slice(1)));
  return parts.length ? (`B${parts.join(',')}` as ValueClass) : 'u';
}

/** What two values both say of the protocol bits (the join: a bit known only when both know it alike); undefined when that is nothing. */
export function joinBits(a: ValueClass, b: ValueClass): ValueClass | undefined {
  const x = bitsOf(a);
  const y = bitsOf(b);
  const out: Bits = { exact: false, on: new Set(), off: new Set() };
  // `write ? FAULT_FLAG_WRITE : 0` is a FAULT_FLAG_ word: what it says of VM_FAULT_ or FOLL_ bits is noise
  // (and would tell apart specialisations that are the same).
  const families = new Set([...x.on, ...y.on].map(family));
  for (const bit of UNIVERSE) {
    const u = bitKnown(x, bit);
    const v = bitKnown(y, bit);
    if (u === undefined || u !== v) continue;
    if (!u && families.size && !families.has(family(bit))) continue;
    (u ? out.on : out.off).add(bit);
  }
  if (x.exact && y.exact && out.on.size === x.on.size && out.on.size === y.on.size) return a;
  const c = bitsClass(out);
  return c === 'u' ? undefined : c;
}

/**
 * What a value says of the bits in `keep` only (`B#+FAULT_FLAG_ALLOW_RETRY,+FAULT_FLAG_KILLABLE`
 * onto {FAULT_FLAG_VMA_LOCK} is `B-FAULT_FLAG_VMA_LOCK`): a callee that never looks at the others
 * does the same whatever they are. Undefined when nothing is left; other values unchanged.
 */
export function projectBits(v: ValueClass, keep: ReadonlySet<string>): ValueClass | undefined {
  if (!isBitsClass(v)) return v;
  const b = bitsOf(v);
  const out: Bits = { exact: false, on: new Set(), off: new Set() };
  let all = true;
  // A flag word with FAULT_FLAG_ bits set says nothing worth keeping of the VM_FAULT_ or FOLL_ bits it lacks.
  const families = new Set([...b.on].map(family));
  for (const bit of UNIVERSE) {
    if (!keep.has(bit)) {
      all = false;
      continue;
    }
    const k = bitKnown(b, bit);
    if (k === true) out.on.add(bit);
    else if (k === false && (!families.size || families.has(family(bit)))) out.off.add(bit);
  }
  if (all) return v;
  const c = bitsClass(out);
  return c === 'u' ? undefined : c;
}

/** `FAULT_FLAG_`, `FOLL_` or `VM_FAULT_` (the lumped codes are VM_FAULT_ ones). */
function family(bit: string): string {
  return bit.startsWith('FAULT_FLAG_') ? 'FAULT_FLAG_' : bit.startsWith('FOLL_') ? 'FOLL_' : 'VM_FAULT_';
}

/** Whether some fact of a context key (`v:vmf->flags=B#+FAULT_FLAG_VMA_LOCK;v:x=z`) has `bit` known set. */
export function keySetsBit(key: string, bit: string): boolean {
  for (const f of key ? key.split(';') : []) {
    const v = f.slice(f.lastIndexOf('=') + 1);
    if (isBitsClass(v) && bitsOf(v as ValueClass).on.has(bit)) return true;
  }
  return false;
}

/** The protocol bits a constant name stands for (`FAULT_FLAG_DEFAULT`: ALLOW_RETRY, KILLABLE, ...); none for other names. */
export function bitsNamed(name: string): readonly string[] {
  return constantBits(name)?.on ?? [];
}

/** How many protocol bits a value says something of (a context's worth when contexts must merge). */
export function knownBitCount(v: ValueClass): number {
  const b = bitsOf(v);
  if (b.exact) return UNIVERSE.size;
  return b.on.size + b.off.size;
}

/** Whether bit is set (true), clear (false) or unknown. */
export function bitKnown(b: Bits, bit: string): boolean | undefined {
  if (b.on.has(bit)) return true;
  if (b.exact || b.off.has(bit)) return false;
  return undefined;
}

/** Some protocol bit is known set in the value (another VM_FAULT_ code alone does not count). */
export function setsProtocolBit(v: ValueClass | undefined): boolean {
  if (!isBitsClass(v)) return false;
  for (const x of bitsOf(v).on) if (!LUMPED.has(x)) return true;
  return false;
}

/** Truth of a `B...` value: non-zero when some bit is known set; otherwise unknown. */
export function bitsTruth(v: ValueClass): boolean | undefined {
  return v.includes('+') ? true : undefined;
}

export function orBits(a: Bits, b: Bits): Bits {
  const clearIn = (x: Bits) => (x.exact ? new Set([...UNIVERSE].filter((u) => !x.on.has(u))) : x.off);
  const ca = clearIn(a);
  const cb = clearIn(b);
  return { exact: a.exact && b.exact, on: new Set([...a.on, ...b.on]), off: new Set([...ca].filter((x) => cb.has(x))) };
}

/** orClass() results by operands: the dataflow asks the same few pairs for every state at a `|`. */
const orMemo = new Map<string, Map<string, ValueClass>>();

/** `x |= y`, `x | y` on value classes. */
export function orClass(a: ValueClass, b: ValueClass): ValueClass {
  if (a === 'z' && b === 'z') return 'z';
  let byB = orMemo.get(a);
  if (!byB) orMemo.set(a, (byB = new Map()));
  let v = byB.get(b);
  if (v === undefined) byB.set(b, (v = bitsClass(orBits(bitsOf(a), bitsOf(b)))));
  return v;
}

/** `x &= ~MASK`: the mask's protocol bits become clear. */
export function clearBits(v: ValueClass, mask: Mask): ValueClass {
  if (v === 'z') return 'z';
  const b = bitsOf(v);
  for (const x of mask.on) {
    // `ret &= ~VM_FAULT_OOM` leaves whatever other codes were there.
    if (mask.lumped?.includes(x)) continue;
    b.on.delete(x);
    if (!b.exact) b.off.add(x);
  }
  return b.exact || b.on.size || b.off.size ? bitsClass(b) : 'u';
}

/** A value with one bit learnt (a branch on `x & BIT`). */
/** Answers of learnBits() and testMask() per mask (masks are shared: constMask, constantBits) and value. */
const learnt = new WeakMap<Mask, [Map<string, ValueClass>, Map<string, ValueClass>]>();
const tests = new WeakMap<Mask, Map<string, ValueClass>>();
/** Values remembered per mask, at most (a long-running server meets new flag words forever). */
const MEMO_CAP = 2048;

/** What a branch on `flags & mask` teaches about `flags` (`v`), taken (`set`) or not. */
export function learnBits(v: ValueClass | undefined, mask: Mask, set: boolean): ValueClass {
  let both = learnt.get(mask);
  if (!both) learnt.set(mask, (both = [new Map(), new Map()]));
  const memo = both[set ? 1 : 0];
  const key = v ?? '';
  let r = memo.get(key);
  if (r === undefined) {
    r = computeLearnBits(v, mask, set);
    if (memo.size < MEMO_CAP) memo.set(key, r);
  }
  return r;
}

function computeLearnBits(v: ValueClass | undefined, mask: Mask, set: boolean): ValueClass {
  const b = bitsOf(v);
  if (b.exact) return bitsClass(b);
  // `if (ret & VM_FAULT_OOM)` failing clears that code, not the others of its group.
  for (const bit of mask.on) if (set || !mask.lumped?.includes(bit)) (set ? b.on : b.off).add(bit);
  // `if (flags & FOLL_NOWAIT)` taken: FOLL_TRIED is clear there (EXCLUSIVE_PROTOCOL_BITS).
  if (set && mask.on.length === 1) {
    for (const [x, y] of EXCLUSIVE_PROTOCOL_BITS) {
      const other = mask.on[0] === x ? y : mask.on[0] === y ? x : undefined;
      if (other && !b.on.has(other)) b.off.add(other);
    }
  }
  return bitsClass(b);
}

/**
 * A constant as a mask: its protocol bits (`on`), whether it has other bits, and which of its
 * bits stand for a group it covers only in part (`VM_FAULT_OOM` is one of VM_FAULT_ERROR's codes).
 */
export interface Mask {
  on: string[];
  other: boolean;
  lumped?: string[];
}

/** constantBits() by name (null: not a constant); its results are shared, so callers never change them. */
const constants = new Map<string, Mask | null>();
/** constantClass() by name. */
const constantClasses = new Map<string, ValueClass | null>();

/** The constant a protocol-family name stands for: a bit, an alias, a code of a group, or a family member without protocol bits. */
export function constantBits(name: string): Mask | undefined {
  // Every constant is an upper-case name: other names are neither looked up nor remembered.
  if (!isUpperStart(name)) return undefined;
  let c = constants.get(name);
  if (c === undefined) constants.set(name, (c = computeConstantBits(name) ?? null));
  return c ?? undefined;
}

/** The value class of a constant name (`B#+FOLL_WRITE`), or undefined when the name is no constant. */
export function constantClass(name: string): ValueClass | undefined {
  if (!isUpperStart(name)) return undefined;
  let v = constantClasses.get(name);
  if (v === undefined) {
    const c = constantBits(name);
    constantClasses.set(name, (v = c ? bitsClass({ exact: true, on: new Set(c.on), off: new Set() }) : null));
  }
  return v ?? undefined;
}

/** Whether a name starts with A-Z, as every protocol bit, alias and family member does. */
function isUpperStart(name: string): boolean {
  const c = name.charCodeAt(0);
  return c >= 65 && c <= 90;
}

function computeConstantBits(name: string): Mask | undefined {
  if (name === OTHER_FAULT_CODES) return { on: [name], other: false, lumped: [name] };
  if (UNIVERSE.has(name)) return { on: [name], other: false };
  if (VM_FAULT_ERROR_CODES.has(name)) return { on: [ERROR_FAULT_CODES], other: false, lumped: [ERROR_FAULT_CODES] };
  const alias = PROTOCOL_BIT_ALIASES.get(name);
  if (alias) return { on: alias.filter((x) => UNIVERSE.has(x)), other: alias.some((x) => !UNIVERSE.has(x)) };
  if (!/^[A-Z][A-Z0-9_]*$/.test(name) || !PROTOCOL_FAMILIES.some((p) => name.startsWith(p))) return undefined;
  return name.startsWith('VM_FAULT_') ? { on: [OTHER_FAULT_CODES], other: false, lumped: [OTHER_FAULT_CODES] } : { on: [], other: true };
}

/** constMask() of `A | B` expressions (null: no mask): IR expressions are evaluated once per state. */
const masks = new WeakMap<Expr, Mask | null>();
const ZERO_MASK: Mask = { on: [], other: false };
const OTHER_MASK: Mask = { on: [], other: true };

/** A mask made only of constants (`FAULT_FLAG_ALLOW_RETRY`, `(FOLL_PIN | FOLL_GET)`): its protocol bits, and whether it has others. Shared: never changed. */
export function constMask(e: Expr): Mask | undefined {
  if (e.k === 'id') return constantBits(e.name);
  if (e.k === 'num') return e.v === 0 ? ZERO_MASK : OTHER_MASK;
  if (e.k !== 'bits' || e.op !== '|') return undefined;
  let m = masks.get(e);
  if (m === undefined) masks.set(e, (m = computeConstMask(e) ?? null));
  return m ?? undefined;
}

function computeConstMask(e: Expr): Mask | undefined {
  if (e.k === 'bits' && e.op === '|') {
    const a = constMask(e.a);
    const b = constMask(e.b);
    if (!a || !b) return undefined;
    // A group is covered in part only if no side covers it whole.
    const part = (m: Mask, x: string) => !m.on.includes(x) || !!m.lumped?.includes(x);
    const lumped = [...new Set([...(a.lumped ?? []), ...(b.lumped ?? [])])].filter((x) => part(a, x) && part(b, x));
    return { on: [...new Set([...a.on, ...b.on])], other: a.other || b.other, ...(lumped.length ? { lumped } : {}) };
  }
  return undefined;
}

/** `x & MASK`: non-zero when a mask bit is known set in x; zero when all are known clear and the mask has no other bits. */
export function testMask(v: ValueClass, mask: Mask): ValueClass {
  if (v === 'z') return 'z';
  let memo = tests.get(mask);
  if (!memo) tests.set(mask, (memo = new Map()));
  let r = memo.get(v);
  if (r === undefined) {
    r = computeTestMask(v, mask);
    if (memo.size < MEMO_CAP) memo.set(v, r);
  }
  return r;
}

function computeTestMask(v: ValueClass, mask: Mask): ValueClass {
  const b = bitsOf(v);
  // Another code of a group set says nothing of the one tested.
  if (mask.on.some((x) => !mask.lumped?.includes(x) && bitKnown(b, x) === true)) return 'p';
  if (!mask.other && mask.on.every((x) => bitKnown(b, x) === false)) return 'z';
  return 'u';
}

/** splitOr() by text (null: not an or of terms): argument texts are split once per state at each call. */
const splits = new Map<string, string[] | null>();

/** Splits `A | B | c` at top-level bars (no bars inside parentheses or ternaries). */
function splitOr(text: string): string[] | undefined {
  let out = splits.get(text);
  if (out === undefined) splits.set(text, (out = computeSplitOr(text) ?? null));
  return out ?? undefined;
}

function computeSplitOr(text: string): string[] | undefined {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '(') depth++;
    else if (ch === ')') depth--;
    if (depth === 0 && ch === '|' && text[i + 1] !== '|' && text[i - 1] !== '|') {
      out.push(cur.trim());
      cur = '';
      continue;
    }
    if (depth === 0 && (ch === '?' || ch === '&' || (ch === '|' && (text[i + 1] === '|' || text[i - 1] === '|')))) return undefined;
    cur += ch;
  }
  out.push(cur.trim());
  return out;
}

/**
 * The protocol bits of an argument written as text (`FOLL_WRITE | FOLL_TOUCH`,
 * `flags | FOLL_TRIED`, `gup_flags`), given what each name holds.
 */
export function textBits(text: string, valueOf: (name: string) => ValueClass | undefined): ValueClass | undefined {
  let t = text.trim();
  while (t.startsWith('(') && t.endsWith(')')) t = t.slice(1, -1).trim();
  const terms = splitOr(t);
  if (!terms || terms.length < 2) return constantClass(t);
  let acc: ValueClass | undefined;
  for (const term of terms) {
    const v = textBits(term, valueOf) ?? (/^0$/.test(term) ? 'z' : valueOf(term)) ?? 'u';
    acc = acc === undefined ? v : orClass(acc, v);
  }
  return acc === 'u' ? undefined : acc;
}
