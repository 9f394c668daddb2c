/* The entry point: ioctl() (and __ioctl_time64) as the VMM calls it.
 * Anything that is not a KVM request costs one compare; KVM requests are
 * routed by what the fd is. */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <sys/ioctl.h>

#include "compat.h"
#include "complete.h"
#include "log.h"
#include "next.h"
#include "rules.h"
#include "settings.h"
#include "track.h"
#include "vcpu.h"

#define KC_EXPORT __attribute__((visibility("default")))

/* KVM_CHECK_EXTENSION on /dev/kvm or a VM fd. The kernel is asked first: a
 * number it reports as supported keeps the kernel's answer (a native flag,
 * or another meaning of the number). */
static int check_extension(int fd, unsigned int req, void *arg)
{
	int r = kc_sys_ioctl(fd, req, arg);

	if (r == 0 && (unsigned long)arg == KVM_CAP_NEEDS_COMPLETION)
		return 1;
	return r;
}

static int system_ioctl(int fd, unsigned int req, void *arg)
{
	int r;

	switch (req) {
	case KVM_CHECK_EXTENSION:
		return check_extension(fd, req, arg);
	case KVM_CREATE_VM:
		r = kc_sys_ioctl(fd, req, arg);
		if (r >= 0)
			kc_track(r, KC_FD_VM);
		return r;
	case KVM_GET_VCPU_MMAP_SIZE:
		r = kc_sys_ioctl(fd, req, arg);
		kc_vcpu_set_mmap_size(r);
		return r;
	}
	return kc_sys_ioctl(fd, req, arg);
}

static int vm_ioctl(int fd, unsigned int req, void *arg)
{
	int r;

	switch (req) {
	case KVM_CHECK_EXTENSION:
		return check_extension(fd, req, arg);
	case KVM_CREATE_VCPU:
		r = kc_sys_ioctl(fd, req, arg);
		if (r >= 0)
			kc_track(r, KC_FD_VCPU);
		return r;
	case KVM_CREATE_DEVICE:
		r = kc_sys_ioctl(fd, req, arg);
		/* The kernel wrote the new fd into *arg, so arg is valid. */
		if (r == 0 && !(((struct kvm_create_device *)arg)->flags & KVM_CREATE_DEVICE_TEST))
			kc_track((int)((struct kvm_create_device *)arg)->fd, KC_FD_OTHER);
		return r;
	}
	/* KVM_ENABLE_CAP passes through: a kernel without the capability
	 * answers EINVAL itself, one with it (arm64 239) must keep its meaning. */
	return kc_sys_ioctl(fd, req, arg);
}

static int vcpu_ioctl(struct kc_vcpu *v, int fd, unsigned int req, void *arg,
		      int saved_errno)
{
	if (req == KVM_RUN)
		return kc_vcpu_run(v, fd, arg);
	if (atomic_load_explicit(&v->pending, memory_order_relaxed) &&
	    kc_settings()->complete &&
	    kc_request_class(kc_rules, req) == KC_REQ_TRIGGER) {
		kc_complete(v, fd, kc_request_name(kc_rules, req));
		errno = saved_errno; /* the VMM's ioctl sets its own */
	}
	return kc_sys_ioctl(fd, req, arg);
}

static int kvm_ioctl(int fd, unsigned int req, void *arg)
{
	int saved_errno = errno, r;
	uintptr_t e = kc_fd_get(fd);
	struct kc_vcpu *v;

	if (!e) {
		kc_settings(); /* first KVM request: read the environment */
		e = kc_track_identify(fd);
	}
	switch (kc_entry_kind(e)) {
	case KC_FD_SYSTEM:
		return system_ioctl(fd, req, arg);
	case KC_FD_VM:
		return vm_ioctl(fd, req, arg);
	case KC_FD_VCPU:
		v = kc_entry_ptr(e);
		/* Hold the object for the call; if the fd was closed and its
		 * number reused meanwhile, the table no longer says v. */
		if (!kc_vcpu_get(v))
			break;
		if (kc_fd_get(fd) != e) {
			kc_vcpu_put(v);
			break;
		}
		r = vcpu_ioctl(v, fd, req, arg, saved_errno);
		saved_errno = errno;
		kc_vcpu_put(v);
		errno = saved_errno;
		return r;
	default:
		break;
	}
	return kc_sys_ioctl(fd, req, arg);
}

KC_EXPORT int ioctl(int fd, KC_IOCTL_REQ_T request, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, request);
	arg = va_arg(ap, void *);
	va_end(ap);
	/* Callers that pass an int request reach us sign-extended: only the
	 * low 32 bits are the request. */
	if (__builtin_expect(KC_REQ_TYPE(request) != KC_KVMIO_TYPE, 1))
		return ((kc_ioctl_fn)kc_next(KC_NEXT_IOCTL))(fd, request, arg);
	return kvm_ioctl(fd, (unsigned int)request, arg);
}

#ifdef HAVE___IOCTL_TIME64
/* 32-bit glibc built with _TIME_BITS=64 binds callers to this name. */
KC_EXPORT int __ioctl_time64(int fd, unsigned long request, ...);
KC_EXPORT int __ioctl_time64(int fd, unsigned long request, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, request);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (__builtin_expect(KC_REQ_TYPE(request) != KC_KVMIO_TYPE, 1))
		return ((kc_ioctl_fn)kc_next(KC_NEXT_IOCTL_TIME64))(fd, request, arg);
	return kvm_ioctl(fd, (unsigned int)request, arg);
}
#endif
