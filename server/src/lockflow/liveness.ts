/**
 * Where names die: the names a function's remaining paths can still read, per CFG node.
 *
 * The dataflow reads a fact only through a name written in the code (`if (err)` reads `v:err`, a
 * call reads what its argument texts name, a condition tested twice reads its `c:` fact), so a
 * fact about a name no later node mentions can never decide anything again. Dropped where the name
 * dies, paths that differed only in it merge: `err = f(); if (err) goto out;` no longer doubles
 * every state below its last test of `err`. Parameters never die (a summary reads what the exit
 * states say of them), nor do facts that name nothing (`x:deadlock`).
 */
import type { Cfg } from '../cfg/cfg';
import type { Expr } from '../parse/ir';

const isNameStart = (c: number) => c === 95 || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
const isNameChar = (c: number) => isNameStart(c) || (c >= 48 && c <= 57);

/** Calls `f` with each identifier of `text` (a hand-rolled scan: this runs for every node of every analysis). */
function eachIdentifier(text: string, f: (name: string) => void): void {
  const n = text.length;
  for (let i = 0; i < n; ) {
    const c = text.charCodeAt(i);
    if (!isNameChar(c)) {
      i++;
      continue;
    }
    const start = i;
    while (++i < n && isNameChar(text.charCodeAt(i)));
    // A number (`0x20UL`) is no name, letters and all.
    if (isNameStart(c)) f(text.slice(start, i));
  }
}

/** The leading name of a fact's or an assignment's name: `vmf->flags` -> vmf, `*locked` -> locked. */
function leadingName(name: string): string | undefined {
  return /^[*&(\s]*([A-Za-z_][A-Za-z0-9_]*)/.exec(name)?.[1];
}

const PLAIN = /^[A-Za-z_][A-Za-z0-9_]*$/;
const NOTHING = () => undefined;

/**
 * The names in an expression: `text` gets every text naming what it reads or writes (a plain callee
 * name is none: calling reads no fact), `value` every name a fact can be about (what is assigned,
 * what is read as a value).
 */
function visitNames(e: Expr | null | undefined, text: (t: string) => void, value: (name: string) => void): void {
  if (!e) return;
  switch (e.k) {
    case 'call':
      if (!PLAIN.test(e.f)) text(e.f);
      for (const a of e.a) text(a);
      if (e.sub) for (const x of e.sub) visitNames(x, text, value);
      return;
    case 'not':
      return visitNames(e.e, text, value);
    case 'and':
    case 'or':
    case 'cmp':
    case 'bits':
      visitNames(e.a, text, value);
      return visitNames(e.b, text, value);
    case 'assign':
      text(e.lhs);
      value(e.lhs);
      return visitNames(e.rhs, text, value);
    case 'cond':
      visitNames(e.c, text, value);
      visitNames(e.a, text, value);
      return visitNames(e.b, text, value);
    case 'id':
      text(e.name);
      return value(e.name);
    case 'num':
      return;
    case 'guard':
      return text(e.arg);
    case 'other':
      for (const x of e.subs) visitNames(x, text, value);
      if (e.addr) text(e.addr);
      if (e.kills) for (const k of e.kills) text(k);
      return;
  }
}

/**
 * Per node, the names (never `params`) live on some edge into it and dead in it: a fact about one of
 * them cannot be read on any path from the node on. Undefined for a node where nothing dies.
 */
export function dyingNames(cfg: Cfg, params: ReadonlySet<string>): Array<readonly string[] | undefined> {
  const n = cfg.nodes.length;
  // Only names a fact can be about matter (a fact about anything else is never made); the others are not followed.
  const index = new Map<string, number>();
  const names: string[] = [];
  const base = (name: string) => {
    const b = leadingName(name);
    if (b && !params.has(b) && !index.has(b)) {
      index.set(b, names.length);
      names.push(b);
    }
  };
  for (const node of cfg.nodes) visitNames(node.e, NOTHING, base);
  const uses: number[][] = [];
  for (const node of cfg.nodes) {
    const mine: number[] = [];
    const use = (name: string) => {
      const i = index.get(name);
      if (i !== undefined) mine.push(i);
    };
    const add = (text: string) => eachIdentifier(text, use);
    if (names.length) {
      visitNames(node.e, add, NOTHING);
      if (node.ct) add(node.ct);
      if (node.guard) add(node.guard.arg);
      if (node.cases) for (const c of node.cases) visitNames(c, add, NOTHING);
    }
    uses.push(mine);
  }
  const out: Array<readonly string[] | undefined> = new Array(n).fill(undefined);
  if (!names.length) return out;
  const words = (names.length + 31) >>> 5;
  const live = new Uint32Array(n * words);
  for (let id = 0; id < n; id++) for (const i of uses[id]) live[id * words + (i >>> 5)] |= 1 << (i & 31);
  // Backward: live(node) = used(node) + live(every successor), to a fixpoint (loops take a few passes).
  for (let changed = true; changed; ) {
    changed = false;
    for (let id = n - 1; id >= 0; id--) {
      const base = id * words;
      for (const s of cfg.nodes[id].succ) {
        const sb = s * words;
        for (let w = 0; w < words; w++) {
          const v = (live[base + w] | live[sb + w]) >>> 0;
          if (v !== live[base + w]) {
            live[base + w] = v;
            changed = true;
          }
        }
      }
    }
  }
  // Dying at a node: live at a predecessor, not live here.
  const dying = new Uint32Array(n * words);
  for (let id = 0; id < n; id++) {
    const base = id * words;
    for (const s of cfg.nodes[id].succ) {
      const sb = s * words;
      for (let w = 0; w < words; w++) dying[sb + w] |= live[base + w] & ~live[sb + w];
    }
  }
  for (let id = 0; id < n; id++) {
    let list: string[] | undefined;
    for (let w = 0; w < words; w++) {
      let bits = dying[id * words + w];
      while (bits) {
        const b = 31 - Math.clz32(bits);
        bits &= ~(1 << b);
        (list ??= []).push(names[w * 32 + b]);
      }
    }
    out[id] = list;
  }
  return out;
}

/** What a fact's life hangs on, by its text: its leading name, every name of a condition, or nothing. */
const FACT_NAMES = new Map<string, string | readonly string[] | null>();
/** Texts remembered at most (past it, a fact's names are worked out each time: slower, same answer). */
const FACT_NAMES_CAP = 200_000;

function namesOfFact(f: string): string | readonly string[] | null {
  const eq = f.lastIndexOf('=');
  if (f.startsWith('v:')) return leadingName(f.slice(2, eq)) ?? null;
  if (!f.startsWith('c:')) return null;
  const out: string[] = [];
  eachIdentifier(f.slice(2, eq), (x) => out.push(x));
  return out;
}

/**
 * Whether a fact ends with one of the `dying` names: a variable fact (`v:vmf->flags=...`) whose
 * leading name dies, a remembered condition (`c:vms->unlock=t`) any of whose names does. Other
 * facts (`x:deadlock`) never die. This runs for every fact of every state arriving where a name
 * dies: a fact's names are worked out once per text.
 */
export function factDies(f: string, dying: readonly string[]): boolean {
  let names = FACT_NAMES.get(f);
  if (names === undefined) {
    names = namesOfFact(f);
    if (FACT_NAMES.size < FACT_NAMES_CAP) FACT_NAMES.set(f, names);
  }
  if (names === null) return false;
  if (typeof names === 'string') return dying.includes(names);
  for (const x of names) if (dying.includes(x)) return true;
  return false;
}
