/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The entry point: ioctl() (and __ioctl_time64) as the VMM calls it.
 * Anything that is not a KVM request costs one compare; KVM requests are
 * routed by what the fd is. */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <string.h>
#include <sys/ioctl.h>

#include "compat.h"
#include "entry.h"
#include "complete.h"
#include "init.h"
#include "kernel.h"
#include "log.h"
#include "next.h"
#include "report.h"
#include "rules.h"
#include "settings.h"
#include "track.h"
#include "vcpu.h"


/* KVM_CHECK_EXTENSION on /dev/kvm or a VM fd. The kernel is asked first: a
 * number it reports as supported keeps the kernel's answer (a native flag,
 * or another meaning of the number). */
static int check_extension(int fd, unsigned int req, void *arg)
{
	unsigned int cap = kc_cap_number(); /* 0: answer at no number */
	int r = kc_sys_ioctl(fd, req, arg);

	if (r == 0 && cap && (unsigned long)arg == cap)
		return 1;
	return r;
}

/* Record a new fd made by a successful call, keeping the call's errno. */
static void track_new(int fd, enum kc_fd_kind kind, int id)
{
	int saved_errno = errno;

	kc_track(fd, kind, id);
	errno = saved_errno;
}

/* A request whose result is a new fd of the given kind. */
static int create(int fd, unsigned int req, void *arg, enum kc_fd_kind kind)
{
	int r = kc_sys_ioctl(fd, req, arg);

	if (r >= 0)
		track_new(r, kind, kind == KC_FD_VCPU ? (int)(long)arg : -1);
	return r;
}

static int system_ioctl(int fd, unsigned int req, void *arg)
{
	const struct kc_protocol_requests *p = &kc_rules()->req;
	int r;

	if (req == p->check_extension)
		return check_extension(fd, req, arg);
	if (req == p->create_vm)
		return create(fd, req, arg, KC_FD_VM);
	if (req == p->get_vcpu_mmap_size) {
		r = kc_sys_ioctl(fd, req, arg);
		kc_vcpu_set_mmap_size(r);
		return r;
	}
	return kc_sys_ioctl(fd, req, arg);
}

/* A VM entry's mark that the VM disabled KVM_X86_QUIRK_OUT_7E_INC_RIP (a
 * VM entry carries no pointer, so a bit above the kind is free). */
#define KC_VM_OUT_7E_OFF ((uintptr_t)8)

/* KVM_ENABLE_CAP on a VM fd: follow KVM_CAP_DISABLE_QUIRKS(2), whose
 * args[0] is the mask of quirks to disable (x86.c kvm_vm_ioctl_enable_cap).
 * Once disabled it is taken as disabled for good: flagging an OUT to 0x7e
 * that owes nothing only costs a needless completion. */
static int enable_cap(int fd, unsigned int req, void *arg)
{
	int r = kc_sys_ioctl(fd, req, arg), saved_errno = errno;
	const struct kvm_enable_cap *c = arg;
	uintptr_t e;

	if (r == 0 && kc_rules() == &kc_rules_x86 && c &&
	    (c->cap == KVM_CAP_DISABLE_QUIRKS || c->cap == KVM_CAP_DISABLE_QUIRKS2) &&
	    (c->args[0] & KVM_X86_QUIRK_OUT_7E_INC_RIP_BIT)) {
		e = kc_fd_get(fd);
		if (kc_entry_kind(e) == KC_FD_VM)
			kc_fd_cas(fd, e, e | KC_VM_OUT_7E_OFF);
		kc_vcpu_out_7e_quirk_off(fd);
	}
	errno = saved_errno;
	return r;
}

/* KVM_CREATE_VCPU: the new vCPU learns its VM's quirks. */
static int create_vcpu(int fd, unsigned int req, void *arg)
{
	int r = create(fd, req, arg, KC_FD_VCPU), saved_errno = errno;
	uintptr_t e;

	if (r >= 0 && kc_entry_kind(e = kc_fd_get(r)) == KC_FD_VCPU) {
		struct kc_vcpu *v = kc_entry_ptr(e);

		v->vm_fd = fd;
		if (kc_fd_get(fd) & KC_VM_OUT_7E_OFF)
			atomic_store(&v->out_7e_quirk_off, 1);
	}
	errno = saved_errno;
	return r;
}

static int vm_ioctl(int fd, unsigned int req, void *arg)
{
	const struct kc_protocol_requests *p = &kc_rules()->req;
	int r;

	if (req == p->check_extension)
		return check_extension(fd, req, arg);
	if (req == p->create_vcpu)
		return create_vcpu(fd, req, arg);
	if (req == KVM_ENABLE_CAP)
		return enable_cap(fd, req, arg);
	if (req == p->create_device) {
		r = kc_sys_ioctl(fd, req, arg);
		/* The kernel wrote the new fd into *arg, so arg is valid. */
		if (r == 0 && !(((struct kvm_create_device *)arg)->flags & KVM_CREATE_DEVICE_TEST))
			track_new((int)((struct kvm_create_device *)arg)->fd, KC_FD_OTHER, -1);
		return r;
	}
	/* KVM_ENABLE_CAP passes through: a kernel without the capability
	 * answers EINVAL itself, one with it (arm64 239) must keep its meaning. */
	return kc_sys_ioctl(fd, req, arg);
}

/* Whether the settings let a trigger from this thread complete. */
static int may_complete(const struct kc_vcpu *v)
{
	switch (kc_settings()->complete) {
	case KC_COMPLETE_AUTO:
		return 1;
	case KC_COMPLETE_OTHER_THREAD:
		/* The exit's own thread may be mid-answer (QEMU's vmport
		 * reads registers while handling an IN): leave it alone. */
		return atomic_load_explicit(&v->runner, memory_order_relaxed) !=
		       (unsigned long)pthread_self();
	case KC_COMPLETE_OFF:
		break;
	}
	return 0;
}

/* Keep the VMM's KVM signal mask, to restore it after a completion that
 * needs one of its own (kernels without immediate_exit). The kernel has
 * just read arg, so it is valid. */
static int set_signal_mask(struct kc_vcpu *v, int fd, void *arg)
{
	int r = kc_sys_ioctl(fd, kc_rules()->req.set_signal_mask, arg);
	const struct kvm_signal_mask *m = arg;

	if (r == 0 && m && m->len <= sizeof v->kvm_sigmask) {
		memcpy(v->kvm_sigmask, m->sigset, m->len);
		v->kvm_sigmask_len = m->len;
		atomic_store(&v->has_kvm_sigmask, 1);
	} else if (r == 0) {
		atomic_store(&v->has_kvm_sigmask, 0);
	}
	return r;
}

static int vcpu_ioctl(struct kc_vcpu *v, int fd, unsigned int req, void *arg,
		      int saved_errno, void *site)
{
	const struct kc_protocol_requests *p = &kc_rules()->req;
	const struct kc_request *t;

	if (req == p->run)
		return kc_vcpu_run(v, fd, arg);
	if (req == p->set_signal_mask)
		return set_signal_mask(v, fd, arg);
	if (__builtin_expect(atomic_load_explicit(&v->pending, memory_order_relaxed) ||
			     atomic_load_explicit(&v->held, memory_order_relaxed), 0) &&
	    (t = kc_request_find(kc_rules(), req)) && t->class == KC_REQ_TRIGGER) {
		int index = (int)(t - kc_rules()->requests);
		enum kc_mode mode = kc_settings()->mode;

		if (atomic_load(&v->held)) {
			/* doc/interface.md guarantee 4: nothing is completed until the VMM
			 * has received the exit; state written now is overtaken. */
			if (strncmp(t->name, "KVM_SET_", 8) == 0)
				kc_log(KC_LOG_WARN, "%s on vCPU fd %d while an exit produced by a completion waits for the next KVM_RUN",
				       t->name, fd);
		} else if (!kc_vcpu_answered(v)) {
			/* The VMM is still answering (a ucall, QEMU's vmport):
			 * the kernel could only finish with no answer. Native. */
			atomic_store(&v->midexit, 1);
		} else if (atomic_load(&v->midexit) && kc_request_writes(t)) {
			/* Answered after a state ioctl passed mid-exit: the VMM
			 * edits the pending instruction's context on purpose
			 * (userspace_io_test's RCX); the kernel finishes with it. */
		} else {
			/* Answered (or nothing to answer): a save, restore or
			 * reset must see the instruction finished. */
			if (mode == KC_MODE_REPORT || mode == KC_MODE_STRICT)
				kc_report_access(v->run, v->id, fd, index, site);
			if (may_complete(v))
				kc_complete(v, fd, index);
		}
		errno = saved_errno; /* the VMM's ioctl sets its own */
	}
	return kc_sys_ioctl(fd, req, arg);
}

/* Kept out of line, so that ioctl() itself stays a compare and a jump. */
__attribute__((noinline)) static int kvm_ioctl(int fd, unsigned int req, void *arg, void *site)
{
	int saved_errno = errno, r;
	uintptr_t e = kc_fd_get(fd);
	struct kc_vcpu *v;

	if (!e) {
		kc_init(); /* first KVM request: read the settings */
		e = kc_track_identify(fd);
	}
	switch (kc_entry_kind(e)) {
	case KC_FD_SYSTEM:
		return system_ioctl(fd, req, arg);
	case KC_FD_VM:
		return vm_ioctl(fd, req, arg);
	case KC_FD_VCPU:
	case KC_FD_VCPU_CLOSING:
		v = kc_entry_ptr(e);
		/* Hold the object for the call; if the fd was closed and its
		 * number reused meanwhile, the table no longer says v (a close
		 * in progress changes only the kind: still v). */
		if (!kc_vcpu_get(v))
			break;
		if (kc_entry_ptr(kc_fd_get(fd)) != v) {
			kc_vcpu_put(v);
			break;
		}
		r = vcpu_ioctl(v, fd, req, arg, saved_errno, site);
		saved_errno = errno;
		/* EBADF or ENOTTY may mean the number was closed, or reused, by
		 * a path the library does not see; but a live vCPU answers
		 * ENOTTY too, to requests its kernel lacks (x86.c
		 * kvm_arch_vcpu_ioctl: KVM_MEMORY_ENCRYPT_OP without
		 * vcpu_mem_enc_ioctl, KVM_SMI without CONFIG_KVM_SMM). Forget
		 * the entry only if fd provably no longer names this vCPU. */
		if (r < 0 && (saved_errno == EBADF || saved_errno == ENOTTY) &&
		    kc_vcpu_lost(v, fd, saved_errno))
			kc_track_stale(fd, e);
		kc_vcpu_put(v);
		errno = saved_errno;
		return r;
	case KC_FD_OWN: /* a number the VMM never opened */
		errno = EBADF;
		return -1;
	default:
		break;
	}
	return kc_sys_ioctl(fd, req, arg);
}

/* Set-up at load, without a system call: find the next definitions now,
 * so a first call from a signal handler never runs dlsym, and have a
 * forked child forget vCPU runs that only the parent's threads were in. */
__attribute__((constructor)) static void kc_load(void)
{
	kc_next_resolve_all();
	pthread_atfork(NULL, NULL, kc_vcpu_after_fork);
}

/* KVMCOMPL_STATS=1: the vCPUs still alive at exit report their counters.
 * The settings are only read if a KVM fd was ever met. */
__attribute__((destructor)) static void kc_unload(void)
{
	if (kc_settings_loaded()) {
		kc_vcpu_report_all();
		if (kc_settings()->mode != KC_MODE_FIX)
			kc_report_summary();
	}
}

/* Both entry points: a request whose type is not KVMIO goes on after one
 * compare. Callers that pass an int request reach us sign-extended: only
 * the low 32 bits are the request. site: the VMM's call site (reports). */
static inline __attribute__((always_inline)) int dispatch(enum kc_next_id next, int fd,
							   unsigned long request, void *arg,
							   void *site)
{
	if (__builtin_expect(KC_REQ_TYPE(request) != KC_KVMIO_TYPE, 1))
		return ((kc_ioctl_fn)kc_next(next))(fd, (KC_IOCTL_REQ_T)request, arg);
	return kvm_ioctl(fd, (unsigned int)request, arg, site);
}

KC_EXPORT int KC_ENTRY(ioctl)(int fd, KC_IOCTL_REQ_T request, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, request);
	arg = va_arg(ap, void *);
	va_end(ap);
	return dispatch(KC_NEXT_IOCTL, fd, (unsigned long)request, arg,
			__builtin_return_address(0));
}

#ifdef HAVE___IOCTL_TIME64
/* 32-bit glibc built with _TIME_BITS=64 binds callers to this name. */
KC_EXPORT int KC_ENTRY(__ioctl_time64)(int fd, unsigned long request, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, request);
	arg = va_arg(ap, void *);
	va_end(ap);
	return dispatch(KC_NEXT_IOCTL_TIME64, fd, request, arg, __builtin_return_address(0));
}
#endif
