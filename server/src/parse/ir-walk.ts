/**
 * One walk over a function's IR, in evaluation order, for the passes that
 * only need to see every expression (call sites, aliases, tested variables).
 * `cond` is true where an expression's value decides a branch or a return.
 */
import type { Expr, Stmt } from './ir';
import { VALUE_WRAPPERS } from './kernel-macros';

export interface IrVisitor {
  /** Before an expression's parts; return false to skip them. */
  enter?(e: Expr, cond: boolean): boolean | void;
  /** After its parts (calls: after their arguments, as they run). */
  leave?(e: Expr, cond: boolean): void;
  /** Each statement, before its parts. */
  stmt?(s: Stmt): void;
}

export function walkExpr(e: Expr | null | undefined, v: IrVisitor, cond = false): void {
  if (!e) return;
  if (v.enter?.(e, cond) === false) return;
  switch (e.k) {
    case 'call': {
      // `unlikely(!x)` passes its argument's truth on; other calls do not.
      const through = cond && VALUE_WRAPPERS.has(e.f);
      e.sub?.forEach((x) => walkExpr(x, v, through));
      break;
    }
    case 'not':
      walkExpr(e.e, v, cond);
      break;
    case 'and':
    case 'or':
    case 'cmp':
    case 'bits':
      walkExpr(e.a, v, cond);
      walkExpr(e.b, v, cond);
      break;
    case 'assign':
      walkExpr(e.rhs, v, false);
      break;
    case 'cond':
      // Only what it does, as if it were `other`: passes see a choice's calls, not its values
      // (the dataflow decides it when a caller's argument does; see Flow.eval).
      for (const x of [e.c, e.a, e.b]) if (x.k === 'other' || x.k === 'assign' || hasCall(x)) walkExpr(x, v, false);
      break;
    case 'other':
      e.subs.forEach((x) => walkExpr(x, v, false));
      break;
    default:
  }
  v.leave?.(e, cond);
}

export function walkStmt(s: Stmt | undefined, v: IrVisitor): void {
  if (!s) return;
  v.stmt?.(s);
  switch (s.k) {
    case 'block':
    case 'case':
      s.s.forEach((x) => walkStmt(x, v));
      return;
    case 'expr':
    case 'noreturn':
      return walkExpr(s.e, v);
    case 'return':
      return walkExpr(s.e, v, true);
    case 'if':
      walkExpr(s.c, v, true);
      walkStmt(s.then, v);
      walkStmt(s.else, v);
      return;
    case 'while':
    case 'do':
      walkExpr(s.c, v, true);
      walkStmt(s.body, v);
      return;
    case 'for':
      walkStmt(s.init, v);
      walkExpr(s.c, v, true);
      walkExpr(s.upd, v);
      walkStmt(s.body, v);
      return;
    case 'loopmacro':
      walkExpr(s.head, v);
      walkStmt(s.body, v);
      return;
    case 'scoped':
      walkStmt(s.body, v);
      return;
    case 'switch':
      walkExpr(s.c, v, true);
      walkStmt(s.body, v);
      return;
    case 'label':
      return walkStmt(s.s, v);
    case 'pp':
      s.branches.forEach((x) => walkStmt(x, v));
      return;
    default:
  }
}

/** Whether evaluating an expression calls anything. */
export function hasCall(e: Expr): boolean {
  switch (e.k) {
    case 'call':
    case 'guard':
      return true;
    case 'not':
      return hasCall(e.e);
    case 'and':
    case 'or':
    case 'cmp':
    case 'bits':
      return hasCall(e.a) || hasCall(e.b);
    case 'assign':
      return hasCall(e.rhs);
    case 'cond':
      return hasCall(e.c) || hasCall(e.a) || hasCall(e.b);
    case 'other':
      return e.subs.length > 0;
    default:
      return false;
  }
}

/** The parts of an expression that do something (calls, assignments, increments), as one `other`. */
export function wrapOther(parts: Expr[]): Expr {
  const subs: Expr[] = [];
  const kills: string[] = [];
  for (const p of parts) {
    if (p.k === 'other') {
      subs.push(...p.subs);
      if (p.kills) kills.push(...p.kills);
    } else if (hasCall(p) || p.k === 'assign') subs.push(p);
  }
  return kills.length ? { k: 'other', subs, kills } : { k: 'other', subs };
}
