/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* mips rules. Source: doc/kernel-rules.md, mips part, checked
 * against arch/mips/kvm/mips.c kvm_arch_vcpu_ioctl_run: the completion is
 * guarded by vcpu->mmio_needed (no twice window); stores advanced the PC
 * before the exit and owe nothing. */
#include "config.h"

#include "compat.h"
#include "rules.h"

static const struct kc_exit_rule mips_exits[] = {
	/* exit  subtype           value  completed by (arch/mips/kvm) */
	KC_EXIT_ANS(MMIO, KC_SUB_MMIO_READ, 0, KC_ANS_MMIO_READ, 0, 0,
		    "mips.c kvm_arch_vcpu_ioctl_run -> emulate.c kvm_mips_complete_mmio_load"),
};

/* mips _IOC layout (KC_IOC_PPC_MIPS); sizes from
 * arch/mips/include/uapi/asm/kvm.h (mips64, asserted below). Not listed:
 * KVM_GET/SET_SREGS, FPU, MP_STATE (-ENOIOCTLCMD on mips). */
static const struct kc_request mips_requests[] = {
	{ KC_PM_IOR(0x81, 0x118),  KC_REQ_TRIGGER,  "KVM_GET_REGS" },
	{ KC_PM_IOW(0x82, 0x118),  KC_REQ_TRIGGER,  "KVM_SET_REGS" },
	{ KC_PM_IOW(0xab, 0x10),   KC_REQ_TRIGGER,  "KVM_GET_ONE_REG" },
	{ KC_PM_IOW(0xac, 0x10),   KC_REQ_TRIGGER,  "KVM_SET_ONE_REG" },

	/* Exit protocol (doc/interface.md). */
	{ KC_PM_IOW(0x86, 0x4),    KC_REQ_PROTOCOL, "KVM_INTERRUPT" },
	{ KC_PM_IOW(0x8b, 0x4),    KC_REQ_PROTOCOL, "KVM_SET_SIGNAL_MASK" },
	{ KC_PM_IOW(0x9b, 0x8),    KC_REQ_PROTOCOL, "KVM_SET_GUEST_DEBUG" },
	{ KC_PM_IOWR(0xb0, 0x8),   KC_REQ_PROTOCOL, "KVM_GET_REG_LIST" },
};

const struct kc_arch_rules kc_rules_mips = {
	"mips", mips_exits, sizeof mips_exits / sizeof *mips_exits,
	mips_requests, sizeof mips_requests / sizeof *mips_requests,
	KVM_CAP_NEEDS_COMPLETION,
	KC_PPC_MIPS_PROTOCOL,
};
