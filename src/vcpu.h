/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Per-vCPU state: the library's own kvm_run mapping, whether the last exit
 * owes a completion, and the KVM_RUN wrapper that keeps the flag. */
#ifndef KC_VCPU_H
#define KC_VCPU_H

#include <stdatomic.h>
#include <stddef.h>
#include <linux/kvm.h>

#include "stats.h"

enum kc_run_state {
	KC_IDLE,       /* nobody is in KVM_RUN for this vCPU */
	KC_RUNNING,    /* the VMM's KVM_RUN is in progress */
	KC_COMPLETING, /* the library's completing KVM_RUN is in progress */
	KC_INHERITED,  /* a forked child's copy: the vCPU belongs to the
			  parent's mm, the kernel refuses it (EIO) */
};

struct kc_vcpu {
	/* One per fd-table entry plus one per caller using it right now; at
	 * 0 the slot is released (kvm_run unmapped) and may be reused. */
	atomic_int refs;
	atomic_int free;      /* slot available for kc_vcpu_new */
	atomic_int state;      /* enum kc_run_state */
	atomic_int pending;   /* the last exit handed to the VMM owes a completion */
	atomic_int held;      /* a completion produced an exit not yet handed over */
	atomic_int twice;     /* this kernel would complete the pending exit
				  again after an EINTR (kc_exit_rule.twice_*) */
	/* The VMM's last KVM_SET_SIGNAL_MASK, restored after a completion
	 * that needed its own mask (kernels without immediate_exit). */
	atomic_int has_kvm_sigmask;
	unsigned char kvm_sigmask[16];
	unsigned int kvm_sigmask_len;
	_Atomic unsigned long runner; /* pthread_self() of the last KVM_RUN */
	/* Answer-aware completion (doc/interface.md): the answer area of the exit
	 * handed to the VMM holds a marker until the VMM writes its answer.
	 * marked: KC_MARK_* (set and cleared by the vCPU's own KVM_RUN or a
	 * claimed completion); midexit: a state ioctl passed through while
	 * the exit was unanswered, in this pending window. */
	atomic_int marked, midexit;
	unsigned int ans_off, ans_len, ans_msr;
	unsigned char ans_saved[16], ans_mark[16];
	/* The VM disabled KVM_X86_QUIRK_OUT_7E_INC_RIP; vm_fd: the VM's fd
	 * number at KVM_CREATE_VCPU (-1: unknown), to follow a later disable. */
	atomic_int out_7e_quirk_off;
	int vm_fd;
	struct kvm_run *run;   /* the library's own mapping */
	size_t run_size;
	/* The library's own descriptor of the vCPU: a completion uses it, so
	 * a VMM fd number closed and reused meanwhile cannot redirect it. */
	atomic_int own_fd, own_users;
	int id, fd;            /* vCPU id and the fd it was first met on (reports) */
	struct kc_stats stats;
	struct kc_vcpu *next;  /* chain of all slots, never unlinked */
};

/* A new vCPU object for fd (vCPU id, or -1) with its own kvm_run mapping
 * and one reference (for the fd table), or NULL (logged) if mapping fails.
 * own: a private descriptor of the same vCPU to adopt, or -1 to make one.
 * met_later: the fd was not seen created, so an exit may be pending
 * already; the flag in the shared kvm_run page says so. */
struct kc_vcpu *kc_vcpu_new(int fd, int own, int id, int met_later);

/* Answer-aware completion: what the answer area holds. */
enum kc_mark {
	KC_MARK_NONE,  /* nothing watched: counts as answered */
	KC_MARK_EAGER, /* the marker is in place since the exit */
	KC_MARK_LAZY,  /* a short area (< 4 bytes): its bytes are kept, the
			  marker is written only at the first state ioctl */
};

/* Whether the VMM's answer is there: the marker was overwritten (in some
 * 8-byte unit), a short area changed, or nothing is watched. A short area
 * still unchanged gets its marker now. */
int kc_vcpu_answered(struct kc_vcpu *v);

/* Put the exit's original bytes back where the marker is intact (the VMM
 * never answered there) and forget the marker; called by the vCPU's own
 * KVM_RUN and by a claimed completion, before the kernel reads the area. */
void kc_vcpu_unmark(struct kc_vcpu *v);

/* A VM fd disabled KVM_X86_QUIRK_OUT_7E_INC_RIP: its vCPUs follow. */
void kc_vcpu_out_7e_quirk_off(int vm_fd);

/* A close-on-exec copy of fd for the library itself, numbered high; keep:
 * one a vCPU keeps, made only within the VMM's budget (kc_vcpu_fd_budget),
 * else -1. */
int kc_private_fd(int fd, int keep);

/* The VMM made or met KVM fd number fd: in the upper half of its
 * descriptor limit, the library gives back its private descriptors. */
void kc_vcpu_fd_budget(int fd);

/* v's private descriptor for one use (-1: none; use the VMM's number),
 * held until kc_vcpu_own_put. */
int kc_vcpu_own_get(struct kc_vcpu *v);
void kc_vcpu_own_put(struct kc_vcpu *v);

/* The VMM is about to dup2/dup3 onto fd: if fd is a vCPU's private
 * descriptor (KC_FD_OWN), give the vCPU another one first. Returns 1 if
 * so: fd is then the library's to close should the VMM's call fail. */
int kc_vcpu_move_own(int fd);

/* Whether descriptors a and b name one open file: 1 yes, 0 no (or one is
 * closed), -1 unknown (no kcmp here). */
int kc_same_file(int a, int b);

/* Whether fd, on which v's kernel answered err (EBADF or ENOTTY), no
 * longer names v's vCPU: closed, or its number reused. */
int kc_vcpu_lost(struct kc_vcpu *v, int fd, int err);

/* The live object of the vCPU that fd also refers to (kcmp), with a new
 * reference, or NULL. */
struct kc_vcpu *kc_vcpu_find_same(int fd);

/* The library's private vCPU descriptors within [first, last], ascending,
 * at most max of them; returns how many (more than max: max + 1). */
int kc_vcpu_own_fds(unsigned int first, unsigned int last, int *out, int max);

/* KVMCOMPL_STATS=1: report every vCPU still alive (at exit). */
void kc_vcpu_report_all(void);

/* Take a reference unless the object is already released. */
int kc_vcpu_get(struct kc_vcpu *v);
void kc_vcpu_put(struct kc_vcpu *v);

/* Remember the size KVM_GET_VCPU_MMAP_SIZE reported. */
void kc_vcpu_set_mmap_size(long size);

/* The VMM's KVM_RUN on fd. */
int kc_vcpu_run(struct kc_vcpu *v, int fd, void *arg);

/* After an exit: set or clear KVM_RUN_NEEDS_COMPLETION in run->flags per
 * the rules (other bits untouched) and return whether the exit owes a
 * completion; *twice says whether this kernel would redo that completion
 * after an EINTR. With a kernel that sets the flag itself, its flag is the
 * answer and is left alone. */
int kc_update_flag(struct kvm_run *run, int *twice, int out_7e_quirk_off);

/* KVM_RUN failed with err (not EINTR) at an exit that owed a completion:
 * whether the kernel still owes it (per architecture and error). */
int kc_owed_after_error(const struct kvm_run *run, int err);

/* After an EINTR return that consumed a completion: on a kernel keyed on
 * exit_reason (twice), make the next KVM_RUN unable to complete again. */
void kc_guard_after_eintr(struct kvm_run *run, int twice);

/* Spin briefly while another thread finishes a completion: no system call,
 * since vCPU threads may run under a seccomp filter. */
void kc_cpu_relax(void);

/* In a forked child: the vCPUs are the parent's; pass them through, so
 * the child gets the kernel's own errors and nothing is completed. */
void kc_vcpu_after_fork(void);

#endif
