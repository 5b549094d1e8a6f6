/**
 * The mmap_lock API, as primitives: their effect comes from this table, never
 * from their bodies (include/linux/mmap_lock.h defines them as inlines).
 */
import type { Mode, ValueClass } from './modes';

export type PrimitiveKind = 'acquire' | 'release' | 'downgrade' | 'assert' | 'query';

export interface Primitive {
  kind: PrimitiveKind;
  /** For acquire: the mode taken. For release: the mode expected. For assert: the modes accepted. */
  mode: Mode;
  accepts?: Mode[];
  /**
   * For conditional acquires, how the returned value tells whether the lock
   * was taken: trylock returns true (`p`) when taken, killable returns 0 (`z`)
   * when taken and -EINTR (`e`) when not.
   */
  taken?: ValueClass;
  notTaken?: ValueClass;
  /** Which argument names the lock (default 0). */
  arg?: number;
  /** The legacy rwsem calls take `&mm->mmap_sem`; they only count on an mmap lock argument. */
  needsMmapArg?: boolean;
}

const acquire = (mode: Mode): Primitive => ({ kind: 'acquire', mode });
const killable = (mode: Mode): Primitive => ({ kind: 'acquire', mode, taken: 'z', notTaken: 'e' });
const trylock = (mode: Mode): Primitive => ({ kind: 'acquire', mode, taken: 'p', notTaken: 'z' });
const release = (mode: Mode): Primitive => ({ kind: 'release', mode });
const assert = (accepts: Mode[]): Primitive => ({ kind: 'assert', mode: accepts[accepts.length - 1], accepts });
const legacy = (p: Primitive): Primitive => ({ ...p, needsMmapArg: true });

export const PRIMITIVES: ReadonlyMap<string, Primitive> = new Map<string, Primitive>([
  ['mmap_read_lock', acquire('read')],
  ['mmap_write_lock', acquire('write')],
  ['mmap_write_lock_nested', acquire('write')],
  ['mmap_read_lock_killable', killable('read')],
  ['mmap_write_lock_killable', killable('write')],
  ['mmap_read_trylock', trylock('read')],
  ['mmap_write_trylock', trylock('write')],
  ['mmap_read_unlock', release('read')],
  ['mmap_read_unlock_non_owner', release('read')],
  ['mmap_write_unlock', release('write')],
  ['mmap_write_downgrade', { kind: 'downgrade', mode: 'write' }],
  ['mmap_assert_locked', assert(['read', 'write'])],
  ['mmap_assert_write_locked', assert(['write'])],
  ['lockdep_assert_held', legacy(assert(['read', 'write']))],
  ['lockdep_assert_held_write', legacy(assert(['write']))],
  ['lockdep_assert_held_read', legacy(assert(['read']))],
  ['rwsem_is_locked', legacy({ kind: 'query', mode: 'none' })],
  ['mmap_lock_is_contended', { kind: 'query', mode: 'none' }],
  // before v5.8: the plain rwsem calls on mm->mmap_sem
  ['down_read', legacy(acquire('read'))],
  ['down_write', legacy(acquire('write'))],
  ['down_read_killable', legacy(killable('read'))],
  ['down_write_killable', legacy(killable('write'))],
  ['down_read_trylock', legacy(trylock('read'))],
  ['down_write_trylock', legacy(trylock('write'))],
  ['down_write_nested', legacy(acquire('write'))],
  ['up_read', legacy(release('read'))],
  ['up_read_non_owner', legacy(release('read'))],
  ['up_write', legacy(release('write'))],
  ['downgrade_write', legacy({ kind: 'downgrade', mode: 'write' })],
]);

/**
 * Lock argument text that names an mm's mmap lock: `&mm->mmap_lock`, `&vma->vm_mm->mmap_sem`,
 * `&init_mm.mmap_lock`. The owner must look like an mm: videobuf2's `&q->mmap_lock` is a
 * vb2_queue mutex of the same name.
 */
export const MMAP_LOCK_ARG = /(^|[^A-Za-z0-9_])[A-Za-z0-9_]*mm\s*\)?\s*(->|\.)mmap_(lock|sem)\s*\)?$/;

/** The primitive a call names, if the call is one (legacy rwsem calls only on an mmap lock). */
export function primitiveFor(callee: string, args: readonly string[], extra?: ReadonlyMap<string, Primitive>): Primitive | undefined {
  const p = extra?.get(callee) ?? PRIMITIVES.get(callee);
  if (!p) return undefined;
  if (p.needsMmapArg && !MMAP_LOCK_ARG.test(args[p.arg ?? 0] ?? '')) return undefined;
  return p;
}

/** `guard(mmap_read_lock)(mm)` and `scoped_guard(mmap_write_lock, mm)`: the mode a guard class holds. */
export function guardMode(kind: string): Mode | undefined {
  if (!kind.startsWith('mmap_')) return undefined;
  if (kind.startsWith('mmap_read_lock')) return 'read';
  if (kind.startsWith('mmap_write_lock')) return 'write';
  return undefined;
}

/** Names of the API, for the prefilter and for "is this function a primitive" checks. */
export function isPrimitiveName(name: string): boolean {
  return PRIMITIVES.has(name);
}
