/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A signal storm on a vCPU thread whose handler reads the vCPU's registers,
 * while the thread loops on IN/OUT exits and reads registers after
 * answering each IN (so the library's completions and the handler's
 * interleave, also inside each other). Checks that the VMM never hangs and
 * that every IN value reaches the guest exactly once, in order (the guest
 * echoes it with OUT). The handler samples registers at any moment, also
 * between an exit and its answer, as a profiler or watchdog would: a read
 * at an unanswered IN must leave it pending (answer-aware completion;
 * before, the library finished the IN there with a stale byte and the
 * handler had to wait for the answer). Exit 0 pass, 1 fail, 77 no KVM. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/kvm.h>

#include "../common/tap.h"
#include "../common/vm.h"

#define ROUNDS 20000

static int vcpu;
static pthread_t vcpu_thread;
static atomic_long progress, handled;
static atomic_int stop;

static void on_signal(int sig)
{
	struct kvm_regs regs;
	int saved_errno = errno;

	(void)sig;
	ioctl(vcpu, KVM_GET_REGS, &regs);
	handled++;
	errno = saved_errno;
}

static void *storm(void *arg)
{
	(void)arg;
	while (!stop) {
		pthread_kill(vcpu_thread, SIGUSR1);
		for (volatile int i = 0; i < 20000; i++)
			;
	}
	return NULL;
}

static void *watchdog(void *arg)
{
	long last = -1;

	(void)arg;
	for (;;) {
		sleep(5);
		if (progress == last) {
			fprintf(stderr, "sigstorm: HANG after %ld rounds (%ld handler calls)\n",
				last, (long)handled);
			_exit(1);
		}
		last = progress;
	}
	return NULL;
}

int main(void)
{
	/* in al,0x10; out 0x11,al; jmp back */
	static const unsigned char code[] = { 0xe4, 0x10, 0xe6, 0x11, 0xeb, 0xfa };
	struct sigaction sa;
	struct kvm_regs regs;
	struct kvm_run *run;
	struct kt_vm m;
	pthread_t t[2];
	unsigned char next = 0, answered = 0;
	int kvm, r, outs = 0;

	tap_prog = "sigstorm";
	kvm = kt_open(1);
	if (kvm < 0)
		skip("cannot open /dev/kvm: %s", strerror(errno));
	if (kt_vm_create(&m, kvm, 0, 0x10000, KT_MEM_SHARED) < 0 || kt_load(&m, 0x1000, code, sizeof code) < 0 ||
	    kt_x86_real(m.vcpu, 0x1000, 0) < 0)
		skip("/dev/kvm cannot create a guest (%s)", kt_why);
	vcpu = m.vcpu;
	run = m.run;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal; /* no SA_RESTART: KVM_RUN sees EINTR */
	sigaction(SIGUSR1, &sa, NULL);
	vcpu_thread = pthread_self();
	pthread_create(&t[0], NULL, storm, NULL);
	pthread_create(&t[1], NULL, watchdog, NULL);

	while (outs < ROUNDS) {
		r = ioctl(vcpu, KVM_RUN, 0);
		progress++;
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 || run->exit_reason != KVM_EXIT_IO) {
			fail("KVM_RUN %d errno %d exit %s", r, errno, kt_exit_desc(run));
			return tap_status();
		}
		unsigned char *data = (unsigned char *)run + run->io.data_offset;
		if (run->io.direction == KVM_EXIT_IO_IN) {
			/* 0xe7 is the marker of an x86 IN's cleared data: after a
			 * read before the answer (the handler's), such an answer
			 * cannot be told from none (doc/interface.md, "The marker") */
			if (next == 0xe7)
				next++;
			answered = *data = next++;
			ioctl(vcpu, KVM_GET_REGS, &regs); /* completes, with the shim */
		} else {
			if (*data != answered) {
				fail("round %d: guest echoed %#x, answered %#x", outs, *data, answered);
				return tap_status();
			}
			outs++;
		}
	}
	stop = 1;
	pthread_join(t[0], NULL);
	printf("sigstorm: %d rounds, %ld signals handled, every value once and in order\n",
	       outs, (long)handled);
	return 0;
}
