#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/syscall.h>

#include "log.h"
#include "next.h"

_Atomic(void *) kc_next_fn[KC_NEXT_COUNT];

/* Raw system calls, used while dlsym is running (it may allocate, and an
 * allocator may call back into us) or if dlsym finds nothing usable. */
static int raw_ioctl(int fd, KC_IOCTL_REQ_T req, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	return (int)syscall(SYS_ioctl, fd, (unsigned long)(unsigned int)req, arg);
}

static int raw_close(int fd) { return (int)syscall(SYS_close, fd); }
static int raw_dup(int fd) { return (int)syscall(SYS_dup, fd); }
static int raw_dup2(int fd, int fd2)
{
	if (fd == fd2) /* dup2's own rule, which dup3 does not have */
		return syscall(SYS_fcntl, fd, F_GETFD) < 0 ? -1 : fd;
	return (int)syscall(SYS_dup3, fd, fd2, 0);
}
static int raw_dup3(int fd, int fd2, int flags)
{
	return (int)syscall(SYS_dup3, fd, fd2, flags);
}
static int raw_fcntl(int fd, int cmd, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, cmd);
	arg = va_arg(ap, void *);
	va_end(ap);
	return (int)syscall(SYS_fcntl, fd, cmd, arg);
}

#ifndef SYS_close_range
#define SYS_close_range 436
#endif
static int raw_close_range(unsigned int first, unsigned int last, int flags)
{
	return (int)syscall(SYS_close_range, first, last, flags);
}
/* closefrom has no system call of its own; close_range is its core. */
static void raw_closefrom(int fd)
{
	raw_close_range((unsigned int)fd, ~0u, 0);
}

static const struct {
	const char *name;
	void *raw;
} table[KC_NEXT_COUNT] = {
	[KC_NEXT_IOCTL] = { "ioctl", (void *)raw_ioctl },
	[KC_NEXT_IOCTL_TIME64] = { "__ioctl_time64", (void *)raw_ioctl },
	[KC_NEXT_CLOSE] = { "close", (void *)raw_close },
	[KC_NEXT_DUP] = { "dup", (void *)raw_dup },
	[KC_NEXT_DUP2] = { "dup2", (void *)raw_dup2 },
	[KC_NEXT_DUP3] = { "dup3", (void *)raw_dup3 },
	[KC_NEXT_FCNTL] = { "fcntl", (void *)raw_fcntl },
	[KC_NEXT_FCNTL64] = { "fcntl64", (void *)raw_fcntl },
	[KC_NEXT_CLOSE_RANGE] = { "close_range", (void *)raw_close_range },
	[KC_NEXT_CLOSEFROM] = { "closefrom", (void *)raw_closefrom },
};

#ifdef KC_WRAP
/* libkvmcompl.a: the linker's --wrap gives each wrapped function's original
 * as __real_NAME. Weak, so a function the VMM did not wrap leaves NULL here
 * and the raw system call serves instead. */
extern int __real_ioctl(int, KC_IOCTL_REQ_T, ...) __attribute__((weak));
extern int __real___ioctl_time64(int, unsigned long, ...) __attribute__((weak));
extern int __real_close(int) __attribute__((weak));
extern int __real_dup(int) __attribute__((weak));
extern int __real_dup2(int, int) __attribute__((weak));
extern int __real_dup3(int, int, int) __attribute__((weak));
extern int __real_fcntl(int, int, ...) __attribute__((weak));
extern int __real_fcntl64(int, int, ...) __attribute__((weak));
extern int __real_close_range(unsigned int, unsigned int, int) __attribute__((weak));
extern void __real_closefrom(int) __attribute__((weak));

static void *real_of(enum kc_next_id id)
{
	switch (id) {
	case KC_NEXT_IOCTL: return (void *)__real_ioctl;
	case KC_NEXT_IOCTL_TIME64: return (void *)__real___ioctl_time64;
	case KC_NEXT_CLOSE: return (void *)__real_close;
	case KC_NEXT_DUP: return (void *)__real_dup;
	case KC_NEXT_DUP2: return (void *)__real_dup2;
	case KC_NEXT_DUP3: return (void *)__real_dup3;
	case KC_NEXT_FCNTL: return (void *)__real_fcntl;
	case KC_NEXT_FCNTL64: return (void *)__real_fcntl64;
	case KC_NEXT_CLOSE_RANGE: return (void *)__real_close_range;
	case KC_NEXT_CLOSEFROM: return (void *)__real_closefrom;
	case KC_NEXT_COUNT: break;
	}
	return NULL;
}

void *kc_next_resolve(enum kc_next_id id)
{
	void *f = real_of(id);

	if (!f)
		f = table[id].raw;
	atomic_store_explicit(&kc_next_fn[id], f, memory_order_relaxed);
	return f;
}
#else
static _Thread_local int resolving;

void *kc_next_resolve(enum kc_next_id id)
{
	void *f;
	int saved_errno = errno;

	if (resolving) /* re-entered from inside dlsym */
		return table[id].raw;
	resolving = 1;
	/* RTLD_NEXT searches only the objects loaded after this one, so it
	 * cannot hand back these wrappers themselves. (Checking that with
	 * dladdr would cost more than the rest of start-up: it scans libc's
	 * symbol table.) */
	f = dlsym(RTLD_NEXT, table[id].name);
	resolving = 0;
	if (!f) {
		kc_log_once(KC_LOG_ERROR, "dlsym(RTLD_NEXT) found no usable %s; using the raw system call",
			    table[id].name);
		f = table[id].raw;
	}
	atomic_store_explicit(&kc_next_fn[id], f, memory_order_relaxed);
	errno = saved_errno;
	return f;
}
#endif

void kc_next_resolve_all(void)
{
	static const enum kc_next_id used[] = {
		KC_NEXT_IOCTL, KC_NEXT_CLOSE, KC_NEXT_DUP, KC_NEXT_DUP2, KC_NEXT_FCNTL,
#ifdef HAVE___IOCTL_TIME64
		KC_NEXT_IOCTL_TIME64,
#endif
#ifdef HAVE_DUP3
		KC_NEXT_DUP3,
#endif
#ifdef HAVE_FCNTL64
		KC_NEXT_FCNTL64,
#endif
#ifdef HAVE_CLOSE_RANGE
		KC_NEXT_CLOSE_RANGE,
#endif
#ifdef HAVE_CLOSEFROM
		KC_NEXT_CLOSEFROM,
#endif
	};

	for (size_t i = 0; i < sizeof used / sizeof *used; i++)
		if (!atomic_load_explicit(&kc_next_fn[used[i]], memory_order_relaxed))
			kc_next_resolve(used[i]);
}
