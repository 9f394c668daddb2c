/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* legacy-vmm, answer-aware completion scenarios (each compared with
 * native: the control runs the same steps without the library and must
 * see the same):
 *   ucall_in  the kernel selftests' ucall: at an IN the VMM never answers it
 *         reads REGS, SREGS and VCPU_EVENTS, then re-enters KVM_RUN.  The
 *         reads see the IN still pending (RAX unchanged), exit_reason stays
 *         IO, the library completes nothing, and the guest receives what it
 *         receives natively: 0, the kernel clears an IN's data before the
 *         exit (x86.c emulator_pio_in_out), though the VMM wrote 0x5c into
 *         the I/O page before the first KVM_RUN.
 *   insb_edit  userspace_io_test: at a pending `rep insb` x10 the VMM reads
 *         the registers, writes the answer, sets RCX to 4 and re-enters: the
 *         kernel finishes the string with the edited count (4 bytes stored,
 *         the other 6 untouched; emulator_pio_in_emulated), nothing completed
 *         by the library.
 *   out7e  OUT to port 0x7e (kvmvapic): the kernel advanced RIP before the
 *         exit (KVM_X86_QUIRK_OUT_7E_INC_RIP): bit 15 clear, a GET_REGS at
 *         the exit completes nothing, save/restore repeats nothing.
 *   out7e_noquirk  the same after KVM_ENABLE_CAP(KVM_CAP_DISABLE_QUIRKS,
 *         OUT_7E_INC_RIP): the OUT is owed (complete_fast_pio_out), bit 15
 *         set, the save completes it (natively the restored VM repeats it). */
#define _GNU_SOURCE
#include "legacy-vmm.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define PIO_PAGE 4096 /* x86 KVM_PIO_PAGE_OFFSET * PAGE_SIZE: io.data_offset */

void sc_ucall_in(void)
{
	struct vm vm;
	struct kvm_regs r, fin;
	struct kvm_sregs s;
	struct kvm_vcpu_events ev;
	unsigned reason, f15;
	uint32_t want = 0x99999900u;

	new_vm(&vm, "in");
	if (vm.k.run_size < PIO_PAGE + 1) die("kvm_run mapping has no I/O page");
	/* Natively an IN nobody answers reads 0: the kernel clears the I/O data
	 * at the exit, whatever the page held before. */
	((volatile uint8_t *)vm.k.run)[PIO_PAGE] = 0x5c;
	run_expect(&vm, KVM_EXIT_IO, "IN");
	if (vm.k.run->io.data_offset != PIO_PAGE) die("io.data_offset=%llu", (unsigned long long)vm.k.run->io.data_offset);
	/* the ucall: registers, segments, events; the IN is never answered */
	vm_get_regs(&vm, &r);
	if (ioctl(vm.k.vcpu, KVM_GET_SREGS, &s) < 0) die("KVM_GET_SREGS");
	if (ioctl(vm.k.vcpu, KVM_GET_VCPU_EVENTS, &ev) < 0) die("KVM_GET_VCPU_EVENTS");
	reason = vm.k.run->exit_reason;
	f15 = flag15(&vm);
	check_completions(vm.k.vcpu, 0, "at the ucall reads");
	run_to_hlt(&vm);
	vm_get_regs(&vm, &fin);
	if (g_expect == EXP_DEMO) {
		verdict("registers read at an unanswered IN: %s; guest got 0x%02x",
			(uint32_t)r.rax == 0x99999999u ? "left pending (native)" : "COMPLETED early",
			(unsigned)(fin.rax & 0xff));
	} else {
		check((uint32_t)r.rax == 0x99999999u, "RAX read at the unanswered IN=0x%08x expected 0x99999999 (the IN still pending)",
		      (unsigned)r.rax);
		check(reason == KVM_EXIT_IO, "exit_reason after the reads=%u expected %u (IO, as the kernel left it)",
		      reason, KVM_EXIT_IO);
		check(f15 == (g_expect == EXP_FIXED ? 1u : (uint32_t)g_native),
		      "bit 15 after the reads=%u expected %u (still owed)", f15,
		      g_expect == EXP_FIXED ? 1u : (unsigned)g_native);
		check((uint32_t)fin.rax == want && g_dev.port_reads == 0,
		      "guest EAX=0x%08x device reads=%u expected 0x%08x (AL 0: the kernel's cleared I/O data, as natively) and 0",
		      (unsigned)fin.rax, g_dev.port_reads, want);
	}
	vm_destroy(&vm);
}

void sc_insb_edit(void)
{
	struct vm vm;
	struct kvm_regs r, fin;
	unsigned count, cx_seen;
	char got[32];
	int mem_ok = 1;

	new_vm(&vm, "insb");
	run_expect(&vm, KVM_EXIT_IO, "rep insb");
	count = vm.k.run->io.count;
	if (vm.k.run->io.direction != KVM_EXIT_IO_IN || count != 10)
		die("rep insb exit: direction %u count %u", vm.k.run->io.direction, count);
	vm_get_regs(&vm, &r);                 /* before the answer */
	cx_seen = (unsigned)(r.rcx & 0xffff);
	dev_handle(&g_dev, vm.k.run);           /* the answer: 10 bytes */
	r.rcx = (r.rcx & ~0xffffull) | 4;     /* steer how the kernel finishes */
	vm_set_regs(&vm, &r);
	run_to_hlt(&vm);
	vm_get_regs(&vm, &fin);
	for (unsigned i = 0; i < 10; i++) {
		snprintf(got + 2 * i, sizeof(got) - 2 * i, "%02x", vm.k.mem[BUF_ADDR + i]);
		if (vm.k.mem[BUF_ADDR + i] != (i < 4 ? port_value(i + 1) : 0)) mem_ok = 0;
	}
	if (g_expect == EXP_DEMO) {
		verdict("rep insb with RCX edited mid-exit stored %s", got);
	} else {
		check(cx_seen == 10, "RCX read at the unanswered rep insb=%u expected 10 (still pending)", cx_seen);
		check(mem_ok && (fin.rcx & 0xffff) == 0,
		      "guest buffer=%s RCX=%llu expected 41424344000000000000 and 0 (4 of the answered bytes, as natively)",
		      got, (unsigned long long)(fin.rcx & 0xffff));
		check_completions(vm.k.vcpu, 0, "for the whole string");
	}
	vm_destroy(&vm);
}

void sc_out7e(int noquirk)
{
	struct vm vm;
	struct kvm_regs r;
	unsigned f15;
	long comps;
	int owed = noquirk;

	new_vm(&vm, "out7e");
	if (noquirk) {
		struct kvm_enable_cap cap;
		memset(&cap, 0, sizeof(cap));
		cap.cap = KVM_CAP_DISABLE_QUIRKS;
		cap.args[0] = 1u << 3; /* KVM_X86_QUIRK_OUT_7E_INC_RIP */
		if (ioctl(vm.k.fd, KVM_ENABLE_CAP, &cap) < 0)
			skip("KVM_ENABLE_CAP(KVM_CAP_DISABLE_QUIRKS) refused");
	}
	run_expect(&vm, KVM_EXIT_IO, "OUT to port 0x7e");
	if (vm.k.run->io.port != PORT_7E || vm.k.run->io.direction != KVM_EXIT_IO_OUT)
		die("expected an OUT to port 0x7e, got port 0x%x", vm.k.run->io.port);
	f15 = flag15(&vm);
	dev_handle(&g_dev, vm.k.run);
	vm_get_regs(&vm, &r);   /* kvmvapic: cpu_synchronize_state in the handler */
	comps = shim_completions(vm.k.vcpu);
	save_restore(&vm);
	run_to_hlt(&vm);
	if (g_expect == EXP_DEMO) {
		verdict("OUT 0x7e%s: bit 15=%u, port 0x7e writes=%u", noquirk ? " (quirk disabled)" : "",
			f15, g_dev.port7e_writes);
	} else if (g_expect == EXP_FIXED) {
		check(f15 == (unsigned)owed, "bit 15 at the OUT to 0x7e=%u expected %d%s", f15, owed,
		      owed ? " (quirk disabled: complete_fast_pio_out owes RIP)" : " (RIP advanced before the exit)");
		check(comps == owed, "library completions at the GET_REGS=%ld expected %d", comps, owed);
		check(g_dev.port7e_writes == 1 && g_dev.port_writes == 1,
		      "port 0x7e writes=%u port 0xE1 writes=%u expected 1 and 1", g_dev.port7e_writes,
		      g_dev.port_writes);
	} else {
		check(f15 == (unsigned)g_native || !owed, "bit 15 at the OUT to 0x7e=%u (no shim)", f15);
		if (g_expect == EXP_CONTROL_BUG) {
			if (g_dev.port7e_writes == 1)
				fail("CONTROL DID NOT REPRODUCE: port 0x7e writes=1: the OUT was not repeated; update the expectations");
			else
				check(g_dev.port7e_writes == 2, "port 0x7e writes=%u expected 2 (repeated by save/restore, bug reproduced)",
				      g_dev.port7e_writes);
		} else if (g_expect == EXP_CLEAN) {
			check(g_dev.port7e_writes == 1 && g_dev.port_writes == 1,
			      "port 0x7e writes=%u port 0xE1 writes=%u expected 1 and 1 (nothing owed natively)",
			      g_dev.port7e_writes, g_dev.port_writes);
		} else {
			/* an emulated OUT owes nothing, a fast one repeats */
			say("port 0x7e writes=%u: OK (information)", g_dev.port7e_writes);
		}
	}
	vm_destroy(&vm);
}

