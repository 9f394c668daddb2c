/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A tiny -bios image for QEMU (tests/qemu.test): 64 KiB of 16-bit real-mode
 * code mapped at 0xF0000, entered at the reset vector F000:FFF0.
 *
 * It loops QEMU_GUEST_LINES times over port I/O that QEMU answers and whose
 * device state migrates: it selects fw_cfg's signature (16-bit OUT to
 * 0x510), reads its four bytes from 0x511 (each IN advances fw_cfg's offset,
 * so a read performed twice or lost across a snapshot changes the text),
 * reads the isa-debugcon port 0x402 back (0xe9), and prints
 * "QEMU e9 NNNN\n" (NNNN the line number in hex) to isa-debugcon. Then it
 * writes 0x10 to isa-debug-exit (0x501): QEMU exits with status 33. */
#define QEMU_GUEST_LINES 0x4000

	.section .rodata
	.code16
	.globl qemu_guest_start
	.globl qemu_guest_end
	.p2align 4
qemu_guest_start:
	cli
	xorw	%ax, %ax
	movw	%ax, %ss
	movw	$0x7000, %sp
	xorw	%di, %di			/* line number */
line:
	movw	$0x510, %dx			/* fw_cfg selector: FW_CFG_SIGNATURE */
	xorw	%ax, %ax
	outw	%ax, %dx
	movw	$4, %cx
sig:
	movw	$0x511, %dx			/* fw_cfg data: next byte */
	inb	%dx, %al
	call	putc
	loop	sig
	movb	$' ', %al
	call	putc
	movw	$0x402, %dx			/* debugcon read-back: 0xe9 */
	inb	%dx, %al
	call	puthex
	movb	$' ', %al
	call	putc
	movw	%di, %ax
	xchgb	%ah, %al
	call	puthex
	movw	%di, %ax
	call	puthex
	movb	$'\n', %al
	call	putc
	incw	%di
	cmpw	$QEMU_GUEST_LINES, %di
	jne	line
	movw	$0x501, %dx			/* isa-debug-exit: status (0x10 << 1) | 1 */
	movb	$0x10, %al
	outb	%al, %dx
1:	hlt
	jmp	1b

putc:						/* AL to isa-debugcon */
	pushw	%dx
	movw	$0x402, %dx
	outb	%al, %dx
	popw	%dx
	ret

puthex:						/* AL as two hex digits */
	pushw	%ax
	shrb	$4, %al
	call	nibble
	popw	%ax
	andb	$0xf, %al
nibble:
	addb	$'0', %al
	cmpb	$'9', %al
	jbe	putc
	addb	$('a' - '0' - 10), %al
	jmp	putc

	.org	qemu_guest_start + 0xfff0	/* reset vector, F000:FFF0 */
	ljmpw	$0xf000, $0
	.org	qemu_guest_start + 0x10000
qemu_guest_end:
	.section .note.GNU-stack,"",@progbits
