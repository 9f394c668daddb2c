/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <linux/kcmp.h>

#include "compat.h"
#include "fdtable.h"
#include "log.h"
#include "next.h"
#include "kernel.h"
#include "report.h"
#include "rules.h"
#include "settings.h"
#include "vcpu.h"

/* Slots are allocated a page-sized chunk at a time and never returned to
 * the allocator: a thread that looked an fd up just before its close may
 * still touch the slot, and must find a valid (if released) object. */
#define CHUNK 32
#define KC_OWN_FD_MIN 768 /* above the log's (512), below common 1024 limits */
static _Atomic(struct kc_vcpu *) all_slots;
static atomic_long mmap_size;

void kc_vcpu_set_mmap_size(long size)
{
	if (size > 0)
		atomic_store_explicit(&mmap_size, size, memory_order_relaxed);
}

/* The VMM normally asked KVM_GET_VCPU_MMAP_SIZE already; if not, ask a
 * /dev/kvm of our own once. Failing that, kvm_run fits in one page. */
static size_t run_mapping_size(void)
{
	long size = atomic_load_explicit(&mmap_size, memory_order_relaxed);
	int kvm;

	if (size > 0)
		return (size_t)size;
	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm >= 0) {
		size = kc_sys_ioctl(kvm, kc_rules()->req.get_vcpu_mmap_size, NULL);
		((kc_int_fn)kc_next(KC_NEXT_CLOSE))(kvm);
	}
	if (size <= 0)
		return (size_t)sysconf(_SC_PAGESIZE);
	kc_vcpu_set_mmap_size(size);
	return (size_t)size;
}

static struct kc_vcpu *claim_slot(void)
{
	struct kc_vcpu *v, *chunk, *head;
	int yes;

	for (v = atomic_load(&all_slots); v; v = v->next) {
		yes = 1;
		if (atomic_compare_exchange_strong(&v->free, &yes, 0))
			return v;
	}
	chunk = mmap(NULL, CHUNK * sizeof *chunk, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (chunk == MAP_FAILED)
		return NULL;
	for (int i = 1; i < CHUNK; i++) {
		atomic_init(&chunk[i].free, 1);
		chunk[i].next = i + 1 < CHUNK ? &chunk[i + 1] : NULL;
	}
	chunk[0].next = &chunk[1];
	head = atomic_load(&all_slots);
	do
		chunk[CHUNK - 1].next = head;
	while (!atomic_compare_exchange_weak(&all_slots, &head, chunk));
	return &chunk[0];
}

/* The VMM's descriptor budget (RLIMIT_NOFILE) comes first: the library's
 * private descriptors live in the upper half of the limit only, and once
 * the VMM's own KVM fds reach that half the library gives every one back
 * and makes no more (frugal). The kernel's selftests size the limit to
 * their vCPUs (kvm_create_max_vcpus.c: KVM_CAP_MAX_VCPUS + 100). */
static atomic_int frugal;

static long fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY ||
	    rl.rlim_cur > 0x7fffffff)
		return 0x7fffffff;
	return (long)rl.rlim_cur;
}

int kc_private_fd(int fd, int keep)
{
	kc_fcntl_fn dupfd = (kc_fcntl_fn)kc_next(KC_NEXT_FCNTL);
	long half = fd_limit() / 2;
	int own;

	if (keep && atomic_load(&frugal)) {
		errno = EMFILE;
		return -1;
	}
	/* Far from the VMM's own numbers, which it may expect to be dense;
	 * a kept one in the upper half of the limit, never below it; one
	 * closed again at once anywhere. */
	own = dupfd(fd, F_DUPFD_CLOEXEC, (int)(half > KC_OWN_FD_MIN ? half : KC_OWN_FD_MIN));
	if (own < 0 && half < KC_OWN_FD_MIN)
		own = dupfd(fd, F_DUPFD_CLOEXEC, (int)half);
	if (own < 0 && !keep)
		own = dupfd(fd, F_DUPFD_CLOEXEC, 0);
	return own;
}

/* Private descriptors in use (a completion's KVM_RUN, kcmp): give_back
 * waits for them, so a number is never closed under a user. */
int kc_vcpu_own_get(struct kc_vcpu *v)
{
	atomic_fetch_add(&v->own_users, 1);
	return atomic_load(&v->own_fd);
}

void kc_vcpu_own_put(struct kc_vcpu *v)
{
	atomic_fetch_sub(&v->own_users, 1);
}

static void give_back(struct kc_vcpu *v)
{
	int own = atomic_exchange(&v->own_fd, -1);

	if (own < 0)
		return;
	kc_fd_cas(own, (uintptr_t)v | KC_FD_OWN, 0);
	/* A completion holds it for one immediate KVM_RUN at most. */
	while (atomic_load(&v->own_users))
		kc_cpu_relax();
	((kc_int_fn)kc_next(KC_NEXT_CLOSE))(own);
}

void kc_vcpu_fd_budget(int fd)
{
	long limit;
	int n = 0;

	if (fd < 0 || atomic_load_explicit(&frugal, memory_order_relaxed))
		return;
	limit = fd_limit();
	if (fd < limit / 2 || atomic_exchange(&frugal, 1))
		return;
	for (struct kc_vcpu *v = atomic_load(&all_slots); v; v = v->next) {
		if (atomic_load(&v->free) || atomic_load(&v->own_fd) < 0 || !kc_vcpu_get(v))
			continue;
		give_back(v);
		kc_vcpu_put(v);
		n++;
	}
	kc_log(KC_LOG_INFO, "KVM fd %d is in the upper half of the descriptor limit (%ld): the library gave back its %d private vCPU descriptors and makes no more; completions use the VMM's fd numbers",
	       fd, limit, n);
}

/* Mark v->own_fd in the fd table (out of memory for the table: merely
 * unprotected). An entry left there by a vCPU fd the VMM closed behind
 * the library's back is released. */
static void protect_own(struct kc_vcpu *v)
{
	uintptr_t old = kc_fd_swap(v->own_fd, (uintptr_t)v | KC_FD_OWN);

	if (old != KC_FD_SET_FAILED &&
	    (kc_entry_kind(old) == KC_FD_VCPU || kc_entry_kind(old) == KC_FD_VCPU_CLOSING))
		kc_vcpu_put(kc_entry_ptr(old));
}

struct kc_vcpu *kc_vcpu_new(int fd, int own, int id, int met_later)
{
	size_t size = run_mapping_size();
	struct kvm_run *run;
	struct kc_vcpu *v;

	run = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, own >= 0 ? own : fd, 0);
	if (run == MAP_FAILED) {
		kc_log_once(KC_LOG_ERROR, "cannot map kvm_run of vCPU fd %d (errno %d): this vCPU is passed through untouched",
			    fd, errno);
		return NULL;
	}
	v = claim_slot();
	if (!v) {
		munmap(run, size);
		kc_log_once(KC_LOG_ERROR, "out of memory for vCPU fd %d: passed through untouched", fd);
		return NULL;
	}
	v->run = run;
	v->run_size = size;
	atomic_store(&v->own_users, 0);
	/* Frugal: a descriptor offered for adoption stays the caller's. */
	atomic_store(&v->own_fd, own >= 0 ? (atomic_load(&frugal) ? -1 : own) : kc_private_fd(fd, 1));
	if (atomic_load(&v->own_fd) >= 0) {
		protect_own(v);
		/* The budget ran out meanwhile: its sweep may have missed v. */
		if (own < 0 && atomic_load(&frugal))
			give_back(v);
	} else if (!atomic_load(&frugal)) {
		kc_log_once(KC_LOG_WARN, "cannot duplicate vCPU fd %d (errno %d): completions use the VMM's fd number",
			    fd, errno);
	}
	v->id = id;
	v->fd = fd;
	memset(&v->stats, 0, sizeof v->stats);
	atomic_store(&v->runner, 0);
	atomic_store(&v->state, KC_IDLE);
	/* The library clears the flag at every entry and sets it only for an
	 * exit that owes a completion: set now, nobody has re-entered since. */
	atomic_store(&v->pending, met_later && (run->flags & KVM_RUN_NEEDS_COMPLETION));
	atomic_store(&v->held, 0);
	atomic_store(&v->marked, 0);
	atomic_store(&v->midexit, 0);
	atomic_store(&v->out_7e_quirk_off, 0);
	v->vm_fd = -1;
	atomic_store_explicit(&v->refs, 1, memory_order_release);
	return v;
}

int kc_vcpu_get(struct kc_vcpu *v)
{
	int n = atomic_load_explicit(&v->refs, memory_order_relaxed);

	while (n > 0)
		if (atomic_compare_exchange_weak_explicit(&v->refs, &n, n + 1,
							  memory_order_acquire,
							  memory_order_relaxed))
			return 1;
	return 0;
}

void kc_vcpu_put(struct kc_vcpu *v)
{
	int own;

	if (atomic_fetch_sub_explicit(&v->refs, 1, memory_order_acq_rel) != 1)
		return;
	/* Last user: dropping the mapping lets the kernel free the vCPU. */
	kc_stats_report(&v->stats, v->id, v->fd);
	munmap(v->run, v->run_size);
	v->run = NULL;
	own = atomic_exchange(&v->own_fd, -1);
	if (own >= 0) {
		/* Unmarked before the number is freed for reuse. */
		kc_fd_cas(own, (uintptr_t)v | KC_FD_OWN, 0);
		((kc_int_fn)kc_next(KC_NEXT_CLOSE))(own);
	}
	atomic_store_explicit(&v->free, 1, memory_order_release);
}

int kc_same_file(int a, int b)
{
	pid_t pid = getpid();
	/* kcmp(KCMP_FILE): 0 when both descriptors name one file. */
	long r = syscall(SYS_kcmp, pid, pid, KCMP_FILE, a, b);

	return r == 0 ? 1 : r > 0 || errno == EBADF ? 0 : -1;
}

int kc_vcpu_move_own(int fd)
{
	uintptr_t e = kc_fd_get(fd);
	struct kc_vcpu *v = kc_entry_ptr(e);
	int moved, saved_errno = errno;

	if (kc_entry_kind(e) != KC_FD_OWN || !kc_vcpu_get(v))
		return 0;
	moved = kc_private_fd(fd, 1);
	if (moved >= 0) {
		atomic_store(&v->own_fd, moved);
		protect_own(v);
	} else {
		kc_log_once(KC_LOG_WARN, "cannot move the private descriptor %d of vCPU fd %d (errno %d) out of the way of the VMM's dup2/dup3: completions use the VMM's fd number",
			    fd, v->fd, errno);
		/* A completion racing this reads either number; both still
		 * name the vCPU until the VMM's call returns. */
		atomic_store(&v->own_fd, -1);
	}
	kc_fd_cas(fd, e, 0);
	kc_vcpu_put(v);
	errno = saved_errno;
	return 1;
}

int kc_vcpu_lost(struct kc_vcpu *v, int fd, int err)
{
	int own = kc_vcpu_own_get(v), same = own >= 0 ? kc_same_file(fd, own) : -1;

	kc_vcpu_own_put(v);
	/* Unknown (no kcmp, no private descriptor): only EBADF, which no
	 * open fd answers, says for sure. */
	return same < 0 ? err == EBADF : !same;
}

struct kc_vcpu *kc_vcpu_find_same(int fd)
{
	for (struct kc_vcpu *v = atomic_load(&all_slots); v; v = v->next) {
		int own, same;

		if (atomic_load(&v->free) || !kc_vcpu_get(v))
			continue;
		own = kc_vcpu_own_get(v);
		/* Frugal: the VMM's own number of the vCPU tells as well. */
		same = own >= 0 ? kc_same_file(fd, own) : v->fd != fd ? kc_same_file(fd, v->fd) : 0;
		kc_vcpu_own_put(v);
		if (same == 1)
			return v;
		kc_vcpu_put(v);
	}
	return NULL;
}

int kc_vcpu_own_fds(unsigned int first, unsigned int last, int *out, int max)
{
	int n = 0;

	for (struct kc_vcpu *v = atomic_load(&all_slots); v; v = v->next) {
		int fd = atomic_load(&v->own_fd);

		if (atomic_load(&v->free) || fd < 0 || (unsigned int)fd < first ||
		    (unsigned int)fd > last)
			continue;
		if (n == max)
			return max + 1;
		/* insertion sort: a handful of entries */
		int i = n++;
		for (; i > 0 && out[i - 1] > fd; i--)
			out[i] = out[i - 1];
		out[i] = fd;
	}
	return n;
}

void kc_vcpu_report_all(void)
{
	for (struct kc_vcpu *v = atomic_load(&all_slots); v; v = v->next)
		if (!atomic_load(&v->free) && atomic_load(&v->refs) > 0)
			kc_stats_report(&v->stats, v->id, v->fd);
}

int kc_update_flag(struct kvm_run *run, int *twice, int out_7e_quirk_off)
{
	const struct kc_exit_rule *rule = kc_exit_rule_q(kc_rules(), run, out_7e_quirk_off);
	const struct kc_kernel *k = kc_kernel();

	*twice = rule && rule->twice_from && k->version >= rule->twice_from &&
		 (!rule->twice_until || k->version < rule->twice_until);
	if (k->native_flag) { /* doc/interface.md guarantee 5: stop synthesizing */
		int kernel = (run->flags & KVM_RUN_NEEDS_COMPLETION) != 0;

		if (kernel != (rule != NULL) && kc_settings()->mode == KC_MODE_VERIFY)
			kc_report_verify(run, kernel, rule != NULL);
		return kernel;
	}
	if (rule) {
		run->flags |= KVM_RUN_NEEDS_COMPLETION;
		return 1;
	}
	run->flags &= (__u16)~KVM_RUN_NEEDS_COMPLETION;
	return 0;
}

void kc_guard_after_eintr(struct kvm_run *run, int twice)
{
	/* Only after the kernel consumed the completion: before one, the
	 * kernel reads exit_reason to find it (doc/kernel-rules.md). */
	if (twice && !(kc_settings()->test_break & KC_BREAK_GUARD))
		run->exit_reason = KVM_EXIT_INTR;
}

/* The marker is the original bytes XOR this key: never equal to what was
 * there (an answer equal to the last one is seen), and not the usual next
 * values either: every key byte flips at least five bits, bit 7 among them,
 * and is no run of low ones (no ASCII after ASCII, no status-bit toggle,
 * no +-1); 0x00 and 0xff collide only after 0xe7 or 0x18 (doc/interface.md,
 * "The marker"). */
static const unsigned char mark_key[8] = { 0xe7, 0xd9, 0xeb, 0xf5, 0xe3, 0xcd, 0xf9, 0xdb };

/* Areas shorter than this are marked lazily: a marker in 1 to 3 bytes is a
 * value a device may well answer (an x86 IN's data is cleared before the
 * exit, so its marker would be one fixed byte), and a marker written at
 * every exit would turn such an answer into the original bytes for every
 * VMM. From 4 bytes on a collision is one value in 2^32. */
#define KC_EAGER_MIN 4

/* At an exit that expects an answer: keep the bytes there and, for an area
 * of KC_EAGER_MIN bytes or more, write the marker. */
static void mark(struct kc_vcpu *v, struct kvm_run *run)
{
	const struct kc_exit_rule *rule;
	unsigned int off, len;
	unsigned char *area;

	atomic_store_explicit(&v->midexit, 0, memory_order_relaxed);
	/* Off: no trigger completes, and kvmcompl_complete() at an
	 * unanswered exit finishes it with the bytes there, as marking and
	 * putting them back would: nothing to gain on the hot path. */
	if (kc_settings()->complete == KC_COMPLETE_OFF ||
	    (kc_settings()->test_break & KC_BREAK_ANSWER))
		return;
	rule = kc_exit_rule_q(kc_rules(), run, atomic_load_explicit(&v->out_7e_quirk_off,
								    memory_order_relaxed));
	if (!kc_answer_area(rule, run, v->run_size, &off, &len))
		return;
	area = (unsigned char *)run + off;
	memcpy(v->ans_saved, area, len);
	for (unsigned int i = 0; i < len; i++)
		v->ans_mark[i] = v->ans_saved[i] ^ mark_key[i % 8];
	v->ans_off = off;
	v->ans_len = len;
	v->ans_msr = rule->answer == KC_ANS_RDMSR;
	if (len < KC_EAGER_MIN) {
		atomic_store_explicit(&v->marked, KC_MARK_LAZY, memory_order_release);
		return;
	}
	memcpy(area, v->ans_mark, len);
	atomic_store_explicit(&v->marked, KC_MARK_EAGER, memory_order_release);
}

/* A short area still holding the exit's bytes: either the VMM has not
 * answered, or it answered with those very bytes (0 for an x86 IN); the
 * first cannot be finished, so it is taken as unanswered, and on the exit's
 * own thread the marker is written now to see a later answer (another
 * thread could race the vCPU thread's re-entry: it only compares). The
 * state says EAGER before the marker is there, so a re-entry in between
 * finds nothing to put back rather than leaving the marker; one
 * compare-and-swap of the aligned word (io.data_offset is page-aligned,
 * mmio.data 8-aligned) never overwrites an answer written meanwhile. */
static int lazy_answered(struct kc_vcpu *v, unsigned char *area)
{
	uintptr_t a = (uintptr_t)area;
	unsigned char word[4];
	uint32_t old, mark;

	if (memcmp(area, v->ans_saved, v->ans_len) != 0)
		return 1;
	if ((a & 3) || v->ans_len > 4 ||
	    atomic_load_explicit(&v->runner, memory_order_relaxed) != (unsigned long)pthread_self())
		return 0;
	memcpy(&old, area, 4);
	memcpy(word, &old, 4);
	memcpy(word, v->ans_saved, v->ans_len); /* the exit's bytes, expected */
	memcpy(&old, word, 4);
	memcpy(word, v->ans_mark, v->ans_len);
	memcpy(&mark, word, 4);
	atomic_store_explicit(&v->marked, KC_MARK_EAGER, memory_order_release);
	/* failed: answered meanwhile, which the EAGER state also reports */
	return !atomic_compare_exchange_strong((_Atomic uint32_t *)area, &old, mark);
}

int kc_vcpu_answered(struct kc_vcpu *v)
{
	unsigned char *area;
	int m = atomic_load_explicit(&v->marked, memory_order_acquire);

	if (m == KC_MARK_NONE)
		return 1;
	area = (unsigned char *)v->run + v->ans_off;
	if (m == KC_MARK_LAZY)
		return lazy_answered(v, area);
	/* x86 complete_*_rdmsr: a non-zero error injects #GP, data unused */
	if (v->ans_msr && v->run->msr.error)
		return 1;
	for (unsigned int u = 0; u < v->ans_len; u += 8) {
		unsigned int n = v->ans_len - u < 8 ? v->ans_len - u : 8;

		if (memcmp(area + u, v->ans_mark + u, n) != 0)
			return 1;
	}
	return 0;
}

void kc_vcpu_unmark(struct kc_vcpu *v)
{
	unsigned char *area;

	/* Read first: KVM_RUN's hot path pays a locked exchange only where a
	 * marker may be in the VMM's area. */
	if (atomic_load_explicit(&v->marked, memory_order_relaxed) == KC_MARK_NONE ||
	    atomic_exchange_explicit(&v->marked, KC_MARK_NONE, memory_order_acq_rel) != KC_MARK_EAGER)
		return; /* nothing written over the VMM's area */
	area = (unsigned char *)v->run + v->ans_off;
	/* Unit by unit: a VMM may answer one field and leave another to the
	 * kernel's value (riscv SBI ret[1]). */
	for (unsigned int u = 0; u < v->ans_len; u += 8) {
		unsigned int n = v->ans_len - u < 8 ? v->ans_len - u : 8;

		if (memcmp(area + u, v->ans_mark + u, n) == 0 &&
		    !(kc_settings()->test_break & KC_BREAK_RESTORE))
			memcpy(area + u, v->ans_saved + u, n);
	}
}

void kc_vcpu_out_7e_quirk_off(int vm_fd)
{
	for (struct kc_vcpu *v = atomic_load(&all_slots); v; v = v->next)
		if (!atomic_load(&v->free) && v->vm_fd == vm_fd)
			atomic_store(&v->out_7e_quirk_off, 1);
}

/* Record what the exit now in run owes. */
static void note_exit(struct kc_vcpu *v, struct kvm_run *run)
{
	int twice, pending = kc_update_flag(run, &twice,
					    atomic_load_explicit(&v->out_7e_quirk_off,
								 memory_order_relaxed));

	kc_stats_exit(&v->stats, run->exit_reason, pending);
	atomic_store_explicit(&v->twice, twice, memory_order_relaxed);
	if (pending)
		mark(v, run);
	atomic_store_explicit(&v->pending, pending, memory_order_relaxed);
}

void kc_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield" ::: "memory");
#else
	__asm__ __volatile__("" ::: "memory");
#endif
}

void kc_vcpu_after_fork(void)
{
	for (struct kc_vcpu *v = atomic_load(&all_slots); v; v = v->next)
		atomic_store(&v->state, KC_INHERITED);
}

int kc_owed_after_error(const struct kvm_run *run, int err)
{
	/* A kernel that flags natively says so on every return. */
	if (kc_kernel()->native_flag)
		return (run->flags & KVM_RUN_NEEDS_COMPLETION) != 0;
	/* x86 kvm_arch_vcpu_ioctl_run runs complete_userspace_io before
	 * vcpu_run; every error before it is EIO (kvm_vcpu_ioctl: vm_dead,
	 * another mm), EINVAL (sync_regs, kvm_set_cr8, vcpu_pre_run) or
	 * EINTR/EAGAIN, while EFAULT comes only from vcpu_run (vcpu_enter_guest
	 * -> kvm_mmu_page_fault -> kvm_prepare_memory_fault_exit): nothing is
	 * owed then. Other errors, and other architectures (arm64's
	 * kvm_arch_vcpu_run_pid_change fails before kvm_handle_mmio_return
	 * with errors its run loop returns too), stay owed: a needless
	 * completion costs one KVM_RUN, a missed one loses the guest's I/O. */
	if (err == EFAULT && kc_rules() == &kc_rules_x86)
		return 0;
	return 1;
}

int kc_vcpu_run(struct kc_vcpu *v, int fd, void *arg)
{
	struct kvm_run *run = v->run;
	int r, err, s, was_pending;

	for (;;) {
		s = KC_IDLE;
		if (atomic_compare_exchange_weak_explicit(&v->state, &s, KC_RUNNING,
							  memory_order_acquire,
							  memory_order_relaxed))
			break;
		/* Two KVM_RUNs on one vCPU at once: the kernel serialises them;
		 * keep out of the way of the one already tracked. */
		if (s == KC_RUNNING || s == KC_INHERITED)
			return kc_sys_ioctl(fd, kc_rules()->req.run, arg);
		/* Another thread's completion: one immediate KVM_RUN with its
		 * signals blocked, so it ends soon and cannot wait on us. */
		kc_cpu_relax();
	}

	/* Whatever the VMM left unanswered reaches the guest as it would
	 * natively: the original bytes, not the marker. */
	kc_vcpu_unmark(v);
	if (atomic_exchange_explicit(&v->held, 0, memory_order_acq_rel)) {
		/* A completion already produced this exit: hand it over
		 * without entering the kernel. */
		note_exit(v, run);
		atomic_store_explicit(&v->state, KC_IDLE, memory_order_release);
		return 0;
	}

	/* Entering KVM_RUN finishes whatever was pending... */
	was_pending = atomic_exchange_explicit(&v->pending, 0, memory_order_relaxed);
	if (!kc_kernel()->native_flag)
		run->flags &= (__u16)~KVM_RUN_NEEDS_COMPLETION;
	r = kc_sys_ioctl(fd, kc_rules()->req.run, arg);
	err = errno;
	atomic_store_explicit(&v->runner, (unsigned long)pthread_self(),
			      memory_order_relaxed);
	if (r >= 0) { /* powerpc returns RESUME_HOST (positive) too */
		note_exit(v, run);
	} else if (err == EINTR) {
		/* The VMM's own kick: the completion ran first. */
		if (was_pending)
			kc_guard_after_eintr(run, atomic_load(&v->twice));
	} else if (was_pending && kc_owed_after_error(run, err)) {
		/* ...unless KVM_RUN failed before reaching it (sync_regs
		 * errors, EIO from another mm): then it is still owed. */
		atomic_store_explicit(&v->pending, 1, memory_order_relaxed);
		run->flags |= KVM_RUN_NEEDS_COMPLETION;
	}
	atomic_store_explicit(&v->state, KC_IDLE, memory_order_release);
	errno = err;
	return r;
}
