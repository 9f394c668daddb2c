/* Per-architecture rules as data: which exits leave work that only another
 * KVM_RUN finishes, and which vCPU ioctls must see that work finished.
 * Reviewers check the tables against shared/docs/kernel-rules.md. */
#ifndef KC_RULES_H
#define KC_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/kvm.h>

/* Which part of kvm_run, beyond exit_reason, decides the rule. */
enum kc_subtype {
	KC_SUB_ANY,          /* every exit of this reason */
	KC_SUB_HYPERV_TYPE,  /* only run->hyperv.type == value */
	KC_SUB_MMIO_READ,    /* only MMIO reads (run->mmio.is_write == 0) */
};

/* A kernel version as comparable number (LINUX_VERSION_CODE layout). */
#define KC_KVER(a, b, c) (((unsigned int)(a) << 16) | ((unsigned int)(b) << 8) | (unsigned int)(c))

struct kc_exit_rule {
	unsigned int exit_reason;
	enum kc_subtype subtype;
	unsigned int value;
	const char *name;
	const char *source; /* the kernel function that does the completion */
	/* Kernels in [twice_from, twice_until) key this completion on
	 * run->exit_reason without a guard: a KVM_RUN after an EINTR return
	 * completes it again unless exit_reason is rewritten. twice_from 0:
	 * never; twice_until 0: no fixed kernel known. */
	unsigned int twice_from, twice_until;
};

/* Table rows: the exit named without its KVM_EXIT_ prefix. */
#define KC_EXIT(reason, sub, value, source) \
	{ KVM_EXIT_##reason, sub, value, #reason, source, 0, 0 }
#define KC_EXIT_TWICE(reason, sub, value, source, from, until) \
	{ KVM_EXIT_##reason, sub, value, #reason, source, from, until }

enum kc_req_class {
	KC_REQ_OTHER,    /* not a vCPU state ioctl: pass through */
	KC_REQ_TRIGGER,  /* reads or writes vCPU state: complete first */
	KC_REQ_PROTOCOL, /* part of answering an exit: never complete */
};

struct kc_request {
	unsigned int request; /* the full number, as (unsigned int)request */
	enum kc_req_class class;
	const char *name;
};

struct kc_arch_rules {
	const char *arch;
	const struct kc_exit_rule *exits;
	size_t n_exits;
	const struct kc_request *requests;
	size_t n_requests;
	/* The capability number answered by default; 0 where the proposed
	 * 239 means something else (arm64: KVM_CAP_ARM_WRITABLE_IMP_ID_REGS)
	 * and the user must choose one with KVMCOMPL_CAP. */
	unsigned int default_cap;
};

extern const struct kc_arch_rules kc_rules_x86;

/* The rules of the architecture this library was built for. */
extern const struct kc_arch_rules *const kc_rules;

/* The rule that makes this exit owe a completion, or NULL. */
const struct kc_exit_rule *kc_exit_rule(const struct kc_arch_rules *rules,
					const struct kvm_run *run);

enum kc_req_class kc_request_class(const struct kc_arch_rules *rules,
				   unsigned int request);

/* Name of a known request, or NULL. */
const char *kc_request_name(const struct kc_arch_rules *rules,
			    unsigned int request);

#endif
