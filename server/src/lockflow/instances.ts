/**
 * Lock instances: which mm's mmap_lock an argument names. `mm`,
 * `&mm->mmap_lock` and a local `mm = vma->vm_mm` are one instance;
 * dup_mmap's `oldmm` and `mm` are two.
 */
import type { FunctionIR, Stmt } from '../parse/ir';
import { walkStmt } from '../parse/ir-walk';

/** `&vma->vm_mm->mmap_lock` -> `vma->vm_mm`; `(mm)` -> `mm`. */
export function lockExpr(arg: string): string {
  let t = arg.trim();
  for (let i = 0; i < 4; i++) {
    const before = t;
    if (t.startsWith('&')) t = t.slice(1).trim();
    if (t.startsWith('(') && t.endsWith(')')) t = t.slice(1, -1).trim();
    t = t.replace(/(->|\.)mmap_(lock|sem)$/, '');
    if (t === before) break;
  }
  return t;
}

/** Identifier a lock expression is rooted at: `vma->vm_mm` -> `vma`. */
export function rootIdent(expr: string): string {
  const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(expr);
  return m ? m[0] : expr;
}

/** The kernel's own mm structs: their locks are never the lock a caller holds on its mm. */
const GLOBAL_MMS = new Set(['init_mm', 'efi_mm']);

export class Instances {
  /** Canonical expressions, index = instance number. Index 0 is the primary instance. */
  readonly exprs: string[] = [];
  private readonly alias = new Map<string, string>();

  constructor(fn: FunctionIR, lockArgs: string[]) {
    collectAliases(fn.body, this.alias);
    for (const a of lockArgs) this.indexOf(a, true);
    // vmemmap_remap_range() locks &init_mm: instance 0 stays the caller's mm, which it never touches.
    if (this.exprs.length && GLOBAL_MMS.has(this.exprs[0])) this.exprs.unshift('');
  }

  /** Whether instance i is a global mm's lock (not related to any caller's mm). */
  isGlobal(i: number): boolean {
    return GLOBAL_MMS.has(this.exprs[i] ?? '');
  }

  private canonical(expr: string): string {
    let e = lockExpr(expr);
    for (let i = 0; i < 4 && this.alias.has(e); i++) e = this.alias.get(e)!;
    return e;
  }

  /** Instance of a lock argument; a function with a single instance maps every argument to it. */
  indexOf(arg: string, add = false): number {
    const e = this.canonical(arg);
    const i = this.exprs.indexOf(e);
    if (i >= 0) return i;
    if (add) {
      this.exprs.push(e);
      return this.exprs.length - 1;
    }
    return 0;
  }

  get count(): number {
    return Math.max(1, this.exprs.length);
  }

  /** `mmap_lock` for a function's single mm; `mmap_lock(oldmm)` when there are several. */
  name(i: number): string {
    return this.exprs.length > 1 && this.exprs[i] ? `mmap_lock(${this.exprs[i]})` : 'mmap_lock';
  }

  /** Which of this function's instances a call's arguments refer to, for a callee's primary instance. */
  forCallArgs(args: readonly string[]): number {
    if (this.exprs.length <= 1) return 0;
    for (const a of args) {
      const c = this.canonical(a);
      const exact = this.exprs.indexOf(c);
      if (exact >= 0) return exact;
    }
    for (const a of args) {
      const root = rootIdent(this.canonical(a));
      const i = this.exprs.findIndex((e) => e && rootIdent(e) === root && !GLOBAL_MMS.has(e));
      if (i >= 0) return i;
    }
    // A function that locks only a global mm (`mmap_read_lock(&init_mm)` around
    // walk_kernel_page_table_range()) calls into code for that mm: no argument names it, it is implied.
    if (this.exprs[0] === '' && this.exprs.length === 2) return 1;
    return 0;
  }
}

const MM_VALUE = /(^|->|\.)(vm_mm|mm|active_mm|mmap_lock|mmap_sem)$|^[a-z_]*mm$/;

/** `struct mm_struct *mm = vma->vm_mm;` makes `vma->vm_mm` an alias of `mm` (when mm is assigned once). */
function collectAliases(body: Stmt, out: Map<string, string>): void {
  const assigned = new Map<string, { rhs: string; count: number }>();
  walkStmt(body, {
    enter: (e) => {
      if (e.k !== 'assign') return;
      const prev = assigned.get(e.lhs);
      assigned.set(e.lhs, { rhs: e.rhs.k === 'id' ? e.rhs.name : '', count: (prev?.count ?? 0) + 1 });
    },
  });
  for (const [lhs, { rhs, count }] of assigned) {
    if (count === 1 && rhs && /^[A-Za-z_][A-Za-z0-9_]*$/.test(lhs) && MM_VALUE.test(rhs) && MM_VALUE.test(lhs)) out.set(rhs, lhs);
  }
}
