/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* arm64 guest programs for tests/kernels/kc-vmm.c, copied into
 * guest RAM at GPA 0 and entered at EL1 with the MMU off (the state
 * KVM_ARM_VCPU_INIT leaves: arch/arm64/kvm/reset.c kvm_reset_vcpu). Data
 * accesses with the MMU off are Device-nGnRnE; a single-register LDR/STR to
 * an address without a memory slot is a stage-2 abort with a valid
 * syndrome (ISV), which arch/arm64/kvm/mmio.c io_mem_abort turns into
 * KVM_EXIT_MMIO. Each program ends with PSCI SYSTEM_OFF over HVC
 * (arch/arm64/kvm/psci.c: KVM_EXIT_SYSTEM_EVENT, no completion owed). */
#define DEV        0x100000   /* no memory slot: MMIO */
#define DEV_DATA   0x0        /* read: the device counts reads */
#define DEV_STORE  0x4        /* write: the device counts writes */
#define DEV_REPORT 0x8        /* write: the value the guest saw */

	.section .rodata
	.balign 4
	.globl guest_start, guest_end
	.globl guest_read, guest_write
guest_start:

/* One MMIO load, then report what it loaded. */
guest_read:
	movz	x0, #(DEV >> 16), lsl #16
	movz	w1, #0xdead
	ldr	w1, [x0, #DEV_DATA]
	str	w1, [x0, #DEV_REPORT]
	b	off

/* One MMIO store of 0x5a. */
guest_write:
	movz	x0, #(DEV >> 16), lsl #16
	movz	w3, #0x5a
	str	w3, [x0, #DEV_STORE]
	b	off

off:
	movz	w0, #0x0008
	movk	w0, #0x8400, lsl #16    /* PSCI_0_2_FN_SYSTEM_OFF */
	hvc	#0
	b	off

guest_end:
