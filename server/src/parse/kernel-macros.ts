/** Kernel macro and function names whose meaning the IR builder or the dataflow needs. */

/** Calls after which the path ends. */
export const NORETURN = new Set([
  'BUG', 'panic', 'do_exit', 'do_group_exit', 'unreachable', '__builtin_unreachable', 'make_task_dead',
  'kthread_exit', 'machine_halt', 'machine_power_off', 'emergency_restart', 'BUILD_BUG', '__noreturn_stub',
]);

/** A value class (see lockflow/modes.ts ValueClass); kept as a string here so parsing needs no lock types. */
type Cls = string;
const same = (v: Cls): Cls => v;

/**
 * Calls whose value follows from their first argument's value (for branch
 * conditions and return values): `if (unlikely(!mmap_read_trylock(mm)))`
 * tests the trylock; `IS_ERR(vma)` is true when vma holds an error.
 */
export const VALUE_WRAPPERS: ReadonlyMap<string, (v: Cls) => Cls> = new Map<string, (v: Cls) => Cls>([
  ...['unlikely', 'likely', 'WARN_ON', 'WARN_ON_ONCE', 'READ_ONCE', 'data_race', 'VM_WARN_ON', 'VM_WARN_ON_ONCE',
    'unlikely_notrace', 'likely_notrace', '__builtin_expect', 'PTR_ERR', 'ERR_PTR', 'ERR_CAST'].map((n) => [n, same] as [string, (v: Cls) => Cls]),
  ['IS_ERR', (v: Cls): Cls => (v === 'e' ? 'p' : v === 'u' ? 'u' : 'z')],
  ['IS_ERR_OR_NULL', (v: Cls): Cls => (v === 'e' || v === 'z' ? 'p' : v === 'u' ? 'u' : 'z')],
  ['PTR_ERR_OR_ZERO', (v: Cls): Cls => (v === 'p' ? 'z' : v)],
  // Takes a reference on a file it is given (never NULL) and returns it: `fpin = get_file(vma->vm_file)`
  // in maybe_unlock_mmap_for_io() is non-NULL exactly on the path that dropped mmap_lock.
  ['get_file', (): Cls => 'p'],
  // Encodes a hugetlb hstate index in bits 16-19 of a fault result (include/linux/mm_types.h): no
  // protocol bit, so `VM_FAULT_HWPOISON_LARGE | VM_FAULT_SET_HINDEX(i)` is known not to say VM_FAULT_RETRY.
  ['VM_FAULT_SET_HINDEX', (): Cls => 'B#'],
]);

/**
 * Helpers of the fault protocol known by their contract, wherever (or whether) their header is
 * indexed: `fault_signal_pending(fault, regs)` is true only when `fault` has VM_FAULT_RETRY, so an
 * arch fault handler's `if (fault_signal_pending(fault, regs)) return;` is taken only with the
 * lock already dropped. Name -> [argument index, the bit it must hold to be true].
 */
export const PROTOCOL_PREDICATES: ReadonlyMap<string, readonly [number, string]> = new Map([['fault_signal_pending', [0, 'VM_FAULT_RETRY'] as const]]);

/** `BUG_ON(cond)`-style statements: the path goes on only where cond is false. */
export const BUG_ON_MACROS = new Set(['BUG_ON', 'VM_BUG_ON', 'VM_BUG_ON_VMA', 'VM_BUG_ON_MM', 'VM_BUG_ON_FOLIO', 'VM_BUG_ON_PAGE', 'BUILD_BUG_ON']);

/** `scoped_guard(lock, arg) { ... }`-style block macros: the lock is held for the block only. */
export const SCOPED_GUARDS = new Set(['scoped_guard', 'scoped_cond_guard']);

/**
 * Flag bits of the lock protocols: whether a callee may drop the caller's
 * mmap_lock is decided by these bits in an argument or a struct field
 * (`vmf->flags & FAULT_FLAG_ALLOW_RETRY`, `gup_flags & FOLL_UNLOCKABLE`), and
 * reported back by these bits in a return value (`ret & VM_FAULT_RETRY`).
 * Only these are tracked (a bounded set keeps states and specialised summaries
 * few); other names of the same families are constants known not to hold them.
 */
export const PROTOCOL_BITS: readonly string[] = [
  'FAULT_FLAG_ALLOW_RETRY', 'FAULT_FLAG_RETRY_NOWAIT', 'FAULT_FLAG_TRIED', 'FAULT_FLAG_KILLABLE', 'FAULT_FLAG_VMA_LOCK', 'FAULT_FLAG_WRITE',
  'FOLL_UNLOCKABLE', 'FOLL_NOWAIT', 'FOLL_TRIED',
  'VM_FAULT_RETRY', 'VM_FAULT_COMPLETED',
  // mm/mempolicy.c: queue_pages_range() walks with the ops that write-lock each VMA.
  'MPOL_MF_WRLOCK',
];

/**
 * Protocol bits never set together: GUP sets FOLL_TRIED (and the fault paths FAULT_FLAG_TRIED)
 * only when retrying after the lock was dropped, which a FOLL_NOWAIT (FAULT_FLAG_RETRY_NOWAIT)
 * fault never does. A path that learns one set knows the other clear.
 */
export const EXCLUSIVE_PROTOCOL_BITS: ReadonlyArray<readonly [string, string]> = [
  ['FOLL_NOWAIT', 'FOLL_TRIED'],
  ['FAULT_FLAG_RETRY_NOWAIT', 'FAULT_FLAG_TRIED'],
];

/** Macros that stand for several protocol bits (include/linux/mm.h). */
export const PROTOCOL_BIT_ALIASES: ReadonlyMap<string, readonly string[]> = new Map([
  ['FAULT_FLAG_DEFAULT', ['FAULT_FLAG_ALLOW_RETRY', 'FAULT_FLAG_KILLABLE', 'FAULT_FLAG_INTERRUPTIBLE']],
  // mm/internal.h: flags GUP callers may not pass (is_valid_gup_args() refuses them).
  ['INTERNAL_GUP_FLAGS', ['FOLL_TOUCH', 'FOLL_TRIED', 'FOLL_REMOTE', 'FOLL_PIN', 'FOLL_FAST_ONLY', 'FOLL_UNLOCKABLE', 'FOLL_MADV_POPULATE']],
]);

/**
 * The VM_FAULT_ codes VM_FAULT_ERROR stands for (include/linux/mm_types.h): a fault
 * result with none of them is no error, whatever other codes it has (VM_FAULT_MAJOR).
 */
export const VM_FAULT_ERROR_CODES: ReadonlySet<string> = new Set([
  'VM_FAULT_OOM', 'VM_FAULT_SIGBUS', 'VM_FAULT_SIGSEGV', 'VM_FAULT_HWPOISON', 'VM_FAULT_HWPOISON_LARGE', 'VM_FAULT_FALLBACK',
]);

/** Name prefixes of the flag families above: any other member is a constant without protocol bits. */
export const PROTOCOL_FAMILIES: readonly string[] = ['FAULT_FLAG_', 'FOLL_', 'VM_FAULT_', 'MPOL_MF_'];
