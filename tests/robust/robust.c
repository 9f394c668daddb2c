/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Robustness scenarios on real KVM (tests/robust.test): fd lifecycles,
 * threads, signals, seccomp and hostile input, each checking what a VMM
 * would observe: the guest's values, flags, errno, fd counts and kvm_run
 * mappings. One binary (robust.c: harness, guests, main; robust-*.c: the scenarios
 * by concern), one scenario per subcommand; it knows whether
 * libkvmcompl is loaded (dlsym of kvmcompl_version) and checks the
 * library's promises only then. Exit 0 pass, 1 fail, 77 cannot run a
 * guest here. Output is what the scenario observed; lines starting with
 * "=" are meant to be identical natively and with the library. */
#define _GNU_SOURCE
#include "config.h"
#include "robust.h"

/* Real-mode guests, loaded at 0x1000. */
const unsigned char code_echo[6] = { 0xe4, 0x10, 0xe6, 0x11, 0xeb, 0xfa }; /* in al,0x10; out 0x11,al; jmp */
const unsigned char code_hlt[3] = { 0xf4, 0xeb, 0xfd };                   /* hlt; jmp hlt */
const unsigned char code_in_spin[4] = { 0xe4, 0x10, 0xeb, 0xfe };         /* in al,0x10; jmp $ */

int have_lib;
int kvm = -1;
size_t run_size;

/* fail, die, skip: tests/common/tap.h ("FAIL: ... (file:line)"; hard
 * errors and skips on stdout, as the observations). */

void open_kvm(int cloexec)
{
	int n;

	kvm = kt_open(cloexec);
	if (kvm < 0)
		skip("cannot open /dev/kvm: %s", strerror(errno));
	n = kt_run_size(kvm);
	if (n < 0)
		die("KVM_GET_VCPU_MMAP_SIZE");
	run_size = (size_t)n;
}

struct kvm_run *map_run(int fd)
{
	struct kvm_run *r = mmap(NULL, run_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	if (r == MAP_FAILED)
		die("mmap kvm_run of fd %d", fd);
	return r;
}

/* A VM with MEM bytes of shared memory at 0, the code at 0x1000; no vCPU. */
void vm_new(struct kt_vm *g, const unsigned char *code, size_t len)
{
	if (kt_vm_create(g, kvm, 0, MEM, KT_MEM_SHARED | KT_NO_VCPU) < 0 || kt_load(g, 0x1000, code, len) < 0)
		die("%s", kt_why);
	g->run_size = run_size;
}

/* A vCPU of g's VM, set up to run the guest from 0x1000; run mapped. */
int vcpu_new(struct kt_vm *g, int id, struct kvm_run **run)
{
	int fd = ioctl(g->fd, KVM_CREATE_VCPU, id);

	if (fd < 0)
		die("KVM_CREATE_VCPU %d", id);
	if (kt_x86_real(fd, 0x1000, 0) < 0)
		die("%s", kt_why);
	if (run)
		*run = map_run(fd);
	return fd;
}

void guest_new(struct kt_vm *g, const unsigned char *code, size_t len)
{
	vm_new(g, code, len);
	g->vcpu = vcpu_new(g, 0, &g->run);
}

void guest_free(struct kt_vm *g)
{
	kt_vm_destroy(g);
}

int probe_guest(void)
{
	struct kt_vm g;
	int r;

	guest_new(&g, code_hlt, sizeof code_hlt);
	r = kt_run(&g);
	if (r != 0 || g.run->exit_reason != KVM_EXIT_HLT)
		skip("/dev/kvm cannot run a guest (KVM_RUN %d, errno %d, exit %u)", r, errno, g.run->exit_reason);
	guest_free(&g);
	return 0;
}

unsigned char *io_data(struct kvm_run *run)
{
	return (unsigned char *)run + run->io.data_offset;
}

int is_io(struct kvm_run *run, int dir, int port)
{
	return run->exit_reason == KVM_EXIT_IO && run->io.direction == dir && run->io.port == port;
}

/* Run to the guest's IN and answer it with val; the exit stays pending. */
int run_to_in(int fd, struct kvm_run *run, unsigned char val, char *why, size_t n)
{
	int r = ioctl(fd, KVM_RUN, 0);

	if (r != 0 || !is_io(run, KVM_EXIT_IO_IN, PORT_IN)) {
		snprintf(why, n, "KVM_RUN %d (%s), exit %u, expected IN 0x10", r, tap_errname(r ? errno : 0),
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
int getregs_as_expected(const struct kvm_regs *regs, unsigned char val)
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
int finish_round(int fd, struct kvm_run *run, unsigned char val, int getregs,
			char *why, size_t n)
{
	struct kvm_regs regs;
	int r;

	if (getregs) {
		if (ioctl(fd, KVM_GET_REGS, &regs) < 0) {
			snprintf(why, n, "KVM_GET_REGS at the pending IN: %s", tap_errname(errno));
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
		snprintf(why, n, "KVM_RUN %d (%s), exit %u, expected OUT 0x11", r, tap_errname(r ? errno : 0),
			 run->exit_reason);
		return -1;
	}
	if (*io_data(run) != val) {
		snprintf(why, n, "guest echoed %#x, answered %#x", *io_data(run), val);
		return -1;
	}
	return 0;
}

int echo_rounds(int fd, struct kvm_run *run, int rounds, unsigned char base, const char *what)
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

int count_fds(void)
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

int count_vcpu_maps(void)
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
void fd_set_now(unsigned char *set)
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

void no_cloexec(int fd)
{
	if (fcntl(fd, F_SETFD, 0) < 0)
		die("F_SETFD");
}

int main(int argc, char **argv)
{
	const char *sc = argc > 1 ? argv[1] : "";

	setvbuf(stdout, NULL, _IOLBF, 0);
	tap_prog = "robust";
	tap_diag = stdout;
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
