/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libkdouble: a test double of the KVM kernel interface, preloaded AFTER
 * libkvmcompl (LD_PRELOAD="libkvmcompl.so libkdouble.so") or alone (the
 * control), so that libkvmcompl's dlsym(RTLD_NEXT, "ioctl") reaches it.
 *
 * KDOUBLE=<personality> selects the kernel modelled (see kd_pers below);
 * unset, every call passes through.  KDOUBLE_STRICT=1 makes the process
 * exit 1 when a completion ran twice for one exit.
 *
 * KDOUBLE_FAULT=<fault>[,<fault>...] injects kernel failures (tests/faults.test):
 *   run:<ERR>:<N>[+][:before|:after]
 *       the Nth KVM_RUN (N+: and every later one) entered while a completion
 *       is owed (an exit of x86 complete_userspace_io, arm64 mmio_needed, ...)
 *       fails with ERR, either before the completion ran (still owed) or
 *       after it (done).  Default: EIO before, ENOMEM before, EFAULT after.
 *       Kernel paths that produce them:
 *       EIO before: kvm_vcpu_ioctl() "if (vcpu->kvm->mm != current->mm ||
 *         vcpu->kvm->vm_dead) return -EIO" (a KVM_BUG_ON marked the VM
 *         dead): checked before kvm_arch_vcpu_ioctl_run, and permanent, so
 *         from then on every ioctl of that VM and its vCPUs fails with EIO.
 *       ENOMEM before: the first KVM_RUN from a new thread (a completion
 *         run from another thread) goes through kvm_arch_vcpu_run_pid_change
 *         (arm64 kvm_vcpu_first_run_init -> kvm_vgic_map_resources /
 *         kvm_timer_enable, allocation) before the arch run code; also
 *         x86 kvm_mmu_reload -> mmu_topup_memory_caches -ENOMEM, after.
 *       EFAULT after: x86 vcpu_enter_guest -> kvm_mmu_page_fault ->
 *         kvm_prepare_memory_fault_exit (KVM_EXIT_MEMORY_FAULT, -EFAULT),
 *         after complete_userspace_io ran; riscv kvm_riscv_vcpu_mmio_return
 *         and loongarch kvm_complete_mmio_read return an error from the
 *         completion itself at the top of KVM_RUN.
 *   mmap:<ERR>:<N>[+]
 *       the Nth MAP_SHARED mmap of a vCPU fd fails with ERR (default
 *       ENOMEM: do_mmap -> get_unmapped_area / vm.max_map_count /
 *       RLIMIT_AS, "mm: ... -ENOMEM"; EAGAIN from mlock accounting of an
 *       MCL_FUTURE process; kvm_vcpu_mmap itself only rejects VM_EXEC
 *       ... -EINVAL).
 *
 * Test hooks (for VMMs, through dlsym; tests/regress.test):
 *   kdouble_pause_at("complete"|"readlink") makes the next completion run by
 *   a KVM_RUN (after complete_userspace_io or its arch equivalent ran, still
 *   inside the ioctl), or the next readlink of a /proc/self/fd link, stop
 *   until kdouble_resume(); kdouble_wait_paused(ms) waits for that stop, so a
 *   second thread of the VMM acts at a known moment (a kick landing inside
 *   a completion; a close racing the library's identification of an fd).
 *   kdouble_bad_closes() counts close() calls on descriptors that were not
 *   open (EBADF): a descriptor closed twice.
 *
 * fds: /dev/kvm, VM and vCPU fds are memfds.  Objects are keyed on the
 * memfd's inode, not on the fd number, as the kernel keys on the file: so
 * dup/dup2/dup3/fcntl(F_DUPFD*), close, fd reuse and fds passed around need
 * no interposition, and every MAP_SHARED mmap of a vCPU fd maps the same
 * kvm_run page (the memfd's first page) without an mmap interposer. */
#define _GNU_SOURCE
#include "kdouble.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#define EXPORT __attribute__((visibility("default")))

/* ---- personalities ---- */
static const struct kd_pers pers[] = {
	/* name          arch         version        machine      ie  native  wrong */
	{ "x86-4.10", KD_X86, KD_VER(4, 10), "x86_64", 0, 0, 0 },
	{ "x86-5.0", KD_X86, KD_VER(5, 0), "x86_64", 1, 0, 0 },
	{ "x86-6.1", KD_X86, KD_VER(6, 1), "x86_64", 1, 0, 0 },
	{ "x86-6.18", KD_X86, KD_VER(6, 18), "x86_64", 1, 0, 0 },
	/* "KVM: Add a common kvm_run flag to communicate an exit needs
	 * completion" v1 (Jan 2025), applied to 6.14 */
	{ "x86-upstream-flag", KD_X86, KD_VER(6, 14), "x86_64", 1, 1, 0 },
	/* The same kernel with a native flag that is deliberately wrong for
	 * one exit: bit 15 stays clear on KVM_EXIT_X86_RDMSR although
	 * complete_emulated_msr is owed.  It models the kind of mistake the
	 * upstream v1 patch's duplicated x86 define would have made (an x86
	 * exit whose flag disagrees with what the kernel really owes), for
	 * KVMCOMPL_MODE=verify in tests/sanitizer.test, which must report the
	 * disagreement.  Not part of tests/kdouble.test: a VMM trusting this
	 * flag loses the RDMSR, by design. */
	{ "x86-upstream-flag-wrong", KD_X86, KD_VER(6, 14), "x86_64", 1, 1, 1 },
	{ "arm64-5.2", KD_ARM64, KD_VER(5, 2), "aarch64", 1, 0, 0 },
	{ "arm64-6.12", KD_ARM64, KD_VER(6, 12), "aarch64", 1, 0, 0 },
	{ "ppc-book3s", KD_PPC, KD_VER(6, 12), "ppc64le", 1, 0, 0 },
	{ "riscv", KD_RISCV, KD_VER(6, 12), "riscv64", 1, 0, 0 },
	{ "loongarch-6.14", KD_LOONGARCH, KD_VER(6, 14), "loongarch64", 1, 0, 0 },
	{ "mips", KD_MIPS, KD_VER(6, 12), "mips64", 1, 0, 0 },
	{ "s390", KD_S390, KD_VER(6, 12), "s390x", 1, 0, 0 },
};
const struct kd_pers *kd_p;
static const struct kd_arch_ops *ops;
static int strict;
static char release[64];

/* ---- fault injection (KDOUBLE_FAULT) ---- */
enum { F_RUN, F_MMAP };
static struct kd_fault {
	int what, err, after, every;
	unsigned n, seen;
} faults[8];
static int nfaults;

static int err_of(const char *s)
{
	if (!strcmp(s, "EFAULT")) return EFAULT;
	if (!strcmp(s, "EIO")) return EIO;
	if (!strcmp(s, "ENOMEM")) return ENOMEM;
	if (!strcmp(s, "EAGAIN")) return EAGAIN;
	if (!strcmp(s, "EINVAL")) return EINVAL;
	return 0;
}

static void parse_faults(const char *spec)
{
	char buf[256], *save = NULL, *item;

	snprintf(buf, sizeof(buf), "%s", spec);
	for (item = strtok_r(buf, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		char what[16] = "", err[16] = "", n[16] = "", when[16] = "";
		struct kd_fault *f = &faults[nfaults];
		if (nfaults == 8 || sscanf(item, "%15[^:]:%15[^:]:%15[^:]:%15s", what, err, n, when) < 3)
			goto bad;
		f->what = !strcmp(what, "run") ? F_RUN : !strcmp(what, "mmap") ? F_MMAP : -1;
		f->err = err_of(err);
		f->n = (unsigned)strtoul(n, NULL, 10);
		f->every = strchr(n, '+') != NULL;
		f->after = when[0] ? !strcmp(when, "after") : f->err == EFAULT;
		if (f->what < 0 || !f->err || !f->n || (when[0] && strcmp(when, "after") && strcmp(when, "before")) ||
		    (f->what == F_MMAP && when[0]))
			goto bad;
		nfaults++;
	}
	return;
bad:
	fprintf(stderr, "kdouble: bad KDOUBLE_FAULT item '%s' (run:ERR:N[+][:before|:after], mmap:ERR:N[+])\n",
		item ? item : spec);
	_exit(99);
}

/* Whether this event (the count-th of its kind) is to fail; the errno. */
static struct kd_fault *fault_hit(int what)
{
	for (int i = 0; i < nfaults; i++) {
		struct kd_fault *f = &faults[i];
		unsigned k;
		if (f->what != what) continue;
		k = __atomic_add_fetch(&f->seen, 1, __ATOMIC_SEQ_CST);
		if (k == f->n || (f->every && k > f->n)) {
			fprintf(stderr, "kdouble[%s]: FAULT injected: %s #%u fails with errno %d%s\n", kd_p->name,
				what == F_RUN ? "KVM_RUN owing a completion" : "mmap of a vCPU fd", k, f->err,
				what == F_RUN ? (f->after ? " after the completion" : " before the completion") : "");
			return f;
		}
	}
	return NULL;
}

/* ---- test hooks: pausing at a point, and counting bad closes ---- */
static pthread_mutex_t pause_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t pause_cond = PTHREAD_COND_INITIALIZER;
static char pause_point[16];
static int paused, resumed;

EXPORT void kdouble_pause_at(const char *point);
EXPORT void kdouble_pause_at(const char *point)
{
	pthread_mutex_lock(&pause_lock);
	snprintf(pause_point, sizeof(pause_point), "%s", point ? point : "");
	paused = resumed = 0;
	pthread_mutex_unlock(&pause_lock);
}

/* At a point: stop here if armed for it (once). */
static void pause_here(const char *point)
{
	pthread_mutex_lock(&pause_lock);
	if (strcmp(pause_point, point) == 0) {
		pause_point[0] = 0;
		paused = 1;
		fprintf(stderr, "kdouble[%s]: paused at %s\n", kd_p->name, point);
		pthread_cond_broadcast(&pause_cond);
		while (!resumed)
			pthread_cond_wait(&pause_cond, &pause_lock);
	}
	pthread_mutex_unlock(&pause_lock);
}

/* 1 once the double has stopped at the armed point, 0 after ms ms. */
EXPORT int kdouble_wait_paused(int ms);
EXPORT int kdouble_wait_paused(int ms)
{
	struct timespec t;
	int r = 0;

	clock_gettime(CLOCK_REALTIME, &t);
	t.tv_sec += ms / 1000;
	t.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (t.tv_nsec >= 1000000000L) { t.tv_sec++; t.tv_nsec -= 1000000000L; }
	pthread_mutex_lock(&pause_lock);
	while (!paused && r == 0)
		r = pthread_cond_timedwait(&pause_cond, &pause_lock, &t);
	r = paused;
	pthread_mutex_unlock(&pause_lock);
	return r;
}

EXPORT void kdouble_resume(void);
EXPORT void kdouble_resume(void)
{
	pthread_mutex_lock(&pause_lock);
	resumed = 1;
	pause_point[0] = 0;
	pthread_cond_broadcast(&pause_cond);
	pthread_mutex_unlock(&pause_lock);
}

static unsigned bad_closes;
EXPORT unsigned kdouble_bad_closes(void);
EXPORT unsigned kdouble_bad_closes(void) { return __atomic_load_n(&bad_closes, __ATOMIC_SEQ_CST); }

/* ---- the next definitions ---- */
static int (*real_open)(const char *, int, ...);
static int (*real_openat)(int, const char *, int, ...);
static int (*real_ioctl)(int, unsigned long, ...);
static ssize_t (*real_readlink)(const char *, char *, size_t);
static ssize_t (*real_readlinkat)(int, const char *, char *, size_t);
static int (*real_uname)(struct utsname *);
static void *(*real_mmap)(void *, size_t, int, int, int, off_t);
static int (*real_close)(int);
static __thread int in_double; /* the double's own mmap of a vCPU */

static void resolve(void)
{
	static int done;
	if (done) return;
	real_open = (int (*)(const char *, int, ...))dlsym(RTLD_NEXT, "open");
	real_openat = (int (*)(int, const char *, int, ...))dlsym(RTLD_NEXT, "openat");
	real_ioctl = (int (*)(int, unsigned long, ...))dlsym(RTLD_NEXT, "ioctl");
	real_readlink = (ssize_t (*)(const char *, char *, size_t))dlsym(RTLD_NEXT, "readlink");
	real_readlinkat = (ssize_t (*)(int, const char *, char *, size_t))dlsym(RTLD_NEXT, "readlinkat");
	real_uname = (int (*)(struct utsname *))dlsym(RTLD_NEXT, "uname");
	real_mmap = (void *(*)(void *, size_t, int, int, int, off_t))dlsym(RTLD_NEXT, "mmap");
	real_close = (int (*)(int))dlsym(RTLD_NEXT, "close");
	done = 1;
}

static void report(void);

__attribute__((constructor)) static void kd_init(void)
{
	const char *name = getenv("KDOUBLE"), *s = getenv("KDOUBLE_STRICT"), *f = getenv("KDOUBLE_FAULT");

	resolve();
	strict = s && *s == '1';
	if (!name || !*name) return;
	for (size_t i = 0; i < sizeof(pers) / sizeof(pers[0]); i++)
		if (!strcmp(pers[i].name, name)) kd_p = &pers[i];
	if (!kd_p) {
		fprintf(stderr, "kdouble: unknown personality KDOUBLE=%s\n", name);
		_exit(99);
	}
	if (kd_p->arch == KD_X86 && !KD_HOST_X86) {
		/* x86 needs the host's x86 structures; the scripted guests run
		 * in any build (a cross build uses the target's own layouts) */
		fprintf(stderr, "kdouble: personality %s cannot run in a %s build\n", name,
			kd_arch_name(KD_HOST_ARCH));
		_exit(77);
	}
	ops = kd_p->arch == KD_X86 ? &kd_x86_ops : &kd_gen_ops;
	snprintf(release, sizeof(release), "%d.%d.0-kdouble", kd_p->ver / 100, kd_p->ver % 100);
	if (f && *f) parse_faults(f);
}

/* ---- objects, keyed on the memfd inode ---- */
enum kd_kind { K_NONE, K_SYSTEM, K_VM, K_VCPU };
struct kd_obj { dev_t dev; ino_t ino; enum kd_kind kind; void *p; };
#define MAXOBJ 512
static struct kd_obj objs[MAXOBJ];
static int nobj;
static pthread_mutex_t objs_lock = PTHREAD_MUTEX_INITIALIZER;
static struct kd_vcpu *vcpus[MAXOBJ];
static int nvcpus, nvms;

static enum kd_kind lookup(int fd, void **p)
{
	struct stat st;
	enum kd_kind k = K_NONE;

	if (!kd_p || fd < 0 || fstat(fd, &st) < 0) return K_NONE;
	pthread_mutex_lock(&objs_lock);
	for (int i = 0; i < nobj; i++)
		if (objs[i].dev == st.st_dev && objs[i].ino == st.st_ino) {
			k = objs[i].kind;
			if (p) *p = objs[i].p;
			break;
		}
	pthread_mutex_unlock(&objs_lock);
	return k;
}

static int new_obj(const char *name, enum kd_kind kind, void *p, size_t size, int cloexec)
{
	struct stat st;
	int fd = memfd_create(name, cloexec ? MFD_CLOEXEC : 0);

	if (fd < 0) return -1;
	if ((size && ftruncate(fd, (off_t)size) < 0) || fstat(fd, &st) < 0) {
		close(fd);
		return -1;
	}
	pthread_mutex_lock(&objs_lock);
	if (nobj == MAXOBJ) {
		pthread_mutex_unlock(&objs_lock);
		close(fd);
		errno = ENOMEM;
		return -1;
	}
	objs[nobj++] = (struct kd_obj){ st.st_dev, st.st_ino, kind, p };
	pthread_mutex_unlock(&objs_lock);
	return fd;
}

/* ---- open, readlink, uname ---- */
static int open_kvm(int flags)
{
	return new_obj("kdouble-kvm", K_SYSTEM, NULL, 0, flags & O_CLOEXEC);
}

#define OPEN_BODY(call) \
	mode_t mode = 0; \
	if (flags & (O_CREAT | O_TMPFILE)) { \
		va_list ap; va_start(ap, flags); mode = (mode_t)va_arg(ap, int); va_end(ap); \
	} \
	resolve(); \
	if (kd_p && !strcmp(path, "/dev/kvm")) return open_kvm(flags); \
	return call;

EXPORT int open(const char *path, int flags, ...) { OPEN_BODY(real_open(path, flags, mode)) }
EXPORT int open64(const char *path, int flags, ...) { OPEN_BODY(real_open(path, flags | O_LARGEFILE, mode)) }
EXPORT int openat(int dir, const char *path, int flags, ...) { OPEN_BODY(real_openat(dir, path, flags, mode)) }
EXPORT int openat64(int dir, const char *path, int flags, ...) { OPEN_BODY(real_openat(dir, path, flags | O_LARGEFILE, mode)) }
EXPORT int __open_2(const char *path, int flags);
EXPORT int __open_2(const char *path, int flags) { return open(path, flags); }
EXPORT int __open64_2(const char *path, int flags);
EXPORT int __open64_2(const char *path, int flags) { return open(path, flags); }

/* The names the kernel gives: kvm_dev_ioctl_create_vm "kvm-vm",
 * create_vcpu_fd "kvm-vcpu:%d" (virt/kvm/kvm_main.c). */
static ssize_t fd_link(const char *path, char *buf, size_t size)
{
	const char *p;
	char *end, name[64];
	long fd;
	void *o = NULL;
	enum kd_kind k;

	if (!kd_p || strncmp(path, "/proc/", 6)) return -2;
	/* Without a procfs mounted there are no links to read (faults.test
	 * runs under an empty /proc): the kernel's ENOENT. */
	if (access("/proc/self/fd", F_OK) != 0) return -2;
	p = path + 6;
	if (!strncmp(p, "self/", 5)) p += 5;
	else if (!strncmp(p, "thread-self/", 12)) p += 12;
	else {
		strtol(p, &end, 10);
		if (end == p || *end != '/') return -2;
		p = end + 1;
	}
	if (strncmp(p, "fd/", 3)) return -2;
	fd = strtol(p + 3, &end, 10);
	if (end == p + 3 || *end) return -2;
	k = lookup((int)fd, &o);
	if (k != K_NONE)
		pause_here("readlink");
	if (k == K_SYSTEM) snprintf(name, sizeof(name), "/dev/kvm");
	else if (k == K_VM) snprintf(name, sizeof(name), "anon_inode:kvm-vm");
	else if (k == K_VCPU) snprintf(name, sizeof(name), "anon_inode:kvm-vcpu:%d", ((struct kd_vcpu *)o)->vcpu_id);
	else return -2;
	size_t n = strlen(name);
	if (n > size) n = size;
	memcpy(buf, name, n);
	return (ssize_t)n;
}

EXPORT ssize_t readlink(const char *path, char *buf, size_t size)
{
	ssize_t r;
	resolve();
	if ((r = fd_link(path, buf, size)) != -2) return r;
	return real_readlink(path, buf, size);
}

EXPORT ssize_t readlinkat(int dir, const char *path, char *buf, size_t size)
{
	ssize_t r;
	resolve();
	if (path[0] == '/' && (r = fd_link(path, buf, size)) != -2) return r;
	return real_readlinkat(dir, path, buf, size);
}

EXPORT int uname(struct utsname *u)
{
	int r;
	resolve();
	r = real_uname(u);
	if (r == 0 && kd_p) {
		snprintf(u->release, sizeof(u->release), "%s", release);
		snprintf(u->machine, sizeof(u->machine), "%s", kd_p->machine);
	}
	return r;
}

/* ---- accounting ---- */
void kd_new_exit(struct kd_vcpu *v)
{
	v->exit_seq++;
	v->seq_count = 0;
	v->exits++;
}

void kd_completed(struct kd_vcpu *v, const char *what)
{
	int i;

	for (i = 0; i < KD_MAXCOMP && v->comp[i].what; i++)
		if (!strcmp(v->comp[i].what, what)) break;
	if (i < KD_MAXCOMP) {
		v->comp[i].what = what;
		v->comp[i].n++;
	}
	if (++v->seq_count == 2) {
		v->doubles++;
		fprintf(stderr, "kdouble[%s]: DOUBLE COMPLETION: vm %d vcpu %d: %s ran twice for exit #%llu\n",
			kd_p->name, v->vm_id, v->vcpu_id, what, (unsigned long long)v->exit_seq);
	}
}

static unsigned reported_doubles;
static int reported;

/* Problems a VMM test must fail on: completions that ran twice, and
 * guests run by a KVM_RUN that relied on an ignored immediate_exit. */
static unsigned total_doubles(void)
{
	unsigned d = 0;
	for (int i = 0; i < nvcpus; i++) d += vcpus[i]->doubles + vcpus[i]->ignored_ie;
	return d;
}

static void report(void)
{
	for (int i = 0; i < nvcpus; i++) {
		struct kd_vcpu *v = vcpus[i];
		char buf[512];
		size_t n = 0;
		buf[0] = 0;
		for (int j = 0; j < KD_MAXCOMP && v->comp[j].what; j++)
			n += (size_t)snprintf(buf + n, n < sizeof(buf) ? sizeof(buf) - n : 0, " %s=%u",
					      v->comp[j].what, v->comp[j].n);
		fprintf(stderr, "kdouble[%s]: vm %d vcpu %d: exits=%u completions:%s%s%s\n", kd_p->name,
			v->vm_id, v->vcpu_id, v->exits, buf[0] ? buf : " none",
			v->doubles ? " (DOUBLE COMPLETION)" : "",
			v->ignored_ie ? " (IGNORED IMMEDIATE_EXIT)" : "");
	}
	reported = 1;
	reported_doubles = total_doubles();
}

/* For VMMs (dlsym): print the counters now; returns how many exits were
 * completed twice (plus guest runs under an ignored immediate_exit). */
EXPORT unsigned kdouble_report(void);
EXPORT unsigned kdouble_report(void)
{
	if (!kd_p) return 0;
	report();
	return reported_doubles;
}

__attribute__((destructor)) static void kd_fini(void)
{
	if (!kd_p) return;
	if (!reported || total_doubles() != reported_doubles) report();
	if (strict && total_doubles()) {
		fprintf(stderr, "kdouble[%s]: KDOUBLE_STRICT: %u DOUBLE COMPLETION(s) or IGNORED IMMEDIATE_EXIT run(s): exit 1\n", kd_p->name,
			total_doubles());
		_exit(1);
	}
}

/* ---- helpers for the arch code ---- */
uint8_t *kd_gpa(struct kd_vm *vm, uint64_t gpa, uint64_t len)
{
	for (int i = 0; i < vm->nslot; i++) {
		struct kd_slot *s = &vm->slot[i];
		if (s->size && gpa >= s->gpa && gpa + len <= s->gpa + s->size)
			return s->hva + (gpa - s->gpa);
	}
	return NULL;
}

void kd_internal_error(struct kd_vcpu *v, const char *why)
{
	fprintf(stderr, "kdouble[%s]: KVM_EXIT_INTERNAL_ERROR: %s\n", kd_p->name, why);
	v->run->exit_reason = KVM_EXIT_INTERNAL_ERROR;
	v->run->internal.suberror = KVM_INTERNAL_ERROR_EMULATION;
	v->run->internal.ndata = 0;
	kd_new_exit(v);
}

/* ---- capabilities (kvm_vm_ioctl_check_extension and the arch's) ---- */
static int check_extension(long cap)
{
	int x86 = kd_p->arch == KD_X86;

	switch (cap) {
	case KVM_CAP_IMMEDIATE_EXIT: /* 4.11, "KVM: add kvm_run.immediate_exit" */
		return kd_p->immediate_exit;
	case KVM_CAP_USER_MEMORY:
		return 1;
	case KVM_CAP_ONE_REG:
		return !x86;
#if KD_HOST_X86   /* defined only where <asm/kvm.h> has __KVM_HAVE_* */
	case KVM_CAP_SET_TSS_ADDR:
	case KVM_CAP_EXT_CPUID:
	case KVM_CAP_XSAVE:
	case KVM_CAP_XCRS:
	case KVM_CAP_MP_STATE:
	case KVM_CAP_VCPU_EVENTS:
	case KVM_CAP_DEBUGREGS:
		return x86;
#endif
	case KVM_CAP_X86_USER_SPACE_MSR: /* 5.10: 1ae099540e8c */
	case KVM_CAP_X86_MSR_FILTER:
		return x86 && kd_p->ver >= KD_VER(5, 10);
	case KVM_CAP_NR_VCPUS:
	case KVM_CAP_MAX_VCPUS:
		return 4;
	case KD_CAP_NEEDS_COMPLETION:
		/* the upstream series answers 1; on arm64 6.15+ 239 is
		 * KVM_CAP_ARM_WRITABLE_IMP_ID_REGS (no personality here is 6.15+) */
		if (kd_p->native_flag) return 1;
		if (kd_p->arch == KD_ARM64 && kd_p->ver >= KD_VER(6, 15)) return 1;
		return 0;
	}
	return 0;
}

/* ---- system, VM, vCPU ioctls ---- */
#define RUN_PAGES 3   /* x86: run page, PIO page, coalesced MMIO page */

static int create_vm(void)
{
	struct kd_vm *vm = calloc(1, sizeof(*vm));
	int fd;
	if (!vm) { errno = ENOMEM; return -1; }
	vm->id = __atomic_add_fetch(&nvms, 1, __ATOMIC_SEQ_CST);
	fd = new_obj("kdouble-vm", K_VM, vm, 0, 1);
	if (fd < 0) free(vm);
	return fd;
}

static int create_vcpu(struct kd_vm *vm, unsigned long id)
{
	struct kd_vcpu *v = calloc(1, sizeof(*v));
	size_t size = RUN_PAGES * 4096;
	int fd;

	if (!v) { errno = ENOMEM; return -1; }
	fd = new_obj("kdouble-vcpu", K_VCPU, v, size, 1);
	if (fd < 0) { free(v); return -1; }
	in_double = 1;
	v->run = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	in_double = 0;
	if (v->run == MAP_FAILED) { close(fd); errno = ENOMEM; return -1; }
	v->run_size = size;
	v->vm = vm;
	v->vm_id = vm->id;
	v->vcpu_id = (int)id;
	pthread_mutex_init(&v->lock, NULL);
	ops->vcpu_init(v);
	pthread_mutex_lock(&objs_lock);
	v->id = nvcpus;
	if (nvcpus < MAXOBJ) vcpus[nvcpus++] = v;
	pthread_mutex_unlock(&objs_lock);
	vm->nvcpu++;
	return fd;
}

static int sys_ioctl(unsigned int req, unsigned long arg)
{
	enum kd_arch a = kd_p->arch;

	if (req == KD_GET_API_VERSION(a)) return KVM_API_VERSION;
	if (req == KD_CREATE_VM(a)) return create_vm();
	if (req == KD_CHECK_EXTENSION(a)) return check_extension((long)arg);
	if (req == KD_GET_VCPU_MMAP_SIZE(a)) return RUN_PAGES * 4096;
#if KD_HOST_X86
	if (a == KD_X86 && req == KVM_GET_SUPPORTED_CPUID) {
		struct kvm_cpuid2 *c = (void *)arg;
		if (c->nent < 1) { c->nent = 1; errno = E2BIG; return -1; }
		c->nent = 1;
		memset(&c->entries[0], 0, sizeof(c->entries[0]));
		c->entries[0].eax = 0xd;
		return 0;
	}
#endif
	errno = EINVAL;
	return -1;
}

static int vm_ioctl(struct kd_vm *vm, unsigned int req, unsigned long arg)
{
	enum kd_arch a = kd_p->arch;

	if (req == KD_CHECK_EXTENSION(a)) return check_extension((long)arg);
	if (req == KD_CREATE_VCPU(a)) return create_vcpu(vm, arg);
	if (req == KD_SET_USER_MEMORY_REGION(a)) {
		const struct kvm_userspace_memory_region *r = (void *)arg;
		if (r->slot >= 8) { errno = EINVAL; return -1; }
		vm->slot[r->slot] = (struct kd_slot){ r->guest_phys_addr, r->memory_size,
						      (uint8_t *)(uintptr_t)r->userspace_addr };
		if ((int)r->slot >= vm->nslot) vm->nslot = (int)r->slot + 1;
		return 0;
	}
	if (req == KD_ENABLE_CAP(a)) {
		const struct kvm_enable_cap *c = (void *)arg;
		/* kvm_vm_ioctl_enable_cap: x86 5.10+ KVM_CAP_X86_USER_SPACE_MSR */
		if (a == KD_X86 && kd_p->ver >= KD_VER(5, 10) && c->cap == KVM_CAP_X86_USER_SPACE_MSR) {
			vm->msr_exit_reasons = (uint32_t)c->args[0];
			return 0;
		}
		/* KVM_CAP_DISABLE_QUIRKS (4.3, 41dbc6bcd922): x86.c
		 * kvm_vm_ioctl_enable_cap stores args[0] as the disabled mask;
		 * KVM_CAP_DISABLE_QUIRKS2 (6.0) ORs in the supported bits */
		if (a == KD_X86 && c->cap == KVM_CAP_DISABLE_QUIRKS) {
			vm->disabled_quirks = c->args[0];
			return 0;
		}
		if (a == KD_X86 && kd_p->ver >= KD_VER(6, 0) && c->cap == 213) {
			vm->disabled_quirks |= c->args[0];
			return 0;
		}
		errno = EINVAL;
		return -1;
	}
#if KD_HOST_X86
	if (a == KD_X86 && req == KVM_SET_TSS_ADDR) return 0;
	if (a == KD_X86 && kd_p->ver >= KD_VER(5, 10) && req == KVM_X86_SET_MSR_FILTER) {
		const struct kvm_msr_filter *f = (void *)arg;
		vm->filter_flags = f->flags;
		vm->nrange = 0;
		for (int i = 0; i < KVM_MSR_FILTER_MAX_RANGES && vm->nrange < 4; i++) {
			const struct kvm_msr_filter_range *r = &f->ranges[i];
			if (!r->nmsrs) continue;
			if (r->nmsrs > 512) { errno = EINVAL; return -1; }
			vm->range[vm->nrange].flags = r->flags;
			vm->range[vm->nrange].nmsrs = r->nmsrs;
			vm->range[vm->nrange].base = r->base;
			memcpy(vm->range[vm->nrange].bitmap, r->bitmap, (r->nmsrs + 7) / 8);
			vm->nrange++;
		}
		vm->filter_set = 1;
		return 0;
	}
#endif
	errno = EINVAL;
	return -1;
}

/* A signal pending in this thread and not blocked by the mask KVM_RUN
 * runs with (KVM_SET_SIGNAL_MASK's, else the thread's own). The double
 * neither delivers nor consumes it. */
/* The caller's signal mask while the double runs a vCPU ioctl with every
 * signal blocked (ioctl below). */
static __thread sigset_t caller_mask;
static __thread int have_caller_mask;

static int signal_pending_unmasked(struct kd_vcpu *v)
{
	sigset_t pend, mask;

	if (sigpending(&pend) < 0) return 0;
	if (v->sigset_active) mask = v->sigset;
	else if (have_caller_mask) mask = caller_mask;
	else pthread_sigmask(SIG_SETMASK, NULL, &mask);
	for (int s = 1; s < NSIG; s++)
		if (sigismember(&pend, s) == 1 && sigismember(&mask, s) != 1) return 1;
	return 0;
}

/* KVM_RUN in the order every architecture's kvm_arch_vcpu_ioctl_run has
 * it: signal mask in place, the pending completion (which may return at
 * once with a new exit), the immediate_exit check (EINTR, exit_reason left
 * alone), then the run loop whose signal check sets KVM_EXIT_INTR. */
static int vcpu_run(struct kd_vcpu *v)
{
	struct kvm_run *run = v->run;
	int r;

	/* x86 5.12+: kvm_arch_vcpu_ioctl_run zeroes kvm_run->flags on entry
	 * (15aad3be9adb "KVM: X86: Reset the vcpu->run->flags at the
	 * beginning of vcpu_run", bus-lock series).  Before it, x86
	 * post_kvm_run_save assigned flags = is_smm ? KVM_RUN_X86_SMM : 0 on
	 * every return (see "out" below).  Others never touch bit 15. */
	if (kd_p->arch == KD_X86 && kd_p->ver >= KD_VER(5, 12))
		run->flags = 0;
	if (kd_p->arch == KD_ARM64 && !v->g.initialized) {
		/* 5.2 arm.c kvm_arch_vcpu_ioctl_run: !kvm_vcpu_initialized ->
		 * ENOEXEC; later kernels return it from kvm_vcpu_first_run_init
		 * via kvm_arch_vcpu_run_pid_change, also before the completion */
		errno = ENOEXEC;
		return -1;
	}
	if (nfaults && ops->pending(v)) {
		struct kd_fault *f = fault_hit(F_RUN);
		if (f) {
			if (f->err == EIO) v->vm->dead = 1;
			if (f->after && (r = ops->complete(v)) != 1) goto out;
			/* x86 6.8+: vcpu_enter_guest -> kvm_mmu_page_fault ->
			 * kvm_prepare_memory_fault_exit fills in the exit
			 * before -EFAULT */
			if (f->after && f->err == EFAULT && kd_p->arch == KD_X86 &&
			    kd_p->ver >= KD_VER(6, 8))
				run->exit_reason = KD_EXIT_MEMORY_FAULT;
			errno = f->err;
			r = -1;
			goto out;
		}
	}
	{
		int owed = ops->pending(v);
		r = ops->complete(v);
		if (owed)
			pause_here("complete");
	}
	if (r != 1)
		goto out;
	/* 4.11+ (460df4c1fc7c "KVM: race-free exit from KVM_RUN without
	 * POSIX signals"): checked after the completion, before the guest. */
	if (kd_p->immediate_exit && run->immediate_exit) {
		errno = EINTR;
		r = -1;
		goto out;
	}
	/* loongarch vcpu.c kvm_arch_vcpu_ioctl_run: "run->exit_reason =
	 * KVM_EXIT_UNKNOWN" only now, after the wants_to_run return; arm64
	 * arm.c kvm_arch_vcpu_ioctl_run likewise, just before its run loop. */
	if (kd_p->arch == KD_LOONGARCH || kd_p->arch == KD_ARM64)
		run->exit_reason = KVM_EXIT_UNKNOWN;
	/* arm64: "run->flags = 0" before the run loop, after the
	 * immediate_exit return (not on the EINTR path); added in 5.19 by
	 * "KVM: arm64: uapi: Add kvm_debug_exit_arch.hsr_high"; 5.2 never
	 * clears flags. */
	if (kd_p->arch == KD_ARM64 && kd_p->ver >= KD_VER(5, 19))
		run->flags = 0;
	/* x86 vcpu_run / vcpu_enter_guest, arm64 kvm_arch_vcpu_ioctl_run, ppc
	 * kvmppc_prepare_to_enter (HV: kvmppc_vcpu_run_hv), riscv and
	 * loongarch xfer_to_guest_mode: a pending signal -> exit_reason =
	 * KVM_EXIT_INTR, -EINTR, before the guest runs.  Not mips: mips.c
	 * kvm_arch_vcpu_ioctl_run enters the guest (vcpu_run callback) without
	 * a check and kvm_mips_handle_exit looks at signals only after an
	 * exit handled in the kernel; not s390 (6.12): __vcpu_run is a
	 * do { sie64a } while (!signal_pending(current) ...) loop, and an
	 * intercept for user space (-EREMOTE) wins over the signal.  There
	 * the guest runs to its next exit (all exits of the scripted guest go
	 * to user space). */
	if (kd_p->arch != KD_MIPS && kd_p->arch != KD_S390 && signal_pending_unmasked(v)) {
		run->exit_reason = KVM_EXIT_INTR;
		errno = EINTR;
		r = -1;
		goto out;
	}
	/* Before 4.11 immediate_exit is padding the kernel never reads: the
	 * guest runs.  Not a kernel error, but libkvmcompl promises that its
	 * completion runs no guest instruction: counted as a problem. */
	if (!kd_p->immediate_exit && run->immediate_exit) {
		v->ignored_ie++;
		fprintf(stderr, "kdouble[%s]: IGNORED IMMEDIATE_EXIT: vm %d vcpu %d: KVM_RUN with immediate_exit=%u runs the guest (no KVM_CAP_IMMEDIATE_EXIT before 4.11)\n",
			kd_p->name, v->vm_id, v->vcpu_id, run->immediate_exit);
	}
	ops->run_guest(v);
	r = 0;
out:
	/* x86 before 5.12: post_kvm_run_save "kvm_run->flags = is_smm(vcpu) ?
	 * KVM_RUN_X86_SMM : 0" at the "out" label of kvm_arch_vcpu_ioctl_run,
	 * whatever the return (completion, EINTR, exit); no SMM here. */
	if (kd_p->arch == KD_X86 && kd_p->ver < KD_VER(5, 12))
		run->flags = 0;
	/* The upstream series (patch for x86): bit 15 whenever
	 * vcpu->arch.complete_userspace_io is set on return. */
	if (kd_p->native_flag) {
		int e = errno;
		if (ops->pending(v) &&
		    !(kd_p->flag_wrong && r == 0 && run->exit_reason == KVM_EXIT_X86_RDMSR))
			run->flags |= KD_FLAG_NEEDS_COMPLETION;
		else
			run->flags &= (uint16_t)~KD_FLAG_NEEDS_COMPLETION;
		errno = e;
	}
	return r;
}

static int vcpu_ioctl(struct kd_vcpu *v, unsigned int req, unsigned long arg)
{
	enum kd_arch a = kd_p->arch;
	int r;

	pthread_mutex_lock(&v->lock);
	if (v->vm->dead) {
		errno = EIO;
		r = -1;
	} else if (req == KD_RUN(a)) {
		r = vcpu_run(v);
	} else if (req == KD_SET_SIGNAL_MASK(a)) {
		/* kvm_main.c KVM_SET_SIGNAL_MASK: NULL clears; kvm_sigmask.len
		 * must be the kernel's sizeof(sigset_t): 16 on mips
		 * (arch/mips/include/uapi/asm/signal.h _NSIG 128), else 8 */
		const struct kvm_signal_mask *m = (void *)arg;
		unsigned len = a == KD_MIPS ? 16 : 8;
		r = 0;
		if (!m) {
			v->sigset_active = 0;
		} else if (m->len != len || len > sizeof(sigset_t)) {
			errno = EINVAL;
			r = -1;
		} else {
			sigemptyset(&v->sigset);
			memcpy(&v->sigset, m->sigset, len);
			sigdelset(&v->sigset, SIGKILL);
			sigdelset(&v->sigset, SIGSTOP);
			v->sigset_active = 1;
		}
	} else {
		r = ops->vcpu_ioctl(v, req, (void *)arg);
	}
	pthread_mutex_unlock(&v->lock);
	return r;
}

EXPORT int ioctl(int fd, unsigned long request, ...)
{
	va_list ap;
	unsigned long arg;
	void *o = NULL;
	enum kd_kind k;
	unsigned int req = (unsigned int)request;

	va_start(ap, request);
	arg = va_arg(ap, unsigned long);
	va_end(ap);
	resolve();
	if (((req >> 8) & 0xff) != 0xAE)
		return real_ioctl(fd, request, arg);
	{
		/* A system call runs to its end (or to KVM_RUN's EINTR): no
		 * handler of this thread runs inside the double, where it could
		 * re-enter it and wait on a lock this thread holds (the object
		 * table, a vCPU: tests/stress.test's signal storm). */
		sigset_t all, old;
		int r, e;

		sigfillset(&all);
		pthread_sigmask(SIG_SETMASK, &all, &old);
		caller_mask = old;
		have_caller_mask = 1;
		switch (k = lookup(fd, &o)) {
		case K_NONE: r = real_ioctl(fd, request, arg); break;
		case K_SYSTEM: r = sys_ioctl(req, arg); break;
		case K_VM:
			if (((struct kd_vm *)o)->dead) { errno = EIO; r = -1; break; }
			r = vm_ioctl(o, req, arg);
			break;
		case K_VCPU: r = vcpu_ioctl(o, req, arg); break;
		default: errno = ENOTTY; r = -1; break;
		}
		e = errno;
		have_caller_mask = 0;
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		errno = e;
		return r;
	}
}

/* Only to count closes of descriptors that are not open. */
EXPORT int close(int fd)
{
	int r, e;

	resolve();
	r = real_close(fd);
	e = errno;
	if (r < 0 && e == EBADF) {
		__atomic_add_fetch(&bad_closes, 1, __ATOMIC_SEQ_CST);
		if (kd_p) fprintf(stderr, "kdouble[%s]: close(%d): EBADF (not open)\n", kd_p->name, fd);
	}
	errno = e;
	return r;
}

/* Only to inject mmap faults: every other call goes straight on. */
EXPORT void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	resolve();
	if (nfaults && !in_double && fd >= 0 && (flags & MAP_SHARED) && lookup(fd, NULL) == K_VCPU) {
		struct kd_fault *f = fault_hit(F_MMAP);
		if (f) {
			errno = f->err;
			return MAP_FAILED;
		}
	}
	return real_mmap(addr, len, prot, flags, fd, off);
}
EXPORT void *mmap64(void *addr, size_t len, int prot, int flags, int fd, off_t off)
	__attribute__((alias("mmap")));
