/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The completion engine: finish a vCPU's pending exit by re-entering
 * KVM_RUN with immediate_exit set and every signal blocked. */
#ifndef KC_COMPLETE_H
#define KC_COMPLETE_H

#include "vcpu.h"

/* Finish v's pending exit, if any, before request `why` (its position in
 * the rules' table, or KC_STATS_API for kvmcompl_complete()). Returns 0 when done or nothing was pending; -1 with errno EBUSY
 * when the vCPU's own KVM_RUN is in progress (it finishes the work), or
 * with the completing KVM_RUN's error. Never runs beside the vCPU's own
 * KVM_RUN or another completion. */
int kc_complete(struct kc_vcpu *v, int fd, int why);

#endif
