/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fault-vmm: a minimal VMM for tests/faults.test, run over the kernel double
 * (with KDOUBLE_FAULT) or over real /dev/kvm.  One real-mode vCPU runs
 *     mov al,0x11 ; in al,0xE0 ; out 0xE1,al ; hlt
 * The VMM answers the IN with 0x42, reads the registers while the IN is
 * still owed (the state read the library completes before), then runs on:
 * the OUT must carry 0x42 (nothing lost, nothing repeated) and the guest
 * must halt.  Every step's result is printed; the test compares them.
 *
 * Usage: fault-vmm [raw] [nofile]
 *   raw     create the VM and vCPU with the raw system call, as fds
 *           inherited across exec are (the library identifies them lazily)
 *   nofile  lower RLIMIT_NOFILE so the vCPU fd is the last fd the process
 *           may open (the library's own /dev/kvm open and F_DUPFD_CLOEXEC
 *           fail); KVM_GET_VCPU_MMAP_SIZE is asked only after the vCPU
 *           exists, as legacy VMMs do
 * Exit: 0 the guest ran to HLT with the OUT value 0x42, 1 it did not but the
 * VMM saw plain errors (printed), 77 no KVM, 99 internal error. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/kvm.h>

#include "../common/tap.h"
#include "../common/vm.h"

#if defined(__x86_64__) || defined(__i386__)
static int raw;
/* raw over the kernel double: its own ioctl, past the library */
static kt_ioctl_fn kdouble_ioctl;

/* KVM_CREATE_VM and KVM_CREATE_VCPU with raw: past the library */
static int create_raw(int fd, unsigned long req, unsigned long arg)
{
	return kdouble_ioctl ? kdouble_ioctl(fd, req, arg) : kt_raw_ioctl(fd, req, arg);
}

#define STEP(name, call) do { \
		int r_ = (call); \
		if (r_ < 0) { printf("%s: errno %d (%s)\n", name, errno, strerror(errno)); return 1; } \
	} while (0)

int main(int argc, char **argv)
{
	static const uint8_t code[] = { 0xb0, 0x11, 0xe4, 0xe0, 0xe6, 0xe1, 0xf4 };
	int nofile = 0, kvm, vcpu;
	struct kt_vm m;
	struct kvm_sregs sr;
	struct kvm_regs r;
	struct kvm_run *run;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "raw")) raw = 1;
		else if (!strcmp(argv[i], "nofile")) nofile = 1;
		else { fprintf(stderr, "usage: fault-vmm [raw] [nofile]\n"); return 99; }
	}
	setvbuf(stdout, NULL, _IONBF, 0);
	tap_prog = "fault-vmm";
	tap_diag = stdout;
	if (raw) kdouble_ioctl = kt_kdouble_ioctl();
	if (raw) kt_create_ioctl = create_raw;
	kvm = kt_open(1);
	if (kvm < 0) { printf("no /dev/kvm: %s\n", strerror(errno)); return 77; }
	/* the VM, its memory and TSS (tests/common/vm.h); the vCPU below */
	if (kt_vm_create(&m, kvm, 0, 0x10000, KT_TSS | KT_NO_VCPU) < 0) {
		if (m.fd < 0) { printf("KVM_CREATE_VM: %s\n", strerror(errno)); return 77; }
		printf("%s: errno %d (%s)\n", kt_why, errno, strerror(errno));
		return 1;
	}
	if (kt_load(&m, 0x1000, code, sizeof(code)) < 0) die("%s", kt_why);
	if (nofile) {
		/* the next fd (the vCPU's) is the last one allowed */
		int next = dup(0);
		struct rlimit rl;
		if (next < 0) return 99;
		close(next);
		if (getrlimit(RLIMIT_NOFILE, &rl) < 0) return 99;
		rl.rlim_cur = (rlim_t)next + 1;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0) return 99;
		printf("RLIMIT_NOFILE lowered to %d\n", next + 1);
	}
	/* the vCPU, then KVM_GET_VCPU_MMAP_SIZE and the VMM's kvm_run mapping;
	 * with nofile one more fd is tried in between */
	vcpu = kt_vcpu_create(&m, 0, NULL);
	if (vcpu < 0) { printf("KVM_CREATE_VCPU: errno %d\n", errno); return 1; }
	if (nofile) {
		int more = dup(0);
		printf("another fd: %s\n", more < 0 ? strerror(errno) : "opened (limit not reached)");
		if (more >= 0) close(more);
	}
	m.run = run = kt_map_run(&m, vcpu);
	if (!run) {
		if (!strcmp(kt_why, "KVM_GET_VCPU_MMAP_SIZE"))
			printf("KVM_GET_VCPU_MMAP_SIZE: %d errno %d\n", -1, errno);
		else
			printf("VMM mmap of kvm_run: errno %d\n", errno);
		return 1;
	}
	if (kt_x86_real(vcpu, 0x1000, 0) < 0) {
		printf("%s: errno %d (%s)\n", kt_why, errno, strerror(errno));
		return 1;
	}

	STEP("KVM_RUN 1", ioctl(vcpu, KVM_RUN, 0));
	if (run->exit_reason != KVM_EXIT_IO || run->io.direction != KVM_EXIT_IO_IN || run->io.port != 0xe0) {
		printf("exit 1: unexpected exit %u\n", run->exit_reason);
		return 1;
	}
	printf("exit 1: IN 0xE0, bit 15 %s\n", (run->flags & (1u << 15)) ? "set" : "clear");
	((uint8_t *)run)[run->io.data_offset] = 0x42;
	/* the state read while the IN is owed */
	if (ioctl(vcpu, KVM_GET_REGS, &r) < 0) {
		printf("state read: errno %d (%s)\n", errno, strerror(errno));
	} else {
		printf("state read: al=0x%02x rip=0x%llx (%s)\n", (unsigned)(r.rax & 0xff),
		       (unsigned long long)r.rip,
		       (r.rax & 0xff) == 0x42 && r.rip == 0x1004 ? "completed" :
		       (r.rax & 0xff) == 0x11 && r.rip == 0x1002 ? "pending" : "INCONSISTENT");
	}
	printf("after the state read: bit 15 %s, exit_reason %u\n", (run->flags & (1u << 15)) ? "set" : "clear",
	       run->exit_reason);
	/* a second state read: a completion that failed is tried again */
	if (ioctl(vcpu, KVM_GET_SREGS, &sr) < 0)
		printf("state read 2: errno %d (%s)\n", errno, strerror(errno));
	STEP("KVM_RUN 2", ioctl(vcpu, KVM_RUN, 0));
	if (run->exit_reason != KVM_EXIT_IO || run->io.direction != KVM_EXIT_IO_OUT || run->io.port != 0xe1) {
		printf("exit 2: unexpected exit %u\n", run->exit_reason);
		return 1;
	}
	printf("exit 2: OUT 0xE1 = 0x%02x\n", ((uint8_t *)run)[run->io.data_offset]);
	if (((uint8_t *)run)[run->io.data_offset] != 0x42) return 1;
	STEP("KVM_RUN 3", ioctl(vcpu, KVM_RUN, 0));
	printf("exit 3: %s\n", run->exit_reason == KVM_EXIT_HLT ? "HLT" : "not HLT");
	return run->exit_reason == KVM_EXIT_HLT ? 0 : 1;
}
#else
int main(void)
{
	puts("fault-vmm: x86 only");
	return 77;
}
#endif
