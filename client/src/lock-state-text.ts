/**
 * Lock states and events as words, for the status bar, the simulation panel and its text view.
 * Pure (no `vscode` import) so tests can load it in plain Node.
 */
import type { LockStateJson, ModeName } from '../../server/src/lsp/protocol';

/** `write`, `none|write`, `mmap_lock(oldmm)=write mmap_lock(mm)=none` (the server's own spelling). */
export function formatLockState(state: LockStateJson | null | undefined): string {
  if (!state) return 'unknown';
  const keys = Object.keys(state);
  if (keys.length === 0) return 'none';
  if (keys.length === 1) return state[keys[0]].join('|') || 'unreachable';
  return keys.map((k) => `${k}=${state[k].join('|') || 'unreachable'}`).join(' ');
}

/** The strongest mode in a set: what a colour for "the" mode of a step shows when several are possible. */
export function strongestMode(modes: readonly ModeName[]): ModeName | 'unreachable' {
  if (modes.includes('write')) return 'write';
  if (modes.includes('read')) return 'read';
  if (modes.includes('none')) return 'none';
  return 'unreachable';
}

export const MODE_WORDS: Record<ModeName, string> = {
  none: 'not held by this thread',
  read: 'held shared (read)',
  write: 'held exclusive (write)',
};

/** One glyph and one word per simulation event; the glyphs are drawn, the words are read aloud. */
export const EVENT_LEGEND: Record<string, { glyph: string; word: string }> = {
  acquire: { glyph: '\u25B2', word: 'acquire' },
  release: { glyph: '\u25BD', word: 'release' },
  'guard-release': { glyph: '\u25BD', word: 'guard released' },
  downgrade: { glyph: '\u2193', word: 'downgrade' },
  assert: { glyph: '!', word: 'assertion' },
  call: { glyph: '\u0192', word: 'call' },
  'branch-true': { glyph: 'T', word: 'branch taken' },
  'branch-false': { glyph: 'F', word: 'branch not taken' },
  return: { glyph: '\u23CE', word: 'return' },
  noreturn: { glyph: '\u2715', word: 'does not return' },
  statement: { glyph: '', word: 'statement' },
};

export function eventWord(event: string): string {
  return EVENT_LEGEND[event]?.word ?? event;
}

export function eventGlyph(event: string): string {
  return EVENT_LEGEND[event]?.glyph ?? '\u2022';
}
