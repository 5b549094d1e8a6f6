/** What a function's comment says of mmap_lock: a requirement on entry, or that the function drops it. */
import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { documentedLockDrop, proseRequirement } from '../server/src/interproc/documented-context';

describe('documentedLockDrop', () => {
  it('reads a drop stated of the function itself, active or passive', () => {
    assert.match(documentedLockDrop('/*\n * Called with the mm locked for reading.\n * If no vma is found, it returns NULL and has dropped the lock.\n */') ?? '', /has dropped the lock/);
    assert.match(documentedLockDrop('/* Returns result: if not SCAN_SUCCEED, mmap_lock has been released. */') ?? '', /has been released/);
    assert.match(documentedLockDrop('/** Return: 0 on success and drops the mmap_lock if so directed. */') ?? '', /drops the mmap_lock/);
  });

  it('does not read a denial, a caller\'s duty, or another lock', () => {
    assert.equal(documentedLockDrop('/* Called with mmap_lock held; it does not drop the lock. */'), undefined);
    assert.equal(documentedLockDrop('/* Called with mmap_lock held for read. The caller must drop the mmap_lock afterwards. */'), undefined);
    assert.equal(documentedLockDrop('/* Called with mmap_lock held. Takes the page lock and drops the page table lock before returning. */'), undefined);
    // "the lock" alone, in a comment that never names mmap_lock, is some other lock.
    assert.equal(documentedLockDrop('/* Returns with the lock dropped on failure. */'), undefined);
    assert.equal(documentedLockDrop(undefined), undefined);
  });

  it('a drop is an effect, not a requirement on entry', () => {
    assert.equal(proseRequirement('/* It drops the mmap_lock before doing I/O. */'), undefined);
  });
});
