/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* regress-vmm: a minimal x86 VMM for tests/regress.test, run over the kernel
 * double or over real /dev/kvm, natively or with libkvmcompl.  Each scenario
 * reproduces one defect found in review (issue 13) or one breakage of the
 * library the earlier tests could not see, and checks what a user observes:
 * guest register values, device read counts, bit 15, errno, descriptors.
 *
 * Usage: regress-vmm SCENARIO [ARG] [native]
 *   native: run without the library; checks that need it are left out.
 * Scenarios (real-mode guests at 0x1000):
 *   enotty          split MMIO read; state read (the library completes the
 *                   first half; the second is held for the next KVM_RUN); a
 *                   request the vCPU answers ENOTTY (KVM_MEMORY_ENCRYPT_OP);
 *                   KVM_RUN must hand over the held half: EAX 0x00420041,
 *                   two device reads
 *   enotty-thread   IN under KVMCOMPL_COMPLETE=other-thread; an ENOTTY
 *                   request; a state read on the exit's own thread must
 *                   leave the IN pending; the OUT then carries 0x42
 *   held-save       split MMIO read; state read; the replayed second half
 *                   is answered and the registers read at once: completed
 *   kick            IN; a second thread writes immediate_exit=1 while the
 *                   completion before a state read is inside KVM_RUN (the
 *                   double pauses there): the kick must stay, KVM_RUN EINTR
 *   dup ARG         split MMIO read; state read; the vCPU fd copied (ARG:
 *                   dup, dup2, dup3, fcntl) and the original closed: KVM_RUN
 *                   on the copy hands over the held half
 *   dup2-over       IN; dup2 of a pipe over the vCPU fd, everything closed:
 *                   no descriptor or mapping of the vCPU may remain
 *   identify-race   vCPU fds made behind the library's back; a close of the
 *                   vCPU fd lands while the library identifies it (the double
 *                   pauses in readlink): no descriptor may be closed twice
 *   private ARG     IN on vCPU A; the VMM closes (ARG close) or dup2/dup3s a
 *                   pipe onto (ARG dup2, dup3) the number of the library's
 *                   private descriptor of A, which it never opened: EBADF, or
 *                   success; then a vCPU B is created; a state read of A must
 *                   complete A's IN and leave B alone
 *   report PATH     KVMCOMPL_MODE=report: the VMM closes the number of the
 *                   report file and puts a file of its own (PATH) there; a
 *                   report must not be written into it
 *   efault          IN; the VMM's KVM_RUN fails with EFAULT after the kernel
 *                   ran the completion (KDOUBLE_FAULT=run:EFAULT:1): bit 15
 *                   clear, the MEMORY_FAULT exit kept across a state read
 * Exit: 0 pass, 1 fail, 77 skip, 99 internal error. */
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/kvm.h>

#include "../common/tap.h"
#include "../common/vm.h"

#if defined(__x86_64__) || defined(__i386__)
#define F15 (1u << 15)
#define EXIT_MEMORY_FAULT 39 /* include/uapi/linux/kvm.h, 6.8+ */

static int native, kvm = -1;

/* The double's test hooks, if it is loaded. */
static void *hook(const char *name) { return dlsym(RTLD_DEFAULT, name); }

/* The double's own ioctl, past the library (fds made behind its back). */
static kt_ioctl_fn kdouble_ioctl;
static int kdouble_create(int fd, unsigned long req, unsigned long arg)
{
	return kdouble_ioctl(fd, req, arg);
}

/* One real-mode VM (tests/common/vm.h) and its MMIO device's count. */
struct vm {
	struct kt_vm k;
	unsigned mmio_reads;
};

/* mov al,0x11 ; in al,0xE0 ; out 0xE1,al ; hlt */
static const uint8_t g_in[] = { 0xb0, 0x11, 0xe4, 0xe0, 0xe6, 0xe1, 0xf4 };
/* mov ax,0xa000 ; mov ds,ax ; mov eax,[0x0ffe] ; hlt: 4 bytes at 0xa0ffe,
 * outside RAM and across a page boundary: two MMIO exits of 2 bytes */
static const uint8_t g_split[] = { 0xb8, 0x00, 0xa0, 0x8e, 0xd8, 0x66, 0xa1, 0xfe, 0x0f, 0xf4 };
#define SPLIT_END (0x1000 + sizeof(g_split) - 1) /* RIP past the load */

static void vm_new(struct vm *m, const uint8_t *code, size_t len, int raw)
{
	int r;

	memset(m, 0, sizeof(*m));
	if (raw && !kdouble_ioctl) skip("raw creation needs the kernel double");
	kt_create_ioctl = raw ? kdouble_create : NULL;
	r = kt_vm_create(&m->k, kvm, 0, 0x10000, KT_TSS);
	kt_create_ioctl = NULL;
	if (r < 0 || kt_load(&m->k, 0x1000, code, len) < 0) die("%s", kt_why);
	if (raw) return; /* the caller's first vCPU ioctl is the one under test */
	if (kt_x86_real(m->k.vcpu, 0x1000, 0) < 0) die("%s", kt_why);
}

static void vm_free(struct vm *m)
{
	kt_vm_destroy(&m->k);
}

/* KVM_RUN on fd (the vCPU's or a copy) that must give a KVM_EXIT_<reason>. */
static void run_to(struct vm *m, int fd, unsigned reason, const char *what)
{
	if (ioctl(fd, KVM_RUN, 0) < 0) die("%s", what);
	printf("%s: %s, bit 15 %s\n", what, kt_exit_desc(m->k.run), m->k.run->flags & F15 ? "set" : "clear");
	if (m->k.run->exit_reason != reason) {
		printf("%s: unexpected exit: FAIL\n", what);
		exit(1);
	}
}

/* The device: the n-th MMIO read returns 0x40+n in its first byte. */
static void answer_mmio(struct vm *m)
{
	m->mmio_reads++;
	memset(m->k.run->mmio.data, 0, 8);
	m->k.run->mmio.data[0] = (uint8_t)(0x40 + m->mmio_reads);
}

static void answer_in(struct vm *m, uint8_t v) { ((uint8_t *)m->k.run)[m->k.run->io.data_offset] = v; }

static struct kvm_regs regs(struct vm *m, int fd)
{
	struct kvm_regs r;
	(void)m;
	if (ioctl(fd, KVM_GET_REGS, &r) < 0) die("KVM_GET_REGS");
	return r;
}

/* The split read, up to its first half answered and the state read. */
static void split_start(struct vm *m)
{
	struct kvm_regs r;

	vm_new(m, g_split, sizeof(g_split), 0);
	run_to(m, m->k.vcpu, KVM_EXIT_MMIO, "KVM_RUN 1");
	answer_mmio(m);
	r = regs(m, m->k.vcpu);
	printf("state read after the first half: rip=0x%llx eax=0x%08llx\n", (unsigned long long)r.rip,
	       (unsigned long long)r.rax & 0xffffffffull);
}

/* The rest of the split read on fd: the second half and HLT. */
static void split_finish(struct vm *m, int fd)
{
	struct kvm_regs r;

	run_to(m, fd, KVM_EXIT_MMIO, "KVM_RUN 2");
	check(m->k.run->mmio.phys_addr == 0xa1000, "KVM_RUN 2 gives the second half (0xa1000)");
	if (!native)
		check((m->k.run->flags & F15) != 0, "bit 15 on the second half");
	answer_mmio(m);
	run_to(m, fd, KVM_EXIT_HLT, "KVM_RUN 3");
	r = regs(m, fd);
	check((uint32_t)r.rax == 0x00420041u && m->mmio_reads == 2,
	      "guest EAX=0x%08x device reads=%u, expected 0x00420041 and 2", (unsigned)r.rax, m->mmio_reads);
}

static void sc_enotty(void)
{
	struct vm m;
	int r, e;

	split_start(&m);
	errno = 0;
	r = ioctl(m.k.vcpu, KVM_MEMORY_ENCRYPT_OP, NULL);
	e = errno;
	printf("KVM_MEMORY_ENCRYPT_OP on the vCPU: %d (%s)\n", r, strerror(e));
	split_finish(&m, m.k.vcpu);
	vm_free(&m);
}

static void sc_enotty_thread(void)
{
	struct vm m;
	struct kvm_regs r;
	int e;

	vm_new(&m, g_in, sizeof(g_in), 0);
	run_to(&m, m.k.vcpu, KVM_EXIT_IO, "KVM_RUN 1");
	answer_in(&m, 0x42);
	errno = 0;
	ioctl(m.k.vcpu, KVM_MEMORY_ENCRYPT_OP, NULL);
	e = errno;
	printf("KVM_MEMORY_ENCRYPT_OP on the vCPU: %s\n", strerror(e));
	r = regs(&m, m.k.vcpu);
	/* other-thread: the exit's own thread may be mid-answer */
	check((r.rax & 0xff) == 0x11 && r.rip == 0x1002, "state read on the exit's thread: al=0x%02x rip=0x%llx, expected the IN left pending (0x11, 0x1002)",
	      (unsigned)(r.rax & 0xff), (unsigned long long)r.rip);
	run_to(&m, m.k.vcpu, KVM_EXIT_IO, "KVM_RUN 2");
	check(m.k.run->io.port == 0xe1 && ((uint8_t *)m.k.run)[m.k.run->io.data_offset] == 0x42,
	      "OUT 0xE1 = 0x%02x, expected 0x42", ((uint8_t *)m.k.run)[m.k.run->io.data_offset]);
	vm_free(&m);
}

static void sc_held_save(void)
{
	struct vm m;
	struct kvm_regs r;

	split_start(&m);
	run_to(&m, m.k.vcpu, KVM_EXIT_MMIO, "KVM_RUN 2");
	check(m.k.run->mmio.phys_addr == 0xa1000, "KVM_RUN 2 gives the second half (0xa1000)");
	answer_mmio(&m);
	r = regs(&m, m.k.vcpu); /* a save right after the answer */
	if (!native)
		check((uint32_t)r.rax == 0x00420041u && r.rip == SPLIT_END,
		      "state read after answering the second half: eax=0x%08x rip=0x%llx, expected 0x00420041 0x%llx (completed)",
		      (unsigned)r.rax, (unsigned long long)r.rip, (unsigned long long)SPLIT_END);
	run_to(&m, m.k.vcpu, KVM_EXIT_HLT, "KVM_RUN 3");
	r = regs(&m, m.k.vcpu);
	check((uint32_t)r.rax == 0x00420041u && m.mmio_reads == 2,
	      "guest EAX=0x%08x device reads=%u, expected 0x00420041 and 2", (unsigned)r.rax, m.mmio_reads);
	vm_free(&m);
}

/* A VMM that sizes RLIMIT_NOFILE to its vCPUs, as the kernel's selftests
 * do (kvm_create_max_vcpus.c: KVM_CAP_MAX_VCPUS + 100 descriptors): every
 * vCPU it creates and every file it opens afterwards must succeed, as
 * natively, and a save at an answered IN is still completed. */
#define BUDGET 128
static int vcpu_fds(void)
{
	char path[64], t[64];
	int n = 0;

	for (int fd = 0; fd < BUDGET; fd++) {
		ssize_t k;
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		k = readlink(path, t, sizeof(t) - 1);
		if (k <= 0) continue;
		t[k] = 0;
		if (strstr(t, "-vcpu")) n++;
	}
	return n;
}

static void sc_fd_budget(void)
{
	struct rlimit rl = { BUDGET, BUDGET };
	struct kvm_regs r;
	struct vm m;
	int fd, want, made = 1, opened = 0, max = ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS);

	if (hook("kdouble_report")) max = BUDGET; /* the double sets no limit */
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_max < BUDGET) skip("RLIMIT_NOFILE below 128");
	rl.rlim_cur = BUDGET;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0) die("setrlimit");
	vm_new(&m, g_in, sizeof(g_in), 0);
	/* Natively the VMM's numbers are dense: as many vCPUs as take them
	 * up to BUDGET - 8 (or the kernel's KVM_CAP_MAX_VCPUS), then 5 files. */
	want = BUDGET - 8 - m.k.vcpu;
	if (max > 0 && want > max) want = max;
	while (made < want && (fd = ioctl(m.k.fd, KVM_CREATE_VCPU, made)) >= 0)
		made++;
	check(made == want, "KVM_CREATE_VCPU: %d of %d vCPUs (%s)", made, want,
	      made < want ? strerror(errno) : "ok");
	for (int i = 0; i < 5; i++)
		if (open("/dev/null", O_RDONLY | O_CLOEXEC) >= 0) opened++;
	check(opened == 5, "files opened after %d vCPUs under a limit of %d: %d of 5", made, BUDGET, opened);
	check(vcpu_fds() == made, "vCPU descriptors: as many as the VMM made (%d)", made);
	/* A save at the answered IN of the first vCPU: completed (the
	 * library, through the VMM's number now) or left to KVM_RUN. */
	run_to(&m, m.k.vcpu, KVM_EXIT_IO, "KVM_RUN 1");
	answer_in(&m, 0x42);
	r = regs(&m, m.k.vcpu);
	if (!native)
		check((r.rax & 0xff) == 0x42 && r.rip == 0x1004, "state read at the answered IN: al=0x%02x rip=0x%llx, expected 0x42 0x1004 (completed)",
		      (unsigned)(r.rax & 0xff), (unsigned long long)r.rip);
	run_to(&m, m.k.vcpu, KVM_EXIT_IO, "KVM_RUN 2");
	check(m.k.run->io.port == 0xe1 && ((uint8_t *)m.k.run)[m.k.run->io.data_offset] == 0x42,
	      "OUT 0xE1 = 0x%02x, expected 0x42", ((uint8_t *)m.k.run)[m.k.run->io.data_offset]);
}

/* kvmcompl_complete() at an IN the VMM never answered, after a state read
 * (which puts the library's marker in a 1-byte area): the kernel must
 * finish it with the byte the exit left (emulator_pio_in zeroes it on
 * x86), as a native re-entry does, not with the marker. */
static void sc_complete_unanswered(void)
{
	int (*complete)(int) = (int (*)(int))hook("kvmcompl_complete");
	uint8_t left;
	struct kvm_regs r;
	struct vm m;

	vm_new(&m, g_in, sizeof(g_in), 0);
	run_to(&m, m.k.vcpu, KVM_EXIT_IO, "KVM_RUN 1");
	left = ((uint8_t *)m.k.run)[m.k.run->io.data_offset];
	r = regs(&m, m.k.vcpu); /* the VMM looks before it answers */
	check((r.rax & 0xff) == 0x11 && r.rip == 0x1002, "state read at the unanswered IN: al=0x%02x rip=0x%llx, expected 0x11 0x1002 (untouched)",
	      (unsigned)(r.rax & 0xff), (unsigned long long)r.rip);
	if (!native) {
		if (!complete) die("kvmcompl_complete not found");
		check(complete(m.k.vcpu) == 0, "kvmcompl_complete without an answer: 0");
		r = regs(&m, m.k.vcpu);
		check(r.rip == 0x1004, "completed: rip=0x%llx, expected 0x1004", (unsigned long long)r.rip);
	}
	run_to(&m, m.k.vcpu, KVM_EXIT_IO, "KVM_RUN 2");
	check(m.k.run->io.port == 0xe1 && ((uint8_t *)m.k.run)[m.k.run->io.data_offset] == left,
	      "OUT 0xE1 = 0x%02x, expected 0x%02x (what the IN's exit left)", ((uint8_t *)m.k.run)[m.k.run->io.data_offset], left);
	vm_free(&m);
}

static struct vm *kick_vm;
static void *kicker(void *arg)
{
	int (*wait_paused)(int) = (int (*)(int))hook("kdouble_wait_paused");
	void (*resume)(void) = (void (*)(void))hook("kdouble_resume");
	int in = wait_paused(native ? 200 : 10000);

	(void)arg;
	printf("kick: %s\n", in ? "written while the completing KVM_RUN is paused" : "written (no completion ran)");
	kick_vm->k.run->immediate_exit = 1; /* the VMM's kick */
	resume();
	return NULL;
}

static void sc_kick(void)
{
	void (*pause_at)(const char *) = (void (*)(const char *))hook("kdouble_pause_at");
	struct vm m;
	struct kvm_regs r;
	pthread_t t;
	int ret, e;

	if (!pause_at) skip("needs the kernel double's pause hook");
	vm_new(&m, g_in, sizeof(g_in), 0);
	run_to(&m, m.k.vcpu, KVM_EXIT_IO, "KVM_RUN 1");
	answer_in(&m, 0x42);
	kick_vm = &m;
	pause_at("complete");
	if (pthread_create(&t, NULL, kicker, NULL)) die("pthread_create");
	r = regs(&m, m.k.vcpu);
	pthread_join(t, NULL);
	printf("state read: al=0x%02x rip=0x%llx\n", (unsigned)(r.rax & 0xff), (unsigned long long)r.rip);
	check(m.k.run->immediate_exit == 1, "immediate_exit after the state read=%u, expected 1 (the kick kept)",
	      m.k.run->immediate_exit);
	errno = 0;
	ret = ioctl(m.k.vcpu, KVM_RUN, 0);
	e = errno;
	check(ret == -1 && e == EINTR, "KVM_RUN after the kick: %d (%s), expected -1 EINTR", ret,
	      ret < 0 ? strerror(e) : kt_exit_desc(m.k.run));
	m.k.run->immediate_exit = 0;
	if (ret < 0) {
		run_to(&m, m.k.vcpu, KVM_EXIT_IO, "KVM_RUN 3");
	}
	check(m.k.run->io.port == 0xe1 && ((uint8_t *)m.k.run)[m.k.run->io.data_offset] == 0x42,
	      "OUT 0xE1 = 0x%02x, expected 0x42", ((uint8_t *)m.k.run)[m.k.run->io.data_offset]);
	vm_free(&m);
}

static void sc_dup(const char *how)
{
	struct vm m;
	int fd2;

	split_start(&m);
	if (!strcmp(how, "dup")) fd2 = dup(m.k.vcpu);
	else if (!strcmp(how, "dup2")) fd2 = dup2(m.k.vcpu, 200);
	else if (!strcmp(how, "dup3")) fd2 = dup3(m.k.vcpu, 201, O_CLOEXEC);
	else if (!strcmp(how, "fcntl")) fd2 = fcntl(m.k.vcpu, F_DUPFD_CLOEXEC, 202);
	else { printf("unknown copy %s\n", how); exit(99); }
	if (fd2 < 0) die("%s", how);
	printf("%s: vCPU fd %d copied to %d, original closed\n", how, m.k.vcpu, fd2);
	close(m.k.vcpu);
	m.k.vcpu = fd2;
	split_finish(&m, fd2);
	vm_free(&m);
}

/* Descriptors and mappings of a vCPU (real: anon_inode:kvm-vcpu:N; the
 * double: its memfd "kdouble-vcpu"). */
static int vcpu_traces(int except)
{
	char path[300], t[256], line[512];
	struct dirent *d;
	DIR *dir = opendir("/proc/self/fd");
	FILE *maps;
	int n = 0;

	if (!dir) die("opendir /proc/self/fd");
	while ((d = readdir(dir))) {
		int fd = atoi(d->d_name);
		ssize_t k;
		if (d->d_name[0] == '.' || fd == except || fd == dirfd(dir)) continue;
		snprintf(path, sizeof(path), "/proc/self/fd/%s", d->d_name);
		k = readlink(path, t, sizeof(t) - 1);
		if (k <= 0) continue;
		t[k] = 0;
		if (strstr(t, "-vcpu")) { printf("fd %d: %s\n", fd, t); n++; }
	}
	closedir(dir);
	/* The double keeps its own mapping of every vCPU it made (the
	 * kernel's side of kvm_run): only descriptors tell there. */
	if (hook("kdouble_report")) return n;
	if (!(maps = fopen("/proc/self/maps", "r"))) die("fopen /proc/self/maps");
	while (fgets(line, sizeof(line), maps))
		if (strstr(line, "-vcpu")) { printf("mapping: %s", line); n++; }
	fclose(maps);
	return n;
}

static void sc_dup2_over(void)
{
	struct vm m;
	int p[2], n;

	vm_new(&m, g_in, sizeof(g_in), 0);
	run_to(&m, m.k.vcpu, KVM_EXIT_IO, "KVM_RUN 1");
	answer_in(&m, 0x42);
	if (pipe(p) < 0) die("pipe");
	munmap(m.k.run, m.k.run_size);
	if (dup2(p[0], m.k.vcpu) != m.k.vcpu) die("dup2");
	printf("dup2 of a pipe over vCPU fd %d, kvm_run unmapped, VM closed; the number stays the pipe\n", m.k.vcpu);
	close(m.k.fd);
	n = vcpu_traces(-1);
	check(n == 0, "descriptors and mappings of the vCPU left=%d, expected 0 (the vCPU and its VM freed)", n);
	close(m.k.vcpu);
	close(p[0]);
	close(p[1]);
	munmap(m.k.mem, 0x10000);
}

static int race_fd;
static void *closer(void *arg)
{
	int (*wait_paused)(int) = (int (*)(int))hook("kdouble_wait_paused");
	void (*resume)(void) = (void (*)(void))hook("kdouble_resume");
	int in = wait_paused(native ? 200 : 10000);

	(void)arg;
	/* a raw close: no library wrapper sees it */
	syscall(SYS_close, race_fd);
	printf("close of vCPU fd %d %s\n", race_fd, in ? "while the library identifies it" : "(nothing identified it)");
	resume();
	return NULL;
}

static void sc_identify_race(void)
{
	void (*pause_at)(const char *) = (void (*)(const char *))hook("kdouble_pause_at");
	unsigned (*bad)(void) = (unsigned (*)(void))hook("kdouble_bad_closes");
	struct vm m;
	struct kvm_regs r;
	pthread_t t;
	int ret, e;

	kdouble_ioctl = kt_kdouble_ioctl();
	if (!pause_at || !bad) skip("needs the kernel double's hooks");
	vm_new(&m, g_in, sizeof(g_in), 1);
	race_fd = m.k.vcpu;
	pause_at("readlink");
	if (pthread_create(&t, NULL, closer, NULL)) die("pthread_create");
	errno = 0;
	ret = ioctl(m.k.vcpu, KVM_GET_REGS, &r); /* the library meets the fd now */
	e = errno;
	pthread_join(t, NULL);
	printf("KVM_GET_REGS racing the close: %d (%s)\n", ret, ret < 0 ? strerror(e) : "ok");
	check(bad() == 0, "closes of descriptors that were not open=%u, expected 0", bad());
	munmap(m.k.run, m.k.run_size);
	close(m.k.fd);
}

/* The library's private descriptor of vCPU fd `vcpu`: another descriptor
 * naming a vCPU that the VMM did not open, or -1. */
static int private_fd(int vcpu, int other)
{
	char path[300], t[256];
	struct dirent *d;
	DIR *dir = opendir("/proc/self/fd");
	int found = -1;

	if (!dir) die("opendir /proc/self/fd");
	while ((d = readdir(dir))) {
		int fd = atoi(d->d_name);
		ssize_t k;
		if (d->d_name[0] == '.' || fd == vcpu || fd == other || fd == dirfd(dir)) continue;
		snprintf(path, sizeof(path), "/proc/self/fd/%s", d->d_name);
		k = readlink(path, t, sizeof(t) - 1);
		if (k <= 0) continue;
		t[k] = 0;
		if (strstr(t, "-vcpu") && fd > found) found = fd;
	}
	closedir(dir);
	return found;
}

static void sc_private(const char *how)
{
	struct vm a, b;
	struct kvm_regs r;
	struct stat st;
	int n, p[2], ret, e;

	vm_new(&a, g_in, sizeof(g_in), 0);
	run_to(&a, a.k.vcpu, KVM_EXIT_IO, "A: KVM_RUN 1");
	answer_in(&a, 0x42);
	n = private_fd(a.k.vcpu, -1);
	if (n < 0 && !native) {
		check(0, "the library's private descriptor of vCPU A found");
		return;
	}
	if (n < 0) n = 900; /* natively: some number the VMM never opened */
	printf("number %d (%s)\n", n, native ? "not open" : "the library's descriptor of vCPU A");
	if (pipe(p) < 0) die("pipe");
	errno = 0;
	if (!strcmp(how, "close")) {
		ret = close(n);
		e = errno;
		check(ret == -1 && e == EBADF, "close(%d)=%d (%s), expected -1 EBADF (never opened by the VMM)", n, ret,
		      strerror(e));
	} else {
		ret = !strcmp(how, "dup2") ? dup2(p[0], n) : dup3(p[0], n, O_CLOEXEC);
		e = errno;
		check(ret == n, "%s(pipe, %d)=%d (%s), expected %d", how, n, ret, ret < 0 ? strerror(e) : "ok", n);
		check(fstat(n, &st) == 0 && S_ISFIFO(st.st_mode), "%d is now the VMM's pipe", n);
	}
	vm_new(&b, g_in, sizeof(g_in), 0); /* its descriptors may take freed numbers */
	r = regs(&a, a.k.vcpu);
	if (!native)
		check((r.rax & 0xff) == 0x42 && r.rip == 0x1004, "A: state read al=0x%02x rip=0x%llx, expected 0x42 0x1004 (A's IN completed)",
		      (unsigned)(r.rax & 0xff), (unsigned long long)r.rip);
	run_to(&a, a.k.vcpu, KVM_EXIT_IO, "A: KVM_RUN 2");
	check(a.k.run->io.port == 0xe1 && ((uint8_t *)a.k.run)[a.k.run->io.data_offset] == 0x42,
	      "A: OUT 0xE1 = 0x%02x, expected 0x42", ((uint8_t *)a.k.run)[a.k.run->io.data_offset]);
	run_to(&b, b.k.vcpu, KVM_EXIT_IO, "B: KVM_RUN 1");
	check(b.k.run->io.port == 0xe0 && !b.k.run->io.direction, "B: its first KVM_RUN stops at its IN (B never ran before)");
	if (strcmp(how, "close")) {
		ret = close(n);
		check(ret == 0, "close(%d) of the VMM's pipe=%d", n, ret);
	}
	close(p[0]);
	close(p[1]);
	vm_free(&b);
	vm_free(&a);
}

static void sc_report(const char *mine)
{
	const char *path = getenv("KVMCOMPL_REPORT_FILE");
	char want[4096], t[4096], link[64];
	struct vm m;
	struct stat st;
	int n = -1, fd;

	if (!path || !realpath(path, want)) {
		if (native) { printf("natively there is no report file: nothing to check\n"); return; }
		skip("KVMCOMPL_REPORT_FILE unset or not created");
	}
	vm_new(&m, g_in, sizeof(g_in), 0); /* the first KVM requests open it */
	for (int i = 0; i < 4096 && n < 0; i++) {
		ssize_t k;
		snprintf(link, sizeof(link), "/proc/self/fd/%d", i);
		k = readlink(link, t, sizeof(t) - 1);
		if (k > 0) {
			t[k] = 0;
			if (!strcmp(t, want)) n = i;
		}
	}
	if (n < 0) {
		check(native, "the report file is open");
		vm_free(&m);
		return;
	}
	check(n >= 512, "report file at fd %d, expected a high number (512+) like the log file", n);
	close(n); /* the VMM sweeps a number it did not open... */
	fd = open(mine, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600); /* ...and opens its own file */
	if (fd < 0) die("open");
	if (fd != n) {
		if (dup2(fd, n) != n) die("dup2");
		close(fd);
	}
	printf("the VMM's own file %s at fd %d\n", mine, n);
	run_to(&m, m.k.vcpu, KVM_EXIT_IO, "KVM_RUN 1");
	answer_in(&m, 0x42);
	regs(&m, m.k.vcpu); /* reported: a state read at a pending exit */
	if (fstat(n, &st) < 0) die("fstat");
	check(st.st_size == 0, "bytes the library wrote into the VMM's file=%lld, expected 0", (long long)st.st_size);
	close(n);
	vm_free(&m);
}

static void sc_efault(void)
{
	struct vm m;
	struct kvm_regs r;
	int ret, e;
	unsigned reason;

	vm_new(&m, g_in, sizeof(g_in), 0);
	run_to(&m, m.k.vcpu, KVM_EXIT_IO, "KVM_RUN 1");
	answer_in(&m, 0x42);
	errno = 0;
	ret = ioctl(m.k.vcpu, KVM_RUN, 0); /* KDOUBLE_FAULT=run:EFAULT:1 */
	e = errno;
	reason = m.k.run->exit_reason;
	printf("KVM_RUN 2: %d (%s), exit_reason %u, bit 15 %s\n", ret, strerror(e), reason,
	       m.k.run->flags & F15 ? "set" : "clear");
	if (!(ret == -1 && e == EFAULT)) skip("KVM_RUN did not fail with EFAULT (no fault injected)");
	check(!(m.k.run->flags & F15), "bit 15 after EFAULT returned once the kernel had completed the IN: clear");
	r = regs(&m, m.k.vcpu);
	check((r.rax & 0xff) == 0x42 && r.rip == 0x1004, "state read: al=0x%02x rip=0x%llx, expected 0x42 0x1004",
	      (unsigned)(r.rax & 0xff), (unsigned long long)r.rip);
	check(m.k.run->exit_reason == reason, "exit_reason after the state read=%u, expected %u (kept)",
	      m.k.run->exit_reason, reason);
	vm_free(&m);
}

int main(int argc, char **argv)
{
	const char *sc = argc > 1 ? argv[1] : "", *arg = argc > 2 ? argv[2] : "";
	unsigned (*report)(void);

	setvbuf(stdout, NULL, _IONBF, 0);
	native = !strcmp(argv[argc - 1], "native");
	tap_prog = "regress-vmm";
	tap_diag = stdout;
	kvm = kt_open(1);
	if (kvm < 0) skip("no /dev/kvm");
	if (kt_run_size(kvm) < 0) skip("KVM_GET_VCPU_MMAP_SIZE failed: /dev/kvm unusable");
	if (!strcmp(sc, "enotty")) sc_enotty();
	else if (!strcmp(sc, "enotty-thread")) sc_enotty_thread();
	else if (!strcmp(sc, "held-save")) sc_held_save();
	else if (!strcmp(sc, "kick")) sc_kick();
	else if (!strcmp(sc, "dup")) sc_dup(arg);
	else if (!strcmp(sc, "dup2-over")) sc_dup2_over();
	else if (!strcmp(sc, "identify-race")) sc_identify_race();
	else if (!strcmp(sc, "private")) sc_private(arg);
	else if (!strcmp(sc, "report")) sc_report(arg);
	else if (!strcmp(sc, "efault")) sc_efault();
	else if (!strcmp(sc, "fd-budget")) sc_fd_budget();
	else if (!strcmp(sc, "complete-unanswered")) sc_complete_unanswered();
	else { fprintf(stderr, "usage: regress-vmm SCENARIO [ARG] [native]\n"); return 99; }
	close(kvm);
	/* under the double: no completion may have run twice */
	report = (unsigned (*)(void))hook("kdouble_report");
	if (report && report()) check(0, "the kernel double counted no DOUBLE COMPLETION");
	return tap_status();
}
#else
int main(void)
{
	puts("SKIP: regress-vmm runs x86 guests");
	return 77;
}
#endif
