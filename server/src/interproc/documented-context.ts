/**
 * Requirements stated in prose: kerneldoc `Context:` lines and comments such
 * as "Caller holds mmap_lock" or "must be called with mmap_lock held for write".
 */
import type { Mode } from '../lockflow/modes';
import type { FunctionIR } from '../parse/ir';

export interface ProseRequirement {
  modes: Mode[];
  /** The sentence it came from, trimmed. */
  text: string;
}

const LOCK = String.raw`(?:mmap_lock|mmap_sem|mmap lock|mmap semaphore|mm->mmap_lock|mm->mmap_sem|mmap_read_lock|mmap_write_lock)`;
const NOT_HELD = new RegExp(String.raw`(must not|mustn't|should not|shouldn't|cannot|can't|never|without)\b[^.;]{0,40}\b(hold|held|holding|take|taking|be called with)?[^.;]{0,20}${LOCK}|${LOCK}[^.;]{0,30}\b(must not|mustn't|should not) be (held|taken|locked)|${LOCK}[^.;]{0,20}\b(is )?not held`, 'i');
const WRITE = new RegExp(String.raw`${LOCK}[^.;]{0,40}\b(for write|for writing|in write mode|write[- ]?(mode|locked|lock)|exclusive(ly)?)|(write[- ]?lock(ed)?|exclusively)[^.;]{0,20}${LOCK}|mmap_write_lock`, 'i');
const READ = new RegExp(String.raw`${LOCK}[^.;]{0,40}\b(for read|for reading|in read mode|read[- ]?(mode|locked|lock)|shared)|read[- ]?lock(ed)?[^.;]{0,20}${LOCK}|mmap_read_lock`, 'i');
const HELD = new RegExp(String.raw`(hold|holds|held|holding|locked|under|with)\b[^.;]{0,30}${LOCK}|${LOCK}[^.;]{0,25}\b(held|locked|must be held|is held)`, 'i');
const CONTEXT_CUE = /\b(context:|caller|callers|must|should|called with|call with|requires?|expects?|assumes?|with the|under the|holding|held)/i;

/**
 * The requirement a function's comments state: its kerneldoc, else a comment at the top level of
 * its body ("Caller holds mmap_lock"), unless the body takes mmap_lock itself (ksm's "Must get
 * reference to anon_vma while still holding mmap_lock", after its own mmap_read_lock()).
 */
export function statedRequirement(fn: Pick<FunctionIR, 'doc' | 'bodyNotes'>, takesLock: boolean): ProseRequirement | undefined {
  const doc = proseRequirement(fn.doc);
  if (doc || takesLock || !fn.bodyNotes) return doc;
  for (const note of fn.bodyNotes) {
    const r = proseRequirement(note);
    if (r) return r;
  }
  return undefined;
}

/** Reads the first sentence that states an mmap_lock requirement. */
export function proseRequirement(comment: string | undefined): ProseRequirement | undefined {
  if (!comment || !/mmap[_ ](lock|sem)|mmap semaphore|mmap_(read|write)_lock/i.test(comment)) return undefined;
  const clean = comment.replace(/^\s*(\/\*+|\*+\/?|\/\/)/gm, ' ').replace(/\s+/g, ' ');
  const sentences = clean.split(/(?<=[.;])\s+|(?=Context:)|(?=Return:)/);
  for (const raw of sentences) {
    const s = raw.trim();
    if (!/mmap[_ ](lock|sem)|mmap semaphore|mmap_(read|write)_lock/i.test(s) || !CONTEXT_CUE.test(s)) continue;
    // "drops the mmap_lock", "may release": an effect, not a requirement on entry.
    if (/\b(drops?|releases?|unlocks?|takes?|acquires?|grabs?|will (take|acquire|lock))\b[^.;]{0,20}(the )?mmap/i.test(s) && !/context:|caller/i.test(s)) continue;
    // "it warns if mmap_lock is not held, which might be the case here": a condition, not a requirement.
    if (/\b(if|whether|in case|might|unless)\b[^.;]{0,30}(mmap[_ ](lock|sem)|mmap semaphore)/i.test(s) && !/context:|must|caller/i.test(s)) continue;
    // "If VM_FAULT_RETRY is set in the result, the mmap_lock is not held on exit": what it returns with.
    if (/\b(on (exit|return)|when it returns|returns? with(out)?|in the (result|return value))\b/i.test(s) && !/context:|caller|must be called/i.test(s)) continue;
    // "called with either vma-lock or mmap_lock held": the per-VMA lock alone (no mmap_lock) is allowed too.
    if (/\b(per[- ]vma|vma)[- _]lock\w*\s+or\b|\bor\s+(the\s+)?(per[- ]vma|vma)[- _]lock/i.test(s)) continue;
    // "we don't want to just use mmap_read_lock() ..., because that would deadlock if ...": what it avoids, not what it needs.
    if (/\b(would|were to|(do not|don't|doesn't|does not) want)\b/i.test(s) && !/context:|must|caller/i.test(s)) continue;
    // "Locking: (*locked == 1) means that the mmap_lock has already been acquired": a protocol an argument chooses.
    if (/==|!=|\bmeans that\b/.test(s) && !/context:|\bmust\b/i.test(s)) continue;
    const text = s.length > 160 ? s.slice(0, 157) + '...' : s;
    if (NOT_HELD.test(s)) return { modes: ['none'], text };
    if (WRITE.test(s) && !/\bor\b[^.;]{0,12}\bread|\bread\b[^.;]{0,12}\bor\b/i.test(s)) return { modes: ['write'], text };
    if (READ.test(s)) return { modes: ['read', 'write'], text };
    if (HELD.test(s)) return { modes: ['read', 'write'], text };
  }
  return undefined;
}

const EFFECT_LOCK = String.raw`(?:${LOCK}|the lock\b)`;
const DROPS = new RegExp(String.raw`\b(drops?|dropped|dropping|releases?|released|releasing|unlocks?|unlocked|unlocking)\b[^.;]{0,25}?\b${EFFECT_LOCK}|${EFFECT_LOCK}\b[^.;]{0,30}\b(dropped|released|unlocked)\b`, 'i');
const NEGATED = /\b(not|never|without|doesn't|don't|won't)\s+(\w+\s+){0,2}(drop|releas|unlock)/i;
const CALLERS_JOB = /\bcallers?\b[^.;]{0,30}\b(must|should|has to|have to|needs? to|is expected to|are expected to)\b/i;
/** "takes and releases the mmap_lock by itself" (get_dump_page()): balanced, not a drop its callers see. */
const BALANCED = /\b(takes?|acquires?|grabs?|locks?)\b[^.;]{0,12}\band\s+(then\s+)?(releases?|drops?|unlocks?)\b/i;

/**
 * The sentence of a function's comment that says the function itself drops mmap_lock
 * (expand_stack(): "If no vma is found or it can't be expanded, it returns NULL and has dropped
 * the lock."), or undefined. "the lock" counts when the comment names mmap_lock (or an mm locked)
 * elsewhere; a caller's duty ("the caller must drop mmap_lock"), a denial ("does not drop") and a
 * balanced pair ("takes and releases the mmap_lock by itself") do not.
 */
export function documentedLockDrop(comment: string | undefined): string | undefined {
  if (!comment || !new RegExp(String.raw`${LOCK}|\bmm\b[^.;]{0,12}\blocked\b`, 'i').test(comment)) return undefined;
  const clean = comment.replace(/^\s*(\/\*+|\*+\/?|\/\/)/gm, ' ').replace(/\s+/g, ' ');
  for (const raw of clean.split(/(?<=[.;])\s+/)) {
    const s = raw.trim();
    if (DROPS.test(s) && !NEGATED.test(s) && !CALLERS_JOB.test(s) && !BALANCED.test(s)) return s.length > 160 ? s.slice(0, 157) + '...' : s;
  }
  return undefined;
}
