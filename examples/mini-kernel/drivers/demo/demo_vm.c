/* Example driver (written for this project): two close callbacks. */
#include <linux/mm.h>

static void demo_good_close(struct vm_area_struct *vma)
{
	demo_release_buffer(vma->vm_private_data);
}

/* Looks harmless, but close runs with mmap_lock held for write: deadlock. */
static void demo_bad_close(struct vm_area_struct *vma)
{
	mmap_read_lock(vma->vm_mm);
	demo_count_mappings(vma->vm_mm);
	mmap_read_unlock(vma->vm_mm);
}

static const struct vm_operations_struct demo_good_ops = {
	.close = demo_good_close,
};

static const struct vm_operations_struct demo_bad_ops = {
	.close = demo_bad_close,
};
