/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A tiny -bios image for QEMU (tests/qemu.test, check-kernels): 64 KiB of
 * 16-bit real-mode code at 0xF0000 that calls QEMU's VMware backdoor
 * (-machine vmport, on by default for pc: pc_superio_init creates the
 * vmport device unless vmport=off) the way guest tools probe for it:
 * `in eax, dx` at port 0x5658 with EAX = 0x564d5868 (the magic) and the
 * command in ECX. QEMU answers in vmport_ioport_read, which reads the
 * vCPU's registers (cpu_synchronize_state) while the IN is pending and
 * writes EBX/ECX besides the IN's own result:
 *   GETVERSION (10)  EAX = 6 (vmx-version), EBX = the magic
 *                    (vmport_cmd_get_version)
 *   GETRAMSIZE (20)  EAX = RAM size in bytes, EBX = 0x1177
 *                    (vmport_cmd_ram_size)
 *   no magic in EAX  the IN returns EAX unchanged
 * Each call prints "NAME eax=... ebx=... ecx=... edx=...\n" to isa-debugcon
 * (0x402); then the image writes 0x10 to isa-debug-exit (0x501): QEMU exits
 * with status 33. EBX starts at 0xffffffff, as guest tools set it. */
	.section .rodata
	.code16
	.globl qemu_vmport_start
	.globl qemu_vmport_end
	.p2align 4
qemu_vmport_start:
	cli
	cld
	xorw	%ax, %ax
	movw	%ax, %ss
	movw	$0x7000, %sp
	movw	%cs, %ax			/* strings: DS = CS = F000 */
	movw	%ax, %ds
	movw	$(s_ver - qemu_vmport_start), %si
	movl	$0x564d5868, %eax
	movw	$10, %bp
	call	backdoor
	movw	$(s_ram - qemu_vmport_start), %si
	movl	$0x564d5868, %eax
	movw	$20, %bp
	call	backdoor
	movw	$(s_nomagic - qemu_vmport_start), %si
	movl	$0x12345678, %eax
	movw	$10, %bp
	call	backdoor
	movw	$(s_ver - qemu_vmport_start), %si
	movl	$0x564d5868, %eax
	movw	$10, %bp
	call	backdoor
	movw	$0x501, %dx			/* isa-debug-exit: status (0x10 << 1) | 1 */
	movb	$0x10, %al
	outb	%al, %dx
1:	hlt
	jmp	1b

backdoor:		/* EAX: magic or not, BP: command, SI: the line's name */
	pushl	%eax
	call	puts
	popl	%eax
	movl	$0xffffffff, %ebx
	movzwl	%bp, %ecx
	movl	$0x5658, %edx
	inl	%dx, %eax
	pushl	%edx
	pushl	%ecx
	pushl	%ebx
	pushl	%eax
	movw	$(s_eax - qemu_vmport_start), %si
	call	puts
	popl	%eax
	call	puthex32
	movw	$(s_ebx - qemu_vmport_start), %si
	call	puts
	popl	%eax
	call	puthex32
	movw	$(s_ecx - qemu_vmport_start), %si
	call	puts
	popl	%eax
	call	puthex32
	movw	$(s_edx - qemu_vmport_start), %si
	call	puts
	popl	%eax
	call	puthex32
	movb	$'\n', %al
	call	putc
	ret

puts:						/* DS:SI, NUL-terminated */
	lodsb
	testb	%al, %al
	jz	2f
	call	putc
	jmp	puts
2:	ret

puthex32:					/* EAX as eight hex digits */
	movw	$4, %cx
3:	roll	$8, %eax
	pushl	%eax
	call	puthex
	popl	%eax
	loop	3b
	ret

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

s_ver:		.asciz	"GETVERSION"
s_ram:		.asciz	"GETRAMSIZE"
s_nomagic:	.asciz	"NOMAGIC"
s_eax:		.asciz	" eax="
s_ebx:		.asciz	" ebx="
s_ecx:		.asciz	" ecx="
s_edx:		.asciz	" edx="

	.org	qemu_vmport_start + 0xfff0	/* reset vector, F000:FFF0 */
	ljmpw	$0xf000, $0
	.org	qemu_vmport_start + 0x10000
qemu_vmport_end:
	.section .note.GNU-stack,"",@progbits
