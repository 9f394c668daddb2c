/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* s390 rules. Source: doc/kernel-rules.md, s390 part, checked
 * against arch/s390/kvm/kvm-s390.c kvm_arch_vcpu_ioctl_run: no exit leaves
 * work for a later KVM_RUN, so nothing is flagged. The trigger list is kept
 * anyway: the table is the data. */
#include "config.h"

#include "compat.h"
#include "rules.h"

/* Sizes from arch/s390/include/uapi/asm/kvm.h and <linux/kvm.h> (asserted
 * below); STORE_STATUS takes an unsigned long (8). */
static const struct kc_request s390_requests[] = {
	{ KC_GEN_IOR(0x81, 0x80),  KC_REQ_TRIGGER,  "KVM_GET_REGS" },
	{ KC_GEN_IOW(0x82, 0x80),  KC_REQ_TRIGGER,  "KVM_SET_REGS" },
	{ KC_GEN_IOR(0x83, 0xc0),  KC_REQ_TRIGGER,  "KVM_GET_SREGS" },
	{ KC_GEN_IOW(0x84, 0xc0),  KC_REQ_TRIGGER,  "KVM_SET_SREGS" },
	{ KC_GEN_IOR(0x8c, 0x88),  KC_REQ_TRIGGER,  "KVM_GET_FPU" },
	{ KC_GEN_IOW(0x8d, 0x88),  KC_REQ_TRIGGER,  "KVM_SET_FPU" },
	{ KC_GEN_IOR(0x98, 0x4),   KC_REQ_TRIGGER,  "KVM_GET_MP_STATE" },
	{ KC_GEN_IOW(0x99, 0x4),   KC_REQ_TRIGGER,  "KVM_SET_MP_STATE" },
	{ KC_GEN_IOW(0xab, 0x10),  KC_REQ_TRIGGER,  "KVM_GET_ONE_REG" },
	{ KC_GEN_IOW(0xac, 0x10),  KC_REQ_TRIGGER,  "KVM_SET_ONE_REG" },
	{ KC_GEN_IOW(0x95, 0x8),   KC_REQ_TRIGGER,  "KVM_S390_STORE_STATUS" },
	{ KC_GEN_IOW(0x96, 0x10),  KC_REQ_TRIGGER,  "KVM_S390_SET_INITIAL_PSW" },
	{ KC_GEN_IO(0x97),         KC_REQ_TRIGGER,  "KVM_S390_INITIAL_RESET" },
	{ KC_GEN_IO(0xc3),         KC_REQ_TRIGGER,  "KVM_S390_NORMAL_RESET" },
	{ KC_GEN_IO(0xc4),         KC_REQ_TRIGGER,  "KVM_S390_CLEAR_RESET" },
	{ KC_GEN_IOW(0xb6, 0x20),  KC_REQ_TRIGGER,  "KVM_S390_GET_IRQ_STATE" },
	{ KC_GEN_IOW(0xb5, 0x20),  KC_REQ_TRIGGER,  "KVM_S390_SET_IRQ_STATE" },

	/* Exit protocol (doc/interface.md); s390 injects with S390_IRQ/S390_INTERRUPT,
	 * it has no KVM_INTERRUPT. */
	{ KC_GEN_IOW(0x8b, 0x4),   KC_REQ_PROTOCOL, "KVM_SET_SIGNAL_MASK" },
	{ KC_GEN_IOW(0x9b, 0x18),  KC_REQ_PROTOCOL, "KVM_SET_GUEST_DEBUG" },
	{ KC_GEN_IOW(0xb4, 0x48),  KC_REQ_PROTOCOL, "KVM_S390_IRQ" },
	{ KC_GEN_IOW(0x94, 0x10),  KC_REQ_PROTOCOL, "KVM_S390_INTERRUPT" },
};

const struct kc_arch_rules kc_rules_s390 = {
	"s390", NULL, 0,
	s390_requests, sizeof s390_requests / sizeof *s390_requests,
	KVM_CAP_NEEDS_COMPLETION,
	KC_GENERIC_PROTOCOL,
};
