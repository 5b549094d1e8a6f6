/** What a function does to its caller's mmap_lock: the summary callers apply at each call. */
import type { Span } from '../parse/ir';
import { describeValue, MODES, type Mode, type ValueClass } from './modes';

export interface Requirement {
  /** Entry modes the function accepts. */
  modes: Mode[];
  /** Where it comes from, for hovers and diagnostics. */
  why: string;
  file?: string;
  at?: Span;
  source: 'assert' | 'doc' | 'callee' | 'callback' | 'release';
}

export interface Summary {
  /**
   * For each entry mode of the function's primary lock instance: the possible (exit mode, return value)
   * pairs, and with out-parameters what each exit leaves in them (`*locked=z`, `*locked=@` unchanged).
   */
  trans: Record<Mode, Array<[Mode, ValueClass, string?]>>;
  /** Set when the function (or a callee) asserts or documents a mode it must be entered with. */
  requires?: Requirement;
  /** Set when the function takes mmap_lock with a blocking acquire, itself or through callees. */
  acquires?: { via: string[]; file: string; at: Span; callee: string };
}

/** Not computed yet, in the least fixpoint: calls to it end the path for now. */
export const BOTTOM: Summary = Object.freeze({ trans: { none: [], read: [], write: [] } }) as Summary;

export const IDENTITY: Summary = Object.freeze({
  trans: { none: [['none', 'u']], read: [['read', 'u']], write: [['write', 'u']] },
}) as Summary;

export function sameTrans(a: Summary, b: Summary): boolean {
  return MODES.every((m) => {
    const x = a.trans[m].map((p) => p.join('|')).sort().join(',');
    const y = b.trans[m].map((p) => p.join('|')).sort().join(',');
    return x === y;
  });
}

/** `none -> write (returns 0), none (returns an error)` in words. */
export function describeTrans(s: Summary, entry: Mode): string {
  const outs = s.trans[entry];
  if (!outs.length) return `${entry} -> does not return`;
  const byMode = new Map<Mode, ValueClass[]>();
  for (const [m, v] of outs) byMode.set(m, [...(byMode.get(m) ?? []), v]);
  const parts = [...byMode].map(([m, vs]) => {
    const known = vs.filter((v) => v !== 'u');
    if (byMode.size === 1 || !known.length) return m;
    // Exits that differ only in what they leave in out-parameters read alike: each once.
    return `${m} when it ${[...new Set(known.map(describeValue))].join(' or ')}`;
  });
  return `${entry} -> ${parts.join('; ')}`;
}
