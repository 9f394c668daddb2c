#include "config.h"

#include <string.h>

#include "rules.h"

const struct kc_exit_rule *kc_exit_rule(const struct kc_arch_rules *rules,
					const struct kvm_run *run)
{
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
