/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "log.h"

static int put_str(char *buf, int size, int pos, const char *s)
{
	while (*s && pos < size - 1)
		buf[pos++] = *s++;
	return pos;
}

static int put_num(char *buf, int size, int pos, uintmax_t v, unsigned base,
		   int negative)
{
	char tmp[24];
	int n = 0;

	do {
		tmp[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	if (negative)
		tmp[n++] = '-';
	while (n && pos < size - 1)
		buf[pos++] = tmp[--n];
	return pos;
}

int kc_format(char *buf, int size, const char *fmt, va_list ap)
{
	int pos = 0;

	for (; *fmt && pos < size - 1; fmt++) {
		int longs = 0, sized = 0;
		intmax_t sv;

		if (*fmt != '%') {
			buf[pos++] = *fmt;
			continue;
		}
		fmt++;
		while (*fmt == 'l') {
			longs++;
			fmt++;
		}
		if (*fmt == 'z') {
			sized = 1;
			fmt++;
		}
		switch (*fmt) {
		case 's': {
			const char *s = va_arg(ap, const char *);
			pos = put_str(buf, size, pos, s ? s : "(null)");
			break;
		}
		case 'c':
			buf[pos++] = (char)va_arg(ap, int);
			break;
		case 'd':
			sv = longs ? va_arg(ap, long) : va_arg(ap, int);
			pos = put_num(buf, size, pos,
				      sv < 0 ? -(uintmax_t)sv : (uintmax_t)sv, 10, sv < 0);
			break;
		case 'u':
		case 'x':
			pos = put_num(buf, size, pos,
				      sized ? va_arg(ap, size_t) :
				      longs ? va_arg(ap, unsigned long) :
					      va_arg(ap, unsigned int),
				      *fmt == 'x' ? 16 : 10, 0);
			break;
		case 'p':
			pos = put_str(buf, size, pos, "0x");
			pos = put_num(buf, size, pos,
				      (uintptr_t)va_arg(ap, void *), 16, 0);
			break;
		case '%':
			buf[pos++] = '%';
			break;
		default: /* not supported: show it rather than guess */
			pos = put_str(buf, size, pos, "%?");
			if (!*fmt)
				fmt--;
			break;
		}
	}
	buf[pos] = '\0';
	return pos;
}

/* -1: not set up yet (stderr meanwhile). Set up with the settings, at the
 * first KVM request (normally the VMM's main thread), so vCPU threads open
 * nothing. */
static atomic_int log_fd = -1;
static struct kc_own_file log_id;
/* Until the set-up: the default level, warn. */
static atomic_int log_level = KC_LOG_WARN;

/* A number far from the VMM's own, so a VMM that sweeps and reuses low
 * fds is unlikely to hand ours to one of its files. */
#define KC_LOG_FD_MIN 512

int kc_own_file_open(const char *path, struct kc_own_file *id)
{
	int fd, high;
	struct stat st;

	/* O_NOFOLLOW: a log path that is a symlink is refused, so the
	 * library cannot be steered into appending to another file. */
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW |
		  O_NOCTTY, 0600);
	if (fd < 0)
		return -1; /* errno from open */
	high = (int)syscall(SYS_fcntl, fd, F_DUPFD_CLOEXEC, KC_LOG_FD_MIN);
	if (high >= 0) {
		syscall(SYS_close, fd);
		fd = high;
	}
	if (fstat(fd, &st) != 0) {
		int e = errno;

		syscall(SYS_close, fd);
		errno = e;
		return -1;
	}
	id->dev = (unsigned long)st.st_dev;
	id->ino = (unsigned long)st.st_ino;
	return fd;
}

int kc_own_file_is(int fd, const struct kc_own_file *id)
{
	struct stat st;

	return fstat(fd, &st) == 0 && (unsigned long)st.st_dev == id->dev &&
	       (unsigned long)st.st_ino == id->ino;
}

void kc_log_setup(enum kc_level level, const char *path)
{
	int fd = STDERR_FILENO, expected = -1;

	atomic_store(&log_level, (int)level);
	if (atomic_load(&log_fd) >= 0)
		return;
	if (path && (fd = kc_own_file_open(path, &log_id)) < 0) {
		char why[384], msg[512];
		int n = kc_snprintf(msg, (int)sizeof msg - 1, "libkvmcompl: %s; logging to stderr",
				    kc_open_error(why, (int)sizeof why, "KVMCOMPL_LOG_FILE", path, errno));

		msg[n++] = '\n';
		(void)!write(STDERR_FILENO, msg, (size_t)n);
		fd = STDERR_FILENO;
	}
	if (!atomic_compare_exchange_strong(&log_fd, &expected, fd) &&
	    fd != STDERR_FILENO)
		syscall(SYS_close, fd); /* lost the race */
}

/* The log fd, unless the VMM closed it and the number now names another
 * file: then stderr, rather than writing into the VMM's file. */
static int current_log_fd(void)
{
	int fd = atomic_load(&log_fd);

	if (fd < 0)
		return STDERR_FILENO;
	if (fd != STDERR_FILENO && !kc_own_file_is(fd, &log_id))
		return STDERR_FILENO;
	return fd;
}

static const char *const level_tags[] = {
	[KC_LOG_OFF] = "", [KC_LOG_ERROR] = "error", [KC_LOG_WARN] = "warning",
	[KC_LOG_INFO] = "info", [KC_LOG_DEBUG] = "debug",
};

static void vlog(const char *tag, const char *fmt, va_list ap)
{
	char line[1024];
	int saved_errno = errno, n, fd;

	n = put_str(line, sizeof line, 0, "libkvmcompl[");
	n = put_num(line, sizeof line, n, (uintmax_t)getpid(), 10, 0);
	n = put_str(line, sizeof line, n, "]: ");
	n = put_str(line, sizeof line, n, tag);
	n = put_str(line, sizeof line, n, ": ");
	n += kc_format(line + n, (int)sizeof line - n - 1, fmt, ap);
	line[n++] = '\n';

	fd = current_log_fd();
	(void)!write(fd, line, (size_t)n);
	errno = saved_errno;
}

void kc_log(enum kc_level level, const char *fmt, ...)
{
	va_list ap;

	if (level == KC_LOG_OFF || (int)level > atomic_load_explicit(&log_level, memory_order_relaxed))
		return;
	va_start(ap, fmt);
	vlog(level_tags[level], fmt, ap);
	va_end(ap);
}

void kc_log_always(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog("info", fmt, ap);
	va_end(ap);
}

/* The error text of errno e, without locale or lock (strerrordesc_np,
 * glibc 2.32); musl's strerror is a plain table lookup. */
static const char *errno_text(int e)
{
#ifdef HAVE_STRERRORDESC_NP
	const char *t = strerrordesc_np(e);

	return t ? t : "unknown error";
#else
	return strerror(e);
#endif
}

const char *kc_open_error(char *buf, int size, const char *what, const char *path, int err)
{
	struct stat st;

	/* O_NOFOLLOW's ELOOP: the last component is a symlink, refused so the
	 * library cannot be steered into another file; otherwise ELOOP is a
	 * loop in the directories, and every other error is the file's own. */
	if (err == ELOOP && lstat(path, &st) == 0 && S_ISLNK(st.st_mode))
		kc_snprintf(buf, size,
			    "cannot open %s %s: it is a symbolic link, which the library refuses to follow",
			    what, path);
	else
		kc_snprintf(buf, size, "cannot open %s %s: %s", what, path, errno_text(err));
	return buf;
}

int kc_snprintf(char *buf, int size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = kc_format(buf, size, fmt, ap);
	va_end(ap);
	return n;
}
