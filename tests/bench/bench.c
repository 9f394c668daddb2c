/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* kvmcompl-bench: what libkvmcompl costs, measured side by side in one run.
 *
 *   kvmcompl-bench --lib PATH --empty PATH [--out FILE] [--reps N] [--only TEXT]
 *                  [--kdouble PATH]
 *
 * The driver runs each measurement as a child process, natively and with
 * the library preloaded, alternating, --reps times each, and prints the
 * medians, their ratio and the spread (min..max). `--child NAME [ARG]` runs
 * one measurement and prints one number; tests/syscalls.test uses the
 * children `exits N`, `completions N` and `ucall N` under strace.
 * --kdouble PATH: preload the kernel double (tests/kdouble, personality
 * x86-6.1) in both runs, for hosts without /dev/kvm: the KVM rows then
 * measure the library's user-space cost against a user-space fake kernel,
 * not a real exit; `make bench` chooses it when /dev/kvm cannot run a guest. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <linux/kvm.h>

#include "../common/vm.h"

extern char **environ;

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void die(const char *what)
{
	fprintf(stderr, "kvmcompl-bench: %s: %s\n", what, strerror(errno));
	exit(2);
}

/* ---------------------------------------------------------------- guests */

struct vm {
	int kvm, fd, vcpu;
	struct kvm_run *run;
	unsigned char *mem;
};

/* A real-mode guest at 0x1000 running `code` forever (tests/common/vm.h). */
static void vm_create(struct vm *vm, const unsigned char *code, size_t len)
{
	struct kt_vm m;

	vm->kvm = kt_open(1);
	if (vm->kvm < 0) {
		fprintf(stderr, "kvmcompl-bench: SKIP: cannot open /dev/kvm: %s\n", strerror(errno));
		exit(77);
	}
	if (kt_vm_create(&m, vm->kvm, 0, 0x10000, KT_MEM_SHARED) < 0 || kt_load(&m, 0x1000, code, len) < 0 ||
	    kt_x86_real(m.vcpu, 0x1000, 0) < 0)
		die(kt_why);
	vm->fd = m.fd;
	vm->vcpu = m.vcpu;
	vm->run = m.run;
	vm->mem = m.mem;
}

static const unsigned char out_loop[] = { 0xe6, 0x10, 0xeb, 0xfc }; /* out 0x10,al; jmp */
static const unsigned char in_loop[] = { 0xe4, 0x10, 0xeb, 0xfc };  /* in al,0x10; jmp */

static void run_io(struct vm *vm)
{
	if (ioctl(vm->vcpu, KVM_RUN, 0) != 0 || vm->run->exit_reason != KVM_EXIT_IO)
		die("KVM_RUN did not stop at the port");
}

/* ------------------------------------------------------------- children */

/* Nanoseconds per FIONREAD on a pipe. */
static double child_fionread(long n)
{
	int p[2], avail;
	double t;

	if (pipe(p))
		die("pipe");
	t = now_ns();
	for (long i = 0; i < n; i++)
		ioctl(p[0], FIONREAD, &avail);
	return (now_ns() - t) / n;
}

/* Guest exits (OUT) per second. */
static double child_exits(long n)
{
	struct vm vm;
	double t;

	vm_create(&vm, out_loop, sizeof out_loop);
	run_io(&vm); /* the first exit pays for faulting things in */
	t = now_ns();
	for (long i = 0; i < n; i++)
		run_io(&vm);
	return n / ((now_ns() - t) / 1e9);
}

/* Nanoseconds per KVM_GET_REGS with nothing pending. */
static double child_get_regs(long n)
{
	struct kvm_regs regs;
	struct vm vm;
	double t;

	vm_create(&vm, out_loop, sizeof out_loop);
	run_io(&vm);
	run_io(&vm); /* an OUT exit, already finished on this backend... */
	vm.run->immediate_exit = 1; /* ...and re-entered: nothing is pending */
	ioctl(vm.vcpu, KVM_RUN, 0);
	vm.run->immediate_exit = 0;
	t = now_ns();
	for (long i = 0; i < n; i++)
		ioctl(vm.vcpu, KVM_GET_REGS, &regs);
	return (now_ns() - t) / n;
}

/* Nanoseconds per round "IN exit, answer, make state consistent, read it".
 * With the library the GET_REGS completes; natively the VMM re-enters
 * KVM_RUN with immediate_exit itself, as QEMU does. */
static double child_completions(long n, int by_hand)
{
	struct kvm_regs regs;
	struct vm vm;
	double t;

	vm_create(&vm, in_loop, sizeof in_loop);
	run_io(&vm);
	t = now_ns();
	for (long i = 0; i < n; i++) {
		run_io(&vm);
		/* 1..255: the kernel clears an IN's data, and an answer of 0
		 * cannot be told from no answer (doc/interface.md, answer-aware completion) */
		((unsigned char *)vm.run)[vm.run->io.data_offset] = (unsigned char)(i % 255 + 1);
		if (by_hand) {
			vm.run->immediate_exit = 1;
			ioctl(vm.vcpu, KVM_RUN, 0);
			vm.run->immediate_exit = 0;
		}
		ioctl(vm.vcpu, KVM_GET_REGS, &regs);
	}
	return (now_ns() - t) / n;
}

/* The ucall pattern (the kernel's KVM selftests): at every exit the VMM
 * reads the registers (get_ucall -> vcpu_regs_get) and re-enters without
 * answering the IN. Nanoseconds per round. Nothing is owed to the VMM
 * here: with the library, no extra KVM_RUN (tests/syscalls.test). */
static double child_ucall(long n)
{
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	struct vm vm;
	double t;

	vm_create(&vm, in_loop, sizeof in_loop);
	run_io(&vm);
	t = now_ns();
	for (long i = 0; i < n; i++) {
		run_io(&vm);
		if (ioctl(vm.vcpu, KVM_GET_REGS, &regs) || ioctl(vm.vcpu, KVM_GET_SREGS, &sregs))
			die("KVM_GET_REGS");
	}
	return (now_ns() - t) / n;
}

/* Nanoseconds per cheap KVM ioctl (KVM_CHECK_EXTENSION on the VM fd, which
 * the kernel answers without taking any vCPU) with `fds` vCPU fds open;
 * with `high`, on the highest fd number RLIMIT_NOFILE allows (1,000,000
 * where the hard limit permits; the number used is printed on stderr). */
static double child_scale(long n, long fds, int high)
{
	struct rlimit rl;
	struct vm vm;
	int fd;
	double t;

	vm_create(&vm, out_loop, sizeof out_loop);
	for (long i = 1; i < fds; i++)
		if (dup(vm.vcpu) < 0)
			die("dup");
	fd = vm.fd;
	if (high) {
		getrlimit(RLIMIT_NOFILE, &rl);
		if (rl.rlim_max > 1000000)
			rl.rlim_max = 1000000;
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl))
			die("setrlimit RLIMIT_NOFILE");
		fd = dup2(vm.fd, (int)rl.rlim_max - 1);
		if (fd < 0)
			die("dup2 to the highest fd");
		if (fd != 999999)
			fprintf(stderr, "scale: RLIMIT_NOFILE allows fd %d at most here\n", fd);
	}
	t = now_ns();
	for (long i = 0; i < n; i++)
		ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_IMMEDIATE_EXIT);
	return (now_ns() - t) / n;
}

/* Two threads, each with its own VM, calling the cheap ioctl at once:
 * nanoseconds per call per thread. */
static long two_n;
static void *scale_thread(void *arg)
{
	struct vm *vm = arg;

	for (long i = 0; i < two_n; i++)
		ioctl(vm->fd, KVM_CHECK_EXTENSION, KVM_CAP_IMMEDIATE_EXIT);
	return NULL;
}

static double child_two_threads(long n)
{
	struct vm vm[2];
	pthread_t t[2];
	double start;

	vm_create(&vm[0], out_loop, sizeof out_loop);
	vm_create(&vm[1], out_loop, sizeof out_loop);
	two_n = n;
	start = now_ns();
	for (int i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, scale_thread, &vm[i]);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	return (now_ns() - start) / n;
}

/* Resident memory (KiB) besides the kvm_run mappings, per vCPU, for
 * `count` vCPUs in VMs of one vCPU each. */
static long rss_without_kvm_run(void)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	char line[512];
	long total = 0, kb;
	unsigned long lo, hi;
	int in_vcpu = 0;

	if (!f)
		die("/proc/self/smaps");
	while (fgets(line, sizeof line, f)) {
		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2) /* a mapping's header */
			in_vcpu = strstr(line, "kvm-vcpu") != NULL;
		else if (sscanf(line, "Rss: %ld kB", &kb) == 1 && !in_vcpu)
			total += kb;
	}
	fclose(f);
	return total;
}

static double child_memory(long count)
{
	struct vm *vms = calloc((size_t)count, sizeof *vms);
	long before, after;

	vm_create(&vms[0], out_loop, sizeof out_loop); /* one-time costs first */
	before = rss_without_kvm_run();
	for (long i = 1; i < count; i++)
		vm_create(&vms[i], out_loop, sizeof out_loop);
	after = rss_without_kvm_run();
	return (double)(after - before) * 1024 / (count - 1);
}

static double run_child(const char *name, long arg)
{
	if (!strcmp(name, "fionread")) return child_fionread(arg);
	if (!strcmp(name, "exits")) return child_exits(arg);
	if (!strcmp(name, "get_regs")) return child_get_regs(arg);
	if (!strcmp(name, "completions")) return child_completions(arg, 0);
	if (!strcmp(name, "completions_by_hand")) return child_completions(arg, 1);
	if (!strcmp(name, "ucall")) return child_ucall(arg);
	if (!strcmp(name, "scale1")) return child_scale(arg, 1, 0);
	if (!strcmp(name, "scale64")) return child_scale(arg, 64, 0);
	if (!strcmp(name, "scale1024")) return child_scale(arg, 1024, 0);
	if (!strcmp(name, "scale_fd999999")) return child_scale(arg, 1, 1);
	if (!strcmp(name, "two_threads")) return child_two_threads(arg);
	if (!strcmp(name, "memory")) return child_memory(arg);
	fprintf(stderr, "kvmcompl-bench: unknown child %s\n", name);
	exit(2);
}

/* ---------------------------------------------------------------- driver */

static const char *self;
static const char *kdouble; /* --kdouble: preloaded after the library */

/* Run argv with LD_PRELOAD=preload (NULL: none); return its wall time in
 * ns, and its one printed number in *value when value is not NULL. */
static double spawn(char *const argv[], const char *preload, double *value)
{
	char buf[64] = "", *env[256], pre[4096];
	int n = 0, p[2], status;
	posix_spawn_file_actions_t fa;
	pid_t pid;
	double t;
	ssize_t got;

	for (char **e = environ; *e && n < 250; e++)
		if (strncmp(*e, "LD_PRELOAD=", 11))
			env[n++] = *e;
	if (preload || kdouble) {
		snprintf(pre, sizeof pre, "LD_PRELOAD=%s%s%s", preload ? preload : "",
			 preload && kdouble ? " " : "", kdouble ? kdouble : "");
		env[n++] = pre;
	}
	env[n] = NULL;
	if (pipe(p))
		die("pipe");
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, p[1], 1);
	posix_spawn_file_actions_addclose(&fa, p[0]);
	t = now_ns();
	if (posix_spawn(&pid, argv[0], &fa, NULL, argv, env))
		die(argv[0]);
	close(p[1]);
	got = read(p[0], buf, sizeof buf - 1);
	waitpid(pid, &status, 0);
	t = now_ns() - t;
	close(p[0]);
	posix_spawn_file_actions_destroy(&fa);
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		if (WIFEXITED(status) && WEXITSTATUS(status) == 77)
			exit(77);
		fprintf(stderr, "kvmcompl-bench: %s %s failed\n", argv[1] ? argv[2] : argv[0],
			preload ? "preloaded" : "native");
		exit(2);
	}
	if (value)
		*value = got > 0 ? strtod(buf, NULL) : 0;
	return t;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

struct stat3 { double med, min, max; };

static struct stat3 stats(double *v, int n)
{
	struct stat3 s;

	qsort(v, (size_t)n, sizeof *v, cmp);
	s.med = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	s.min = v[0];
	s.max = v[n - 1];
	return s;
}

static FILE *results;
static const char *only; /* --only: measurements whose label contains it */

static void report(const char *what, const char *unit, struct stat3 a, struct stat3 b,
		   const char *la, const char *lb, int higher_is_better)
{
	double ratio = b.med / a.med;

	printf("%-44s %12.1f %-6s [%.1f..%.1f]  %12.1f [%.1f..%.1f]  ratio %.3f%s\n",
	       what, a.med, unit, a.min, a.max, b.med, b.min, b.max, ratio,
	       higher_is_better ? " (higher is better)" : "");
	if (!higher_is_better && !strcmp(unit, "ns"))
		printf("%-44s %+12.1f ns added per call\n", "", b.med - a.med);
	if (results)
		fprintf(results, "%s\t%s\t%s\t%.3f\t%.3f\t%.3f\t%s\t%.3f\t%.3f\t%.3f\t%.4f\n",
			what, unit, la, a.med, a.min, a.max, lb, b.med, b.min, b.max, ratio);
}

#define MAXREPS 31

/* Child `name arg` natively and with `lib`, alternating. */
static void measure(const char *what, const char *unit, const char *name, const char *name_b,
		    long arg, const char *lib, int reps, int higher_is_better)
{
	double a[MAXREPS], b[MAXREPS];
	char argbuf[32];
	char *av[] = { (char *)self, "--child", (char *)name, argbuf, NULL };
	char *bv[] = { (char *)self, "--child", (char *)name_b, argbuf, NULL };

	if (only && !strstr(what, only))
		return;
	snprintf(argbuf, sizeof argbuf, "%ld", arg);
	for (int i = 0; i < reps; i++) {
		spawn(av, NULL, &a[i]);
		spawn(bv, lib, &b[i]);
	}
	report(what, unit, stats(a, reps), stats(b, reps), "native", "libkvmcompl",
	       higher_is_better);
}

/* Start-up: spawn a trivial program natively, with an empty preloaded
 * library (the floor any preload pays) and with the library. */
static void measure_startup(const char *lib, const char *empty, int reps)
{
	char *argv[] = { "/bin/true", NULL };
	double n[MAXREPS * 10], e[MAXREPS * 10], l[MAXREPS * 10];
	int runs = reps * 10;
	struct stat3 sn, se, sl;

	if (only && !strstr("start-up", only))
		return;
	for (int i = 0; i < runs; i++) {
		n[i] = spawn(argv, NULL, NULL) / 1000;
		e[i] = spawn(argv, empty, NULL) / 1000;
		l[i] = spawn(argv, lib, NULL) / 1000;
	}
	sn = stats(n, runs);
	se = stats(e, runs);
	sl = stats(l, runs);
	report("start-up /bin/true: native vs empty preload", "us", sn, se, "native", "empty", 0);
	report("start-up /bin/true: empty preload vs libkvmcompl", "us", se, sl, "empty", "libkvmcompl", 0);
	printf("%-44s %+12.1f us over the empty preloaded library\n", "", sl.med - se.med);
}

int main(int argc, char **argv)
{
	const char *lib = NULL, *empty = NULL, *out = NULL;
	int reps = 7;

	self = argv[0];
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc >= 3 && !strcmp(argv[1], "--child")) {
		printf("%.3f\n", run_child(argv[2], argc > 3 ? atol(argv[3]) : 1000));
		return 0;
	}
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--lib") && i + 1 < argc) lib = argv[++i];
		else if (!strcmp(argv[i], "--empty") && i + 1 < argc) empty = argv[++i];
		else if (!strcmp(argv[i], "--out") && i + 1 < argc) out = argv[++i];
		else if (!strcmp(argv[i], "--reps") && i + 1 < argc) reps = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--only") && i + 1 < argc) only = argv[++i];
		else if (!strcmp(argv[i], "--kdouble") && i + 1 < argc) kdouble = argv[++i];
		else {
			fprintf(stderr, "usage: kvmcompl-bench --lib PATH --empty PATH [--out FILE] [--reps N] [--only TEXT] [--kdouble PATH]\n");
			return 2;
		}
	}
	if (!lib || !empty)
		return fprintf(stderr, "kvmcompl-bench: --lib and --empty are needed\n"), 2;
	if (reps < 1 || reps > MAXREPS)
		reps = 7;
	if (out && !(results = fopen(out, "w")))
		die(out);
	if (results)
		fprintf(results, "measurement\tunit\ta\ta_median\ta_min\ta_max\tb\tb_median\tb_min\tb_max\tratio_b_over_a\n");

	if (kdouble) {
		setenv("KDOUBLE", "x86-6.1", 1);
		printf("KERNEL DOUBLE: no usable /dev/kvm here; KVM rows run on the kernel double (x86-6.1, %s):\n"
		       "they measure the library's user-space cost against a user-space fake, not real exits\n",
		       kdouble);
	}
	printf("%d runs each, alternating; median [min..max]\n", reps);
	printf("%-44s %19s %28s\n", "", "native", "libkvmcompl");
	measure("FIONREAD on a pipe", "ns", "fionread", "fionread", 2000000, lib, reps, 0);
	measure("KVM_RUN round trips (guest OUT loop)", "exit/s", "exits", "exits", 100000, lib, reps, 1);
	measure("KVM_GET_REGS, nothing pending", "ns", "get_regs", "get_regs", 20000, lib, reps, 0);
	measure("IN exit + consistent state (VMM by hand | library)", "ns",
		"completions_by_hand", "completions", 10000, lib, reps, 0);
	measure("ucall pattern: GET_REGS+GET_SREGS at every unanswered IN", "ns",
		"ucall", "ucall", 10000, lib, reps, 0);
	measure("KVM ioctl (VM fd), 1 vCPU fd open", "ns", "scale1", "scale1", 200000, lib, reps, 0);
	measure("KVM ioctl (VM fd), 64 vCPU fds open", "ns", "scale64", "scale64", 200000, lib, reps, 0);
	measure("KVM ioctl (VM fd), 1024 vCPU fds open", "ns", "scale1024", "scale1024", 200000, lib, reps, 0);
	measure("KVM ioctl on the highest fd allowed", "ns", "scale_fd999999", "scale_fd999999", 200000, lib, reps, 0);
	measure("KVM ioctl, two threads at once", "ns", "two_threads", "two_threads", 200000, lib, reps, 0);
	measure("resident memory per vCPU (no kvm_run)", "bytes", "memory", "memory", 32, lib, reps, 0);
	measure_startup(lib, empty, reps);
	if (results)
		fclose(results);
	return 0;
}
