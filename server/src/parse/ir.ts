/**
 * The intermediate representation every later stage works on.
 *
 * A parse turns tree-sitter's syntax tree into this small, plain-data form
 * once; control flow, lock dataflow and the interprocedural fixpoint never
 * touch tree-sitter nodes. Being plain JSON it is also what the content cache
 * stores, so a warm run does not parse at all.
 */

/** [line, column, endLine, endColumn]: lines 1-based, columns 0-based. */
export type Span = [number, number, number, number];

export type Expr =
  /** A call. `f` is the callee's name, or the callee expression's text (`vma->vm_ops->close`). */
  | { k: 'call'; f: string; a: string[]; at: Span; sub?: Expr[] }
  | { k: 'not'; e: Expr }
  | { k: 'and' | 'or'; a: Expr; b: Expr }
  | { k: 'cmp'; op: string; a: Expr; b: Expr }
  /** `flags & FAULT_FLAG_ALLOW_RETRY`, `FOLL_WRITE | FOLL_TOUCH`, `~FAULT_FLAG_TRIED` (b unused): bit operations, for flag-bit protocols. */
  | { k: 'bits'; op: '&' | '|' | '~'; a: Expr; b: Expr }
  | { k: 'assign'; lhs: string; op: string; rhs: Expr }
  /** `c ? a : b` (not GNU `c ?: b`, which stays `other`). */
  | { k: 'cond'; c: Expr; a: Expr; b: Expr }
  /** A variable, a field path (`vmf->flags`, `vmf.flags`), a dereferenced pointer (`*locked`) or a macro name. */
  | { k: 'id'; name: string }
  | { k: 'num'; v: number }
  /** A `guard(mmap_read_lock)(mm)`-style scoped acquire used as an expression statement. */
  | { k: 'guard'; kind: string; arg: string; at: Span }
  /** Anything else: only the calls inside it matter, in evaluation order; `kills` are names it writes. */
  /** `addr`: the name whose address this is (`&smaps_walk_ops`), for an ops instance's constant members. */
  | { k: 'other'; subs: Expr[]; kills?: string[]; addr?: string };

export type Stmt =
  | { k: 'block'; at: Span; s: Stmt[] }
  /** Statements keep no text (simulate reads a step's words from the source: `statementLine`). */
  | { k: 'expr'; at: Span; e: Expr | null }
  | { k: 'if'; at: Span; c: Expr; ct: string; then: Stmt; else?: Stmt }
  | { k: 'while'; at: Span; c: Expr; ct: string; body: Stmt }
  | { k: 'do'; at: Span; c: Expr; ct: string; body: Stmt }
  | { k: 'for'; at: Span; init?: Stmt; c?: Expr; ct?: string; upd?: Expr; body: Stmt }
  /** An iterator macro used as a loop head: `for_each_vma(vmi, vma) { ... }`. */
  | { k: 'loopmacro'; at: Span; head: Expr; name: string; body: Stmt }
  /** `scoped_guard(mmap_read_lock, mm) { ... }`: the lock is held inside body only. */
  | { k: 'scoped'; at: Span; kind: string; arg: string; body: Stmt }
  | { k: 'switch'; at: Span; c: Expr; body: Stmt }
  /** `v`: the label's value (`case PGWALK_WRLOCK:`), absent for `default:`. */
  | { k: 'case'; at: Span; isDefault: boolean; v?: Expr; s: Stmt[] }
  | { k: 'break'; at: Span }
  | { k: 'continue'; at: Span }
  | { k: 'return'; at: Span; e?: Expr }
  | { k: 'goto'; at: Span; label: string }
  | { k: 'label'; at: Span; name: string; s?: Stmt }
  /** `#if`/`#ifdef` inside a body: any one branch may be compiled. */
  | { k: 'pp'; at: Span; cond: string; branches: Stmt[] }
  /** A call that does not return (`BUG()`, `panic()`): the path ends. */
  | { k: 'noreturn'; at: Span; text: string; e: Expr }
  /** A region tree-sitter could not parse; analysed as a no-op. */
  | { k: 'error'; at: Span; text: string };

export interface FunctionIR {
  name: string;
  /** `SYSCALL_DEFINE3(mmap, ...)` becomes name `sys_mmap` with syscall `mmap`. */
  syscall?: string;
  at: Span;
  /** Span of the function's name, for diagnostics and hovers on it. */
  nameAt: Span;
  params: string[];
  isStatic: boolean;
  /**
   * What it returns, as far as reading lock contracts needs: a pointer, a bool, a fault result
   * (`vm_fault_t`, whose VM_FAULT_RETRY says the lock was dropped), another value, nothing.
   */
  returns?: 'ptr' | 'bool' | 'fault' | 'int' | 'void';
  /** The comment just before the definition (kerneldoc), if any. */
  doc?: string;
  /** Comments inside the body that state locking context ("Caller holds mmap_lock"). */
  bodyNotes?: string[];
  /** Enclosing file-level preprocessor conditions, outermost first: `CONFIG_MMU`, `!CONFIG_MMU`. */
  pp: string[];
  body: Stmt;
  /** Number of syntax error regions inside the function. */
  errors: number;
}

/** A function stored in a struct of callbacks: `.close = foo_close` in a `vm_operations_struct`. */
export interface CallbackRegistration {
  struct: string;
  member: string;
  fn: string;
  at: Span;
  /** The initialized variable (`queue_pages_walk_ops`), to follow where that instance is passed. */
  instance?: string;
}

export interface FileIR {
  /** Path relative to the analysis root, with forward slashes. */
  file: string;
  functions: FunctionIR[];
  callbacks: CallbackRegistration[];
  /** Lines on which a syntax error region starts, and how many bytes failed to parse. */
  errorLines: number[];
  errorBytes: number;
  bytes: number;
  /** Why the file was only partly analysed, in words for the user. */
  notes: string[];
  /**
   * Function-like macros that wrap a call (`#define untagged_addr_remote(mm, addr)
   * ({ ... __untagged_addr_remote(mm, __addr); })`): the names their bodies call.
   */
  macros?: Array<{ name: string; calls: string[] }>;
  /** Enumerators defined at file level with a value known from the text (`PGWALK_WRLOCK = 1`, or the one before plus one). */
  enums?: Array<[string, number]>;
  /** Struct members of enum type (`['mm_walk_ops', 'walk_lock']`): 0 in an instance that leaves them out. */
  enumFields?: Array<[string, string]>;
}
