/* Example in the shape of mm/mmap.c after the seed patch (written for this project). */
#include <linux/mm.h>
#include "internal.h"

static struct vm_area_struct *remove_vma(struct vm_area_struct *vma)
{
	struct vm_area_struct *next = vma->vm_next;

	vma_close(vma);
	vm_area_free(vma);
	return next;
}

void exit_mmap(struct mm_struct *mm)
{
	struct mmu_gather tlb;
	struct vm_area_struct *vma;

	mmap_read_lock(mm);
	vma = mm->mmap;
	unmap_vmas(&tlb, vma, 0, ULONG_MAX);
	mmap_read_unlock(mm);

	mmap_write_lock(mm);
	if (!vma) {
		/* Can happen if dup_mmap() received an OOM */
		mmap_write_unlock(mm);
		return;
	}
	free_pgtables(&tlb, vma, FIRST_USER_ADDRESS, USER_PGTABLES_CEILING);
	while (vma)
		vma = remove_vma(vma);
	mmap_write_unlock(mm);
}

int do_munmap_range(struct mm_struct *mm, unsigned long start, size_t len)
{
	struct vm_area_struct *vma;

	if (mmap_write_lock_killable(mm))
		return -EINTR;
	vma = find_vma(mm, start);
	if (vma)
		remove_vma(vma);
	mmap_write_unlock(mm);
	return 0;
}
