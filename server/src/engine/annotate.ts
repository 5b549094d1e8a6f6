/** Per-line lock modes of every function in a file: what `annotate`, hovers and inlay hints show. */
import type { FnRef } from '../interproc/function-table';
import type { Program } from '../interproc/program';
import { type Mode, MODES } from '../lockflow/modes';
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
  // One flow per argument context the function is entered in, each for its own entry modes; a
  // context's facts only rule paths out, so what it holds is kept only where the plain flow holds it too.
  const parts = p.lineFlows(ref);
  const at = (node: number, side: 'in' | 'out'): LockState => {
    const out: LockState = {};
    for (let i = 0; i < flow.inst.count; i++) {
      const modes = new Set<Mode>();
      for (const part of parts) {
        const got = part.flow.modesAt(node, side, part.modes, i);
        const plain = part.flow === flow ? undefined : new Set(flow.modesAt(node, side, part.modes, i));
        for (const m of got) if (!plain || plain.has(m)) modes.add(m);
      }
      out[flow.inst.name(i)] = MODES.filter((m) => modes.has(m));
    }
    return out;
  };
  const lines = new Map<number, { before: LockState; after: LockState; col: number; lastCol: number }>();
  const cfg = flow.cfg();
  for (const n of cfg.nodes) {
    if (!n.stmt || !n.at) continue;
    const line = n.at[0];
    const cur = lines.get(line);
    if (!cur) lines.set(line, { before: at(n.id, 'in'), after: at(n.id, 'out'), col: n.at[1], lastCol: n.at[1] });
    else {
      if (n.at[1] < cur.col) {
        cur.before = at(n.id, 'in');
        cur.col = n.at[1];
      }
      if (n.at[1] >= cur.lastCol) {
        cur.after = at(n.id, 'out');
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
    entry: at(cfg.entry, 'in'),
    exit: exitOf(flow, parts, p.entryModes(ref)),
    callers: [...callers.values()].sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line),
    lines: [...lines].sort((a, b) => a[0] - b[0]).map(([line, v]) => ({ line, before: v.before, after: v.after })),
    entryWhy,
  };
  if (others.length) out.otherDefinitions = others.map((r) => `${r.file}:${r.fn.at[0]}`);
  const notes = [...flow.notes];
  if (ref.fn.errors) notes.push(`${ref.fn.errors} syntax error region(s) in this function; analysed what parsed`);
  if (notes.length) out.notes = notes;
  return out;
}

/** The exit state over the function's contexts, each for its own entry modes, within what the plain flow says. */
function exitOf(flow: ReturnType<Program['flow']>, parts: ReturnType<Program['lineFlows']>, entry: readonly Mode[]): LockState {
  const plain = stateOf(flow.exits.filter((s) => entry.includes(s.entry)), flow.inst);
  if (parts.length === 1 && parts[0].flow === flow) return plain;
  const ctx = stateOf(parts.flatMap((part) => part.flow.exits.filter((s) => part.modes.includes(s.entry))), flow.inst);
  const out: LockState = {};
  for (const [k, modes] of Object.entries(plain)) out[k] = modes.filter((m) => (ctx[k] ?? []).includes(m));
  return out;
}
