/* SPDX-License-Identifier: LGPL-2.1-or-later */
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

/* A row's raw fallback is raw_NAME; these two share another's. */
#define raw___ioctl_time64 raw_ioctl
#define raw_fcntl64 raw_fcntl

static const struct {
	const char *name;
	void *raw;
} table[KC_NEXT_COUNT] = {
#define KC_NEXT_ROW(name, slot, type, check, wrap) [KC_NEXT_##slot] = { #name, (void *)raw_##name },
	KC_INTERPOSED(KC_NEXT_ROW)
#undef KC_NEXT_ROW
};

#ifdef KC_WRAP
/* libkvmcompl.a: the linker's --wrap gives each wrapped function's original
 * as __real_NAME. Weak, so a function the VMM did not wrap leaves NULL here
 * and the raw system call serves instead. */
#define KC_NEXT_REAL(name, slot, type, check, wrap) extern type __real_##name __attribute__((weak));
KC_INTERPOSED(KC_NEXT_REAL)
#undef KC_NEXT_REAL

static void *real_of(enum kc_next_id id)
{
	switch (id) {
#define KC_NEXT_CASE(name, slot, type, check, wrap) case KC_NEXT_##slot: return (void *)__real_##name;
	KC_INTERPOSED(KC_NEXT_CASE)
#undef KC_NEXT_CASE
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
	/* The rows whose configure check holds: the others are never called. */
	static const enum kc_next_id used[] = {
#define KC_NEXT_USED(name, slot, type, check, wrap) KC_IF(check)(KC_NEXT_##slot,)
		KC_INTERPOSED(KC_NEXT_USED)
#undef KC_NEXT_USED
	};

	for (size_t i = 0; i < sizeof used / sizeof *used; i++)
		if (!atomic_load_explicit(&kc_next_fn[used[i]], memory_order_relaxed))
			kc_next_resolve(used[i]);
}
