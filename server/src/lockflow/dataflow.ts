/**
 * Intraprocedural lock dataflow over one function's CFG.
 *
 * The domain is a set of abstract states per program point (disjunctive, so
 * it is path-sensitive where facts tell paths apart). All three entry modes
 * run at once, each state tagged with its entry mode; callers of this module
 * filter by the entry modes the interprocedural stage infers. Lock
 * primitives come from the table in primitives.ts, callees from their
 * summaries.
 */
import { buildCfg, type Cfg, type CfgNode } from '../cfg/cfg';
import type { Expr, FunctionIR, Span } from '../parse/ir';
import { walkExpr, walkStmt, wrapOther } from '../parse/ir-walk';
import { PROTOCOL_PREDICATES, VALUE_WRAPPERS } from '../parse/kernel-macros';
import { hasWord } from '../parse/source-text';
import { Instances, lockExpr } from './instances';
import {
  type AbsState, type Mode, type ValueClass, MODE_CHAR, MODE_INDEX, MODES, factValue, makeState, modeOf, numberClass, truth, withFact,
  StateSet, withMode, withoutFacts, withRet, withTouched,
} from './modes';
import { guardMode, primitiveFor, type Primitive } from './primitives';
import { dyingNames, factDies } from './liveness';
import { applyFieldWrites, argValue, calleeEntryFacts, chosenArg, contextFacts, contextWorthy, type FieldWrite, IDENT, type KnownValues, LITERAL, looksLikeObject } from './argument-facts';
import { bitsTruth, clearBits, constantBits, constantClass, constMask, learnBits, type Mask, orClass, testMask } from './bits';
import { BOTTOM, type Requirement, type Summary } from './summary';

/** modeOf() by character code: `n` none (also for a missing instance), `r` read, `w` write. */
const CHAR_INDEX: number[] = [];
for (let c = 0; c < 128; c++) CHAR_INDEX.push(0);
CHAR_INDEX['r'.charCodeAt(0)] = 1;
CHAR_INDEX['w'.charCodeAt(0)] = 2;

/** The per-VMA lock's rwsem, as `rwsem_is_locked()` is given it (6.x `&vma->vm_lock->lock`). */
const PER_VMA_LOCK_ARG = /^&\s*[A-Za-z_][A-Za-z0-9_]*\s*->\s*vm_lock\s*->\s*lock$/;

/** Fact carried by a path that broke a requirement on the caller's lock before taking it. */
const VIOLATED = 'x:violated=1';

/** Fact carried by a path that blocked on a lock it already held (LL002/LL001 reported there). */
export const DEADLOCK = 'x:deadlock=1';

/** Above this many states at one point, path facts are dropped there (keeps big functions bounded). */
const STATE_CAP = 48;
/** Above this many state transfers the function is cut and reported as partly analysed. */
const WORK_CAP = 400_000;

export interface FlowEnv {
  /** Summary of a callee by name; undefined for functions outside the index (treated as no effect). */
  summary(callee: string): Summary | undefined;
  /** What the context-sensitive parts of a call need: the callee's parameters, its struct writes, specialised summaries. */
  callee?(name: string): CalleeInfo | undefined;
  /** Extra primitives a user taught (wrappers), by name. */
  extraPrimitives?: ReadonlyMap<string, Primitive>;
  /** Parameters that are out-parameters worth following (`int *locked`): the function, or a callee it hands them to, reads or writes `*p`. */
  outParams?(fn: FunctionIR): readonly string[];
  /** Enumerators and constant members of static struct instances, as the function's file sees them. */
  known?: KnownValues;
  /**
   * Facts a path entered in `entry` starts with, besides the caller's: a field that mirrors the
   * lock (`info->task` is set exactly while the lock is held) is NULL when entered without it.
   */
  entryFactsFor?(entry: Mode): readonly string[];
}

/** A flow's violatedEntries when it has none (shared by most flows: never changed). */
const NO_VIOLATIONS: FlowResult['violatedEntries'] = new Map();

/** Fact value of `*p` for an out-parameter the function has not written: "as the caller had it". */
export const UNCHANGED = '@';

export type EventKind = 'acquire' | 'release' | 'downgrade' | 'assert' | 'query' | 'call';

/** One thing that happened to one abstract state at one call, as a flow keeps it. Rules read these. */
export interface FlowEvent {
  node: number;
  kind: EventKind;
  callee: string;
  args: readonly string[];
  inst: number;
  at: Span;
  /** The state at the call, reduced to what rules and queries read. */
  before: EventState;
  /** The states the call leaves, reduced the same way (a shared list: never changed). */
  after: readonly EventState[];
  prim?: Primitive;
  summary?: Summary;
  /** For scoped guards: the guard's kind. */
  guard?: string;
}

/** An event as the stepper gives it: with whole states, since a simulation follows each one. */
export type StepEvent = Omit<FlowEvent, 'before' | 'after'> & { before: AbsState; after: AbsState[] };

/**
 * What a flow's event keeps of a state. Shared between events (one per distinct value) and never
 * changed: whole states at every event (their facts and keys) cost ~45 MB on a whole 6.12 check.
 */
export interface EventState {
  readonly entry: Mode;
  /** One character per instance: n, r or w (as in AbsState). */
  readonly modes: string;
  /** As in AbsState: bit i set when a lock operation on this path has changed or checked instance i. */
  readonly touched: number;
  /** The path blocked on a lock it already held (DEADLOCK among its facts): rules stay quiet on it. */
  readonly deadlock: boolean;
}

/** The shared event states and lists of them, by their text; past the cap new ones are not shared (a long-running server). */
const eventStates = new Map<string, EventState>();
const eventStateLists = new Map<string, readonly EventState[]>();
const SHARED_CAP = 100_000;

function eventStateKey(s: AbsState): string {
  return `${s.entry}|${s.modes}|${s.touched}|${s.facts.includes(DEADLOCK) ? 1 : 0}`;
}

function eventState(s: AbsState, key = eventStateKey(s)): EventState {
  let e = eventStates.get(key);
  if (!e) {
    e = Object.freeze({ entry: s.entry, modes: s.modes, touched: s.touched, deadlock: s.facts.includes(DEADLOCK) });
    if (eventStates.size < SHARED_CAP) eventStates.set(key, e);
  }
  return e;
}

function eventStateList(ss: readonly AbsState[]): readonly EventState[] {
  const keys = ss.map(eventStateKey);
  const key = keys.join(';');
  let list = eventStateLists.get(key);
  if (!list) {
    list = Object.freeze(ss.map((s, i) => eventState(s, keys[i])));
    if (eventStateLists.size < SHARED_CAP) eventStateLists.set(key, list);
  }
  return list;
}

export interface CalleeInfo {
  params: readonly string[];
  fieldWrites: readonly FieldWrite[];
  /** The callee's summary when entered with these facts (`v:unlock=z`); undefined: use the plain one. */
  specialise(facts: string[]): Summary | undefined;
  /** False when specialise() gives nothing for any facts during this analysis (the facts need not be worked out). */
  specialises?: boolean;
  /** `return (flags & A) && !(flags & B);` and nothing else: a test of its arguments, evaluated at each call. */
  predicate?: Expr;
  /** Names the callee tests or passes on: argument facts about others cannot change what it does. */
  controls?: ReadonlySet<string>;
}

/**
 * Modes held at a call site, per entry mode, each set in the order the modes were first seen there.
 * Shared between call sites and never changed (see `byEntryWith`): a site gets another one instead.
 */
export type ByEntry = Readonly<Record<Mode, ReadonlySet<Mode>>>;

/** A call site with the modes held there (of the instance the callee's lock maps to), per entry mode. */
export interface CallSiteModes {
  callee: string;
  args: readonly string[];
  at: Span;
  inst: number;
  byEntry: ByEntry;
  /**
   * The argument facts the callee is entered with (`v:detached=z`), when some
   * path brings any: `${entry}${held}|${facts}` (mode initials; facts `;`-joined,
   * empty for paths that bring none). Absent: no path brought facts.
   */
  contexts?: Set<string>;
  summary?: Summary;
}

/**
 * The shared mode sets: one per sequence of distinct modes (16 with the empty one), reached from
 * the empty set by appending. A site's sets are almost always one mode each; a Set per entry mode
 * and site cost ~40 MB on a whole 6.12 check.
 */
const EMPTY_MODES: ReadonlySet<Mode> = new Set<Mode>();
const modesThen = new Map<ReadonlySet<Mode>, Map<Mode, ReadonlySet<Mode>>>();
const modesIndex = new Map<ReadonlySet<Mode>, number>([[EMPTY_MODES, 0]]);

/** `set` with `m` added last (the shared set for that sequence); `set` itself when it has `m`. */
function modesWith(set: ReadonlySet<Mode>, m: Mode): ReadonlySet<Mode> {
  if (set.has(m)) return set;
  let next = modesThen.get(set);
  if (!next) modesThen.set(set, (next = new Map()));
  let t = next.get(m);
  if (!t) {
    next.set(m, (t = new Set([...set, m])));
    modesIndex.set(t, modesIndex.size);
  }
  return t;
}

/** The shared records, by the indexes of their three sets. */
const byEntries = new Map<number, ByEntry>();

function byEntryOf(none: ReadonlySet<Mode>, read: ReadonlySet<Mode>, write: ReadonlySet<Mode>): ByEntry {
  const key = (modesIndex.get(none)! << 8) | (modesIndex.get(read)! << 4) | modesIndex.get(write)!;
  let b = byEntries.get(key);
  if (!b) byEntries.set(key, (b = { none, read, write }));
  return b;
}

export const NO_MODES: ByEntry = byEntryOf(EMPTY_MODES, EMPTY_MODES, EMPTY_MODES);

/** `b` with `held` seen for entry mode `entry`. */
export function byEntryWith(b: ByEntry, entry: Mode, held: Mode): ByEntry {
  const set = modesWith(b[entry], held);
  if (set === b[entry]) return b;
  return byEntryOf(entry === 'none' ? set : b.none, entry === 'read' ? set : b.read, entry === 'write' ? set : b.write);
}

export interface FlowResult {
  fn: FunctionIR;
  /**
   * The CFG the flow ran on, built again from `fn` on each call (same nodes, same ids: buildCfg is
   * deterministic). Not kept: the CFGs of a whole tree's flows cost ~30 MB, and only annotations
   * and a few rules look at nodes once the analysis is done.
   */
  cfg(): Cfg;
  inst: Instances;
  /** Modes possible before (`in`) or after (`out`) a node, on paths entered in one of `entries`, for one instance. */
  modesAt(node: number, side: 'in' | 'out', entries: Iterable<Mode>, inst: number): Mode[];
  /** Full states at the function's exit (return values and parameter facts included). */
  exits: AbsState[];
  /** Lock operations, and calls to functions with a lock effect; plain calls are only in `sites`. */
  events: FlowEvent[];
  /** Every call of the function with the modes held there: what entry states propagate from. */
  sites: CallSiteModes[];
  /** Entry modes for which the function's own asserts or its callees' requirements fail without it locking first. */
  violatedEntries: Map<Mode, { why: string; at: Span; source: Requirement['source'] }>;
  notes: string[];
}

interface Emit {
  (s: AbsState, v: ValueClass): void;
}

/** `entryFacts` (`v:unlock=z`) hold on entry: a summary specialised to what a caller passes. */
export function analyseFunction(fn: FunctionIR, env: FlowEnv, entryFacts: readonly string[] = []): FlowResult {
  const flow = prepare(fn, env, entryFacts);
  flow.run();
  return flow.result();
}

/**
 * Only the call sites of `fn` entered with `entryFacts`, with the modes held at each (an argument
 * context's analysis: no events, no exits kept, so thousands of them cost little memory).
 */
export function callSitesWith(fn: FunctionIR, env: FlowEnv, entryFacts: readonly string[]): CallSiteModes[] {
  const flow = prepare(fn, env, entryFacts);
  flow.sitesOnly = true;
  flow.run();
  return flow.callSites();
}

function prepare(fn: FunctionIR, env: FlowEnv, entryFacts: readonly string[] = []): Flow {
  const given = entryFacts;
  const cfg = buildCfg(fn);
  const lockArgs: string[] = [];
  const trackedVars = new Set<string>();
  scanFunction(fn, env, lockArgs, trackedVars);
  // A parameter with a known value is tracked even when only passed on (do_vmi_munmap's `unlock`).
  for (const f of entryFacts) trackedVars.add(f.slice(2, f.lastIndexOf('=')));
  for (const m of MODES) for (const f of env.entryFactsFor?.(m) ?? []) trackedVars.add(f.slice(2, f.lastIndexOf('=')));
  // `*locked` of an out-parameter starts as whatever the caller had: writes show in the exit states.
  const outs = env.outParams?.(fn) ?? [];
  const seeded = outs.map((p) => `*${p}`).filter((d) => !entryFacts.some((f) => f.startsWith(`v:${d}=`)));
  for (const d of seeded) trackedVars.add(d);
  if (seeded.length) entryFacts = [...entryFacts, ...seeded.map((d) => `v:${d}=${UNCHANGED}`)];
  // Conditions tested more than once (vms->unlock in vms_complete_munmap_vmas) are remembered per path.
  const condCount = new Map<string, number>();
  for (const n of cfg.nodes) if (n.kind === 'branch' && n.ct) condCount.set(n.ct, (condCount.get(n.ct) ?? 0) + 1);
  const correlated = new Set([...condCount].filter(([ct, c]) => c > 1 && !trackedVars.has(ct)).map(([ct]) => ct));
  return new Flow(fn, cfg, new Instances(fn, lockArgs), env, trackedVars, correlated, entryFacts, given);
}

/** The entry facts, sorted, with an entry mode's own facts about names they do not already give. */
function withModeFacts(facts: readonly string[], own: readonly string[] | undefined): string[] {
  if (!own?.length) return [...facts].sort();
  const extra = own.filter((f) => !facts.some((g) => g.startsWith(f.slice(0, f.lastIndexOf('=') + 1))));
  return [...facts, ...extra].sort();
}

/** Finds lock arguments (for instances) and the variables whose values decide branches or returns. */
function scanFunction(fn: FunctionIR, env: FlowEnv, lockArgs: string[], tracked: Set<string>): void {
  walkStmt(fn.body, {
    stmt: (st) => {
      if (st.k === 'scoped' && guardMode(st.kind)) lockArgs.push(st.arg);
    },
    enter: (e, cond) => {
      if (e.k === 'call') {
        const p = primitiveFor(e.f, e.a, env.extraPrimitives);
        if (p && e.a.length) lockArgs.push(e.a[p.arg ?? 0] ?? '');
        // `&local_locked` handed to a callee that reports through it: its value is worth knowing.
        for (const a of e.a.flatMap(alternatives)) if (/^&[A-Za-z_][A-Za-z0-9_]*$/.test(a)) tracked.add(a.slice(1));
      } else if (e.k === 'guard' && guardMode(e.kind)) lockArgs.push(e.arg);
      else if (e.k === 'id' && cond) tracked.add(e.name);
    },
  });
}

/** How many fact lists a FactsMemo keeps per key (the latest). */
const MEMO_WAYS = 8;

/** Answers worked out from a state's facts, per key (a call expression), for the latest few fact lists. */
class FactsMemo<T> {
  private readonly byKey = new Map<object, Array<{ facts: readonly string[]; stamp: number; value: T }>>();

  get(key: object, facts: readonly string[], stamp: number): { value: T } | undefined {
    const list = this.byKey.get(key);
    if (list) for (const x of list) if (x.stamp === stamp && sameFacts(x.facts, facts)) return x;
    return undefined;
  }

  set(key: object, facts: readonly string[], stamp: number, value: T): void {
    let list = this.byKey.get(key);
    if (!list) this.byKey.set(key, (list = []));
    if (list.length >= MEMO_WAYS) list.shift();
    list.push({ facts, stamp, value });
  }
}

function sameFacts(a: readonly string[], b: readonly string[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Answers remembered per test, at most: a flow with very many facts must not hold a map as big as its work. */
const REMEMBERED_CAP = 4096;

/** `test` answered once per fact: a flow meets the same fact strings at node after node. */
function remembered(test: (f: string) => boolean): (f: string) => boolean {
  const known = new Map<string, boolean>();
  return (f) => {
    let v = known.get(f);
    if (v === undefined) {
      v = test(f);
      if (known.size < REMEMBERED_CAP) known.set(f, v);
    }
    return v;
  };
}

/** Runs single states through single nodes, for the path simulator. */
export interface Stepper {
  readonly cfg: Cfg;
  readonly inst: Instances;
  initial(entry: Mode): AbsState;
  step(node: CfgNode, state: AbsState): { outs: AbsState[][]; events: StepEvent[] };
}

export function createStepper(fn: FunctionIR, env: FlowEnv): Stepper {
  const flow = prepare(fn, env);
  const { cfg, inst } = flow;
  return {
    cfg,
    inst,
    initial: (entry) => makeState(entry, MODE_CHAR[entry] + 'n'.repeat(inst.count - 1), [], 0),
    step: (node, state) => flow.stepOne(node, state),
  };
}

class Flow {
  private readonly states: StateSet[];
  /** Per node, the states that arrived since its last transfer (each new at the node: `states` tells them apart). */
  private readonly pending: AbsState[][];
  private recording = false;
  /** Record call sites only (callSitesWith): rules never read this flow's events. */
  sitesOnly = false;
  /** Names whose values came in as entry facts: the ones worth passing on to callees. */
  private readonly passOn = new Set<string>();
  /** Changes whenever `passOn` does: what was worked out from a state's facts before holds only while it has not. */
  private passOnVersion = 0;
  /** Per call: the callee's summary for the facts of states that reached it (specialised or plain). */
  private readonly summaryAt = new FactsMemo<Summary>();
  /** Per call: the argument facts a context records for the facts of states that reached it. */
  private readonly contextAt = new FactsMemo<string[]>();
  private readonly params: Set<string>;
  /** Names tested or combined bit by bit (`flags & FOLL_WRITE`). */
  private readonly bitVars = new Set<string>();
  private events: FlowEvent[] = [];
  /** Set while the stepper runs a node: its events, with whole states. */
  private stepEvents: StepEvent[] | undefined;
  private sites = new Map<string, CallSiteModes>();
  /** The first violation seen per entry mode (whether every path has one is read off the exits). */
  private readonly violated = new Map<Mode, { why: string; at: Span; source: Requirement['source'] }>();
  private readonly notes: string[] = [];
  private current = 0;
  private work = 0;
  /** Held modes leaving each node (the `out` side of modesAt), per node and instance: 9 bits, entry mode x held mode. */
  private readonly outBits: Uint16Array;
  /** Entry facts, kept through widening. */
  private readonly keep: Set<string>;
  /** Per run: what the environment says of each callee name (summaries do not change while a function is analysed). */
  private readonly callees = new Map<string, { summary: Summary | undefined; info: CalleeInfo | undefined }>();
  private readonly primitives = new Map<Expr, Primitive | undefined>();
  private readonly callInst = new Map<Expr, number>();
  private readonly comparisons = new Map<Expr, Extract<Expr, { k: 'cmp' }>>();
  private readonly paramFacts = new Map<string, boolean>();
  private readonly siteKeys = new Map<Expr, string>();
  /** Per call: its arguments, blanked where the callee's parameter decides nothing (null: none decides). */
  private readonly contextArgs = new Map<Expr, string[] | null>();
  /** Per assigned name: whether a fact mentions it (what an assignment to it forgets). */
  private readonly mentions = new Map<string, (f: string) => boolean>();
  /**
   * What widening forgets, by level: 1 keeps the facts a caller sees (returned variables,
   * out-parameters), 2 none of those; both keep flag words, and a node keeps what it reads (dropAtNode).
   */
  private readonly dropAt: Array<(f: string) => boolean>;
  private readonly nodeDrop = new Map<number, (f: string) => boolean>();
  /** Per node, the names that die there (liveness.ts): facts about them are dropped on arrival. */
  private readonly dying: Array<readonly string[] | undefined>;
  private readonly dyingDrops = new Map<number, (f: string) => boolean>();
  /** The lock instances named by a plain variable (`mm`): while one is held, that pointer is not NULL. */
  private readonly lockedNames = new Map<string, number>();

  constructor(
    private readonly fn: FunctionIR,
    readonly cfg: Cfg,
    readonly inst: Instances,
    private readonly env: FlowEnv,
    private readonly tracked: Set<string>,
    private readonly correlated: Set<string>,
    private readonly entryFacts: readonly string[] = [],
    given: readonly string[] = entryFacts,
  ) {
    // Flag bits travel on their own (argValue); a struct that only brought flag bits does not pass its other fields on.
    for (const f of given) if (f[f.lastIndexOf('=') + 1] !== 'B' && !f.startsWith('v:*')) this.passOn.add(f.slice(2, f.lastIndexOf('=')).split('->')[0]);
    this.params = new Set(fn.params.filter(Boolean));
    // One walk: names combined bit by bit, and the variables returned (what widening keeps first).
    const returned = new Set<string>();
    walkStmt(fn.body, {
      stmt: (st) => {
        if (st.k === 'return' && st.e?.k === 'id') returned.add('v:' + st.e.name + '=');
      },
      enter: (e) => {
        if (e.k === 'bits') for (const x of [e.a, e.b]) if (x.k === 'id') this.bitVars.add(x.name);
      },
    });
    for (let i = 0; i < inst.count; i++) if (inst.exprs[i] && !inst.isGlobal(i) && IDENT_ONLY.test(inst.exprs[i])) this.lockedNames.set(inst.exprs[i], i);
    this.states = cfg.nodes.map(() => new StateSet());
    this.pending = cfg.nodes.map(() => []);
    this.outBits = new Uint16Array(cfg.nodes.length * inst.count);
    this.keep = new Set(entryFacts);
    const keep = this.keep;
    const seen = (f: string) => f.startsWith('v:*') || returned.has(f.slice(0, f.lastIndexOf('=') + 1));
    // Protocol flag words (`fault_flags` = 0, then B#+FAULT_FLAG_TRIED) survive widening: they decide the callees' lock effects, in few values.
    const bits = (f: string) => f[f.lastIndexOf('=') + 1] === 'B' || this.bitVars.has(f.slice(2, f.lastIndexOf('=')));
    // So do facts about an out-parameter itself (`locked` non-NULL): whether `*locked = 0` happens
    // when the lock is dropped (follow_hugetlb_page()'s `if (locked && ...)` after its fault loop).
    const outPtrs = new Set((env.outParams?.(fn) ?? []).map((p) => `v:${p}=`));
    const outPtr = (f: string) => outPtrs.size > 0 && outPtrs.has(f.slice(0, f.lastIndexOf('=') + 1));
    this.dropAt = [
      () => false,
      remembered((f) => !f.startsWith('x:') && !keep.has(f) && !seen(f) && !bits(f) && !outPtr(f)),
      (f) => !f.startsWith('x:') && !keep.has(f) && !bits(f) && !outPtr(f),
    ];
    if (cfg.problems.length) this.notes.push(...cfg.problems);
    this.dying = dyingNames(cfg, this.params);
  }

  /** Whether a fact is about a name that dies at node `id`. */
  private dyingDrop(id: number, dying: readonly string[]): (f: string) => boolean {
    let fn = this.dyingDrops.get(id);
    if (!fn) this.dyingDrops.set(id, (fn = (f) => factDies(f, dying)));
    return fn;
  }

  run(): void {
    const others = 'n'.repeat(this.inst.count - 1);
    const initial = MODES.map((m) => makeState(m, MODE_CHAR[m] + others, withModeFacts(this.entryFacts, this.env.entryFactsFor?.(m)), 0));
    const queue: number[] = [];
    const queued = new Uint8Array(this.cfg.nodes.length);
    // Widening is per entry mode (the paths entered with one mode do not cost the others their
    // facts) and in two steps: past the cap a node first forgets every path fact but what the
    // caller sees (the returned variables, `*locked`); past twice the cap, those too.
    const level = new Uint8Array(this.cfg.nodes.length * 3);
    const counts = new Uint16Array(this.cfg.nodes.length * 3);
    const push = (id: number, ss: AbsState[]) => {
      const have = this.states[id];
      const pend = this.pending[id];
      let over = 0;
      const dying = this.dying[id];
      for (let s of ss) {
        const e = MODE_INDEX[s.entry];
        if (dying && s.facts.length) s = withoutFacts(s, this.dyingDrop(id, dying));
        const lv = level[id * 3 + e];
        // A widened node stays widened: later states lose their path facts on arrival, so they
        // merge with what is there instead of growing the node past the cap and re-queuing it all.
        if (lv && s.facts.length) s = withoutFacts(s, this.dropAtNode(id, lv));
        if (!have.add(s)) continue;
        pend.push(s);
        if (++counts[id * 3 + e] > STATE_CAP * (lv + 1) && lv < 2) over |= 1 << e;
      }
      if (over) this.widen(id, over, counts, level);
      if (pend.length && !queued[id]) {
        queued[id] = 1;
        queue.push(id);
      }
    };
    push(this.cfg.entry, initial);
    // Each state reaches each node's transfer once (deltas), so events are recorded here, not in a second pass.
    this.recording = true;
    for (let head = 0; head < queue.length; head++) {
      const id = queue[head];
      queued[id] = 0;
      const delta = this.pending[id];
      this.pending[id] = [];
      this.work += delta.length;
      if (this.work > WORK_CAP) {
        this.notes.push('analysis cut: too many paths; results for this function are incomplete');
        break;
      }
      const node = this.cfg.nodes[id];
      const outs = this.transfer(node, delta);
      for (let i = 0; i < outs.length; i++) {
        const ss = outs[i];
        if (!ss.length) continue;
        this.markOut(id, ss);
        push(node.succ[i], ss);
      }
      if (node.kind === 'noreturn' || node.kind === 'exit') this.markOut(id, delta);
    }
    this.recording = false;
  }

  /** Records the held modes of states leaving a node. */
  private markOut(node: number, ss: readonly AbsState[]): void {
    const k = this.inst.count;
    const bits = this.outBits;
    const base = node * k;
    for (const s of ss) {
      const e = MODE_INDEX[s.entry] * 3;
      const modes = s.modes;
      for (let i = 0; i < k; i++) bits[base + i] |= 1 << (e + (CHAR_INDEX[modes.charCodeAt(i)] ?? 0));
    }
  }

  /** Too many states at one point for some entry modes: those states go one level up (`dropAt`); what the caller passed in stays while it holds. */
  private widen(id: number, entries: number, counts: Uint16Array, level: Uint8Array): void {
    const have = this.states[id];
    const pend = this.pending[id];
    const merged = new StateSet();
    for (let e = 0; e < 3; e++) {
      if (!(entries & (1 << e))) continue;
      level[id * 3 + e]++;
      counts[id * 3 + e] = 0;
    }
    for (const s of have.values()) {
      const e = MODE_INDEX[s.entry];
      if (!(entries & (1 << e))) {
        merged.add(s);
        continue;
      }
      // Pending states are states of the node (the same objects): one not yet transferred is
      // replaced by its widened form, which stays pending even when it equals another pending state
      // (a set by value would drop it, and the one it equals is replaced in turn).
      const i = pend.indexOf(s);
      if (i >= 0) pend.splice(i, 1);
      const w = withoutFacts(s, this.dropAtNode(id, level[id * 3 + e]));
      if (!merged.add(w)) continue;
      pend.push(w);
      counts[id * 3 + e]++;
    }
    this.states[id] = merged;
  }

  /**
   * What widening forgets at one node: not the facts about names the node itself reads. Those
   * decide what happens there (`hugetlb_fault(mm, vma, vaddr, fault_flags)` specialised to the
   * flag bits the loop body just set), and they take few values.
   */
  private dropAtNode(id: number, lv: number): (f: string) => boolean {
    const drop = this.dropAt[lv];
    let fn = this.nodeDrop.get(id * 3 + lv);
    if (!fn) {
      const used = new Set<string>();
      walkExpr(this.cfg.nodes[id].e, { enter: (x: Expr) => void (x.k === 'id' && used.add(x.name)) });
      fn = used.size ? remembered((f) => drop(f) && !used.has(f.slice(2, f.lastIndexOf('=')).replace(/^\*/, '').split(/->|\./)[0])) : drop;
      this.nodeDrop.set(id * 3 + lv, fn);
    }
    return fn;
  }

  callSites(): CallSiteModes[] {
    return [...this.sites.values()];
  }

  result(): FlowResult {
    // Per node and instance, 9 bits: entry mode x held mode. Whole states are kept only at the exit.
    const k = this.inst.count;
    const pack = (maps: StateSet[]) => {
      const bits = new Uint16Array(maps.length * k);
      maps.forEach((m, node) => {
        for (const s of m.values()) {
          const e = MODE_INDEX[s.entry] * 3;
          for (let i = 0; i < k; i++) bits[node * k + i] |= 1 << (e + MODE_INDEX[modeOf(s, i)]);
        }
      });
      return bits;
    };
    const bitsIn = pack(this.states);
    const bitsOut = this.outBits;
    const exits = this.states[this.cfg.exit].toArray();
    // The closures below must not reach `this` (the states of every node) or this.cfg.
    const fn = this.fn;
    return {
      fn,
      cfg: () => buildCfg(fn),
      inst: this.inst,
      modesAt: (node, side, entries, inst) => {
        const word = (side === 'in' ? bitsIn : bitsOut)[node * k + inst];
        const out = new Set<Mode>();
        for (const e of entries) for (const m of MODES) if (word & (1 << (MODE_INDEX[e] * 3 + MODE_INDEX[m]))) out.add(m);
        return MODES.filter((m) => out.has(m));
      },
      exits,
      events: this.events,
      sites: [...this.sites.values()],
      violatedEntries: this.violated.size
        ? new Map([...this.violated].filter(([m]) => {
          const ex = exits.filter((s) => s.entry === m);
          return ex.length > 0 && ex.every((s) => s.facts.includes(VIOLATED));
        }))
        : NO_VIOLATIONS,
      notes: this.notes,
    };
  }

  /** Facts about parameters survive a return: they show which argument decided the exit state. */
  private isParamFact(f: string): boolean {
    let v = this.paramFacts.get(f);
    if (v === undefined) {
      v = f.startsWith('v:') && this.params.has(f.slice(2, f.lastIndexOf('=')).split('->')[0].replace(/^\*/, ''));
      this.paramFacts.set(f, v);
    }
    return v;
  }

  stepOne(node: CfgNode, state: AbsState): { outs: AbsState[][]; events: StepEvent[] } {
    this.recording = true;
    const events: StepEvent[] = (this.stepEvents = []);
    const outs = this.transfer(node, [state]);
    this.recording = false;
    this.stepEvents = undefined;
    return { outs, events };
  }

  /** Output states per successor. */
  transfer(node: CfgNode, input: AbsState[]): AbsState[][] {
    this.current = node.id;
    const n = node.succ.length;
    const outs: AbsState[][] = node.succ.map(() => []);
    switch (node.kind) {
      case 'entry':
      case 'nop':
        for (let i = 0; i < n; i++) outs[i] = input;
        return outs;
      case 'exit':
        return outs;
      case 'choice':
      case 'stmt':
      case 'noreturn': {
        // One emit per node, not per state: closures were much of what the dataflow allocated.
        if (node.cases) {
          const choose = (t: AbsState, v: ValueClass) => this.chooseCases(node.cases!, v, t, outs);
          for (const s of input) this.eval(node.e, s, choose);
          return outs;
        }
        const after: AbsState[] = [];
        const push = (t: AbsState) => void after.push(t);
        for (const s of input) this.eval(node.e, s, push);
        for (let i = 0; i < n; i++) outs[i] = after;
        return outs;
      }
      case 'return': {
        const after: AbsState[] = [];
        const local = (f: string) => !f.startsWith('x:') && !this.isParamFact(f);
        const ret = (t: AbsState, v: ValueClass) => void after.push(withRet(withoutFacts(t, local), node.e ? v : undefined));
        for (const s of input) this.eval(node.e, s, ret);
        outs[0] = after;
        return outs;
      }
      case 'release': {
        const mode = guardMode(node.guard!.kind);
        for (const s of input) {
          if (!mode) outs[0].push(s);
          else this.applyPrimitive({ kind: 'release', mode }, 'guard-release', [node.guard!.arg], node.at ?? this.fn.at, s, (t) => outs[0].push(t), node.guard!.kind);
        }
        return outs;
      }
      case 'branch': {
        const known = node.e?.k === 'num' ? node.e.v !== 0 : undefined;
        const corr = node.ct !== undefined && this.correlated.has(node.ct) ? 'c:' + node.ct : undefined;
        const tested = testedVariable(node.e, this.tracked);
        // `if (vms->unlock)`: remember what the branch learnt about the tested variable.
        const learn = (x: AbsState, v: ValueClass, taken: boolean) => {
          let y = corr ? withFact(x, corr, taken ? 't' : 'f') : x;
          if (v === 'u' && tested) {
            const holds = tested.negated !== taken;
            if (!tested.mask) y = withFact(y, 'v:' + tested.name, holds ? 'nz' : 'z');
            // `if (flags & FOLL_UNLOCKABLE)`: the bit is set on one side, clear on the other.
            else if (!holds || (tested.mask.on.length === 1 && !tested.partial)) y = withFact(y, 'v:' + tested.name, learnBits(factValue(y, 'v:' + tested.name) as ValueClass | undefined, tested.mask, holds));
          }
          return y;
        };
        const decide = (t: AbsState, v: ValueClass) => {
          let b = truth(v);
          if (b === undefined && corr) {
            const f = factValue(t, corr);
            if (f !== undefined) b = f === 't';
          }
          if (b !== false) outs[0].push(learn(t, v, true));
          if (b !== true && n > 1) outs[1].push(learn(t, v, false));
        };
        for (const s of input) {
          if (known !== undefined) outs[known ? 0 : 1].push(s);
          else this.eval(node.e, s, decide);
        }
        return outs;
      }
    }
  }

  /**
   * The right side of `a && b` / `a || b` once `a` did not decide it. When `a` may go either way
   * and `b` changed the state (`folio_trylock(f) || __folio_lock_or_retry(f, mm, flags)`), the two
   * are different paths: `a` decided it (state untouched, value `cut`), or `b` ran, and then `a`
   * had the other value, so `b` alone decides. Otherwise one state with the combined value.
   */
  private shortCircuit(b: Expr, t: AbsState, va: ValueClass, cut: ValueClass, combine: (va: ValueClass, vb: ValueClass) => ValueClass, emit: Emit): void {
    if (truth(va) !== undefined) return this.eval(b, t, (t2, vb) => emit(t2, combine(va, vb)));
    const outs: Array<[AbsState, ValueClass]> = [];
    this.eval(b, t, (t2, vb) => outs.push([t2, vb]));
    if (outs.every(([t2]) => t2 === t)) {
      for (const [t2, vb] of outs) emit(t2, combine(va, vb));
      return;
    }
    emit(t, cut);
    const decided: ValueClass = cut === 'z' ? 'p' : 'z';
    for (const [t2, vb] of outs) emit(t2, combine(decided, vb));
  }

  /** Evaluates an expression on one state; emits each resulting state with the expression's value class. */
  eval(e: Expr | undefined, s: AbsState, emit: Emit): void {
    if (!e) return emit(s, 'u');
    let pv: ValueClass | undefined;
    switch (e.k) {
      case 'num':
        return emit(s, numberClass(e.v));
      case 'id':
        return emit(s, idValue(e.name, s, this.lockedNames));
      case 'not':
        if ((pv = pureValue(e, s, this.lockedNames)) !== undefined) return emit(s, pv);
        return this.eval(e.e, s, (t, v) => emit(t, notValue(v)));
      case 'bits': {
        if ((pv = pureValue(e, s, this.lockedNames)) !== undefined) return emit(s, pv);
        if (e.op === '~') return this.eval(e.a, s, (t) => emit(t, 'u'));
        if (e.op === '|') return this.eval(e.a, s, (t, va) => this.eval(e.b, t, (t2, vb) => emit(t2, orClass(va, vb))));
        const mb = constMask(e.b);
        const ma = mb ? undefined : constMask(e.a);
        return this.eval(e.a, s, (t, va) => this.eval(e.b, t, (t2, vb) => emit(t2, mb ? testMask(va, mb) : ma ? testMask(vb, ma) : 'u')));
      }
      case 'and':
        if ((pv = pureValue(e, s, this.lockedNames)) !== undefined) return emit(s, pv);
        return this.eval(e.a, s, (t, va) => {
          if (va === 'z') return emit(t, 'z');
          this.shortCircuit(e.b, t, va, 'z', andValue, emit);
        });
      case 'or':
        if ((pv = pureValue(e, s, this.lockedNames)) !== undefined) return emit(s, pv);
        return this.eval(e.a, s, (t, va) => {
          if (truth(va) === true) return emit(t, 'p');
          this.shortCircuit(e.b, t, va, 'p', orValue, emit);
        });
      case 'cmp': {
        // `walk_lock == PGWALK_RDLOCK`: an enumerator compares as its number.
        const c = this.numbered(e);
        if ((pv = pureValue(c, s, this.lockedNames)) !== undefined) return emit(s, pv);
        return this.eval(c.a, s, (t, va) => this.eval(c.b, t, (t2, vb) => emit(t2, compare(c.op, c.a, va, c.b, vb))));
      }
      case 'cond': {
        // `vmf ? vmf->vma : NULL` with `vmf` from a caller's argument: that arm only. Any other
        // choice runs its parts in turn and has no known value: deciding them all splits paths by
        // return values nobody tests, and the widening that follows costs more than it brings.
        const known = e.c.k === 'id' && this.passOn.has(e.c.name) ? factValue(s, 'v:' + e.c.name) : undefined;
        const b = known !== undefined && known !== UNCHANGED ? truth(known as ValueClass) : undefined;
        if (b !== undefined) return this.eval(b ? e.a : e.b, s, emit);
        let parts = condParts.get(e);
        if (!parts) condParts.set(e, (parts = wrapOther([e.c, e.a, e.b])));
        return this.eval(parts, s, (t) => emit(t, 'u'));
      }
      case 'assign': {
        // `ops = (flags & MPOL_MF_WRLOCK) ? &lock_vma_ops : &walk_ops`: the arm the condition takes,
        // or each on its own path, with its instance's constant members.
        const arms = e.op === '=' && e.rhs.k === 'cond' ? [this.instanceOf(e.rhs.a), this.instanceOf(e.rhs.b)] : undefined;
        if (e.rhs.k === 'cond' && arms?.every(Boolean) && IDENT.test(e.lhs)) {
          return this.eval(e.rhs.c, s, (t, v) => {
            const b = truth(v);
            arms.forEach((addr, i) => {
              if (b === undefined || b === (i === 0)) emit(this.pointTo(this.assign(t, e.lhs, 'p'), e.lhs, addr!), 'p');
            });
          });
        }
        return this.eval(e.rhs, s, (t, v) => {
          // `fault_flags |= FAULT_FLAG_ALLOW_RETRY`, `ret |= folio_lock_or_retry(...)`: protocol bits accumulate.
          const old = () => (factValue(t, 'v:' + e.lhs) as ValueClass | undefined) ?? 'u';
          // `*flags &= ~FAULT_FLAG_UNSHARE`: the masked bits become clear, the others stay as they were.
          const cleared = e.op === '&=' && e.rhs.k === 'bits' && e.rhs.op === '~' ? constMask(e.rhs.a) : undefined;
          const nv = e.op === '=' ? v : e.op === '|=' ? orClass(old(), v) : cleared ? clearBits(old(), cleared) : 'u';
          const out = this.assign(t, e.lhs, nv);
          const addr = e.op === '=' ? this.instanceOf(e.rhs) : undefined;
          emit(addr && IDENT.test(e.lhs) ? this.pointTo(out, e.lhs, addr) : out, nv);
        });
      }
      case 'guard': {
        const mode = guardMode(e.kind);
        if (!mode) return emit(s, 'u');
        return this.applyPrimitive({ kind: 'acquire', mode }, 'guard', [e.arg], e.at, s, (t) => emit(t, 'u'), e.kind);
      }
      case 'other':
        return this.evalSeq(e.subs, 0, s, (t) => {
          let out = t;
          if (e.kills) for (const k of e.kills) out = this.assign(out, k, 'u');
          emit(out, 'u');
        });
      case 'call': {
        // Most calls' arguments only read: the call is made on the state as it is, without a closure.
        const sub = e.sub;
        let i = 0;
        let first: ValueClass = 'u';
        if (sub) for (let pv: ValueClass | undefined; i < sub.length && (pv = pureValue(sub[i], s, this.lockedNames)) !== undefined; i++) if (i === 0) first = pv;
        if (!sub || i === sub.length) return this.call(e, s, first, emit);
        return this.evalSeq(sub, 0, s, (t, lastV) => this.call(e, t, lastV, emit));
      }
    }
  }

  /**
   * A switch on a known number (`switch (walk_lock)` with `walk_lock` = PGWALK_WRLOCK) enters
   * only the matching case, or `default:` when no label matches; an unknown value or label, any.
   */
  private chooseCases(cases: ReadonlyArray<Expr | null>, v: ValueClass, s: AbsState, outs: AbsState[][]): void {
    const x = v === 'z' ? 0 : /^n\d+$/.test(v) ? Number(v.slice(1)) : undefined;
    const labels = cases.map((c) => (c ? this.asNumber(c) : null));
    // Labels are distinct: past a known match, neither `default:` nor a label we cannot read is entered.
    const matched = x !== undefined && labels.some((l) => l?.k === 'num' && l.v === x);
    // A value known only to be non-zero, or an error (`faultin_page()` returning -EBUSY), enters no
    // `case 0:` (nor, an error, any case of a non-negative number).
    const excluded = (n: number) => (v === 'e' ? n >= 0 : (v === 'nz' || v === 'p') && n === 0);
    labels.forEach((l, i) => {
      if (x === undefined ? !(l?.k === 'num' && excluded(l.v)) : l?.k === 'num' ? l.v === x : !matched) outs[i].push(s);
    });
  }

  private passOnAdd(name: string): void {
    if (this.passOn.has(name)) return;
    this.passOn.add(name);
    this.passOnVersion++;
  }

  /** `&smaps_walk_ops`, for a struct instance with constant members: its name. */
  private instanceOf(e: Expr): string | undefined {
    return e.k === 'other' && e.addr && this.env.known?.instanceConstants(e.addr).length ? e.addr : undefined;
  }

  /**
   * `ops = &smaps_walk_ops`: the instance's constant members (`.walk_lock = PGWALK_RDLOCK`)
   * become facts of `ops->`, passed on with it like a value the caller was given.
   */
  private pointTo(s: AbsState, name: string, instance: string): AbsState {
    for (const [field, c] of this.env.known!.instanceConstants(instance)) s = withFact(s, `v:${name}->${field}`, numberClass(c));
    this.passOnAdd(name);
    return s;
  }

  /** An enumerator as the number it stands for; any other expression as it is. */
  private asNumber(e: Expr): Expr {
    if (e.k !== 'id' || !this.env.known) return e;
    const v = this.env.known.constant(e.name);
    return v === undefined ? e : { k: 'num', v };
  }

  /** A comparison with its enumerators as numbers (made once per comparison). */
  private numbered(e: Extract<Expr, { k: 'cmp' }>): Extract<Expr, { k: 'cmp' }> {
    let c = this.comparisons.get(e);
    if (!c) {
      const [a, b] = [this.asNumber(e.a), this.asNumber(e.b)];
      this.comparisons.set(e, (c = a === e.a && b === e.b ? e : { ...e, a, b }));
    }
    return c;
  }

  private evalSeq(list: Expr[], i: number, s: AbsState, emit: Emit, last: ValueClass = 'u'): void {
    // Parts that only read give one state, unchanged, and their value: no closure for them.
    for (let pv: ValueClass | undefined; i < list.length && (pv = pureValue(list[i], s, this.lockedNames)) !== undefined; i++) if (i === 0) last = pv;
    if (i >= list.length) return emit(s, last);
    this.eval(list[i], s, (t, v) => this.evalSeq(list, i + 1, t, emit, i === 0 ? v : last));
  }

  /** Records the value class of a variable, and forgets facts about conditions that mention it. */
  private assign(s: AbsState, lhs: string, v: ValueClass): AbsState {
    let t = s;
    if (s.facts.length) {
      // A fact reads the variable, not a field of the same name (`unsigned int flags = vmf->flags;`
      // in __folio_lock_or_retry() keeps what the caller said of `vmf->flags`).
      let mentions = this.mentions.get(lhs);
      if (!mentions) this.mentions.set(lhs, (mentions = remembered((f) => hasWord(f.slice(2, f.lastIndexOf('=')), lhs, true))));
      t = withoutFacts(s, mentions);
    }
    // Known protocol bits are kept for any name (a struct field set from flags, `*flags_p`): they are few.
    if (this.tracked.has(lhs) || v[0] === 'B' || (v === 'z' && /\.|->/.test(lhs))) t = withFact(t, 'v:' + lhs, v === 'u' ? undefined : v);
    return t;
  }

  private call(e: Extract<Expr, { k: 'call' }>, s: AbsState, firstArgValue: ValueClass, emit: Emit, split = true): void {
    // Passing &x (or a pointer p) lets the callee change x (*p): forget what we knew, until its summary says.
    const pre = s;
    if (s.facts.length) {
      for (const name of callShape(e).forgets) if (factValue(s, name) !== undefined) s = withFact(s, name, undefined);
    }
    const wrap = VALUE_WRAPPERS.get(e.f);
    if (wrap) return emit(s, wrap(e.sub?.length ? firstArgValue : 'u') as ValueClass);
    // `vma_assert_locked()`: `if (!rwsem_is_locked(&vma->vm_lock->lock)) vma_assert_write_locked(vma);`
    // holds when the VMA's own lock is held or mmap_lock is held for write. Read as an assertion
    // (assume-guarantee, as mmap_assert_locked() is): without the write lock the VMA's lock is held,
    // so the test is true; with it, unknown.
    if (e.f === 'rwsem_is_locked' && PER_VMA_LOCK_ARG.test(e.a[0] ?? '') && this.inst.count === 1 && modeOf(s, 0) !== 'write') return emit(s, 'p');
    const pred = PROTOCOL_PREDICATES.get(e.f);
    if (pred) {
      const v = argValue(e.a[pred[0]], s) ?? 'u';
      return emit(s, testMask(v, constMask({ k: 'id', name: pred[1] })!) === 'z' ? 'z' : 'u');
    }
    let p = this.primitives.get(e);
    if (p === undefined && !this.primitives.has(e)) this.primitives.set(e, (p = primitiveFor(e.f, e.a, this.env.extraPrimitives)));
    if (p) return this.applyPrimitive(p, e.f, e.a, e.at, s, emit);
    const known = callShape(e).plain ? this.calleeOf(e.f) : undefined;
    let summary = known?.summary;
    const info = known?.info;
    if (info) {
      // __vm_munmap(..., unlock) hands its own unknown `unlock` to do_vmi_munmap() and tests it later:
      // follow each value separately, each with the callee's summary for that value.
      if (split && summary && info.specialises !== false && isUncertain(summary)) {
        // Only the caller's own flag-like parameters: pointers tested for NULL decide no lock effect.
        // Not flag words (tested bit by bit): zero or non-zero says nothing of their protocol bits.
        const x = e.a.find((a) => this.params.has(a) && !looksLikeObject(a) && this.tracked.has(a) && !this.bitVars.has(a) && factValue(s, 'v:' + a) === undefined && info.params[e.a.indexOf(a)]);
        if (x) {
          const wasPassed = this.passOn.has(x);
          this.passOnAdd(x);
          const sides = [withFact(s, 'v:' + x, 'z'), withFact(s, 'v:' + x, 'nz')];
          // Worth it only when each value gives the callee a certain effect (else the split just doubles states).
          const each = sides.map((t) => info.specialise(calleeEntryFacts(e.a, info.params, t, this.passOn, this.env.known)));
          if (each.every((x) => x && !isUncertain(x))) {
            for (const t of sides) this.call(e, t, firstArgValue, emit, false);
            return;
          }
          if (!wasPassed) {
            this.passOn.delete(x);
            this.passOnVersion++;
          }
        }
      }
      if (summary && summary.trans !== BOTTOM.trans && info.specialises !== false) {
        // The states reaching one call often carry the same facts: the callee's summary for them is worked out once.
        const memo = this.summaryAt.get(e, pre.facts, this.passOnVersion);
        if (memo) summary = memo.value;
        else {
          const facts = calleeEntryFacts(e.a, info.params, pre, this.passOn, this.env.known);
          if (facts.length) summary = info.specialise(facts) ?? summary;
          this.summaryAt.set(e, pre.facts, this.passOnVersion, summary);
        }
      }
      if (info.fieldWrites.length) s = applyFieldWrites(s, e.a, info.fieldWrites);
    }
    let i = this.callInst.get(e);
    if (i === undefined) this.callInst.set(e, (i = this.inst.forCallArgs(e.a)));
    if (!summary) {
      if (this.recording) this.recordSite(e, i, s, undefined, pre, info);
      return emit(s, info?.predicate ? evalPredicate(info.predicate, info.params, e.a, s) : 'u');
    }
    const b = modeOf(s, i);
    const results = summary.trans[b];
    const after: AbsState[] = [];
    if (summary.requires && !summary.requires.modes.includes(b) && i === 0 && !(s.touched & 1)) {
      s = this.violation(s, { why: `calls ${e.f}(), which ${summary.requires.why}`, at: e.at, source: 'callee' });
    }
    // A callee that locks or unlocks acts for this path: its effect counts as this function's own.
    const acts = !!summary.acquires || results.some(([m]) => m !== b);
    for (const [m, v, outs] of results) {
      let t = m !== b ? withMode(s, i, m) : acts ? withTouched(s, i) : s;
      // `*locked = 0` in the callee: the caller's `locked` (or `*locked`) says the lock was dropped.
      if (outs && info) t = applyOuts(t, pre, outs, e.a, info.params, this.passOn);
      after.push(t);
      emit(t, v);
    }
    if (this.recording) {
      this.recordSite(e, i, s, summary, pre, info);
      if (summary.requires || summary.acquires || after.some((t) => t !== s)) this.record({ kind: 'call', callee: e.f, args: e.a, inst: i, at: e.at, before: s, after, summary });
    }
  }

  /** The environment's summary and call information for a callee name, asked once per run. */
  private calleeOf(name: string): { summary: Summary | undefined; info: CalleeInfo | undefined } {
    let c = this.callees.get(name);
    if (!c) this.callees.set(name, (c = { summary: this.env.summary(name), info: this.env.callee?.(name) }));
    return c;
  }

  private applyPrimitive(p: Primitive, callee: string, args: readonly string[], at: Span, s: AbsState, emit: Emit, guard?: string): void {
    const i = this.inst.indexOf(args[p.arg ?? 0] ?? '');
    const b = modeOf(s, i);
    const after: AbsState[] = [];
    const out = (t: AbsState, v: ValueClass) => {
      after.push(t);
      emit(t, v);
    };
    switch (p.kind) {
      case 'acquire':
        if (!p.taken && b !== 'none' && !s.facts.includes(DEADLOCK)) {
          // Blocking on a lock this thread holds never returns; the path goes on marked, so later rules stay quiet on it.
          out(withFact(withMode(s, i, p.mode), 'x:deadlock', '1'), 'u');
          break;
        }
        if (p.taken && b !== 'none') {
          // A trylock on a lock this thread holds fails: BUG_ON(mmap_read_trylock(mm)) asserts it is held.
          out(withTouched(s, i), p.notTaken!);
        } else if (p.taken) {
          out(withMode(s, i, p.mode), p.taken);
          out(withTouched(s, i), p.notTaken!);
        } else out(withMode(s, i, p.mode), 'u');
        break;
      case 'release':
        out(withMode(this.entryRelease(p, callee, at, s, i, b), i, 'none'), 'u');
        break;
      case 'downgrade':
        out(withMode(this.entryRelease(p, callee, at, s, i, b), i, b === 'write' ? 'read' : b), 'u');
        break;
      case 'assert': {
        const ok = p.accepts!.includes(b);
        const t = !ok && i === 0 && !(s.touched & 1) ? this.violation(s, { why: `asserts ${p.accepts!.join(' or ')} (${callee}(${lockExpr(args[0] ?? '')}))`, at, source: 'assert' }) : s;
        out(t, 'u');
        break;
      }
      case 'query':
        out(s, 'u');
        break;
    }
    if (this.recording) {
      this.record({ kind: p.kind, callee, args, inst: i, at, before: s, after, prim: p, guard });
    }
  }

  /** Releasing a lock this path did not take: the function needs its caller to hold it in that mode. */
  private entryRelease(p: Primitive, callee: string, at: Span, s: AbsState, i: number, b: Mode): AbsState {
    if (i !== 0 || s.touched & 1 || b === p.mode || callee === 'guard-release') return s;
    return this.violation(s, { why: `releases mmap_lock it did not take (${callee} expects ${p.mode})`, at, source: 'release' });
  }

  /**
   * This path, entered in s.entry, breaks a requirement before locking anything itself. The entry
   * mode becomes a violation only if every path entered in it does (see result()); a check that
   * runs on some paths only (process_mm_walk_lock() picks its assertion by argument) is no requirement.
   */
  private violation(s: AbsState, v: { why: string; at: Span; source: Requirement['source'] }): AbsState {
    if (!this.violated.has(s.entry)) this.violated.set(s.entry, v);
    return s.facts.includes(VIOLATED) ? s : withFact(s, 'x:violated', '1');
  }

  private recordSite(e: Extract<Expr, { k: 'call' }>, inst: number, s: AbsState, summary?: Summary, pre = s, info?: CalleeInfo): void {
    const { f: callee, a: args, at } = e;
    let key = this.siteKeys.get(e);
    if (key === undefined) this.siteKeys.set(e, (key = `${callee}@${at[0]}:${at[1]}`));
    let site = this.sites.get(key);
    if (!site) {
      site = { callee, args, at, inst, byEntry: NO_MODES };
      if (summary) site.summary = summary;
      this.sites.set(key, site);
    }
    const held = modeOf(s, inst);
    let facts: string[] = [];
    if (info?.controls?.size && args.length) {
      // Only the arguments landing in a parameter the callee tests or passes on (worked out once per call).
      let relevant = this.contextArgs.get(e);
      if (relevant === undefined) {
        const controls = info.controls;
        const kept = args.map((a, k) => (info.params[k] && (controls.has(info.params[k]) || controls.has('*' + info.params[k])) ? a : ''));
        this.contextArgs.set(e, (relevant = kept.some(Boolean) ? kept : null));
      }
      if (relevant) {
        const memo = this.contextAt.get(e, pre.facts, this.passOnVersion);
        if (memo) facts = memo.value;
        else {
          facts = contextFacts(calleeEntryFacts(relevant, info.params, pre, this.passOn, this.env.known), info.controls).filter(contextWorthy);
          this.contextAt.set(e, pre.facts, this.passOnVersion, facts);
        }
      }
    }
    if (facts.length && !site.contexts) {
      // Paths recorded before this one brought no facts.
      site.contexts = new Set();
      for (const m of MODES) for (const h of site.byEntry[m]) site.contexts.add(`${MODE_CHAR[m]}${MODE_CHAR[h]}|`);
    }
    site.byEntry = byEntryWith(site.byEntry, s.entry, held);
    site.contexts?.add(`${MODE_CHAR[s.entry]}${MODE_CHAR[held]}|${facts.join(';')}`);
  }

  private record(ev: Omit<StepEvent, 'node'>): void {
    if (this.sitesOnly) return;
    if (this.stepEvents) this.stepEvents.push({ node: this.current, ...ev });
    else this.events.push({ node: this.current, ...ev, before: eventState(ev.before), after: eventStateList(ev.after) });
  }
}

/** A variable's value class on one path: its fact, else the constant it names, else unknown. */
/** A name that is a plain identifier (a lock instance's mm variable, not `vma->vm_mm`). */
const IDENT_ONLY = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Variables that name a lock instance, by instance (Flow.lockedNames). */
type LockedNames = ReadonlyMap<string, number>;

/**
 * A variable's value: its fact, else a constant's; else, for the variable a held lock instance is
 * named by, non-NULL (there is no lock of a NULL mm: x86's `__bad_area()` unlocks `if (mm)`, and its
 * mmap_lock callers pass the mm, its VMA-lock callers NULL).
 */
function idValue(name: string, s: AbsState, locked?: LockedNames): ValueClass {
  let f = s.facts.length ? factValue(s, 'v:' + name) : undefined;
  if (f === UNCHANGED) f = undefined;
  if (f === undefined) {
    const c = constantClass(name);
    if (c) return c;
    const i = locked?.get(name);
    return i !== undefined && s.modes.charCodeAt(i) !== 110 /* n */ ? 'p' : 'u';
  }
  return f as ValueClass;
}

/**
 * The value Flow.eval emits for an expression that only reads (names, numbers, and tests or bit
 * operations of them), computed the same way without a closure per part; undefined when the
 * expression (where its value needs it) does more than read, for Flow.eval to run. Reading has no
 * effect on the state, so Flow.eval would emit the state it was given, once, with this value.
 */
function pureValue(e: Expr, s: AbsState, locked?: LockedNames): ValueClass | undefined {
  switch (e.k) {
    case 'num':
      return numberClass(e.v);
    case 'id':
      return idValue(e.name, s, locked);
    case 'not': {
      const v = pureValue(e.e, s, locked);
      return v === undefined ? undefined : notValue(v);
    }
    case 'bits': {
      const va = pureValue(e.a, s, locked);
      if (va === undefined) return undefined;
      if (e.op === '~') return 'u';
      const vb = pureValue(e.b, s, locked);
      if (vb === undefined) return undefined;
      if (e.op === '|') return orClass(va, vb);
      const mb = constMask(e.b);
      const ma = mb ? undefined : constMask(e.a);
      return mb ? testMask(va, mb) : ma ? testMask(vb, ma) : 'u';
    }
    case 'and':
    case 'or': {
      const va = pureValue(e.a, s, locked);
      if (va === undefined) return undefined;
      // Short-circuit as Flow.eval does: `b` is not evaluated.
      if (e.k === 'and' ? va === 'z' : truth(va) === true) return e.k === 'and' ? 'z' : 'p';
      const vb = pureValue(e.b, s, locked);
      if (vb === undefined) return undefined;
      return e.k === 'and' ? andValue(va, vb) : orValue(va, vb);
    }
    case 'cmp': {
      const va = pureValue(e.a, s, locked);
      if (va === undefined) return undefined;
      const vb = pureValue(e.b, s, locked);
      if (vb === undefined) return undefined;
      return compare(e.op, e.a, va, e.b, vb);
    }
    default:
      return undefined;
  }
}

/** What a call expression's text says, worked out once per expression: the facts passing `&x` or `p` drops, whether the callee is a plain name. */
interface CallShape {
  /** `v:x` for each `&x` argument (either arm of `c ? &x : y`), `v:*p` for each plain-name argument `p`, in argument order. */
  forgets: string[];
  plain: boolean;
}

const callShapes = new WeakMap<Expr, CallShape>();

function callShape(e: Extract<Expr, { k: 'call' }>): CallShape {
  let c = callShapes.get(e);
  if (!c) {
    const forgets: string[] = [];
    for (const a of e.a.flatMap(alternatives)) {
      if (a.startsWith('&')) forgets.push('v:' + a.slice(1));
      else if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(a)) forgets.push(`v:*${a}`);
    }
    callShapes.set(e, (c = { forgets, plain: /^[A-Za-z_][A-Za-z0-9_]*$/.test(e.f) }));
  }
  return c;
}

/** A callee's out-parameter values on one of its exits (`*locked=z;*flags_p=B#+FOLL_UNLOCKABLE`), in the caller's names. */
function applyOuts(s: AbsState, pre: AbsState, outs: string, args: readonly string[], params: readonly string[], passOn: ReadonlySet<string>): AbsState {
  let t = s;
  for (const o of outs.split(';')) {
    const eq = o.indexOf('=');
    const k = params.indexOf(o.slice(1, eq));
    if (k < 0 || !args[k]) continue;
    // `locked ? locked : &local_locked` with `locked` unknown: both may be written (and `*locked` means nothing when NULL).
    for (const a of alternatives(chosenArg(args[k], pre, passOn))) {
      // (`pages ? &page : NULL`: a literal points nowhere.)
      const target = /^&[A-Za-z_][A-Za-z0-9_]*$/.test(a) ? a.slice(1) : IDENT.test(a) && !LITERAL.test(a) ? `*${a}` : undefined;
      if (!target) continue;
      const v = o.slice(eq + 1);
      t = withFact(t, 'v:' + target, v === UNCHANGED ? factValue(pre, 'v:' + target) : v);
      // The callee wrote `*locked`: on this path the caller's `locked` is not NULL (so its own
      // `if (locked && *locked == 0)` after follow_hugetlb_page() dropped the lock is taken).
      if (v !== UNCHANGED && target[0] === '*' && alternatives(args[k]).length === 1 && factValue(t, 'v:' + a) === undefined) t = withFact(t, 'v:' + a, 'nz');
    }
  }
  return t;
}

/** The expressions an argument may pass: both arms of `c ? x : y`, else itself. */
function alternatives(arg: string): string[] {
  const m = /^[^?:]+\?([^?:]+):([^?:]+)$/.exec(arg);
  return m ? [m[1].trim(), m[2].trim()] : [arg];
}

/** A predicate helper's value at one call: its parameters stand for the call's arguments. */
function evalPredicate(body: Expr, params: readonly string[], args: readonly string[], s: AbsState): ValueClass {
  const val = (name: string): ValueClass | undefined => {
    const m = /^(\*?)([A-Za-z_][A-Za-z0-9_]*)(->.*)?$/.exec(name);
    const k = m ? params.indexOf(m[2]) : -1;
    if (!m || k < 0) return undefined;
    const a = args[k];
    if (!a) return undefined;
    if (!m[1] && !m[3]) return argValue(a, s);
    const path = a.startsWith('&') ? `${a.slice(1)}${m[3] ? '.' + m[3].slice(2) : ''}` : m[1] ? `*${a}` : `${a}${m[3]}`;
    return factValue(s, 'v:' + path) as ValueClass | undefined;
  };
  const ev = (e: Expr): ValueClass => {
    switch (e.k) {
      case 'num':
        return numberClass(e.v);
      case 'id': {
        const v = val(e.name);
        if (v) return v;
        return constantClass(e.name) ?? 'u';
      }
      case 'not': {
        const b = truth(ev(e.e));
        return b === undefined ? 'u' : b ? 'z' : 'p';
      }
      case 'and':
      case 'or': {
        const a = truth(ev(e.a));
        const b = truth(ev(e.b));
        if (e.k === 'and') return a === false || b === false ? 'z' : a && b ? 'p' : 'u';
        return a || b ? 'p' : a === false && b === false ? 'z' : 'u';
      }
      case 'bits': {
        if (e.op === '~') return 'u';
        if (e.op === '|') return orClass(ev(e.a), ev(e.b));
        const mb = constMask(e.b);
        const ma = mb ? undefined : constMask(e.a);
        return mb ? testMask(ev(e.a), mb) : ma ? testMask(ev(e.b), ma) : 'u';
      }
      case 'cmp':
        return compare(e.op, e.a, ev(e.a), e.b, ev(e.b));
      case 'cond': {
        const b = truth(ev(e.c));
        if (b !== undefined) return ev(b ? e.a : e.b);
        const [va, vb] = [ev(e.a), ev(e.b)];
        return va === vb ? va : 'u';
      }
      default:
        return 'u';
    }
  };
  return ev(body);
}

/** Some entry mode has more than one exit mode: what a caller passes might decide which. */
function isUncertain(s: Summary): boolean {
  let u = uncertain.get(s);
  if (u === undefined) uncertain.set(s, (u = MODES.some((m) => new Set(s.trans[m].map(([x]) => x)).size > 1)));
  return u;
}

/** What a choice does when its condition is not a caller's known argument, worked out once per expression. */
const condParts = new WeakMap<Expr, Expr>();

/** Summaries are never changed once made: whether each is uncertain is worked out once. */
const uncertain = new WeakMap<Summary, boolean>();

/** The variable a condition tests directly: `x`, `!x`, `unlikely(!x)`, or protocol bits of it: `!(flags & BIT)`. */
const TRUTH_WRAPPERS = new Set(['unlikely', 'likely', 'WARN_ON', 'WARN_ON_ONCE', 'VM_WARN_ON', 'VM_WARN_ON_ONCE']);

function testedVariable(e: Expr | undefined, tracked: Set<string>): { name: string; negated: boolean; mask?: Mask; partial?: boolean } | undefined {
  let negated = false;
  for (let cur = e, i = 0; cur && i < 8; i++) {
    if (cur.k === 'id') return tracked.has(cur.name) ? { name: cur.name, negated } : undefined;
    if (cur.k === 'bits' && cur.op === '&') {
      const [v, m] = cur.a.k === 'id' && !constantBits(cur.a.name) ? [cur.a, constMask(cur.b)] : cur.b.k === 'id' ? [cur.b, constMask(cur.a)] : [undefined, undefined];
      // A mask with other bits still tells, when the test fails, that its protocol bits are clear.
      if (!v || v.k !== 'id' || !m || !m.on.length || !tracked.has(v.name)) return undefined;
      return { name: v.name, negated, mask: m, partial: m.other };
    }
    if (cur.k === 'not') {
      negated = !negated;
      cur = cur.e;
    } else if (cur.k === 'call' && TRUTH_WRAPPERS.has(cur.f) && cur.sub?.length) cur = cur.sub[0];
    else return undefined;
  }
  return undefined;
}

/** `!v`. */
function notValue(v: ValueClass): ValueClass {
  const b = truth(v);
  return b === undefined ? 'u' : b ? 'z' : 'p';
}

/** `a && b` once `a` did not cut it short (it is not 0). */
function andValue(va: ValueClass, vb: ValueClass): ValueClass {
  const b = truth(vb);
  return b === false ? 'z' : va === 'u' || b === undefined ? 'u' : 'p';
}

/** `a || b` once `a` did not cut it short (it is not known non-zero). */
function orValue(va: ValueClass, vb: ValueClass): ValueClass {
  const b = truth(vb);
  return b === true ? 'p' : va === 'u' || b === undefined ? 'u' : 'z';
}

/** Value of `a OP b` where one side is a constant (`ret < 0`, `vma == NULL`, `ret == 1`). */
function compare(op: string, ea: Expr, va0: ValueClass, eb: Expr, vb0: ValueClass): ValueClass {
  // Known flag bits say only whether the value is non-zero.
  const va: ValueClass = va0[0] === 'B' ? (bitsTruth(va0) ? 'nz' : 'u') : va0;
  const vb: ValueClass = vb0[0] === 'B' ? (bitsTruth(vb0) ? 'nz' : 'u') : vb0;
  let v: ValueClass;
  let o = op;
  if ((op === '==' || op === '!=') && (eb.k === 'num' && eb.v !== 0 || ea.k === 'num' && ea.v !== 0)) {
    const k = numberClass(eb.k === 'num' ? eb.v : (ea as { v: number }).v);
    const x = eb.k === 'num' ? va : vb;
    const eq: ValueClass = x === k && k !== 'p' && k !== 'e' ? 'p' : x === 'u' || x === 'p' || (x === 'e' && k === 'e') ? 'u' : 'z';
    return op === '==' ? eq : eq === 'u' ? 'u' : eq === 'p' ? 'z' : 'p';
  }
  if (eb.k === 'num' && eb.v === 0) v = va;
  else if (ea.k === 'num' && ea.v === 0) {
    v = vb;
    o = ({ '<': '>', '>': '<', '<=': '>=', '>=': '<=' } as Record<string, string>)[op] ?? op;
  } else return 'u';
  if (v === 'u') return 'u';
  switch (o) {
    case '==':
      return v === 'z' ? 'p' : 'z';
    case '!=':
      return v === 'z' ? 'z' : 'p';
    case '<':
      return v === 'e' ? 'p' : 'z';
    case '>=':
      return v === 'e' ? 'z' : 'p';
    case '>':
      return v === 'p' ? 'p' : 'z';
    case '<=':
      return v === 'p' ? 'z' : 'p';
    default:
      return 'u';
  }
}
