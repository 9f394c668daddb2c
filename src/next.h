/* The next definitions (normally libc's) of the functions this library
 * interposes, found once with dlsym(RTLD_NEXT) on first use, so nothing
 * depends on constructor order. */
#ifndef KC_NEXT_H
#define KC_NEXT_H

#include <stdatomic.h>

typedef int (*kc_ioctl_fn)(int, KC_IOCTL_REQ_T, ...);
typedef int (*kc_int_fn)(int);
typedef int (*kc_dup2_fn)(int, int);
typedef int (*kc_dup3_fn)(int, int, int);
typedef int (*kc_fcntl_fn)(int, int, ...);
typedef int (*kc_close_range_fn)(unsigned int, unsigned int, int);
typedef void (*kc_closefrom_fn)(int);

enum kc_next_id {
	KC_NEXT_IOCTL, KC_NEXT_IOCTL_TIME64, KC_NEXT_CLOSE, KC_NEXT_DUP,
	KC_NEXT_DUP2, KC_NEXT_DUP3, KC_NEXT_FCNTL, KC_NEXT_FCNTL64,
	KC_NEXT_CLOSE_RANGE, KC_NEXT_CLOSEFROM, KC_NEXT_COUNT
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
