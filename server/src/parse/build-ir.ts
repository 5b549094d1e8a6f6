/**
 * Syntax tree -> IR. One walk over tree-sitter's tree per file; everything
 * kernel-specific about reading C (SYSCALL_DEFINE, iterator macros as loop
 * heads, `#ifdef` inside bodies, scoped guards) is decided here.
 */
import { negateCondition } from './pp-conditions';
import type { Tree } from 'web-tree-sitter';
import type { CallbackRegistration, Expr, FileIR, FunctionIR, Span, Stmt } from './ir';
import { BUG_ON_MACROS, NORETURN, SCOPED_GUARDS, VALUE_WRAPPERS } from './kernel-macros';
import { SyntaxNode } from './syntax-node';
import { hasCall, wrapOther } from './ir-walk';
import { firstLine, hasWord } from './source-text';

/** Nesting deeper than this is cut (10k nested braces must not blow the stack). */
const MAX_DEPTH = 250;

const span = (n: SyntaxNode): Span => [n.startPosition.row + 1, n.startPosition.column, n.endPosition.row + 1, n.endPosition.column];

/** Text without blanks or a slash is its own normal form (most arguments: `mm`, `vma->vm_mm`). */
const NORMALIZES = /[\s/]/;

export function normalize(text: string): string {
  if (!NORMALIZES.test(text)) return text;
  // `/* unlock = */ true` is the literal true (sys_brk's call of do_vmi_align_munmap).
  return text.replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/\/\/[^\n]*/g, ' ').replace(/\s+/g, ' ').replace(/\s*(->|\.|\(|\)|\[|\])\s*/g, '$1').trim();
}


const named = (n: SyntaxNode): SyntaxNode[] => n.namedChildren.filter((c): c is SyntaxNode => c !== null && c.type !== 'comment');

const LOCK_NOTE = /mmap_(lock|sem)|mmap lock|mmap semaphore/i;

class FileBuilder {
  errorsInFn = 0;
  notes: string[] = [];
  /** Struct instances a body defines `static` (mlock_vma_pages_range()'s `mlock_walk_ops`), registered like file-level ones. */
  localCallbacks: CallbackRegistration[] = [];

  expr(n: SyntaxNode | null, depth: number): Expr {
    if (!n) return { k: 'other', subs: [] };
    if (depth > MAX_DEPTH) return { k: 'other', subs: [] };
    const d = depth + 1;
    switch (n.type) {
      case 'call_expression':
        return this.call(n, d);
      case 'parenthesized_expression': {
        const inner = named(n)[0];
        if (inner?.type === 'compound_statement') return { k: 'other', subs: this.callsIn(inner, d) };
        return this.expr(inner ?? null, d);
      }
      case 'cast_expression':
        return this.expr(n.childForFieldName('value'), d);
      case 'unary_expression': {
        const op = n.childForFieldName('operator')?.text;
        const argNode = n.childForFieldName('argument');
        // -EINTR, -1: a negative errno is its own value class for return-value summaries
        if (op === '-' && argNode && (argNode.type === 'number_literal' || /^E[A-Z0-9]+$/.test(argNode.text))) return { k: 'num', v: -1 };
        const arg = this.expr(argNode, d);
        if (op === '~') return { k: 'bits', op: '~', a: arg, b: { k: 'num', v: 0 } };
        return op === '!' ? { k: 'not', e: arg } : wrapOther([arg]);
      }
      case 'pointer_expression': {
        // `*locked`: the value an out-parameter points to, a name of its own; `&x` passes x on.
        const argNode = n.childForFieldName('argument');
        if (n.childForFieldName('operator')?.text === '*' && argNode && /^[A-Za-z_][A-Za-z0-9_]*$/.test(argNode.text)) return { k: 'id', name: '*' + argNode.text };
        if (n.childForFieldName('operator')?.text === '&' && argNode?.type === 'identifier') return { k: 'other', subs: [], addr: argNode.text };
        return wrapOther([this.expr(argNode, d)]);
      }
      case 'binary_expression': {
        const op = n.childForFieldName('operator')?.text ?? '';
        const a = this.expr(n.childForFieldName('left'), d);
        const b = this.expr(n.childForFieldName('right'), d);
        if (op === '&&') return { k: 'and', a, b };
        if (op === '||') return { k: 'or', a, b };
        if (['==', '!=', '<', '>', '<=', '>='].includes(op)) return { k: 'cmp', op, a, b };
        if (op === '&' || op === '|') return { k: 'bits', op, a, b };
        return wrapOther([a, b]);
      }
      case 'conditional_expression': {
        const c = n.childForFieldName('condition');
        const a = n.childForFieldName('consequence');
        const b = n.childForFieldName('alternative');
        if (!c || !a || !b) return wrapOther(named(n).map((x) => this.expr(x, d)));
        return { k: 'cond', c: this.expr(c, d), a: this.expr(a, d), b: this.expr(b, d) };
      }
      case 'assignment_expression': {
        const lhs = n.childForFieldName('left');
        return {
          k: 'assign',
          lhs: normalize(lhs?.text ?? ''),
          op: n.childForFieldName('operator')?.text ?? '=',
          rhs: this.expr(n.childForFieldName('right'), d),
        };
      }
      case 'identifier':
        if (n.text === 'NULL') return { k: 'num', v: 0 };
        return { k: 'id', name: n.text };
      case 'null':
        return { k: 'num', v: 0 };
      case 'true':
        return { k: 'num', v: 1 };
      case 'false':
        return { k: 'num', v: 0 };
      case 'number_literal': {
        const v = Number.parseInt(n.text, n.text.startsWith('0x') ? 16 : 10);
        return { k: 'num', v: Number.isNaN(v) ? 1 : v };
      }
      case 'update_expression': {
        const arg = n.childForFieldName('argument');
        return { k: 'other', subs: [], kills: arg ? [normalize(arg.text)] : [] };
      }
      case 'field_expression':
      case 'string_literal':
      case 'char_literal':
      case 'sizeof_expression':
        return n.type === 'field_expression' ? { k: 'id', name: normalize(n.text) } : { k: 'other', subs: [] };
      case 'compound_statement':
        return { k: 'other', subs: this.callsIn(n, d) };
      default:
        return wrapOther(named(n).map((c) => this.expr(c, d)));
    }
  }

  /** Calls inside a statement expression, in source order (its own control flow is not modelled). */
  callsIn(n: SyntaxNode, depth: number): Expr[] {
    const out: Expr[] = [];
    const walk = (m: SyntaxNode, d: number) => {
      if (d > MAX_DEPTH) return;
      if (m.type === 'call_expression') {
        out.push(this.call(m, d));
        return;
      }
      for (const c of named(m)) walk(c, d + 1);
    };
    walk(n, depth);
    return out;
  }

  call(n: SyntaxNode, depth: number): Expr {
    const fnNode = n.childForFieldName('function');
    const argNodes = n.childForFieldName('arguments');
    const args = argNodes ? named(argNodes) : [];
    // guard(mmap_read_lock)(mm): a call whose callee is the call guard(...)
    if (fnNode?.type === 'call_expression') {
      const inner = fnNode.childForFieldName('function');
      const innerArgs = fnNode.childForFieldName('arguments');
      if (inner?.text === 'guard' && innerArgs) {
        return { k: 'guard', kind: normalize(named(innerArgs)[0]?.text ?? ''), arg: normalize(args[0]?.text ?? ''), at: span(n) };
      }
    }
    const f = fnNode ? (fnNode.type === 'identifier' ? fnNode.text : normalize(fnNode.text)) : '?';
    const a = args.map((x) => {
      const t = normalize(x.text);
      return t.length > 100 ? t.slice(0, 100) : t;
    });
    const call: Expr = { k: 'call', f, a, at: span(n) };
    const keepAll = VALUE_WRAPPERS.has(f) || (f === 'WARN' || f === 'WARN_ONCE');
    const sub: Expr[] = [];
    for (const x of args) {
      const e = this.expr(x, depth + 1);
      if (keepAll || hasCall(e)) sub.push(e);
    }
    if (sub.length) call.sub = sub;
    return call;
  }

  stmt(n: SyntaxNode, depth: number): Stmt | null {
    const at = span(n);
    if (depth > MAX_DEPTH) {
      this.errorsInFn++;
      return { k: 'error', at, text: 'nesting too deep to analyse' };
    }
    const d = depth + 1;
    switch (n.type) {
      case 'compound_statement':
        return { k: 'block', at, s: this.block(n.namedChildren, d) };
      case 'expression_statement': {
        const e = named(n)[0];
        // `;` alone (after a label, as an empty loop body) is still a statement: it gets its line's state.
        if (!e) return { k: 'expr', at, e: null };
        if (e.type === 'call_expression') {
          const f = e.childForFieldName('function')?.text ?? '';
          if (NORETURN.has(f)) return { k: 'noreturn', at, text: firstLine(n.text), e: this.expr(e, d) };
          // BUG_ON(c): past it, c is false (vm_insert_page's BUG_ON(mmap_read_trylock(mm)) says the lock is held).
          const args = e.childForFieldName('arguments');
          const cond = args ? named(args) : [];
          if (BUG_ON_MACROS.has(f) && cond.length === 1) {
            return { k: 'if', at, c: this.expr(cond[0], d), ct: condText(cond[0]), then: { k: 'noreturn', at, text: firstLine(n.text), e: { k: 'other', subs: [] } } };
          }
        }
        return { k: 'expr', at, e: this.expr(e, d) };
      }
      case 'declaration': {
        if (named(n).some((c) => c.type === 'storage_class_specifier' && c.text === 'static')) collectCallbacks(n, this.localCallbacks);
        const subs: Expr[] = [];
        for (const c of named(n)) {
          if (c.type !== 'init_declarator') continue;
          const name = declaratorName(c.childForFieldName('declarator'));
          const value = c.childForFieldName('value');
          if (value && value.type !== 'initializer_list') subs.push({ k: 'assign', lhs: name ?? '?', op: '=', rhs: this.expr(value, d) });
          else if (value) {
            subs.push(...this.callsIn(value, d));
            // `struct vm_fault vmf = { .flags = flags }`: the fields a struct starts with, for flag-bit facts.
            for (const pair of named(value)) {
              if (pair.type !== 'initializer_pair' || !name) continue;
              const des = named(pair).filter((x) => x.type === 'field_designator');
              const v = pair.childForFieldName('value');
              if (des.length !== 1 || !v || v.type === 'initializer_list') continue;
              const rhs = this.expr(v, d);
              if (rhs.k === 'id' || rhs.k === 'bits' || rhs.k === 'num') subs.push({ k: 'assign', lhs: `${name}.${des[0].text.replace(/^\./, '')}`, op: '=', rhs });
            }
          }
        }
        if (!subs.length) return { k: 'expr', at, e: null };
        return { k: 'expr', at, e: subs.length === 1 ? subs[0] : { k: 'other', subs } };
      }
      case 'if_statement': {
        const cond = n.childForFieldName('condition');
        const then = this.stmt(n.childForFieldName('consequence')!, d) ?? emptyBlock(at);
        const alt = n.childForFieldName('alternative');
        const elseNode = alt ? (alt.type === 'else_clause' ? named(alt)[0] : alt) : undefined;
        const out: Stmt = { k: 'if', at, c: this.expr(cond, d), ct: condText(cond), then };
        if (elseNode) out.else = this.stmt(elseNode, d) ?? emptyBlock(span(elseNode));
        return out;
      }
      case 'while_statement': {
        const cond = n.childForFieldName('condition');
        return { k: 'while', at, c: this.expr(cond, d), ct: condText(cond), body: this.bodyOf(n, at, d) };
      }
      case 'do_statement': {
        const cond = n.childForFieldName('condition');
        return { k: 'do', at, c: this.expr(cond, d), ct: condText(cond), body: this.bodyOf(n, at, d) };
      }
      case 'for_statement': {
        const init = n.childForFieldName('initializer');
        const cond = n.childForFieldName('condition');
        const upd = n.childForFieldName('update');
        const out: Stmt = { k: 'for', at, body: this.bodyOf(n, at, d) };
        if (init) out.init = init.type === 'declaration' ? this.stmt(init, d) ?? undefined : { k: 'expr', at: span(init), e: this.expr(init, d) };
        if (cond) {
          out.c = this.expr(cond, d);
          out.ct = condText(cond);
        }
        if (upd) out.upd = this.expr(upd, d);
        return out;
      }
      case 'switch_statement': {
        const body = n.childForFieldName('body');
        return { k: 'switch', at, c: this.expr(n.childForFieldName('condition'), d), body: body ? this.stmt(body, d) ?? emptyBlock(at) : emptyBlock(at) };
      }
      case 'case_statement': {
        const value = n.childForFieldName('value');
        const kids = n.namedChildren.filter((c) => c !== null && c.id !== value?.id);
        return { k: 'case', at, isDefault: !value, ...(value ? { v: this.expr(value, d) } : {}), s: this.block(kids, d) };
      }
      case 'break_statement':
        return { k: 'break', at };
      case 'continue_statement':
        return { k: 'continue', at };
      case 'return_statement': {
        const e = named(n)[0];
        return e ? { k: 'return', at, e: this.expr(e, d) } : { k: 'return', at };
      }
      case 'goto_statement':
        return { k: 'goto', at, label: n.childForFieldName('label')?.text ?? '?' };
      case 'labeled_statement': {
        const label = n.childForFieldName('label')?.text ?? '?';
        const inner = named(n).filter((c) => c.type !== 'statement_identifier')[0];
        const s = inner ? this.stmt(inner, d) : null;
        return s ? { k: 'label', at, name: label, s } : { k: 'label', at, name: label };
      }
      case 'attributed_statement': {
        const inner = named(n).filter((c) => c.type !== 'attribute_declaration')[0];
        return inner ? this.stmt(inner, d) : null;
      }
      case 'preproc_ifdef':
      case 'preproc_if':
      case 'preproc_elif':
      case 'preproc_elifdef':
        return this.ppBranches(n, at, d);
      case 'preproc_else':
        return { k: 'block', at, s: this.block(n.namedChildren, d) };
      case 'ERROR': {
        this.errorsInFn++;
        // Salvage what parsed inside the error region.
        const inner = this.block(n.namedChildren, d);
        if (inner.length) return { k: 'block', at, s: [{ k: 'error', at, text: firstLine(n.text) }, ...inner] };
        return { k: 'error', at, text: firstLine(n.text) };
      }
      case 'comment':
      case 'type_definition':
      case 'struct_specifier':
      case 'union_specifier':
      case 'enum_specifier':
      case 'preproc_def':
      case 'preproc_function_def':
      case 'preproc_call':
      case 'preproc_include':
      case 'function_definition':
        return null;
      default: {
        // An expression in statement position inside an error region, or a shape we do not know: keep its calls.
        const subs = this.callsIn(n, d);
        return subs.length ? { k: 'expr', at, e: { k: 'other', subs } } : null;
      }
    }
  }

  bodyOf(n: SyntaxNode, at: Span, d: number): Stmt {
    const body = n.childForFieldName('body');
    return (body && this.stmt(body, d)) || emptyBlock(at);
  }

  /** `#if A ... #elif B ... #else ... #endif` inside a body: each branch may be the compiled one. */
  ppBranches(n: SyntaxNode, at: Span, d: number): Stmt {
    const cond = ppCondition(n);
    const alt = n.childForFieldName('alternative');
    const items = n.namedChildren.filter((c) => c !== null && c.id !== alt?.id && c.id !== n.childForFieldName('name')?.id && c.id !== n.childForFieldName('condition')?.id);
    const branches: Stmt[] = [{ k: 'block', at, s: this.block(items, d) }];
    if (alt) branches.push(this.stmt(alt, d) ?? emptyBlock(span(alt)));
    else branches.push(emptyBlock(at));
    return { k: 'pp', at, cond, branches };
  }

  /** Statements of a block; turns `macro(args) <statement>` into loop or scoped-guard statements. */
  block(children: (SyntaxNode | null)[], depth: number, notes?: string[]): Stmt[] {
    const out: Stmt[] = [];
    const kids = children.filter((c): c is SyntaxNode => c !== null);
    for (let i = 0; i < kids.length; i++) {
      const c = kids[i];
      if (c.type === 'comment') {
        if (notes && LOCK_NOTE.test(c.text)) notes.push(c.text);
        continue;
      }
      const head = this.macroHead(c);
      if (head && i + 1 < kids.length && kids[i + 1].type !== 'comment') {
        const next = kids[i + 1];
        const body = this.stmt(next, depth + 1) ?? emptyBlock(span(next));
        const at: Span = [span(c)[0], span(c)[1], span(next)[2], span(next)[3]];
        const call = this.call(head.call, depth + 1);
        if (SCOPED_GUARDS.has(head.name)) {
          const a = call.k === 'call' ? call.a : [];
          out.push({ k: 'scoped', at, kind: a[0] ?? '', arg: a[1] ?? '', body });
        } else {
          out.push({ k: 'loopmacro', at, head: call, name: head.name, body });
        }
        i++;
        continue;
      }
      const s = this.stmt(c, depth);
      if (s) out.push(s);
    }
    return out;
  }

  /** `for_each_vma(vmi, vma)` with tree-sitter's MISSING `;`: a macro used as a statement head. */
  macroHead(n: SyntaxNode): { name: string; call: SyntaxNode } | undefined {
    if (n.type !== 'expression_statement') return undefined;
    const last = n.child(n.childCount - 1);
    if (!last?.isMissing) return undefined;
    const e = named(n)[0];
    if (e?.type !== 'call_expression') return undefined;
    const f = e.childForFieldName('function');
    if (f?.type !== 'identifier') return undefined;
    return { name: f.text, call: e };
  }
}

function emptyBlock(at: Span): Stmt {
  return { k: 'block', at, s: [] };
}



function condText(n: SyntaxNode | null): string {
  if (!n) return '';
  let t = normalize(n.text);
  while (t.startsWith('(') && t.endsWith(')') && balanced(t.slice(1, -1))) t = t.slice(1, -1).trim();
  return t;
}

function balanced(t: string): boolean {
  let depth = 0;
  for (const ch of t) {
    if (ch === '(') depth++;
    else if (ch === ')' && --depth < 0) return false;
  }
  return depth === 0;
}

function ppCondition(n: SyntaxNode): string {
  const name = n.childForFieldName('name');
  if (name) {
    const neg = /^#\s*(ifndef|elifndef)/.test(n.text);
    return (neg ? '!' : '') + name.text;
  }
  const cond = n.childForFieldName('condition');
  return cond ? normalize(cond.text) : '?';
}

export function declaratorName(n: SyntaxNode | null): string | undefined {
  for (let cur = n, guard = 0; cur && guard < 50; guard++) {
    if (cur.type === 'identifier' || cur.type === 'field_identifier') return cur.text;
    cur = cur.childForFieldName('declarator') ?? named(cur).find((c) => c.type.endsWith('declarator') || c.type === 'identifier') ?? null;
  }
  return undefined;
}

function functionDeclarator(n: SyntaxNode | null): SyntaxNode | null {
  for (let cur = n, guard = 0; cur && guard < 50; guard++) {
    if (cur.type === 'function_declarator') {
      const inner = cur.childForFieldName('declarator');
      // int (*foo(args))(...) : the innermost function_declarator names the function.
      if (inner && inner.type !== 'identifier') {
        const deeper = functionDeclarator(inner);
        if (deeper) return deeper;
      }
      return cur;
    }
    cur = cur.childForFieldName('declarator');
  }
  return null;
}

function returnKind(def: SyntaxNode): FunctionIR['returns'] {
  const decl = def.childForFieldName('declarator');
  if (decl?.type === 'pointer_declarator') return 'ptr';
  const type = def.childForFieldName('type')?.text ?? '';
  if (type === 'void') return 'void';
  if (type === 'bool' || type === '_Bool') return 'bool';
  if (type === 'vm_fault_t') return 'fault';
  return 'int';
}

function paramNames(list: SyntaxNode | null): string[] {
  if (!list) return [];
  return named(list)
    .filter((p) => p.type === 'parameter_declaration')
    .map((p) => declaratorName(p.childForFieldName('declarator')) ?? '');
}

/** Comments immediately above `n` (no blank line between), joined. */
function docComment(n: SyntaxNode): string | undefined {
  const parts: string[] = [];
  let line = n.startPosition.row;
  for (let p = n.previousSibling; p && p.type === 'comment' && p.endPosition.row >= line - 1; p = p.previousSibling) {
    parts.unshift(p.text);
    line = p.startPosition.row;
  }
  return parts.length ? parts.join('\n') : undefined;
}

function countErrors(n: SyntaxNode): number {
  if (!n.hasError) return 0;
  let count = n.type === 'ERROR' || n.isMissing ? 1 : 0;
  for (const c of n.children) if (c && (c.hasError || c.isMissing)) count += countErrors(c);
  return count;
}

/**
 * Builds the IR of one file from its syntax tree. Never throws on odd input: it records notes
 * instead. `source` is the text the tree was parsed from (node texts are sliced from it).
 */
export function buildFileIR(tree: Tree, file: string, bytes: number, source?: string): FileIR {
  const b = new FileBuilder();
  const functions: FunctionIR[] = [];
  const callbacks: CallbackRegistration[] = [];
  const macros: Array<{ name: string; calls: string[] }> = [];
  const enums: Array<[string, number]> = [];
  const enumFields: Array<[string, string]> = [];
  const errorLines: number[] = [];
  let errorBytes = 0;

  const addFunction = (def: SyntaxNode, nameNode: SyntaxNode | null, name: string, params: string[], body: SyntaxNode, pp: string[], extra: Partial<FunctionIR>, docAnchor: SyntaxNode, outerAnchor?: SyntaxNode) => {
    b.errorsInFn = 0;
    const notes: string[] = [];
    const stmts = b.block(body.namedChildren, 1, notes);
    const fn: FunctionIR = {
      name,
      at: [def.startPosition.row + 1, def.startPosition.column, body.endPosition.row + 1, body.endPosition.column],
      nameAt: nameNode ? span(nameNode) : span(def),
      params,
      isStatic: /^\s*static\b/.test(def.text.slice(0, 200)) || /\bstatic\b/.test(def.text.slice(0, Math.max(0, def.text.indexOf(name)))),
      pp: [...pp],
      body: { k: 'block', at: span(body), s: stmts },
      errors: b.errorsInFn + countErrors(def.type === 'function_definition' ? def : body),
      ...extra,
    };
    // A comment before the `#if` around the function is its own only when it names it (kerneldoc does);
    // otherwise it is about the block (or the file).
    const outerDoc = outerAnchor ? docComment(outerAnchor) : undefined;
    const doc = docComment(docAnchor) ?? (outerDoc && hasWord(outerDoc, extra.syscall ?? name) ? outerDoc : undefined);
    if (doc) fn.doc = doc.length > 4000 ? doc.slice(0, 4000) : doc;
    if (notes.length) fn.bodyNotes = notes.map((t) => (t.length > 500 ? t.slice(0, 500) : t));
    functions.push(fn);
  };

  const visit = (n: SyntaxNode, pp: string[], depth: number, conditional?: SyntaxNode) => {
    if (depth > 60) return;
    const kids = n.namedChildren.filter((c): c is SyntaxNode => c !== null);
    // The first item under `#ifdef CONFIG_ELF_CORE`: its comment stands before the `#ifdef` (get_dump_page()).
    const condition = conditional ? conditional.childForFieldName('name') ?? conditional.childForFieldName('condition') : null;
    for (let i = 0; i < kids.length; i++) {
      const c = kids[i];
      const outer = i === 1 && condition && kids[0].id === condition.id ? conditional : undefined;
      switch (c.type) {
        case 'function_definition': {
          const fd = functionDeclarator(c.childForFieldName('declarator'));
          const nameNode = fd?.childForFieldName('declarator') ?? null;
          const name = nameNode ? declaratorName(nameNode) : undefined;
          const body = c.childForFieldName('body');
          if (name && body) addFunction(c, nameNode, name, paramNames(fd!.childForFieldName('parameters')), body, pp, { returns: returnKind(c) }, c, outer);
          break;
        }
        case 'expression_statement': {
          // SYSCALL_DEFINE3(name, type, arg, ...) followed by its body.
          const call = named(c)[0];
          const next = kids[i + 1];
          const f = call?.type === 'call_expression' ? call.childForFieldName('function')?.text ?? '' : '';
          if (/^(COMPAT_)?SYSCALL_DEFINE\d$/.test(f) && next?.type === 'compound_statement') {
            const args = named(call!.childForFieldName('arguments')!);
            const sys = args[0]?.text ?? '?';
            const params = args.slice(1).filter((_, k) => k % 2 === 1).map((a) => a.text);
            addFunction(c, args[0] ?? null, (f.startsWith('COMPAT') ? 'compat_sys_' : 'sys_') + sys, params, next, pp, { syscall: sys, isStatic: false }, c, outer);
            i++;
          }
          break;
        }
        case 'declaration':
          collectCallbacks(c, callbacks);
          collectEnums(c, enums);
          collectEnumFields(c, enumFields);
          break;
        case 'enum_specifier':
        case 'struct_specifier':
        case 'type_definition':
          collectEnums(c, enums);
          collectEnumFields(c, enumFields);
          break;
        case 'preproc_function_def': {
          const name = c.childForFieldName('name')?.text;
          const value = c.childForFieldName('value')?.text ?? '';
          const params = new Set((c.childForFieldName('parameters')?.text ?? '').replace(/[()]/g, '').split(',').map((x) => x.trim()));
          const calls = new Set<string>();
          for (const m of value.slice(0, 4000).matchAll(/\b([A-Za-z_][A-Za-z0-9_]*)\s*\(/g)) {
            if (!MACRO_NOISE.has(m[1]) && !params.has(m[1]) && m[1] !== name && !m[1].startsWith('__builtin')) calls.add(m[1]);
          }
          if (name && calls.size && calls.size <= 8) macros.push({ name, calls: [...calls] });
          break;
        }
        case 'preproc_ifdef':
        case 'preproc_if': {
          const cond = ppCondition(c);
          visit(c, [...pp, cond], depth + 1, c);
          let neg = [...pp, negateCondition(cond)];
          for (let alt = c.childForFieldName('alternative'); alt; alt = alt.childForFieldName('alternative')) {
            if (alt.type === 'preproc_else') {
              visit(alt, neg, depth + 1);
              break;
            }
            const ac = ppCondition(alt);
            visit(alt, [...neg, ac], depth + 1);
            neg = [...neg, negateCondition(ac)];
          }
          break;
        }
        case 'ERROR': {
          // A function being typed (`void f(...) { lock(mm); if (`) parses as an error region holding
          // its declarator and statements: keep it as a function over what did parse.
          const ck = c.namedChildren.filter((x): x is SyntaxNode => x !== null);
          const di = ck.findIndex((x) => x.type === 'function_declarator');
          const nameNode = di >= 0 ? ck[di].childForFieldName('declarator') : null;
          const name = nameNode ? declaratorName(nameNode) : undefined;
          if (name && !ck.some((x) => x.type === 'function_definition')) {
            b.errorsInFn = 1;
            const notes: string[] = [];
            const stmts = b.block(ck.slice(di + 1), 1, notes);
            functions.push({
              name,
              at: span(c),
              nameAt: span(nameNode!),
              params: paramNames(ck[di].childForFieldName('parameters')),
              isStatic: /^\s*static\b/.test(c.text.slice(0, 100)),
              pp: [...pp],
              body: { k: 'block', at: span(c), s: stmts },
              errors: b.errorsInFn,
            });
            break;
          }
          visit(c, pp, depth + 1);
          break;
        }
        case 'linkage_specification':
        case 'declaration_list':
          visit(c, pp, depth + 1);
          break;
        default:
          break;
      }
      c.forget();
    }
  };

  const root = new SyntaxNode(tree.rootNode, source);
  visit(root, [], 0);
  if (root.hasError) {
    const walk = (n: SyntaxNode, depth: number) => {
      if (depth > 400) return;
      if (n.type === 'ERROR') {
        errorLines.push(n.startPosition.row + 1);
        errorBytes += n.endIndex - n.startIndex;
        return;
      }
      for (const c of n.children) if (c?.hasError) walk(c, depth + 1);
    };
    walk(root, 0);
  }
  callbacks.push(...b.localCallbacks);
  return { file, functions, callbacks, errorLines, errorBytes, bytes, notes: b.notes, ...(macros.length ? { macros } : {}), ...(enums.length ? { enums } : {}), ...(enumFields.length ? { enumFields } : {}) };
}

/** `static const struct vm_operations_struct foo_ops = { .close = foo_close, ... };` */
/** Words a macro body calls that are not functions: C keywords and type operators. */
const MACRO_NOISE = new Set(['if', 'while', 'for', 'switch', 'return', 'sizeof', 'typeof', '__typeof__', '__typeof', 'defined', 'do', '_Generic', 'offsetof', 'container_of', 'likely', 'unlikely', 'BUILD_BUG_ON', '__same_type', '__force']);

/**
 * Enumerators of an `enum X { A = 0, B, C = 1 << 2 }` at file level (alone, in a declaration or a
 * typedef): values written as integers, shifts and sums of them, or the one before plus one.
 */
function collectEnums(n: SyntaxNode, out: Array<[string, number]>): void {
  const spec = n.type === 'enum_specifier' ? n : named(n).find((c) => c.type === 'enum_specifier');
  const list = spec?.childForFieldName('body');
  if (!list) return;
  let next: number | undefined = 0;
  for (const e of named(list)) {
    if (e.type !== 'enumerator') continue;
    const name = e.childForFieldName('name')?.text;
    const value = e.childForFieldName('value');
    const v: number | undefined = value ? constantValue(value.text) : next;
    if (name && v !== undefined) out.push([name, v]);
    next = v === undefined ? undefined : v + 1;
  }
}

/**
 * Members of enum type in a struct defined at file level (`struct mm_walk_ops { ... enum
 * page_walk_lock walk_lock; }`): an instance that does not initialise one holds 0 there.
 */
function collectEnumFields(n: SyntaxNode, out: Array<[string, string]>): void {
  const spec = n.type === 'struct_specifier' ? n : named(n).find((c) => c.type === 'struct_specifier');
  const struct = spec?.childForFieldName('name')?.text;
  const body = spec?.childForFieldName('body');
  if (!struct || !body) return;
  for (const f of named(body)) {
    if (f.type !== 'field_declaration' || f.childForFieldName('type')?.type !== 'enum_specifier') continue;
    const d = f.childForFieldName('declarator');
    if (d?.type === 'field_identifier') out.push([struct, d.text]);
  }
}

/** `12`, `0x10`, `1 << 3`, `(4 + 1)`: a small integer constant expression; undefined for anything else. */
function constantValue(text: string): number | undefined {
  const t = text.replace(/[()\s]|[uUlL]+\b/g, '');
  const m = /^(0x[0-9a-fA-F]+|\d+)(?:(<<|\+|-)(0x[0-9a-fA-F]+|\d+))?$/.exec(t);
  if (!m) return undefined;
  const a = Number(m[1]);
  if (!m[2]) return Number.isSafeInteger(a) ? a : undefined;
  const b = Number(m[3]);
  const v = m[2] === '<<' ? (b < 31 ? a * 2 ** b : NaN) : m[2] === '+' ? a + b : a - b;
  return Number.isSafeInteger(v) ? v : undefined;
}

function collectCallbacks(decl: SyntaxNode, out: CallbackRegistration[]): void {
  const type = decl.childForFieldName('type');
  if (type?.type !== 'struct_specifier') return;
  const struct = type.childForFieldName('name')?.text;
  if (!struct) return;
  for (const d of named(decl)) {
    if (d.type !== 'init_declarator') continue;
    const init = d.childForFieldName('value');
    if (init?.type !== 'initializer_list') continue;
    const instance = declaratorName(d.childForFieldName('declarator')!) ?? undefined;
    for (const pair of named(init)) {
      if (pair.type !== 'initializer_pair') continue;
      const des = pair.childForFieldName('designator');
      const value = pair.childForFieldName('value');
      const member = des?.type === 'field_designator' ? named(des)[0]?.text : undefined;
      // A function's name, or an enumerator or number for a constant member (`.walk_lock = PGWALK_RDLOCK`).
      const fn = value?.type === 'identifier' || value?.type === 'number_literal' ? value.text : value?.type === 'pointer_expression' ? named(value)[0]?.text : undefined;
      if (member && fn) out.push({ struct, member, fn, at: span(pair), ...(instance ? { instance } : {}) });
    }
  }
}
