/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* riscv rules. Source: doc/kernel-rules.md, riscv part, checked
 * against arch/riscv/kvm/vcpu.c kvm_arch_vcpu_ioctl_run. Each completion is
 * keyed on run->exit_reason but guarded by a return_handled flag set when
 * the exit is made: running it again does nothing (no twice window). */
#include "config.h"

#include <stddef.h>

#include "compat.h"
#include "rules.h"

static const struct kc_exit_rule riscv_exits[] = {
	/* exit       subtype     value  completed by (arch/riscv/kvm) */
	/* loads write rd; sepc += insn length for loads AND stores */
	KC_EXIT_ANS(MMIO,      KC_SUB_ANY, 0, KC_ANS_MMIO_READ, 0, 0,
		    "vcpu_insn.c (vcpu_exit.c before 5.19) kvm_riscv_vcpu_mmio_return"),
	/* a0/a1 = run->riscv_sbi.ret[0..1], sepc += 4 */
	KC_EXIT_ANS(RISCV_SBI, KC_SUB_ANY, 0, KC_ANS_FIELD,
		    offsetof(struct kvm_run, riscv_sbi.ret), 2, "vcpu_sbi.c kvm_riscv_vcpu_sbi_return"),
	/* rd = run->riscv_csr.ret_value, sepc += insn length */
	KC_EXIT_ANS(RISCV_CSR, KC_SUB_ANY, 0, KC_ANS_FIELD,
		    offsetof(struct kvm_run, riscv_csr.ret_value), 1, "vcpu_insn.c kvm_riscv_vcpu_csr_return"),
};

/* Sizes from arch/riscv/include/uapi/asm/kvm.h (asserted below). Not listed:
 * KVM_GET/SET_REGS, SREGS, FPU (kvm_arch_vcpu_ioctl_get_regs and friends:
 * -EINVAL; state goes through ONE_REG); no vCPU device attributes. */
static const struct kc_request riscv_requests[] = {
	{ KC_GEN_IOR(0x98, 0x4),   KC_REQ_TRIGGER,  "KVM_GET_MP_STATE" },
	{ KC_GEN_IOW(0x99, 0x4),   KC_REQ_TRIGGER,  "KVM_SET_MP_STATE" },
	{ KC_GEN_IOW(0xab, 0x10),  KC_REQ_TRIGGER,  "KVM_GET_ONE_REG" },
	{ KC_GEN_IOW(0xac, 0x10),  KC_REQ_TRIGGER,  "KVM_SET_ONE_REG" },

	/* Exit protocol (doc/interface.md). */
	{ KC_GEN_IOW(0x86, 0x4),   KC_REQ_PROTOCOL, "KVM_INTERRUPT" },
	{ KC_GEN_IOW(0x8b, 0x4),   KC_REQ_PROTOCOL, "KVM_SET_SIGNAL_MASK" },
	/* struct kvm_guest_debug_arch is empty on riscv */
	{ KC_GEN_IOW(0x9b, 0x8),   KC_REQ_PROTOCOL, "KVM_SET_GUEST_DEBUG" },
	{ KC_GEN_IOWR(0xb0, 0x8),  KC_REQ_PROTOCOL, "KVM_GET_REG_LIST" },
};

const struct kc_arch_rules kc_rules_riscv = {
	"riscv", riscv_exits, sizeof riscv_exits / sizeof *riscv_exits,
	riscv_requests, sizeof riscv_requests / sizeof *riscv_requests,
	KVM_CAP_NEEDS_COMPLETION,
	KC_GENERIC_PROTOCOL,
};
