/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <pthread.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>

#include "compat.h"
#include "complete.h"
#include "kernel.h"
#include "log.h"
#include "settings.h"
#include "stats.h"
#include "next.h"
#include "rules.h"

/* The value the library writes into immediate_exit. The kernel only tests
 * it for non-zero (x86.c kvm_arch_vcpu_ioctl_run); a distinct value lets the
 * restore see whether the VMM wrote its own kick meanwhile. */
#define KC_IE_MARK 0xc5

/* Take the vCPU for a completion. Signals are already blocked here, so no
 * handler of this thread can run while it holds the claim. */
static int claim(struct kc_vcpu *v)
{
	int s = KC_IDLE;

	while (!atomic_compare_exchange_weak(&v->state, &s, KC_COMPLETING)) {
		/* The VMM's own KVM_RUN is in flight: the kernel finishes the
		 * work there (or this thread's handler interrupted it). */
		if (s == KC_RUNNING)
			return 0;
		if (s == KC_INHERITED) {
			errno = EIO; /* the kernel's answer to another mm */
			return -1;
		}
		/* Another thread is completing: wait, then find nothing left. */
		kc_cpu_relax();
		s = KC_IDLE;
	}
	return 1;
}

/* Atomic operations on the immediate_exit byte, done on its aligned 32-bit
 * word: some targets (riscv64 with GCC 12) have no byte atomics and would
 * need libatomic. A compare-and-swap of the word also notices a VMM store
 * to a neighbouring byte and simply retries. */
static _Atomic uint32_t *byte_word(uint8_t *p, unsigned *index)
{
	uintptr_t a = (uintptr_t)p;

	*index = (unsigned)(a & 3);
	return (_Atomic uint32_t *)(a & ~(uintptr_t)3);
}

static uint32_t with_byte(uint32_t word, unsigned index, uint8_t v)
{
	unsigned char b[4];

	memcpy(b, &word, 4); /* byte order of memory, whatever the endianness */
	b[index] = v;
	memcpy(&word, b, 4);
	return word;
}

static uint8_t byte_of(uint32_t word, unsigned index)
{
	unsigned char b[4];

	memcpy(b, &word, 4);
	return b[index];
}

/* Set *p to v and return the old value, atomically. */
static uint8_t byte_exchange(uint8_t *p, uint8_t v)
{
	unsigned i;
	_Atomic uint32_t *w = byte_word(p, &i);
	uint32_t old = atomic_load(w);

	while (!atomic_compare_exchange_weak(w, &old, with_byte(old, i, v)))
		;
	return byte_of(old, i);
}

/* If *p is still expected, set it to v; return whether it was. */
static int byte_compare_exchange(uint8_t *p, uint8_t expected, uint8_t v)
{
	unsigned i;
	_Atomic uint32_t *w = byte_word(p, &i);
	uint32_t old = atomic_load(w);

	do {
		if (byte_of(old, i) != expected)
			return 0;
	} while (!atomic_compare_exchange_weak(w, &old, with_byte(old, i, v)));
	return 1;
}

/* Kernels before 4.11 have no immediate_exit: a signal that is pending
 * and not blocked by the vCPU's KVM signal mask stops KVM_RUN right after
 * the completion (x86.c vcpu_run: signal_pending -> -EINTR). The signal
 * stays blocked in the thread, so no handler of the VMM ever sees it, and
 * is taken back with sigtimedwait. */
static int run_with_signal(struct kc_vcpu *v, int fd, int *err)
{
	struct { __u32 len; unsigned char set[16]; } only;
	static const struct timespec now = { 0, 0 };
	sigset_t pending, one;
	int sig, r;

	sigpending(&pending);
	for (sig = SIGRTMAX; sig >= SIGRTMIN && sigismember(&pending, sig); sig--)
		;
	if (sig < SIGRTMIN) {
		kc_log_once(KC_LOG_ERROR, "no free signal to complete with on this kernel (no immediate_exit); exits are flagged but not completed");
		*err = EAGAIN;
		return -1;
	}
	only.len = 8; /* the kernel's sigset_t on 64-bit; 32-bit ABIs differ */
	memset(only.set, 0xff, sizeof only.set);
	only.set[(sig - 1) / 8] &= (unsigned char)~(1u << ((sig - 1) % 8));
	if (kc_sys_ioctl(fd, kc_rules()->req.set_signal_mask, &only) != 0) {
		kc_log_once(KC_LOG_ERROR, "KVM_SET_SIGNAL_MASK failed (errno %d) on a kernel without immediate_exit; exits are flagged but not completed",
			    errno);
		*err = EAGAIN;
		return -1;
	}
	syscall(SYS_tgkill, getpid(), syscall(SYS_gettid), sig);
	r = kc_sys_ioctl(fd, kc_rules()->req.run, NULL);
	*err = errno;
	sigemptyset(&one);
	sigaddset(&one, sig);
	sigtimedwait(&one, NULL, &now);
	/* Give the VMM its own KVM signal mask back, or none. */
	if (atomic_load(&v->has_kvm_sigmask)) {
		struct { __u32 len; unsigned char set[16]; } vmm;

		vmm.len = v->kvm_sigmask_len;
		memcpy(vmm.set, v->kvm_sigmask, sizeof vmm.set);
		kc_sys_ioctl(fd, kc_rules()->req.set_signal_mask, &vmm);
	} else {
		kc_sys_ioctl(fd, kc_rules()->req.set_signal_mask, NULL);
	}
	return r;
}

/* Enter KVM_RUN so that the kernel finishes the pending exit and returns
 * EINTR at once: the completion runs before the immediate_exit check
 * (x86.c kvm_arch_vcpu_ioctl_run), so no guest instruction runs. */
static int run_immediate(struct kc_vcpu *v, int fd, int *err)
{
	struct kvm_run *run = v->run;
	uint8_t vmm_ie;
	int r;

	/* One atomic step: a kick written by another thread between a read
	 * and a write would be lost. */
	vmm_ie = byte_exchange(&run->immediate_exit, KC_IE_MARK);
	r = kc_sys_ioctl(fd, kc_rules()->req.run, NULL);
	*err = errno;
	/* Give the VMM its value back unless it wrote one meanwhile (a kick):
	 * then its value stands. */
	if (!byte_compare_exchange(&run->immediate_exit, KC_IE_MARK, vmm_ie) && r == 0)
		kc_log(KC_LOG_DEBUG, "the VMM wrote immediate_exit during a completion");
	return r;
}

int kc_complete(struct kc_vcpu *v, int fd, int why)
{
	struct kvm_run *run = v->run;
	sigset_t all, old;
	unsigned reason;
	int r, own, err = 0, ret = 0;

	if (!atomic_load(&v->pending))
		return 0;
	/* No handler may run in this thread while it holds the vCPU. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	if ((r = claim(v)) <= 0) {
		err = r < 0 ? errno : EBUSY;
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		errno = err;
		return -1;
	}
	/* Checked again under the claim: another thread may have finished it,
	 * and an exit the VMM has not received yet must not be completed. */
	if (!atomic_load(&v->pending) || atomic_load(&v->held))
		goto out;

	if (kc_settings()->test_break & KC_BREAK_COMPLETION)
		goto out; /* tests: show what goes wrong without it */
	/* The kernel finishes with what is in the answer area: where the VMM
	 * never answered (kvmcompl_complete() may be called so), the bytes
	 * of the exit, as a native re-entry would see them. */
	kc_vcpu_unmark(v);
	atomic_store(&v->midexit, 0);
	reason = run->exit_reason;
	/* The private descriptor: a VMM number closed and reused meanwhile
	 * cannot redirect the completion. */
	own = kc_vcpu_own_get(v);
	r = kc_kernel()->immediate_exit ? run_immediate(v, own >= 0 ? own : fd, &err)
					: run_with_signal(v, own >= 0 ? own : fd, &err);
	kc_vcpu_own_put(v);
	if (r < 0 && err == EINTR) {
		/* The VMM now sees what a KVM_RUN returning EINTR leaves:
		 * exit_reason stays as the kernel leaves it, except where this
		 * kernel keys the completion on it without a guard (the guard
		 * table: twice), so that it cannot complete again. */
		atomic_store(&v->pending, 0);
		run->flags &= (__u16)~KVM_RUN_NEEDS_COMPLETION;
		kc_guard_after_eintr(run, atomic_load(&v->twice));
		KC_BUMP(v->stats.completions);
		if (why >= 0 && why <= KC_STATS_API)
			KC_BUMP(v->stats.by_request[why]);
		kc_log(KC_LOG_DEBUG, "completed exit %u of vCPU fd %d before %s",
		       reason, fd, kc_request_label(why));
	} else if (r >= 0) {
		/* A split MMIO access, string I/O or SEV-ES/TDX continuation:
		 * the kernel reported the next part. Keep it for the VMM. */
		int twice;

		KC_BUMP(v->stats.completions);
		KC_BUMP(v->stats.new_exits);
		if (why >= 0 && why <= KC_STATS_API)
			KC_BUMP(v->stats.by_request[why]);
		atomic_store(&v->pending, 0);
		atomic_store(&v->held, 1);
		kc_update_flag(run, &twice, atomic_load(&v->out_7e_quirk_off));
		atomic_store(&v->twice, twice);
		kc_log(KC_LOG_WARN, "completing exit %u of vCPU fd %d before %s produced a new exit %u; the next KVM_RUN returns it (state read now is mid-instruction)",
		       reason, fd, kc_request_label(why), run->exit_reason);
	} else {
		/* Still owed as far as anyone can tell: keep the mark and the
		 * flag (x86 5.12+ zeroed flags on entry), so the next state
		 * ioctl tries again; unless the error comes from after the
		 * kernel ran it (x86 EFAULT): then nothing is owed. */
		if (kc_owed_after_error(run, err)) {
			if (!kc_kernel()->native_flag)
				run->flags |= KVM_RUN_NEEDS_COMPLETION;
		} else {
			atomic_store(&v->pending, 0);
			if (!kc_kernel()->native_flag)
				run->flags &= (__u16)~KVM_RUN_NEEDS_COMPLETION;
		}
		KC_BUMP(v->stats.failures);
		kc_log_once(KC_LOG_ERROR, "completing KVM_RUN of vCPU fd %d before %s failed (errno %d); the VMM's ioctl is performed anyway",
			    fd, kc_request_label(why), err);
		ret = -1;
	}
out:
	/* Released before the mask is restored: a handler that runs then
	 * finds the vCPU free. */
	atomic_store(&v->state, KC_IDLE);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	errno = err;
	return ret;
}
