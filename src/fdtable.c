/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Three levels indexed by fd bits (9 | 10 | 12), so any fd below 2^31 has a
 * slot, memory is spent only where KVM fds live, and a lookup is three
 * dependent loads. Pages are mmap'ed (async-signal-safe) and never freed,
 * so a reader racing a writer never touches freed memory. */
#include "config.h"

#include <stdatomic.h>
#include <stddef.h>
#include <sys/mman.h>

#include "fdtable.h"

#define LEAF_BITS 12
#define MID_BITS 10
#define TOP_BITS 9
#define LEAF_SIZE (1u << LEAF_BITS)
#define MID_SIZE (1u << MID_BITS)
#define TOP_SIZE (1u << TOP_BITS)

typedef _Atomic(void *) slot_t; /* points to the next level's page */

static slot_t top[TOP_SIZE];      /* of pages of MID_SIZE slot_t */

/* The entry for fd, or NULL where no page holds it (nothing stored). */
static _Atomic uintptr_t *entry_of(int fd)
{
	unsigned int u = (unsigned int)fd;
	slot_t *mid;
	_Atomic uintptr_t *leaf;

	if (fd < 0)
		return NULL;
	mid = atomic_load_explicit(&top[u >> (LEAF_BITS + MID_BITS)],
				   memory_order_acquire);
	if (!mid)
		return NULL;
	leaf = atomic_load_explicit(&mid[(u >> LEAF_BITS) & (MID_SIZE - 1)],
				    memory_order_acquire);
	return leaf ? &leaf[u & (LEAF_SIZE - 1)] : NULL;
}

uintptr_t kc_fd_get(int fd)
{
	_Atomic uintptr_t *e = entry_of(fd);

	return e ? atomic_load_explicit(e, memory_order_acquire) : 0;
}

static void *alloc_page(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

/* Return *slot, installing a fresh zeroed page of `size` bytes if empty. */
static void *get_or_make(slot_t *slot, size_t size, int make)
{
	void *p = atomic_load_explicit(slot, memory_order_acquire), *fresh;

	if (p || !make)
		return p;
	fresh = alloc_page(size);
	if (!fresh)
		return NULL;
	if (atomic_compare_exchange_strong_explicit(slot, &p, fresh,
						    memory_order_acq_rel,
						    memory_order_acquire))
		return fresh;
	munmap(fresh, size); /* another thread installed one first */
	return p;
}

uintptr_t kc_fd_swap(int fd, uintptr_t e)
{
	unsigned int u = (unsigned int)fd;
	slot_t *mid;
	_Atomic uintptr_t *leaf;

	if (fd < 0)
		return e ? KC_FD_SET_FAILED : 0;
	mid = get_or_make(&top[u >> (LEAF_BITS + MID_BITS)],
			  MID_SIZE * sizeof(slot_t), e != 0);
	if (!mid)
		return e ? KC_FD_SET_FAILED : 0;
	leaf = get_or_make(&mid[(u >> LEAF_BITS) & (MID_SIZE - 1)],
			   LEAF_SIZE * sizeof(uintptr_t), e != 0);
	if (!leaf)
		return e ? KC_FD_SET_FAILED : 0;
	return atomic_exchange_explicit(&leaf[u & (LEAF_SIZE - 1)], e,
					memory_order_acq_rel);
}

int kc_fd_cas(int fd, uintptr_t expected, uintptr_t desired)
{
	_Atomic uintptr_t *e = entry_of(fd);

	if (!e)
		return expected == 0 && desired == 0;
	return atomic_compare_exchange_strong(e, &expected, desired);
}

int kc_fd_next(unsigned int from, unsigned int to)
{
	if (to > 0x7fffffffu)
		to = 0x7fffffffu;
	for (unsigned int u = from; u <= to;) {
		slot_t *mid = atomic_load_explicit(&top[u >> (LEAF_BITS + MID_BITS)],
						   memory_order_acquire);
		_Atomic uintptr_t *leaf;

		if (!mid) { /* next top slot */
			u = ((u >> (LEAF_BITS + MID_BITS)) + 1) << (LEAF_BITS + MID_BITS);
			continue;
		}
		leaf = atomic_load_explicit(&mid[(u >> LEAF_BITS) & (MID_SIZE - 1)],
					    memory_order_acquire);
		if (!leaf) { /* next leaf */
			u = ((u >> LEAF_BITS) + 1) << LEAF_BITS;
			continue;
		}
		if (atomic_load_explicit(&leaf[u & (LEAF_SIZE - 1)], memory_order_acquire))
			return (int)u;
		if (u == to)
			break;
		u++;
	}
	return -1;
}

void kc_fd_reset_for_tests(void)
{
	for (unsigned i = 0; i < TOP_SIZE; i++) {
		slot_t *mid = atomic_load(&top[i]);
		if (!mid)
			continue;
		for (unsigned j = 0; j < MID_SIZE; j++) {
			_Atomic uintptr_t *leaf = atomic_load(&mid[j]);
			if (!leaf)
				continue;
			for (unsigned k = 0; k < LEAF_SIZE; k++)
				atomic_store(&leaf[k], 0);
		}
	}
}
