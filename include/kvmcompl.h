/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libkvmcompl: the KVM_RUN_NEEDS_COMPLETION interface for every kernel.
 *
 * Preload the library under an unmodified VMM (LD_PRELOAD=libkvmcompl.so)
 * and, after every KVM_RUN, bit 15 of kvm_run.flags says whether the exit
 * left work in the kernel that only a further KVM_RUN finishes.  Before the
 * VMM reads or writes vCPU state while such work is pending, the library
 * finishes it by re-entering KVM_RUN with immediate_exit set, so no guest
 * instruction runs and no I/O is lost or repeated.
 *
 * Detecting the library at run time:
 *   - KVM_CHECK_EXTENSION(KVM_CAP_NEEDS_COMPLETION) on the /dev/kvm or a VM fd
 *     answers 1 (the library or, one day, the kernel provides the flag);
 *   - dlsym(RTLD_DEFAULT, "kvmcompl_version") is non-NULL when the library is
 *     loaded; call kvmcompl_complete() through that lookup so the VMM also
 *     runs without it.
 */
#ifndef KVMCOMPL_H
#define KVMCOMPL_H

#include <linux/kvm.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Set in kvm_run.flags by KVM_RUN when userspace must re-enter KVM_RUN before
 * guest state is consistent (proposed upstream, January 2025). */
#ifndef KVM_RUN_NEEDS_COMPLETION
#define KVM_RUN_NEEDS_COMPLETION (1 << 15)
#endif

/* Informational capability; KVM_ENABLE_CAP on it fails with EINVAL. */
#ifndef KVM_CAP_NEEDS_COMPLETION
#define KVM_CAP_NEEDS_COMPLETION 239
#endif

/* Finish the pending exit of the vCPU behind vcpu_fd now, the way the library
 * does it before a state ioctl: KVM_RUN with immediate_exit = 1 and every
 * signal blocked.  Works with KVMCOMPL_COMPLETE=off.
 * Returns 0 when the work is done or nothing was pending, or when the
 * completion produced a new exit, which the next KVM_RUN returns.
 * Returns -1 with errno: EBADF (not a vCPU fd), EBUSY (the vCPU's own
 * KVM_RUN is in progress, which finishes the work itself), or the error of
 * the completing KVM_RUN (the work is then still owed). */
int kvmcompl_complete(int vcpu_fd);

/* Counters the library keeps per vCPU (KVMCOMPL_STATS=1 also prints them
 * when a vCPU goes away and at exit). */
struct kvmcompl_stats {
	unsigned long long exits;       /* KVM_RUN returns that carried an exit */
	unsigned long long flagged;     /* ... with KVM_RUN_NEEDS_COMPLETION set */
	unsigned long long completions; /* completions the library ran */
	unsigned long long new_exits;   /* ... that produced a new exit */
	unsigned long long failures;    /* completions whose KVM_RUN failed */
	/* Exits by KVM_EXIT_* reason; the last entry counts 47 and above. */
	unsigned long long exits_by_reason[48];
	/* Completions by the request that triggered them: request numbers
	 * (0 = unused entry) and counts; by kvmcompl_complete() apart. */
	unsigned int trigger_request[48];
	unsigned long long completions_by_trigger[48];
	unsigned long long completions_by_api;
};

/* Fill *stats (at most `size` bytes, for later growth) for the vCPU behind
 * vcpu_fd. Returns 0, or -1 with errno EBADF (not a vCPU fd). */
int kvmcompl_stats(int vcpu_fd, struct kvmcompl_stats *stats, unsigned long size);

/* The library's version, e.g. "0.1.0". */
const char *kvmcompl_version(void);

#ifdef __cplusplus
}
#endif

#endif /* KVMCOMPL_H */
