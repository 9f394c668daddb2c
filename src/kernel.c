/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <sys/utsname.h>

#include "compat.h"
#include "kernel.h"
#include "log.h"
#include "next.h"
#include "rules.h"
#include "settings.h"

/* Until probed, assume the common case: a modern kernel without the flag. */
static const struct kc_kernel defaults = { 0, true, false };
static struct kc_kernel probed;
static _Atomic(const struct kc_kernel *) published = &defaults;
static atomic_int probe_state; /* 0 not yet, 1 in progress, 2 done */

const struct kc_kernel *kc_kernel(void)
{
	return atomic_load_explicit(&published, memory_order_acquire);
}

unsigned int kc_parse_release(const char *r)
{
	unsigned int part[3] = { 0, 0, 0 };
	int i = 0;

	if (*r < '0' || *r > '9')
		return 0;
	for (; *r && i < 3; r++) {
		if (*r >= '0' && *r <= '9')
			part[i] = part[i] * 10 + (unsigned int)(*r - '0');
		else if (*r == '.')
			i++;
		else
			break;
	}
	if (part[1] > 255 || part[2] > 255)
		return 0;
	return KC_KVER(part[0], part[1], part[2]);
}

static int check_extension(int fd, long cap)
{
	int r = kc_sys_ioctl(fd, kc_rules()->req.check_extension, (void *)cap);

	return r > 0 ? r : 0;
}

unsigned int kc_cap_number(void)
{
	long cap = kc_settings()->cap;

	if (cap == KC_CAP_OFF)
		return 0;
	return cap == KC_CAP_DEFAULT ? kc_rules()->default_cap : (unsigned int)cap;
}

void kc_kernel_probe(int fd)
{
	struct kc_kernel k = { 0, false, false };
	struct utsname u;
	int expected = 0, own = -1, saved_errno = errno;
	unsigned int cap = kc_cap_number();

	if (!atomic_compare_exchange_strong(&probe_state, &expected, 1))
		return; /* done, or another thread is at it: its answer stands */
	u.release[0] = '\0';
	if (uname(&u) == 0)
		k.version = kc_parse_release(u.release);
	if (fd < 0)
		fd = own = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (fd >= 0) {
		k.immediate_exit = check_extension(fd, KVM_CAP_IMMEDIATE_EXIT) > 0;
		/* The configured number means NEEDS_COMPLETION here (the
		 * rules' default, or the user said so): a kernel answering it
		 * sets the flag itself. */
		k.native_flag = cap && check_extension(fd, (long)cap) > 0;
	} else {
		k.immediate_exit = true;
		kc_log_once(KC_LOG_WARN, "cannot open /dev/kvm to probe the kernel (errno %d); assuming immediate_exit", errno);
	}
	if (own >= 0)
		((kc_int_fn)kc_next(KC_NEXT_CLOSE))(own);
	probed = k;
	atomic_store_explicit(&published, &probed, memory_order_release);
	atomic_store(&probe_state, 2);
	kc_log(KC_LOG_INFO, "kernel %s: immediate_exit %s, capability %u %s",
	       u.release, k.immediate_exit ? "yes" : "no (completing with a signal)", cap,
	       k.native_flag ? "answered by the kernel: its flag is used" : "provided by the library");
	errno = saved_errno;
}
