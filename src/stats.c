/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>

#include "compat.h"
#include "log.h"
#include "rules.h"
#include "stats.h"

static atomic_int stats_on;

void kc_stats_setup(int report)
{
	atomic_store_explicit(&stats_on, report, memory_order_relaxed);
}

void kc_stats_exit(struct kc_stats *s, unsigned int reason, int flagged)
{
	KC_BUMP(s->exits);
	KC_BUMP(s->by_reason[reason < KC_STATS_REASONS ? reason : KC_STATS_REASONS - 1]);
	if (flagged)
		KC_BUMP(s->flagged);
}

/* include/uapi/linux/kvm.h, KVM_EXIT_* */
static const char *const exit_names[] = {
	"UNKNOWN", "EXCEPTION", "IO", "HYPERCALL", "DEBUG", "HLT", "MMIO",
	"IRQ_WINDOW_OPEN", "SHUTDOWN", "FAIL_ENTRY", "INTR", "SET_TPR",
	"TPR_ACCESS", "S390_SIEIC", "S390_RESET", "DCR", "NMI",
	"INTERNAL_ERROR", "OSI", "PAPR_HCALL", "S390_UCONTROL", "WATCHDOG",
	"S390_TSCH", "EPR", "SYSTEM_EVENT", "S390_STSI", "IOAPIC_EOI",
	"HYPERV", "ARM_NISV", "X86_RDMSR", "X86_WRMSR", "DIRTY_RING_FULL",
	"AP_RESET_HOLD", "X86_BUS_LOCK", "XEN", "RISCV_SBI", "RISCV_CSR",
	"NOTIFY", "LOONGARCH_IOCSR", "MEMORY_FAULT", "TDX", "ARM_SEA",
	"ARM_LDST64B", "SNP_REQ_CERTS",
};

const char *kc_request_label(int index)
{
	const struct kc_arch_rules *rules = kc_rules();

	if (index == KC_STATS_API)
		return "kvmcompl_complete()";
	return index >= 0 && (size_t)index < rules->n_requests ? rules->requests[index].name : "?";
}

const char *kc_exit_name(unsigned int reason)
{
	return reason < sizeof exit_names / sizeof *exit_names ? exit_names[reason] : NULL;
}

/* Append "NAME COUNT" pairs to line; returns the new length. */
static int add(char *line, int n, int size, const char *name, unsigned int number,
	       uint64_t count, int *first)
{
	char part[96];
	int len;

	if (!count)
		return n;
	len = name ? kc_snprintf(part, sizeof part, "%s%s %lu", *first ? "" : ", ", name,
				 (unsigned long)count)
		   : kc_snprintf(part, sizeof part, "%s%u %lu", *first ? "" : ", ", number,
				 (unsigned long)count);
	*first = 0;
	if (n + len < size) {
		memcpy(line + n, part, (size_t)len + 1);
		n += len;
	}
	return n;
}

void kc_stats_report(const struct kc_stats *s, int id, int fd)
{
	char reasons[400] = "", requests[400] = "";
	int n = 0, first = 1;

	if (!atomic_load_explicit(&stats_on, memory_order_relaxed))
		return;
	for (unsigned int r = 0; r < KC_STATS_REASONS; r++)
		n = add(reasons, n, sizeof reasons, kc_exit_name(r), r,
			atomic_load_explicit(&s->by_reason[r], memory_order_relaxed), &first);
	n = 0;
	first = 1;
	for (unsigned int i = 0; i <= KC_STATS_REQUESTS; i++)
		n = add(requests, n, sizeof requests, kc_request_label((int)i), i,
			atomic_load_explicit(&s->by_request[i], memory_order_relaxed), &first);
	kc_log_always("stats: vCPU %d (fd %d): %lu exits%s%s%s; %lu flagged; %lu completions%s%s%s; %lu produced a new exit; %lu failed",
		      id, fd, (unsigned long)atomic_load(&s->exits),
		      *reasons ? " (" : "", reasons, *reasons ? ")" : "",
		      (unsigned long)atomic_load(&s->flagged),
		      (unsigned long)atomic_load(&s->completions),
		      *requests ? " (" : "", requests, *requests ? ")" : "",
		      (unsigned long)atomic_load(&s->new_exits),
		      (unsigned long)atomic_load(&s->failures));
}
