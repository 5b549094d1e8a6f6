/**
 * Control-flow graph of one function, built from the IR.
 *
 * Nodes evaluate at most one expression and then either fall through, branch
 * on it (true/false successors), or choose nondeterministically (`#ifdef`
 * branches, switch cases, iterator-macro loops). Scoped guards get explicit
 * release nodes on every edge that leaves their block.
 */
import type { Expr, FunctionIR, Span, Stmt } from '../parse/ir';

export type NodeKind = 'entry' | 'exit' | 'stmt' | 'branch' | 'choice' | 'return' | 'release' | 'noreturn' | 'nop';

export interface CfgNode {
  id: number;
  kind: NodeKind;
  at?: Span;
  e?: Expr;
  /** Branch condition text, for correlating branches on the same condition. */
  ct?: string;
  /** What a `noreturn` call or an unparsed region says; other statements' words are read from the source (`statementLine`). */
  text?: string;
  /** Branch: [true, false]. Others: any number. */
  succ: number[];
  /**
   * A switch's choice: per successor, the `case` label that enters there, or null for `default:`
   * (or past the switch when it has none), which is taken when no label matches.
   */
  cases?: Array<Expr | null>;
  /** Release node: which guard it ends. */
  guard?: { kind: string; arg: string };
  /** Marks nodes that start a source statement (for per-line results). */
  stmt?: boolean;
}

export interface Cfg {
  nodes: CfgNode[];
  entry: number;
  exit: number;
  /** Gotos to labels that do not exist, and similar oddities, for the notes. */
  problems: string[];
}

interface Guard {
  id: number;
  kind: string;
  arg: string;
}

interface Ctx {
  guards: Guard[];
  breakTo?: { node: number; depth: number };
  continueTo?: { node: number; depth: number };
}

interface PendingGoto {
  node: number;
  label: string;
  guards: Guard[];
}

const MAX_NODES = 20_000;

export function buildCfg(fn: FunctionIR): Cfg {
  const nodes: CfgNode[] = [];
  const problems: string[] = [];
  const labels = new Map<string, { node: number; guards: Guard[] }>();
  const gotos: PendingGoto[] = [];
  let guardIds = 0;

  const add = (kind: NodeKind, extra: Partial<CfgNode> = {}): CfgNode => {
    const n: CfgNode = { id: nodes.length, kind, succ: [], ...extra };
    if (nodes.length >= MAX_NODES) throw new CfgTooLarge();
    nodes.push(n);
    return n;
  };

  /** Release nodes for guards[from..] (innermost first), ending at `to`. */
  const releases = (guards: Guard[], from: number, to: number): number => {
    let next = to;
    for (let i = from; i < guards.length; i++) {
      const g = guards[i];
      next = add('release', { guard: { kind: g.kind, arg: g.arg }, succ: [next], text: `end of ${g.kind} guard` }).id;
    }
    return next;
  };
  // Guards are listed outermost first; the chain built this way releases the innermost first.
  const releaseChain = releases;

  const exit = add('exit');
  const entry = add('entry');

  const build = (s: Stmt, next: number, ctx: Ctx): number => {
    switch (s.k) {
      case 'block':
        return buildList(s.s, next, ctx);
      case 'case':
        return buildList(s.s, next, ctx);
      case 'expr': {
        if (s.e?.k === 'guard') return add('stmt', { at: s.at, e: s.e, succ: [next], stmt: true }).id;
        return add('stmt', { at: s.at, e: s.e ?? undefined, succ: [next], stmt: true }).id;
      }
      case 'if': {
        const t = build(s.then, next, ctx);
        const f = s.else ? build(s.else, next, ctx) : next;
        return add('branch', { at: s.at, e: s.c, ct: s.ct, text: `if (${s.ct})`, succ: [t, f], stmt: true }).id;
      }
      case 'while': {
        const head = add('branch', { at: s.at, e: s.c, ct: s.ct, text: `while (${s.ct})`, stmt: true });
        const body = build(s.body, head.id, { ...ctx, breakTo: { node: next, depth: ctx.guards.length }, continueTo: { node: head.id, depth: ctx.guards.length } });
        head.succ = [body, next];
        return head.id;
      }
      case 'do': {
        const cond = add('branch', { at: [s.body.at[2], 0, s.at[2], s.at[3]], e: s.c, ct: s.ct, text: `while (${s.ct})` });
        const body = build(s.body, cond.id, { ...ctx, breakTo: { node: next, depth: ctx.guards.length }, continueTo: { node: cond.id, depth: ctx.guards.length } });
        cond.succ = [body, next];
        return add('nop', { at: s.at, text: 'do', succ: [body], stmt: true }).id;
      }
      case 'for': {
        const head = s.c
          ? add('branch', { at: s.at, e: s.c, ct: s.ct, text: `for (…; ${s.ct}; …)` })
          : add('choice', { at: s.at, text: 'for (;;)' });
        const upd = s.upd ? add('stmt', { at: s.at, e: s.upd, succ: [head.id], text: 'for-loop update' }).id : head.id;
        const body = build(s.body, upd, { ...ctx, breakTo: { node: next, depth: ctx.guards.length }, continueTo: { node: upd, depth: ctx.guards.length } });
        head.succ = s.c ? [body, next] : [body];
        const start = s.init ? build(s.init, head.id, ctx) : head.id;
        return add('nop', { at: s.at, text: 'for', succ: [start], stmt: true }).id;
      }
      case 'loopmacro': {
        // for_each_vma(vmi, vma) { ... }: the body runs zero or more times.
        const head = add('choice', { at: s.at, e: s.head, text: `${s.name}(…)`, stmt: true });
        const body = build(s.body, head.id, { ...ctx, breakTo: { node: next, depth: ctx.guards.length }, continueTo: { node: head.id, depth: ctx.guards.length } });
        head.succ = [body, next];
        return head.id;
      }
      case 'scoped': {
        const g: Guard = { id: guardIds++, kind: s.kind, arg: s.arg };
        const inner: Ctx = { ...ctx, guards: [...ctx.guards, g] };
        const rel = add('release', { at: [s.at[2], 0, s.at[2], s.at[3]], guard: { kind: s.kind, arg: s.arg }, succ: [next], text: `end of scoped_guard(${s.kind})` });
        const body = build(s.body, rel.id, inner);
        return add('stmt', { at: s.at, e: { k: 'guard', kind: s.kind, arg: s.arg, at: s.at }, text: `scoped_guard(${s.kind}, ${s.arg})`, succ: [body], stmt: true }).id;
      }
      case 'switch': {
        const sw = add('choice', { at: s.at, e: s.c, text: 'switch', stmt: true });
        const inner: Ctx = { ...ctx, breakTo: { node: next, depth: ctx.guards.length } };
        const items = s.body.k === 'block' ? s.body.s : [s.body];
        const entries: number[] = [];
        const cases: Array<Expr | null> = [];
        let fall = next;
        let hasDefault = false;
        for (let i = items.length - 1; i >= 0; i--) {
          const it = items[i];
          fall = build(it, fall, inner);
          if (it.k === 'case') {
            entries.push(fall);
            cases.push(it.v ?? null);
            if (it.isDefault) hasDefault = true;
          }
        }
        if (!hasDefault) {
          entries.push(next);
          cases.push(null);
        }
        sw.succ = entries.length ? entries : [next];
        if (entries.length && cases.some((c) => c !== null)) sw.cases = cases;
        return sw.id;
      }
      case 'break': {
        const t = ctx.breakTo;
        if (!t) return add('nop', { at: s.at, text: 'break', succ: [next], stmt: true }).id;
        return add('nop', { at: s.at, text: 'break', succ: [releaseChain(ctx.guards, t.depth, t.node)], stmt: true }).id;
      }
      case 'continue': {
        const t = ctx.continueTo;
        if (!t) return add('nop', { at: s.at, text: 'continue', succ: [next], stmt: true }).id;
        return add('nop', { at: s.at, text: 'continue', succ: [releaseChain(ctx.guards, t.depth, t.node)], stmt: true }).id;
      }
      case 'return':
        return add('return', { at: s.at, e: s.e, succ: [releaseChain(ctx.guards, 0, exit.id)], stmt: true }).id;
      case 'goto': {
        const n = add('nop', { at: s.at, text: `goto ${s.label}`, stmt: true });
        gotos.push({ node: n.id, label: s.label, guards: ctx.guards });
        return n.id;
      }
      case 'label': {
        const body = s.s ? build(s.s, next, ctx) : next;
        const n = add('nop', { at: s.at, text: `${s.name}:`, succ: [body] });
        labels.set(s.name, { node: n.id, guards: ctx.guards });
        return n.id;
      }
      case 'pp': {
        const branches = s.branches.map((b) => build(b, next, ctx));
        return add('choice', { at: s.at, text: `#if ${s.cond}`, succ: branches }).id;
      }
      case 'noreturn':
        return add('noreturn', { at: s.at, e: s.e, text: s.text, succ: [], stmt: true }).id;
      case 'error':
        return add('nop', { at: s.at, text: `unparsed: ${s.text}`, succ: [next], stmt: true }).id;
    }
  };

  const buildList = (list: Stmt[], next: number, ctx: Ctx): number => {
    // A guard(...) statement holds its lock from there to the end of this block.
    const guardAt: (Guard | undefined)[] = list.map((s) =>
      s.k === 'expr' && s.e?.k === 'guard' ? { id: guardIds++, kind: s.e.kind, arg: s.e.arg } : undefined,
    );
    const active: Guard[][] = [];
    let guards = ctx.guards;
    for (let i = 0; i < list.length; i++) {
      if (guardAt[i]) guards = [...guards, guardAt[i]!];
      active.push(guards);
    }
    let cur = releaseChain(guards, ctx.guards.length, next);
    for (let i = list.length - 1; i >= 0; i--) {
      const g = guardAt[i];
      // The guard statement itself runs before its lock is held by the block.
      const inner: Ctx = { ...ctx, guards: g ? active[i].slice(0, -1) : active[i] };
      cur = build(list[i], cur, inner);
    }
    return cur;
  };

  try {
    const first = build(fn.body, exit.id, { guards: [] });
    entry.succ = [first];
    for (const g of gotos) {
      const target = labels.get(g.label);
      if (!target) {
        problems.push(`goto ${g.label}: no such label`);
        nodes[g.node].succ = [exit.id];
        continue;
      }
      const keep = commonPrefix(g.guards, target.guards);
      nodes[g.node].succ = [releaseChain(g.guards, keep, target.node)];
    }
  } catch (err) {
    if (!(err instanceof CfgTooLarge)) throw err;
    problems.push(`function too large (over ${MAX_NODES} control-flow nodes); not analysed`);
    nodes.length = 2;
    entry.succ = [exit.id];
  }
  return { nodes, entry: entry.id, exit: exit.id, problems };
}

class CfgTooLarge extends Error {}

function commonPrefix(a: Guard[], b: Guard[]): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i].id === b[i].id) i++;
  return i;
}
