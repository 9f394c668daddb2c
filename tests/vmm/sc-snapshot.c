/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* legacy-vmm, save/restore scenarios: the VMM answers an exit in kvm_run
 * and saves the vCPU without re-entering KVM_RUN (vm_save), restores it
 * into a new VM and runs to HLT; and the same-VM ones (getset, split).
 * See legacy-vmm.c for the list and tests/vmm/scenarios.c for the
 * registry.
 *   in, mmio_read, rdmsr  the guest's read is still owed at the exit (x86.c
 *         complete_emulated_pio / complete_fast_pio_in, complete_emulated_mmio,
 *         complete_emulated_rdmsr write RAX and advance RIP only on the next
 *         KVM_RUN), so the new VM re-executes it: 2 reads, second value.
 *   insb  rep insb x10: complete_emulated_pio copies the chunk into memory
 *         later; the new VM repeats the whole string: 20 reads.
 *   out, mmio_write  RIP is already past the instruction at the exit on this
 *         backend (emulated OUT/MMIO write), so no duplicate; SVM fast PIO
 *         (complete_fast_pio_out) would duplicate.  The control never fails.
 *   getset_in, getset_mmio  GET_REGS+SET_REGS of identical values while the
 *         read is pending: __set_regs sets emulate_regs_need_sync_from_vcpu,
 *         the NO_DECODE re-emulation (x86_emulate_instruction) then drops the
 *         emulator's register cache and the result is lost (control).  A
 *         fast-PIO IN (SVM/VMX complete_fast_pio_in) keeps it: getset_in's
 *         control is expected to report "did not reproduce" there.
 *   split_read, split_write  4-byte MMIO straddling two pages: the completion
 *         of the first half yields a NEW exit (complete_emulated_mmio), which
 *         the shim must hand to the next KVM_RUN with bit 15 set.
 *   in_qemu_like, mmio_read_qemu_like, rdmsr_qemu_like  a VMM that completes
 *         correctly, as QEMU does: after answering the exit it re-enters
 *         KVM_RUN with immediate_exit=1 (EINTR, the kernel finishes the
 *         instruction), and only then saves.  Correct with and without the
 *         library (control-clean); nothing is pending at the save, so
 *         KVMCOMPL_MODE=report|strict must report nothing
 *         (tests/sanitizer.test).
 *   read_then_save_in, read_then_save_mmio  QEMU's vmport pattern followed by
 *         a legacy save: GET_REGS at the unanswered read (passes, RAX still
 *         0x99999999), then the answer, then save/restore into a new VM:
 *         the save must see the read finished (1 device read, the value).
 *   in_repeat  three `in` rounds, each on a fresh VM and fresh devices: two
 *         saved at the pending IN (vm_save), then one GET_REGS+SET_REGS at
 *         the pending IN (vm_get_regs): two buggy call sites, the first
 *         reached twice (tests/sanitizer.test).
 *   inherited  `in` on a VM and vCPU created with the raw system call, as
 *         fds inherited across exec or passed over a socket would be. */
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

/* ---- save/restore of a read: in, mmio_read, rdmsr, insb, complete_off,
 * explicit_api ---- */

static unsigned rd_count(enum rd_kind k)
{
	return k == RD_MMIO ? g_dev.mmio_reads : k == RD_MSR ? g_dev.msr_reads : g_dev.port_reads;
}

/* Value the guest sees when it got the device's reads number first..first+n-1. */
static void rd_expected(enum rd_kind k, unsigned first, char *buf, size_t len)
{
	switch (k) {
	case RD_IN: snprintf(buf, len, "0x%02x", port_value(first)); break;
	case RD_MMIO: snprintf(buf, len, "0x%08x", port_value(first)); break;
	case RD_MSR: snprintf(buf, len, "0x%016llx", (unsigned long long)msr_value(first)); break;
	case RD_INSB:
		for (unsigned i = 0; i < 10 && 2 * i + 3 <= len; i++)
			snprintf(buf + 2 * i, len - 2 * i, "%02x", port_value(first + i));
		break;
	}
}

static void rd_observed(enum rd_kind k, struct vm *vm, char *buf, size_t len)
{
	struct kvm_regs r;
	vm_get_regs(vm, &r);
	switch (k) {
	case RD_IN: snprintf(buf, len, "0x%02x", (unsigned)(r.rax & 0xff)); break;
	case RD_MMIO: snprintf(buf, len, "0x%08x", (unsigned)r.rax); break;
	case RD_MSR:
		snprintf(buf, len, "0x%016llx",
			 (unsigned long long)(((r.rdx & 0xffffffffull) << 32) | (r.rax & 0xffffffffull)));
		break;
	case RD_INSB:
		for (unsigned i = 0; i < 10 && 2 * i + 3 <= len; i++)
			snprintf(buf + 2 * i, len - 2 * i, "%02x", vm->k.mem[BUF_ADDR + i]);
		break;
	}
}


/* QEMU's kvm_cpu_exec: before a vCPU's state is read (cpu_synchronize_state,
 * migration, reset) the vCPU thread has re-entered KVM_RUN, with
 * immediate_exit set when it must return at once: the kernel runs the
 * pending completion, then returns EINTR without entering the guest. */
static void qemu_like_complete(struct vm *vm)
{
	int ret, e;

	if (ioctl(g_kvm, KVM_CHECK_EXTENSION, KVM_CAP_IMMEDIATE_EXIT) <= 0)
		skip("this kernel has no KVM_CAP_IMMEDIATE_EXIT (4.11+): the QEMU-like VMM needs it");
	vm->k.run->immediate_exit = 1;
	errno = 0;
	ret = vm_run(vm);
	e = errno;
	vm->k.run->immediate_exit = 0;
	if (!(ret == -1 && e == EINTR))
		die("KVM_RUN with immediate_exit=1 returned %d (%s), expected -1 EINTR", ret,
		    ret < 0 ? tap_errname(e) : kt_exit_name(vm->k.run->exit_reason));
	say("re-entered KVM_RUN with immediate_exit=1 before the save: EINTR");
}

static void save_restore_variant(struct vm *vm, enum sr_variant v)
{
	if (v == SR_QEMU_LIKE)
		qemu_like_complete(vm);

	if (v == SR_OTHER_THREAD) {
		save_restore_other_thread(vm);
		return;
	}
	if (v == SR_RACE)
		get_regs_race(vm);
	save_restore(vm);
}

void sc_read_save_restore(const char *name, enum rd_kind k, enum sr_variant v)
{
	static const char *guest_of[] = { "in", "mmio_read", "rdmsr", "insb" };
	static const char *dev_of[] = { "port", "mmio", "msr", "port" };
	unsigned n = k == RD_INSB ? 10 : 1;
	struct vm vm;
	uint32_t f15;
	char obs[64], first[64], second[64];
	complete_fn api = NULL;

	if (v == SR_EXPLICIT) {
		api = find_complete();
		if (!api) {
			if (g_expect == EXP_FIXED) {
				fail("kvmcompl_complete not found by dlsym(RTLD_DEFAULT): expected the shim's API, observed none");
			} else {
				say("kvmcompl_complete not found (no shim): API part skipped");
				verdict("no shim loaded: explicit completion API not available (nothing to test)");
			}
			return;
		}
		say("kvmcompl_complete found (shim %s)", shim_version() ? shim_version() : "?");
	}

	new_vm(&vm, guest_of[k]);
	if (k == RD_MSR && !vm.msr_how) skip("this kernel has no user-space MSR exits (KVM_CAP_X86_USER_SPACE_MSR, 5.10+)");
	if (k == RD_MSR) say("MSR 0x%x routed by %s", MSR_DEV, vm.msr_how);
	switch (k) {
	case RD_IN:
	case RD_INSB:
		run_expect(&vm, KVM_EXIT_IO, "IN from the read-counting port");
		if (vm.k.run->io.direction != KVM_EXIT_IO_IN || vm.k.run->io.port != PORT_RD)
			die("IO exit is not an IN from port 0x%x", PORT_RD);
		if (k == RD_INSB)
			say("rep insb exit: size=%u count=%u", vm.k.run->io.size, vm.k.run->io.count);
		break;
	case RD_MMIO:
		run_expect(&vm, KVM_EXIT_MMIO, "MMIO read");
		if (vm.k.run->mmio.is_write) die("MMIO exit is a write");
		say("MMIO read exit: addr=0x%llx len=%u",
		    (unsigned long long)vm.k.run->mmio.phys_addr, vm.k.run->mmio.len);
		break;
	case RD_MSR:
		run_expect(&vm, KVM_EXIT_X86_RDMSR, "RDMSR");
		say("RDMSR exit: index=0x%x reason=0x%x", vm.k.run->msr.index, vm.k.run->msr.reason);
		break;
	}
	f15 = flag15(&vm);
	if (v == SR_READ_FIRST) {
		/* QEMU's vmport handler: the registers are read before the
		 * answer exists; the read must still be pending there. */
		struct kvm_regs r;
		vm_get_regs(&vm, &r);
		say("GET_REGS before the answer: rax=0x%llx", (unsigned long long)r.rax);
		if (g_expect != EXP_DEMO)
			check((uint32_t)r.rax == 0x99999999u,
			      "RAX at the unanswered read=0x%08x expected 0x99999999 (still pending)",
			      (unsigned)r.rax);
	}
	dev_handle(&g_dev, vm.k.run);   /* answer: the device counts the read */

	if (v == SR_EXPLICIT) {
		int r, e;
		say("bit 15 before kvmcompl_complete=%u", f15);
		errno = 0;
		r = api(vm.k.vcpu);
		e = errno;
		check(r == 0, "kvmcompl_complete(vcpu_fd) at the pending IN returned %d (%s) expected 0",
		      r, r ? tap_errname(e) : "-");
		check(!flag15(&vm), "bit 15 after kvmcompl_complete=%u expected 0", flag15(&vm));
		check_stats(vm.k.vcpu);
	} else if (g_expect == EXP_FIXED) {
		/* Also with KVMCOMPL_COMPLETE=off: the flag is still reported. */
		check(f15 == 1, "bit 15 at the %s exit=%u expected 1", dev_of[k], f15);
	} else if (no_shim()) {
		check(f15 == (uint32_t)g_native, "bit 15 at the %s exit=%u expected %d (no shim)", dev_of[k], f15, g_native);
	}

	save_restore_variant(&vm, v);
	run_to_hlt(&vm);
	rd_observed(k, &vm, obs, sizeof(obs));
	rd_expected(k, 1, first, sizeof(first));
	rd_expected(k, n + 1, second, sizeof(second));
	unsigned reads = rd_count(k);
	int correct = reads == n && !strcmp(obs, first);
	int dup = reads == 2 * n && !strcmp(obs, second);
	int lost = reads == n && strcmp(obs, first) != 0;

	if (g_expect == EXP_DEMO) {
		verdict("guest saw %s after %u device reads -> %s", obs, reads,
			correct ? "correct: the read happened once across save/restore" :
			dup ? "BUG: the read was performed twice (pending completion lost at save)" :
			"inconsistent result");
	} else if ((g_expect == EXP_FIXED && v != SR_COMPLETE_OFF) || v == SR_EXPLICIT ||
		   v == SR_QEMU_LIKE || g_expect == EXP_CLEAN) {
		check(correct, "%s reads=%u guest saw=%s expected reads=%u value=%s",
		      dev_of[k], reads, obs, n, first);
	} else {
		/* control, or complete_off: a duplicate (the read re-executed) or
		 * a loss (RIP already past it, the result never written: fast
		 * PIO before 5.1) is the expected outcome */
		if (correct && no_shim())
			fail("CONTROL DID NOT REPRODUCE: %s: %s reads=%u guest saw=%s (expected reads=%u value=%s); this kernel completes before save; update the expectations",
			     name, dev_of[k], reads, obs, 2 * n, second);
		else
			check(dup || lost, "%s reads=%u guest saw=%s expected reads=%u value=%s (duplicated) or reads=%u and not %s (lost)%s",
			      dev_of[k], reads, obs, 2 * n, second, n, first,
			      v == SR_COMPLETE_OFF ? " (no automatic completion)" : " (bug reproduced)");
	}
	if (v == SR_EXPLICIT) {
		int r, e;
		errno = 0;
		r = api(vm.k.vcpu);  /* the restored vCPU sits at HLT: nothing pending */
		e = errno;
		check(r == 0, "kvmcompl_complete on a vCPU with nothing pending returned %d (%s) expected 0",
		      r, r ? tap_errname(e) : "-");
		explicit_api_extra();
	}
	vm_destroy(&vm);
}

/* ---- out, mmio_write ---- */

void sc_write_save_restore(int mmio)
{
	struct vm vm;
	uint32_t f15;
	unsigned w;
	int right;

	new_vm(&vm, mmio ? "mmio_write" : "out");
	if (mmio) {
		run_expect(&vm, KVM_EXIT_MMIO, "MMIO write");
		if (!vm.k.run->mmio.is_write) die("MMIO exit is a read");
	} else {
		run_expect(&vm, KVM_EXIT_IO, "OUT");
		if (vm.k.run->io.direction != KVM_EXIT_IO_OUT) die("IO exit is not an OUT");
	}
	f15 = flag15(&vm);
	dev_handle(&g_dev, vm.k.run);
	if (g_expect == EXP_FIXED)
		check(f15 == 1, "bit 15 at the %s exit=%u expected 1", mmio ? "MMIO write" : "OUT", f15);
	else if (no_shim())
		check(f15 == (uint32_t)g_native, "bit 15 at the %s exit=%u expected %d (no shim)", mmio ? "MMIO write" : "OUT", f15, g_native);
	save_restore(&vm);
	run_to_hlt(&vm);

	if (mmio) {
		w = g_dev.mmio_writes;
		uint32_t v0 = 0;
		if (w >= 1) memcpy(&v0, g_dev.mmio_wr[0].data, 4);
		right = w >= 1 && g_dev.mmio_wr[0].addr == MMIO_WR_BASE && g_dev.mmio_wr[0].len == 4 &&
			v0 == 0xCAFEBABE;
		for (unsigned i = 0; i < w && i < DEV_LOG; i++) {
			uint32_t v = 0;
			memcpy(&v, g_dev.mmio_wr[i].data, 4);
			say("MMIO write %u: addr=0x%llx len=%u value=0x%08x", i + 1,
			    (unsigned long long)g_dev.mmio_wr[i].addr, g_dev.mmio_wr[i].len, v);
		}
	} else {
		w = g_dev.port_writes;
		right = w >= 1 && g_dev.port_wval[0] == 0x5A;
		for (unsigned i = 0; i < w && i < DEV_LOG; i++)
			say("port write %u: value=0x%02x", i + 1, g_dev.port_wval[i]);
	}
	const char *what = mmio ? "mmio writes" : "port writes";
	const char *val = mmio ? "0xcafebabe" : "0x5a";
	if (g_expect == EXP_FIXED || g_expect == EXP_CLEAN) {
		check(w == 1 && right, "%s=%u expected 1 write of %s", what, w, val);
	} else if (g_expect == EXP_CONTROL_BUG) {
		if (w == 1 && right)
			fail("CONTROL DID NOT REPRODUCE: %s=%u value %s: the write was not duplicated or lost; update the expectations", what, w, val);
		else
			check(w == 2 || w == 0, "%s=%u expected 2 (duplicated by save/restore) or 0 (lost) (bug reproduced)", what, w);
	} else if (g_expect == EXP_CONTROL) {
		if (w == 1 && right)
			say("%s=%u value %s: no duplicate on this kernel (the write was finished at the exit): OK (information)", what, w, val);
		else if (w == 2)
			say("%s=%u: the write was DUPLICATED by save/restore on this kernel (e.g. SVM fast PIO): OK (information)", what, w);
		else
			say("%s=%u right=%d: unusual result, reported only: OK (information)", what, w, right);
	} else {
		verdict("%s=%u -> %s", what, w,
			w == 1 && right ? "correct: the write reached the device once" :
			w == 2 ? "BUG: the write was performed twice" : "unusual result");
	}
	vm_destroy(&vm);
}

/* ---- getset_in, getset_mmio ---- */

void sc_getset(int mmio)
{
	struct vm vm;
	struct kvm_regs r;
	unsigned got, want, old, reads, reason;
	uint32_t exit = mmio ? KVM_EXIT_MMIO : KVM_EXIT_IO;

	new_vm(&vm, mmio ? "mmio_read" : "in");
	if (mmio)
		run_expect(&vm, KVM_EXIT_MMIO, "MMIO read");
	else
		run_expect(&vm, KVM_EXIT_IO, "IN");
	dev_handle(&g_dev, vm.k.run);
	/* A VMM that inspects and writes back registers at an exit (a monitor,
	 * a debugger stub) with identical values. */
	vm_get_regs(&vm, &r);
	/* The library completed there (x86: no double-completion guard):
	 * exit_reason is what the kernel's completing KVM_RUN leaves: the
	 * exit's own after an immediate exit; KVM_EXIT_INTR where only a
	 * signal can stop it (before 4.11: vcpu_run's signal check sets it). */
	reason = vm.k.run->exit_reason;
	if (g_expect != EXP_DEMO) {
		uint32_t left = exit;
		if (g_expect == EXP_FIXED && ioctl(g_kvm, KVM_CHECK_EXTENSION, KVM_CAP_IMMEDIATE_EXIT) <= 0)
			left = KVM_EXIT_INTR;
		check(reason == left, "exit_reason after GET_REGS=%u expected %u (as the kernel left it)", reason, left);
	}
	say("GET_REGS at the pending %s: rax=0x%llx rip=0x%llx", mmio ? "MMIO read" : "IN",
	    (unsigned long long)r.rax, (unsigned long long)r.rip);
	vm_set_regs(&vm, &r);
	run_to_hlt(&vm);
	vm_get_regs(&vm, &r);
	got = mmio ? (unsigned)r.rax : (unsigned)(r.rax & 0xff);
	want = port_value(1);
	old = mmio ? 0x99999999u : 0x99u;
	reads = mmio ? g_dev.mmio_reads : g_dev.port_reads;
	if (g_expect == EXP_FIXED || g_expect == EXP_CLEAN) {
		check(got == want && reads == 1, "reads=%u guest saw=0x%x expected reads=1 value=0x%x",
		      reads, got, want);
	} else if (no_shim()) {
		if (got == want)
			fail("CONTROL DID NOT REPRODUCE: %s: reads=%u guest saw=0x%x (expected the old value 0x%x); this kernel keeps the result across GET/SET_REGS; update the expectations",
			     mmio ? "getset_mmio" : "getset_in", reads, got, old);
		else
			check(got == old, "reads=%u guest saw=0x%x expected the old register value 0x%x (result lost, bug reproduced)",
			      reads, got, old);
	} else {
		verdict("after GET_REGS+SET_REGS the guest saw 0x%x (device reads=%u) -> %s", got, reads,
			got == want ? "correct: the answered value arrived" :
			got == old ? "BUG: the answered value was lost" : "inconsistent");
	}
	vm_destroy(&vm);
}

/* ---- split_read, split_write ---- */

void sc_split(int write)
{
	struct vm vm;
	struct kvm_regs r;
	const uint64_t base = write ? MMIO_WR_BASE : MMIO_RD_BASE;
	const uint64_t a1 = base + 0xffe, a2 = base + 0x1000;
	uint32_t f1, f2 = 0;
	int ret, e, second_exit = 0;

	new_vm(&vm, write ? "split_write" : "split_read");
	run_expect(&vm, KVM_EXIT_MMIO, "first half of the straddling access");
	f1 = flag15(&vm);
	say("first exit: MMIO %s addr=0x%llx len=%u bit15=%u", vm.k.run->mmio.is_write ? "write" : "read",
	    (unsigned long long)vm.k.run->mmio.phys_addr, vm.k.run->mmio.len, f1);
	if (vm.k.run->mmio.phys_addr != a1 || vm.k.run->mmio.len != 2 || vm.k.run->mmio.is_write != write)
		die("first half is not a 2-byte %s at 0x%llx", write ? "write" : "read",
		    (unsigned long long)a1);
	dev_handle(&g_dev, vm.k.run);
	vm_get_regs(&vm, &r);
	say("GET_REGS after answering the first half: rip=0x%llx", (unsigned long long)r.rip);

	ret = vm_run(&vm);
	e = errno;
	if (ret < 0) {
		say("next KVM_RUN returned -1 %s", tap_errname(e));
		if (e != EINTR) die("KVM_RUN");
	} else {
		f2 = flag15(&vm);
		if (f2) g_flag15_seen++;
		say("next KVM_RUN returned 0: exit %s addr=0x%llx len=%u %s bit15=%u",
		    kt_exit_name(vm.k.run->exit_reason), (unsigned long long)vm.k.run->mmio.phys_addr,
		    vm.k.run->mmio.len, vm.k.run->mmio.is_write ? "write" : "read", f2);
		second_exit = vm.k.run->exit_reason == KVM_EXIT_MMIO && vm.k.run->mmio.phys_addr == a2 &&
			      vm.k.run->mmio.len == 2 && vm.k.run->mmio.is_write == write;
		if (vm.k.run->exit_reason == KVM_EXIT_MMIO)
			dev_handle(&g_dev, vm.k.run);
		else if (vm.k.run->exit_reason != KVM_EXIT_HLT && !dev_handle(&g_dev, vm.k.run))
			die("unexpected exit %s", kt_exit_name(vm.k.run->exit_reason));
	}
	if (!(ret == 0 && vm.k.run->exit_reason == KVM_EXIT_HLT))
		run_to_hlt(&vm);
	vm_get_regs(&vm, &r);

	/* What the device saw, half by half. */
	unsigned cnt = write ? g_dev.mmio_writes : g_dev.mmio_reads;
	const struct mmio_access *log = write ? g_dev.mmio_wr : g_dev.mmio_rd;
	for (unsigned i = 0; i < cnt && i < DEV_LOG; i++)
		say("device %s %u: addr=0x%llx len=%u data=%02x %02x", write ? "write" : "read", i + 1,
		    (unsigned long long)log[i].addr, log[i].len, log[i].data[0], log[i].data[1]);
	int halves_ok = cnt == 2 && log[0].addr == a1 && log[0].len == 2 && log[1].addr == a2 &&
			log[1].len == 2;
	int data_ok;
	unsigned guest = (unsigned)r.rax;
	if (write)
		data_ok = halves_ok && log[0].data[0] == 0x11 && log[0].data[1] == 0x22 &&
			  log[1].data[0] == 0x33 && log[1].data[1] == 0x44;
	else
		data_ok = guest == 0x00420041u;

	if (g_expect == EXP_FIXED) {
		check(ret == 0 && second_exit, "KVM_RUN after GET_REGS returned %d with the second-half exit=%d expected 0 and a %s at 0x%llx len 2",
		      ret, second_exit, write ? "write" : "read", (unsigned long long)a2);
		check(f2 == 1, "bit 15 on the second-half exit=%u expected 1", f2);
		check(halves_ok, "device accesses=%u expected 2 (one per half, 0x%llx and 0x%llx)", cnt,
		      (unsigned long long)a1, (unsigned long long)a2);
		if (write)
			check(data_ok, "device bytes=%02x %02x | %02x %02x expected 11 22 | 33 44",
			      log[0].data[0], log[0].data[1], cnt > 1 ? log[1].data[0] : 0,
			      cnt > 1 ? log[1].data[1] : 0);
		else
			check(data_ok, "guest saw=0x%08x expected 0x00420041", guest);
	} else if (no_shim()) {
		say("second-half exit from the next KVM_RUN=%d, device accesses=%u, %s", second_exit, cnt,
		    write ? (data_ok ? "bytes 11 22 | 33 44" : "bytes wrong") :
		    (data_ok ? "guest saw 0x00420041" : "guest value wrong"));
		if (g_native)
			check(f1 == 1 && (ret < 0 || f2 == 1), "bit 15 on the halves=%u,%u expected 1 (native flag)", f1, f2);
		else
			check(f1 == 0 && g_flag15_seen == 0, "bit 15 set on %u exits expected never (no shim)",
			      g_flag15_seen);
		if (g_expect == EXP_CLEAN)
			check(second_exit && halves_ok && data_ok, "second half delivered=%d, one access per half=%d, data right=%d expected all 1",
			      second_exit, halves_ok, data_ok);
	} else {
		verdict("second half %s; device accesses=%u; %s", second_exit ? "delivered by the next KVM_RUN" : "not seen as a separate exit",
			cnt, data_ok ? "data right" : "data WRONG");
	}
	vm_destroy(&vm);
}

/* ---- the scenarios' entry points (tests/vmm/scenarios.c) ---- */

void sc_in(void) { sc_read_save_restore("in", RD_IN, SR_PLAIN); }
void sc_mmio_read(void) { sc_read_save_restore("mmio_read", RD_MMIO, SR_PLAIN); }
void sc_rdmsr(void) { sc_read_save_restore("rdmsr", RD_MSR, SR_PLAIN); }
void sc_insb(void) { sc_read_save_restore("insb", RD_INSB, SR_PLAIN); }
void sc_out(void) { sc_write_save_restore(0); }
void sc_mmio_write(void) { sc_write_save_restore(1); }
void sc_getset_in(void) { sc_getset(0); }
void sc_getset_mmio(void) { sc_getset(1); }
void sc_split_read(void) { sc_split(0); }
void sc_split_write(void) { sc_split(1); }
void sc_complete_off(void) { sc_read_save_restore("complete_off", RD_IN, SR_COMPLETE_OFF); }
void sc_explicit_api(void) { sc_read_save_restore("explicit_api", RD_IN, SR_EXPLICIT); }
void sc_other_thread(void) { sc_read_save_restore("other_thread", RD_MMIO, SR_OTHER_THREAD); }
void sc_race(void) { sc_read_save_restore("race", RD_IN, SR_RACE); }
void sc_in_qemu_like(void) { sc_read_save_restore("in_qemu_like", RD_IN, SR_QEMU_LIKE); }
void sc_mmio_read_qemu_like(void)
{
	sc_read_save_restore("mmio_read_qemu_like", RD_MMIO, SR_QEMU_LIKE);
}
void sc_rdmsr_qemu_like(void) { sc_read_save_restore("rdmsr_qemu_like", RD_MSR, SR_QEMU_LIKE); }
void sc_read_then_save_in(void) { sc_read_save_restore("read_then_save_in", RD_IN, SR_READ_FIRST); }
void sc_read_then_save_mmio(void)
{
	sc_read_save_restore("read_then_save_mmio", RD_MMIO, SR_READ_FIRST);
}
void sc_out7e_quirk(void) { sc_out7e(0); }
void sc_out7e_noquirk(void) { sc_out7e(1); }
void sc_in_repeat(void)
{
	for (int i = 0; i < 3; i++) {
		memset(&g_dev, 0, sizeof(g_dev));
		if (i < 2)
			sc_read_save_restore("in_repeat", RD_IN, SR_PLAIN);
		else
			sc_getset(0);
	}
}
/* The first VM's fds are made behind the shim's back, so it must identify
 * the vCPU fd when it first meets it (inherited or passed fds). */
void sc_inherited(void)
{
	kt_create_ioctl = kt_raw_ioctl;
	sc_read_save_restore("inherited", RD_IN, SR_PLAIN);
}

