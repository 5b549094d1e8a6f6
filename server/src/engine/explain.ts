/**
 * Questions an editor asks about one place in the code: which function is
 * here, which modes are held on this line and why, what a lock call does,
 * what a function's summary is. Plain data; the language server turns it
 * into hovers and inlay hints, and nothing here knows about LSP.
 */
import { DOCUMENTED_CALLBACK_CONTEXT } from '../interproc/callbacks';
import { statedRequirement } from '../interproc/documented-context';
import type { FnRef } from '../interproc/function-table';
import { type Program, takesLockItself } from '../interproc/program';
import type { FlowEvent, FlowResult } from '../lockflow/dataflow';
import { MODES, type Mode, modeOf, sortModes } from '../lockflow/modes';
import { describeTrans } from '../lockflow/summary';
import type { Span } from '../parse/ir';
import { type CallerInfo, annotateFunction } from './annotate';
import { formatState, type LockState } from './lock-state-json';

/** The function whose span covers a 1-based line (the innermost when spans nest after a bad parse). */
export function functionAtLine(p: Program, file: string, line: number): FnRef | undefined {
  let best: FnRef | undefined;
  for (const r of p.table.byFile.get(file) ?? []) {
    const [l0, , l1] = r.fn.at;
    if (line < l0 || line > l1) continue;
    if (!best || l1 - l0 < best.fn.at[2] - best.fn.at[0]) best = r;
  }
  return best;
}

export function spanContains(at: Span, line: number, col: number): boolean {
  if (line < at[0] || line > at[2]) return false;
  if (line === at[0] && col < at[1]) return false;
  if (line === at[2] && col > at[3]) return false;
  return true;
}

/** A lock operation, or a call whose summary changes or needs the lock, as one place shows it. */
export interface Transition {
  kind: FlowEvent['kind'];
  callee: string;
  at: Span;
  before: LockState;
  after: LockState;
  /** `mmap_write_lock(mm): none -> write` */
  text: string;
  /** For calls: what the callee requires, in words. */
  requires?: string;
}

export interface LineInfo {
  ref: FnRef;
  line: number;
  /** Modes held when the line's first statement starts, and after its last one. */
  before: LockState;
  after: LockState;
  /** Why each held mode is held, in words, with the place it comes from when there is one. */
  why: Array<{ text: string; file?: string; line?: number }>;
  /** Lock operations on this line. */
  transitions: Transition[];
}

/**
 * Per-function caches of what hovers and hints read: built once per analysis
 * generation (the front end passes a new generation after every update).
 */
export class ExplainCache {
  private generation = -1;
  private readonly lines = new Map<string, Map<number, { before: LockState; after: LockState }>>();
  private readonly transitions = new Map<string, Transition[]>();

  constructor(private readonly p: Program) {}

  /** Drops everything when the program changed since the last call. */
  sync(generation: number): void {
    if (generation === this.generation) return;
    this.generation = generation;
    this.lines.clear();
    this.transitions.clear();
  }

  lineStates(ref: FnRef): Map<number, { before: LockState; after: LockState }> {
    let m = this.lines.get(ref.id);
    if (!m) {
      m = new Map(annotateFunction(this.p, ref).lines.map((l) => [l.line, { before: l.before, after: l.after }]));
      this.lines.set(ref.id, m);
    }
    return m;
  }

  transitionsOf(ref: FnRef): Transition[] {
    let t = this.transitions.get(ref.id);
    if (!t) {
      t = computeTransitions(this.p, ref);
      this.transitions.set(ref.id, t);
    }
    return t;
  }

  /** The state at a 1-based line: the line's own statement, else the nearest statement line above it in the function. */
  stateAt(ref: FnRef, line: number): { before: LockState; after: LockState; exact: boolean } | undefined {
    const m = this.lineStates(ref);
    const own = m.get(line);
    if (own) return { ...own, exact: true };
    let best = -1;
    for (const l of m.keys()) if (l < line && l > best) best = l;
    if (best < 0) return undefined;
    const s = m.get(best)!;
    return { before: s.after, after: s.after, exact: false };
  }

  explainLine(ref: FnRef, line: number): LineInfo | undefined {
    const st = this.stateAt(ref, line);
    if (!st) return undefined;
    const transitions = this.transitionsOf(ref).filter((t) => t.at[0] <= line && line <= t.at[2]);
    return { ref, line, before: st.before, after: st.after, why: whyHeld(this.p, ref, line, st.before, this.transitionsOf(ref)), transitions };
  }
}

function held(modes: readonly Mode[]): boolean {
  return modes.some((m) => m !== 'none');
}

/** The function's lock operations and effectful calls, merged over the entry modes callers bring. */
export function computeTransitions(p: Program, ref: FnRef): Transition[] {
  const flow = p.flow(ref);
  const entries = new Set(p.entryModes(ref));
  const byPlace = new Map<string, { ev: FlowEvent; before: Set<Mode>[]; after: Set<Mode>[] }>();
  for (const ev of flow.events) {
    if (ev.kind === 'query') continue;
    if (!entries.has(ev.before.entry)) continue;
    const key = `${ev.at[0]}:${ev.at[1]}:${ev.callee}`;
    let slot = byPlace.get(key);
    if (!slot) {
      slot = { ev, before: [], after: [] };
      for (let i = 0; i < flow.inst.count; i++) {
        slot.before.push(new Set());
        slot.after.push(new Set());
      }
      byPlace.set(key, slot);
    }
    for (let i = 0; i < flow.inst.count; i++) {
      slot.before[i].add(modeOf(ev.before, i));
      for (const a of ev.after) slot.after[i].add(modeOf(a, i));
    }
  }
  const out: Transition[] = [];
  for (const { ev, before, after } of byPlace.values()) {
    const b = toState(flow, before);
    const a = toState(flow, after);
    const same = formatState(b) === formatState(a);
    const req = ev.summary?.requires;
    // A plain call matters when it changes the lock or needs it; asserts always matter.
    if (ev.kind === 'call' && same && !req) continue;
    const name = ev.guard ? `guard(${ev.guard})` : ev.callee;
    const text = ev.kind === 'assert' ? `${name}(): asserts ${describeAccepts(ev)} (held: ${formatState(b)})` : `${name}(): ${formatState(b)} -> ${formatState(a)}`;
    const t: Transition = { kind: ev.kind, callee: name, at: ev.at, before: b, after: a, text };
    if (req) t.requires = `${ev.callee}() ${req.why}`;
    out.push(t);
  }
  return out.sort((x, y) => x.at[0] - y.at[0] || x.at[1] - y.at[1]);
}

function describeAccepts(ev: FlowEvent): string {
  const acc = ev.prim?.accepts ?? ['read', 'write'];
  return acc.length === 2 ? 'held (read or write)' : `${acc.join('/')} held`;
}

function toState(flow: FlowResult, sets: Set<Mode>[]): LockState {
  const out: LockState = {};
  for (let i = 0; i < flow.inst.count; i++) out[flow.inst.name(i)] = sortModes(sets[i]);
  return out;
}

/** For each mode held before `line`: the nearest transition above that brings it, else the callers that enter with it. */
function whyHeld(p: Program, ref: FnRef, line: number, state: LockState, transitions: Transition[]): LineInfo['why'] {
  const why: LineInfo['why'] = [];
  for (const [inst, modes] of Object.entries(state)) {
    for (const m of modes) {
      if (m === 'none' && !held(modes)) continue;
      const src = [...transitions].reverse().find((t) => t.at[2] < line && t.kind !== 'assert' && (t.after[inst] ?? []).includes(m) && !(t.before[inst] ?? []).every((x) => x === m));
      const lock = Object.keys(state).length > 1 ? inst : 'mmap_lock';
      if (src) {
        why.push({ text: `${lock} ${m}: ${verb(src, m)} on line ${src.at[0]}`, file: ref.file, line: src.at[0] });
        continue;
      }
      if (p.entryModes(ref).includes(m)) why.push({ text: `${lock} ${m}: ${entryReason(p, ref, m)}`, file: ref.file, line: ref.fn.at[0] });
    }
  }
  return why;
}

function verb(t: Transition, m: Mode): string {
  if (t.kind === 'acquire') return `taken by ${t.callee}()`;
  if (t.kind === 'release') return m === 'none' ? `released by ${t.callee}()` : `left by ${t.callee}()`;
  if (t.kind === 'downgrade') return `downgraded by ${t.callee}()`;
  return `after ${t.callee}()`;
}

/** "entered with write from 3 callers: exit_mmap, ..." or the root reason. */
export function entryReason(p: Program, ref: FnRef, m: Mode): string {
  const sources = p.entries.get(ref.id)?.get(m) ?? [];
  const callers = [...new Set(sources.filter((s) => s.kind !== 'root').map((s) => s.caller! + (s.via ? ` (via ${s.via})` : '')))];
  const roots = sources.filter((s) => s.kind === 'root').map((s) => s.why ?? 'entry point');
  const parts: string[] = [];
  if (callers.length) {
    const shown = callers.slice(0, 3).join(', ') + (callers.length > 3 ? `, and ${callers.length - 3} more` : '');
    parts.push(`entered with ${m} from ${callers.length} caller${callers.length > 1 ? 's' : ''}: ${shown}`);
  }
  if (roots.length) parts.push(`entered with ${m}: ${roots[0]}`);
  return parts.join('; ') || `entered with ${m}`;
}

export interface FunctionDescription {
  name: string;
  file: string;
  line: number;
  entry: LockState;
  exit: LockState;
  /** One line per entry mode callers bring: `write -> write`. */
  transitions: string[];
  requirement?: string;
  documentedContext?: string;
  callers: CallerInfo[];
  registeredAs: Array<{ member: string; file: string; line: number }>;
  entryWhy: string[];
  /** Where it takes the lock with a blocking acquire, itself or through callees. */
  acquires?: string;
  /** Other definitions of the name (mm/nommu.c's, other architectures'): calls resolve to this one. */
  otherDefinitions?: string[];
}

export function describeFunction(p: Program, ref: FnRef): FunctionDescription {
  const a = annotateFunction(p, ref);
  const s = p.summaries.get(ref.id) ?? p.summary(ref);
  const entries = p.entryModes(ref);
  const transitions = MODES.filter((m) => entries.includes(m) || (s.trans[m].length && !s.trans[m].every(([x]) => x === m))).map((m) => describeTrans(s, m));
  const regs = p.registeredAs.get(ref.id) ?? [];
  const out: FunctionDescription = {
    name: ref.fn.name,
    file: ref.file,
    line: ref.fn.at[0],
    entry: a.entry,
    exit: a.exit,
    transitions,
    callers: a.callers,
    registeredAs: regs.map((r) => ({ member: `${r.struct}.${r.member}`, file: r.file, line: r.at[0] })),
    entryWhy: a.entryWhy,
  };
  if (s.requires) out.requirement = `${s.requires.why} (needs ${s.requires.modes.join(' or ')})`;
  const prose = statedRequirement(ref.fn, takesLockItself(ref, p.options.extraPrimitives));
  const reg = regs.find((r) => DOCUMENTED_CALLBACK_CONTEXT[r.struct]?.[r.member]);
  if (prose) out.documentedContext = `"${prose.text}"`;
  else if (reg) out.documentedContext = `${reg.struct}.${reg.member}: ${DOCUMENTED_CALLBACK_CONTEXT[reg.struct][reg.member].text}`;
  if (a.otherDefinitions) out.otherDefinitions = a.otherDefinitions;
  if (s.acquires) out.acquires = `takes mmap_lock via ${[...s.acquires.via, s.acquires.callee].join(' -> ')} (${s.acquires.file}:${s.acquires.at[0]})`;
  return out;
}
