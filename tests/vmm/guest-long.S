/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* 64-bit long-mode guests, loaded at CODE_ADDR, identity-mapped 2 MiB pages.
 * Same programs as guest-real.S; the VMM reads results from RAX/RDX or memory. */
#include "vm.h"

	.section .rodata
	.code64

.macro GUEST name
	.globl guest_long_\name\()_start
	.globl guest_long_\name\()_end
guest_long_\name\()_start:
.endm
.macro ENDG name
1:	hlt
	jmp 1b
guest_long_\name\()_end:
.endm

GUEST in
	movl	$0x99999999, %eax
	inb	$PORT_RD, %al
	.globl guest_long_in_after
guest_long_in_after:		/* RIP once the IN is complete */
ENDG in

GUEST mmio_read
	movl	$0x99999999, %eax
	movl	MMIO_RD_BASE, %eax
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
	movl	$0xCAFEBABE, MMIO_WR_BASE
ENDG mmio_write

GUEST insb
	movl	$BUF_ADDR, %edi
	movl	$10, %ecx
	movl	$PORT_RD, %edx
	cld
	rep insb
ENDG insb

GUEST split_read
	movl	$0x99999999, %eax
	movl	(MMIO_RD_BASE + 0x0ffe), %eax
ENDG split_read

GUEST split_write
	movl	$0x44332211, (MMIO_WR_BASE + 0x0ffe)
ENDG split_write

GUEST flags
	inb	$PORT_RD, %al
	movl	MMIO_RD_BASE, %ebx
	movl	$MSR_DEV, %ecx
	rdmsr
	hlt
ENDG flags

	.section .note.GNU-stack,"",@progbits
