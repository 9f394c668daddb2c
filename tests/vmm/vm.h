/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The legacy VMM's VM: the guest layout, one VM in real or long mode on
 * the shared set-up (tests/common/vm.h), and the full vCPU save/restore
 * into a new VM.  It knows nothing about libkvmcompl. */
#ifndef LEGACY_VMM_VM_H
#define LEGACY_VMM_VM_H


#define MEM_SIZE      0x80000   /* 512 KiB of RAM at GPA 0 */
#define CODE_ADDR     0x1000    /* guest code is loaded here, RIP starts here */
#define BUF_ADDR      0x3000    /* rep insb destination */
#define STACK_TOP     0x8000
#define PML4_ADDR     0x10000   /* long mode page tables (PML4, PDPT, PD) */

/* MMIO (no memory slot there; identity mapped in long mode, reachable with
 * DS=0xA000 in real mode). */
#define MMIO_RD_BASE  0xA0000   /* read-counting device, two pages */
#define MMIO_RD_END   0xA2000
#define MMIO_WR_BASE  0xA4000   /* write-recording device, two pages */
#define MMIO_WR_END   0xA6000

#define PORT_RD       0xE0       /* read-counting port */
#define PORT_WR       0xE1       /* write-recording port */
#define PORT_7E       0x7E       /* QEMU's kvmvapic port (OUT_7E quirk) */
#define MSR_DEV       0x00000ABC /* MSR routed to user space */

#ifndef __ASSEMBLER__
#include <stddef.h>
#include <stdint.h>
#include <linux/kvm.h>

#include "../common/tap.h"
#include "../common/vm.h"

#define KVM_RUN_NEEDS_COMPLETION_BIT KT_FLAG_NEEDS_COMPLETION
#define CAP_NEEDS_COMPLETION KT_CAP_NEEDS_COMPLETION

enum vm_mode { MODE_REAL, MODE_LONG };

/* One VM with its RAM at GPA 0 and vCPU 0 (tests/common/vm.h), and what the
 * legacy VMM adds: the mode and how MSR_DEV reaches user space. */
struct vm {
	struct kt_vm k;
	enum vm_mode mode;
	const char *msr_how;   /* NULL: not set up */
};

#define MAX_SAVED_MSRS 16
struct vcpu_state {
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	int have_xsave;
	size_t xsave_size;
	struct kvm_xsave *xsave;     /* malloc'd, xsave_size bytes */
	struct kvm_fpu fpu;
	int have_xcrs;
	struct kvm_xcrs xcrs;
	struct kvm_vcpu_events events;
	struct {   /* same layout as struct kvm_msrs with its entries */
		uint32_t nmsrs;
		uint32_t pad;
		struct kvm_msr_entry e[MAX_SAVED_MSRS];
	} msrs;
	struct kvm_mp_state mp;
	uint8_t *mem;                /* malloc'd copy of guest RAM */
};

const char *probe_kvm(int kvm);           /* NULL when a trivial guest runs, else why not */

void vm_create(struct vm *vm, int kvm, enum vm_mode mode);
void vm_load(struct vm *vm, const uint8_t *code, size_t len); /* copy code, set up mode */
void vm_setup_msr(struct vm *vm);         /* route MSR_DEV to user space */
void vm_destroy(struct vm *vm);
int vm_run(struct vm *vm);                /* raw KVM_RUN result (errno kept) */
void vm_run_ok(struct vm *vm);            /* KVM_RUN that must return 0 */
void vm_get_regs(struct vm *vm, struct kvm_regs *r);
void vm_set_regs(struct vm *vm, const struct kvm_regs *r);

void vm_save(struct vm *vm, struct vcpu_state *st);
void vm_restore(struct vm *vm, const struct vcpu_state *st); /* vm: freshly created */
void state_free(struct vcpu_state *st);

#endif /* __ASSEMBLER__ */

#endif
