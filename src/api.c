/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The public functions of include/kvmcompl.h. */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "complete.h"
#include "entry.h"
#include "init.h"
#include "kvmcompl.h"
#include "rules.h"
#include "track.h"


/* The vCPU behind fd, with a reference; NULL with errno EBADF. */
static struct kc_vcpu *vcpu_of(int fd)
{
	uintptr_t e;
	struct kc_vcpu *v;

	kc_init();
	e = kc_fd_get(fd);
	if (!e)
		e = kc_track_identify(fd);
	if ((kc_entry_kind(e) != KC_FD_VCPU && kc_entry_kind(e) != KC_FD_VCPU_CLOSING) ||
	    !kc_vcpu_get(v = kc_entry_ptr(e))) {
		errno = EBADF;
		return NULL;
	}
	return v;
}

KC_EXPORT int kvmcompl_complete(int vcpu_fd)
{
	int saved_errno = errno, r;
	struct kc_vcpu *v = vcpu_of(vcpu_fd);

	if (!v)
		return -1;
	r = kc_complete(v, vcpu_fd, KC_STATS_API);
	kc_vcpu_put(v);
	if (r == 0)
		errno = saved_errno;
	return r;
}

#define LOAD(c) atomic_load_explicit(&(c), memory_order_relaxed)

KC_EXPORT int kvmcompl_stats(int vcpu_fd, struct kvmcompl_stats *out, unsigned long size)
{
	const struct kc_arch_rules *rules = kc_rules();
	struct kvmcompl_stats s;
	struct kc_vcpu *v = vcpu_of(vcpu_fd);
	unsigned int n = 0;

	if (!v)
		return -1;
	memset(&s, 0, sizeof s);
	s.exits = LOAD(v->stats.exits);
	s.flagged = LOAD(v->stats.flagged);
	s.completions = LOAD(v->stats.completions);
	s.new_exits = LOAD(v->stats.new_exits);
	s.failures = LOAD(v->stats.failures);
	for (unsigned int r = 0; r < KC_STATS_REASONS; r++)
		s.exits_by_reason[r] = LOAD(v->stats.by_reason[r]);
	for (unsigned int i = 0; i < KC_STATS_REQUESTS && i < rules->n_requests; i++)
		if (LOAD(v->stats.by_request[i])) {
			s.trigger_request[n] = rules->requests[i].request;
			s.completions_by_trigger[n++] = LOAD(v->stats.by_request[i]);
		}
	s.completions_by_api = LOAD(v->stats.by_request[KC_STATS_API]);
	kc_vcpu_put(v);
	memcpy(out, &s, size < sizeof s ? size : sizeof s);
	return 0;
}

KC_EXPORT const char *kvmcompl_version(void)
{
	return PACKAGE_VERSION;
}
