/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The legacy VMM's VM: see vm.h. */
#define _GNU_SOURCE
#include "vm.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define IOCTL_OK(fd, req, arg) do { \
	if (ioctl((fd), (req), (arg)) < 0) die("%s", #req); \
} while (0)

void vm_create(struct vm *vm, int kvm, enum vm_mode mode)
{
	memset(vm, 0, sizeof(*vm));
	vm->mode = mode;
	if (kt_vm_create(&vm->k, kvm, 0, MEM_SIZE, KT_TSS_TRY) < 0 || kt_x86_cpuid(kvm, vm->k.vcpu) < 0)
		die("%s", kt_why);
}

void vm_destroy(struct vm *vm)
{
	kt_vm_destroy(&vm->k);
}

void vm_load(struct vm *vm, const uint8_t *code, size_t len)
{
	int r;

	if (len > BUF_ADDR - CODE_ADDR) die("guest code too long (%zu bytes)", len);
	memcpy(vm->k.mem + CODE_ADDR, code, len);
	if (vm->mode == MODE_REAL)
		r = kt_x86_real(vm->k.vcpu, CODE_ADDR, STACK_TOP);
	else
		r = kt_x86_long(&vm->k, vm->k.vcpu, PML4_ADDR, CODE_ADDR, STACK_TOP);
	if (r < 0) die("%s", kt_why);
}

void vm_setup_msr(struct vm *vm)
{
	/* Measured on kvm_pvm 6.18: both an unknown MSR with
	 * KVM_MSR_EXIT_REASON_UNKNOWN and a filter deny reach user space; use
	 * the filter (works even if the MSR becomes known some day) plus
	 * UNKNOWN as a fallback.  x86.c kvm_msr_user_space / complete_emulated_rdmsr. */
	struct kvm_enable_cap cap;
	struct kvm_msr_filter f;
	uint8_t bitmap[1] = { 0 };  /* bit 0 clear: deny MSR_DEV */

	/* Kernels before 5.10 (or a kernel double of one) have no user-space
	 * MSR exits: msr_how stays NULL and MSR scenarios skip. */
	vm->msr_how = NULL;
	if (ioctl(vm->k.kvm, KVM_CHECK_EXTENSION, KVM_CAP_X86_USER_SPACE_MSR) <= 0)
		return;
	memset(&cap, 0, sizeof(cap));
	cap.cap = KVM_CAP_X86_USER_SPACE_MSR;
	cap.args[0] = KVM_MSR_EXIT_REASON_UNKNOWN | KVM_MSR_EXIT_REASON_FILTER;
	IOCTL_OK(vm->k.fd, KVM_ENABLE_CAP, &cap);
	vm->msr_how = "user-space MSR exit (KVM_MSR_EXIT_REASON_UNKNOWN)";
	if (ioctl(vm->k.kvm, KVM_CHECK_EXTENSION, KVM_CAP_X86_MSR_FILTER) > 0) {
		memset(&f, 0, sizeof(f));
		f.flags = KVM_MSR_FILTER_DEFAULT_ALLOW;
		f.ranges[0].flags = KVM_MSR_FILTER_READ | KVM_MSR_FILTER_WRITE;
		f.ranges[0].nmsrs = 1;
		f.ranges[0].base = MSR_DEV;
		f.ranges[0].bitmap = bitmap;
		IOCTL_OK(vm->k.fd, KVM_X86_SET_MSR_FILTER, &f);
		vm->msr_how = "user-space MSR exit (MSR filter deny)";
	}
}

int vm_run(struct vm *vm)
{
	return ioctl(vm->k.vcpu, KVM_RUN, 0);
}

void vm_run_ok(struct vm *vm)
{
	if (vm_run(vm) < 0) die("KVM_RUN");
}

void vm_get_regs(struct vm *vm, struct kvm_regs *r)
{
	IOCTL_OK(vm->k.vcpu, KVM_GET_REGS, r);
}

void vm_set_regs(struct vm *vm, const struct kvm_regs *r)
{
	IOCTL_OK(vm->k.vcpu, KVM_SET_REGS, r);
}

/* A small fixed MSR list; KVM_GET_MSRS stops at the first MSR it cannot read,
 * so only the returned count is saved. */
static const uint32_t saved_msrs[] = {
	0x174, 0x175, 0x176,           /* SYSENTER_CS/ESP/EIP */
	0x277,                         /* PAT */
	0xc0000081, 0xc0000082, 0xc0000083, 0xc0000084, /* STAR LSTAR CSTAR SFMASK */
	0xc0000102,                    /* KERNEL_GS_BASE */
};

void vm_save(struct vm *vm, struct vcpu_state *st)
{
	int n, x2;

	memset(st, 0, sizeof(*st));
	/* The first state ioctl: a VMM saves registers first. */
	IOCTL_OK(vm->k.vcpu, KVM_GET_REGS, &st->regs);
	IOCTL_OK(vm->k.vcpu, KVM_GET_SREGS, &st->sregs);
	if (ioctl(vm->k.kvm, KVM_CHECK_EXTENSION, KVM_CAP_XSAVE) > 0) {
		x2 = ioctl(vm->k.kvm, KVM_CHECK_EXTENSION, KVM_CAP_XSAVE2);
		st->xsave_size = x2 > (int)sizeof(struct kvm_xsave) ? (size_t)x2 : sizeof(struct kvm_xsave);
		st->xsave = calloc(1, st->xsave_size);
		if (!st->xsave) die("calloc");
		st->have_xsave = 1;
		if (x2 > 0)
			IOCTL_OK(vm->k.vcpu, KVM_GET_XSAVE2, st->xsave);
		else
			IOCTL_OK(vm->k.vcpu, KVM_GET_XSAVE, st->xsave);
	} else {
		IOCTL_OK(vm->k.vcpu, KVM_GET_FPU, &st->fpu);
	}
	if (ioctl(vm->k.kvm, KVM_CHECK_EXTENSION, KVM_CAP_XCRS) > 0) {
		st->have_xcrs = 1;
		IOCTL_OK(vm->k.vcpu, KVM_GET_XCRS, &st->xcrs);
	}
	IOCTL_OK(vm->k.vcpu, KVM_GET_VCPU_EVENTS, &st->events);
	st->msrs.nmsrs = sizeof(saved_msrs) / sizeof(saved_msrs[0]);
	for (unsigned i = 0; i < st->msrs.nmsrs; i++)
		st->msrs.e[i].index = saved_msrs[i];
	n = ioctl(vm->k.vcpu, KVM_GET_MSRS, &st->msrs);
	if (n < 0) die("KVM_GET_MSRS");
	st->msrs.nmsrs = (uint32_t)n;
	IOCTL_OK(vm->k.vcpu, KVM_GET_MP_STATE, &st->mp);
	st->mem = malloc(MEM_SIZE);
	if (!st->mem) die("malloc");
	memcpy(st->mem, vm->k.mem, MEM_SIZE);
}

void vm_restore(struct vm *vm, const struct vcpu_state *st)
{
	int n;

	memcpy(vm->k.mem, st->mem, MEM_SIZE);
	IOCTL_OK(vm->k.vcpu, KVM_SET_SREGS, &st->sregs);
	n = ioctl(vm->k.vcpu, KVM_SET_MSRS, &st->msrs);
	if (n != (int)st->msrs.nmsrs) die("KVM_SET_MSRS (set %d of %u)", n, st->msrs.nmsrs);
	IOCTL_OK(vm->k.vcpu, KVM_SET_REGS, &st->regs);
	if (st->have_xsave)
		IOCTL_OK(vm->k.vcpu, KVM_SET_XSAVE, st->xsave);
	else
		IOCTL_OK(vm->k.vcpu, KVM_SET_FPU, &st->fpu);
	if (st->have_xcrs)
		IOCTL_OK(vm->k.vcpu, KVM_SET_XCRS, &st->xcrs);
	IOCTL_OK(vm->k.vcpu, KVM_SET_VCPU_EVENTS, &st->events);
	IOCTL_OK(vm->k.vcpu, KVM_SET_MP_STATE, &st->mp);
}

void state_free(struct vcpu_state *st)
{
	free(st->xsave);
	free(st->mem);
	st->xsave = NULL;
	st->mem = NULL;
}

const char *probe_kvm(int kvm)
{
	static const uint8_t hlt[] = { 0xf4 };
	struct kt_vm m;
	const char *why = NULL;

	if (ioctl(kvm, KVM_GET_API_VERSION, 0) != KVM_API_VERSION) return "KVM_GET_API_VERSION is not 12";
	if (kt_vm_create(&m, kvm, 0, MEM_SIZE, KT_TSS_TRY) < 0 || kt_load(&m, CODE_ADDR, hlt, sizeof(hlt)) < 0 ||
	    kt_x86_real(m.vcpu, CODE_ADDR, 0) < 0)
		why = kt_why;
	else if (kt_run(&m) < 0)
		why = "KVM_RUN of a one-HLT guest failed";
	else if (m.run->exit_reason != KVM_EXIT_HLT)
		why = "a one-HLT real-mode guest did not exit with KVM_EXIT_HLT";
	kt_vm_destroy(&m);
	return why;
}
