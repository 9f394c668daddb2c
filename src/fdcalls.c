/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* close(), dup(), dup2(), dup3() and fcntl(F_DUPFD*): followed so that a
 * KVM fd's number, once closed and reused, is never taken for a vCPU.
 * For other fds they cost one table lookup. <fcntl.h> is not included: on
 * some targets it renames fcntl, which would rename these definitions. */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <unistd.h>
#include <linux/fcntl.h>

#include "entry.h"
#include "next.h"
#include "log.h"
#include "track.h"
#include "vcpu.h"


/* The library's private descriptors are numbers the VMM never opened:
 * what the VMM gets for them is what it would get natively. */
static int not_open(void)
{
	errno = EBADF;
	return -1;
}

static int is_own(int fd)
{
	return kc_entry_kind(kc_fd_get(fd)) == KC_FD_OWN;
}

KC_EXPORT int KC_ENTRY(close)(int fd)
{
	uintptr_t e = kc_fd_get(fd);
	int err, r;

	if (__builtin_expect(!e, 1))
		return ((kc_int_fn)kc_next(KC_NEXT_CLOSE))(fd);
	if (kc_entry_kind(e) == KC_FD_OWN)
		return not_open();
	/* Marked first: once the kernel frees the number, another thread's
	 * open may get it, and it must not be found as a KVM fd. */
	err = errno;
	kc_track_closing(fd);
	errno = err;
	r = ((kc_int_fn)kc_next(KC_NEXT_CLOSE))(fd);
	err = errno;
	kc_track_closed(fd);
	errno = err;
	return r;
}

#if defined(HAVE_CLOSE_RANGE) || defined(HAVE_CLOSEFROM)
/* The library's private vCPU descriptors must survive a VMM's sweep over
 * a range of fds: the real call is made on the gaps between them. */
#define OWN_MAX 256
static int close_gaps(unsigned int first, unsigned int last, int flags, int *own, int n)
{
	unsigned int lo = first;
	int r = 0, err = 0;

	for (int i = 0; i <= n; i++) {
		unsigned int hi = i < n ? (unsigned int)own[i] - 1 : last;

		if (i < n && (unsigned int)own[i] == lo) { /* no gap */
			lo++;
			continue;
		}
		if (lo <= hi && ((kc_close_range_fn)kc_next(KC_NEXT_CLOSE_RANGE))(lo, hi, flags) != 0) {
			r = -1;
			err = errno;
		}
		if (i < n)
			lo = (unsigned int)own[i] + 1;
	}
	if (r)
		errno = err;
	return r;
}
#endif

#ifdef HAVE_CLOSE_RANGE
KC_EXPORT int KC_ENTRY(close_range)(unsigned int first, unsigned int last, int flags)
{
	int own[OWN_MAX], n, r, err = errno;

	/* CLOSE_RANGE_CLOEXEC (4) only marks them; nothing is closed yet. */
	if (flags & 4 || first > last)
		return ((kc_close_range_fn)kc_next(KC_NEXT_CLOSE_RANGE))(first, last, flags);
	kc_track_closing_range(first, last);
	n = kc_vcpu_own_fds(first, last, own, OWN_MAX);
	errno = err;
	if (n > OWN_MAX) { /* never seen: more private fds than room */
		kc_log_once(KC_LOG_WARN, "close_range over more than %d vCPUs: the library's own descriptors go too", OWN_MAX);
		n = 0;
	}
	r = n ? close_gaps(first, last, flags, own, n)
	      : ((kc_close_range_fn)kc_next(KC_NEXT_CLOSE_RANGE))(first, last, flags);
	err = errno;
	kc_track_closed_range(first, last);
	errno = err;
	return r;
}
#endif

#ifdef HAVE_CLOSEFROM
KC_EXPORT void KC_ENTRY(closefrom)(int lowfd)
{
	int own[OWN_MAX], n, err = errno;

	if (lowfd < 0) {
		((kc_closefrom_fn)kc_next(KC_NEXT_CLOSEFROM))(lowfd);
		return;
	}
	kc_track_closing_range((unsigned int)lowfd, 0x7fffffffu);
	n = kc_vcpu_own_fds((unsigned int)lowfd, 0x7fffffffu, own, OWN_MAX);
	if (n > 0 && n <= OWN_MAX) {
		/* Below the last private fd in gaps, above it with closefrom. */
		close_gaps((unsigned int)lowfd, (unsigned int)own[n - 1], 0, own, n);
		((kc_closefrom_fn)kc_next(KC_NEXT_CLOSEFROM))(own[n - 1] + 1);
	} else {
		((kc_closefrom_fn)kc_next(KC_NEXT_CLOSEFROM))(lowfd);
	}
	kc_track_closed_range((unsigned int)lowfd, 0x7fffffffu);
	errno = err;
}
#endif

static int copied(int from, int to)
{
	int err = errno;

	if (to >= 0 && (kc_fd_get(from) || kc_fd_get(to))) {
		kc_track_copy(from, to);
		errno = err;
	}
	return to;
}

KC_EXPORT int KC_ENTRY(dup)(int fd)
{
	if (is_own(fd))
		return not_open();
	return copied(fd, ((kc_int_fn)kc_next(KC_NEXT_DUP))(fd));
}

/* dup2/dup3 onto one of the library's descriptors: natively fd2 is free
 * and the call succeeds. The library's descriptor moves out of the way
 * first; if the call fails all the same, fd2 is left free, as natively. */
static int onto(int fd2, int r)
{
	int err = errno;

	if (r < 0 && fd2 >= 0) {
		((kc_int_fn)kc_next(KC_NEXT_CLOSE))(fd2);
		errno = err;
	}
	return r;
}

KC_EXPORT int KC_ENTRY(dup2)(int fd, int fd2)
{
	if (is_own(fd))
		return not_open();
	if (kc_vcpu_move_own(fd2))
		return copied(fd, onto(fd2, ((kc_dup2_fn)kc_next(KC_NEXT_DUP2))(fd, fd2)));
	return copied(fd, ((kc_dup2_fn)kc_next(KC_NEXT_DUP2))(fd, fd2));
}

#ifdef HAVE_DUP3
KC_EXPORT int KC_ENTRY(dup3)(int fd, int fd2, int flags)
{
	if (is_own(fd))
		return not_open();
	if (fd != fd2 && kc_vcpu_move_own(fd2))
		return copied(fd, onto(fd2, ((kc_dup3_fn)kc_next(KC_NEXT_DUP3))(fd, fd2, flags)));
	return copied(fd, ((kc_dup3_fn)kc_next(KC_NEXT_DUP3))(fd, fd2, flags));
}
#endif

static int do_fcntl(enum kc_next_id id, int fd, int cmd, void *arg)
{
	int r;

	if ((cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC) && is_own(fd))
		return not_open();
	r = ((kc_fcntl_fn)kc_next(id))(fd, cmd, arg);
	if (cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC)
		return copied(fd, r);
	return r;
}

/* fcntl's third argument is an int or a pointer: forwarded as one
 * pointer-sized value, which covers both on every Linux ABI. */
KC_EXPORT int KC_ENTRY(fcntl)(int fd, int cmd, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, cmd);
	arg = va_arg(ap, void *);
	va_end(ap);
	return do_fcntl(KC_NEXT_FCNTL, fd, cmd, arg);
}

#ifdef HAVE_FCNTL64
KC_EXPORT int KC_ENTRY(fcntl64)(int fd, int cmd, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, cmd);
	arg = va_arg(ap, void *);
	va_end(ap);
	return do_fcntl(KC_NEXT_FCNTL64, fd, cmd, arg);
}
#endif
