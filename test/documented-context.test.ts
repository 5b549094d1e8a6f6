/** What a function's comment says of mmap_lock: a requirement on entry, or that the function drops it. */
import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { documentedLockDrop, proseRequirement, statedRequirement } from '../server/src/interproc/documented-context';

describe('documentedLockDrop', () => {
  it('reads a drop stated of the function itself, active or passive', () => {
    assert.match(documentedLockDrop('/*\n * Called with the mm locked for reading.\n * If no vma is found, it returns NULL and has dropped the lock.\n */') ?? '', /has dropped the lock/);
    assert.match(documentedLockDrop('/* Returns result: if not SCAN_SUCCEED, mmap_lock has been released. */') ?? '', /has been released/);
    assert.match(documentedLockDrop('/** Return: 0 on success and drops the mmap_lock if so directed. */') ?? '', /drops the mmap_lock/);
    // A negation elsewhere in the sentence is not a denial of the drop.
    assert.match(documentedLockDrop('/* If the vma is not present, we drop the mmap_lock and return NULL. */') ?? '', /we drop the mmap_lock/);
  });

  it('does not read a denial, a caller\'s duty, or another lock', () => {
    assert.equal(documentedLockDrop('/* Called with mmap_lock held; it does not drop the lock. */'), undefined);
    assert.equal(documentedLockDrop('/* Called with mmap_lock held for read. The caller must drop the mmap_lock afterwards. */'), undefined);
    assert.equal(documentedLockDrop('/* Called with mmap_lock held. Takes the page lock and drops the page table lock before returning. */'), undefined);
    // "the lock" alone, in a comment that never names mmap_lock, is some other lock.
    assert.equal(documentedLockDrop('/* Returns with the lock dropped on failure. */'), undefined);
    assert.equal(documentedLockDrop(undefined), undefined);
    // "the locked folio" is not "the lock".
    assert.equal(documentedLockDrop('/* Called with mmap_lock held; we unlock the locked folio before returning. */'), undefined);
    // Balanced: it takes the lock and gives it back before returning.
    assert.equal(documentedLockDrop('/* Called without mmap_lock (takes and releases the mmap_lock by itself). */'), undefined);
  });

  it('a drop is an effect, not a requirement on entry', () => {
    assert.equal(proseRequirement('/* It drops the mmap_lock before doing I/O. */'), undefined);
  });
});

describe('proseRequirement', () => {
  it('reads what a caller must hold', () => {
    assert.deepEqual(proseRequirement('/* The mmap_lock for reading is held by the caller. */')?.modes, ['read', 'write']);
    assert.deepEqual(proseRequirement('/** Context: Caller must hold mmap_lock for writing. */')?.modes, ['write']);
    // A comparison in a sentence that says "must" is still a requirement.
    assert.deepEqual(proseRequirement('/* Must be called with mmap_lock held and vma->vm_mm == mm. */')?.modes, ['read', 'write']);
  });

  it('does not read what a function avoids, or a protocol an argument chooses', () => {
    // lock_mm_and_find_vma(): why it does not simply call mmap_read_lock().
    assert.equal(proseRequirement("/* For example, if we have a kernel bug that causes a page fault, we don't want to just use mmap_read_lock() to get the mm lock, because that would deadlock if the bug were to happen while we're holding the mm lock for writing. */"), undefined);
    // __get_user_pages_locked(): the caller says, through *locked, whether it holds the lock.
    assert.equal(proseRequirement('/* Locking: (*locked == 1) means that the mmap_lock has already been acquired by the caller. */'), undefined);
  });
});

describe('statedRequirement', () => {
  it('reads a body comment unless the body takes the lock itself', () => {
    const fn = { bodyNotes: ['/* Must get reference to anon_vma while still holding mmap_lock */'] };
    assert.deepEqual(statedRequirement(fn, false)?.modes, ['read', 'write']);
    assert.equal(statedRequirement(fn, true), undefined);
    assert.deepEqual(statedRequirement({ doc: '/* Caller holds mmap_lock. */', ...fn }, true)?.modes, ['read', 'write']);
  });
});
