/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Per-vCPU counters: always kept (a plain add on the vCPU's own path, no
 * lock), reported with KVMCOMPL_STATS=1 when a vCPU goes away and at exit,
 * and readable through kvmcompl_stats(). */
#ifndef KC_STATS_H
#define KC_STATS_H

#include <stdatomic.h>
#include <stdint.h>

#define KC_STATS_REASONS 48   /* exit reasons 0..46; larger ones in the last */
#define KC_STATS_REQUESTS 48  /* by position in the rules' request table */
#define KC_STATS_API KC_STATS_REQUESTS /* kvmcompl_complete() */

struct kc_stats {
	_Atomic uint64_t exits, flagged, completions, new_exits, failures;
	_Atomic uint64_t by_reason[KC_STATS_REASONS];
	_Atomic uint64_t by_request[KC_STATS_REQUESTS + 1];
};

/* Relaxed load and store, not a locked add: each counter has one writer at
 * a time (the vCPU's run or its claimed completion), readers only report. */
#define KC_BUMP(c) atomic_store_explicit(&(c), atomic_load_explicit(&(c), memory_order_relaxed) + 1, \
					 memory_order_relaxed)

void kc_stats_exit(struct kc_stats *s, unsigned int reason, int flagged);

/* From the settings (src/init.c): whether kc_stats_report prints. */
void kc_stats_setup(int report);

/* Print one vCPU's counters if set up to (KVMCOMPL_STATS=1), allocation-free. */
void kc_stats_report(const struct kc_stats *s, int id, int fd);

/* Name of request `index` in the rules' table, "kvmcompl_complete()" for
 * KC_STATS_API, "?" otherwise (logs, reports, statistics). */
const char *kc_request_label(int index);

/* Name of an exit reason, e.g. "IO"; NULL if unknown. */
const char *kc_exit_name(unsigned int reason);

#endif
