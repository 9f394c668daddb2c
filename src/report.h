/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The completion sanitizer (KVMCOMPL_MODE=report|strict|verify): tells a
 * VMM developer where their VMM reads or writes vCPU state at a pending
 * exit, or, on a kernel with the flag, where the kernel and the rules
 * disagree. Nothing here runs in the default mode (fix). */
#ifndef KC_REPORT_H
#define KC_REPORT_H

#include <linux/kvm.h>

/* Exit status of a process stopped by KVMCOMPL_MODE=strict. */
#define KC_STRICT_STATUS 86

/* Called once, from the settings (src/init.c), in the modes that report:
 * opens the report file (NULL: none) and prepares backtraces (the unwinder
 * allocates on its first use). strict: stop the process at a report. */
void kc_report_setup(int strict, const char *report_file);

/* The VMM's state ioctl `req_index` (rules' table) reached vCPU vcpu_id
 * (its kvm_run: run) while its exit was pending; site is the return address
 * of the VMM's ioctl call. */
void kc_report_access(const struct kvm_run *run, int vcpu_id, int fd, int req_index, void *site);

/* verify: the kernel's flag for this exit disagrees with the rules. */
void kc_report_verify(const struct kvm_run *run, int kernel, int library);

/* At exit: one summary per call site, symbolized. */
void kc_report_summary(void);

#endif
