/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Calls that must behave exactly alike with and without libkvmcompl: ioctls
 * on non-KVM fds, bad fds and pointers, and the fd calls it follows. Each
 * line shows the result and errno; passthrough.test compares the two runs. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>
#include <sys/wait.h>
#include <linux/kvm.h>

#include "../common/vm.h"

#define SHOW(what, call)                                                   \
	do {                                                               \
		errno = 4242; /* a successful call must leave it alone */  \
		long r_ = (long)(call);                                    \
		printf("%-40s ret=%ld errno=%d\n", what, r_, errno);       \
	} while (0)

/* Bad input on real KVM fds gets the kernel's own answer, and a vCPU
 * number reused by a pipe after close() is not taken for the vCPU. */
static void kvm_fds(void)
{
	static const unsigned char in_hlt[] = { 0xe4, 0x10, 0xf4 }; /* in al,0x10; hlt */
	struct kvm_regs regs;
	struct kt_vm m;
	int kvm, vm, vcpu, vcpu2, p[2];

	kvm = kt_open(1);
	if (kvm < 0) {
		printf("no /dev/kvm here: KVM part not run\n");
		return;
	}
	/* the VM and its memory (tests/common/vm.h); the vCPU is the VMM's
	 * own, with no kvm_run mapped */
	if (kt_vm_create(&m, kvm, 0, 0x10000, KT_NO_VCPU) < 0) {
		printf("VM set-up: %s failed: KVM part not run\n", kt_why);
		close(kvm);
		return;
	}
	memset(m.mem, 0xf4, 0x10000);
	kt_load(&m, 0x1000, in_hlt, sizeof in_hlt);
	vm = m.fd;
	vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	SHOW("KVM_RUN on a VM fd", ioctl(vm, KVM_RUN, 0));
	SHOW("KVM_GET_REGS with NULL", ioctl(vcpu, KVM_GET_REGS, NULL));
	SHOW("KVM_SET_REGS with a wild pointer", ioctl(vcpu, KVM_SET_REGS, (void *)16));
	SHOW("unknown KVMIO request on a vCPU", ioctl(vcpu, _IO(KVMIO, 0xfe), 0));
	SHOW("KVM_CHECK_EXTENSION(-1) on a VM", ioctl(vm, KVM_CHECK_EXTENSION, -1L));
#if defined(__x86_64__) || defined(__i386__)
	kt_x86_real(vcpu, 0x1000, 0);
#endif
	SHOW("KVM_RUN to the IN exit", ioctl(vcpu, KVM_RUN, 0));
	/* A forked child's vCPU ioctls get the kernel's own EIO (another
	 * mm); the library must not try to complete from there. */
	fflush(stdout);
	if (fork() == 0) {
		SHOW("child: KVM_GET_REGS with an exit pending", ioctl(vcpu, KVM_GET_REGS, &regs));
		SHOW("child: KVM_RUN", ioctl(vcpu, KVM_RUN, 0));
		fflush(stdout);
		_exit(0);
	}
	wait(NULL);
	vcpu2 = dup(vcpu);
	SHOW("KVM_GET_REGS on a dup while pending", ioctl(vcpu2, KVM_GET_REGS, NULL));
	close(vcpu2);
	/* The vCPU's number goes to a pipe: requests on it are the pipe's. */
	SHOW("close the vCPU fd with an exit pending", close(vcpu));
	if (pipe(p) == 0) {
		printf("  pipe got the vCPU's number: %s\n", p[0] == vcpu ? "yes" : "no");
		SHOW("KVM_GET_REGS on the reused number", ioctl(p[0], KVM_GET_REGS, &regs));
		SHOW("KVM_RUN on the reused number", ioctl(p[0], KVM_RUN, 0));
		close(p[0]);
		close(p[1]);
	}
	SHOW("KVM_GET_REGS on the closed number", ioctl(vcpu, KVM_GET_REGS, &regs));
	kt_vm_destroy(&m);
	close(kvm);
}

/* `nonkvm --loaded`: whether libkvmcompl is mapped in this process. */
static int loaded(void)
{
	char line[512];
	FILE *f = fopen("/proc/self/maps", "r");
	int found = 0;

	while (f && fgets(line, sizeof line, f))
		/* the library file, not a build directory named after the package */
		found |= strstr(line, "/libkvmcompl.so") != NULL;
	if (f)
		fclose(f);
	puts(found ? "yes" : "no");
	return 0;
}

int main(int argc, char **argv)
{
	int p[2], avail = -1, pty, tty, sock;
	struct termios tio;
	struct ifreq ifr;

	if (argc > 1 && strcmp(argv[1], "--loaded") == 0)
		return loaded();
	if (pipe(p) != 0)
		return 99;
	(void)!write(p[1], "hello", 5);
	SHOW("FIONREAD on a pipe", ioctl(p[0], FIONREAD, &avail));
	printf("  bytes available %d\n", avail);
	SHOW("FIONREAD with a NULL pointer", ioctl(p[0], FIONREAD, NULL));
	SHOW("unknown request on a pipe", ioctl(p[0], 0x1234abcd, NULL));
	SHOW("KVMIO request on a pipe", ioctl(p[0], KVM_GET_API_VERSION, 0));
	SHOW("KVM_RUN on a pipe", ioctl(p[0], KVM_RUN, 0));
	SHOW("KVM_GET_REGS on a pipe", ioctl(p[0], KVM_GET_REGS, NULL));
	SHOW("sign-extended int request", ioctl(p[0], (int)KVM_GET_REGS, NULL));
	SHOW("FIONREAD on fd -1", ioctl(-1, FIONREAD, &avail));
	SHOW("KVM_RUN on fd -1", ioctl(-1, KVM_RUN, 0));
	SHOW("KVM_CHECK_EXTENSION on fd 999999", ioctl(999999, KVM_CHECK_EXTENSION, 239));

	pty = posix_openpt(O_RDWR | O_NOCTTY);
	if (pty >= 0 && grantpt(pty) == 0 && unlockpt(pty) == 0 &&
	    (tty = open(ptsname(pty), O_RDWR | O_NOCTTY)) >= 0) {
		SHOW("TCGETS on a pty", ioctl(tty, TCGETS, &tio));
		printf("  c_lflag %#x\n", (unsigned)tio.c_lflag);
		close(tty);
	} else {
		printf("TCGETS on a pty: no pty here\n");
	}

	sock = socket(AF_INET, SOCK_DGRAM, 0);
	memset(&ifr, 0, sizeof ifr);
	strcpy(ifr.ifr_name, "lo");
	SHOW("SIOCGIFFLAGS on lo", ioctl(sock, SIOCGIFFLAGS, &ifr));
	printf("  IFF_LOOPBACK %d\n", !!(ifr.ifr_flags & IFF_LOOPBACK));
	strcpy(ifr.ifr_name, "nosuchif0");
	SHOW("SIOCGIFFLAGS on a missing interface", ioctl(sock, SIOCGIFFLAGS, &ifr));

	SHOW("dup of a pipe", dup(p[0]));
	SHOW("dup2 onto 100", dup2(p[0], 100));
	SHOW("dup2 onto itself", dup2(p[0], p[0]));
	SHOW("dup3 onto 101", dup3(p[0], 101, O_CLOEXEC));
	SHOW("dup3 onto itself", dup3(p[0], p[0], 0));
	SHOW("F_DUPFD from 200", fcntl(p[0], F_DUPFD, 200));
	SHOW("F_DUPFD_CLOEXEC from 300", fcntl(p[0], F_DUPFD_CLOEXEC, 300));
	SHOW("F_GETFD of 300", fcntl(300, F_GETFD));
	SHOW("F_GETFL of the pipe", fcntl(p[0], F_GETFL));
	SHOW("FIONREAD on dup 100", ioctl(100, FIONREAD, &avail));
	SHOW("close 100", close(100));
	SHOW("close 100 again", close(100));
	SHOW("close -1", close(-1));
	SHOW("dup of -1", dup(-1));
	SHOW("dup2 of a closed fd", dup2(100, 102));
	SHOW("F_DUPFD of a closed fd", fcntl(100, F_DUPFD, 0));
	for (int fd = 3; fd < 400; fd++)
		close(fd);
	kvm_fds();
	return 0;
}
