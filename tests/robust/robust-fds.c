/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/robust, 1. fd lifecycles: exec with inherited fds, vCPU fds
 * passed over SCM_RIGHTS, raw closes and reused numbers, close_range and
 * closefrom over vCPUs at pending INs, thousands of VMs made and freed. */
#define _GNU_SOURCE
#include "config.h"
#include "robust.h"

/* ------------------------------------------------------------ 1. fds */

/* exec: a VMM at a pending IN execs itself with its /dev/kvm, VM and vCPU
 * fds inherited. */
int sc_exec(char **argv)
{
	struct kt_vm g;
	char why[200], a[3][16];

	open_kvm(0);
	guest_new(&g, code_echo, sizeof code_echo);
	if (echo_rounds(g.vcpu, g.run, 3, 1, "before exec"))
		return 1;
	if (run_to_in(g.vcpu, g.run, 0x5a, why, sizeof why)) {
		fail("before exec: %s", why);
		return 1;
	}
	no_cloexec(g.fd);
	no_cloexec(g.vcpu);
	snprintf(a[0], sizeof a[0], "%d", kvm);
	snprintf(a[1], sizeof a[1], "%d", g.fd);
	snprintf(a[2], sizeof a[2], "%d", g.vcpu);
	printf("exec with /dev/kvm %s, VM %s, vCPU %s at a pending IN answered 0x5a\n", a[0], a[1], a[2]);
	fflush(stdout);
	execl("/proc/self/exe", argv[0], "exec-child", a[0], a[1], a[2], (char *)NULL);
	die("execl");
}

int sc_exec_child(char **argv)
{
	int kfd = atoi(argv[2]), vm = atoi(argv[3]), vcpu = atoi(argv[4]), r, e;
	int fds0 = count_fds(), maps0 = count_vcpu_maps();
	struct kvm_regs regs;
	struct kt_vm g;

	r = ioctl(kfd, KVM_CHECK_EXTENSION, CAP_NC);
	printf("after exec: KVM_CHECK_EXTENSION(239) on inherited /dev/kvm: %d\n", r);
	if (r != (have_lib ? 1 : 0))
		fail("capability answer %d on the inherited /dev/kvm", r);
	r = ioctl(vcpu, KVM_GET_REGS, &regs);
	e = errno;
	printf("= after exec: KVM_GET_REGS on inherited vCPU: %d %s\n", r, tap_errname(r ? e : 0));
	if (r != -1 || e != EIO)
		fail("KVM_GET_REGS on the inherited vCPU: %d %s, the kernel answers EIO to another mm", r, tap_errname(e));
	r = ioctl(vcpu, KVM_RUN, 0);
	e = errno;
	printf("= after exec: KVM_RUN on inherited vCPU: %d %s\n", r, tap_errname(r ? e : 0));
	if (r != -1 || e != EIO)
		fail("KVM_RUN on the inherited vCPU: %d %s", r, tap_errname(e));
	r = ioctl(vm, KVM_CHECK_EXTENSION, KVM_CAP_NR_VCPUS);
	e = errno;
	printf("= after exec: KVM_CHECK_EXTENSION on inherited VM: %d %s\n", r, tap_errname(r < 0 ? e : 0));
	/* The new image can still use the inherited /dev/kvm. */
	kvm = kfd;
	r = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	run_size = (size_t)r;
	guest_new(&g, code_echo, sizeof code_echo);
	if (echo_rounds(g.vcpu, g.run, 100, 7, "new guest after exec"))
		return 1;
	guest_free(&g);
	close(vcpu);
	close(vm);
	printf("= after exec: a new guest on the inherited /dev/kvm: 100 IN/OUT rounds right\n");
	printf("= after exec, inherited VM and vCPU closed: fds %d -> %d, kvm-vcpu mappings %d -> %d\n",
	       fds0, count_fds(), maps0, count_vcpu_maps());
	if (count_fds() != fds0 - 2 || count_vcpu_maps() != maps0)
		fail("fds or kvm-vcpu mappings left over");
	return tap_failures != 0;
}

static int send_fd(int sock, int fd)
{
	char byte = 'f';
	struct iovec iov = { &byte, 1 };
	union { struct cmsghdr h; char buf[CMSG_SPACE(sizeof(int))]; } u;
	struct msghdr m = { 0 };
	struct cmsghdr *c;

	memset(&u, 0, sizeof u);
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	m.msg_control = u.buf;
	m.msg_controllen = sizeof u.buf;
	c = CMSG_FIRSTHDR(&m);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof fd);
	return sendmsg(sock, &m, 0) == 1 ? 0 : -1;
}

static int recv_fd(int sock)
{
	char byte;
	struct iovec iov = { &byte, 1 };
	union { struct cmsghdr h; char buf[CMSG_SPACE(sizeof(int))]; } u;
	struct msghdr m = { 0 };
	struct cmsghdr *c;
	int fd;

	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	m.msg_control = u.buf;
	m.msg_controllen = sizeof u.buf;
	if (recvmsg(sock, &m, MSG_CMSG_CLOEXEC) != 1)
		return -1;
	c = CMSG_FIRSTHDR(&m);
	if (!c || c->cmsg_type != SCM_RIGHTS)
		return -1;
	memcpy(&fd, CMSG_DATA(c), sizeof fd);
	return fd;
}

static int sv[2];

static void *scm_receiver(void *arg)
{
	int fd = recv_fd(sv[1]);
	struct kvm_run *run;

	(void)arg;
	if (fd < 0)
		die("recv_fd");
	run = map_run(fd);
	printf("thread received the vCPU as fd %d\n", fd);
	echo_rounds(fd, run, 200, 0x20, "received vCPU fd");
	munmap(run, run_size);
	close(fd);
	return NULL;
}

/* scm-thread: the vCPU travels over SCM_RIGHTS to another thread of the
 * process, which runs it (IN exits, completions) on the fd it received. */
int sc_scm_thread(void)
{
	struct kt_vm g;
	pthread_t t;

	open_kvm(1);
	guest_new(&g, code_echo, sizeof code_echo);
	if (echo_rounds(g.vcpu, g.run, 2, 1, "sender"))
		return 1;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		die("socketpair");
	pthread_create(&t, NULL, scm_receiver, NULL);
	if (send_fd(sv[0], g.vcpu) < 0)
		die("send_fd");
	pthread_join(t, NULL);
	if (!tap_failures && echo_rounds(g.vcpu, g.run, 20, 0x40, "sender after the receiver closed its fd"))
		return 1;
	if (!tap_failures)
		printf("= 200 rounds on the received fd and 20 on the original: every value right\n");
	guest_free(&g);
	return tap_failures != 0;
}

/* scm-second-fd: the exit is taken on the VMM's fd, the state read on the
 * same vCPU through a second fd received over SCM_RIGHTS. */
int sc_scm_second_fd(void)
{
	struct kt_vm g;
	struct kvm_regs regs;
	char why[200];
	int fd2;

	open_kvm(1);
	guest_new(&g, code_echo, sizeof code_echo);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		die("socketpair");
	if (send_fd(sv[0], g.vcpu) < 0 || (fd2 = recv_fd(sv[1])) < 0)
		die("SCM_RIGHTS");
	if (run_to_in(g.vcpu, g.run, 0x77, why, sizeof why)) {
		fail("%s", why);
		return 1;
	}
	if (ioctl(fd2, KVM_GET_REGS, &regs) < 0)
		die("KVM_GET_REGS on the received fd");
	printf("KVM_GET_REGS on received fd %d at the pending IN of fd %d: al %#llx rip %#llx\n",
	       fd2, g.vcpu, (unsigned long long)(regs.rax & 0xff), (unsigned long long)regs.rip);
	if (have_lib && ((regs.rax & 0xff) != 0x77 || regs.rip != 0x1002))
		fail("state read through the received fd is mid-IN (al %#llx, rip %#llx): not completed",
		     (unsigned long long)(regs.rax & 0xff), (unsigned long long)regs.rip);
	if (finish_round(g.vcpu, g.run, 0x77, 0, why, sizeof why))
		fail("%s", why);
	else
		printf("= guest echoed 0x77 once\n");
	close(fd2);
	guest_free(&g);
	return tap_failures != 0;
}

/* scm-process: the vCPU fd sent to another process: the kernel refuses it
 * there (another mm); the owner keeps running it. */
int sc_scm_process(void)
{
	struct kt_vm g;
	int st, r;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		die("socketpair");
	open_kvm(1);
	pid = fork();
	if (pid == 0) {
		struct kvm_regs regs;
		int fd = recv_fd(sv[1]), e1, e2, r1, r2;

		r1 = ioctl(fd, KVM_GET_REGS, &regs);
		e1 = errno;
		r2 = ioctl(fd, KVM_RUN, 0);
		e2 = errno;
		printf("= other process, received vCPU fd: KVM_GET_REGS %d %s, KVM_RUN %d %s\n",
		       r1, tap_errname(r1 ? e1 : 0), r2, tap_errname(r2 ? e2 : 0));
		fflush(stdout);
		(void)!write(sv[1], "d", 1);
		_exit(r1 == -1 && e1 == EIO && r2 == -1 && e2 == EIO ? 0 : 1);
	}
	guest_new(&g, code_echo, sizeof code_echo);
	{
		char why[200], c;

		if (run_to_in(g.vcpu, g.run, 0x33, why, sizeof why))
			fail("%s", why);
		if (send_fd(sv[0], g.vcpu) < 0)
			die("send_fd");
		if (read(sv[0], &c, 1) != 1)
			die("read");
		if (finish_round(g.vcpu, g.run, 0x33, 1, why, sizeof why))
			fail("owner after the other process used the fd: %s", why);
	}
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		fail("the other process did not get EIO for both (status %#x)", st);
	r = echo_rounds(g.vcpu, g.run, 50, 3, "owner");
	if (!r && !tap_failures)
		printf("= owner: pending IN and 50 more rounds right\n");
	guest_free(&g);
	return tap_failures != 0;
}

/* rawclose MODE: a vCPU fd at a pending IN closed by syscall(SYS_close),
 * behind the library's back; its number then reused by a pipe (pipe), by
 * a new vCPU (vcpu), or by a pipe then a vCPU (pipe-vcpu), or by a vCPU
 * fd received over SCM_RIGHTS (scm: a limit the README states). */
int sc_rawclose(const char *mode)
{
	struct kt_vm a, b;
	struct kvm_run *b_run = NULL;
	int num, p[2], r, e, sock[2] = { -1, -1 }, bfd = -1;
	struct kvm_regs regs;
	char why[200];

	open_kvm(1);
	guest_new(&a, code_echo, sizeof code_echo);
	if (echo_rounds(a.vcpu, a.run, 2, 1, "vCPU A"))
		return 1;
	if (run_to_in(a.vcpu, a.run, 0x41, why, sizeof why)) {
		fail("A: %s", why);
		return 1;
	}
	num = a.vcpu;
	if (strcmp(mode, "scm") == 0) {
		/* B made now, sent to ourselves; its own number closed normally */
		vm_new(&b, code_echo, sizeof code_echo);
		bfd = vcpu_new(&b, 0, NULL);
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sock) < 0 || send_fd(sock[0], bfd) < 0)
			die("SCM_RIGHTS");
		close(bfd);
	} else if (strcmp(mode, "vcpu") == 0 || strcmp(mode, "pipe-vcpu") == 0) {
		vm_new(&b, code_echo, sizeof code_echo); /* B's VM first: B's vCPU takes A's number */
	}
	if (syscall(SYS_close, num) != 0)
		die("raw close");
	printf("vCPU A (fd %d) closed by a raw close at a pending IN answered 0x41\n", num);

	if (strncmp(mode, "pipe", 4) == 0) {
		char buf[8];
		int avail = -1;

		if (pipe(p) < 0)
			die("pipe");
		if (p[0] != num)
			die("pipe got %d, not %d", p[0], num);
		r = ioctl(num, KVM_GET_REGS, &regs);
		e = errno;
		printf("= pipe at fd %d: KVM_GET_REGS %d %s\n", num, r, tap_errname(r ? e : 0));
		if (r != -1 || e != ENOTTY)
			fail("KVM_GET_REGS on the pipe: %d %s", r, tap_errname(e));
		r = ioctl(num, KVM_RUN, 0);
		e = errno;
		printf("= pipe at fd %d: KVM_RUN %d %s\n", num, r, tap_errname(r ? e : 0));
		if (r != -1 || e != ENOTTY)
			fail("KVM_RUN on the pipe: %d %s", r, tap_errname(e));
		(void)!write(p[1], "abc", 3);
		if (ioctl(num, FIONREAD, &avail) != 0 || avail != 3 || read(num, buf, 3) != 3 ||
		    memcmp(buf, "abc", 3) != 0)
			fail("the pipe at fd %d does not work (FIONREAD %d)", num, avail);
		else
			printf("= pipe at fd %d: FIONREAD 3, read back\n", num);
		if (strcmp(mode, "pipe-vcpu") == 0) {
			if (syscall(SYS_close, num) != 0)
				die("raw close of the pipe");
		} else {
			close(num);
		}
		close(p[1]);
	}
	if (strcmp(mode, "vcpu") == 0 || strcmp(mode, "pipe-vcpu") == 0) {
		bfd = vcpu_new(&b, 0, &b_run);
		if (bfd != num)
			die("vCPU B got %d, not %d", bfd, num);
	} else if (strcmp(mode, "scm") == 0) {
		bfd = recv_fd(sock[1]);
		if (bfd != num)
			die("received vCPU B as %d, not %d", bfd, num);
		b_run = map_run(bfd);
	}
	if (bfd >= 0) {
		printf("vCPU B of another VM now at fd %d\n", bfd);
		if (echo_rounds(bfd, b_run, 100, 0x60, "vCPU B at the reused number") == 0)
			printf("= vCPU B: 100 IN/OUT rounds with KVM_GET_REGS at each IN: every value right\n");
		if (!(b_run->flags & FLAG15) && have_lib)
			fail("vCPU B's kvm_run lacks the flag at an OUT exit (flags %#x)", b_run->flags);
	}
	/* Nothing was done to A by B: its kvm_run still shows the IN,
	 * answered. A pipe at A's number is different: the library cannot see
	 * a raw close without a system call of its own, so the first state
	 * request there completes A's pending IN (owed anyway, with the
	 * answer the VMM gave) through the library's private descriptor; the
	 * kernel's ENOTTY then makes it forget the stale entry (README,
	 * Limits). A's guest never runs and is completed at most once. */
	if (strncmp(mode, "pipe", 4) == 0 && have_lib) {
		printf("vCPU A's kvm_run: exit %u, data %#x, immediate_exit %u\n", a.run->exit_reason,
		       *io_data(a.run), a.run->immediate_exit);
		if ((a.run->exit_reason != KVM_EXIT_IO && a.run->exit_reason != KVM_EXIT_INTR) ||
		    *io_data(a.run) != 0x41 || a.run->immediate_exit)
			fail("vCPU A was changed beyond one completion (exit %u, data %#x)",
			     a.run->exit_reason, *io_data(a.run));
		return tap_failures != 0;
	}
	printf("%svCPU A's kvm_run: exit %u, data %#x, immediate_exit %u\n",
	       strncmp(mode, "pipe", 4) == 0 ? "" : "= ", a.run->exit_reason,
	       *io_data(a.run), a.run->immediate_exit);
	if (a.run->exit_reason != KVM_EXIT_IO || *io_data(a.run) != 0x41 || a.run->immediate_exit)
		fail("vCPU A was touched after its fd number was reused (exit %u, data %#x)",
		     a.run->exit_reason, *io_data(a.run));
	return tap_failures != 0;
}

/* closerange MODE: three vCPUs at pending INs closed by close_range
 * (range: first to last vCPU fd, max: last ~0U, unshare:
 * CLOSE_RANGE_UNSHARE), closefrom, or marked by CLOSE_RANGE_CLOEXEC
 * (cloexec: they keep working); the numbers then reused by pipes. above:
 * closefrom just above a vCPU fd that stays open, then new fds opened. */
int sc_closerange(const char *mode)
{
	struct kt_vm g;
	struct kvm_run *runs[3];
	int fds[3], maps0, p[4][2], r, e, expect = 0, now;
	unsigned char before[1024], after[1024];
	struct kvm_regs regs;
	char why[200];

	open_kvm(1);
	fd_set_now(before);
	maps0 = count_vcpu_maps();
	vm_new(&g, code_echo, sizeof code_echo);
	for (int i = 0; i < 3; i++) {
		fds[i] = vcpu_new(&g, i, &runs[i]);
		if (run_to_in(fds[i], runs[i], (unsigned char)(0x50 + i), why, sizeof why))
			fail("vCPU %d: %s", i, why);
	}
	if (strcmp(mode, "cloexec") == 0 || strcmp(mode, "above") == 0) {
		if (strcmp(mode, "above") == 0) {
#ifdef HAVE_CLOSEFROM
			closefrom(fds[2] + 1);
#endif
			/* the VMM goes on opening fds */
			for (int i = 0; i < 4; i++)
				if (pipe(p[i]) < 0)
					die("pipe");
		} else {
#ifdef HAVE_CLOSE_RANGE
			if (close_range((unsigned)fds[0], (unsigned)fds[2], CLOSE_RANGE_CLOEXEC) != 0)
				die("close_range");
#endif
		}
		for (int i = 0; i < 3; i++) {
			if (finish_round(fds[i], runs[i], (unsigned char)(0x50 + i), 1, why, sizeof why))
				fail("vCPU %d after %s: %s", i, mode, why);
			echo_rounds(fds[i], runs[i], 20, 0x70, mode);
		}
		if (!tap_failures)
			printf("= %s: the three vCPUs keep working, IN completed at KVM_GET_REGS\n", mode);
		if (strcmp(mode, "above") == 0) {
			for (int i = 0; i < 3; i++) {
				munmap(runs[i], run_size);
				close(fds[i]);
			}
			for (int i = 0; i < 4; i++) {
				int fl0 = fcntl(p[i][0], F_GETFD), fl1 = fcntl(p[i][1], F_GETFD);

				if (fl0 < 0 || fl1 < 0)
					fail("pipe %d/%d opened after closefrom was closed by someone else when the vCPUs were closed",
					     p[i][0], p[i][1]);
			}
			if (!tap_failures)
				printf("= the VMM's fds opened after closefrom are still open after closing the vCPUs\n");
		}
		return tap_failures != 0;
	}
#ifdef HAVE_CLOSE_RANGE
	if (strcmp(mode, "range") == 0)
		r = close_range((unsigned)fds[0], (unsigned)fds[2], 0);
	else if (strcmp(mode, "max") == 0)
		r = close_range((unsigned)fds[0], ~0u, 0);
	else if (strcmp(mode, "unshare") == 0)
		r = close_range((unsigned)fds[0], (unsigned)fds[2], CLOSE_RANGE_UNSHARE);
	else
#endif
#ifdef HAVE_CLOSEFROM
	if (strcmp(mode, "closefrom") == 0)
		closefrom(fds[0]), r = 0;
	else
#endif
		die("unknown or unsupported mode %s", mode);
	if (r != 0)
		die("close_range");
	r = ioctl(fds[0], KVM_GET_REGS, &regs);
	e = errno;
	printf("= after %s: KVM_GET_REGS on closed vCPU fd: %d %s\n", mode, r, tap_errname(r ? e : 0));
	if (r != -1 || e != EBADF)
		fail("KVM_GET_REGS on a closed vCPU fd: %d %s", r, tap_errname(e));
	for (int i = 0; i < 4; i++)
		if (pipe(p[i]) < 0)
			die("pipe");
	for (int i = 0; i < 3; i++) {
		r = ioctl(fds[i], KVM_GET_REGS, &regs);
		e = errno;
		if (r != -1 || e != ENOTTY)
			fail("KVM_GET_REGS on fd %d (a pipe now): %d %s", fds[i], r, tap_errname(e));
		r = ioctl(fds[i], KVM_RUN, 0);
		e = errno;
		if (r != -1 || e != ENOTTY)
			fail("KVM_RUN on fd %d (a pipe now): %d %s", fds[i], r, tap_errname(e));
	}
	printf("= pipes at the closed numbers: KVM ioctls answer ENOTTY\n");
	for (int i = 0; i < 3; i++) {
		if (runs[i]->exit_reason != KVM_EXIT_IO || *io_data(runs[i]) != 0x50 + i)
			fail("vCPU %d's kvm_run changed after close (exit %u)", i, runs[i]->exit_reason);
		munmap(runs[i], run_size);
	}
	for (int i = 0; i < 4; i++)
		close(p[i][0]), close(p[i][1]);
	if (fcntl(g.fd, F_GETFD) >= 0)
		close(g.fd);
	munmap(g.mem, MEM);
	/* Whatever was open before and below the range is still open; nothing else. */
	fd_set_now(after);
	for (int i = 0; i < 1024; i++) {
		int kept = i < fds[0] || ((strcmp(mode, "range") == 0 || strcmp(mode, "unshare") == 0) && i > fds[2]);

		expect += before[i] && kept;
		if (after[i] && !(before[i] && kept))
			fail("fd %d left open", i);
		if (!after[i] && before[i] && kept)
			fail("fd %d closed", i);
	}
	now = count_fds();
	printf("fds left %d (expected %d), kvm-vcpu mappings %d -> %d\n", now, expect, maps0, count_vcpu_maps());
	if (count_vcpu_maps() != maps0)
		fail("kvm-vcpu mappings left over");
	return tap_failures != 0;
}

/* loop N: N VMs, each with a vCPU (two every fourth time) that takes an IN
 * exit and a completion, closed in varied ways; then the process has the
 * same fds and kvm-vcpu mappings as before. */
int sc_loop(int n)
{
	int fds0, maps0, fds1, maps1;
	char why[200];

	open_kvm(1);
	fds0 = count_fds();
	maps0 = count_vcpu_maps();
	for (int i = 0; i < n; i++) {
		struct kt_vm g;
		int extra = -1, d;

		guest_new(&g, code_echo, sizeof code_echo);
		if (i % 4 == 3)
			extra = vcpu_new(&g, 1, NULL);
		if (run_to_in(g.vcpu, g.run, (unsigned char)i, why, sizeof why) ||
		    finish_round(g.vcpu, g.run, (unsigned char)i, 1, why, sizeof why)) {
			fail("VM %d: %s", i, why);
			return 1;
		}
		/* leave an IN pending on the way out half the time */
		if (i % 2 && run_to_in(g.vcpu, g.run, 1, why, sizeof why)) {
			fail("VM %d: %s", i, why);
			return 1;
		}
		munmap(g.run, run_size);
		g.run = NULL;
		switch (i % 4) {
		case 0:
			guest_free(&g);
			break;
		case 1: /* a dup, closed first */
			d = dup(g.vcpu);
			close(g.vcpu);
			close(d);
			g.vcpu = -1;
			guest_free(&g);
			break;
		case 2: /* the VM first, then the vCPU */
			close(g.fd);
			close(g.vcpu);
			munmap(g.mem, MEM);
			break;
		case 3:
#ifdef HAVE_CLOSE_RANGE
			close_range((unsigned)g.fd, (unsigned)(extra > g.vcpu ? extra : g.vcpu), 0);
#else
			close(g.fd), close(g.vcpu), close(extra);
#endif
			munmap(g.mem, MEM);
			break;
		}
	}
	fds1 = count_fds();
	maps1 = count_vcpu_maps();
	printf("= %d VMs: fds %d -> %d, kvm-vcpu mappings %d -> %d\n", n, fds0, fds1, maps0, maps1);
	if (fds1 != fds0 || maps1 != maps0)
		fail("leak after %d VMs", n);
	return tap_failures != 0;
}

