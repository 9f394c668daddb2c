/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the running kernel offers, probed once when the library first meets
 * a KVM fd (never on a vCPU's hot path) and read-only afterwards. */
#ifndef KC_KERNEL_H
#define KC_KERNEL_H

#include <stdbool.h>

struct kc_kernel {
	unsigned int version;  /* KC_KVER of uname's release, 0 if unknown */
	bool immediate_exit;   /* KVM_CAP_IMMEDIATE_EXIT (4.11+) */
	bool native_flag;      /* the kernel itself answers the capability
				  number and sets KVM_RUN_NEEDS_COMPLETION */
};

/* The probed facts, or defaults (modern kernel, no native flag) before. */
const struct kc_kernel *kc_kernel(void);

/* Probe through fd (a /dev/kvm or VM fd; -1: open /dev/kvm), once. */
void kc_kernel_probe(int fd);

/* The capability number the library answers at (KVMCOMPL_CAP, else the
 * rules' default); 0: none. */
unsigned int kc_cap_number(void);

/* "5.2.0-1-arm64" -> KC_KVER(5, 2, 0); 0 if it does not parse. */
unsigned int kc_parse_release(const char *release);

#endif
