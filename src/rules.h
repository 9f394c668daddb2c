/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Per-architecture rules as data: which exits leave work that only another
 * KVM_RUN finishes, and which vCPU ioctls must see that work finished.
 * Reviewers check the tables against doc/kernel-rules.md. */
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
	KC_SUB_IOCSR_READ,   /* only IOCSR reads (run->iocsr_io.is_write == 0) */
};

/* Where the VMM writes the answer of an exit, the bytes the kernel copies
 * into the guest when it finishes it (doc/interface.md, answer-aware completion). */
enum kc_answer {
	KC_ANS_NONE,      /* nothing flows back (OUT, MMIO write, WRMSR, ...),
			     or no known field: counts as answered */
	KC_ANS_IO_IN,     /* IN/INS: the first min(8, size * count) bytes at
			     io.data_offset; OUT: none */
	KC_ANS_MMIO_READ, /* a read: mmio.data[0..len) (len <= 8); a write: none */
	KC_ANS_FIELD,     /* ans_units fields of 8 bytes at ans_off */
	KC_ANS_RDMSR,     /* msr.data; a non-zero msr.error answers too (the
			     kernel sets it to 0 at the exit: kvm_msr_user_space) */
};
#define KC_ANS_MAX_UNITS 2 /* riscv SBI: ret[0] and ret[1] */

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
	enum kc_answer answer;
	unsigned short ans_off;  /* KC_ANS_FIELD: offset in struct kvm_run */
	unsigned char ans_units; /* KC_ANS_FIELD: how many 8-byte fields */
};

/* Table rows: the exit named without its KVM_EXIT_ prefix. */
#define KC_EXIT(reason, sub, value, source) \
	{ KVM_EXIT_##reason, sub, value, #reason, source, 0, 0, KC_ANS_NONE, 0, 0 }
#define KC_EXIT_TWICE(reason, sub, value, source, from, until) \
	{ KVM_EXIT_##reason, sub, value, #reason, source, from, until, KC_ANS_NONE, 0, 0 }
/* Rows whose exit expects an answer: kind, and for KC_ANS_FIELD its place. */
#define KC_EXIT_ANS(reason, sub, value, ans, off, units, source) \
	{ KVM_EXIT_##reason, sub, value, #reason, source, 0, 0, ans, off, units }
#define KC_EXIT_TWICE_ANS(reason, sub, value, ans, off, units, source, from, until) \
	{ KVM_EXIT_##reason, sub, value, #reason, source, from, until, ans, off, units }

/* Request numbers written out, so every architecture's table builds on any
 * host. Type is always KVMIO (0xAE).
 * Generic layout (include/uapi/asm-generic/ioctl.h; x86, arm64, riscv,
 * loongarch, s390): nr 8 bits, type 8 at 8, size 14 at 16, dir 2 at 30. */
#define KC_GEN_NONE  0u
#define KC_GEN_WRITE 1u
#define KC_GEN_READ  2u
#define KC_IOC_GENERIC(dir, nr, size) \
	(((unsigned int)(dir) << 30) | ((unsigned int)(size) << 16) | \
	 (0xAEu << 8) | (unsigned int)(nr))
#define KC_GEN_IO(nr)         KC_IOC_GENERIC(KC_GEN_NONE, nr, 0)
#define KC_GEN_IOW(nr, size)  KC_IOC_GENERIC(KC_GEN_WRITE, nr, size)
#define KC_GEN_IOR(nr, size)  KC_IOC_GENERIC(KC_GEN_READ, nr, size)
#define KC_GEN_IOWR(nr, size) KC_IOC_GENERIC(KC_GEN_READ | KC_GEN_WRITE, nr, size)

/* powerpc and mips layout (arch/powerpc/include/uapi/asm/ioctl.h,
 * arch/mips/include/uapi/asm/ioctl.h): size 13 bits at 16, dir 3 bits at 29,
 * _IOC_NONE 1, _IOC_READ 2, _IOC_WRITE 4. Only _IOWR numbers coincide with
 * the generic ones (6 << 29 == 3 << 30). */
#define KC_PM_NONE  1u
#define KC_PM_READ  2u
#define KC_PM_WRITE 4u
#define KC_IOC_PPC_MIPS(dir, nr, size) \
	(((unsigned int)(dir) << 29) | ((unsigned int)(size) << 16) | \
	 (0xAEu << 8) | (unsigned int)(nr))
#define KC_PM_IO(nr)         KC_IOC_PPC_MIPS(KC_PM_NONE, nr, 0)
#define KC_PM_IOW(nr, size)  KC_IOC_PPC_MIPS(KC_PM_WRITE, nr, size)
#define KC_PM_IOR(nr, size)  KC_IOC_PPC_MIPS(KC_PM_READ, nr, size)
#define KC_PM_IOWR(nr, size) KC_IOC_PPC_MIPS(KC_PM_READ | KC_PM_WRITE, nr, size)

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

/* The requests the library itself acts on or issues, in this
 * architecture's numbering (powerpc and mips lay _IOC out differently), so
 * that a build can also run another architecture's rules in tests. */
struct kc_protocol_requests {
	unsigned int run, create_vm, create_vcpu, check_extension,
		     get_vcpu_mmap_size, set_signal_mask, create_device;
};
#define KC_PROTOCOL(IO, IOW, IOWR) \
	{ IO(0x80), IO(0x01), IO(0x41), IO(0x03), IO(0x04), \
	  IOW(0x8b, 4) /* struct kvm_signal_mask */, \
	  IOWR(0xe0, 12) /* struct kvm_create_device */ }
#define KC_GENERIC_PROTOCOL KC_PROTOCOL(KC_GEN_IO, KC_GEN_IOW, KC_GEN_IOWR)
#define KC_PPC_MIPS_PROTOCOL KC_PROTOCOL(KC_PM_IO, KC_PM_IOW, KC_PM_IOWR)

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
	struct kc_protocol_requests req;
};

extern const struct kc_arch_rules kc_rules_x86;
extern const struct kc_arch_rules kc_rules_arm64;
extern const struct kc_arch_rules kc_rules_powerpc;
extern const struct kc_arch_rules kc_rules_riscv;
extern const struct kc_arch_rules kc_rules_loongarch;
extern const struct kc_arch_rules kc_rules_mips;
extern const struct kc_arch_rules kc_rules_s390;

/* Every table, NULL-terminated (for the unit tests). */
extern const struct kc_arch_rules *const kc_all_rules[];

/* The table whose ->arch is this name ("x86", "arm64", "powerpc", "riscv",
 * "loongarch", "mips", "s390"), or NULL. */
const struct kc_arch_rules *kc_rules_by_name(const char *arch);

/* The rules of the architecture this library was built for. */
extern const struct kc_arch_rules *const kc_native_rules;

/* The rules in force: the build's, or another architecture's when a test
 * asks for it (KVMCOMPL_TEST_ARCH, set once with the settings). */
extern _Atomic(const struct kc_arch_rules *) kc_rules_active;
static inline const struct kc_arch_rules *kc_rules(void)
{
	return __atomic_load_n((const struct kc_arch_rules **)&kc_rules_active, __ATOMIC_RELAXED);
}

/* The rule that makes this exit owe a completion, or NULL, for a VM with
 * the default quirks (x86: KVM_X86_QUIRK_OUT_7E_INC_RIP on). */
const struct kc_exit_rule *kc_exit_rule(const struct kc_arch_rules *rules,
					const struct kvm_run *run);

/* The same for a VM that disabled KVM_X86_QUIRK_OUT_7E_INC_RIP when
 * out_7e_quirk_off (KVM_ENABLE_CAP(KVM_CAP_DISABLE_QUIRKS/QUIRKS2)). */
const struct kc_exit_rule *kc_exit_rule_q(const struct kc_arch_rules *rules,
					  const struct kvm_run *run, int out_7e_quirk_off);

/* The answer area of an exit that owes a completion: *off and *len (bytes,
 * in units of at most 8) in struct kvm_run, or 0 when it expects none.
 * run_size bounds the area (io.data_offset comes from the kernel). */
int kc_answer_area(const struct kc_exit_rule *rule, const struct kvm_run *run,
		   size_t run_size, unsigned int *off, unsigned int *len);

/* Whether a trigger request writes vCPU state (KVM_SET_*, resets). */
bool kc_request_writes(const struct kc_request *r);

enum kc_req_class kc_request_class(const struct kc_arch_rules *rules,
				   unsigned int request);

/* The table row of a known request, or NULL. */
const struct kc_request *kc_request_find(const struct kc_arch_rules *rules,
					 unsigned int request);

/* Name of a known request, or NULL. */
const char *kc_request_name(const struct kc_arch_rules *rules,
			    unsigned int request);

#endif
