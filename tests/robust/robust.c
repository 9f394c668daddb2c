/* Robustness scenarios on real KVM (tests/robust.test): fd lifecycles,
 * threads, signals, seccomp and hostile input, each checking what a VMM
 * would observe: the guest's values, flags, errno, fd counts and kvm_run
 * mappings. One binary, one scenario per subcommand; it knows whether
 * libkvmcompl is loaded (dlsym of kvmcompl_version) and checks the
 * library's promises only then. Exit 0 pass, 1 fail, 77 cannot run a
 * guest here. Output is what the scenario observed; lines starting with
 * "=" are meant to be identical natively and with the library. */
#define _GNU_SOURCE
#include "config.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/futex.h>
#include <linux/kvm.h>
#include <linux/seccomp.h>
#include <sys/auxv.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#define FLAG15 (1u << 15)
#define CAP_NC 239
#define PORT_IN 0x10
#define PORT_OUT 0x11
#define MEM 0x10000

/* Real-mode guests, loaded at 0x1000. */
static const unsigned char code_echo[] = { 0xe4, 0x10, 0xe6, 0x11, 0xeb, 0xfa }; /* in al,0x10; out 0x11,al; jmp */
static const unsigned char code_hlt[] = { 0xf4, 0xeb, 0xfd };                   /* hlt; jmp hlt */
static const unsigned char code_in_spin[] = { 0xe4, 0x10, 0xeb, 0xfe };         /* in al,0x10; jmp $ */

static int have_lib;
static int kvm = -1;
static size_t run_size;
static int failures;

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("FAIL: ", stdout);
	vprintf(fmt, ap);
	putchar('\n');
	fflush(stdout);
	va_end(ap);
	failures++;
}

static void die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("ERROR: ", stdout);
	vprintf(fmt, ap);
	printf(" (errno %d %s)\n", errno, strerror(errno));
	va_end(ap);
	fflush(stdout);
	_exit(99);
}

static const char *ename(int e)
{
	switch (e) {
	case 0: return "0";
	case EBADF: return "EBADF";
	case EINTR: return "EINTR";
	case EIO: return "EIO";
	case ENOTTY: return "ENOTTY";
	case EINVAL: return "EINVAL";
	case EFAULT: return "EFAULT";
	case EPERM: return "EPERM";
	default: return strerror(e);
	}
}

struct guest {
	int vm, vcpu;
	struct kvm_run *run;
	unsigned char *mem;
};

static void open_kvm(int cloexec)
{
	int n;

	kvm = open("/dev/kvm", O_RDWR | (cloexec ? O_CLOEXEC : 0));
	if (kvm < 0) {
		printf("SKIP: cannot open /dev/kvm: %s\n", strerror(errno));
		exit(77);
	}
	n = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (n <= 0)
		die("KVM_GET_VCPU_MMAP_SIZE");
	run_size = (size_t)n;
}

static struct kvm_run *map_run(int fd)
{
	struct kvm_run *r = mmap(NULL, run_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	if (r == MAP_FAILED)
		die("mmap kvm_run of fd %d", fd);
	return r;
}

static void vm_new(struct guest *g, const unsigned char *code, size_t len)
{
	struct kvm_userspace_memory_region region = { 0 };

	g->vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (g->vm < 0)
		die("KVM_CREATE_VM");
	g->mem = mmap(NULL, MEM, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (g->mem == MAP_FAILED)
		die("mmap guest memory");
	memcpy(g->mem + 0x1000, code, len);
	region.memory_size = MEM;
	region.userspace_addr = (unsigned long)g->mem;
	if (ioctl(g->vm, KVM_SET_USER_MEMORY_REGION, &region) < 0)
		die("KVM_SET_USER_MEMORY_REGION");
}

static void vcpu_reset(int fd)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs;

	if (ioctl(fd, KVM_GET_SREGS, &sregs) < 0)
		die("KVM_GET_SREGS");
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	if (ioctl(fd, KVM_SET_SREGS, &sregs) < 0)
		die("KVM_SET_SREGS");
	memset(&regs, 0, sizeof regs);
	regs.rip = 0x1000;
	regs.rflags = 2;
	if (ioctl(fd, KVM_SET_REGS, &regs) < 0)
		die("KVM_SET_REGS");
}

/* A vCPU of g's VM, set up to run the guest from 0x1000; run mapped. */
static int vcpu_new(struct guest *g, int id, struct kvm_run **run)
{
	int fd = ioctl(g->vm, KVM_CREATE_VCPU, id);

	if (fd < 0)
		die("KVM_CREATE_VCPU %d", id);
	vcpu_reset(fd);
	if (run)
		*run = map_run(fd);
	return fd;
}

static void guest_new(struct guest *g, const unsigned char *code, size_t len)
{
	vm_new(g, code, len);
	g->vcpu = vcpu_new(g, 0, &g->run);
}

static void guest_free(struct guest *g)
{
	if (g->run)
		munmap(g->run, run_size);
	if (g->vcpu >= 0)
		close(g->vcpu);
	close(g->vm);
	munmap(g->mem, MEM);
	g->run = NULL;
}

static int probe_guest(void)
{
	struct guest g;
	int r;

	guest_new(&g, code_hlt, sizeof code_hlt);
	r = ioctl(g.vcpu, KVM_RUN, 0);
	if (r != 0 || g.run->exit_reason != KVM_EXIT_HLT) {
		printf("SKIP: /dev/kvm cannot run a guest (KVM_RUN %d, errno %d, exit %u)\n",
		       r, errno, g.run->exit_reason);
		exit(77);
	}
	guest_free(&g);
	return 0;
}

static unsigned char *io_data(struct kvm_run *run)
{
	return (unsigned char *)run + run->io.data_offset;
}

static int is_io(struct kvm_run *run, int dir, int port)
{
	return run->exit_reason == KVM_EXIT_IO && run->io.direction == dir && run->io.port == port;
}

/* Run to the guest's IN and answer it with val; the exit stays pending. */
static int run_to_in(int fd, struct kvm_run *run, unsigned char val, char *why, size_t n)
{
	int r = ioctl(fd, KVM_RUN, 0);

	if (r != 0 || !is_io(run, KVM_EXIT_IO_IN, PORT_IN)) {
		snprintf(why, n, "KVM_RUN %d (%s), exit %u, expected IN 0x10", r, ename(r ? errno : 0),
			 run->exit_reason);
		return -1;
	}
	if (have_lib && !(run->flags & FLAG15)) {
		snprintf(why, n, "IN exit without KVM_RUN_NEEDS_COMPLETION (flags %#x)", run->flags);
		return -1;
	}
	*io_data(run) = val;
	return 0;
}

/* What KVM_GET_REGS must see at an IN answered with val, with the library.
 * The kernel clears an IN's data before the exit (x86.c
 * emulator_pio_in_out), so an answer of 0 leaves the I/O data as it was:
 * the library cannot tell it from no answer (the selftests' ucall) and
 * leaves the IN to the kernel, as natively (doc/interface.md, answer-aware
 * completion): still pending, RIP at the IN. Any other answer: completed. */
static int getregs_as_expected(const struct kvm_regs *regs, unsigned char val)
{
	if (!have_lib)
		return 1;
	if (val == 0)
		return regs->rip == 0x1000;
	return (regs->rax & 0xff) == val && regs->rip == 0x1002;
}

/* After run_to_in: optionally read the registers at the pending IN (the
 * library completes there: RAX holds the value, unless it is 0), then run
 * to the OUT that echoes it. */
static int finish_round(int fd, struct kvm_run *run, unsigned char val, int getregs,
			char *why, size_t n)
{
	struct kvm_regs regs;
	int r;

	if (getregs) {
		if (ioctl(fd, KVM_GET_REGS, &regs) < 0) {
			snprintf(why, n, "KVM_GET_REGS at the pending IN: %s", ename(errno));
			return -1;
		}
		if (!getregs_as_expected(&regs, val)) {
			snprintf(why, n, "KVM_GET_REGS at the pending IN answered %#x: al %#llx rip %#llx, expected %s",
				 val, (unsigned long long)(regs.rax & 0xff), (unsigned long long)regs.rip,
				 val ? "al = the answer, rip 0x1002 (completed)" : "rip 0x1000 (0 is no answer: left pending)");
			return -1;
		}
	}
	r = ioctl(fd, KVM_RUN, 0);
	if (r != 0 || !is_io(run, KVM_EXIT_IO_OUT, PORT_OUT)) {
		snprintf(why, n, "KVM_RUN %d (%s), exit %u, expected OUT 0x11", r, ename(r ? errno : 0),
			 run->exit_reason);
		return -1;
	}
	if (*io_data(run) != val) {
		snprintf(why, n, "guest echoed %#x, answered %#x", *io_data(run), val);
		return -1;
	}
	return 0;
}

static int echo_rounds(int fd, struct kvm_run *run, int rounds, unsigned char base, const char *what)
{
	char why[200];

	for (int i = 0; i < rounds; i++) {
		unsigned char val = (unsigned char)(base + i);

		if (run_to_in(fd, run, val, why, sizeof why) || finish_round(fd, run, val, 1, why, sizeof why)) {
			fail("%s: round %d: %s", what, i, why);
			return -1;
		}
	}
	return 0;
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (!d)
		die("opendir /proc/self/fd");
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n - 1; /* the directory's own fd */
}

static int count_vcpu_maps(void)
{
	FILE *f = fopen("/proc/self/maps", "re");
	char line[512];
	int n = 0;

	if (!f)
		die("fopen /proc/self/maps");
	while (fgets(line, sizeof line, f))
		n += strstr(line, "kvm-vcpu") != NULL;
	fclose(f);
	return n;
}

/* The open fds, as a bitmap of the first 1024 numbers. */
static void fd_set_now(unsigned char *set)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;

	if (!d)
		die("opendir /proc/self/fd");
	memset(set, 0, 1024);
	while ((e = readdir(d)))
		if (e->d_name[0] != '.' && atoi(e->d_name) < 1024 && atoi(e->d_name) != dirfd(d))
			set[atoi(e->d_name)] = 1;
	closedir(d);
}

static void no_cloexec(int fd)
{
	if (fcntl(fd, F_SETFD, 0) < 0)
		die("F_SETFD");
}

/* ------------------------------------------------------------ 1. fds */

/* exec: a VMM at a pending IN execs itself with its /dev/kvm, VM and vCPU
 * fds inherited. */
static int sc_exec(char **argv)
{
	struct guest g;
	char why[200], a[3][16];

	open_kvm(0);
	guest_new(&g, code_echo, sizeof code_echo);
	if (echo_rounds(g.vcpu, g.run, 3, 1, "before exec"))
		return 1;
	if (run_to_in(g.vcpu, g.run, 0x5a, why, sizeof why)) {
		fail("before exec: %s", why);
		return 1;
	}
	no_cloexec(g.vm);
	no_cloexec(g.vcpu);
	snprintf(a[0], sizeof a[0], "%d", kvm);
	snprintf(a[1], sizeof a[1], "%d", g.vm);
	snprintf(a[2], sizeof a[2], "%d", g.vcpu);
	printf("exec with /dev/kvm %s, VM %s, vCPU %s at a pending IN answered 0x5a\n", a[0], a[1], a[2]);
	fflush(stdout);
	execl("/proc/self/exe", argv[0], "exec-child", a[0], a[1], a[2], (char *)NULL);
	die("execl");
}

static int sc_exec_child(char **argv)
{
	int kfd = atoi(argv[2]), vm = atoi(argv[3]), vcpu = atoi(argv[4]), r, e;
	int fds0 = count_fds(), maps0 = count_vcpu_maps();
	struct kvm_regs regs;
	struct guest g;

	r = ioctl(kfd, KVM_CHECK_EXTENSION, CAP_NC);
	printf("after exec: KVM_CHECK_EXTENSION(239) on inherited /dev/kvm: %d\n", r);
	if (r != (have_lib ? 1 : 0))
		fail("capability answer %d on the inherited /dev/kvm", r);
	r = ioctl(vcpu, KVM_GET_REGS, &regs);
	e = errno;
	printf("= after exec: KVM_GET_REGS on inherited vCPU: %d %s\n", r, ename(r ? e : 0));
	if (r != -1 || e != EIO)
		fail("KVM_GET_REGS on the inherited vCPU: %d %s, the kernel answers EIO to another mm", r, ename(e));
	r = ioctl(vcpu, KVM_RUN, 0);
	e = errno;
	printf("= after exec: KVM_RUN on inherited vCPU: %d %s\n", r, ename(r ? e : 0));
	if (r != -1 || e != EIO)
		fail("KVM_RUN on the inherited vCPU: %d %s", r, ename(e));
	r = ioctl(vm, KVM_CHECK_EXTENSION, KVM_CAP_NR_VCPUS);
	e = errno;
	printf("= after exec: KVM_CHECK_EXTENSION on inherited VM: %d %s\n", r, ename(r < 0 ? e : 0));
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
	return failures != 0;
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
static int sc_scm_thread(void)
{
	struct guest g;
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
	if (!failures && echo_rounds(g.vcpu, g.run, 20, 0x40, "sender after the receiver closed its fd"))
		return 1;
	if (!failures)
		printf("= 200 rounds on the received fd and 20 on the original: every value right\n");
	guest_free(&g);
	return failures != 0;
}

/* scm-second-fd: the exit is taken on the VMM's fd, the state read on the
 * same vCPU through a second fd received over SCM_RIGHTS. */
static int sc_scm_second_fd(void)
{
	struct guest g;
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
	return failures != 0;
}

/* scm-process: the vCPU fd sent to another process: the kernel refuses it
 * there (another mm); the owner keeps running it. */
static int sc_scm_process(void)
{
	struct guest g;
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
		       r1, ename(r1 ? e1 : 0), r2, ename(r2 ? e2 : 0));
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
	if (!r && !failures)
		printf("= owner: pending IN and 50 more rounds right\n");
	guest_free(&g);
	return failures != 0;
}

/* rawclose MODE: a vCPU fd at a pending IN closed by syscall(SYS_close),
 * behind the library's back; its number then reused by a pipe (pipe), by
 * a new vCPU (vcpu), or by a pipe then a vCPU (pipe-vcpu), or by a vCPU
 * fd received over SCM_RIGHTS (scm: a limit the README states). */
static int sc_rawclose(const char *mode)
{
	struct guest a, b;
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
		printf("= pipe at fd %d: KVM_GET_REGS %d %s\n", num, r, ename(r ? e : 0));
		if (r != -1 || e != ENOTTY)
			fail("KVM_GET_REGS on the pipe: %d %s", r, ename(e));
		r = ioctl(num, KVM_RUN, 0);
		e = errno;
		printf("= pipe at fd %d: KVM_RUN %d %s\n", num, r, ename(r ? e : 0));
		if (r != -1 || e != ENOTTY)
			fail("KVM_RUN on the pipe: %d %s", r, ename(e));
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
		return failures != 0;
	}
	printf("%svCPU A's kvm_run: exit %u, data %#x, immediate_exit %u\n",
	       strncmp(mode, "pipe", 4) == 0 ? "" : "= ", a.run->exit_reason,
	       *io_data(a.run), a.run->immediate_exit);
	if (a.run->exit_reason != KVM_EXIT_IO || *io_data(a.run) != 0x41 || a.run->immediate_exit)
		fail("vCPU A was touched after its fd number was reused (exit %u, data %#x)",
		     a.run->exit_reason, *io_data(a.run));
	return failures != 0;
}

/* closerange MODE: three vCPUs at pending INs closed by close_range
 * (range: first to last vCPU fd, max: last ~0U, unshare:
 * CLOSE_RANGE_UNSHARE), closefrom, or marked by CLOSE_RANGE_CLOEXEC
 * (cloexec: they keep working); the numbers then reused by pipes. above:
 * closefrom just above a vCPU fd that stays open, then new fds opened. */
static int sc_closerange(const char *mode)
{
	struct guest g;
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
		if (!failures)
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
			if (!failures)
				printf("= the VMM's fds opened after closefrom are still open after closing the vCPUs\n");
		}
		return failures != 0;
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
	printf("= after %s: KVM_GET_REGS on closed vCPU fd: %d %s\n", mode, r, ename(r ? e : 0));
	if (r != -1 || e != EBADF)
		fail("KVM_GET_REGS on a closed vCPU fd: %d %s", r, ename(e));
	for (int i = 0; i < 4; i++)
		if (pipe(p[i]) < 0)
			die("pipe");
	for (int i = 0; i < 3; i++) {
		r = ioctl(fds[i], KVM_GET_REGS, &regs);
		e = errno;
		if (r != -1 || e != ENOTTY)
			fail("KVM_GET_REGS on fd %d (a pipe now): %d %s", fds[i], r, ename(e));
		r = ioctl(fds[i], KVM_RUN, 0);
		e = errno;
		if (r != -1 || e != ENOTTY)
			fail("KVM_RUN on fd %d (a pipe now): %d %s", fds[i], r, ename(e));
	}
	printf("= pipes at the closed numbers: KVM ioctls answer ENOTTY\n");
	for (int i = 0; i < 3; i++) {
		if (runs[i]->exit_reason != KVM_EXIT_IO || *io_data(runs[i]) != 0x50 + i)
			fail("vCPU %d's kvm_run changed after close (exit %u)", i, runs[i]->exit_reason);
		munmap(runs[i], run_size);
	}
	for (int i = 0; i < 4; i++)
		close(p[i][0]), close(p[i][1]);
	if (fcntl(g.vm, F_GETFD) >= 0)
		close(g.vm);
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
	return failures != 0;
}

/* loop N: N VMs, each with a vCPU (two every fourth time) that takes an IN
 * exit and a completion, closed in varied ways; then the process has the
 * same fds and kvm-vcpu mappings as before. */
static int sc_loop(int n)
{
	int fds0, maps0, fds1, maps1;
	char why[200];

	open_kvm(1);
	fds0 = count_fds();
	maps0 = count_vcpu_maps();
	for (int i = 0; i < n; i++) {
		struct guest g;
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
			close(g.vm);
			close(g.vcpu);
			munmap(g.mem, MEM);
			break;
		case 3:
#ifdef HAVE_CLOSE_RANGE
			close_range((unsigned)g.vm, (unsigned)(extra > g.vcpu ? extra : g.vcpu), 0);
#else
			close(g.vm), close(g.vcpu), close(extra);
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
	return failures != 0;
}

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

static int sc_threads(void)
{
	struct guest g;
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
	if (!failures)
		printf("= %d threads: every IN value completed and echoed once\n", n);
	return failures != 0;
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
static int sc_close_race(void)
{
	unsigned seed = 1;
	int errors[4] = { 0 }, ok_rounds = 0, fds0, maps0;

	open_kvm(1);
	fds0 = count_fds();
	maps0 = count_vcpu_maps();
	for (int it = 0; it < 150; it++) {
		struct guest g;
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
					fail("iteration %d: %s", it, ename(errno));
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
	return failures != 0;
}

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
static int sc_kick(void)
{
	struct guest g;
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
			     ename(r ? errno : 0), g.run->immediate_exit);
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
	return failures != 0;
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
static int sc_sigrestart(void)
{
	struct guest g;
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
			       k ? "guest spinning" : "after an answered IN", r, ename(r ? e : 0),
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

static int sc_seccomp(void)
{
	struct guest g;
	struct sigaction sa;
	pthread_t t;
	char why[200];
	int rounds = 1000;

#ifndef __x86_64__
	printf("SKIP: the filter is written for x86_64\n");
	return 77;
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

/* ------------------------------------------------------------ 6. hostile */

/* unknown-exit: exit reasons the tables do not know. HLT and SHUTDOWN come
 * from the real kernel; others from tests/robust/oddexit.so (preloaded
 * after the library), which rewrites a real HLT exit into a reason and
 * sets bit 15 as a confused kernel would. Nothing is flagged, nothing
 * completed (no extra KVM_RUN), the guest goes on. */
static int sc_unknown_exit(void)
{
	static const unsigned reasons[] = { 0x7777, 0xffffffffu, 0x80000000u, 1000, 64 };
	unsigned *want = dlsym(RTLD_DEFAULT, "oddexit_reason");
	long *runs = dlsym(RTLD_DEFAULT, "oddexit_runs");
	struct guest g;
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
		return failures != 0;
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
	return failures != 0;
}

/* bit15: the VMM writes bit 15 itself before KVM_RUN and before state
 * ioctls with nothing pending. */
static int sc_bit15(void)
{
	struct guest g;
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
	if (!failures)
		printf("= 50 IN/OUT rounds with bit 15 written before each KVM_RUN: values right\n");
	guest_free(&g);
	return failures != 0;
}

/* munmap-run: the VMM unmaps its kvm_run at a pending IN it answered. */
static int sc_munmap_run(void)
{
	struct guest g;
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
	return failures != 0;
}

/* highfd: the highest fd RLIMIT_NOFILE allows here holds the vCPU and
 * /dev/kvm; fds beyond any table (1,000,001, INT_MAX) get EBADF. */
static int sc_highfd(void)
{
	struct rlimit rl, big = { 1000002, 1000002 };
	struct guest g;
	struct kvm_run *run;
	struct kvm_regs regs;
	int hi, r, e;

	open_kvm(1);
	getrlimit(RLIMIT_NOFILE, &rl);
	r = setrlimit(RLIMIT_NOFILE, &big);
	e = errno;
	printf("RLIMIT_NOFILE %llu/%llu; raising to 1000002: %s\n", (unsigned long long)rl.rlim_cur,
	       (unsigned long long)rl.rlim_max, r == 0 ? "done" : ename(e));
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
		printf("= KVM_GET_REGS on fd %d: %d %s\n", bad, r, ename(r ? e : 0));
		if (r != -1 || e != EBADF)
			fail("fd %d: %d %s", bad, r, ename(e));
		r = ioctl(bad, KVM_RUN, 0);
		e = errno;
		if (r != -1 || e != EBADF)
			fail("KVM_RUN on fd %d: %d %s", bad, r, ename(e));
	}
	guest_free(&g);
	return failures != 0;
}

/* secure LIB: the library dlopen'ed into this process and called directly
 * (LD_PRELOAD does not load it into a setuid process); KVMCOMPL_CAP=250,
 * KVMCOMPL_COMPLETE=off and KVMCOMPL_LOG_FILE are set by the caller. With
 * AT_SECURE they must be ignored. */
static int sc_secure(const char *lib)
{
	int (*lioctl)(int, unsigned long, ...);
	unsigned long sec = getauxval(AT_SECURE);
	const char *logf = getenv("KVMCOMPL_LOG_FILE");
	struct guest g;
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
	return failures != 0;
}

int main(int argc, char **argv)
{
	const char *sc = argc > 1 ? argv[1] : "";

	setvbuf(stdout, NULL, _IOLBF, 0);
	have_lib = dlsym(RTLD_DEFAULT, "kvmcompl_version") != NULL;
	alarm(50);
	if (strcmp(sc, "exec-child") == 0 && argc == 5)
		return sc_exec_child(argv);
	if (strcmp(sc, "secure") == 0 && argc == 3)
		return sc_secure(argv[2]);
	open_kvm(1);
	probe_guest();
	close(kvm);
	kvm = -1;
	if (strcmp(sc, "probe") == 0) {
		printf("a guest runs on /dev/kvm\n");
		return 0;
	}
	if (strcmp(sc, "exec") == 0)
		return sc_exec(argv);
	if (strcmp(sc, "scm-thread") == 0)
		return sc_scm_thread();
	if (strcmp(sc, "scm-second-fd") == 0)
		return sc_scm_second_fd();
	if (strcmp(sc, "scm-process") == 0)
		return sc_scm_process();
	if (strcmp(sc, "rawclose") == 0 && argc == 3)
		return sc_rawclose(argv[2]);
	if (strcmp(sc, "closerange") == 0 && argc == 3)
		return sc_closerange(argv[2]);
	if (strcmp(sc, "loop") == 0 && argc == 3)
		return sc_loop(atoi(argv[2]));
	if (strcmp(sc, "threads") == 0)
		return sc_threads();
	if (strcmp(sc, "close-race") == 0)
		return sc_close_race();
	if (strcmp(sc, "kick") == 0)
		return sc_kick();
	if (strcmp(sc, "sigrestart") == 0)
		return sc_sigrestart();
	if (strcmp(sc, "seccomp") == 0)
		return sc_seccomp();
	if (strcmp(sc, "unknown-exit") == 0)
		return sc_unknown_exit();
	if (strcmp(sc, "bit15") == 0)
		return sc_bit15();
	if (strcmp(sc, "munmap-run") == 0)
		return sc_munmap_run();
	if (strcmp(sc, "highfd") == 0)
		return sc_highfd();
	fprintf(stderr, "usage: robust probe|exec|scm-thread|scm-second-fd|scm-process|rawclose pipe|vcpu|pipe-vcpu|scm|closerange range|max|unshare|cloexec|closefrom|above|loop N|threads|close-race|kick|sigrestart|seccomp|unknown-exit|bit15|munmap-run|highfd|secure LIB\n");
	return 2;
}
