#include "config.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <pthread.h>

#include "compat.h"
#include "complete.h"
#include "log.h"
#include "next.h"
#include "rules.h"

/* The value the library writes into immediate_exit. The kernel only tests
 * it for non-zero (x86.c kvm_arch_vcpu_ioctl_run); a distinct value lets the
 * restore see whether the VMM wrote its own kick meanwhile. */
#define KC_IE_MARK 0xc5

static int claim(struct kc_vcpu *v)
{
	unsigned spins = 0;
	int s = KC_IDLE;

	while (!atomic_compare_exchange_weak(&v->state, &s, KC_COMPLETING)) {
		/* The VMM's own KVM_RUN is in flight: it finishes the work. */
		if (s == KC_RUNNING)
			return 0;
		/* Another thread is completing: wait, then find nothing pending. */
		if (s == KC_COMPLETING && ++spins > 1000)
			sched_yield();
		s = KC_IDLE;
	}
	return 1;
}

int kc_complete(struct kc_vcpu *v, int fd, const char *why)
{
	struct kvm_run *run = v->run;
	sigset_t all, old;
	unsigned reason;
	uint8_t mark = KC_IE_MARK, vmm_ie;
	int r, err, ret = 0;

	if (!atomic_load(&v->pending) || !claim(v))
		return 0;
	/* Checked again under the claim: another thread may have finished it,
	 * and an exit the VMM has not received yet must not be completed. */
	if (!atomic_load(&v->pending) || atomic_load(&v->held)) {
		atomic_store(&v->state, KC_IDLE);
		return 0;
	}

	/* No handler may run in this thread while immediate_exit is ours. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	reason = run->exit_reason;
	vmm_ie = __atomic_load_n(&run->immediate_exit, __ATOMIC_RELAXED);
	__atomic_store_n(&run->immediate_exit, KC_IE_MARK, __ATOMIC_RELAXED);

	/* The kernel runs the pending completion before it looks at
	 * immediate_exit (x86.c kvm_arch_vcpu_ioctl_run), so no guest
	 * instruction runs. */
	r = kc_sys_ioctl(fd, KVM_RUN, NULL);
	err = errno;

	/* Give the VMM its value back unless it wrote one meanwhile (a kick
	 * from another thread): then its value stands. */
	__atomic_compare_exchange_n(&run->immediate_exit, &mark, vmm_ie, 0,
				    __ATOMIC_RELAXED, __ATOMIC_RELAXED);
	atomic_store(&v->pending, 0);

	if (r < 0 && err == EINTR) {
		/* The VMM now sees what a KVM_RUN returning EINTR leaves. */
		run->flags &= (__u16)~KVM_RUN_NEEDS_COMPLETION;
		run->exit_reason = KVM_EXIT_INTR;
		kc_log(KC_LOG_DEBUG, "completed exit %u of vCPU fd %d before %s",
		       reason, fd, why);
	} else if (r == 0) {
		/* A split MMIO access, string I/O or SEV-ES/TDX continuation:
		 * the kernel reported the next part. Keep it for the VMM. */
		atomic_store(&v->held, 1);
		kc_update_flag(run);
		kc_log(KC_LOG_WARN, "completing exit %u of vCPU fd %d before %s produced a new exit %u; the next KVM_RUN returns it (state read now is mid-instruction)",
		       reason, fd, why, run->exit_reason);
	} else {
		kc_log_once(KC_LOG_ERROR, "completing KVM_RUN of vCPU fd %d before %s failed (errno %d); the VMM's ioctl is performed anyway",
			    fd, why, err);
		ret = -1;
	}

	pthread_sigmask(SIG_SETMASK, &old, NULL);
	atomic_store(&v->state, KC_IDLE);
	errno = err;
	return ret;
}
