/**
 * The whole indexed tree as one program: summaries computed bottom-up from
 * bodies (a worklist over the reverse call graph, recursion-safe by a cap on
 * re-analyses), then entry states pushed top-down from roots, callers and
 * callback call sites, each fact with its provenance.
 */
import { analyseFunction, byEntryWith, callSitesWith, DEADLOCK, type FlowEnv, type FlowResult, NO_MODES } from '../lockflow/dataflow';
import { calleeEntryFacts, contextFacts, contextsConflict, contextWeight, enclosed, IDENT, joinContexts, type FieldWrite, LITERAL, looksLikeObject, ternaryArms } from '../lockflow/argument-facts';
import { bitsClass, bitsNamed, bitsOf, constantBits, constantClass, keySetsBit, projectBits } from '../lockflow/bits';
import { type AbsState, factValue, makeState, MODE_CHAR, MODES, modeOf, type Mode, numberClass, type ValueClass } from '../lockflow/modes';
import { guardMode, type Primitive, primitiveFor } from '../lockflow/primitives';
import { BOTTOM, IDENTITY, sameTrans, type Requirement, type Summary } from '../lockflow/summary';
import type { Expr, FileIR, FunctionIR, Span, Stmt } from '../parse/ir';
import { walkExpr, walkStmt } from '../parse/ir-walk';
import { PROTOCOL_FAMILIES, PROTOCOL_PREDICATES, VALUE_WRAPPERS } from '../parse/kernel-macros';
import { contradicts, negateCondition } from '../parse/pp-conditions';
import { callbackCall, documentedContext, looksLikeMmapHandler } from './callbacks';
import { statedRequirement } from './documented-context';
import { FunctionTable, type CallSite, type FnRef, type ResolveOptions } from './function-table';

/** Why a mode can be held when a function starts. */
export interface EntrySource {
  kind: 'caller' | 'callback' | 'root';
  modes: Mode[];
  /**
   * Modes this caller brings that the function's requirement (assertion,
   * documentation) rules out: not assumed inside the function, because the
   * call itself is where they are wrong (LL005 there).
   */
  refused?: Mode[];
  caller?: string;
  callerId?: string;
  file?: string;
  /** Span of the call in the caller. */
  at?: Span;
  /** For callbacks: `vm_operations_struct.close`. */
  via?: string;
  why?: string;
}

/** A call site with the modes its caller may hold there, per caller entry mode. */
export interface SiteStates {
  site: CallSite;
  inst: number;
  byEntry: Readonly<Record<Mode, ReadonlySet<Mode>>>;
  /** The argument facts the callee is entered with, per entry and held mode (see CallSiteModes.contexts). */
  contexts?: Set<string>;
  /** The callee's summary applied at this call (for rules). */
  summary?: Summary;
}

export interface ProgramOptions extends ResolveOptions {
  extraPrimitives?: ReadonlyMap<string, Primitive>;
  /** Functions taken to leave the lock as they found it, whatever their bodies say (a user's override). */
  assumeNoEffect?: readonly string[];
}

/** Some entry mode has more than one exit mode: what a caller passes might decide which. */
function isUncertain(s: Summary | undefined): boolean {
  return !!s && MODES.some((m) => new Set(s.trans[m].map(([x]) => x)).size > 1);
}

/**
 * The caller's name an argument hands on: `vma`, `&vmf`, a field alone (`ops->walk_lock`), or a
 * flag word with constant bits added (`flags | MPOL_MF_MOVE`).
 */
function passedName(arg: string): string | undefined {
  const m = /^&?([A-Za-z_][A-Za-z0-9_]*(?:->[A-Za-z_][A-Za-z0-9_]*)?)(?:\s*\|\s*[A-Z][A-Z0-9_]*)*$/.exec(arg);
  return m?.[1];
}

/** An argument that carries protocol flag bits, an out-parameter's address, or a choice between them. */
const PROTOCOL_ARG = new RegExp(`\\b(?:${PROTOCOL_FAMILIES.join('|')})[A-Z_]+|^&[A-Za-z_]\\w*$|\\?.*:\\s*&`);

/** localInstanceConstants() of a function with no such local (shared, never changed). */
const NO_LOCAL_INSTANCES = new Map<string, Array<[string, number]>>();

/** A stored entry source's one mode (shared, never changed). */
const ONE_MODE: Record<Mode, Mode[]> = { none: ['none'], read: ['read'], write: ['write'] };

/** A function with no lock effect holds at each call what it was entered with (shared, never mutated). */
const PASS_THROUGH: Record<Mode, Set<Mode>> = { none: new Set(['none']), read: new Set(['read']), write: new Set(['write']) };

/** Re-analyses of one function before its summary is frozen (recursion and long chains). */
const MAX_REANALYSES = 8;

/** Specialised summaries of one function, at most (each is a re-analysis of its body). */
const MAX_SPECIALISED = 64;

/** Argument contexts one function is entered in, at most, besides the plain one (each is an analysis of its body). */
const MAX_CONTEXTS = 2;

/** Protocol bits set only where a configuration option is on: FAULT_FLAG_VMA_LOCK needs the per-VMA lock. */
const CONFIG_ONLY_BITS: ReadonlyArray<readonly [string, string]> = [['FAULT_FLAG_VMA_LOCK', 'CONFIG_PER_VMA_LOCK']];

const NO_BITS: ReadonlySet<string> = new Set();

/** The in-body `#if`/`#else` conditions around each call of a body, outermost first, by `line:col`. */
function callConditionsOf(body: Stmt): Map<string, string[]> {
  const out = new Map<string, string[]>();
  walkStmt(body, {
    stmt: (st) => {
      if (st.k !== 'pp') return;
      st.branches.forEach((b, i) => {
        const cond = i === 0 ? st.cond : negateCondition(st.cond);
        walkStmt(b, {
          leave: (e) => {
            if (e.k !== 'call') return;
            const k = `${e.at[0]}:${e.at[1]}`;
            const list = out.get(k);
            if (list) list.push(cond);
            else out.set(k, [cond]);
          },
        });
      });
    },
  });
  return out;
}

/** A state with no facts: what a call's text alone tells its callee (literals, flag constants). */
const NO_FACTS = makeState('none', 'n', [], 0);
const NOTHING_PASSED: ReadonlySet<string> = new Set();

/** An argument whose text alone has a value: a literal, or flag constants. */
const CONSTANT_NAME = /\b[A-Z][A-Z0-9_]{2,}\b/;

/** The argument contexts a call brings its callee in, for a caller entered in `entry` holding `held` there ('' is none). */
function contextsAt(s: SiteStates, entry: Mode, held: Mode): string[] {
  if (!s.contexts) return [''];
  const prefix = MODE_CHAR[entry] + MODE_CHAR[held] + '|';
  const out: string[] = [];
  for (const c of s.contexts) if (c.startsWith(prefix)) out.push(c.slice(3));
  return out.length ? out : [''];
}

export class Program {
  readonly table: FunctionTable;
  readonly summaries = new Map<string, Summary>();
  readonly flows = new Map<string, FlowResult>();
  readonly entries = new Map<string, Map<Mode, EntrySource[]>>();
  /** The entry sources each caller gave (the objects in `entries`), to move their spans after an edit. */
  private readonly sourcesByCaller = new Map<string, EntrySource[]>();
  readonly sites = new Map<string, SiteStates[]>();
  /** Callback registrations resolved to definitions: function id -> `struct.member` names. */
  readonly registeredAs = new Map<string, Array<{ struct: string; member: string; file: string; at: Span }>>();
  stats = { functions: 0, analysed: 0, reanalyses: 0, specialised: 0, phase2: 0, contexts: 0, configured: 0, summaryMs: 0, entryMs: 0 };

  constructor(readonly options: ProgramOptions = {}) {
    this.table = new FunctionTable(options);
  }

  /** Functions queued for their first analysis: BOTTOM until then (least fixpoint; recursion converges). */
  private readonly pending = new Set<string>();

  /** Summaries specialised to entry facts (`do_vmi_munmap` with `unlock` false), by `id|facts`. */
  private readonly specialised = new Map<string, Summary>();
  private readonly specialising = new Set<string>();
  private readonly specialisedCount = new Map<string, number>();
  /** The fact sets each function was specialised to, in order (for nearestSpecialised). */
  private readonly specialisedFacts = new Map<string, string[][]>();
  private readonly bitsNamedBy = new Map<string, Set<string>>();
  /** Argument contexts each function was entered in (kept after the propagation for lineFlows). */
  private readonly lineContexts = new Map<string, Array<{ key: string; modes: Mode[] }>>();
  private readonly lineFlowCache = new Map<string, Array<{ flow: FlowResult; modes: Mode[]; facts?: string }>>();
  private lineSpecialised: Map<string, Summary> | undefined;
  /** Per function, the in-body `#if` conditions around each call (by `line:col`), for excludedByConfig. */
  private readonly callConditions = new Map<string, Map<string, string[]>>();
  /** A caller's flow as another configuration builds it, by caller and conditions (during computeEntries only). */
  private readonly configuredFlows = new Map<string, FlowResult>();
  /** Per function, its locals only ever pointed at struct instances with constant members, and the members they agree on. */
  private readonly localInstances = new Map<string, Map<string, Array<[string, number]>>>();
  /**
   * Argument contexts each function is entered in, with the modes each brings: `vma_init()`
   * calls `vma_mark_detached(vma, false)`, whose assertion under `if (detached)` it never
   * reaches. '' is the plain entry (no facts, or past MAX_CONTEXTS).
   */
  private readonly contexts = new Map<string, Map<string, Set<Mode>>>();
  private readonly contextSites = new Map<string, SiteStates[]>();
  /**
   * Specialisations made while contexts are analysed, kept apart: made in another order, under
   * another budget, they must not stand in for the ones the flows computed afterwards would make.
   */
  private contextSpecialised: Map<string, Summary> | undefined;
  /** Off while plain summaries converge; specialising against moving summaries would redo the work many times. */
  private specialiseOn = false;
  private readonly controlNames = new Map<string, Set<string>>();
  private readonly testedNames = new Map<string, Set<string>>();
  /** The field of a parameter that mirrors whether the lock is held (mirrorCandidate), by function id; null: none. */
  private readonly mirrors = new Map<string, string | null>();
  /** specialisingNames() by function id (phase 2 only: it reads which callees have lock effects). */
  private readonly specialisingNamesMemo = new Map<string, Set<string>>();
  private readonly fieldWrites = new Map<string, FieldWrite[]>();
  private readonly constants = new Map<string, Summary | null>();
  private readonly predicates = new Map<string, Expr | null>();
  private readonly protocolUsers = new Map<string, boolean>();
  private readonly outParams = new Map<string, readonly string[]>();

  /**
   * What a flow of `ref` asks of the program. `conds`: analysed as a configuration where they hold
   * builds it (`!CONFIG_PER_VMA_LOCK`: `move_pages()` calling the `#else` `uffd_move_lock()`).
   */
  env(ref: FnRef, conds?: readonly string[]): FlowEnv {
    const resolve = (name: string) => (conds ? this.table.resolveUnder(name, ref.file, conds) : this.table.resolve(name, ref.file));
    return {
      summary: (callee: string) => {
        const r = resolve(callee);
        if (!r) return undefined;
        return this.summaries.get(r.id) ?? (this.pending.has(r.id) ? BOTTOM : this.constantSummary(r));
      },
      callee: (name: string) => {
        const r = resolve(name);
        if (!r) return undefined;
        return { params: r.fn.params, fieldWrites: this.fieldWritesOf(r), specialise: (facts: string[]) => this.specialise(r, facts), specialises: this.maySpecialise(r), predicate: this.predicateOf(r), controls: this.controlNamesOf(r) };
      },
      extraPrimitives: this.options.extraPrimitives,
      outParams: () => this.outParamsOf(ref),
      // Protocol flags are enumerators too (`enum fault_flag`), but stay bit masks: their bits are the facts.
      known: { constant: (name) => (constantBits(name) ? undefined : this.table.enumValue(name)), instanceConstants: (name) => this.table.instanceConstants(name, ref.file) },
      entryFactsFor: (entry: Mode) => {
        const field = this.mirrors.get(ref.id);
        return field ? [`v:${field}=${entry === 'none' ? 'z' : 'nz'}`] : NO_ENTRY_FACTS;
      },
    };
  }

  /**
   * Parameters `p` whose `*p` the function reads or writes, or hands on to a
   * callee that does (`__get_user_pages(..., locked)` -> `faultin_page()`
   * writes `*locked = 0`): their values at exit are part of its summary.
   */
  outParamsOf(r: FnRef, depth = 0): readonly string[] {
    const known = this.outParams.get(r.id);
    if (known) return known;
    if (depth > 12) return [];
    const params = new Set(r.fn.params.filter(Boolean));
    const out = new Set<string>();
    this.outParams.set(r.id, []);
    walkStmt(r.fn.body, {
      enter: (e) => {
        if (e.k === 'id' && e.name.startsWith('*') && params.has(e.name.slice(1))) out.add(e.name.slice(1));
        else if (e.k === 'assign' && e.lhs.startsWith('*') && params.has(e.lhs.slice(1))) out.add(e.lhs.slice(1));
        else if (e.k === 'call') {
          // `locked ? locked : &local_locked` hands `locked` on too.
          const passed = e.a.map((a) => {
            const m = /^([A-Za-z_][A-Za-z0-9_]*)\s*\?\s*([A-Za-z_][A-Za-z0-9_]*)\s*:/.exec(a);
            return m && m[1] === m[2] ? m[1] : a;
          });
          if (!passed.some((a) => params.has(a) && !out.has(a))) return;
          const c = /^[A-Za-z_][A-Za-z0-9_]*$/.test(e.f) ? this.table.resolve(e.f, r.file) : undefined;
          if (!c || c === r) return;
          const theirs = this.outParamsOf(c, depth + 1);
          passed.forEach((a, k) => {
            if (params.has(a) && theirs.includes(c.fn.params[k] ?? '')) out.add(a);
          });
        }
      },
    });
    const list = r.fn.params.filter((p) => out.has(p));
    this.outParams.set(r.id, list);
    return list;
  }

  /** The flow of a function under the final summaries (computed now if the fixpoint did not need it). */
  flow(ref: FnRef): FlowResult {
    let f = this.flows.get(ref.id);
    if (!f) {
      f = analyseFunction(ref.fn, this.env(ref));
      this.flows.set(ref.id, f);
    }
    return f;
  }

  /**
   * Whether specialise(r, ...) can give anything now, whatever the facts: no summary changes while
   * a function is analysed, so a flow asks once per callee and skips working out the facts.
   */
  private maySpecialise(r: FnRef): boolean {
    if (!this.specialiseOn) return false;
    // Facts can only narrow an uncertain effect, or rule out the path that takes the lock
    // (`sgx_alloc_epc_page(page, false)` never reclaims): a callee with one exit mode per
    // entry mode and no acquisition gains nothing.
    const plain = this.summaries.get(r.id);
    return isUncertain(plain) || hasOuts(plain) || !!plain?.acquires || saysRetryWhileHeld(plain);
  }

  /** The summary of `r` entered with `facts`, computed once per fact set (recursion falls back to the plain one). */
  private specialise(r: FnRef, all: string[]): Summary | undefined {
    if (!this.maySpecialise(r)) return undefined;
    // Only facts about names the callee tests or passes on can change what it does, and among those
    // passed on, only names a callee with a lock effect (or one whose value follows from them) gets.
    const names = this.specialisingNames(r);
    const facts = this.projectFacts(r, contextFacts(all, this.controlNamesOf(r)).filter((f) => names.has(f.slice(2, f.lastIndexOf('=')).replace(/^\*/, '').split('->')[0])));
    if (!facts.length) return undefined;
    const key = `${r.id}|${facts.join(';')}`;
    const known = this.specialised.get(key) ?? this.contextSpecialised?.get(key);
    if (known) return known;
    // Nested specialisations follow a call chain down (a GUP caller's flags reach the fault handlers 12 calls deep).
    if (this.specialising.has(key) || this.specialising.size > 40) return undefined;
    // Bounded per function: past that, callers get the plain summary (keeps a whole-tree check within its time).
    const n = this.specialisedCount.get(r.id) ?? 0;
    if (n >= MAX_SPECIALISED) {
      const near = this.nearestSpecialised(r, facts);
      if (near) (this.contextSpecialised ?? this.specialised).set(key, near);
      return near;
    }
    this.specialisedCount.set(r.id, n + 1);
    this.specialising.add(key);
    try {
      this.stats.specialised++;
      const s = deriveSummary(r, analyseFunction(r.fn, this.env(r), facts), this.summaries.get(r.id));
      (this.contextSpecialised ?? this.specialised).set(key, s);
      let made = this.specialisedFacts.get(r.id);
      if (!made) this.specialisedFacts.set(r.id, (made = []));
      made.push(facts);
      return s;
    } finally {
      this.specialising.delete(key);
    }
  }

  /**
   * Past its budget, a function's callers get the specialisation made with the most of their facts
   * and none they lack (fewer facts: a summary that covers more). `__gup_longterm_locked()` passes
   * `locked` as NULL to a `__get_user_pages_locked()` already specialised to 64 flag combinations;
   * the one for `locked=z` alone still says it keeps the lock.
   */
  private nearestSpecialised(r: FnRef, facts: readonly string[]): Summary | undefined {
    let best: Summary | undefined;
    let bestSize = 0;
    for (const made of this.specialisedFacts.get(r.id) ?? []) {
      if (made.length <= bestSize || made.length > facts.length || !made.every((f) => facts.includes(f))) continue;
      const s = this.specialised.get(`${r.id}|${made.join(';')}`) ?? this.contextSpecialised?.get(`${r.id}|${made.join(';')}`);
      if (!s) continue;
      best = s;
      bestSize = made.length;
    }
    return best;
  }

  /**
   * A parameter (or a parameter's field) whose value alone decides the exit
   * mode for entry mode `entry`: fixed to zero or to non-zero, each leaves one
   * exit mode. That is a contract (`do_vmi_munmap(..., unlock)`), not a leak.
   */
  decidingParameter(r: FnRef, entry: Mode): string | undefined {
    const exits = this.flow(r).exits.filter((s) => s.entry === entry && !s.facts.includes(DEADLOCK));
    // Tested here: the exits still carry what the branches learnt about parameters.
    const names = new Set(exits.flatMap((s) => s.facts.filter((f) => f.startsWith('v:')).map((f) => f.slice(2, f.lastIndexOf('=')))));
    for (const name of names) {
      const modesBy = new Map<string, Set<Mode>>();
      for (const s of exits) {
        const v = factValue(s, 'v:' + name);
        if (v === undefined) break;
        const truthy = v === 'z' ? 'z' : 'nz';
        modesBy.set(truthy, (modesBy.get(truthy) ?? new Set()).add(modeOf(s, 0)));
      }
      const groups = [...modesBy.values()];
      if (modesBy.size === 2 && groups.every((g) => g.size === 1) && exits.every((s) => factValue(s, 'v:' + name) !== undefined)) return name;
    }
    // Only stored into a struct for later (do_vmi_align_munmap -> init_vma_munmap): try both values.
    // Not the lock's own mm, nor the objects every helper is handed: a deciding argument is a flag.
    const params = new Set(r.fn.params.filter((p) => p && !this.flow(r).inst.exprs.includes(p) && !looksLikeObject(p)));
    const passed = new Set<string>();
    walkStmt(r.fn.body, {
      enter: (e) => {
        if (e.k !== 'call' || !e.a.some((a) => params.has(a))) return;
        const c = this.table.resolve(e.f, r.file);
        if (c && this.fieldWritesOf(c).length) for (const a of e.a) if (params.has(a) && !names.has(a)) passed.add(a);
      },
    });
    const exitModes = (fact: string) => {
      const flow = analyseFunction(r.fn, this.env(r), [fact]);
      return new Set(flow.exits.filter((s) => s.entry === entry && !s.facts.includes(DEADLOCK)).map((s) => modeOf(s, 0)));
    };
    for (const name of [...passed].slice(0, 2)) {
      const off = exitModes(`v:${name}=z`);
      const on = exitModes(`v:${name}=nz`);
      if (off.size === 1 && on.size === 1 && [...off][0] !== [...on][0]) return name;
    }
    return undefined;
  }

  /** Whether a function names a protocol flag (`FOLL_UNLOCKABLE`, `FAULT_FLAG_DEFAULT`) or passes a local's address. */
  private mentionsProtocolBits(r: FnRef): boolean {
    let m = this.protocolUsers.get(r.id);
    if (m === undefined) {
      m = false;
      walkStmt(r.fn.body, {
        enter: (e) => {
          if (e.k === 'id' && constantBits(e.name)) m = true;
          else if (e.k === 'call' && e.a.some((a) => PROTOCOL_ARG.test(a))) m = true;
          return !m;
        },
      });
      this.protocolUsers.set(r.id, m);
    }
    return m;
  }

  /** Locals assigned flag constants (`unsigned int fault_flags = 0; ... fault_flags |= FAULT_FLAG_WRITE;`). */
  private protocolLocals(r: FnRef): Set<string> {
    const out = new Set<string>();
    walkStmt(r.fn.body, {
      enter: (e) => {
        if (e.k !== 'assign') return;
        let hit = false;
        walkExpr(e.rhs, { enter: (x) => { if (x.k === 'id' && constantBits(x.name)) hit = true; } });
        if (hit) out.add(e.lhs);
      },
    });
    return out;
  }

  /** Names a function's branches test (`unlock`, `vms->unlock`) or that it passes on to calls. */
  private controlNamesOf(r: FnRef): Set<string> {
    let names = this.controlNames.get(r.id);
    if (names) return names;
    const out = new Set<string>();
    // Names its own branches test, as a context key's facts name them (no `*`, no `->field`).
    const tested = new Set<string>();
    const test = (x: Expr) => {
      if (x.k !== 'id') return;
      out.add(x.name);
      tested.add(x.name.replace(/^\*/, '').split('->')[0]);
    };
    walkStmt(r.fn.body, {
      enter: (e, cond) => {
        if (e.k === 'id' && cond) test(e);
        else if (e.k === 'cond') walkExpr(e.c, { enter: test });
        else if (e.k === 'call') {
          for (const a of e.a) {
            const n = passedName(a);
            if (n) out.add(n);
          }
        }
        // `struct vm_fault vmf = { .flags = flags }`, `unsigned int flags = vmf->flags;`: copied on to be tested or passed later.
        else if (e.k === 'assign' && (e.rhs.k === 'id' || e.rhs.k === 'bits')) walkExpr(e.rhs, { enter: (x) => { if (x.k === 'id') out.add(x.name); } });
      },
    });
    for (const n of [...out]) {
      if (n.includes('->')) out.add(n.split('->')[0]);
      if (n.startsWith('*')) out.add(n.slice(1));
    }
    this.controlNames.set(r.id, (names = out));
    this.testedNames.set(r.id, tested);
    return names;
  }

  /**
   * The names a specialisation key keeps facts about: what the function's own branches test or copy
   * (controlNamesOf), and what it hands to a callee whose result can depend on them: one with a lock
   * effect, a predicate helper, one that writes the struct it is given, or a call through a pointer.
   * Not what only goes to a callee without any (`handle_mm_fault()`'s `regs`, for
   * mm_account_fault()): facts about those told its specialisations apart for nothing, and used up
   * their budget before the flags that matter.
   */
  private specialisingNames(r: FnRef): Set<string> {
    const names = this.specialisingNamesMemo.get(r.id);
    if (names) return names;
    this.controlNamesOf(r);
    const out = new Set(this.testedNames.get(r.id));
    const relevant = (f: string, args: readonly string[]): boolean => {
      if (!IDENT.test(f)) return true;
      if (VALUE_WRAPPERS.has(f) || PROTOCOL_PREDICATES.has(f) || primitiveFor(f, args, this.options.extraPrimitives)) return true;
      const c = this.table.resolve(f, r.file);
      if (!c) return false;
      return this.summaries.has(c.id) || this.pending.has(c.id) || !!this.predicateOf(c) || this.fieldWritesOf(c).length > 0 || this.outParamsOf(c).length > 0;
    };
    walkStmt(r.fn.body, {
      enter: (e) => {
        if (e.k === 'call') {
          // Every name in its arguments: `vmf->flags` (as `vmf`), `flags | FOLL_TRIED`, `write ? FAULT_FLAG_WRITE : 0`.
          if (relevant(e.f, e.a)) for (const a of e.a) for (const m of a.matchAll(/[A-Za-z_][A-Za-z0-9_]*/g)) out.add(m[0]);
        } else if (e.k === 'assign' && (e.rhs.k === 'id' || e.rhs.k === 'bits')) {
          walkExpr(e.rhs, { enter: (x) => { if (x.k === 'id') out.add(x.name.replace(/^\*/, '').split('->')[0]); } });
          out.add(e.lhs.replace(/^\*/, '').split('->')[0]);
        }
      },
    });
    this.specialisingNamesMemo.set(r.id, out);
    return out;
  }

  /**
   * Names a function's branches test, or hands to a callee whose branches test
   * them, down the call chain: `do_pte_missing(vmf)` tests nothing of `vmf`, but
   * `do_anonymous_page(vmf)` -> `handle_userfault(vmf)` -> `assert_fault_locked(vmf)` tests
   * `vmf->flags`. Memoised in `memo`, which the caller drops (it depends on other bodies).
   */
  private deepTested(r: FnRef, memo: Map<string, Set<string>>, depth = 0): Set<string> {
    const known = memo.get(r.id);
    if (known) return known;
    this.controlNamesOf(r);
    const own = this.testedNames.get(r.id)!;
    if (depth > 10) return own;
    const out = new Set(own);
    // A cycle sees what is known so far.
    memo.set(r.id, out);
    for (const site of r.sites) {
      if (!site.a.length || !IDENT.test(site.f)) continue;
      const c = this.table.resolve(site.f, r.file);
      if (!c || c === r) continue;
      const theirs = this.deepTested(c, memo, depth + 1);
      if (!theirs.size) continue;
      site.a.forEach((a, k) => {
        const name = passedName(a)?.split('->')[0];
        const p = c.fn.params[k];
        if (p && name && theirs.has(p)) out.add(name);
      });
    }
    return out;
  }

  /**
   * The protocol bits a function names, itself or down its calls, transitively (`__vmf_anon_prepare()`:
   * FAULT_FLAG_VMA_LOCK only). Facts about other bits cannot change what it does: they are left
   * out of its specialisation keys and contexts, which would otherwise multiply with every flag
   * combination its callers pass (and use up its budget on combinations that all behave alike).
   */
  private deepBits(r: FnRef): ReadonlySet<string> {
    if (!this.bitsNamedBy.size) this.computeDeepBits();
    return this.bitsNamedBy.get(r.id) ?? NO_BITS;
  }

  /** deepBits for every function at once: own names, then callers take their callees' until nothing changes. */
  private computeDeepBits(): void {
    const bitNo = new Map<string, number>();
    const names: string[] = [];
    const own = new Map<string, number>();
    const callers = new Map<string, FnRef[]>();
    const callees = new Map<string, FnRef[]>();
    const all = [...this.table.all()];
    for (const r of all) {
      let m = 0;
      const visit = (e: Expr): void => {
        // A choice's condition too (`(flags & MPOL_MF_WRLOCK) ? &a : &b`), which walks skip.
        if (e.k === 'cond') walkExpr(e.c, { enter: visit });
        if (e.k !== 'id') return;
        for (const b of bitsNamed(e.name)) {
          let k = bitNo.get(b);
          if (k === undefined) {
            bitNo.set(b, (k = names.length));
            names.push(b);
          }
          m |= 1 << k;
        }
      };
      walkStmt(r.fn.body, { enter: visit });
      own.set(r.id, m);
      const cs: FnRef[] = [];
      for (const site of r.sites) {
        if (!IDENT.test(site.f)) continue;
        const c = this.table.resolve(site.f, r.file);
        if (!c || c === r || cs.includes(c)) continue;
        cs.push(c);
        let list = callers.get(c.id);
        if (!list) callers.set(c.id, (list = []));
        list.push(r);
      }
      callees.set(r.id, cs);
    }
    const masks = new Map(own);
    const queue = [...all];
    const queued = new Set(all.map((r) => r.id));
    while (queue.length) {
      const r = queue.pop()!;
      queued.delete(r.id);
      let m = masks.get(r.id) ?? 0;
      const before = m;
      for (const c of callees.get(r.id) ?? []) m |= masks.get(c.id) ?? 0;
      if (m === before) continue;
      masks.set(r.id, m);
      for (const up of callers.get(r.id) ?? []) {
        if (queued.has(up.id)) continue;
        queued.add(up.id);
        queue.push(up);
      }
    }
    const sets = new Map<number, Set<string>>();
    for (const [id, m] of masks) {
      let set = sets.get(m);
      if (!set) sets.set(m, (set = new Set(names.filter((_, k) => m & (1 << k)))));
      this.bitsNamedBy.set(id, set);
    }
  }

  /** Facts with their flag bits narrowed to those the function can look at (deepBits); facts left with none go. */
  private projectFacts(r: FnRef, facts: readonly string[]): string[] {
    if (!facts.some((f) => f[f.lastIndexOf('=') + 1] === 'B')) return [...facts];
    const keep = this.deepBits(r);
    const out: string[] = [];
    for (const f of facts) {
      const eq = f.lastIndexOf('=');
      // Not what an out-parameter points to: the callee hands that value back (`sanitize_fault_flags(vma,
      // &flags)`), and a value narrowed on the way in would come back narrowed.
      if (f[eq + 1] !== 'B' || f.startsWith('v:*')) {
        out.push(f);
        continue;
      }
      const v = projectBits(f.slice(eq + 1) as ValueClass, keep);
      if (v) out.push(f.slice(0, eq + 1) + v);
    }
    return out;
  }

  /** The facts of a context key (`v:a=z;v:b->c=B#...`) about names the function's branches test, itself or down its calls. */
  private testedFacts(r: FnRef, key: string, memo: Map<string, Set<string>>): string {
    const names = this.deepTested(r, memo);
    return this.projectFacts(r, key.split(';').filter((f) => names.has(f.slice(2, f.lastIndexOf('=')).replace(/^\*/, '').split('->')[0]))).join(';');
  }

  /** `return (flags & FAULT_FLAG_ALLOW_RETRY) && !(flags & FAULT_FLAG_TRIED);` as a whole body, no calls: evaluated at each call. */
  private predicateOf(r: FnRef): Expr | undefined {
    if (this.predicates.has(r.id)) return this.predicates.get(r.id) ?? undefined;
    let p: Expr | null = null;
    if (isFeatureOffStub(r)) {
      this.predicates.set(r.id, null);
      return undefined;
    }
    const b = r.fn.body;
    if (b.k === 'block' && b.s.length === 1 && b.s[0].k === 'return' && b.s[0].e && !hasCallIn(b.s[0].e) && hasBits(b.s[0].e)) p = b.s[0].e;
    this.predicates.set(r.id, p);
    return p ?? undefined;
  }

  /**
   * The summary of a function without lock effect that returns only constants: one number
   * (`static inline bool mmap_upgrade_trylock(...) { return false; }`), or up to four fault codes
   * and 0 (`vmf_error()` returns VM_FAULT_OOM, VM_FAULT_HWPOISON or VM_FAULT_SIGBUS). A caller
   * that returns what it got then says VM_FAULT_RETRY only where a callee does.
   */
  private constantSummary(r: FnRef): Summary | undefined {
    let c = this.constants.get(r.id);
    if (c === undefined && isFeatureOffStub(r)) this.constants.set(r.id, (c = null));
    if (c === undefined) {
      const values = new Set<ValueClass>();
      let ok = true;
      walkStmt(r.fn.body, {
        stmt: (st) => {
          if (st.k !== 'return' || !ok) return;
          const v = st.e?.k === 'num' ? numberClass(st.e.v) : st.e?.k === 'id' ? constantClass(st.e.name) : undefined;
          if (v) values.add(v);
          else ok = false;
        },
      });
      const list = [...values];
      // Several values only when they are fault codes (and 0): other numbers each mean something of their own.
      // Not VM_FAULT_RETRY or VM_FAULT_COMPLETED: from a function that never drops the lock, they come
      // under flags (FAULT_FLAG_VMA_LOCK) that only a specialised analysis of a body can tell.
      if (!ok || !list.length || list.length > 4 || (list.length > 1 && !list.every((v) => v === 'z' || v[0] === 'B'))) c = null;
      else if (list.some((v) => RELEASED_BITS.some((x) => bitsOf(v).on.has(x)))) c = null;
      else c = { trans: { none: list.map((v) => ['none', v]), read: list.map((v) => ['read', v]), write: list.map((v) => ['write', v]) } };
      this.constants.set(r.id, c);
    }
    return c ?? undefined;
  }

  private fieldWritesOf(r: FnRef): FieldWrite[] {
    let w = this.fieldWrites.get(r.id);
    if (!w) this.fieldWrites.set(r.id, (w = structWrites(r.fn)));
    return w;
  }

  summary(ref: FnRef): Summary {
    return this.summaries.get(ref.id) ?? IDENTITY;
  }

  analyse(): void {
    this.summaries.clear();
    this.specialised.clear();
    this.specialisedFacts.clear();
    this.bitsNamedBy.clear();
    this.specialisedCount.clear();
    this.fieldWrites.clear();
    this.constants.clear();
    this.predicates.clear();
    this.protocolUsers.clear();
    this.outParams.clear();
    this.controlNames.clear();
    this.testedNames.clear();
    this.specialisingNamesMemo.clear();
    this.mirrors.clear();
    this.pending.clear();
    this.assumed.clear();
    this.flows.clear();
    this.entries.clear();
    this.sites.clear();
    this.registeredAs.clear();
    const t0 = Date.now();
    this.computeSummaries();
    const t1 = Date.now();
    this.computeEntries();
    this.stats.summaryMs = t1 - t0;
    this.stats.entryMs = Date.now() - t1;
  }

  private readonly assumed = new Set<string>();

  /** Who calls each name (any definition of it); kept up to date by update(). */
  private callersOf = new Map<string, Set<FnRef>>();
  private rank = new Map<string, number>();

  /** Functions whose bodies call `name` (any definition of it). */
  callersOfName(name: string): ReadonlySet<FnRef> {
    return this.callersOf.get(name) ?? new Set();
  }

  private indexCallers(r: FnRef, add: boolean): void {
    for (const name of r.calls) {
      let set = this.callersOf.get(name);
      if (!set) this.callersOf.set(name, (set = new Set()));
      if (add) set.add(r);
      else set.delete(r);
    }
  }

  private newQueue(): RankQueue {
    return new RankQueue((r: FnRef) => this.rank.get(r.id) ?? this.rank.size);
  }

  private enqueueCallers(queue: RankQueue, r: FnRef): void {
    for (const c of this.callersOf.get(r.fn.name) ?? []) if (this.table.resolve(r.fn.name, c.file) === r) queue.push(c);
  }

  /** A requirement stated in prose (kerneldoc `Context:`, "caller must hold mmap_lock"), as a summary. */
  private proseSummary(r: FnRef): Summary | undefined {
    const prose = statedRequirement(r.fn, takesLockItself(r, this.options.extraPrimitives));
    return prose ? { ...IDENTITY, requires: { modes: prose.modes, why: `documents: "${prose.text}"`, source: 'doc', file: r.file, at: r.fn.nameAt } } : undefined;
  }

  /** Analyses queued functions until their summaries stop changing; returns the ids whose summary changed. */
  private drain(queue: RankQueue): Set<string> {
    const changed = new Set<string>();
    const runs = new Map<string, number>();
    while (queue.size) {
      const r = queue.pop()!;
      if (this.assumed.has(r.id)) continue;
      const n = (runs.get(r.id) ?? 0) + 1;
      if (n > MAX_REANALYSES) continue;
      runs.set(r.id, n);
      if (n > 1) this.stats.reanalyses++;
      let flow = analyseFunction(r.fn, this.env(r));
      // A lock-mirroring field is assumed at entry only while it holds on every exit so assumed (an
      // invariant), checked again each time the callees' summaries change the function's flow.
      const mirror = this.mirrors.get(r.id);
      if (mirror === undefined) {
        const field = mirrorCandidate(r, flow, this.controlNamesOf(r));
        this.mirrors.set(r.id, field ?? null);
        if (field) {
          const assumed = analyseFunction(r.fn, this.env(r));
          if (mirrorHolds(assumed.exits, field)) flow = assumed;
          else this.mirrors.set(r.id, null);
        }
      } else if (mirror && !mirrorHolds(flow.exits, mirror)) {
        this.mirrors.set(r.id, null);
        flow = analyseFunction(r.fn, this.env(r));
      }
      this.pending.delete(r.id);
      this.flows.set(r.id, flow);
      const prev = this.summaries.get(r.id);
      const next = deriveSummary(r, flow, prev);
      if (!prev || !sameSummary(prev, next)) {
        this.summaries.set(r.id, next);
        changed.add(r.id);
        // Specialised summaries are only made once plain ones have converged; later changes refine them and are not redone.
        this.enqueueCallers(queue, r);
      }
    }
    return changed;
  }

  private computeSummaries(): void {
    const all = this.table.all();
    this.stats.functions = all.length;
    this.callersOf = new Map();
    for (const r of all) this.indexCallers(r, true);
    // Callees before callers, so most functions are analysed once, with their callees' final summaries.
    this.rank = this.calleesFirstRank(all);
    const queue = this.newQueue();
    for (const r of all) {
      const prose = this.proseSummary(r);
      if (prose) {
        this.summaries.set(r.id, prose);
        this.enqueueCallers(queue, r);
      }
      // `*gup_flags_p = gup_flags` after `if (locked) gup_flags |= FOLL_UNLOCKABLE`: a summary says what the caller's flags become.
      if (usesLockDirectly(r, this.options.extraPrimitives) || (this.outParamsOf(r).length && this.mentionsProtocolBits(r) && writesOut(r))) {
        queue.push(r);
        if (!this.summaries.has(r.id)) this.pending.add(r.id);
      }
    }
    // Overrides: a fixed identity summary, never analysed.
    for (const name of this.options.assumeNoEffect ?? []) {
      for (const r of this.table.byName.get(name) ?? []) {
        this.summaries.set(r.id, { ...IDENTITY });
        this.pending.delete(r.id);
        this.assumed.add(r.id);
      }
    }
    this.specialiseOn = false;
    this.drain(queue);
    // Second phase: calls whose arguments decide the callee's effect (`do_vmi_munmap(..., false)`).
    this.specialiseOn = true;
    for (const id of this.flows.keys()) {
      const r = this.table.byId.get(id)!;
      if (this.passesKnownValues(r)) {
        queue.push(r);
        this.stats.phase2++;
      }
    }
    this.drain(queue);
    this.stats.analysed = this.flows.size;
  }

  /**
   * One file changed (an edit): functions whose IR only moved keep their
   * flows (their spans are shifted in place, and flows share those spans);
   * changed ones are re-analysed, summary changes travel to callers, and
   * entry states are recomputed only if some call site now holds other modes.
   */
  update(ir: FileIR): { changed: number; reanalysed: number; entriesRecomputed: boolean } {
    const before = this.stats.reanalyses;
    const oldRefs = new Map((this.table.byFile.get(ir.file) ?? []).map((r) => [r.id, r]));
    const ids = FunctionTable.idsFor(ir);
    const changed = new Set<string>();
    ir.functions = ir.functions.map((fn, i) => {
      const old = oldRefs.get(ids[i])?.fn;
      // The CFG makes a few spans of its own (loop ends, guard releases): those the flow's events
      // hold move too (the flow keeps no CFG; one built later takes the moved IR's spans).
      if (old && shiftIfOnlyMoved(old, fn, this.flows.get(ids[i])?.events.map((e) => e.at))) return old;
      changed.add(ids[i]);
      return fn;
    });
    const idSet = new Set(ids);
    const removed = [...oldRefs.keys()].filter((id) => !idSet.has(id));
    // Which bits a function can look at follows its callees' bodies.
    if (changed.size || removed.length) this.bitsNamedBy.clear();
    for (const id of [...changed, ...removed]) this.callConditions.delete(id);
    // What a local points at follows enumerators anywhere in the tree.
    this.localInstances.clear();
    // Line flows follow flows and summaries, which this may change anywhere: made again on demand.
    this.lineFlowCache.clear();
    this.lineSpecialised = undefined;
    const callbacksBefore = callbackShape(this.table.callbacks.filter((c) => c.file === ir.file));
    const knownBefore = this.table.knownValuesOf(ir.file);
    for (const r of oldRefs.values()) this.indexCallers(r, false);
    this.table.removeFile(ir.file);
    this.table.addFile(ir);
    for (const r of this.table.byFile.get(ir.file) ?? []) this.indexCallers(r, true);
    // Enumerators or enum members changed: any file's comparisons, switches and ops tables may read
    // them, so everything is analysed again (a header's enum is rarely edited).
    if (this.table.knownValuesOf(ir.file) !== knownBefore) {
      this.analyse();
      return { changed: changed.size, reanalysed: this.flows.size, entriesRecomputed: true };
    }
    // Other registrations (an ops table's `.walk_lock = PGWALK_WRLOCK`): the file's functions, which
    // alone see its tables, are analysed again with the new members.
    if (callbackShape(this.table.callbacks.filter((c) => c.file === ir.file)) !== callbacksBefore) {
      for (const r of this.table.byFile.get(ir.file) ?? []) changed.add(r.id);
    }
    for (const id of [...changed, ...removed]) {
      this.flows.delete(id);
      this.controlNames.delete(id);
      this.testedNames.delete(id);
      this.mirrors.delete(id);
      this.specialisingNamesMemo.clear();
      this.fieldWrites.delete(id);
      this.constants.delete(id);
      this.predicates.delete(id);
      this.protocolUsers.delete(id);
      this.outParams.clear();
    }
    for (const id of removed) this.summaries.delete(id);
    const queue = this.newQueue();
    for (const id of changed) {
      const r = this.table.byId.get(id);
      if (!r) continue;
      const prose = this.proseSummary(r);
      if (prose) this.summaries.set(r.id, prose);
      else if (!usesLockDirectly(r, this.options.extraPrimitives) && !this.summaries.has(r.id)) continue;
      queue.push(r);
    }
    const summaryChanged = this.drain(queue);
    if (summaryChanged.size) {
      this.specialised.clear();
      this.specialisedFacts.clear();
    }
    // Callers whose flows were redone, and changed functions: do their call sites hold other modes now?
    const resited = new Set([...changed, ...summaryChanged, ...[...this.flows.keys()].filter((id) => !this.sites.has(id))]);
    for (const r of this.table.byFile.get(ir.file) ?? []) resited.add(r.id);
    let sameModes = callbackShape(this.table.callbacks.filter((c) => c.file === ir.file)) === callbacksBefore && !removed.length;
    const moved = new Map<string, Map<string, Span>>();
    for (const id of resited) {
      const r = this.table.byId.get(id);
      if (!r) continue;
      const old = this.sites.get(id) ?? [];
      const now = this.siteStates(r);
      // Only calls that reach an indexed function or a callback can change anyone's entry state.
      const reaches = (x: SiteStates) => !!callbackCall(x.site.f) || !!this.table.resolve(x.site.f, r.file);
      if (siteShape(old.filter(reaches)) !== siteShape(now.filter(reaches))) sameModes = false;
      else {
        const nowReaching = now.filter(reaches);
        moved.set(id, new Map(old.filter(reaches).map((s, k) => [`${s.site.at[0]}:${s.site.at[1]}`, nowReaching[k].site.at])));
      }
      this.sites.set(id, now);
    }
    if (!sameModes) {
      this.entries.clear();
      this.registeredAs.clear();
      this.computeEntries();
    } else {
      // Same modes everywhere: only the call sites' positions in the edited functions moved.
      for (const [callerId, m] of moved) {
        for (const src of this.sourcesByCaller.get(callerId) ?? []) {
          const at = src.at ? m.get(`${src.at[0]}:${src.at[1]}`) : undefined;
          if (at) src.at = at;
        }
      }
      // Same registrations too (sameModes compares them): only this file's moved. Its callbacks are last
      // in the table now, so appending them keeps the order a full collection would give. A new
      // definition may be what another file's registration now names: then collect them all.
      if (ids.some((id) => !oldRefs.has(id))) {
        this.registeredAs.clear();
        this.collectRegistrations();
        return { changed: changed.size, reanalysed: this.stats.reanalyses - before + queue.size, entriesRecomputed: false };
      }
      for (const [id, regs] of this.registeredAs) {
        const kept = regs.filter((x) => x.file !== ir.file);
        if (kept.length === regs.length) continue;
        if (kept.length) this.registeredAs.set(id, kept);
        else this.registeredAs.delete(id);
      }
      for (const cb of this.table.callbacks) if (cb.file === ir.file) this.register(cb);
    }
    return { changed: changed.size, reanalysed: this.stats.reanalyses - before + queue.size, entriesRecomputed: !sameModes };
  }

  /** Post-order of a depth-first walk over resolved calls: a function's callees rank below it (cycles aside). */
  private calleesFirstRank(all: FnRef[]): Map<string, number> {
    const rank = new Map<string, number>();
    const state = new Map<string, 1 | 2>();
    for (const root of all) {
      if (state.has(root.id)) continue;
      const stack: Array<{ ref: FnRef; callees: FnRef[]; i: number }> = [{ ref: root, callees: this.callees(root), i: 0 }];
      state.set(root.id, 1);
      while (stack.length) {
        const top = stack[stack.length - 1];
        if (top.i < top.callees.length) {
          const c = top.callees[top.i++];
          if (!state.has(c.id)) {
            state.set(c.id, 1);
            stack.push({ ref: c, callees: this.callees(c), i: 0 });
          }
        } else {
          state.set(top.ref.id, 2);
          rank.set(top.ref.id, rank.size);
          stack.pop();
        }
      }
    }
    return rank;
  }

  /** Whether a function passes a literal to a callee with a lock effect, or calls a struct-init helper. */
  private passesKnownValues(r: FnRef): boolean {
    for (const s of r.sites) {
      const c = this.table.resolve(s.f, r.file);
      if (!c) continue;
      if (this.fieldWritesOf(c).length) return true;
      // A literal, or the caller's own parameter (split on its two values by the dataflow).
      if (!isUncertain(this.summaries.get(c.id))) continue;
      const controls = this.controlNamesOf(c);
      if (s.a.some((a, k) => (LITERAL.test(a) || (r.fn.params.includes(a) && !looksLikeObject(a))) && controls.has(c.fn.params[k] ?? ''))) return true;
      // Protocol flag bits in an argument, or in a local passed on (`fault_flags |= FAULT_FLAG_ALLOW_RETRY`), or a local's address.
      if (this.mentionsProtocolBits(r)) {
        const locals = this.protocolLocals(r);
        if (s.a.some((a, k) => controls.has(c.fn.params[k] ?? '') && (PROTOCOL_ARG.test(a) || locals.has(a)))) return true;
      }
    }
    return false;
  }

  private callees(r: FnRef): FnRef[] {
    const out: FnRef[] = [];
    for (const name of r.calls) {
      const c = this.table.resolve(name, r.file);
      if (c && c !== r) out.push(c);
    }
    return out;
  }

  private computeEntries(): void {
    this.sourcesByCaller.clear();
    this.contexts.clear();
    this.contextSites.clear();
    const all = this.table.all();
    // Call sites with states, per caller.
    for (const r of all) this.sites.set(r.id, this.siteStates(r));
    const implsOf = this.collectRegistrations();
    // Ops struct instances (`static const struct mm_walk_ops queue_pages_walk_ops = {...}`) and
    // their members' implementations, for instances passed by address to a walker.
    const byInstance = new Map<string, Array<{ ref: FnRef; struct: string; member: string }>>();
    for (const cb of this.table.callbacks) {
      if (!cb.instance || cb.struct === 'vm_operations_struct' || cb.struct === 'file_operations') continue;
      const ref = this.table.resolve(cb.fn, cb.file);
      if (!ref) continue;
      const list = byInstance.get(cb.instance) ?? [];
      list.push({ ref, struct: cb.struct, member: cb.member });
      byInstance.set(cb.instance, list);
    }
    // Instances some call passes (`walk_page_range(mm, s, e, &queue_pages_walk_ops, &qp)`): their
    // members run inside that call, in its state, so the walker's member calls do not merge them.
    // An instance is an object, passed by address: a bare `pmu` is a local or a parameter.
    // A walker is a function of the index whose file calls a member of the instance through a
    // pointer (`ops->pte_entry(...)` in mm/pagewalk.c); registration calls (proc_create(), macros) are not.
    const calledMembers = (r: FnRef): Set<string> => {
      const out = new Set<string>();
      for (const site of r.sites) {
        const m = memberName(site.f);
        if (m) out.add(m);
      }
      return out;
    };
    // Whether `w` or what it calls in its own file (a few levels down: walk_page_range ->
    // __walk_page_range -> walk_pgd_range -> ... -> ops->pte_entry) calls one of these members.
    const walkerMemo = new Map<string, boolean>();
    const callsMember = (w: FnRef, members: readonly string[]): boolean => {
      const key = `${w.id}\0${members.join(',')}`;
      let hit = walkerMemo.get(key);
      if (hit !== undefined) return hit;
      hit = false;
      const seen = new Set<string>([w.id]);
      let layer = [w];
      for (let depth = 0; depth < 6 && layer.length && !hit; depth++) {
        const next: FnRef[] = [];
        for (const f of layer) {
          const cm = calledMembers(f);
          if (members.some((m) => cm.has(m))) {
            hit = true;
            break;
          }
          for (const name of f.calls) {
            const g = IDENT.test(name) ? this.table.resolve(name, f.file) : undefined;
            if (g && g.file === w.file && !seen.has(g.id)) {
              seen.add(g.id);
              next.push(g);
            }
          }
        }
        layer = next;
      }
      walkerMemo.set(key, hit);
      return hit;
    };
    /**
     * The ops instances an argument names by address: `&smaps_walk_ops`, either arm of
     * `c ? &a_ops : &b_ops`, or a local the caller set to one of those (mempolicy's
     * `ops = (flags & MPOL_MF_WRLOCK) ? &queue_pages_lock_vma_walk_ops : &queue_pages_walk_ops`).
     */
    const localAddrs = new Map<string, Map<string, string[]>>();
    // Locals are looked for only in files that define ops tables (where such a choice is made): a
    // walk of every caller's body for every call would cost more than it finds.
    const tableFiles = new Set(this.table.callbacks.filter((cb) => cb.instance && byInstance.has(cb.instance)).map((cb) => cb.file));
    const addressed = (caller: FnRef, arg: string): string[] => {
      const inst = /^&([A-Za-z_][A-Za-z0-9_]*)$/.exec(arg)?.[1];
      if (inst) return [inst];
      const inner = enclosed(arg);
      if (inner !== undefined) return addressed(caller, inner);
      const arms = arg.includes('?') ? ternaryArms(arg) : undefined;
      if (arms) return arms.flatMap((x) => addressed(caller, x));
      if (!IDENT.test(arg) || !tableFiles.has(caller.file)) return [];
      let locals = localAddrs.get(caller.id);
      if (!locals) {
        locals = new Map();
        const addrsOf = (e: Expr): string[] => (e.k === 'other' && e.addr ? [e.addr] : e.k === 'cond' ? [...addrsOf(e.a), ...addrsOf(e.b)] : []);
        const found = locals;
        walkStmt(caller.fn.body, { enter: (e) => { if (e.k === 'assign' && e.op === '=' && IDENT.test(e.lhs)) found.set(e.lhs, [...(found.get(e.lhs) ?? []), ...addrsOf(e.rhs)]); } });
        localAddrs.set(caller.id, locals);
      }
      return locals.get(arg) ?? [];
    };
    /** The ops instances a call passes by address to a walker that calls their members. */
    const instancesPassed = (caller: FnRef, site: CallSite): string[] => {
      const out: string[] = [];
      let w: FnRef | undefined | null = null;
      for (const a of site.a) {
        for (const inst of addressed(caller, a)) {
          const impls = byInstance.get(inst);
          if (!impls || impls.some((x) => x.struct === 'seq_operations')) continue;
          if (w === null) w = IDENT.test(site.f) ? this.table.resolve(site.f, caller.file) : undefined;
          if (w && callsMember(w, impls.map((x) => x.member)) && !out.includes(inst)) out.push(inst);
        }
      }
      return out;
    };
    const passedInstances = new Set<string>();
    for (const r of all) for (const site of r.sites) for (const inst of instancesPassed(r, site)) passedInstances.add(inst);
    const passedImpl = new Set<string>();
    for (const inst of passedInstances) for (const x of byInstance.get(inst)!) passedImpl.add(x.ref.id);
    // Who calls whom: a call means the definition the default configuration builds, and code
    // outside that configuration (mm/nommu.c, other architectures) calls nothing on its behalf.
    /** Functions a call passes to a walker `w` that calls the parameter they land in. */
    const functionsPassed = (caller: FnRef, site: CallSite, w: FnRef): Array<{ param: string; fn: FnRef }> => {
      const out: Array<{ param: string; fn: FnRef }> = [];
      site.a.forEach((a, k) => {
        const param = w.fn.params[k];
        if (!param || !w.calls.includes(param) || !/^&?[A-Za-z_][A-Za-z0-9_]*$/.test(a) || caller.fn.params.includes(a)) return;
        const fn = this.table.resolve(a.replace(/^&/, ''), caller.file);
        if (fn && fn !== w) out.push({ param, fn });
      });
      return out;
    };
    // Code another configuration builds sends no states into the default build's code, except into
    // a function only it calls (`ksm_disable()`, called from s390's gmap code alone): that one is
    // entered as those callers leave it, not as an entry point with nothing held.
    let orphans: Map<string, string> | undefined;
    const targetsOf = (caller: FnRef, site: CallSite): Array<{ ref: FnRef; via?: string }> => {
      const notBuilt = this.table.notBuiltReason(caller);
      if (notBuilt) {
        // Within one other configuration (s390's s390_disable_cow_sharing() calling its
        // __s390_disable_cow_sharing()), calls propagate as in the default one.
        const ref = IDENT.test(site.f) ? this.table.resolve(site.f, caller.file) : undefined;
        if (ref && this.table.notBuiltReason(ref) === notBuilt) return [{ ref }];
        const why = ref && orphans?.get(ref.id);
        return ref && why ? [{ ref, via: `code only another configuration builds (${why})` }] : [];
      }
      const known = callbackCall(site.f);
      if (known) return (implsOf.get(`${known.struct}.${known.member}`) ?? []).map((ref) => ({ ref, via: `${known.struct}.${known.member}` }));
      const cb = memberCall(site.f);
      if (cb) return (implsOf.get(`${cb.struct}.${cb.member}`) ?? []).filter((ref) => !passedImpl.has(ref.id)).map((ref) => ({ ref, via: `${cb.struct}.${cb.member}` }));
      if (!IDENT.test(site.f)) return [];
      if (caller.fn.params.includes(site.f)) {
        // A walker with no lock effect of its own calls `visit` in the state its caller passed it
        // in: that edge is made at each passing call (below), so walkers do not merge their callers.
        if (!this.flows.get(caller.id)) return [];
        return (passed.get(`${caller.id}\0${site.f}`) ?? []).map((ref) => ({ ref, via: `${caller.fn.name}()'s ${site.f} parameter` }));
      }
      const ref = this.table.resolve(site.f, caller.file);
      const out: Array<{ ref: FnRef; via?: string }> = ref ? [{ ref }] : [];
      for (const inst of instancesPassed(caller, site)) {
        for (const x of byInstance.get(inst)!) out.push({ ref: x.ref, via: `${x.struct}.${x.member} of ${inst}, passed to ${site.f}()` });
      }
      if (ref && !this.flows.get(ref.id)) for (const { fn } of functionsPassed(caller, site, ref)) out.push({ ref: fn, via: `passed to ${ref.fn.name}()` });
      return out;
    };
    // `walk->ops->test_walk(...)`, `event->pmu->event_mapped(...)`: a member call through an ops
    // struct we have no field table for means that member of the one struct type that registers it.
    const structsOf = new Map<string, Set<string>>();
    for (const key of implsOf.keys()) {
      const dot = key.indexOf('.');
      const member = key.slice(dot + 1);
      let set = structsOf.get(member);
      if (!set) structsOf.set(member, (set = new Set()));
      set.add(key.slice(0, dot));
    }
    const memberCall = (callee: string): { struct: string; member: string } | undefined => {
      const member = memberName(callee);
      const structs = member ? structsOf.get(member) : undefined;
      return structs?.size === 1 ? { struct: [...structs][0], member: member! } : undefined;
    };
    // Functions passed as arguments to a function that calls that parameter
    // (`madvise_walk_vmas(mm, ..., madvise_vma_behavior)`, whose loop calls `visit(vma, ...)`):
    // the parameter's call inside the walker calls every function its callers pass for it.
    const passed = new Map<string, FnRef[]>();
    for (const r of all) {
      if (this.table.notBuiltReason(r)) continue;
      for (const site of r.sites) {
        const w = site.a.length && IDENT.test(site.f) ? this.table.resolve(site.f, r.file) : undefined;
        if (!w) continue;
        for (const { param, fn } of functionsPassed(r, site, w)) {
          const key = `${w.id}\0${param}`;
          const list = passed.get(key) ?? [];
          if (!list.includes(fn)) list.push(fn);
          passed.set(key, list);
        }
      }
    }
    // Targets of each call site, worked out once: the fixpoint below visits a caller again each
    // time its entry grows.
    const targetCache = new Map<CallSite, Array<{ ref: FnRef; via?: string }>>();
    const targetsAt = (caller: FnRef, site: CallSite): Array<{ ref: FnRef; via?: string }> => {
      let t = targetCache.get(site);
      if (!t) targetCache.set(site, (t = targetsOf(caller, site)));
      return t;
    };
    const hasCallers = new Set<string>();
    const calledBack = new Set<string>();
    const countCallers = (callers: Iterable<FnRef>) => {
      for (const r of callers) {
        for (const s of this.sites.get(r.id)!) {
          for (const t of targetsAt(r, s.site)) {
            if (t.ref === r) continue;
            hasCallers.add(t.ref.id);
            if (t.via) calledBack.add(t.ref.id);
          }
        }
      }
    };
    countCallers(all);
    // Orphans: called only from the code of one other configuration (one architecture; several
    // would merge their states, which is what sending them nowhere else avoids).
    const reasons = new Map<string, Set<string>>();
    for (const r of all) {
      const why = this.table.notBuiltReason(r);
      if (!why) continue;
      for (const site of r.sites) {
        const ref = IDENT.test(site.f) ? this.table.resolve(site.f, r.file) : undefined;
        if (!ref || ref === r || hasCallers.has(ref.id) || ref.fn.syscall || this.table.notBuiltReason(ref)) continue;
        let set = reasons.get(ref.id);
        if (!set) reasons.set(ref.id, (set = new Set()));
        set.add(why);
      }
    }
    orphans = new Map();
    for (const [id, set] of reasons) if (set.size === 1) orphans.set(id, [...set][0]);
    // Only calls from other configurations' code reach orphans: count those again.
    const otherConfig = all.filter((r) => this.table.notBuiltReason(r));
    for (const r of otherConfig) for (const s of this.sites.get(r.id)!) targetCache.delete(s.site);
    countCallers(otherConfig);
    const tested = new Map<string, Set<string>>();
    /** Records that `ref` is entered holding `modes` with argument facts `key`; whether that is new. */
    const addContext = (ref: FnRef, key: string, modes: readonly Mode[]): boolean => {
      let m = this.contexts.get(ref.id);
      if (!m) this.contexts.set(ref.id, (m = new Map()));
      // A function with lock effects is costly to analyse again: only for facts its branches test, itself or down its calls.
      if (key && this.flows.get(ref.id)) key = this.testedFacts(ref, key, tested);
      let grew = false;
      if (key && !m.has(key) && m.size - (m.has('') ? 1 : 0) >= MAX_CONTEXTS) {
        // Too many: two of them (the new one or two old ones) merge into what both say (analysed
        // afresh: it reaches all either reached), or else the new one goes to the plain entry. Two
        // that agree on whether none comes in merge first: merging a context entered with none (the
        // per-VMA-lock fault path, FAULT_FLAG_VMA_LOCK) into ones entered holding the lock would
        // let its none reach the branches only they take.
        const same = (a: ReadonlySet<Mode> | readonly Mode[], b: ReadonlySet<Mode> | readonly Mode[]) => [...a].includes('none') === [...b].includes('none');
        const olds = [...m.keys()].filter((k) => k);
        let best: { a: string; b: string; joined: string; score: number } | undefined;
        const consider = (a: string, b: string, ma: ReadonlySet<Mode> | readonly Mode[], mb: ReadonlySet<Mode> | readonly Mode[]) => {
          const joined = joinContexts(a, b);
          const w = joined ? contextWeight(joined) : 0;
          // Two that agree on none may even merge into the plain entry ('').
          if (!w && !same(ma, mb)) return;
          // Then two entered in the same modes, and two whose facts do not contradict: such a merge
          // loses facts, not which mode comes with which value (the writers' PGWALK_WRLOCK and
          // PGWALK_WRLOCK_VERIFY walks merge; the readers' keeps PGWALK_RDLOCK).
          const sameModes = [...ma].length === [...mb].length && [...ma].every((x) => [...mb].includes(x));
          const score = w + (same(ma, mb) ? 1_000_000 : 0) + (sameModes ? 1_000 : 0) - (!sameModes && contextsConflict(a, b) ? 500 : 0);
          if (!best || score > best.score) best = { a, b, joined, score };
        };
        for (const old of olds) consider(old, key, m.get(old)!, modes);
        for (let i = 0; i < olds.length; i++) for (let j = i + 1; j < olds.length; j++) consider(olds[i], olds[j], m.get(olds[i])!, m.get(olds[j])!);
        const chosen = best as { a: string; b: string; joined: string; score: number } | undefined;
        if (chosen && chosen.b !== key) {
          // Two old ones merge; the new one gets the slot they free.
          const merged = new Set([...m.get(chosen.a)!, ...m.get(chosen.b)!]);
          m.delete(chosen.a);
          m.delete(chosen.b);
          const there = m.get(chosen.joined);
          if (there) for (const x of merged) there.add(x);
          else m.set(chosen.joined, merged);
          grew = true;
        } else if (chosen) {
          const moved = m.get(chosen.a)!;
          m.delete(chosen.a);
          const there = m.get(chosen.joined);
          if (there) for (const x of moved) there.add(x);
          else m.set(chosen.joined, moved);
          key = chosen.joined;
          grew = true;
        } else key = '';
      }
      let set = m.get(key);
      if (!set) m.set(key, (set = new Set()));
      for (const x of modes) {
        if (set.has(x)) continue;
        set.add(x);
        grew = true;
      }
      return grew;
    };
    // A mode new to a function is new to one of its contexts: what addContext says covers both.
    const add = (ref: FnRef, src: EntrySource, key = ''): boolean => {
      let m = this.entries.get(ref.id);
      if (!m) this.entries.set(ref.id, (m = new Map()));
      for (const mode of src.modes) {
        let list = m.get(mode);
        if (!list) m.set(mode, (list = []));
        const same = list.find((x) => x.callerId === src.callerId && x.at?.[0] === src.at?.[0] && x.kind === src.kind);
        if (!same && list.length < 50) {
          const stored = { ...src, modes: ONE_MODE[mode] };
          list.push(stored);
          if (stored.callerId) {
            const byCaller = this.sourcesByCaller.get(stored.callerId);
            if (byCaller) byCaller.push(stored);
            else this.sourcesByCaller.set(stored.callerId, [stored]);
          }
        }
      }
      return addContext(ref, key, src.modes);
    };
    const queue: FnRef[] = [];
    // Calls inside the API's own bodies: mmap_write_unlock() calls vma_end_write_all() before its
    // up_write(), so with the write lock held; mmap_write_lock() calls mm_lock_seqcount_begin() after.
    const fromPrimitives: Array<{ ref: FnRef; src: EntrySource }> = [];
    for (const [file, bodies] of this.table.primitiveBodies) {
      for (const body of bodies) {
        const p = primitiveFor(body.name, ['&mm->mmap_lock']);
        if (!p) continue;
        const pre: Mode[] = p.kind === 'acquire' ? ['none'] : p.kind === 'assert' ? p.accepts ?? [p.mode] : [p.mode];
        const post: Mode[] = p.kind === 'acquire' ? [p.mode] : p.kind === 'release' ? ['none'] : p.kind === 'downgrade' ? ['read'] : pre;
        let passed = false;
        for (const site of body.sites) {
          if (primitiveFor(site.f, site.a)) {
            passed = true;
            continue;
          }
          if (!IDENT.test(site.f)) continue;
          const ref = this.table.resolve(site.f, file);
          if (!ref) continue;
          const modes = passed ? post : pre;
          fromPrimitives.push({ ref, src: { kind: 'root', modes, why: `called inside ${body.name}() (${file}), where mmap_lock is ${modes.join('|')}` } });
          hasCallers.add(ref.id);
        }
      }
    }
    // Another configuration's definition of a function the tree calls (mm/nommu.c, a header's
    // `#else` stub, another architecture's hook) has no callers of its own: the same call sites
    // reach it when its configuration is built, so it is entered as its default twin is.
    const twins: Array<{ r: FnRef; twin: FnRef }> = [];
    for (const r of all) {
      if (hasCallers.has(r.id) || r.fn.syscall) continue;
      // A file's own static function twinned under `#ifdef`/`#else` (userfaultfd.c's uffd_move_unlock()).
      const local = r.fn.isStatic && !r.file.endsWith('.h');
      const twin = (this.table.byName.get(r.fn.name) ?? []).find((t) => t !== r && hasCallers.has(t.id) && (local
        ? t.file === r.file && configConditions(r, t).length > 0
        : !(t.fn.isStatic && !t.file.endsWith('.h'))));
      if (twin) twins.push({ r, twin });
    }
    const twinIds = new Set(twins.map((t) => t.r.id));
    // seq_file: ->show and ->next run between ->start and ->stop of the same seq_operations, so in
    // the state start returns a record in (proc's m_start takes mmap_read_lock, m_stop drops it).
    const seqEntry = new Map<string, { modes: Mode[]; why: string }>();
    for (const [inst, list] of byInstance) {
      const start = list.find((x) => x.struct === 'seq_operations' && x.member === 'start');
      const sum = start && this.summaries.get(start.ref.id);
      if (!start || !sum) continue;
      for (const x of list) {
        if (x.struct !== 'seq_operations' || x.member === 'start' || x.ref === start.ref) continue;
        const pairs = x.member === 'stop' ? sum.trans.none : sum.trans.none.filter(([, v]) => v !== 'z' && v !== 'e');
        const modes = MODES.filter((m) => pairs.some(([pm]) => pm === m));
        if (!modes.length || (modes.length === 1 && modes[0] === 'none')) continue;
        seqEntry.set(x.ref.id, { modes, why: `seq_file: ${inst}.${x.member} runs after ${inst}.start, ${start.ref.fn.name}(), which ${x.member === 'stop' ? 'leaves' : 'returns a record with'} mmap_lock ${modes.join('|')}` });
      }
    }
    for (const r of all) {
      if ((hasCallers.has(r.id) && !r.fn.syscall) || twinIds.has(r.id)) continue;
      const req = this.summaries.get(r.id)?.requires;
      const regs = this.registeredAs.get(r.id) ?? [];
      const reg = regs.find((x) => documentedContext(x.struct, x.member)) ?? regs[0];
      const doc = reg ? documentedContext(reg.struct, reg.member) : undefined;
      let src: EntrySource;
      const notBuilt = this.table.notBuiltReason(r);
      const seq = seqEntry.get(r.id);
      let mmapLike: ReturnType<typeof looksLikeMmapHandler>;
      if (seq && !hasCallers.has(r.id)) src = { kind: 'root', modes: seq.modes, why: seq.why };
      else if (notBuilt && !hasCallers.has(r.id)) src = { kind: 'root', modes: req && req.source !== 'release' ? req.modes : ['none'], why: `not in the default configuration (${notBuilt}); analysed as an entry point` };
      else if (r.fn.syscall) src = { kind: 'root', modes: ['none'], why: `SYSCALL_DEFINE(${r.fn.syscall}): entered from user space` };
      else if (reg && doc && !calledBack.has(r.id)) src = { kind: 'root', modes: doc.modes, why: `registered as ${reg.struct}.${reg.member}, ${doc.text}; no call site of it in the index` };
      else if (reg) src = { kind: 'root', modes: req?.modes ?? ['none'], why: `registered as ${reg.struct}.${reg.member}; its callers are not in the index` };
      else if (req && req.source !== 'release') src = { kind: 'root', modes: req.modes, why: `no callers in the index; entered as its ${req.source === 'doc' ? 'documentation' : 'assertion'} requires` };
      else if (!this.flows.get(r.id)?.events.some((e) => e.kind === 'acquire') && (mmapLike = looksLikeMmapHandler(r.fn.name, r.fn.params))) src = { kind: 'root', modes: mmapLike.modes, why: `no callers in the index, ${mmapLike.text}` };
      else src = { kind: 'root', modes: ['none'], why: 'no callers in the index: entry point' };
      add(r, src);
      queue.push(r);
    }
    const queued = new Set(queue.map((r) => r.id));
    for (const { ref, src } of fromPrimitives) {
      add(ref, src);
      if (!queued.has(ref.id)) {
        queued.add(ref.id);
        queue.push(ref);
      }
    }
    let guard = 0;
    const propagate = () => {
    while (queue.length && guard++ < 2_000_000) {
      const r = queue.shift()!;
      queued.delete(r.id);
      for (const [key, entered] of this.contexts.get(r.id) ?? []) {
      const entry = [...entered];
      for (const s of key ? this.sitesInContext(r, key) : this.sites.get(r.id)!) {
        const modes = new Set<Mode>();
        for (const e of entry) for (const m of s.byEntry[e]) modes.add(m);
        if (!modes.size) continue;
        for (const t of targetsAt(r, s.site)) {
          if (t.ref === r && !t.via) continue;
          // Assume-guarantee: a function that asserts or documents the mode it needs is analysed
          // in that mode; a caller bringing another is wrong at its call (LL005), not inside.
          const req = this.assumedRequirement(t.ref);
          let ms = [...modes];
          let refused: Mode[] | undefined;
          if (req && ms.some((m) => !req.modes.includes(m))) {
            refused = ms.filter((m) => !req.modes.includes(m));
            ms = ms.filter((m) => req.modes.includes(m));
            if (!ms.length) {
              if (add(t.ref, { kind: 'root', modes: req.modes, why: `entered as it requires (${req.why}); ${r.fn.name}() calls it with ${refused.join('|')}, which is wrong at that call` }) && !queued.has(t.ref.id)) {
                queued.add(t.ref.id);
                queue.push(t.ref);
              }
              continue;
            }
          }
          const src: EntrySource = t.via
            ? { kind: 'callback', modes: ms, caller: r.fn.name, callerId: r.id, file: r.file, at: s.site.at, via: t.via, refused }
            : { kind: 'caller', modes: ms, caller: r.fn.name, callerId: r.id, file: r.file, at: s.site.at, refused };
          // The argument facts each held mode comes with (a callback's parameters are not the call's).
          const byContext = new Map<string, Mode[]>();
          for (const e of entry) {
            for (const m of s.byEntry[e]) {
              if (!ms.includes(m)) continue;
              for (const k of t.via ? [''] : contextsAt(s, e, m)) {
                const list = byContext.get(k);
                if (!list) byContext.set(k, [m]);
                else if (!list.includes(m)) list.push(m);
              }
            }
          }
          let grew = false;
          for (const [k, kms] of byContext) if (add(t.ref, { ...src, modes: kms }, k)) grew = true;
          if (grew && !queued.has(t.ref.id)) {
            queued.add(t.ref.id);
            queue.push(t.ref);
          }
        }
      }
      }
    }
    };
    // Contexts' analyses specialise their callees too: the flows computed after this keep the budget they had.
    const budget = new Map(this.specialisedCount);
    this.contextSpecialised = new Map();
    propagate();
    for (const { r, twin } of twins) {
      // A context its configuration cannot have brings nothing: without CONFIG_PER_VMA_LOCK no
      // fault carries FAULT_FLAG_VMA_LOCK (lock_vma_under_rcu() finds no VMA), so the `#else`
      // assert_fault_locked() is entered only as the default one's other contexts are.
      const impossible = CONFIG_ONLY_BITS.filter(([, config]) => r.fn.pp.some((c) => contradicts(c, config))).map(([bit]) => bit);
      let allowed: Set<Mode> | undefined;
      if (impossible.length) {
        const ctxs = this.contexts.get(twin.id);
        if (ctxs?.size) {
          allowed = new Set();
          for (const [key, modes] of ctxs) if (!impossible.some((b) => keySetsBit(key, b))) for (const m of modes) allowed.add(m);
        }
      }
      // The twin's own sources, so that the chain behind a mode leads to real callers; not a call
      // compiled only where this definition is not (`process_vma_walk_lock()`'s calls under
      // `#ifdef CONFIG_PER_VMA_LOCK` never reach the `#else` vma_assert_write_locked()).
      // A caller that calls other functions twinned the same way is analysed as that configuration
      // builds it: `move_pages()` calls the `#else` `uffd_move_lock()`, which takes mmap_lock, so the
      // `#else` `uffd_move_unlock()` is entered holding it.
      const conds = configConditions(r, twin);
      const configured = new Set<string>();
      for (const [mode, srcs] of this.entries.get(twin.id) ?? []) {
        if (allowed && !allowed.has(mode)) continue;
        for (const src of srcs) {
          if (src.kind !== 'root' && src.callerId && src.at && this.excludedByConfig(r, src.callerId, src.at)) continue;
          const key = src.kind !== 'root' && src.callerId && src.at && conds.length ? `${src.callerId}@${src.at[0]}:${src.at[1]}` : undefined;
          if (key && configured.has(key)) continue;
          const modes = key ? this.modesUnder(src.callerId!, src.at!, r.fn.name, conds) : undefined;
          if (key && modes) {
            configured.add(key);
            if (modes.length) add(r, { ...src, modes, via: `in place of ${twin.file}:${twin.fn.at[0]}, with ${src.caller}() as a configuration with ${conds.join(' && ')} builds it` });
            continue;
          }
          add(r, src.kind === 'root' ? src : { ...src, via: `in place of ${twin.file}:${twin.fn.at[0]}, which the default configuration builds` });
        }
      }
      if (!this.entries.get(r.id)?.size) continue;
      queued.add(r.id);
      queue.push(r);
    }
    propagate();
    for (const r of all) {
      if (!this.entries.get(r.id)?.size) add(r, { kind: 'root', modes: ['none'], why: 'its callers are never entered (a call cycle with no entry point); assumed not held' });
    }
    // Only the propagation reads them; annotations read which contexts each function was entered in.
    this.lineContexts.clear();
    this.lineFlowCache.clear();
    this.lineSpecialised = undefined;
    for (const [id, m] of this.contexts) {
      if ([...m.keys()].some((k) => k)) this.lineContexts.set(id, [...m].map(([key, modes]) => ({ key, modes: [...modes] })));
    }
    this.contexts.clear();
    this.contextSites.clear();
    this.configuredFlows.clear();
    this.contextSpecialised = undefined;
    this.specialisedCount.clear();
    for (const [id, n] of budget) this.specialisedCount.set(id, n);
  }

  /**
   * The requirement a function's body may assume on entry: its own or its
   * callees' assertions and documentation. Not a bare release (a function that
   * unlocks what it did not take says what it expects, not that it checks it).
   */
  assumedRequirement(r: FnRef): { modes: Mode[]; why: string } | undefined {
    const req = this.summaries.get(r.id)?.requires;
    // Only "held" requirements: a "must not hold" read from prose is assumed nowhere (a caller holding
    // the lock is still flagged at its call, LL005, but the body keeps what callers bring).
    if (!req || req.source === 'release' || !req.modes.length || req.modes.includes('none')) return undefined;
    return req;
  }

  /** Callback registrations -> definitions (fills registeredAs); returns the implementations of each `struct.member`. */
  private collectRegistrations(): Map<string, FnRef[]> {
    const implsOf = new Map<string, FnRef[]>();
    for (const cb of this.table.callbacks) {
      const target = this.register(cb);
      if (!target) continue;
      const key = `${cb.struct}.${cb.member}`;
      const list = implsOf.get(key) ?? [];
      if (!list.includes(target)) list.push(target);
      implsOf.set(key, list);
    }
    return implsOf;
  }

  /** Records one registration in registeredAs; returns the definition it names. */
  private register(cb: FileIR['callbacks'][number] & { file: string }): FnRef | undefined {
    const target = this.table.resolve(cb.fn, cb.file);
    if (!target) return undefined;
    const reg = this.registeredAs.get(target.id) ?? [];
    reg.push({ struct: cb.struct, member: cb.member, file: cb.file, at: cb.at });
    this.registeredAs.set(target.id, reg);
    return target;
  }

  /** States at each call of a function, per entry mode (from its flow, or its entry itself when it has no lock effects). */
  private siteStates(r: FnRef): SiteStates[] {
    const flow = this.flows.get(r.id);
    if (!flow) return r.sites.map((site) => this.passThroughSite(r, site));
    return flowSites(flow, r);
  }

  /** A call in a function with no lock effect: held as entered, with what its arguments' text tells the callee. */
  private passThroughSite(r: FnRef, site: CallSite): SiteStates {
    const out: SiteStates = { site, inst: 0, byEntry: PASS_THROUGH };
    // A literal, a constant, an ops instance passed by address (`&hmm_walk_ops`: its `.walk_lock`),
    // or a local only ever pointed at such instances.
    const locals = site.a.map((a) => (IDENT.test(a) && !r.fn.params.includes(a) ? this.localInstanceConstants(r, a) : undefined));
    if (!site.a.some((a, k) => LITERAL.test(a) || CONSTANT_NAME.test(a) || /^&[A-Za-z_][A-Za-z0-9_]*$/.test(a) || locals[k]) || !IDENT.test(site.f)) return out;
    const c = this.table.resolve(site.f, r.file);
    if (!c || c === r) return out;
    const all = calleeEntryFacts(site.a, c.fn.params, NO_FACTS, NOTHING_PASSED, this.env(r).known);
    locals.forEach((consts, k) => {
      const p = c.fn.params[k];
      if (consts && p) for (const [field, v] of consts) all.push(`v:${p}->${field}=${numberClass(v)}`);
    });
    const facts = contextFacts(all.sort(), this.controlNamesOf(c));
    if (facts.length) out.contexts = new Set(MODES.map((m) => `${MODE_CHAR[m]}${MODE_CHAR[m]}|${facts.join(';')}`));
    return out;
  }

  /**
   * A local pointer every assignment in `r` points at a struct instance with constant members
   * (`ops = &smaps_walk_ops`, later `ops = &smaps_shmem_walk_ops`): the members all of them agree on.
   */
  private localInstanceConstants(r: FnRef, name: string): Array<[string, number]> | undefined {
    let byName = this.localInstances.get(r.id);
    if (!byName) {
      const agreed = new Map<string, Map<string, number> | null>();
      const take = (lhs: string, e: Expr): void => {
        if (e.k === 'cond') return (take(lhs, e.a), take(lhs, e.b));
        const consts = e.k === 'other' && e.addr ? this.table.instanceConstants(e.addr, r.file) : [];
        const was = agreed.get(lhs);
        if (!consts.length || was === null) return void agreed.set(lhs, null);
        if (!was) return void agreed.set(lhs, new Map(consts));
        const m = new Map(consts);
        for (const [f, v] of was) if (m.get(f) !== v) was.delete(f);
      };
      walkStmt(r.fn.body, {
        enter: (e) => {
          if (e.k === 'assign' && IDENT.test(e.lhs)) {
            if (e.op === '=') take(e.lhs, e.rhs);
            else agreed.set(e.lhs, null);
          }
        },
      });
      byName = NO_LOCAL_INSTANCES;
      for (const [n, m] of agreed) {
        if (!m?.size) continue;
        if (byName === NO_LOCAL_INSTANCES) byName = new Map();
        byName.set(n, [...m]);
      }
      this.localInstances.set(r.id, byName);
    }
    return byName.get(name);
  }

  /** The call sites of `r` entered with argument facts `key` (its flow under them, computed once per entry computation). */
  private sitesInContext(r: FnRef, key: string): SiteStates[] {
    const id = `${r.id}|${key}`;
    let sites = this.contextSites.get(id);
    if (!sites) {
      this.stats.contexts++;
      // Facts only rule paths out: a mode the plain analysis never holds at a call is no mode there
      // (the context's own analysis may know less, when a callee's specialisations ran out).
      const plain = new Map((this.sites.get(r.id) ?? []).map((s) => [`${s.site.f}@${s.site.at[0]}:${s.site.at[1]}`, s.byEntry]));
      sites = flowSites({ sites: callSitesWith(r.fn, this.env(r), key.split(';')) }, r);
      for (const s of sites) {
        const known = plain.get(`${s.site.f}@${s.site.at[0]}:${s.site.at[1]}`);
        if (!known) continue;
        let kept = NO_MODES;
        for (const m of MODES) for (const h of s.byEntry[m]) if (known[m].has(h)) kept = byEntryWith(kept, m, h);
        s.byEntry = kept;
      }
      this.contextSites.set(id, sites);
    }
    return sites;
  }

  /**
   * The flows a function's lines are read from, each with the entry modes it stands for: one
   * per argument context it was entered in (analysed under that context's facts: `vma_init()`'s
   * `vma_mark_detached(vma, false)` never reaches the assertion under `if (detached)`), and the
   * plain flow for the modes no context brings alone. Without contexts, the plain flow.
   */
  lineFlows(ref: FnRef): Array<{ flow: FlowResult; modes: Mode[]; facts?: string }> {
    const entry = this.entryModes(ref);
    const ctxs = this.lineContexts.get(ref.id);
    if (!ctxs) return [{ flow: this.flow(ref), modes: entry }];
    const known = this.lineFlowCache.get(ref.id);
    if (known) return known;
    const keyed = new Set<Mode>();
    for (const c of ctxs) if (c.key) for (const m of c.modes) keyed.add(m);
    const out: Array<{ flow: FlowResult; modes: Mode[]; facts?: string }> = [];
    const plainModes = entry.filter((m) => !keyed.has(m) || ctxs.some((c) => !c.key && c.modes.includes(m)));
    if (plainModes.length) out.push({ flow: this.flow(ref), modes: plainModes });
    for (const c of ctxs) {
      const modes = c.key ? c.modes.filter((m) => entry.includes(m)) : [];
      if (!modes.length) continue;
      // Made apart, like the propagation's: what a later edit re-analyses does not depend on what was annotated.
      const budget = new Map(this.specialisedCount);
      const saved = this.contextSpecialised;
      this.contextSpecialised = this.lineSpecialised ??= new Map();
      try {
        out.push({ flow: analyseFunction(ref.fn, this.env(ref), c.key.split(';')), modes, facts: c.key });
      } finally {
        this.contextSpecialised = saved;
        this.specialisedCount.clear();
        for (const [id, n] of budget) this.specialisedCount.set(id, n);
      }
    }
    if (this.lineFlowCache.size > 2000) this.lineFlowCache.clear();
    this.lineFlowCache.set(ref.id, out);
    return out;
  }

  /**
   * Whether a call (by its caller and span) is compiled only where definition `r` is not: the
   * caller's own `#if`s or those around the call in its body contradict one of `r`'s.
   */
  private excludedByConfig(r: FnRef, callerId: string, at: Span): boolean {
    const caller = this.table.byId.get(callerId);
    if (!caller || !r.fn.pp.length) return false;
    let conds = this.callConditions.get(callerId);
    if (!conds) this.callConditions.set(callerId, (conds = callConditionsOf(caller.fn.body)));
    const around = [...caller.fn.pp, ...(conds.get(`${at[0]}:${at[1]}`) ?? [])];
    return around.some((c) => r.fn.pp.some((p) => contradicts(c, p)));
  }

  /**
   * The modes a caller holds at its call of `name` (at `at`) where `conds` hold, when that differs
   * from the default configuration: another of its callees is defined differently there with
   * another lock effect, or (up to two callers up) its own callers hold other modes when they call
   * it. Undefined otherwise: the default answer stands, with its argument contexts.
   */
  private modesUnder(callerId: string, at: Span, name: string, conds: readonly string[], depth = 0): Mode[] | undefined {
    const caller = this.table.byId.get(callerId);
    if (!caller) return undefined;
    // Only a callee whose other definition does something else to the lock can change what it holds.
    const lockEffect = (d: FnRef | undefined) => (d ? this.summaries.get(d.id) : undefined);
    const differs = caller.sites.some((s) => {
      if (!IDENT.test(s.f) || s.f === name) return false;
      const there = this.table.resolveUnder(s.f, caller.file, conds);
      const here = this.table.resolve(s.f, caller.file);
      if (there === here) return false;
      const a = lockEffect(there);
      const b = lockEffect(here);
      return a !== b && !(a && b && sameTrans(a, b));
    });
    // The caller's own entry there: `move_pages_huge_pmd()` is entered holding read when
    // `move_pages()` takes mmap_lock through the `#else` `uffd_move_lock()`.
    let entry = this.entryModes(caller);
    let entryDiffers = false;
    if (depth < 2) {
      const configured = new Set<Mode>();
      const seen = new Set<string>();
      for (const [mode, srcs] of this.entries.get(caller.id) ?? []) {
        for (const src of srcs) {
          const key = src.callerId && src.at && !src.via ? `${src.callerId}@${src.at[0]}:${src.at[1]}` : undefined;
          if (key && seen.has(key)) continue;
          if (key) seen.add(key);
          const up = key ? this.modesUnder(src.callerId!, src.at!, caller.fn.name, conds, depth + 1) : undefined;
          if (up) entryDiffers = true;
          for (const m of up ?? [mode]) configured.add(m);
        }
      }
      if (entryDiffers) entry = MODES.filter((m) => configured.has(m));
    }
    if (!differs && !entryDiffers) return undefined;
    const held = (flow: FlowResult, modes: readonly Mode[]) => {
      const site = flow.sites.find((s) => s.callee === name && s.at[0] === at[0] && s.at[1] === at[1]);
      const out = new Set<Mode>();
      for (const e of modes) for (const m of site?.byEntry[e] ?? []) out.add(m);
      return MODES.filter((m) => out.has(m));
    };
    let flow = this.flow(caller);
    if (differs) {
      const key = `${callerId}|${conds.join('&&')}`;
      const known = this.configuredFlows.get(key);
      if (known) flow = known;
      else {
        this.stats.configured++;
        this.configuredFlows.set(key, (flow = analyseFunction(caller.fn, this.env(caller, conds))));
      }
    }
    const there = held(flow, entry);
    const here = held(this.flow(caller), this.entryModes(caller));
    return there.join() === here.join() ? undefined : there;
  }

  /** The fact sets a function's summary was specialised on, in the order they were made (for explanations and tests). */
  specialisationsOf(ref: FnRef): ReadonlyArray<readonly string[]> {
    return this.specialisedFacts.get(ref.id) ?? [];
  }

  /** Entry modes of a function, sorted. */
  entryModes(ref: FnRef): Mode[] {
    const m = this.entries.get(ref.id);
    return m ? MODES.filter((x) => m.has(x)) : ['none'];
  }
}

/** `r`'s `#if` conditions that contradict one of `twin`'s: what builds `r` instead of `twin`. */
function configConditions(r: FnRef, twin: FnRef): string[] {
  return r.fn.pp.filter((c) => twin.fn.pp.some((p) => contradicts(c, p)));
}

/** A set of functions popped lowest rank first (a binary heap). */
class RankQueue {
  private heap: FnRef[] = [];
  private readonly members = new Set<string>();

  constructor(private readonly rank: (r: FnRef) => number) {}

  get size(): number {
    return this.heap.length;
  }

  push(r: FnRef): void {
    if (this.members.has(r.id)) return;
    this.members.add(r.id);
    const h = this.heap;
    h.push(r);
    for (let i = h.length - 1; i > 0; ) {
      const up = (i - 1) >> 1;
      if (this.rank(h[up]) <= this.rank(h[i])) break;
      [h[up], h[i]] = [h[i], h[up]];
      i = up;
    }
  }

  pop(): FnRef | undefined {
    const h = this.heap;
    if (!h.length) return undefined;
    const top = h[0];
    const last = h.pop()!;
    if (h.length) {
      h[0] = last;
      for (let i = 0; ; ) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.rank(h[l]) < this.rank(h[m])) m = l;
        if (r < h.length && this.rank(h[r]) < this.rank(h[m])) m = r;
        if (m === i) break;
        [h[m], h[i]] = [h[i], h[m]];
        i = m;
      }
    }
    this.members.delete(top.id);
    return top;
  }
}

function hasCallIn(e: Expr): boolean {
  let found = false;
  walkExpr(e, { enter: (x) => { if (x.k === 'call' || x.k === 'guard') found = true; } });
  return found;
}

function hasBits(e: Expr): boolean {
  let found = false;
  walkExpr(e, { enter: (x) => { if (x.k === 'bits') found = true; } });
  return found;
}

/** `vms->unlock = unlock;` at the top level of a body whose `vms` and `unlock` are parameters (init helpers). */
function structWrites(fn: FunctionIR): FieldWrite[] {
  const out: FieldWrite[] = [];
  if (fn.body.k !== 'block') return out;
  for (const st of fn.body.s) {
    if (st.k !== 'expr' || st.e?.k !== 'assign' || st.e.op !== '=') continue;
    const m = /^([A-Za-z_][A-Za-z0-9_]*)->([A-Za-z_][A-Za-z0-9_]*)$/.exec(st.e.lhs);
    const param = m ? fn.params.indexOf(m[1]) : -1;
    if (param < 0) continue;
    const rhs = st.e.rhs;
    if (rhs.k === 'id' && fn.params.includes(rhs.name)) out.push({ param, field: m![2], from: fn.params.indexOf(rhs.name) });
    else if (rhs.k === 'num') out.push({ param, field: m![2], from: numberClass(rhs.v) });
  }
  return out;
}

/** `walk->ops->test_walk` -> `test_walk`: the member a callee expression calls through. */
function memberName(callee: string): string | undefined {
  return /(?:->|\.)([A-Za-z_][A-Za-z0-9_]*)$/.exec(callee)?.[1];
}

/**
 * A definition under a "feature off" condition (`#ifndef CONFIG_TRANSPARENT_HUGEPAGE` ...
 * `pmd_trans_huge() { return 0; }`): the default configuration may build the real one, which the
 * index may not even hold (arch headers), so its constant value decides no branch.
 */
/** A flow's call sites as entry propagation reads them: the body's own call-site objects (the same span and argument arrays), not copies. */
function flowSites(flow: Pick<FlowResult, 'sites'>, r: FnRef): SiteStates[] {
  const own = new Map(r.sites.map((s) => [s.at, s]));
  return flow.sites.map((c) => {
    const s = own.get(c.at);
    const site = s && s.f === c.callee && s.a === c.args ? s : { f: c.callee, a: [...c.args], at: c.at };
    return { site, inst: c.inst, byEntry: c.byEntry, contexts: c.contexts, summary: c.summary };
  });
}

function isFeatureOffStub(r: FnRef): boolean {
  return r.fn.pp.some((c) => /!\s*(\(?\s*)?(defined\s*\(?\s*|IS_ENABLED\s*\(\s*)?CONFIG_(?!MMU\b)/.test(c));
}

/** A function's shape with lines relative to its start; kept per IR object (moving it keeps the shape). */
const shapes = new WeakMap<FunctionIR, string>();

function relativeShape(fn: FunctionIR): string {
  let shape = shapes.get(fn);
  if (shape === undefined) shapes.set(fn, (shape = computeRelativeShape(fn)));
  return shape;
}

function computeRelativeShape(fn: FunctionIR): string {
  const base = fn.at[0];
  return JSON.stringify(fn, (key, value) => {
    if (Array.isArray(value) && value.length === 4 && typeof value[0] === 'number' && (key === 'at' || key === 'nameAt')) return [value[0] - base, value[1], value[2] - base, value[3]];
    return value;
  });
}

/** When `now` is `old` moved by whole lines, shifts old's spans in place (flows share them) and says so. */
function shiftIfOnlyMoved(old: FunctionIR, now: FunctionIR, more: unknown[] = []): boolean {
  const delta = now.at[0] - old.at[0];
  if (relativeShape(old) !== relativeShape(now)) return false;
  if (delta === 0) return true;
  const seen = new Set<Span>();
  const shift = (v: unknown): void => {
    if (!v || typeof v !== 'object') return;
    if (Array.isArray(v)) {
      if (v.length === 4 && typeof v[0] === 'number' && typeof v[2] === 'number') {
        const span = v as Span;
        if (seen.has(span)) return;
        seen.add(span);
        span[0] += delta;
        span[2] += delta;
        return;
      }
      v.forEach(shift);
      return;
    }
    for (const x of Object.values(v)) shift(x);
  };
  shift(old);
  shift(more);
  return true;
}

/** Call sites' callees and modes, without positions. */
function siteShape(sites: SiteStates[]): string {
  return sites.map((s) => `${s.site.f}:${s.inst}:${MODES.map((m) => [...s.byEntry[m]].sort().join('')).join('/')}${s.contexts ? ':' + [...s.contexts].sort().join(',') : ''}`).join(';');
}

function callbackShape(cbs: Array<{ struct: string; member: string; fn: string }>): string {
  return cbs.map((c) => `${c.struct}.${c.member}=${c.fn}`).join(';');
}

/**
 * Some exit keeps the lock held and may return VM_FAULT_RETRY, the fault protocol's "I dropped it":
 * legitimate only on a path the caller's fault flags select (FAULT_FLAG_RETRY_NOWAIT, FAULT_FLAG_VMA_LOCK),
 * so the caller's flags are worth a specialised summary even though the lock mode never changes.
 */
function saysRetryWhileHeld(s: Summary | undefined): boolean {
  return !!s && (['read', 'write'] as const).some((m) => s.trans[m].some(([x, v]) => x !== 'none' && v[0] === 'B' && v.includes('+VM_FAULT_RETRY')));
}

function hasOuts(s: Summary | undefined): boolean {
  return !!s && MODES.some((m) => s.trans[m].some((t) => t[2]));
}

function writesOut(r: FnRef): boolean {
  let w = false;
  walkStmt(r.fn.body, {
    enter: (e) => {
      if (e.k === 'assign' && e.lhs.startsWith('*') && r.fn.params.includes(e.lhs.slice(1))) w = true;
      return !w;
    },
  });
  return w;
}

/** Whether the body itself takes mmap_lock: an acquiring primitive on an mmap lock, or an mmap_lock guard. */
export function takesLockItself(r: FnRef, extra?: ReadonlyMap<string, Primitive>): boolean {
  return r.sites.some((s) => (s.f === 'guard' || s.f === 'scoped_guard' ? guardMode(s.a[0] ?? '') !== undefined : primitiveFor(s.f, s.a, extra)?.kind === 'acquire'));
}

function usesLockDirectly(r: FnRef, extra?: ReadonlyMap<string, Primitive>): boolean {
  for (const name of r.calls) {
    if (name === 'guard' || name === 'scoped_guard') return true;
    if (/^(mmap_|down_|up_|downgrade_write|lockdep_assert_held|rwsem_is_locked)/.test(name)) return true;
    if (extra?.has(name)) return true;
  }
  return false;
}

function sameSummary(a: Summary, b: Summary): boolean {
  return sameTrans(a, b) && (a.requires?.modes.join() ?? '') === (b.requires?.modes.join() ?? '') && !!a.acquires === !!b.acquires;
}

const NO_ENTRY_FACTS: readonly string[] = [];

/**
 * A field of a parameter that may say whether the function left the lock held: entered without
 * the lock, every exit after its own lock operations holds it with the field set non-NULL, or not
 * with it NULL, and the function tests it. The bpf task_vma iterator sets `info->task` when it
 * returns holding the mmap_lock of `info->mm` (for its next call) and clears it when it drops it;
 * the next call tests `info->task` to know whether it holds the lock already.
 */
function mirrorCandidate(r: FnRef, flow: FlowResult, tested: ReadonlySet<string>): string | undefined {
  const params = new Set(r.fn.params.filter(Boolean));
  const own = flow.exits.filter((s) => s.entry === 'none' && s.touched & 1 && !s.facts.includes(DEADLOCK));
  const names = new Set<string>();
  for (const s of own) {
    for (const f of s.facts) {
      if (!f.startsWith('v:')) continue;
      const name = f.slice(2, f.lastIndexOf('='));
      if (name.includes('->') && !name.startsWith('*') && params.has(name.split('->')[0]) && tested.has(name)) names.add(name);
    }
  }
  const held = own.filter((s) => modeOf(s, 0) !== 'none').length;
  if (!held || held === own.length) return undefined;
  for (const name of names) if (mirrorHolds(own, name)) return name;
  return undefined;
}

/** Whether every exit holds the lock exactly when `field` is non-NULL. */
function mirrorHolds(exits: readonly AbsState[], field: string): boolean {
  return exits.every((s) => {
    if (s.facts.includes(DEADLOCK)) return true;
    const v = factValue(s, 'v:' + field);
    return modeOf(s, 0) === 'none' ? v === 'z' : v === 'nz' || v === 'p' || /^n\d+$/.test(v ?? '');
  });
}

/** The fault protocol's bits that say the fault path released mmap_lock (or, with FAULT_FLAG_VMA_LOCK, the VMA lock). */
const RELEASED_BITS = ['VM_FAULT_RETRY', 'VM_FAULT_COMPLETED'];

/**
 * What a fault result (`vm_fault_t`) returned with mmap_lock still held says of VM_FAULT_RETRY and
 * VM_FAULT_COMPLETED. They tell the caller the fault path dropped the lock, and a path that keeps it
 * returns them only when told not to drop it (FAULT_FLAG_RETRY_NOWAIT) or when it holds only the VMA
 * lock: both show in the value the engine computed (`return VM_FAULT_RETRY;` under a flag test). A
 * value it lost on the way (what a `->fault` callback or a helper outside the index returned) is
 * taken to hold neither; else every arch fault handler that tests `fault & VM_FAULT_RETRY` would
 * retry, or die, with the lock it still holds.
 */
function heldFaultResult(v: ValueClass): ValueClass {
  if (v === 'z' || (v[0] === 'B' && v[1] === '#')) return v;
  const b = bitsOf(v);
  if (RELEASED_BITS.some((x) => b.on.has(x))) return v;
  for (const x of RELEASED_BITS) b.off.add(x);
  return bitsClass(b);
}

/** Reads a function's summary off its flow: exit states per entry mode, requirement, whether it acquires. */
export function deriveSummary(r: FnRef, flow: FlowResult, prev: Summary | undefined): Summary {
  const trans = {} as Summary['trans'];
  const outNames = new Set(r.fn.params.filter(Boolean).map((p) => `v:*${p}=`));
  for (const m of MODES) {
    const seen = new Map<string, [Mode, ValueClass, string?]>();
    const live = flow.exits.filter((s) => s.entry === m && !s.facts.includes(DEADLOCK));
    for (const s of live.length ? live : flow.exits) {
      if (s.entry !== m) continue;
      const mode = modeOf(s, 0);
      const pair: [Mode, ValueClass, string?] = [mode, r.fn.returns === 'fault' && mode !== 'none' ? heldFaultResult(s.ret ?? 'u') : s.ret ?? 'u'];
      const outs = outNames.size ? s.facts.filter((f) => f.startsWith('v:*') && outNames.has(f.slice(0, f.indexOf('=') + 1))).map((f) => f.slice(2)).join(';') : '';
      if (outs) pair.push(outs);
      seen.set(pair.join('|'), pair);
    }
    let pairs = [...seen.values()];
    // `return vma;` beside `return NULL;` with different locks: the contract is "non-NULL means held".
    const classes = new Set(pairs.map((p) => p[1]));
    if (classes.has('u') && (classes.has('z') || classes.has('e'))) {
      const modesOf = (v: ValueClass) => pairs.filter((p) => p[1] === v).map((p) => p[0]).sort().join();
      if (modesOf('u') !== modesOf(classes.has('z') ? 'z' : 'e')) pairs = pairs.map(([x, v, o]) => (o ? [x, v === 'u' ? 'p' : v, o] : [x, v === 'u' ? 'p' : v]));
    }
    trans[m] = pairs;
  }
  const out: Summary = { trans };
  const violated = flow.violatedEntries;
  const accepted = MODES.filter((m) => !violated.has(m));
  if (violated.size && accepted.length) {
    const v = violated.get(MODES.find((m) => violated.has(m))!)!;
    const req: Requirement = { modes: accepted, why: v.why, source: v.source, file: r.file, at: v.at };
    out.requires = req;
  } else if (prev?.requires?.source === 'doc') out.requires = prev.requires;
  // An acquire counts where the function was entered holding the lock and nothing on the path let
  // go of it first: `if (!locked) mmap_read_lock(mm)` after a GUP call dropped the lock is a re-take,
  // which an entry without the lock reaches untouched too.
  const heldEntry = flow.events.some((ev) => ev.inst === 0 && ev.before.entry !== 'none');
  for (const ev of flow.events) {
    if (ev.inst !== 0 || ev.before.touched & 1 || ev.before.deadlock || (heldEntry && ev.before.entry === 'none')) continue;
    if (ev.kind === 'acquire' && !ev.prim?.taken) {
      out.acquires = { via: [], file: r.file, at: ev.at, callee: ev.guard ? `guard(${ev.guard})` : ev.callee };
      break;
    }
    if (ev.kind === 'call' && ev.summary?.acquires) {
      out.acquires = { via: [ev.callee, ...ev.summary.acquires.via], file: ev.summary.acquires.file, at: ev.summary.acquires.at, callee: ev.summary.acquires.callee };
      break;
    }
  }
  return out;
}
