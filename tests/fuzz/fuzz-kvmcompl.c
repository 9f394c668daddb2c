/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer harness: random sequences of ioctls (KVM and not), closes, dups
 * and guest exits through libkvmcompl over the kernel double (x86-6.18).
 * Both are linked in that order (libkvmcompl.so, libkdouble-fuzz.so, built
 * with coverage by configure --with-fuzzer; make fuzz), as if preloaded: the
 * harness's ioctl() reaches the library first and the library's next
 * ioctl is the double's (nothing is preloaded, so the symbolizer libFuzzer
 * starts is not run over them).
 *
 * Checked after every step (abort() on a violation, so libFuzzer keeps the
 * input):
 *   - no exit was completed twice (the double's counters);
 *   - a non-KVM fd's ioctl gives exactly what the raw system call gives
 *     (result, errno, output buffer);
 *   - after a KVM_RUN that returned an exit the kernel owes a completion
 *     for, bit 15 is set;
 *   - answer-aware completion: a state ioctl (GET/SET_REGS, ...) at an
 *     owed exit the VMM has answered (or that expects no answer) leaves
 *     nothing owed, unless the completion produced a new exit (split
 *     MMIO), or it is a SET after a state ioctl passed the exit unanswered;
 *     at an exit the VMM has not answered it finishes nothing. "Answered"
 *     is what the harness can see: it changed the answer area (an answer
 *     equal to what it found there, the library's marker, counts as none);
 * and after every input, once every fd is closed: no fd and no kvm_run
 * mapping of the library is left (LeakSanitizer covers malloc). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>
#include <linux/kvm.h>

#define FLAG15 (1u << 15)
#define MAXFD 24
#define RAM 0x8000 /* guest RAM [0, RAM); above it, MMIO */

enum kind { F_KVM, F_VM, F_VCPU, F_OTHER };
struct fdent { int fd; enum kind k; int vm; };  /* vm: index into vms */
struct vm { uint8_t *mem; int users; };
struct map { void *p; size_t n; };

static struct fdent fds[MAXFD];
static int nfds;
static struct vm vms[MAXFD];
static struct map maps[MAXFD];
static int nmaps;
static const uint8_t *in;
static size_t left;

static unsigned (*kd_doubles)(void);
static int (*kd_vcpu)(int, unsigned *, int *);
/* per double vCPU: exits the VMM has received from a KVM_RUN; whether it
 * answered the last one (or it expects no answer); whether a state ioctl
 * passed it unanswered */
static unsigned received[512];
static unsigned char answered[512], midexit[512];
static void (*kd_reset)(void);
static int (*api_complete)(int);
static int baseline_fds = -1;
static int debug;

static void fail(const char *what)
{
	fprintf(stderr, "fuzz-kvmcompl: VIOLATION: %s\n", what);
	abort();
}

static unsigned byte(void)
{
	if (!left) return 0;
	left--;
	return *in++;
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;
	if (!d) return -1;
	while ((e = readdir(d))) n += e->d_name[0] != '.';
	closedir(d);
	return n - 1; /* the DIR's own */
}

static void list_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	char p[64], t[128];
	ssize_t n;
	if (!d) return;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.') continue;
		snprintf(p, sizeof p, "/proc/self/fd/%s", e->d_name);
		n = readlink(p, t, sizeof t - 1);
		t[n < 0 ? 0 : n] = 0;
		fprintf(stderr, "  fd %s -> %s\n", e->d_name, t);
	}
	closedir(d);
}

static int count_run_maps(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	int n = 0;
	if (!f) return -1;
	while (fgets(line, sizeof line, f)) n += strstr(line, "kdouble-vcpu") != NULL;
	fclose(f);
	return n;
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc; (void)argv;
	kd_doubles = (unsigned (*)(void))dlsym(RTLD_DEFAULT, "kdouble_fuzz_doubles");
	kd_vcpu = (int (*)(int, unsigned *, int *))dlsym(RTLD_DEFAULT, "kdouble_fuzz_vcpu");
	kd_reset = (void (*)(void))dlsym(RTLD_DEFAULT, "kdouble_fuzz_reset");
	api_complete = (int (*)(int))dlsym(RTLD_DEFAULT, "kvmcompl_complete");
	if (!kd_doubles || !kd_vcpu || !kd_reset || !api_complete || !getenv("KDOUBLE")) {
		fprintf(stderr, "fuzz-kvmcompl: run with KDOUBLE=x86-6.18 (tests/fuzz/run-fuzz.sh)\n");
		exit(1);
	}
	return 0;
}

static void add(int fd, enum kind k, int vm)
{
	if (fd < 0) return;
	if (nfds == MAXFD) { close(fd); if (vm >= 0) vms[vm].users--; return; }
	fds[nfds++] = (struct fdent){ fd, k, vm };
	if (vm >= 0) vms[vm].users++;
}

static void forget_at(int i)
{
	int vm = fds[i].vm;
	if (vm >= 0 && --vms[vm].users == 0 && vms[vm].mem) {
		munmap(vms[vm].mem, 0x10000);
		vms[vm].mem = NULL;
	}
	fds[i] = fds[--nfds];
}

static void forget_fd(int fd)
{
	for (int i = 0; i < nfds; i++)
		if (fds[i].fd == fd) { forget_at(i); return; }
}

/* the i-th fd of kind k (any kind if k < 0), chosen by a byte */
static struct fdent *pick(int k)
{
	int idx[MAXFD], n = 0;
	for (int i = 0; i < nfds; i++)
		if (k < 0 || fds[i].k == (enum kind)k) idx[n++] = i;
	if (!n) return NULL;
	return &fds[idx[byte() % n]];
}

static int free_vm_slot(void)
{
	for (int i = 0; i < MAXFD; i++)
		if (!vms[i].users && !vms[i].mem) return i;
	return -1;
}

static struct kvm_run *run_of(int fd)
{
	/* the VMM's own mapping of this vCPU's kvm_run */
	struct kvm_run *r = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (r == MAP_FAILED) return NULL;
	if (nmaps < MAXFD) maps[nmaps++] = (struct map){ r, 3 * 4096 };
	else { munmap(r, 3 * 4096); return NULL; }
	return r;
}

/* guest code: snippets the double's interpreter models */
static void write_code(uint8_t *mem)
{
	static const uint8_t snip[][6] = {
		{ 2, 0xe4, 0xe0 },             /* in al,0xE0 */
		{ 2, 0xe6, 0xe1 },             /* out 0xE1,al */
		{ 3, 0xa1, 0x00, 0x90 },       /* mov ax,[0x9000]  MMIO read */
		{ 3, 0xa1, 0xff, 0x9f },       /* mov ax,[0x9fff]  split MMIO read */
		{ 5, 0xc7, 0x06, 0x00, 0xa0, 0x34 }, /* mov word [0xa000],0x..34 */
		{ 3, 0xb9, 0x03, 0x00 },       /* mov cx,3 */
		{ 3, 0xbf, 0x00, 0x20 },       /* mov di,0x2000 */
		{ 2, 0xf3, 0x6c },             /* rep insb */
		{ 2, 0xb0, 0x11 },             /* mov al,0x11 */
		{ 1, 0xf4 },                   /* hlt */
		{ 2, 0xeb, 0x00 },             /* jmp +0 */
		{ 1, 0x90 },                   /* not modelled: internal error */
	};
	unsigned n = byte() % 12, p = 0x1000;
	for (unsigned i = 0; i < n && p < 0x1100; i++) {
		const uint8_t *s = snip[byte() % (sizeof snip / sizeof snip[0])];
		memcpy(mem + p, s + 1, s[0]);
		p += s[0];
	}
	mem[p] = 0xf4;
}

static void set_real_mode(int fd)
{
	struct kvm_sregs sr;
	struct kvm_regs r;
	if (ioctl(fd, KVM_GET_SREGS, &sr) == 0) {
		sr.cs.base = 0;
		sr.cs.selector = 0;
		sr.es.base = 0;
		ioctl(fd, KVM_SET_SREGS, &sr);
	}
	memset(&r, 0, sizeof r);
	r.rip = 0x1000;
	r.rflags = 2;
	ioctl(fd, KVM_SET_REGS, &r);
}

/* A non-KVM fd: through the library and through the raw system call, the
 * same. Only requests without lasting effect beyond their own. */
static void nonkvm_ioctl(int fd)
{
	static const unsigned long reqs[] = { FIONREAD, TCGETS, FIOCLEX, FIONCLEX, TIOCGWINSZ,
					      KVM_GET_API_VERSION, KVM_CREATE_VM, KVM_RUN,
					      KVM_GET_REGS, KVM_CHECK_EXTENSION };
	unsigned long req = reqs[byte() % (sizeof reqs / sizeof reqs[0])];
	unsigned char a[256], b[256];
	int r1, r2, e1, e2;

	if (byte() & 1) /* any KVMIO number, any direction and size */
		req = _IOC(byte() & 3, KVMIO, byte(), byte() & 0x7f);
	memset(a, 0x5a, sizeof a);
	memset(b, 0x5a, sizeof b);
	errno = 0;
	r1 = ioctl(fd, req, a);
	e1 = errno;
	errno = 0;
	r2 = (int)syscall(SYS_ioctl, fd, req, b);
	e2 = errno;
	if (r1 != r2 || (r1 < 0 && e1 != e2) || memcmp(a, b, sizeof a)) {
		fprintf(stderr, "fd %d req %#lx: library %d errno %d, raw %d errno %d\n", fd, req, r1, e1, r2, e2);
		fail("a non-KVM fd's ioctl differs from the raw system call");
	}
}

/* One state ioctl, checked against the answer-aware rules. */
static int checked_state_ioctl(struct fdent *e, unsigned long req, void *buf)
{
	unsigned before = 0, after = 0;
	int pend0, pend, id = -1, r, owed, should, finished;

	pend0 = kd_vcpu(e->fd, &before, &id);
	r = ioctl(e->fd, req, buf);
	if (pend0 < 0 || id < 0 || id >= 512)
		return r;
	/* the exit the VMM received is owed (not one a completion produced
	 * and holds for the VMM's next KVM_RUN) */
	owed = pend0 == 1 && before == received[id];
	pend = kd_vcpu(e->fd, &after, &id);
	finished = !(pend == 1 && after == before);
	if (owed) {
		should = answered[id] && !(midexit[id] && req == KVM_SET_REGS);
		if (should && !finished)
			fail("a state ioctl at an answered exit left the completion owed");
		if (!should && finished)
			fail("a state ioctl finished an exit the VMM had not answered (or was editing)");
		if (!answered[id])
			midexit[id] = 1;
	}
	return r;
}

static void state_ioctl(struct fdent *e)
{
	static const unsigned long reqs[] = { KVM_GET_REGS, KVM_SET_REGS, KVM_GET_SREGS, KVM_GET_FPU,
					      KVM_GET_XCRS, KVM_GET_VCPU_EVENTS, KVM_GET_MP_STATE,
					      KVM_GET_DEBUGREGS, KVM_GET_MSRS, KVM_GET_XSAVE };
	unsigned long req = reqs[byte() % (sizeof reqs / sizeof reqs[0])];
	static union { struct kvm_regs r; struct kvm_msrs m; uint8_t x[8192]; } buf;

	memset(&buf, 0, sizeof buf);
	if (req == KVM_SET_REGS && checked_state_ioctl(e, KVM_GET_REGS, &buf.r) < 0) return;
	checked_state_ioctl(e, req, &buf);
}

/* Write an answer of n bytes of value b at p; whether it changed them. */
static int answer(uint8_t *p, unsigned n, uint8_t b)
{
	int changed = 0;

	for (unsigned i = 0; i < n; i++)
		changed |= p[i] != b;
	memset(p, b, n);
	return changed;
}

static void vcpu_run(struct fdent *e, struct kvm_run *run)
{
	unsigned ex;
	int r, pend, id = 0;

	if (byte() & 1) set_real_mode(e->fd);
	if (vms[e->vm].mem && (byte() & 1)) write_code(vms[e->vm].mem);
	r = ioctl(e->fd, KVM_RUN, 0);
	pend = kd_vcpu(e->fd, &ex, &id);
	if (r == 0 && pend >= 0 && id >= 0 && id < 512) received[id] = ex;
	if (pend >= 0 && id >= 0 && id < 512) {
		/* a new exit, or none: nothing unanswered the library watches */
		answered[id] = 1;
		midexit[id] = 0;
	}
	if (r == 0 && pend == 1 && run && !(run->flags & FLAG15))
		fail("KVM_RUN returned an exit that owes a completion without bit 15");
	if (r != 0 || !run) return;
	/* answer the exit as a VMM does, or leave it unanswered (a ucall) */
	if (run->exit_reason == KVM_EXIT_IO && run->io.direction == KVM_EXIT_IO_IN && run->io.data_offset < 3 * 4096 - 8) {
		unsigned n = run->io.size * run->io.count < 8 ? run->io.size * run->io.count : 8;
		int a = byte() % 4 ? answer((uint8_t *)run + run->io.data_offset, n, byte()) : 0;
		if (id >= 0 && id < 512) answered[id] = (unsigned char)a;
	} else if (run->exit_reason == KVM_EXIT_MMIO && !run->mmio.is_write) {
		unsigned n = run->mmio.len <= 8 ? run->mmio.len : 8;
		int a = byte() % 4 ? answer(run->mmio.data, n, byte()) : 0;
		if (id >= 0 && id < 512) answered[id] = (unsigned char)a;
	}
	if (byte() % 8 == 0) run->immediate_exit = 1; /* a VMM kick */
	if (byte() % 8 == 0) run->flags |= FLAG15;   /* a VMM that writes bit 15 */
}

static void step(void)
{
	struct fdent *e, *v;
	unsigned op = byte() % 16;
	int fd, slot;

	switch (op) {
	case 0:
		add(open("/dev/kvm", O_RDWR | ((byte() & 1) ? O_CLOEXEC : 0)), F_KVM, -1);
		break;
	case 1:
		if (!(e = pick(F_KVM))) break;
		slot = free_vm_slot();
		fd = ioctl(e->fd, KVM_CREATE_VM, 0);
		if (fd < 0) break;
		if (slot < 0) { close(fd); break; }
		vms[slot].mem = mmap(NULL, 0x10000, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (vms[slot].mem == MAP_FAILED) { vms[slot].mem = NULL; close(fd); break; }
		{
			struct kvm_userspace_memory_region reg = { 0, 0, 0, RAM, (uintptr_t)vms[slot].mem };
			ioctl(fd, KVM_SET_USER_MEMORY_REGION, &reg);
		}
		add(fd, F_VM, slot);
		break;
	case 2:
		if (!(e = pick(F_VM))) break;
		if (byte() & 1) ioctl(e->fd, KVM_GET_VCPU_MMAP_SIZE, 0); /* on a VM fd: EINVAL */
		fd = ioctl(e->fd, KVM_CREATE_VCPU, (unsigned long)(byte() % 4));
		add(fd, F_VCPU, e->vm);
		break;
	case 3: case 4: case 5:
		if ((v = pick(F_VCPU))) vcpu_run(v, run_of(v->fd));
		break;
	case 6: case 7:
		if ((v = pick(F_VCPU))) state_ioctl(v);
		break;
	case 8: /* exit-protocol and other KVM requests */
		if (!(e = pick(-1))) break;
		{
			static const unsigned long reqs[] = { KVM_CHECK_EXTENSION, KVM_GET_API_VERSION,
							      KVM_GET_VCPU_MMAP_SIZE, KVM_INTERRUPT,
							      KVM_NMI, KVM_SET_SIGNAL_MASK, KVM_TRANSLATE };
			uint8_t a[512] = { 0 };
			unsigned long req = reqs[byte() % (sizeof reqs / sizeof reqs[0])];
			if (req == KVM_CHECK_EXTENSION)
				ioctl(e->fd, req, (unsigned long)((byte() & 1) ? 239 : byte()));
			else if (req == KVM_SET_SIGNAL_MASK)
				ioctl(e->fd, req, (byte() & 1) ? NULL : a);
			else
				ioctl(e->fd, req, a);
		}
		break;
	case 9:
		if ((v = pick(F_VCPU))) {
			unsigned ex;
			int id = -1;
			/* kvmcompl_complete() finishes even an unanswered exit (with
			 * its original bytes) and forgets the marker */
			api_complete(v->fd);
			if (kd_vcpu(v->fd, &ex, &id) >= 0 && id >= 0 && id < 512) answered[id] = 1;
		}
		break;
	case 10: /* a non-KVM fd */
		switch (byte() % 4) {
		case 0: { int p[2]; if (pipe(p) == 0) { add(p[0], F_OTHER, -1); add(p[1], F_OTHER, -1); } break; }
		case 1: add(open("/dev/null", O_RDWR), F_OTHER, -1); break;
		case 2: add(eventfd(0, 0), F_OTHER, -1); break;
		default: add(memfd_create("fuzz-other", 0), F_OTHER, -1); break;
		}
		break;
	case 11:
		if ((e = pick(F_OTHER))) nonkvm_ioctl(e->fd);
		break;
	case 12:
		if ((e = pick(-1))) { fd = e->fd; forget_at((int)(e - fds)); close(fd); }
		break;
	case 13: /* dup, dup2/dup3 onto another of ours or a fresh number, fcntl */
		if (!(e = pick(-1))) break;
		{
			struct fdent src = *e, *dst;
			int to = -1;
			switch (byte() % 5) {
			case 0: to = dup(src.fd); break;
			case 1: to = fcntl(src.fd, F_DUPFD_CLOEXEC, 0); break;
			case 2: to = fcntl(src.fd, F_DUPFD, 100 + byte() % 16); break;
			default:
				dst = pick(-1);
				if (!dst || dst->fd == src.fd) break;
				fd = dst->fd;
				forget_at((int)(dst - fds));
				to = (byte() & 1) ? dup2(src.fd, fd) : dup3(src.fd, fd, O_CLOEXEC);
				break;
			}
			if (to >= 0) { forget_fd(to); add(to, src.k, src.vm); }
		}
		break;
	case 14: /* close_range over one of ours */
		if ((e = pick(-1))) {
			fd = e->fd;
			forget_at((int)(e - fds));
			close_range((unsigned)fd, (unsigned)fd, 0);
		}
		break;
	default: /* a KVMIO request of any number on a KVM fd (zeroed buffer) */
		if (!(e = pick(byte() % 3))) break;
		{
			static uint8_t a[16384];
			unsigned nr = byte();
			unsigned long req = _IOC(byte() & 3, KVMIO, nr, byte() & 0x7f);
			/* creators make fds this harness would not track; the
			 * memory and MSR-filter ioctls make the double follow
			 * pointers: not the library's input */
			static const unsigned long known[] = { KVM_SET_REGS, KVM_SET_SREGS, KVM_SET_FPU,
				KVM_SET_XCRS, KVM_SET_VCPU_EVENTS, KVM_SET_MP_STATE, KVM_SET_DEBUGREGS,
				KVM_SET_MSRS, KVM_SET_XSAVE, KVM_SET_CPUID2, KVM_GET_SUPPORTED_CPUID,
				KVM_ENABLE_CAP, KVM_SET_TSS_ADDR, KVM_RUN };
			if (nr == 0x01 || nr == 0x41 || nr == 0x46 || nr == 0xe0 || nr == 0xc6)
				break;
			if (nr & 1) req = known[nr / 2 % (sizeof known / sizeof known[0])];
			memset(a, 0, sizeof a);
			if (ioctl(e->fd, req, a) == 0 && req == KVM_RUN) {
				unsigned ex;
				int id = 0;
				struct kvm_run *run = run_of(e->fd);
				if (kd_vcpu(e->fd, &ex, &id) >= 0 && id >= 0 && id < 512) {
					received[id] = ex;
					midexit[id] = 0;
					/* left as it is: unanswered if it expects an answer */
					answered[id] = !(run && ((run->exit_reason == KVM_EXIT_IO &&
								 run->io.direction == KVM_EXIT_IO_IN) ||
								(run->exit_reason == KVM_EXIT_MMIO &&
								 !run->mmio.is_write)));
				}
			}
		}
		break;
	}
	if (kd_doubles())
		fail("an exit was completed twice (kdouble)");
	if (debug) {
		fprintf(stderr, "step op %u: %d fds tracked, %d open beyond the start\n", op, nfds,
			count_fds() - baseline_fds);
		if (count_fds() - baseline_fds != nfds) list_fds();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int n;

	/* per input: libFuzzer itself opens fds between inputs (symbolizer) */
	baseline_fds = count_fds();
	debug = getenv("FUZZ_DEBUG") != NULL;
	if (debug) fprintf(stderr, "---- input of %zu bytes\n", size);
	in = data;
	left = size > 4096 ? 4096 : size;
	while (left) step();
	while (nfds) { int fd = fds[0].fd; forget_at(0); close(fd); }
	for (int i = 0; i < nmaps; i++) munmap(maps[i].p, maps[i].n);
	nmaps = 0;
	for (int i = 0; i < MAXFD; i++)
		if (vms[i].mem) { munmap(vms[i].mem, 0x10000); vms[i].mem = NULL; vms[i].users = 0; }
	kd_reset();
	memset(received, 0, sizeof received);
	memset(answered, 1, sizeof answered);
	memset(midexit, 0, sizeof midexit);
	if ((n = count_fds()) != baseline_fds) {
		fprintf(stderr, "open fds: %d, at start %d\n", n, baseline_fds);
		list_fds();
		fail("fds left open after every fd of the input was closed");
	}
	if ((n = count_run_maps()) != 0) {
		fprintf(stderr, "kvm_run mappings left: %d\n", n);
		fail("kvm_run mappings left after every fd of the input was closed");
	}
	return 0;
}
