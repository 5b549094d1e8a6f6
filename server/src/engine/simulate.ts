/** Every path through one function, step by step: the `simulate` command. */
import type { FnRef } from '../interproc/function-table';
import type { Program } from '../interproc/program';
import { createStepper } from '../lockflow/dataflow';
import { type AbsState, describeValue, type Mode, sameState } from '../lockflow/modes';
import { statementLine } from '../parse/source-text';
import { type LockState, stateOf } from './lock-state-json';

export interface SimStep {
  line: number;
  text: string;
  event: string;
  before: LockState;
  after: LockState;
  callee?: string;
}

export interface SimPath {
  steps: SimStep[];
  exit: LockState;
  /** How the path ends: `return 0`, `falls off the end`, `BUG()`. */
  end: string;
  cut?: string;
}

export interface SimResult {
  function: string;
  file: string;
  line: number;
  entry: Mode;
  paths: SimPath[];
  /** Set when the path limit stopped the enumeration. */
  truncated?: string;
}

export interface SimOptions {
  entry?: Mode;
  maxPaths?: number;
  /** How often one node may repeat on one path (loops run at most this many times). */
  maxVisits?: number;
  /** The function's file as the IR was built from it: each step shows its statement's first line from it. */
  source?: string;
}

const MAX_STEPS = 2000;

export function simulate(p: Program, ref: FnRef, opts: SimOptions = {}): SimResult {
  const entry = opts.entry ?? defaultEntry(p, ref);
  const maxPaths = opts.maxPaths ?? 64;
  const maxVisits = opts.maxVisits ?? 2;
  const st = createStepper(ref.fn, p.env(ref));
  const paths: SimPath[] = [];
  let truncated: string | undefined;
  const visits = new Map<number, number>();
  let budget = 200_000;
  const lines = opts.source?.split('\n') ?? [];
  /** A step's words: the statement's first line in the source (the IR keeps none), else what the node says. */
  const textOf = (node: (typeof st.cfg.nodes)[number]): string | undefined => node.text ?? (node.at && lines.length ? statementLine(lines, node.at) : undefined);

  const walk = (nodeId: number, state: AbsState, steps: SimStep[]): void => {
    if (paths.length >= maxPaths) {
      truncated = `stopped after ${maxPaths} paths`;
      return;
    }
    if (--budget < 0) {
      truncated = 'stopped: path search budget used up';
      return;
    }
    const node = st.cfg.nodes[nodeId];
    if (node.kind === 'exit') {
      paths.push({ steps: [...steps], exit: stateOf([state], st.inst), end: state.ret === undefined ? 'returns' : describeValue(state.ret) });
      return;
    }
    const seen = visits.get(nodeId) ?? 0;
    if (seen >= maxVisits || steps.length >= MAX_STEPS) {
      paths.push({ steps: [...steps], exit: stateOf([state], st.inst), end: 'cut', cut: seen >= maxVisits ? `loop at line ${node.at?.[0] ?? '?'} taken ${maxVisits} times` : `over ${MAX_STEPS} steps` });
      return;
    }
    visits.set(nodeId, seen + 1);
    // The stepper reuses its result arrays on the next call, and the walk recurses before using them all: copy.
    const stepped = st.step(node, state);
    const outs = stepped.outs.map((o) => [...o]);
    const events = [...stepped.events];
    if (node.kind === 'noreturn') {
      const step = makeStep(node, state, [state], events, 'noreturn');
      paths.push({ steps: [...steps, ...(step ? [step] : [])], exit: stateOf([state], st.inst), end: textOf(node) ?? 'does not return' });
      visits.set(nodeId, seen);
      return;
    }
    outs.forEach((ss, i) => {
      for (const s of ss) {
        const ev = node.kind === 'branch' ? (i === 0 ? 'branch-true' : 'branch-false') : undefined;
        const relevant = events.filter((e) => e.after.some((a) => sameState(a, s)) || e.after.length === 0);
        const step = makeStep(node, state, [s], relevant.length ? relevant : events, ev);
        if (step) steps.push(step);
        walk(node.succ[i], s, steps);
        if (step) steps.pop();
      }
    });
    visits.set(nodeId, seen);
  };

  const makeStep = (node: (typeof st.cfg.nodes)[number], before: AbsState, after: AbsState[], events: ReturnType<typeof st.step>['events'], forced?: string): SimStep | undefined => {
    if (!node.at || node.kind === 'entry') return undefined;
    const lockEv = events.find((e) => e.kind !== 'call') ?? events.find((e) => e.summary);
    const event = lockEv ? (lockEv.kind === 'call' ? 'call' : lockEv.kind) : forced ?? (node.kind === 'return' ? 'return' : node.kind === 'release' ? 'guard-release' : 'statement');
    if (!node.stmt && !lockEv && !forced && node.kind !== 'release') return undefined;
    const step: SimStep = { line: node.at[0], text: textOf(node) ?? '', event, before: stateOf([before], st.inst), after: stateOf(after, st.inst) };
    const callee = lockEv?.guard ? `guard(${lockEv.guard})` : lockEv?.callee;
    if (callee) step.callee = callee;
    return step;
  };

  walk(st.cfg.entry, st.initial(entry), []);
  const out: SimResult = { function: ref.fn.name, file: ref.file, line: ref.fn.at[0], entry, paths };
  if (truncated) out.truncated = truncated;
  return out;
}

/**
 * The entry a simulation starts from when none is asked for: a function that
 * takes the lock itself starts from none when callers can bring none
 * (exit_mmap), any other from a held mode callers bring (a close callback).
 */
export function defaultEntry(p: Program, ref: FnRef): Mode {
  const entries = p.entryModes(ref);
  const takesItself = p.flow(ref).events.some((e) => e.kind === 'acquire');
  if (takesItself && entries.includes('none')) return 'none';
  return entries.find((m) => m !== 'none') ?? 'none';
}
