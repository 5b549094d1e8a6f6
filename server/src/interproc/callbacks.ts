/**
 * Function pointers: which struct members are called where, and what the
 * kernel documents about the lock at each (Documentation/filesystems/locking.rst,
 * the vm_operations_struct table).
 */
import type { Mode } from '../lockflow/modes';

/** `vma->vm_ops->close` -> vm_operations_struct.close. The field that holds the ops names the struct. */
const OPS_FIELDS: Record<string, string> = {
  vm_ops: 'vm_operations_struct',
  f_op: 'file_operations',
};

export interface CallbackCall {
  struct: string;
  member: string;
}

const CALLBACK_CALL = /(?:^|->|\.)(vm_ops|f_op)(?:->|\.)([A-Za-z_][A-Za-z0-9_]*)$/;

/** Whether a callee expression calls through an ops struct we know. */
export function callbackCall(callee: string): CallbackCall | undefined {
  const m = CALLBACK_CALL.exec(callee);
  if (!m) return undefined;
  return { struct: OPS_FIELDS[m[1]], member: m[2] };
}

export interface DocumentedContext {
  modes: Mode[];
  text: string;
}

/** The documented mmap_lock context of vm_operations_struct members (and file_operations.mmap). */
export const DOCUMENTED_CALLBACK_CONTEXT: Record<string, Record<string, DocumentedContext>> = {
  vm_operations_struct: {
    open: { modes: ['write'], text: 'called with mmap_lock held for write' },
    close: { modes: ['read', 'write'], text: 'called with mmap_lock held for read or write; must never take mmap_lock' },
    may_split: { modes: ['write'], text: 'called with mmap_lock held for write' },
    mremap: { modes: ['write'], text: 'called with mmap_lock held for write' },
    mprotect: { modes: ['write'], text: 'called with mmap_lock held for write' },
    fault: { modes: ['none', 'read'], text: 'called with mmap_lock held for read, or with only the per-VMA lock' },
    huge_fault: { modes: ['none', 'read'], text: 'called with mmap_lock held for read, or with only the per-VMA lock' },
    map_pages: { modes: ['none', 'read'], text: 'called with mmap_lock held for read, or with only the per-VMA lock' },
    page_mkwrite: { modes: ['none', 'read'], text: 'called with mmap_lock held for read, or with only the per-VMA lock' },
    pfn_mkwrite: { modes: ['none', 'read'], text: 'called with mmap_lock held for read, or with only the per-VMA lock' },
    access: { modes: ['none', 'read'], text: 'called with mmap_lock held for read (access_remote_vm)' },
  },
  file_operations: {
    mmap: { modes: ['write'], text: 'called with mmap_lock held for write (mmap_region)' },
  },
};

const MMAP_HOOK: DocumentedContext = {
  modes: ['write'],
  text: 'an mmap hook: reached from mmap_region() through f_op->mmap with mmap_lock held for write',
};

/**
 * The documented context of a callback member: the table above, and any
 * `mmap`-named member of another ops struct (proc_ops.proc_mmap,
 * drm_gem_object_funcs.mmap, kernfs_ops.mmap ...), which file_operations.mmap reaches.
 */
export function documentedContext(struct: string, member: string): DocumentedContext | undefined {
  return DOCUMENTED_CALLBACK_CONTEXT[struct]?.[member] ?? (/(^|_)mmap$/.test(member) ? MMAP_HOOK : undefined);
}

/**
 * A function no indexed code calls that looks like an mmap handler or a helper of one
 * (`hmm_bo_mmap(struct vm_area_struct *vma, ...)`, reached from a driver's
 * `file_operations.mmap` in a file the prefilter skips): named `..._mmap` or `..._mmap_...`
 * (not `..._mmap_lock`), given the vma. It is entered as an mmap hook is, with the write
 * lock, rather than as an entry point (unless it takes mmap_lock itself: the caller's check).
 */
export function looksLikeMmapHandler(name: string, params: readonly string[]): DocumentedContext | undefined {
  return /(^|_)mmap($|_(?!lock|sem|read|write))/.test(name) && params.includes('vma') ? { modes: MMAP_HOOK.modes, text: `named like an mmap handler and given the vma: ${MMAP_HOOK.text}` } : undefined;
}

/** Members whose implementations must never take mmap_lock: the callers hold it (LL001). */
export function callbackHoldsLock(struct: string, member: string): boolean {
  const doc = documentedContext(struct, member);
  return !!doc && !doc.modes.includes('none');
}
