/* The public functions of include/kvmcompl.h. */
#include "config.h"

#include <errno.h>

#include "complete.h"
#include "kvmcompl.h"
#include "settings.h"
#include "track.h"

#define KC_EXPORT __attribute__((visibility("default")))

KC_EXPORT int kvmcompl_complete(int vcpu_fd)
{
	int saved_errno = errno, r;
	uintptr_t e;
	struct kc_vcpu *v;

	kc_settings();
	e = kc_fd_get(vcpu_fd);
	if (!e)
		e = kc_track_identify(vcpu_fd);
	if (kc_entry_kind(e) != KC_FD_VCPU) {
		errno = EBADF;
		return -1;
	}
	v = kc_entry_ptr(e);
	if (!kc_vcpu_get(v)) {
		errno = EBADF;
		return -1;
	}
	r = kc_complete(v, vcpu_fd, "kvmcompl_complete()");
	kc_vcpu_put(v);
	if (r == 0)
		errno = saved_errno;
	return r;
}

KC_EXPORT const char *kvmcompl_version(void)
{
	return PACKAGE_VERSION;
}
