/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* legacy-vmm, flag, capability and API scenarios:
 *   flags  bit 15 after IN, MMIO read, RDMSR and HLT exits, and after a HLT
 *         when the VMM had set it itself.
 *   cap   KVM_CHECK_EXTENSION(239) on /dev/kvm and the VM, KVM_ENABLE_CAP(239).
 *   vmm_immediate_exit  the VMM's own immediate_exit=1 at a pending IN
 *         survives the library's completion (GET_REGS), KVM_RUN gives EINTR.
 *   complete_off  `in` under KVMCOMPL_COMPLETE=off: flag set, read duplicated.
 *   explicit_api  `in` under KVMCOMPL_COMPLETE=off, completed by an explicit
 *         kvmcompl_complete(vcpu_fd) (looked up with dlsym); its stats. */
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

/* The counters the shim keeps for this vCPU: one exit (the IN), flagged,
 * one completion, by kvmcompl_complete(). */
void check_stats(int vcpu)
{
	typedef int (*stats_fn)(int, struct kvmcompl_stats *, unsigned long);
	stats_fn stats = (stats_fn)dlsym(RTLD_DEFAULT, "kvmcompl_stats");
	struct kvmcompl_stats st;

	if (!stats) {
		fail("kvmcompl_stats not found by dlsym(RTLD_DEFAULT)");
		return;
	}
	memset(&st, 0xff, sizeof st);
	check(stats(vcpu, &st, sizeof st) == 0, "kvmcompl_stats(vcpu_fd) returned 0");
	check(st.exits == 1 && st.exits_by_reason[KVM_EXIT_IO] == 1 && st.flagged == 1,
	      "stats: exits=%llu (IO %llu) flagged=%llu expected 1, 1, 1",
	      st.exits, st.exits_by_reason[KVM_EXIT_IO], st.flagged);
	check(st.completions == 1 && st.completions_by_api == 1 && st.new_exits == 0 &&
	      st.failures == 0 && st.trigger_request[0] == 0,
	      "stats: completions=%llu by_api=%llu new_exits=%llu failures=%llu first trigger=%#x expected 1, 1, 0, 0, 0",
	      st.completions, st.completions_by_api, st.new_exits, st.failures, st.trigger_request[0]);
}

void explicit_api_extra(void)
{
	complete_fn api = find_complete();
	int p[2], r, e;
	if (pipe(p) < 0) die("pipe");
	errno = 0;
	r = api(p[0]);
	e = errno;
	check(r == -1 && e != 0, "kvmcompl_complete(pipe fd) returned %d errno=%s expected -1 with an errno",
	      r, e ? tap_errname(e) : "0");
	close(p[0]);
	close(p[1]);
}

/* ---- flags ---- */

void sc_flags(void)
{
	struct vm vm;
	uint32_t fin, fmmio, fmsr, fhlt, fself;
	uint32_t want = g_expect == EXP_FIXED ? 1 : (uint32_t)g_native;

	new_vm(&vm, "flags");
	if (!vm.msr_how) skip("the flags guest needs user-space MSR exits (KVM_CAP_X86_USER_SPACE_MSR, 5.10+)");
	run_expect(&vm, KVM_EXIT_IO, "IN");
	fin = flag15(&vm);
	dev_handle(&g_dev, vm.k.run);
	run_expect(&vm, KVM_EXIT_MMIO, "MMIO read");
	fmmio = flag15(&vm);
	dev_handle(&g_dev, vm.k.run);
	run_expect(&vm, KVM_EXIT_X86_RDMSR, "RDMSR");
	fmsr = flag15(&vm);
	dev_handle(&g_dev, vm.k.run);
	run_expect(&vm, KVM_EXIT_HLT, "first HLT");
	fhlt = flag15(&vm);
	/* A VMM that leaves stale bits (or writes flags) must not see bit 15 on
	 * an exit with nothing pending. */
	vm.k.run->flags |= F15;
	run_expect(&vm, KVM_EXIT_HLT, "second HLT");
	fself = flag15(&vm);

	if (g_expect == EXP_DEMO) {
		verdict("bit 15 after IN=%u MMIO read=%u RDMSR=%u HLT=%u HLT-after-VMM-set=%u -> %s",
			fin, fmmio, fmsr, fhlt, fself,
			fin && fmmio && fmsr && !fhlt && !fself ? "flag reports pending completions" :
			!fin && !fmmio && !fmsr && !fhlt && !fself ? "flag never set (kernel without the flag)" :
			"inconsistent");
	} else {
		check(fin == want, "bit 15 after IN exit=%u expected %u", fin, want);
		check(fmmio == want, "bit 15 after MMIO read exit=%u expected %u", fmmio, want);
		check(fmsr == want, "bit 15 after RDMSR exit=%u expected %u", fmsr, want);
		check(fhlt == 0, "bit 15 after HLT exit=%u expected 0", fhlt);
		if (g_expect == EXP_CONTROL_BUG) /* a kernel that never clears flags */
			check(fself == 1, "bit 15 after a HLT exit when the VMM had set it before KVM_RUN=%u expected 1 (stale, kernel leaves flags alone)", fself);
		else
			check(fself == 0, "bit 15 after a HLT exit when the VMM had set it before KVM_RUN=%u expected 0", fself);
	}
	vm_destroy(&vm);
}

/* ---- cap ---- */

void sc_cap(void)
{
	struct vm vm;
	struct kvm_enable_cap cap;
	int c1, c2, r, e;
	int want = g_expect == EXP_FIXED ? 1 : g_native;
	const char *ver = shim_version();

	new_vm(&vm, "in");
	c1 = ioctl(g_kvm, KVM_CHECK_EXTENSION, CAP_NEEDS_COMPLETION);
	c2 = ioctl(vm.k.fd, KVM_CHECK_EXTENSION, CAP_NEEDS_COMPLETION);
	memset(&cap, 0, sizeof(cap));
	cap.cap = CAP_NEEDS_COMPLETION;
	errno = 0;
	r = ioctl(vm.k.fd, KVM_ENABLE_CAP, &cap);
	e = errno;
	say("kvmcompl_version=%s", ver ? ver : "(not loaded)");
	if (g_expect == EXP_DEMO) {
		verdict("KVM_CHECK_EXTENSION(239): /dev/kvm=%d VM=%d; KVM_ENABLE_CAP(239)=%d %s -> %s",
			c1, c2, r, r < 0 ? tap_errname(e) : "", c1 == 1 && c2 == 1 ? "capability advertised" :
			"capability not advertised");
	} else {
		check(c1 == want, "KVM_CHECK_EXTENSION(239) on /dev/kvm=%d expected %d", c1, want);
		check(c2 == want, "KVM_CHECK_EXTENSION(239) on the VM fd=%d expected %d", c2, want);
		check(r == -1 && e == EINVAL, "KVM_ENABLE_CAP(239) on the VM fd returned %d %s expected -1 EINVAL",
		      r, r < 0 ? tap_errname(e) : "");
	}
	vm_destroy(&vm);
}

/* ---- vmm_immediate_exit ---- */

void sc_vmm_immediate_exit(void)
{
	struct vm vm;
	struct kvm_regs r;
	int ret, e;
	unsigned ie, al;
	uint64_t rip;
	uint64_t after = CODE_ADDR + (uint64_t)(g_mode == MODE_REAL ?
		guest_real_in_after - guest_real_in_start : guest_long_in_after - guest_long_in_start);

	if (ioctl(g_kvm, KVM_CHECK_EXTENSION, KVM_CAP_IMMEDIATE_EXIT) <= 0)
		skip("this kernel has no KVM_CAP_IMMEDIATE_EXIT (4.11+): a VMM cannot kick with it");
	new_vm(&vm, "in");
	run_expect(&vm, KVM_EXIT_IO, "IN");
	dev_handle(&g_dev, vm.k.run);
	vm.k.run->immediate_exit = 1;   /* the VMM's own request to exit at once */
	vm_get_regs(&vm, &r);
	ie = vm.k.run->immediate_exit;
	al = (unsigned)(r.rax & 0xff);
	rip = r.rip;
	errno = 0;
	ret = vm_run(&vm);
	e = errno;
	say("after GET_REGS: immediate_exit=%u rax=0x%llx rip=0x%llx (IN ends at 0x%llx); KVM_RUN returned %d %s",
	    ie, (unsigned long long)r.rax, (unsigned long long)r.rip, (unsigned long long)after, ret,
	    ret < 0 ? tap_errname(e) : kt_exit_name(vm.k.run->exit_reason));
	if (ret == 0) die("KVM_RUN with immediate_exit=1 returned 0 (exit %s)", kt_exit_name(vm.k.run->exit_reason));
	vm.k.run->immediate_exit = 0;
	run_to_hlt(&vm);
	vm_get_regs(&vm, &r);
	unsigned fin = (unsigned)(r.rax & 0xff);

	if (g_expect == EXP_FIXED) {
		check(ie == 1, "immediate_exit after GET_REGS=%u expected 1 (VMM's value kept)", ie);
		check(al == port_value(1), "RAX low byte at GET_REGS=0x%02x expected 0x%02x (completed)",
		      al, port_value(1));
		check(rip == after, "RIP at GET_REGS=0x%llx expected 0x%llx (past the IN)",
		      (unsigned long long)rip, (unsigned long long)after);
		check(ret == -1 && e == EINTR, "KVM_RUN with immediate_exit=1 returned %d %s expected -1 EINTR",
		      ret, ret < 0 ? tap_errname(e) : "");
		check(g_dev.port_reads == 1 && fin == port_value(1), "reads=%u guest saw=0x%02x expected reads=1 value=0x%02x",
		      g_dev.port_reads, fin, port_value(1));
	} else if (no_shim()) {
		say("no shim: GET_REGS saw rax low byte 0x%02x (%s); final reads=%u guest saw=0x%02x: OK (information)",
		    al, al == port_value(1) ? "completed" : "not completed yet", g_dev.port_reads, fin);
	} else {
		verdict("GET_REGS with the VMM's immediate_exit=1 saw %s; final reads=%u value=0x%02x",
			al == port_value(1) ? "the completed IN" : "the IN still pending", g_dev.port_reads, fin);
	}
	vm_destroy(&vm);
}

