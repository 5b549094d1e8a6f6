/** Lock states as the CLI contract prints them: `{"mmap_lock": ["write"]}`. */
import type { Instances } from '../lockflow/instances';
import { type AbsState, type Mode, modeOf, sortModes } from '../lockflow/modes';

export type LockState = Record<string, Mode[]>;

export function stateOf(states: readonly AbsState[], inst: Instances): LockState {
  const out: LockState = {};
  for (let i = 0; i < inst.count; i++) out[inst.name(i)] = sortModes(states.map((s) => modeOf(s, i)));
  return out;
}

export function singleState(name: string, modes: Iterable<Mode>): LockState {
  return { [name]: sortModes(modes) };
}

/** `write`, `none|write`, `mmap_lock(oldmm)=write mmap_lock(mm)=none` */
export function formatState(state: LockState): string {
  const keys = Object.keys(state);
  if (keys.length === 1) return state[keys[0]].join('|') || 'unreachable';
  return keys.map((k) => `${k}=${state[k].join('|') || 'unreachable'}`).join(' ');
}
