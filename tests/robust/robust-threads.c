/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/robust, 2. threads: vCPU threads running at once, close() of a
 * vCPU fd racing its exits and completions. */
#define _GNU_SOURCE
#include "config.h"
#include "robust.h"

/* ------------------------------------------------------------ 2. threads */

struct vthread {
	pthread_t t;
	int fd, id;
	struct kvm_run *run;
	char why[200];
	int bad;
};

static void *vcpu_loop(void *arg)
{
	struct vthread *v = arg;

	for (int i = 0; i < 300; i++) {
		unsigned char val = (unsigned char)(v->id * 31 + i);

		if (run_to_in(v->fd, v->run, val, v->why, sizeof v->why) ||
		    finish_round(v->fd, v->run, val, 1, v->why, sizeof v->why)) {
			v->bad = i + 1;
			break;
		}
	}
	return NULL;
}

int sc_threads(void)
{
	struct kt_vm g;
	struct vthread *v;
	int nr, max, n;

	open_kvm(1);
	nr = ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_NR_VCPUS);
	max = ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS);
	n = max > 64 ? 64 : max;
	if (n < 1)
		n = 1;
	printf("KVM_CAP_NR_VCPUS %d, KVM_CAP_MAX_VCPUS %d: %d vCPU threads in one VM, 300 rounds each\n",
	       nr, max, n);
	v = calloc((size_t)n, sizeof *v);
	vm_new(&g, code_echo, sizeof code_echo);
	for (int i = 0; i < n; i++) {
		v[i].id = i;
		v[i].fd = vcpu_new(&g, i, &v[i].run);
	}
	for (int i = 0; i < n; i++)
		pthread_create(&v[i].t, NULL, vcpu_loop, &v[i]);
	for (int i = 0; i < n; i++) {
		pthread_join(v[i].t, NULL);
		if (v[i].bad)
			fail("vCPU %d, round %d: %s", i, v[i].bad - 1, v[i].why);
	}
	if (!tap_failures)
		printf("= %d threads: every IN value completed and echoed once\n", n);
	return tap_failures != 0;
}

static atomic_int race_fd;

static void *closer(void *arg)
{
	unsigned delay = *(unsigned *)arg;
	struct timespec ts = { 0, (long)delay * 1000 };

	nanosleep(&ts, NULL);
	close(atomic_load(&race_fd));
	return NULL;
}

/* close-race: close() of a vCPU fd from another thread while the vCPU
 * thread loops on IN exits with a completion at each. */
int sc_close_race(void)
{
	unsigned seed = 1;
	int errors[4] = { 0 }, ok_rounds = 0, fds0, maps0;

	open_kvm(1);
	fds0 = count_fds();
	maps0 = count_vcpu_maps();
	for (int it = 0; it < 150; it++) {
		struct kt_vm g;
		pthread_t t;
		unsigned delay = (seed = seed * 1103515245 + 12345) % 3000;

		guest_new(&g, code_echo, sizeof code_echo);
		atomic_store(&race_fd, g.vcpu);
		pthread_create(&t, NULL, closer, &delay);
		for (int i = 0;; i++) {
			struct kvm_regs regs;
			int r = ioctl(g.vcpu, KVM_RUN, 0);

			if (r == 0 && is_io(g.run, KVM_EXIT_IO_IN, PORT_IN)) {
				*io_data(g.run) = (unsigned char)i;
				r = ioctl(g.vcpu, KVM_GET_REGS, &regs);
				if (r == 0 && !getregs_as_expected(&regs, (unsigned char)i))
					fail("iteration %d: KVM_GET_REGS at the IN answered %#x: rip %#llx al %#llx", it,
					     (unsigned char)i, (unsigned long long)regs.rip,
					     (unsigned long long)(regs.rax & 0xff));
			} else if (r == 0 && is_io(g.run, KVM_EXIT_IO_OUT, PORT_OUT)) {
				if (*io_data(g.run) != (unsigned char)(i - 1))
					fail("iteration %d: echoed %#x, expected %#x", it, *io_data(g.run), (unsigned char)(i - 1));
				ok_rounds++;
			} else if (r == 0) {
				fail("iteration %d: exit %u", it, g.run->exit_reason);
			}
			if (r != 0) {
				errors[errno == EBADF ? 0 : 1]++;
				if (errno != EBADF)
					fail("iteration %d: %s", it, tap_errname(errno));
				break;
			}
		}
		pthread_join(t, NULL);
		g.vcpu = -1;
		guest_free(&g);
	}
	printf("= 150 closes racing the vCPU thread: every loop ended with EBADF (%d), no other error (%d)\n",
	       errors[0], errors[1]);
	printf("%d IN/OUT rounds right before the closes\n", ok_rounds);
	printf("= afterwards: fds %d -> %d, kvm-vcpu mappings %d -> %d\n", fds0, count_fds(), maps0, count_vcpu_maps());
	if (count_fds() != fds0 || count_vcpu_maps() != maps0)
		fail("a closed vCPU fd left an fd or a kvm_run mapping behind");
	return tap_failures != 0;
}

