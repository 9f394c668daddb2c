/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>

#include "rules.h"

/* x86 kvm_fast_pio_out: an OUT to port 0x7e, while the VM keeps
 * KVM_X86_QUIRK_OUT_7E_INC_RIP (the default), has RIP advanced before the
 * exit and completes with complete_fast_pio_out_port_0x7e, which only
 * clears pio.count (8764ed55c970, 5.1; before 5.1 every fast OUT did so).
 * An emulated OUT owes nothing either (x86_emulate_instruction clears
 * pio.count). A string OUTS (count > 1) stays flagged. */
static bool out_7e_done(const struct kc_arch_rules *rules, const struct kvm_run *run)
{
	return rules == &kc_rules_x86 && run->exit_reason == KVM_EXIT_IO &&
	       run->io.direction == KVM_EXIT_IO_OUT && run->io.port == 0x7e &&
	       run->io.count == 1;
}

const struct kc_exit_rule *kc_exit_rule(const struct kc_arch_rules *rules,
					const struct kvm_run *run)
{
	return kc_exit_rule_q(rules, run, 0);
}

const struct kc_exit_rule *kc_exit_rule_q(const struct kc_arch_rules *rules,
					  const struct kvm_run *run, int out_7e_quirk_off)
{
	if (!out_7e_quirk_off && out_7e_done(rules, run))
		return NULL;
	for (size_t i = 0; i < rules->n_exits; i++) {
		const struct kc_exit_rule *r = &rules->exits[i];

		if (r->exit_reason != run->exit_reason)
			continue;
		switch (r->subtype) {
		case KC_SUB_ANY:
			return r;
		case KC_SUB_HYPERV_TYPE:
			if (run->hyperv.type == r->value)
				return r;
			break;
		case KC_SUB_MMIO_READ:
			if (!run->mmio.is_write)
				return r;
			break;
		case KC_SUB_IOCSR_READ:
			/* kvm_run.iocsr_io has the layout of kvm_run.mmio
			 * (phys_addr, data[8], len, is_write); pre-6.7 headers
			 * lack the member, so read it through mmio (asserted
			 * in rules-loongarch.c where the headers have it). */
			if (!run->mmio.is_write)
				return r;
			break;
		}
	}
	return NULL;
}

int kc_answer_area(const struct kc_exit_rule *rule, const struct kvm_run *run,
		   size_t run_size, unsigned int *off, unsigned int *len)
{
	unsigned long o, n;

	switch (rule ? rule->answer : KC_ANS_NONE) {
	case KC_ANS_NONE:
		return 0;
	case KC_ANS_IO_IN:
		if (run->io.direction != KVM_EXIT_IO_IN)
			return 0;
		o = run->io.data_offset;
		n = (unsigned long)run->io.size * run->io.count;
		if (o < sizeof(struct kvm_run))
			return 0; /* the kernel puts it past kvm_run (page 1) */
		break;
	case KC_ANS_MMIO_READ:
		/* loongarch's iocsr_io has the same layout (rules-loongarch.c) */
		if (run->mmio.is_write)
			return 0;
		o = offsetof(struct kvm_run, mmio.data);
		n = run->mmio.len;
		break;
	case KC_ANS_RDMSR:
		o = offsetof(struct kvm_run, msr.data);
		n = 8;
		break;
	case KC_ANS_FIELD:
		o = rule->ans_off;
		n = 8ul * rule->ans_units;
		break;
	default:
		return 0;
	}
	if (n > 8 && rule->answer != KC_ANS_FIELD)
		n = 8; /* string IN: the first 8 bytes decide */
	if (n == 0 || n > 8ul * KC_ANS_MAX_UNITS || o > run_size || n > run_size - o)
		return 0; /* nothing sane to watch: counts as answered */
	*off = (unsigned int)o;
	*len = (unsigned int)n;
	return 1;
}

bool kc_request_writes(const struct kc_request *r)
{
	return strstr(r->name, "SET_") || strstr(r->name, "RESET") ||
	       strstr(r->name, "VCPU_INIT");
}

const struct kc_request *kc_request_find(const struct kc_arch_rules *rules,
					 unsigned int request)
{
	for (size_t i = 0; i < rules->n_requests; i++)
		if (rules->requests[i].request == request)
			return &rules->requests[i];
	return NULL;
}

enum kc_req_class kc_request_class(const struct kc_arch_rules *rules,
				   unsigned int request)
{
	const struct kc_request *r = kc_request_find(rules, request);

	return r ? r->class : KC_REQ_OTHER;
}

const char *kc_request_name(const struct kc_arch_rules *rules,
			    unsigned int request)
{
	const struct kc_request *r = kc_request_find(rules, request);

	return r ? r->name : NULL;
}

const struct kc_arch_rules *const kc_all_rules[] = {
	&kc_rules_x86, &kc_rules_arm64, &kc_rules_powerpc, &kc_rules_riscv,
	&kc_rules_loongarch, &kc_rules_mips, &kc_rules_s390, NULL,
};

const struct kc_arch_rules *kc_rules_by_name(const char *arch)
{
	if (!arch)
		return NULL;
	for (size_t i = 0; kc_all_rules[i]; i++)
		if (strcmp(kc_all_rules[i]->arch, arch) == 0)
			return kc_all_rules[i];
	return NULL;
}

/* The build's target architecture picks the table. */
#if defined(__x86_64__) || defined(__i386__)
#define KC_NATIVE &kc_rules_x86
#elif defined(__aarch64__)
#define KC_NATIVE &kc_rules_arm64
#elif defined(__powerpc__) || defined(__powerpc64__)
#define KC_NATIVE &kc_rules_powerpc
#elif defined(__riscv)
#define KC_NATIVE &kc_rules_riscv
#elif defined(__loongarch__)
#define KC_NATIVE &kc_rules_loongarch
#elif defined(__mips__)
#define KC_NATIVE &kc_rules_mips
#elif defined(__s390__) || defined(__s390x__)
#define KC_NATIVE &kc_rules_s390
#else
/* No KVM rules known for this architecture: nothing is flagged or
 * completed (pass-through). */
static const struct kc_arch_rules no_rules = {
	"none", NULL, 0, NULL, 0, 0, KC_GENERIC_PROTOCOL,
};
#define KC_NATIVE &no_rules
#endif

const struct kc_arch_rules *const kc_native_rules = KC_NATIVE;
_Atomic(const struct kc_arch_rules *) kc_rules_active = KC_NATIVE;

/* The protocol numbers of the build's own table are the kernel's. */
#if defined(__powerpc__) || defined(__mips__)
#define NATIVE_IO KC_PM_IO
#define NATIVE_IOW KC_PM_IOW
#define NATIVE_IOWR KC_PM_IOWR
#else
#define NATIVE_IO KC_GEN_IO
#define NATIVE_IOW KC_GEN_IOW
#define NATIVE_IOWR KC_GEN_IOWR
#endif
_Static_assert(NATIVE_IO(0x80) == KVM_RUN, "KVM_RUN");
_Static_assert(NATIVE_IO(0x01) == KVM_CREATE_VM, "KVM_CREATE_VM");
_Static_assert(NATIVE_IO(0x41) == KVM_CREATE_VCPU, "KVM_CREATE_VCPU");
_Static_assert(NATIVE_IO(0x03) == KVM_CHECK_EXTENSION, "KVM_CHECK_EXTENSION");
_Static_assert(NATIVE_IO(0x04) == KVM_GET_VCPU_MMAP_SIZE, "KVM_GET_VCPU_MMAP_SIZE");
_Static_assert(NATIVE_IOW(0x8b, 4) == KVM_SET_SIGNAL_MASK, "KVM_SET_SIGNAL_MASK");
_Static_assert(NATIVE_IOWR(0xe0, 12) == KVM_CREATE_DEVICE, "KVM_CREATE_DEVICE");
