/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "kernel.h"
#include "log.h"
#include "next.h"
#include "track.h"
#include "vcpu.h"

static void drop(uintptr_t e)
{
	if (kc_entry_kind(e) == KC_FD_VCPU || kc_entry_kind(e) == KC_FD_VCPU_CLOSING)
		kc_vcpu_put(kc_entry_ptr(e));
}

static uintptr_t install(int fd, uintptr_t e)
{
	uintptr_t old = kc_fd_swap(fd, e);

	if (old == KC_FD_SET_FAILED) {
		kc_log_once(KC_LOG_ERROR, "out of memory for the fd table at fd %d: fd passed through untouched", fd);
		drop(e);
		return 0;
	}
	drop(old);
	return e;
}

/* met_later: -1 when fd is being created by the VMM's call; otherwise fd
 * was met later, and met_later is a private descriptor of the same file
 * to keep (>= 0) or -2. *adopted (if given) says whether a new vCPU object
 * took met_later as its own: from then on only that object closes it. */
static uintptr_t track(int fd, enum kc_fd_kind kind, int id, int met_later, int *adopted)
{
	struct kc_vcpu *v;

	if (adopted)
		*adopted = 0;

	kc_vcpu_fd_budget(fd);
	/* The first KVM fd met tells what the running kernel offers. */
	if (kind == KC_FD_SYSTEM || kind == KC_FD_VM)
		kc_kernel_probe(fd);
	else if (kind == KC_FD_VCPU)
		kc_kernel_probe(-1);
	if (kind != KC_FD_VCPU)
		return install(fd, (uintptr_t)kind);
	/* An fd met later may be a second descriptor of a vCPU already
	 * known (received over a socket): share its object and its mark. */
	v = met_later != -1 ? kc_vcpu_find_same(fd) : NULL;
	if (!v) {
		v = kc_vcpu_new(fd, met_later >= 0 ? met_later : -1, id, met_later != -1);
		/* Decided now: once installed, a racing close may release v
		 * (closing met_later) before the caller looks again. */
		if (v && adopted && met_later >= 0)
			*adopted = atomic_load(&v->own_fd) == met_later;
	}
	if (!v) /* logged; remembered, so that it is not tried on every call */
		return install(fd, KC_FD_OTHER);
	return install(fd, (uintptr_t)v | KC_FD_VCPU);
}

uintptr_t kc_track(int fd, enum kc_fd_kind kind, int id)
{
	return track(fd, kind, id, -1, NULL);
}

enum kc_fd_kind kc_kind_from_link(const char *t)
{
	/* Names from virt/kvm/kvm_main.c: kvm_dev_ioctl_create_vm ("kvm-vm"),
	 * create_vcpu_fd ("kvm-vcpu:%d"), kvm_ioctl_create_device (ops->name),
	 * kvm_vcpu_ioctl_get_stats_fd ("kvm-vcpu-stats:%d"). */
	if (strcmp(t, "anon_inode:kvm-vm") == 0)
		return KC_FD_VM;
	if (strncmp(t, "anon_inode:kvm-vcpu:", 20) == 0)
		return KC_FD_VCPU;
	if (strcmp(t, "/dev/kvm") == 0)
		return KC_FD_SYSTEM;
	if (strncmp(t, "anon_inode:kvm", 14) == 0 ||
	    strncmp(t, "anon_inode:[kvm", 15) == 0)
		return KC_FD_OTHER;
	return KC_FD_UNKNOWN;
}

/* "/proc/self/fd/N" into path. */
static void fd_path(char path[32], int fd)
{
	char digits[12];
	int n = 0, len = 14;
	unsigned u = (unsigned)fd;

	memcpy(path, "/proc/self/fd/", 14);
	do
		digits[n++] = (char)('0' + u % 10);
	while ((u /= 10));
	while (n)
		path[len++] = digits[--n];
	path[len] = '\0';
}

uintptr_t kc_track_identify(int fd)
{
	char path[32], target[64] = "";
	int saved_errno = errno, own, adopted;
	enum kc_fd_kind kind = KC_FD_UNKNOWN;
	uintptr_t e;
	ssize_t got;
	struct stat st;

	if (fd < 0)
		return 0;
	/* Work on a private descriptor: the VMM may close fd meanwhile, and
	 * what is learnt must be about one file. */
	own = kc_private_fd(fd, 0);
	if (own < 0) {
		errno = saved_errno;
		return 0; /* not open (EBADF) or no fds left: nothing to learn */
	}
	fd_path(path, own);
	got = readlink(path, target, sizeof target - 1);
	if (got >= 0) {
		target[got] = '\0';
		kind = kc_kind_from_link(target);
	} else {
		kc_log_once(KC_LOG_WARN, "cannot read %s (errno %d; is /proc mounted?): only /dev/kvm fds are recognised among those the library did not see created",
			    path, errno);
	}
	/* /dev/kvm may be reached by another path (containers), or /proc be
	 * missing: the misc device 10:232 tells. */
	if (kind == KC_FD_UNKNOWN && fstat(own, &st) == 0 && S_ISCHR(st.st_mode) &&
	    major(st.st_rdev) == 10 && minor(st.st_rdev) == 232)
		kind = KC_FD_SYSTEM;
	if (got < 0 && kind == KC_FD_UNKNOWN) { /* do not cache: unknown */
		((kc_int_fn)kc_next(KC_NEXT_CLOSE))(own);
		errno = saved_errno;
		return 0;
	}
	kc_log(KC_LOG_DEBUG, "fd %d identified as %s", fd, got >= 0 ? target : "/dev/kvm (10:232)");
	/* Not KVM (another driver of type 0xAE): remembered as such until it
	 * is closed, so it costs the readlink once. A vCPU keeps `own` as its
	 * private descriptor; "anon_inode:kvm-vcpu:N": N is the vCPU id. */
	e = track(fd, kind == KC_FD_UNKNOWN ? KC_FD_OTHER : kind,
		  kind == KC_FD_VCPU ? atoi(target + 20) : -1, kind == KC_FD_VCPU ? own : -2, &adopted);
	/* Closed or reused meanwhile: the entry describes another file. */
	if (e && kc_same_file(fd, own) == 0 && kc_fd_cas(fd, e, 0)) {
		kc_log(KC_LOG_DEBUG, "fd %d changed while it was identified: forgotten", fd);
		drop(e);
		e = 0;
	}
	/* Kept only as a new vCPU's private descriptor; that object closes it
	 * when released (perhaps already, above or by a racing close: e is
	 * not looked into here). */
	if (!adopted)
		((kc_int_fn)kc_next(KC_NEXT_CLOSE))(own);
	errno = saved_errno;
	return e;
}

void kc_track_copy(int from, int to)
{
	uintptr_t e;

	if (from == to)
		return;
	e = kc_fd_get(from);
	if (kc_entry_kind(e) == KC_FD_CLOSING || kc_entry_kind(e) == KC_FD_VCPU_CLOSING ||
	    kc_entry_kind(e) == KC_FD_OWN ||
	    (kc_entry_kind(e) == KC_FD_VCPU && !kc_vcpu_get(kc_entry_ptr(e))))
		e = 0; /* closed meanwhile (or never the VMM's) */
	if (e)
		install(to, e);
	else
		kc_track_forget(to); /* `to` was closed by dup2/dup3 */
}

void kc_track_forget(int fd)
{
	if (kc_fd_get(fd))
		drop(kc_fd_swap(fd, 0));
}

void kc_track_stale(int fd, uintptr_t e)
{
	if (kc_fd_cas(fd, e, 0)) {
		kc_log(KC_LOG_DEBUG, "fd %d is no longer the KVM object recorded: forgotten", fd);
		drop(e);
	}
}

void kc_track_closing(int fd)
{
	uintptr_t e = kc_fd_get(fd);

	/* A vCPU keeps being served until the real close returns: a request
	 * racing the close still reaches an open fd and must be completed. */
	if (kc_entry_kind(e) == KC_FD_VCPU)
		kc_fd_cas(fd, e, (e & ~KC_FD_KIND_MASK) | KC_FD_VCPU_CLOSING);
	else if (e && kc_entry_kind(e) != KC_FD_CLOSING &&
		 kc_entry_kind(e) != KC_FD_VCPU_CLOSING && kc_entry_kind(e) != KC_FD_OWN)
		kc_fd_cas(fd, e, KC_FD_CLOSING);
}

void kc_track_closed(int fd)
{
	uintptr_t e = kc_fd_get(fd);

	/* Unless the number was reused and recorded meanwhile. */
	if ((kc_entry_kind(e) == KC_FD_CLOSING || kc_entry_kind(e) == KC_FD_VCPU_CLOSING) &&
	    kc_fd_cas(fd, e, 0))
		drop(e);
}

#define EACH_IN(fd, first, last) \
	for (int fd = kc_fd_next(first, last); fd >= 0; \
	     fd = (unsigned int)fd < (last) ? kc_fd_next((unsigned int)fd + 1, last) : -1)

void kc_track_closing_range(unsigned int first, unsigned int last)
{
	EACH_IN(fd, first, last)
		kc_track_closing(fd);
}

void kc_track_closed_range(unsigned int first, unsigned int last)
{
	EACH_IN(fd, first, last)
		kc_track_closed(fd);
}
