/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* 16-bit real-mode guests, loaded at CODE_ADDR with CS base 0.  Each one
 * ends in HLT; the VMM reads the result from RAX/RDX or guest memory.
 * 0x99999999 in EAX before a read shows whether the read's result arrived. */
#include "vm.h"

	.section .rodata
	.code16

.macro GUEST name
	.globl guest_real_\name\()_start
	.globl guest_real_\name\()_end
guest_real_\name\()_start:
.endm
.macro ENDG name
1:	hlt
	jmp 1b
guest_real_\name\()_end:
.endm

GUEST in
	movl	$0x99999999, %eax
	inb	$PORT_RD, %al
	.globl guest_real_in_after
guest_real_in_after:		/* RIP once the IN is complete */
ENDG in

GUEST mmio_read
	movw	$(MMIO_RD_BASE >> 4), %ax
	movw	%ax, %ds
	movl	$0x99999999, %eax
	movl	0x0000, %eax
ENDG mmio_read

GUEST rdmsr
	movl	$MSR_DEV, %ecx
	movl	$0x99999999, %eax
	movl	$0x88888888, %edx
	rdmsr
ENDG rdmsr

GUEST out
	movb	$0x5A, %al
	outb	%al, $PORT_WR
ENDG out

/* QEMU's kvmvapic port: KVM_X86_QUIRK_OUT_7E_INC_RIP */
GUEST out7e
	movb	$0x7E, %al
	outb	%al, $PORT_7E
	movb	$0x5A, %al
	outb	%al, $PORT_WR
ENDG out7e

GUEST mmio_write
	movw	$(MMIO_RD_BASE >> 4), %ax
	movw	%ax, %ds
	movl	$0xCAFEBABE, (MMIO_WR_BASE - MMIO_RD_BASE)
ENDG mmio_write

GUEST insb
	xorw	%ax, %ax
	movw	%ax, %es
	movw	$BUF_ADDR, %di
	movw	$10, %cx
	movw	$PORT_RD, %dx
	cld
	rep insb
ENDG insb

/* 4 bytes at page offset 0xffe: 2 bytes in each of two MMIO pages. */
GUEST split_read
	movw	$(MMIO_RD_BASE >> 4), %ax
	movw	%ax, %ds
	movl	$0x99999999, %eax
	movl	0x0ffe, %eax
ENDG split_read

GUEST split_write
	movw	$(MMIO_RD_BASE >> 4), %ax
	movw	%ax, %ds
	movl	$0x44332211, (MMIO_WR_BASE - MMIO_RD_BASE + 0x0ffe)
ENDG split_write

/* IN, MMIO read, RDMSR, then two HLTs (the VMM sets bit 15 itself before
 * the run that ends at the second one). */
GUEST flags
	movw	$(MMIO_RD_BASE >> 4), %ax
	movw	%ax, %ds
	inb	$PORT_RD, %al
	movl	0x0000, %ebx
	movl	$MSR_DEV, %ecx
	rdmsr
	hlt
ENDG flags

	.section .note.GNU-stack,"",@progbits
