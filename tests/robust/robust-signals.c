/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/robust, 3. signals and 4. seccomp: the VMM's kick from another
 * thread during completions, KVM_RUN interrupted with and without
 * SA_RESTART, a vCPU thread under a seccomp filter. */
#define _GNU_SOURCE
#include "config.h"
#include "robust.h"

/* ------------------------------------------------------------ 3. signals */

static struct kvm_run *kick_run;
static atomic_int kicked;

static void on_kick(int sig)
{
	(void)sig;
	kick_run->immediate_exit = 1;
	atomic_store(&kicked, 1);
}

static atomic_int phase, completer_done, kicker_done;
static int kick_fd;
static unsigned char kick_val;
static atomic_int kick_bad;

static void spin(unsigned n)
{
	for (volatile unsigned i = 0; i < n; i++)
		;
}

static void *completer(void *arg)
{
	(void)arg;
	for (int it = 1;; it++) {
		struct kvm_regs regs;

		while (atomic_load(&phase) != it)
			if (atomic_load(&phase) < 0)
				return NULL;
		if (ioctl(kick_fd, KVM_GET_REGS, &regs) != 0 || !getregs_as_expected(&regs, kick_val))
			atomic_store(&kick_bad, it);
		atomic_store(&completer_done, it);
	}
}

static void *kicker(void *arg)
{
	pthread_t target = *(pthread_t *)arg;
	unsigned seed = 7;

	for (int it = 1;; it++) {
		while (atomic_load(&phase) != it)
			if (atomic_load(&phase) < 0)
				return NULL;
		spin((seed = seed * 1103515245 + 12345) % 20000);
		pthread_kill(target, SIGUSR1);
		atomic_store(&kicker_done, it);
	}
}

/* kick: the vCPU thread parks at an answered IN; a completer thread reads
 * its registers (the library completes) while a kicker thread signals the
 * vCPU thread, whose handler writes immediate_exit = 1. The next KVM_RUN
 * must return EINTR (kick not lost) and the one after echo the value once. */
int sc_kick(void)
{
	struct kt_vm g;
	pthread_t t[2], self = pthread_self();
	struct sigaction sa;
	char why[200];
	int n = 400, eintr = 0;

	open_kvm(1);
	guest_new(&g, code_echo, sizeof code_echo);
	kick_run = g.run;
	kick_fd = g.vcpu;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_kick;
	sigaction(SIGUSR1, &sa, NULL);
	pthread_create(&t[0], NULL, completer, NULL);
	pthread_create(&t[1], NULL, kicker, &self);
	for (int it = 1; it <= n; it++) {
		int r;

		kick_val = (unsigned char)it;
		atomic_store(&kicked, 0);
		if (run_to_in(g.vcpu, g.run, kick_val, why, sizeof why)) {
			fail("iteration %d: %s", it, why);
			break;
		}
		atomic_store(&phase, it);
		while (atomic_load(&completer_done) != it || atomic_load(&kicker_done) != it ||
		       !atomic_load(&kicked))
			;
		if (atomic_load(&kick_bad)) {
			fail("iteration %d: the completer's KVM_GET_REGS did not see the IN as expected (completed, or pending for an answer of 0)", it);
			break;
		}
		r = ioctl(g.vcpu, KVM_RUN, 0);
		if (r != -1 || errno != EINTR || g.run->immediate_exit != 1) {
			fail("iteration %d: kick lost: KVM_RUN %d %s, immediate_exit %u", it, r,
			     tap_errname(r ? errno : 0), g.run->immediate_exit);
			break;
		}
		eintr++;
		g.run->immediate_exit = 0;
		if (finish_round(g.vcpu, g.run, kick_val, 0, why, sizeof why)) {
			fail("iteration %d after the kick: %s", it, why);
			break;
		}
	}
	atomic_store(&phase, -1);
	pthread_join(t[0], NULL);
	pthread_join(t[1], NULL);
	printf("= %d kicks during completions: %d KVM_RUN returned EINTR, then the value echoed once\n", n, eintr);
	return tap_failures != 0;
}

static void on_usr2(int sig)
{
	(void)sig;
}

static void *signal_later(void *arg)
{
	struct timespec ts = { 0, 30 * 1000 * 1000 };

	nanosleep(&ts, NULL);
	pthread_kill(*(pthread_t *)arg, SIGUSR2);
	return NULL;
}

/* sigrestart: KVM_RUN interrupted by a signal whose handler has or lacks
 * SA_RESTART, in a guest loop and after a completed IN: the same results
 * natively and with the library. */
int sc_sigrestart(void)
{
	struct kt_vm g;
	struct sigaction sa;
	struct kvm_regs regs;
	pthread_t self = pthread_self(), t;
	char why[200];

	open_kvm(1);
	for (int restart = 0; restart < 2; restart++) {
		memset(&sa, 0, sizeof sa);
		sa.sa_handler = on_usr2;
		sa.sa_flags = restart ? SA_RESTART : 0;
		sigaction(SIGUSR2, &sa, NULL);
		guest_new(&g, code_in_spin, sizeof code_in_spin);
		/* interrupted at once: the IN is owed */
		if (run_to_in(g.vcpu, g.run, 0x99, why, sizeof why))
			die("%s", why);
		for (int k = 0; k < 2; k++) {
			int r, e;

			pthread_create(&t, NULL, signal_later, &self);
			r = ioctl(g.vcpu, KVM_RUN, 0);
			e = errno;
			pthread_join(t, NULL);
			printf("= %s, %s: KVM_RUN %d %s, exit %u, flags bit 15 %u\n",
			       restart ? "SA_RESTART" : "no SA_RESTART",
			       k ? "guest spinning" : "after an answered IN", r, tap_errname(r ? e : 0),
			       g.run->exit_reason, (g.run->flags & FLAG15) != 0);
		}
		if (ioctl(g.vcpu, KVM_GET_REGS, &regs) != 0)
			die("KVM_GET_REGS");
		printf("= %s: al %#llx rip %#llx\n", restart ? "SA_RESTART" : "no SA_RESTART",
		       (unsigned long long)(regs.rax & 0xff), (unsigned long long)regs.rip);
		guest_free(&g);
	}
	return 0;
}

/* ------------------------------------------------------------ 4. seccomp */

static atomic_long seccomp_nr = -1;
static atomic_int seccomp_done;
static int sec_fd;
static struct kvm_run *sec_run;
static char sec_why[256];
static int sec_bad = -1;

static void on_sigsys(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	atomic_store(&seccomp_nr, si->si_syscall);
	for (;;)
		syscall(SYS_futex, &seccomp_done, FUTEX_WAIT, 0, NULL, NULL, 0);
}

static void *seccomp_vcpu(void *arg)
{
#define ALLOW(nr) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (nr), 0, 1), BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		ALLOW(SYS_ioctl), ALLOW(SYS_rt_sigprocmask), ALLOW(SYS_futex),
		ALLOW(SYS_exit), ALLOW(SYS_exit_group),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP),
	};
	struct sock_fprog prog = { sizeof f / sizeof f[0], f };
	int rounds = *(int *)arg;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0) {
		snprintf(sec_why, sizeof sec_why, "cannot install the filter: errno %d", errno);
		sec_bad = 0;
	} else {
		for (int i = 0; i < rounds; i++) {
			unsigned char val = (unsigned char)(i * 7);

			/* snprintf only on failure, in this thread's own buffer: no system call */
			if (run_to_in(sec_fd, sec_run, val, sec_why, sizeof sec_why) ||
			    finish_round(sec_fd, sec_run, val, 1, sec_why, sizeof sec_why)) {
				sec_bad = i;
				break;
			}
		}
	}
	atomic_store(&seccomp_done, 1);
	/* park: thread exit would make system calls of the C library's own */
	for (;;)
		syscall(SYS_futex, &seccomp_done, FUTEX_WAIT, 1, NULL, NULL, 0);
	return NULL;
}

int sc_seccomp(void)
{
	struct kt_vm g;
	struct sigaction sa;
	pthread_t t;
	char why[200];
	int rounds = 1000;

#ifndef __x86_64__
	skip("the filter is written for x86_64");
#endif
	open_kvm(1);
	guest_new(&g, code_echo, sizeof code_echo);
	if (run_to_in(g.vcpu, g.run, 1, why, sizeof why) || finish_round(g.vcpu, g.run, 1, 1, why, sizeof why))
		die("warm-up: %s", why);
	sec_fd = g.vcpu;
	sec_run = g.run;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_sigsys;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGSYS, &sa, NULL);
	pthread_create(&t, NULL, seccomp_vcpu, &rounds);
	while (!atomic_load(&seccomp_done) && atomic_load(&seccomp_nr) < 0) {
		struct timespec ts = { 0, 1000000 };
		nanosleep(&ts, NULL);
	}
	if (atomic_load(&seccomp_nr) >= 0) {
		fail("the vCPU thread made system call %ld outside the filter (ioctl, rt_sigprocmask, futex, exit, exit_group)",
		     (long)atomic_load(&seccomp_nr));
		_exit(1);
	}
	if (sec_bad >= 0) {
		fail("under seccomp, round %d: %s", sec_bad, sec_why);
		_exit(1);
	}
	printf("= vCPU thread under seccomp (ioctl, rt_sigprocmask, futex, exit, exit_group): %d IN exits, KVM_GET_REGS at each, values right\n",
	       rounds);
	fflush(stdout);
	_exit(0); /* the vCPU thread is parked */
}

