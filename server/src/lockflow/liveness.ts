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

const IDENTS = /[A-Za-z_][A-Za-z0-9_]*/g;

/** Every name an expression reads or writes, as identifiers of its texts (field names too: harmless). */
function namesOf(e: Expr | null | undefined, add: (text: string) => void): void {
  if (!e) return;
  switch (e.k) {
    case 'call':
      add(e.f);
      for (const a of e.a) add(a);
      if (e.sub) for (const x of e.sub) namesOf(x, add);
      return;
    case 'not':
      return namesOf(e.e, add);
    case 'and':
    case 'or':
    case 'cmp':
    case 'bits':
      namesOf(e.a, add);
      return namesOf(e.b, add);
    case 'assign':
      add(e.lhs);
      return namesOf(e.rhs, add);
    case 'cond':
      namesOf(e.c, add);
      namesOf(e.a, add);
      return namesOf(e.b, add);
    case 'id':
      return add(e.name);
    case 'num':
      return;
    case 'guard':
      return add(e.arg);
    case 'other':
      for (const x of e.subs) namesOf(x, add);
      if (e.addr) add(e.addr);
      if (e.kills) for (const k of e.kills) add(k);
      return;
  }
}

/**
 * Per node, the names (never `params`) live on some edge into it and dead in it: a fact about one of
 * them cannot be read on any path from the node on. Undefined for a node where nothing dies.
 */
export function dyingNames(cfg: Cfg, params: ReadonlySet<string>): Array<ReadonlySet<string> | undefined> {
  const n = cfg.nodes.length;
  const index = new Map<string, number>();
  const names: string[] = [];
  const uses: number[][] = [];
  for (const node of cfg.nodes) {
    const mine: number[] = [];
    const add = (text: string) => {
      for (const m of text.matchAll(IDENTS)) {
        const name = m[0];
        if (params.has(name)) continue;
        let i = index.get(name);
        if (i === undefined) {
          index.set(name, (i = names.length));
          names.push(name);
        }
        mine.push(i);
      }
    };
    namesOf(node.e, add);
    if (node.ct) add(node.ct);
    if (node.guard) add(node.guard.arg);
    if (node.cases) for (const c of node.cases) namesOf(c, add);
    uses.push(mine);
  }
  const out: Array<ReadonlySet<string> | undefined> = new Array(n).fill(undefined);
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
    let set: Set<string> | undefined;
    for (let w = 0; w < words; w++) {
      let bits = dying[id * words + w];
      while (bits) {
        const b = 31 - Math.clz32(bits);
        bits &= ~(1 << b);
        (set ??= new Set()).add(names[w * 32 + b]);
      }
    }
    out[id] = set;
  }
  return out;
}

/** The names whose death ends a fact: a variable fact's leading name, every name of a remembered condition; none for the rest. */
export function factNames(f: string): string[] {
  const eq = f.lastIndexOf('=');
  if (f.startsWith('v:')) {
    const m = /^[*&(\s]*([A-Za-z_][A-Za-z0-9_]*)/.exec(f.slice(2, eq));
    return m ? [m[1]] : [];
  }
  if (f.startsWith('c:')) return [...f.slice(2, eq).matchAll(IDENTS)].map((m) => m[0]);
  return [];
}
