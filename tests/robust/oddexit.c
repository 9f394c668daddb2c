/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* oddexit.so: preloaded after libkvmcompl by tests/robust.test, for the
 * exit reasons no table knows. When the program sets oddexit_reason, the
 * next KVM_RUN that returns a real HLT exit is reported with that reason
 * instead, and bit 15 set, as a confused kernel would; every KVM_RUN that
 * reaches it (the library's completions included) is counted in
 * oddexit_runs. Everything else passes through. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdarg.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/kvm.h>

#define EXPORT __attribute__((visibility("default")))

EXPORT unsigned oddexit_reason;
EXPORT long oddexit_runs;

EXPORT int ioctl(int fd, unsigned long req, ...);
EXPORT int ioctl(int fd, unsigned long req, ...)
{
	static int (*next)(int, unsigned long, ...);
	va_list ap;
	void *arg;
	int r;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (!next)
		next = (int (*)(int, unsigned long, ...))dlsym(RTLD_NEXT, "ioctl");
	r = next(fd, req, arg);
	if ((unsigned int)req == KVM_RUN) {
		__atomic_add_fetch(&oddexit_runs, 1, __ATOMIC_RELAXED);
		if (r == 0 && oddexit_reason) {
			long size = sysconf(_SC_PAGESIZE);
			struct kvm_run *run = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

			if (run != MAP_FAILED) {
				if (run->exit_reason == KVM_EXIT_HLT) {
					run->exit_reason = oddexit_reason;
					run->flags |= 1u << 15;
				}
				munmap(run, (size_t)size);
			}
		}
	}
	return r;
}
