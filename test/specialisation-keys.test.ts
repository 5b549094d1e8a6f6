/**
 * What a specialised summary is keyed on: the facts about names the function tests or hands to a
 * callee whose result can depend on them, not names that only reach a callee without any lock
 * effect (handle_mm_fault()'s `regs`, for its accounting); and what flag arguments say. Written
 * for these tests.
 */
import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Program } from '../server/src/interproc/program';
import { argValue } from '../server/src/lockflow/argument-facts';
import { bitsOf, joinBits } from '../server/src/lockflow/bits';
import { makeState } from '../server/src/lockflow/modes';
import { parseFileText } from '../server/src/parse/parse-file';

const SOURCE = `
static vm_fault_t sk_fault(struct mm_struct *mm, unsigned int flags)
{
	if ((flags & FAULT_FLAG_ALLOW_RETRY) && !(flags & FAULT_FLAG_RETRY_NOWAIT)) {
		if (sk_must_wait(mm)) {
			mmap_read_unlock(mm);
			return VM_FAULT_RETRY;
		}
	}
	return 0;
}

static void sk_account(struct pt_regs *regs)
{
	if (!regs)
		return;
	sk_count(regs);
}

vm_fault_t sk_handle(struct mm_struct *mm, unsigned int flags, struct pt_regs *regs)
{
	vm_fault_t ret = sk_fault(mm, flags);

	sk_account(regs);
	return ret;
}

int sk_user(struct mm_struct *mm, struct pt_regs *regs)
{
	mmap_read_lock(mm);
	if (sk_handle(mm, FAULT_FLAG_ALLOW_RETRY, regs) & VM_FAULT_RETRY)
		return 1;
	mmap_read_unlock(mm);
	return 0;
}

int sk_kernel(struct mm_struct *mm)
{
	mmap_read_lock(mm);
	if (sk_handle(mm, FAULT_FLAG_ALLOW_RETRY, NULL) & VM_FAULT_RETRY)
		return 1;
	mmap_read_unlock(mm);
	return 0;
}

int sk_nowait(struct mm_struct *mm)
{
	mmap_read_lock(mm);
	sk_handle(mm, FAULT_FLAG_ALLOW_RETRY | FAULT_FLAG_RETRY_NOWAIT, NULL);
	mmap_read_unlock(mm);
	return 0;
}
`;

async function program(): Promise<Program> {
  const p = new Program();
  p.table.addFile(await parseFileText('mm/sk.c', SOURCE));
  p.analyse();
  return p;
}

describe('specialisation keys', () => {
  it('a name only handed to a callee without lock effect does not tell specialisations apart', async () => {
    const p = await program();
    const hub = p.table.byName.get('sk_handle')![0];
    const keys = p.specialisationsOf(hub).map((k) => k.join(';'));
    assert.ok(keys.length > 0, 'sk_handle() is specialised on its callers\' flags');
    assert.ok(keys.every((k) => !k.includes('regs')), `no key mentions regs: ${keys.join(' | ')}`);
    // sk_user() (regs unknown) and sk_kernel() (regs NULL) pass the same flags: one summary serves both.
    const flagKeys = keys.filter((k) => !k.includes('RETRY_NOWAIT'));
    assert.equal(new Set(flagKeys).size, flagKeys.length);
    assert.ok(flagKeys.length <= 1, `one key for FAULT_FLAG_ALLOW_RETRY alone: ${flagKeys.join(' | ')}`);
  });

  it('the flags still decide: sk_nowait() keeps its own key, and every caller returns unlocked', async () => {
    const p = await program();
    const hub = p.table.byName.get('sk_handle')![0];
    assert.ok(p.specialisationsOf(hub).some((k) => k.join(';').includes('+FAULT_FLAG_RETRY_NOWAIT')), 'a key with RETRY_NOWAIT set');
    for (const name of ['sk_user', 'sk_kernel', 'sk_nowait']) {
      const ref = p.table.byName.get(name)![0];
      const exits = p.flow(ref).exits.filter((s) => s.entry === 'none').map((s) => s.modes[0]);
      assert.ok(exits.length > 0 && exits.every((m) => m === 'n'), `${name}() returns unlocked on every path: ${exits.join(',')}`);
    }
  });
});

describe('flag arguments', () => {
  const none = makeState('read', 'r', [], 0);

  it('a choice in parentheses says what both arms say (`(write ? FAULT_FLAG_WRITE : 0)`)', () => {
    const v = argValue('(write_fault ? FAULT_FLAG_WRITE : 0)', none);
    assert.ok(v && v[0] === 'B', `a flag class: ${v}`);
    const b = bitsOf(v);
    assert.equal(b.off.has('FAULT_FLAG_RETRY_NOWAIT'), true, 'neither arm sets FAULT_FLAG_RETRY_NOWAIT');
    assert.equal(b.on.has('FAULT_FLAG_WRITE') || b.off.has('FAULT_FLAG_WRITE'), false, 'FAULT_FLAG_WRITE is one arm\'s only');
    // And as a part of a mask: `FAULT_FLAG_REMOTE | (write ? FAULT_FLAG_WRITE : 0)`.
    const m = argValue('FAULT_FLAG_REMOTE |(write_fault ? FAULT_FLAG_WRITE : 0)', none);
    assert.ok(m && bitsOf(m).off.has('FAULT_FLAG_RETRY_NOWAIT'), `the mask keeps it: ${m}`);
    // A cast is no such choice.
    assert.equal(argValue('(unsigned long)uaddr', none), undefined);
  });

  it('what a flag word and 0 both say is about that word\'s family only', () => {
    const j = joinBits('B#+FAULT_FLAG_WRITE', 'z');
    assert.ok(j, 'something is known');
    const b = bitsOf(j);
    assert.ok(b.off.has('FAULT_FLAG_ALLOW_RETRY'), `FAULT_FLAG_ bits clear in both stay known: ${j}`);
    assert.ok([...b.off].every((x) => x.startsWith('FAULT_FLAG_')), `no VM_FAULT_ or FOLL_ bits: ${j}`);
  });
});
