#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "kernel.h"
#include "log.h"
#include "track.h"
#include "vcpu.h"

static void drop(uintptr_t e)
{
	if (kc_entry_kind(e) == KC_FD_VCPU)
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

uintptr_t kc_track(int fd, enum kc_fd_kind kind, int id)
{
	struct kc_vcpu *v;

	/* The first KVM fd met tells what the running kernel offers. */
	if (kind == KC_FD_SYSTEM || kind == KC_FD_VM)
		kc_kernel_probe(fd);
	else if (kind == KC_FD_VCPU)
		kc_kernel_probe(-1);
	if (kind != KC_FD_VCPU)
		return install(fd, (uintptr_t)kind);
	v = kc_vcpu_new(fd, id);
	if (!v) /* logged; remembered, so that it is not tried on every call */
		return install(fd, KC_FD_OTHER);
	return install(fd, (uintptr_t)v | KC_FD_VCPU);
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

uintptr_t kc_track_identify(int fd)
{
	char path[32] = "/proc/self/fd/", target[64], digits[12];
	int n = 0, len = 14, saved_errno = errno;
	unsigned u = (unsigned)fd;
	enum kc_fd_kind kind;
	uintptr_t e;
	ssize_t got;
	struct stat st;

	if (fd < 0)
		return 0;
	do
		digits[n++] = (char)('0' + u % 10);
	while ((u /= 10));
	while (n)
		path[len++] = digits[--n];
	path[len] = '\0';

	got = readlink(path, target, sizeof target - 1);
	if (got < 0) {
		if (errno != ENOENT)
			kc_log_once(KC_LOG_WARN, "cannot read %s (errno %d; is /proc mounted?): KVM fds the library did not see created are passed through",
				    path, errno);
		errno = saved_errno;
		return 0;
	}
	target[got] = '\0';
	kind = kc_kind_from_link(target);
	/* /dev/kvm may be reached by another path (containers): misc 10:232. */
	if (kind == KC_FD_UNKNOWN && fstat(fd, &st) == 0 && S_ISCHR(st.st_mode) &&
	    major(st.st_rdev) == 10 && minor(st.st_rdev) == 232)
		kind = KC_FD_SYSTEM;
	kc_log(KC_LOG_DEBUG, "fd %d identified as %s", fd, target);
	/* Not KVM (another driver of type 0xAE): remembered as such until it
	 * is closed, so it costs the readlink once. */
	/* "anon_inode:kvm-vcpu:N": N is the vCPU id */
	e = kc_track(fd, kind == KC_FD_UNKNOWN ? KC_FD_OTHER : kind,
		     kind == KC_FD_VCPU ? atoi(target + 20) : -1);
	errno = saved_errno;
	return e;
}

void kc_track_copy(int from, int to)
{
	uintptr_t e;

	if (from == to)
		return;
	e = kc_fd_get(from);
	if (kc_entry_kind(e) == KC_FD_VCPU && !kc_vcpu_get(kc_entry_ptr(e)))
		e = 0; /* closed meanwhile */
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

void kc_track_forget_range(unsigned int first, unsigned int last)
{
	for (int fd = kc_fd_next(first, last); fd >= 0;
	     fd = (unsigned int)fd < last ? kc_fd_next((unsigned int)fd + 1, last) : -1)
		kc_track_forget(fd);
}
