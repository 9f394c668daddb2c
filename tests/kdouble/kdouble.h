/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Internals of the kernel double: personalities, objects, per-arch hooks. */
#ifndef KDOUBLE_H
#define KDOUBLE_H

#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/kvm.h>

#include "abi.h"

#define KD_VER(maj, min) ((maj) * 100 + (min))

struct kd_pers {
	const char *name;
	enum kd_arch arch;
	int ver;                  /* KD_VER(major, minor) of the kernel modelled */
	const char *machine;      /* uname -m */
	unsigned immediate_exit : 1; /* KVM_CAP_IMMEDIATE_EXIT, 4.11+ */
	unsigned native_flag : 1; /* the upstream NEEDS_COMPLETION series applied */
	unsigned flag_wrong : 1;  /* ...with bit 15 wrongly left clear on
				   * KVM_EXIT_X86_RDMSR (tests/sanitizer.test) */
};
extern const struct kd_pers *kd_p;

struct kd_slot { uint64_t gpa, size; uint8_t *hva; };

struct kd_vm {
	int id;
	struct kd_slot slot[8];
	int nslot;
	int nvcpu;
	/* x86: KVM_CAP_X86_USER_SPACE_MSR args[0] and KVM_X86_SET_MSR_FILTER */
	uint32_t msr_exit_reasons;
	int filter_set;
	uint32_t filter_flags;
	struct { uint32_t flags, nmsrs, base; uint8_t bitmap[64]; } range[4];
	int nrange;
	int dead;        /* KDOUBLE_FAULT run:EIO: kvm->vm_dead (kvm_vm_dead) */
	uint64_t disabled_quirks; /* x86 kvm->arch.disabled_quirks */
};

/* x86 vCPU: architectural state as stored by the SET ioctls, and the
 * kernel's private pending work (vcpu->arch.complete_userspace_io plus the
 * emulator context it resumes). */
#if KD_HOST_X86
enum kd_cui { CUI_NONE, CUI_FAST_PIO_IN, CUI_FAST_PIO_OUT, CUI_EMU_PIO_IN, CUI_EMU_MMIO,
	      CUI_RDMSR, CUI_FAST_PIO_OUT_7E };
struct kd_x86 {
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	struct kvm_fpu fpu;
	uint8_t xsave[4096];
	struct kvm_xcrs xcrs;
	struct kvm_vcpu_events events;
	struct kvm_mp_state mp;
	struct kvm_debugregs dbg;
	struct { uint32_t index; uint64_t data; } msr[32];
	int nmsr;
	enum kd_cui cui;
	uint64_t pio_linear_rip;
	unsigned insn_len, dst, opsize;
	int is_write;
	struct { uint64_t gpa; unsigned off, len; uint8_t data[8]; } frag[2];
	unsigned nfrag, cur;
	uint8_t val[8];
	int regs_dirty;   /* emulate_regs_need_sync_from_vcpu after SET_REGS */
	int gp_pending;
};
#endif

/* Non-x86 vCPU of the scripted guest: GPRs, PC and each kernel's own
 * pending-state fields (named after the kernel's). */
struct kd_gen {
	uint64_t gpr[32], pc;
	int initialized;          /* arm64: KVM_ARM_VCPU_INIT done */
	int mmio_needed, mmio_is_write;
	unsigned rt;              /* register a pending read completes into */
	uint64_t io_pc;           /* mips vcpu->arch.io_pc */
	int osi_needed, hcall_needed;
	int vsx_copy_nums, vsx_offset;
	uint64_t vsx_addr;
	int return_handled;       /* riscv mmio_decode.return_handled */
	int have_exit;            /* an exit of this vCPU exists to complete */
};

#define KD_MAXCOMP 16
struct kd_vcpu {
	int id, vm_id, vcpu_id;
	struct kd_vm *vm;
	pthread_mutex_t lock;     /* vcpu->mutex: one ioctl at a time */
	struct kvm_run *run;
	size_t run_size;
	int sigset_active;
	sigset_t sigset;
	/* accounting: every exit has a number; completions are counted per exit */
	uint64_t exit_seq;
	unsigned seq_count;       /* completions of exit exit_seq */
	unsigned exits;
	struct { const char *what; unsigned n; } comp[KD_MAXCOMP];
	unsigned doubles;
	unsigned ignored_ie;       /* guest runs under an ignored immediate_exit */
#if KD_HOST_X86
	struct kd_x86 x86;
#endif
	struct kd_gen g;
};

/* Hooks of an architecture. complete() runs the pending completion the way
 * that kernel does at the top of KVM_RUN; it returns 1 to go on, or the
 * value KVM_RUN returns with a NEW exit (0, or ppc's RESUME_HOST). */
struct kd_arch_ops {
	void (*vcpu_init)(struct kd_vcpu *v);
	int (*complete)(struct kd_vcpu *v);
	void (*run_guest)(struct kd_vcpu *v);
	/* state ioctls; returns -1 with errno, or >= 0 */
	int (*vcpu_ioctl)(struct kd_vcpu *v, unsigned int req, void *arg);
	/* whether anything is pending (for the native flag) */
	int (*pending)(struct kd_vcpu *v);
};
extern const struct kd_arch_ops kd_x86_ops, kd_gen_ops;

/* A new exit has been written to v->run. */
void kd_new_exit(struct kd_vcpu *v);
/* A completion of the current exit ran (counted; a second one is flagged). */
void kd_completed(struct kd_vcpu *v, const char *what);
uint8_t *kd_gpa(struct kd_vm *vm, uint64_t gpa, uint64_t len);
void kd_internal_error(struct kd_vcpu *v, const char *why);

#endif
