/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* arm64 rules. Source: doc/kernel-rules.md, arm64 part, checked
 * against arch/arm64/kvm/arm.c kvm_arch_vcpu_ioctl_run and mmio.c. */
#include "config.h"

#include "compat.h"
#include "rules.h"

static const struct kc_exit_rule arm64_exits[] = {
	/* exit  subtype     value  completed by (arch/arm64/kvm), twice window */
	/* Reads AND writes: the completion advances PC for both (a replayed
	 * store repeats its side effect). Keyed on run->exit_reason; since
	 * 2113c5f62b74 "KVM: arm/arm64: Only skip MMIO insn once" (5.3) guarded
	 * by vcpu->mmio_needed; 0d640732dbeb (5.0) moved the skip into the
	 * completion without the guard: PC skipped twice in [5.0, 5.3). */
	KC_EXIT_TWICE_ANS(MMIO, KC_SUB_ANY, 0, KC_ANS_MMIO_READ, 0, 0,
		      "arm.c kvm_arch_vcpu_ioctl_run -> mmio.c kvm_handle_mmio_return",
		      KC_KVER(5, 0, 0), KC_KVER(5, 3, 0)),
	/* Not flagged: HYPERCALL (PC pre-incremented in handle_smc, x0-x3
	 * written by userspace via ONE_REG), ARM_NISV, ARM_SEA, ARM_LDST64B. */
};

/* Sizes from arch/arm64/include/uapi/asm/kvm.h (asserted below). Not listed:
 * KVM_GET/SET_REGS, SREGS, FPU: kvm_arch_vcpu_ioctl_get_regs() and friends
 * return -EINVAL on arm64; all state goes through ONE_REG. */
static const struct kc_request arm64_requests[] = {
	{ KC_GEN_IOR(0x98, 0x4),    KC_REQ_TRIGGER,  "KVM_GET_MP_STATE" },
	{ KC_GEN_IOW(0x99, 0x4),    KC_REQ_TRIGGER,  "KVM_SET_MP_STATE" },
	{ KC_GEN_IOW(0xab, 0x10),   KC_REQ_TRIGGER,  "KVM_GET_ONE_REG" },
	{ KC_GEN_IOW(0xac, 0x10),   KC_REQ_TRIGGER,  "KVM_SET_ONE_REG" },
	{ KC_GEN_IOW(0xe1, 0x18),   KC_REQ_TRIGGER,  "KVM_SET_DEVICE_ATTR" },
	{ KC_GEN_IOW(0xe2, 0x18),   KC_REQ_TRIGGER,  "KVM_GET_DEVICE_ATTR" },
	{ KC_GEN_IOR(0x9f, 0x40),   KC_REQ_TRIGGER,  "KVM_GET_VCPU_EVENTS" },
	{ KC_GEN_IOW(0xa0, 0x40),   KC_REQ_TRIGGER,  "KVM_SET_VCPU_EVENTS" },
	/* resets the vCPU (kvm_arch_vcpu_ioctl_vcpu_init): finish first */
	{ KC_GEN_IOW(0xae, 0x20),   KC_REQ_TRIGGER,  "KVM_ARM_VCPU_INIT" },

	/* Exit protocol (doc/interface.md): a VMM may call these while answering an exit. */
	{ KC_GEN_IOW(0x8b, 0x4),    KC_REQ_PROTOCOL, "KVM_SET_SIGNAL_MASK" },
	{ KC_GEN_IOW(0x9b, 0x208),  KC_REQ_PROTOCOL, "KVM_SET_GUEST_DEBUG" },
	{ KC_GEN_IOWR(0xb0, 0x8),   KC_REQ_PROTOCOL, "KVM_GET_REG_LIST" },
	{ KC_GEN_IOW(0xe3, 0x18),   KC_REQ_PROTOCOL, "KVM_HAS_DEVICE_ATTR" },
};

/* 239 is KVM_CAP_ARM_WRITABLE_IMP_ID_REGS on arm64 since 6.15: no default. */
const struct kc_arch_rules kc_rules_arm64 = {
	"arm64", arm64_exits, sizeof arm64_exits / sizeof *arm64_exits,
	arm64_requests, sizeof arm64_requests / sizeof *arm64_requests,
	0,
	KC_GENERIC_PROTOCOL,
};
