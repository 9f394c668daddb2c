/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A library whose constructor calls ioctl(): the shim must already work
 * then, whichever of the two is initialised first. */
#include <fcntl.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/kvm.h>

__attribute__((constructor)) static void early_ioctl(void)
{
	int p[2], n = -1, kvm;

	if (pipe(p) == 0) {
		(void)!write(p[1], "abc", 3);
		int r = ioctl(p[0], FIONREAD, &n);
		printf("constructor: FIONREAD ret=%d bytes=%d\n", r, n);
		close(p[0]);
		close(p[1]);
	}
	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm >= 0) {
		printf("constructor: KVM_CHECK_EXTENSION(239)=%d\n",
		       ioctl(kvm, KVM_CHECK_EXTENSION, 239));
		close(kvm);
	}
	fflush(stdout);
}
