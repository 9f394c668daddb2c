/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The test programs' harness: see tap.h. */
#define _GNU_SOURCE
#include "tap.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *tap_prog = "test";
const char *tap_tag;
int tap_quiet;
FILE *tap_diag;
void (*tap_before_exit)(void);
unsigned tap_failures;

/* Only the file's name: the build directory varies, the name does not. */
static const char *base(const char *file)
{
	const char *s = strrchr(file, '/');
	return s ? s + 1 : file;
}

static void line_v(const char *fmt, va_list ap)
{
	if (tap_tag)
		printf("%s: ", tap_tag);
	vprintf(fmt, ap);
}

void tap_say(const char *fmt, ...)
{
	va_list ap;
	if (tap_quiet) return;
	va_start(ap, fmt);
	line_v(fmt, ap);
	va_end(ap);
	putchar('\n');
}

int tap_check(const char *file, int line, int ok, const char *fmt, ...)
{
	va_list ap;
	if (!ok) tap_failures++;
	if (tap_quiet) return ok;
	va_start(ap, fmt);
	line_v(fmt, ap);
	va_end(ap);
	if (ok)
		printf(": OK\n");
	else
		printf(": FAIL (%s:%d)\n", base(file), line);
	return ok;
}

void tap_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	tap_failures++;
	if (tap_quiet) return;
	if (tap_tag)
		printf("%s: ", tap_tag);
	fputs("FAIL: ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf(" (%s:%d)\n", base(file), line);
}

void tap_skip(const char *fmt, ...)
{
	va_list ap;
	FILE *f = tap_diag ? tap_diag : stderr;
	if (tap_before_exit) tap_before_exit();
	fflush(stdout);
	fprintf(f, "%s: SKIP: ", tap_prog);
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fputc('\n', f);
	fflush(f);
	exit(77);
}

void tap_die(const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	int e = errno;
	FILE *f = tap_diag ? tap_diag : stderr;
	fflush(stdout);
	fprintf(f, "%s: hard error: ", tap_prog);
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fprintf(f, " (errno %d: %s) at %s:%d\n", e, strerror(e), base(file), line);
	fflush(f);
	/* _exit: a hard error in a forked child or a thread must not run the
	 * parent's atexit handlers or flush its buffers twice. */
	_exit(99);
}

int tap_status(void)
{
	return tap_failures ? 1 : 0;
}

const char *tap_errname(int e)
{
	static __thread char buf[32];
	switch (e) {
	case 0: return "0";
	case EPERM: return "EPERM";
	case EINTR: return "EINTR";
	case EIO: return "EIO";
	case EBADF: return "EBADF";
	case EFAULT: return "EFAULT";
	case EINVAL: return "EINVAL";
	case ENOTTY: return "ENOTTY";
	case E2BIG: return "E2BIG";
	case ENOMEM: return "ENOMEM";
	case EMFILE: return "EMFILE";
	case EAGAIN: return "EAGAIN";
	default: snprintf(buf, sizeof(buf), "errno %d", e); return buf;
	}
}
