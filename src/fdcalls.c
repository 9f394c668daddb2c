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
#include "track.h"


KC_EXPORT int KC_ENTRY(close)(int fd);
KC_EXPORT int KC_ENTRY(close)(int fd)
{
	int err;

	if (__builtin_expect(!kc_fd_get(fd), 1))
		return ((kc_int_fn)kc_next(KC_NEXT_CLOSE))(fd);
	/* Forget first: once the kernel frees the number, another thread's
	 * open may get it, and it must not be found as a KVM fd. */
	err = errno;
	kc_track_forget(fd);
	errno = err;
	return ((kc_int_fn)kc_next(KC_NEXT_CLOSE))(fd);
}

#ifdef HAVE_CLOSE_RANGE
KC_EXPORT int KC_ENTRY(close_range)(unsigned int first, unsigned int last, int flags);
KC_EXPORT int KC_ENTRY(close_range)(unsigned int first, unsigned int last, int flags)
{
	int r = ((kc_close_range_fn)kc_next(KC_NEXT_CLOSE_RANGE))(first, last, flags);
	int err = errno;

	/* CLOSE_RANGE_CLOEXEC (4) only marks them; nothing is closed yet. */
	if (r == 0 && !(flags & 4)) {
		kc_track_forget_range(first, last);
		errno = err;
	}
	return r;
}
#endif

#ifdef HAVE_CLOSEFROM
KC_EXPORT void KC_ENTRY(closefrom)(int lowfd);
KC_EXPORT void KC_ENTRY(closefrom)(int lowfd)
{
	int err;

	((kc_closefrom_fn)kc_next(KC_NEXT_CLOSEFROM))(lowfd);
	err = errno;
	if (lowfd >= 0)
		kc_track_forget_range((unsigned int)lowfd, 0x7fffffffu);
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

KC_EXPORT int KC_ENTRY(dup)(int fd);
KC_EXPORT int KC_ENTRY(dup)(int fd)
{
	return copied(fd, ((kc_int_fn)kc_next(KC_NEXT_DUP))(fd));
}

KC_EXPORT int KC_ENTRY(dup2)(int fd, int fd2);
KC_EXPORT int KC_ENTRY(dup2)(int fd, int fd2)
{
	return copied(fd, ((kc_dup2_fn)kc_next(KC_NEXT_DUP2))(fd, fd2));
}

#ifdef HAVE_DUP3
KC_EXPORT int KC_ENTRY(dup3)(int fd, int fd2, int flags);
KC_EXPORT int KC_ENTRY(dup3)(int fd, int fd2, int flags)
{
	return copied(fd, ((kc_dup3_fn)kc_next(KC_NEXT_DUP3))(fd, fd2, flags));
}
#endif

static int do_fcntl(enum kc_next_id id, int fd, int cmd, void *arg)
{
	int r = ((kc_fcntl_fn)kc_next(id))(fd, cmd, arg);

	if (cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC)
		return copied(fd, r);
	return r;
}

/* fcntl's third argument is an int or a pointer: forwarded as one
 * pointer-sized value, which covers both on every Linux ABI. */
KC_EXPORT int KC_ENTRY(fcntl)(int fd, int cmd, ...);
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
KC_EXPORT int KC_ENTRY(fcntl64)(int fd, int cmd, ...);
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
