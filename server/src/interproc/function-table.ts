/**
 * Every function definition in the index, and which one a call means.
 *
 * One name can have several definitions: mm/mmap.c and mm/nommu.c both
 * define exit_mmap (CONFIG_MMU decides), each architecture defines its own
 * hooks, headers define `static inline` stubs under `#else`. A call resolves
 * to the definition a default configuration builds (MMU on, x86); the others
 * stay visible as alternatives and are never merged into the chosen one.
 */
import type { CallbackRegistration, FileIR, FunctionIR, Span, Stmt } from '../parse/ir';
import { walkStmt } from '../parse/ir-walk';
import { contradicts } from '../parse/pp-conditions';
import { isPrimitiveName } from '../lockflow/primitives';

export interface FnRef {
  /** Stable id: `file:name#n` (see idsFor). */
  id: string;
  file: string;
  fn: FunctionIR;
  /** Names this function calls, and callback call expressions such as `vma->vm_ops->close`, each once. */
  calls: readonly string[];
  /** Every call, in source order. */
  sites: CallSite[];
}

export interface CallSite {
  f: string;
  a: string[];
  at: Span;
}

export interface ResolveOptions {
  /** Path prefixes whose definitions win (a user's choice of configuration). */
  prefer?: string[];
  /** Architecture directory to prefer under arch/ (default x86). */
  arch?: string;
}

export class FunctionTable {
  readonly byName = new Map<string, FnRef[]>();
  readonly byFile = new Map<string, FnRef[]>();
  readonly byId = new Map<string, FnRef>();
  readonly callbacks: Array<CallbackRegistration & { file: string }> = [];
  /** Enumerators by name, with the file of each definition (an architecture's copy may differ). */
  private readonly enums = new Map<string, Array<{ file: string; v: number }>>();
  /** Enumerator names each file defines (what removing it takes out of `enums`). */
  private readonly enumNames = new Map<string, string[]>();
  /** Struct members of enum type, with the file of the struct's definition. */
  private enumFields: Array<{ file: string; struct: string; member: string }> = [];
  /** Function-like macros wrapping one call, by name: `untagged_addr_remote` -> `__untagged_addr_remote`. */
  private readonly macros = new Map<string, Array<{ file: string; calls: string[] }>>();
  /** The API's own inline definitions (mmap_write_unlock() calling vma_end_write_all()): their calls, by file. */
  readonly primitiveBodies = new Map<string, Array<{ name: string; sites: CallSite[] }>>();
  /** name -> calling file -> definition; an edit forgets only the names its file defines. */
  private readonly resolved = new Map<string, Map<string, FnRef | null>>();

  constructor(private readonly options: ResolveOptions = {}) {}

  /** Ids that survive edits elsewhere in the file: `file:name#n`, n counting same-named definitions in it. */
  static idsFor(ir: FileIR): string[] {
    const seen = new Map<string, number>();
    return ir.functions.map((fn) => {
      const n = seen.get(fn.name) ?? 0;
      seen.set(fn.name, n + 1);
      return `${ir.file}:${fn.name}#${n}`;
    });
  }

  addFile(ir: FileIR): void {
    this.primitiveBodies.delete(ir.file);
    const refs: FnRef[] = [];
    const ids = FunctionTable.idsFor(ir);
    for (const [i, fn] of ir.functions.entries()) {
      // The API's own inline definitions are primitives: never analysed, never called through.
      if (isPrimitiveName(fn.name)) {
        const list = this.primitiveBodies.get(ir.file) ?? [];
        list.push({ name: fn.name, sites: collectCallSites(fn.body) });
        this.primitiveBodies.set(ir.file, list);
        continue;
      }
      const sites = collectCallSites(fn.body);
      // An array, not a Set: a few names per function, for 17k functions.
      const calls = [...new Set(sites.map((c) => c.f))];
      const ref: FnRef = { id: ids[i], file: ir.file, fn, calls, sites };
      refs.push(ref);
      this.byId.set(ref.id, ref);
      const list = this.byName.get(fn.name);
      if (list) list.push(ref);
      else this.byName.set(fn.name, [ref]);
    }
    this.byFile.set(ir.file, refs);
    const keys: string[] = [];
    for (const c of ir.callbacks) {
      const cb = { ...c, file: ir.file };
      this.callbacks.push(cb);
      if (!cb.instance) continue;
      const key = `${ir.file}\0${cb.instance}`;
      const list = this.instances.get(key);
      if (list) list.push(cb);
      else {
        this.instances.set(key, [cb]);
        keys.push(key);
      }
    }
    if (keys.length) this.instanceKeys.set(ir.file, keys);
    this.instanceValues.clear();
    for (const [name, v] of ir.enums ?? []) {
      const list = this.enums.get(name) ?? [];
      list.push({ file: ir.file, v });
      this.enums.set(name, list);
    }
    if (ir.enums?.length) this.enumNames.set(ir.file, ir.enums.map(([name]) => name));
    for (const [struct, member] of ir.enumFields ?? []) this.enumFields.push({ file: ir.file, struct, member });
    for (const m of ir.macros ?? []) {
      const list = this.macros.get(m.name) ?? [];
      list.push({ file: ir.file, calls: m.calls });
      this.macros.set(m.name, list);
    }
    for (const r of refs) this.resolved.delete(r.fn.name);
  }

  removeFile(file: string): void {
    this.primitiveBodies.delete(file);
    if (this.enumFields.some((f) => f.file === file)) this.enumFields = this.enumFields.filter((f) => f.file !== file);
    for (const name of this.enumNames.get(file) ?? []) {
      const list = this.enums.get(name);
      const kept = list?.filter((x) => x.file !== file) ?? [];
      if (kept.length) this.enums.set(name, kept);
      else this.enums.delete(name);
    }
    this.enumNames.delete(file);
    for (const key of this.instanceKeys.get(file) ?? []) this.instances.delete(key);
    this.instanceKeys.delete(file);
    for (const [name, list] of this.macros) {
      const kept = list.filter((m) => m.file !== file);
      if (kept.length === list.length) continue;
      if (kept.length) this.macros.set(name, kept);
      else this.macros.delete(name);
    }
    const refs = this.byFile.get(file);
    if (!refs) return;
    for (const r of refs) {
      this.resolved.delete(r.fn.name);
      this.byId.delete(r.id);
      const list = this.byName.get(r.fn.name)!.filter((x) => x !== r);
      if (list.length) this.byName.set(r.fn.name, list);
      else this.byName.delete(r.fn.name);
    }
    this.byFile.delete(file);
    for (let i = this.callbacks.length - 1; i >= 0; i--) if (this.callbacks[i].file === file) this.callbacks.splice(i, 1);
    this.instanceValues.clear();
  }

  /** What a file tells of known values: its enumerators and struct members of enum type (an edit that changes them changes other files' flows). */
  knownValuesOf(file: string): string {
    const enums = (this.enumNames.get(file) ?? []).map((n) => `${n}=${this.enums.get(n)?.find((x) => x.file === file)?.v}`);
    const fields = this.enumFields.filter((f) => f.file === file).map((f) => `${f.struct}.${f.member}`);
    return `${enums.join(',')}|${fields.join(',')}`;
  }

  /** An enumerator's value, when every definition of the name in the index agrees on it. */
  enumValue(name: string): number | undefined {
    if (/^\d+$/.test(name)) return Number(name);
    const list = this.enums.get(name);
    if (!list || list.some((x) => x.v !== list[0].v)) return undefined;
    return list[0].v;
  }

  /**
   * The members of a struct instance defined in `file` (at file level, or `static` in a function)
   * whose values are enumerators or numbers (`static const struct mm_walk_ops pagemap_ops = {
   * .walk_lock = PGWALK_RDLOCK }`), and 0 for each member of enum type it leaves out.
   */
  instanceConstants(name: string, file: string): Array<[string, number]> {
    const key = `${file}\0${name}`;
    const known = this.instanceValues.get(key);
    if (known) return known;
    const out: Array<[string, number]> = [];
    const regs = this.instances.get(key) ?? [];
    for (const cb of regs) {
      const v = this.enumValue(cb.fn);
      if (v !== undefined) out.push([cb.member, v]);
    }
    // A designated initializer leaves every other member 0 (`pagemap_scan_ops` has no `.walk_lock`: PGWALK_RDLOCK).
    const struct = regs[0]?.struct;
    for (const f of this.enumFields) {
      if (f.struct === struct && !regs.some((cb) => cb.member === f.member) && !out.some(([m]) => m === f.member)) out.push([f.member, 0]);
    }
    this.instanceValues.set(key, out);
    return out;
  }

  /** Registrations by file and instance (`file\0name`), and each file's keys there. */
  private readonly instances = new Map<string, Array<CallbackRegistration & { file: string }>>();
  private readonly instanceKeys = new Map<string, string[]>();
  /** instanceConstants() answers, by file and name, until a file is added or removed. */
  private readonly instanceValues = new Map<string, Array<[string, number]>>();

  all(): FnRef[] {
    return [...this.byFile.values()].flat();
  }

  /** Definitions a call from `fromFile` can reach: non-static ones, header inlines, and statics of the same file. */
  visible(name: string, fromFile: string): FnRef[] {
    const list = this.byName.get(name);
    if (!list) return [];
    return list.filter((r) => !r.fn.isStatic || r.file === fromFile || r.file.endsWith('.h'));
  }

  /**
   * The definition a call means where conditions `conds` hold (`!CONFIG_PER_VMA_LOCK`): the default
   * one, unless its `#if`s contradict them; then the best ranked one whose do not.
   */
  resolveUnder(name: string, fromFile: string, conds: readonly string[]): FnRef | undefined {
    const fits = (r: FnRef) => !r.fn.pp.some((p) => conds.some((c) => contradicts(c, p)));
    const d = this.resolve(name, fromFile);
    if (!d || fits(d)) return d;
    return this.bestRanked(this.visible(name, fromFile).filter(fits), fromFile) ?? d;
  }

  /** The definition a call to `name` from `fromFile` means under the default configuration. */
  resolve(name: string, fromFile: string, depth = 0): FnRef | undefined {
    const list = this.byName.get(name);
    if (!list) return depth < 3 ? this.resolveMacro(name, fromFile, depth) : undefined;
    if (list.length === 1) return list[0].fn.isStatic && !list[0].file.endsWith('.h') && list[0].file !== fromFile ? undefined : list[0];
    let byFrom = this.resolved.get(name);
    if (!byFrom) this.resolved.set(name, (byFrom = new Map()));
    const cached = byFrom.get(fromFile);
    if (cached !== undefined) return cached ?? undefined;
    const best = this.bestRanked(this.visible(name, fromFile), fromFile);
    byFrom.set(fromFile, best ?? null);
    return best;
  }

  /** The candidate rank() puts first (the lowest score; the earlier one on a tie). */
  private bestRanked(candidates: readonly FnRef[], fromFile: string): FnRef | undefined {
    let best: FnRef | undefined;
    let bestScore = Infinity;
    for (const c of candidates) {
      const s = this.rank(c, fromFile);
      if (s < bestScore) {
        best = c;
        bestScore = s;
      }
    }
    return best;
  }

  /**
   * A function-like macro that wraps exactly one indexed function means a call
   * to it (`untagged_addr_remote(mm, addr)` -> `__untagged_addr_remote()`).
   */
  private resolveMacro(name: string, fromFile: string, depth: number): FnRef | undefined {
    const defs = this.macros.get(name);
    if (!defs) return undefined;
    // The architecture's definition first (x86's untagged_addr_remote() over the generic fallback).
    const arch = `arch/${this.options.arch ?? 'x86'}/`;
    const ordered = [...defs].sort((a, b) => Number(b.file.startsWith(arch)) - Number(a.file.startsWith(arch)));
    for (const d of ordered) {
      if (d.file.startsWith('arch/') && !d.file.startsWith(arch)) continue;
      // A macro that uses the lock API itself is the API's business, not a wrapper.
      if (d.calls.some(isPrimitiveName)) return undefined;
      const found = new Set<FnRef>();
      for (const c of d.calls) {
        const r = this.resolve(c, fromFile, depth + 1) ?? this.resolve(c, d.file, depth + 1);
        if (r) found.add(r);
      }
      return found.size === 1 ? [...found][0] : undefined;
    }
    return undefined;
  }

  /**
   * Why a definition is not compiled in the default configuration (MMU on,
   * the chosen architecture), or undefined when it is. Such code is analysed
   * on its own but sends no lock states into the code a default build has.
   */
  notBuiltReason(r: FnRef): string | undefined {
    if (this.options.prefer?.some((p) => r.file.startsWith(p))) return undefined;
    if (r.file === 'mm/nommu.c') return 'mm/nommu.c is built only without CONFIG_MMU';
    if (r.fn.pp.some((c) => NO_MMU.test(c))) return 'built only without CONFIG_MMU';
    const arch = /^arch\/([^/]+)\//.exec(r.file)?.[1];
    if (arch && arch !== (this.options.arch ?? 'x86')) return `built only for arch/${arch}`;
    return undefined;
  }

  /** Lower is more likely the built definition. */
  rank(r: FnRef, fromFile: string): number {
    let score = 0;
    if (this.options.prefer?.some((p) => r.file.startsWith(p))) score -= 1000;
    if (r.file === fromFile) score -= 100;
    if (this.notBuiltReason(r)) score += 50;
    if (r.file.startsWith(`arch/${this.options.arch ?? 'x86'}/`)) score -= 2;
    for (const c of r.fn.pp) {
      if (NO_MMU.test(c)) continue;
      if (/\bCONFIG_MMU\b/.test(c)) score -= 5;
      else if (c.startsWith('!')) score += 10;
      else score -= 1;
    }
    // A stub is short; the real thing is not.
    score -= Math.min(5, (r.fn.at[2] - r.fn.at[0]) / 20);
    return score;
  }
}

const NO_MMU = /!\s*\(?\s*(defined\s*\(?\s*)?CONFIG_MMU\b/;

/** Calls of a function body, in evaluation order; guards appear as calls to `guard` / `scoped_guard`. */
export function collectCallSites(body: Stmt): CallSite[] {
  const out: CallSite[] = [];
  walkStmt(body, {
    stmt: (st) => {
      if (st.k === 'scoped') out.push({ f: 'scoped_guard', a: [st.kind, st.arg], at: st.at });
    },
    leave: (e) => {
      // The call itself is the site (a CallSite by shape): one object per call, not two.
      if (e.k === 'call') out.push(e);
      else if (e.k === 'guard') out.push({ f: 'guard', a: [e.kind, e.arg], at: e.at });
    },
  });
  return out;
}
