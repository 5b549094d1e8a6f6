/** Per-line lock modes of every function in a file: what `annotate`, hovers and inlay hints show. */
import type { FnRef } from '../interproc/function-table';
import type { Program } from '../interproc/program';
import { type AbsState } from '../lockflow/modes';
import { type LockState, singleState, stateOf } from './lock-state-json';

export interface LineState {
  line: number;
  before: LockState;
  after: LockState;
}

export interface CallerInfo {
  name: string;
  file: string;
  line: number;
  state: LockState;
  via?: string;
}

export interface FunctionAnnotation {
  name: string;
  line: number;
  endLine: number;
  entry: LockState;
  exit: LockState;
  callers: CallerInfo[];
  lines: LineState[];
  /** Roots and other reasons for the entry state, in words. */
  entryWhy: string[];
  /** Other definitions of the same name, when the call resolution picked one. */
  otherDefinitions?: string[];
  notes?: string[];
}

export function annotateFunction(p: Program, ref: FnRef): FunctionAnnotation {
  const flow = p.flow(ref);
  const entry = new Set(p.entryModes(ref));
  const keep = (ss: readonly AbsState[]) => ss.filter((s) => entry.has(s.entry));
  const lines = new Map<number, { before: AbsState[]; after: AbsState[]; col: number; lastCol: number }>();
  for (const n of flow.cfg.nodes) {
    if (!n.stmt || !n.at) continue;
    const line = n.at[0];
    const cur = lines.get(line);
    const before = keep(flow.inStates[n.id]);
    const after = keep(flow.outStates[n.id]);
    if (!cur) lines.set(line, { before, after, col: n.at[1], lastCol: n.at[1] });
    else {
      if (n.at[1] < cur.col) {
        cur.before = before;
        cur.col = n.at[1];
      }
      if (n.at[1] >= cur.lastCol) {
        cur.after = after;
        cur.lastCol = n.at[1];
      }
    }
  }
  const callers = new Map<string, CallerInfo>();
  const entryWhy: string[] = [];
  for (const [mode, sources] of p.entries.get(ref.id) ?? []) {
    for (const s of sources) {
      if (s.kind === 'root') {
        entryWhy.push(`${mode}: ${s.why}`);
        continue;
      }
      const key = `${s.callerId}:${s.at?.[0]}`;
      const c = callers.get(key);
      if (c) c.state = singleState('mmap_lock', [...c.state.mmap_lock, mode]);
      else callers.set(key, { name: s.caller!, file: s.file!, line: s.at?.[0] ?? 0, state: singleState('mmap_lock', [mode]), ...(s.via ? { via: s.via } : {}) });
    }
  }
  const others = (p.table.byName.get(ref.fn.name) ?? []).filter((r) => r !== ref);
  const out: FunctionAnnotation = {
    name: ref.fn.name,
    line: ref.fn.at[0],
    endLine: ref.fn.at[2],
    entry: stateOf(keep(flow.inStates[flow.cfg.entry]), flow.inst),
    exit: stateOf(keep(flow.exits), flow.inst),
    callers: [...callers.values()].sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line),
    lines: [...lines].sort((a, b) => a[0] - b[0]).map(([line, v]) => ({ line, before: stateOf(v.before, flow.inst), after: stateOf(v.after, flow.inst) })),
    entryWhy,
  };
  if (others.length) out.otherDefinitions = others.map((r) => `${r.file}:${r.fn.at[0]}`);
  const notes = [...flow.notes];
  if (ref.fn.errors) notes.push(`${ref.fn.errors} syntax error region(s) in this function; analysed what parsed`);
  if (notes.length) out.notes = notes;
  return out;
}
