/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fd -> what the library knows of it. Read on every KVM ioctl without a
 * lock; written only when a KVM fd is created, identified, dup'ed or closed. */
#ifndef KC_FDTABLE_H
#define KC_FDTABLE_H

#include <stdint.h>

/* An entry is a tagged word: the low bits say the kind, a vCPU entry also
 * carries its struct kc_vcpu pointer (8-byte aligned). 0 = not known. */
enum kc_fd_kind {
	KC_FD_UNKNOWN = 0,
	KC_FD_SYSTEM = 1,  /* /dev/kvm */
	KC_FD_VM = 2,      /* from KVM_CREATE_VM */
	KC_FD_VCPU = 3,    /* from KVM_CREATE_VCPU, pointer in the high bits */
	KC_FD_OTHER = 4,   /* another KVM object (device, stats): pass through */
	KC_FD_CLOSING = 5, /* being closed: never identified meanwhile */
	KC_FD_VCPU_CLOSING = 6, /* a vCPU being closed: still served (the
				   kernel's fd is open until close returns) */
	KC_FD_OWN = 7,     /* the library's private descriptor of the vCPU
			      in the high bits: a number the VMM never
			      opened, so its close/dup on it gets EBADF */
};
#define KC_FD_KIND_MASK ((uintptr_t)7)

static inline enum kc_fd_kind kc_entry_kind(uintptr_t e)
{
	return (enum kc_fd_kind)(e & KC_FD_KIND_MASK);
}

static inline void *kc_entry_ptr(uintptr_t e)
{
	return (void *)(e & ~KC_FD_KIND_MASK);
}

/* 0 when fd is negative, unknown or beyond anything ever stored. */
uintptr_t kc_fd_get(int fd);

/* Store e at fd and return the entry it replaces. Storing a non-zero entry
 * may allocate (mmap) a table page; if that fails, nothing is stored and
 * KC_FD_SET_FAILED is returned. */
uintptr_t kc_fd_swap(int fd, uintptr_t e);
#define KC_FD_SET_FAILED (~(uintptr_t)0)

/* Replace the entry at fd by `desired` only if it is still `expected`. */
int kc_fd_cas(int fd, uintptr_t expected, uintptr_t desired);

/* The lowest fd in [from, to] with an entry, or -1: skips empty pages, so
 * a sweep over a huge range costs only what is stored. */
int kc_fd_next(unsigned int from, unsigned int to);

/* Forget every entry (test helper and fork of a fresh table). */
void kc_fd_reset_for_tests(void);

#endif
