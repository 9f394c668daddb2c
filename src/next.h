/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The next definitions (normally libc's) of the functions this library
 * interposes (interposed.h), found once with dlsym(RTLD_NEXT) on first use, so nothing
 * depends on constructor order. */
#ifndef KC_NEXT_H
#define KC_NEXT_H

#include <stdatomic.h>

#include "interposed.h"

typedef kc_ioctl_ft *kc_ioctl_fn;
typedef kc_int_ft *kc_int_fn;
typedef kc_dup2_ft *kc_dup2_fn;
typedef kc_dup3_ft *kc_dup3_fn;
typedef kc_fcntl_ft *kc_fcntl_fn;
typedef kc_close_range_ft *kc_close_range_fn;
typedef kc_closefrom_ft *kc_closefrom_fn;

/* One slot per row of interposed.h: KC_NEXT_IOCTL, KC_NEXT_CLOSE, ... */
enum kc_next_id {
#define KC_NEXT_SLOT(name, slot, type, check, wrap) KC_NEXT_##slot,
	KC_INTERPOSED(KC_NEXT_SLOT)
#undef KC_NEXT_SLOT
	KC_NEXT_COUNT
};

extern _Atomic(void *) kc_next_fn[KC_NEXT_COUNT];

/* Slow path: resolve it (or fall back to the raw system call). */
void *kc_next_resolve(enum kc_next_id id);

static inline void *kc_next(enum kc_next_id id)
{
	void *f = atomic_load_explicit(&kc_next_fn[id], memory_order_relaxed);

	return __builtin_expect(f != 0, 1) ? f : kc_next_resolve(id);
}

/* Resolve every one now (from the library's constructor), so that a
 * first call from a signal handler does not run dlsym there. */
void kc_next_resolve_all(void);

/* ioctl as the kernel sees it, for the library's own calls. */
static inline int kc_sys_ioctl(int fd, unsigned long req, void *arg)
{
	return ((kc_ioctl_fn)kc_next(KC_NEXT_IOCTL))(fd, (KC_IOCTL_REQ_T)req, arg);
}

#endif
