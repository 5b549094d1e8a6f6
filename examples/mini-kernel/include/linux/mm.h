/* Example header in the shape of include/linux/mm.h (written for this project). */
#ifndef _EXAMPLE_MM_H
#define _EXAMPLE_MM_H

struct vm_area_struct;

struct vm_operations_struct {
	void (*open)(struct vm_area_struct *area);
	/*
	 * Called with mmap_lock held for write from remove_vma(),
	 * therefore must never take that lock.
	 */
	void (*close)(struct vm_area_struct *area);
};

#endif
