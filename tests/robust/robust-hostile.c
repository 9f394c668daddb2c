/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/robust, 6. hostile input: exit reasons no table knows, a VMM that
 * writes bit 15 or unmaps its kvm_run, the highest fds, AT_SECURE. */
#define _GNU_SOURCE
#include "config.h"
#include "robust.h"

/* ------------------------------------------------------------ 6. hostile */

/* unknown-exit: exit reasons the tables do not know. HLT and SHUTDOWN come
 * from the real kernel; others from tests/robust/oddexit.so (preloaded
 * after the library), which rewrites a real HLT exit into a reason and
 * sets bit 15 as a confused kernel would. Nothing is flagged, nothing
 * completed (no extra KVM_RUN), the guest goes on. */
int sc_unknown_exit(void)
{
	static const unsigned reasons[] = { 0x7777, 0xffffffffu, 0x80000000u, 1000, 64 };
	unsigned *want = dlsym(RTLD_DEFAULT, "oddexit_reason");
	long *runs = dlsym(RTLD_DEFAULT, "oddexit_runs");
	struct kt_vm g;
	struct kvm_regs regs, regs2;

	open_kvm(1);
	guest_new(&g, code_hlt, sizeof code_hlt);
	if (ioctl(g.vcpu, KVM_RUN, 0) != 0 || g.run->exit_reason != KVM_EXIT_HLT)
		die("HLT exit expected, got %u", g.run->exit_reason);
	printf("= real HLT exit: flags bit 15 %u\n", (g.run->flags & FLAG15) != 0);
	if (g.run->flags & FLAG15)
		fail("HLT flagged");
	if (!want || !runs) {
		printf("oddexit.so not preloaded: only the kernel's own exits\n");
		guest_free(&g);
		return tap_failures != 0;
	}
	for (size_t i = 0; i < sizeof reasons / sizeof reasons[0]; i++) {
		long before;

		*want = reasons[i];
		if (ioctl(g.vcpu, KVM_RUN, 0) != 0 || g.run->exit_reason != reasons[i])
			die("KVM_RUN did not return reason %#x", reasons[i]);
		*want = 0;
		before = *runs;
		if (ioctl(g.vcpu, KVM_GET_REGS, &regs) != 0 || ioctl(g.vcpu, KVM_SET_REGS, &regs) != 0 ||
		    ioctl(g.vcpu, KVM_GET_REGS, &regs2) != 0)
			die("GET/SET_REGS");
		printf("= exit reason %#x: flags bit 15 %u, KVM_RUNs for the state ioctls %ld, rip %#llx\n",
		       reasons[i], (g.run->flags & FLAG15) != 0, *runs - before, (unsigned long long)regs.rip);
		if (have_lib && (g.run->flags & FLAG15))
			fail("exit reason %#x left flagged", reasons[i]);
		if (*runs != before || regs.rip != regs2.rip)
			fail("exit reason %#x: a completion ran", reasons[i]);
	}
	if (ioctl(g.vcpu, KVM_RUN, 0) != 0 || g.run->exit_reason != KVM_EXIT_HLT)
		fail("the guest did not go on to its next HLT (exit %u)", g.run->exit_reason);
	else
		printf("= the guest goes on to its next HLT\n");
	guest_free(&g);
	return tap_failures != 0;
}

/* bit15: the VMM writes bit 15 itself before KVM_RUN and before state
 * ioctls with nothing pending. */
int sc_bit15(void)
{
	struct kt_vm g;
	struct kvm_regs r1, r2;
	char why[200];

	open_kvm(1);
	guest_new(&g, code_hlt, sizeof code_hlt);
	g.run->flags |= FLAG15;
	if (ioctl(g.vcpu, KVM_RUN, 0) != 0 || g.run->exit_reason != KVM_EXIT_HLT)
		die("HLT expected");
	printf("= bit 15 written before KVM_RUN, HLT exit: flags %#x\n", g.run->flags);
	if (g.run->flags & FLAG15)
		fail("bit 15 left set at a HLT exit");
	g.run->flags |= FLAG15;
	if (ioctl(g.vcpu, KVM_GET_REGS, &r1) || ioctl(g.vcpu, KVM_GET_REGS, &r2))
		die("GET_REGS");
	printf("= bit 15 written after the HLT exit: rip %#llx then %#llx, exit %u, flags %#x\n",
	       (unsigned long long)r1.rip, (unsigned long long)r2.rip, g.run->exit_reason, g.run->flags);
	if (r1.rip != r2.rip || g.run->exit_reason != KVM_EXIT_HLT)
		fail("a completion ran on the VMM's bit 15");
	guest_free(&g);

	guest_new(&g, code_echo, sizeof code_echo);
	for (int i = 0; i < 50; i++) {
		g.run->flags |= FLAG15;
		if (run_to_in(g.vcpu, g.run, (unsigned char)i, why, sizeof why) ||
		    finish_round(g.vcpu, g.run, (unsigned char)i, 1, why, sizeof why)) {
			fail("round %d with bit 15 written before each KVM_RUN: %s", i, why);
			break;
		}
	}
	if (!tap_failures)
		printf("= 50 IN/OUT rounds with bit 15 written before each KVM_RUN: values right\n");
	guest_free(&g);
	return tap_failures != 0;
}

/* munmap-run: the VMM unmaps its kvm_run at a pending IN it answered. */
int sc_munmap_run(void)
{
	struct kt_vm g;
	char why[200];
	int maps;

	open_kvm(1);
	guest_new(&g, code_echo, sizeof code_echo);
	if (echo_rounds(g.vcpu, g.run, 3, 1, "before munmap"))
		return 1;
	if (run_to_in(g.vcpu, g.run, 0xab, why, sizeof why))
		die("%s", why);
	munmap(g.run, run_size);
	maps = count_vcpu_maps();
	printf("kvm_run unmapped by the VMM at a pending IN; kvm-vcpu mappings left: %d\n", maps);
	{
		struct kvm_regs regs;

		if (ioctl(g.vcpu, KVM_GET_REGS, &regs) != 0)
			die("KVM_GET_REGS");
		printf("KVM_GET_REGS without the VMM's mapping: al %#llx rip %#llx\n",
		       (unsigned long long)(regs.rax & 0xff), (unsigned long long)regs.rip);
		if (have_lib && ((regs.rax & 0xff) != 0xab || regs.rip != 0x1002))
			fail("not completed without the VMM's mapping");
	}
	g.run = map_run(g.vcpu);
	if (finish_round(g.vcpu, g.run, 0xab, 0, why, sizeof why))
		fail("after mapping again: %s", why);
	else if (echo_rounds(g.vcpu, g.run, 50, 9, "after mapping again") == 0)
		printf("= mapped again: 0xab echoed once, 50 more rounds right\n");
	/* and once more, with the VMM never mapping it again: state ioctls only */
	if (run_to_in(g.vcpu, g.run, 0xcd, why, sizeof why))
		die("%s", why);
	munmap(g.run, run_size);
	g.run = NULL;
	{
		struct kvm_regs regs;

		if (ioctl(g.vcpu, KVM_GET_REGS, &regs) != 0 || ioctl(g.vcpu, KVM_SET_REGS, &regs) != 0)
			die("GET/SET_REGS");
	}
	close(g.vcpu);
	g.vcpu = -1;
	printf("= after close: kvm-vcpu mappings %d\n", count_vcpu_maps());
	if (count_vcpu_maps() != 0)
		fail("a kvm_run mapping outlives the closed vCPU");
	guest_free(&g);
	return tap_failures != 0;
}

/* highfd: the highest fd RLIMIT_NOFILE allows here holds the vCPU and
 * /dev/kvm; fds beyond any table (1,000,001, INT_MAX) get EBADF. */
int sc_highfd(void)
{
	struct rlimit rl, big = { 1000002, 1000002 };
	struct kt_vm g;
	struct kvm_run *run;
	struct kvm_regs regs;
	int hi, r, e;

	open_kvm(1);
	getrlimit(RLIMIT_NOFILE, &rl);
	r = setrlimit(RLIMIT_NOFILE, &big);
	e = errno;
	printf("RLIMIT_NOFILE %llu/%llu; raising to 1000002: %s\n", (unsigned long long)rl.rlim_cur,
	       (unsigned long long)rl.rlim_max, r == 0 ? "done" : tap_errname(e));
	if (r != 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
		hi = (int)(rl.rlim_max > INT_MAX ? INT_MAX : rl.rlim_max) - 1;
	} else {
		hi = 1000001;
	}
	printf("highest fd used: %d\n", hi);
	guest_new(&g, code_echo, sizeof code_echo);
	if (dup2(g.vcpu, hi) != hi || dup2(kvm, hi - 1) != hi - 1)
		die("dup2 to %d", hi);
	close(g.vcpu);
	if (echo_rounds(hi, g.run, 100, 0x10, "vCPU at the highest fd") == 0)
		printf("= vCPU at fd %d: 100 rounds right\n", hi);
	r = ioctl(hi - 1, KVM_CHECK_EXTENSION, CAP_NC);
	printf("KVM_CHECK_EXTENSION(239) on /dev/kvm at fd %d: %d\n", hi - 1, r);
	if (r != (have_lib ? 1 : 0))
		fail("capability at fd %d: %d", hi - 1, r);
	/* a copy the library did not see (raw dup2): identified lazily */
	if (syscall(SYS_dup2, hi, hi - 2) != hi - 2)
		die("raw dup2");
	run = map_run(hi - 2);
	if (echo_rounds(hi - 2, run, 50, 0x90, "vCPU copied by a raw dup2") == 0)
		printf("= vCPU copied by a raw dup2 to fd %d: 50 rounds right\n", hi - 2);
	munmap(run, run_size);
	close(hi - 2);
	close(hi);
	close(hi - 1);
	g.vcpu = -1;
	for (int fd = 0; fd < 3; fd++) {
		int bad = fd == 0 ? 1000001 : fd == 1 ? INT_MAX : hi + 1;

		r = ioctl(bad, KVM_GET_REGS, &regs);
		e = errno;
		printf("= KVM_GET_REGS on fd %d: %d %s\n", bad, r, tap_errname(r ? e : 0));
		if (r != -1 || e != EBADF)
			fail("fd %d: %d %s", bad, r, tap_errname(e));
		r = ioctl(bad, KVM_RUN, 0);
		e = errno;
		if (r != -1 || e != EBADF)
			fail("KVM_RUN on fd %d: %d %s", bad, r, tap_errname(e));
	}
	guest_free(&g);
	return tap_failures != 0;
}

/* secure LIB: the library dlopen'ed into this process and called directly
 * (LD_PRELOAD does not load it into a setuid process); KVMCOMPL_CAP=250,
 * KVMCOMPL_COMPLETE=off and KVMCOMPL_LOG_FILE are set by the caller. With
 * AT_SECURE they must be ignored. */
int sc_secure(const char *lib)
{
	int (*lioctl)(int, unsigned long, ...);
	unsigned long sec = getauxval(AT_SECURE);
	const char *logf = getenv("KVMCOMPL_LOG_FILE");
	struct kt_vm g;
	struct kvm_regs regs;
	void *h;
	int c239, c250, completed;
	char why[200];

	h = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		printf("ERROR: dlopen %s: %s\n", lib, dlerror());
		return 99;
	}
	lioctl = (int (*)(int, unsigned long, ...))dlsym(h, "ioctl");
	if (!lioctl)
		die("dlsym ioctl");
	open_kvm(1);
	c239 = lioctl(kvm, KVM_CHECK_EXTENSION, CAP_NC);
	c250 = lioctl(kvm, KVM_CHECK_EXTENSION, 250);
	guest_new(&g, code_echo, sizeof code_echo);
	if (lioctl(g.vcpu, KVM_RUN, 0) != 0 || !is_io(g.run, KVM_EXIT_IO_IN, PORT_IN))
		die("IN exit expected");
	*io_data(g.run) = 0x3c;
	if (lioctl(g.vcpu, KVM_GET_REGS, &regs) != 0)
		die("KVM_GET_REGS");
	completed = (regs.rax & 0xff) == 0x3c && regs.rip == 0x1002;
	printf("AT_SECURE %lu (uid %d euid %d): capability at 239: %d, at 250: %d; IN completed at KVM_GET_REGS: %s; log file %s\n",
	       sec, (int)getuid(), (int)geteuid(), c239, c250, completed ? "yes" : "no",
	       logf && access(logf, F_OK) == 0 ? "written" : "not written");
	if (finish_round(g.vcpu, g.run, 0x3c, 0, why, sizeof why))
		fail("%s", why);
	if (sec) {
		if (c239 != 1 || c250 != 0 || !completed || (logf && access(logf, F_OK) == 0))
			fail("an AT_SECURE process used KVMCOMPL_* settings");
	} else {
		if (c239 != 0 || c250 != 1 || completed)
			fail("the settings were not used by an ordinary process (the control)");
	}
	return tap_failures != 0;
}

