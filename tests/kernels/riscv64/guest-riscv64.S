/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* riscv64 guest programs for tests/kernels/kc-vmm.c, copied into guest RAM
 * at GPA 0 and entered in VS mode with paging off (a new vCPU: satp 0). A
 * load or store to an address without a memory slot is a guest page fault
 * that arch/riscv/kvm/vcpu_exit.c gstage_page_fault decodes
 * (vcpu_insn.c kvm_riscv_vcpu_mmio_load/store) into KVM_EXIT_MMIO. An ecall
 * of the experimental SBI range is forwarded to user space
 * (vcpu_sbi.c kvm_riscv_vcpu_sbi_forward: KVM_EXIT_RISCV_SBI). Each program
 * ends with SBI SRST shutdown (vcpu_sbi_system.c / vcpu_sbi_replace.c:
 * KVM_EXIT_SYSTEM_EVENT, no completion owed). Uncompressed instructions. */
#define DEV        0x100000   /* no memory slot: MMIO */
#define DEV_DATA   0x0        /* read: the device counts reads */
#define DEV_STORE  0x4        /* write: the device counts writes */
#define DEV_REPORT 0x8        /* write: the value the guest saw */

	.option norvc
	.section .rodata
	.balign 4
	.globl guest_start, guest_end
	.globl guest_read, guest_write, guest_sbi
guest_start:

/* One MMIO load, then report what it loaded. */
guest_read:
	lui	t0, (DEV >> 12)
	li	a1, 0xdead
	lw	a1, DEV_DATA(t0)
	sw	a1, DEV_REPORT(t0)
	j	off

/* One MMIO store of 0x5a. */
guest_write:
	lui	t0, (DEV >> 12)
	li	a3, 0x5a
	sw	a3, DEV_STORE(t0)
	j	off

/* One forwarded SBI call; report the a1 it returned. */
guest_sbi:
	li	a7, 0x08000000          /* SBI_EXT_EXPERIMENTAL_START */
	li	a6, 1
	li	a0, 0x11
	li	a1, 0xdead
	ecall
	lui	t0, (DEV >> 12)
	sw	a1, DEV_REPORT(t0)
	j	off

off:
	li	a7, 0x53525354          /* SBI_EXT_SRST */
	li	a6, 0                   /* SBI_EXT_SRST_RESET */
	li	a0, 0                   /* shutdown */
	li	a1, 0
	ecall
	j	off

guest_end:
