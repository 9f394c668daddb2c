/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* powerpc rules. Source: doc/kernel-rules.md, powerpc part, checked
 * against arch/powerpc/kvm/powerpc.c kvm_arch_vcpu_ioctl_run. The PC is
 * advanced before the exit; completions write registers and clear private
 * *_needed flags, so running them again does nothing (no twice window). */
#include "config.h"

#include <stddef.h>

#include "compat.h"
#include "rules.h"

static const struct kc_exit_rule powerpc_exits[] = {
	/* exit        subtype     value  completed by (arch/powerpc/kvm/powerpc.c) */
	/* Loads write the register (kvmppc_complete_mmio_load). Stores too:
	 * a VSX/VMX access split into elements (mmio_vsx/vmx_copy_nums) is
	 * continued by the completion for loads AND stores
	 * (kvmppc_emulate_mmio_vsx_loadstore / _vmx_loadstore -> NEW
	 * KVM_EXIT_MMIO), and userspace cannot tell a split store from a plain
	 * one, so every MMIO exit is flagged. */
	KC_EXIT_ANS(MMIO,   KC_SUB_ANY, 0, KC_ANS_MMIO_READ, 0, 0,
		"kvm_arch_vcpu_ioctl_run: kvmppc_complete_mmio_load, kvmppc_emulate_mmio_vsx/vmx_loadstore"),
	/* OSI: the 32 GPRs are the call's input and its answer at once; a
	 * marker would hide the input, so no answer is watched */
	KC_EXIT(OSI,        KC_SUB_ANY, 0, "kvm_arch_vcpu_ioctl_run: osi_needed, 32 GPRs from run->osi"),
	/* ret is the answer (r3); args[] are inputs copied back to r4..r12 */
	KC_EXIT_ANS(PAPR_HCALL, KC_SUB_ANY, 0, KC_ANS_FIELD,
		offsetof(struct kvm_run, papr_hcall.ret), 1,
		"kvm_arch_vcpu_ioctl_run: hcall_needed, r3..r12 from run->papr_hcall"),
	/* booke only (CONFIG_BOOKE) */
	KC_EXIT(EPR,        KC_SUB_ANY, 0, "kvm_arch_vcpu_ioctl_run: epr_needed, kvmppc_set_epr"),
	/* old 440 kernels only (dcr_needed, since removed) */
	KC_EXIT(DCR,        KC_SUB_ANY, 0, "kvm_arch_vcpu_ioctl_run: dcr_needed, kvmppc_complete_dcr_load"),
};

/* powerpc _IOC layout (KC_IOC_PPC_MIPS); sizes from
 * arch/powerpc/include/uapi/asm/kvm.h (asserted below). Not listed:
 * KVM_GET/SET_FPU (kvm_arch_vcpu_ioctl_get_fpu: -EOPNOTSUPP) and
 * KVM_GET/SET_MP_STATE (-EINVAL); no vCPU device attributes. */
static const struct kc_request powerpc_requests[] = {
	{ KC_PM_IOR(0x81, 0x188),  KC_REQ_TRIGGER,  "KVM_GET_REGS" },
	{ KC_PM_IOW(0x82, 0x188),  KC_REQ_TRIGGER,  "KVM_SET_REGS" },
	{ KC_PM_IOR(0x83, 0x4d0),  KC_REQ_TRIGGER,  "KVM_GET_SREGS" },
	{ KC_PM_IOW(0x84, 0x4d0),  KC_REQ_TRIGGER,  "KVM_SET_SREGS" },
	{ KC_PM_IOW(0xab, 0x10),   KC_REQ_TRIGGER,  "KVM_GET_ONE_REG" },
	{ KC_PM_IOW(0xac, 0x10),   KC_REQ_TRIGGER,  "KVM_SET_ONE_REG" },

	/* Exit protocol (doc/interface.md). */
	{ KC_PM_IOWR(0x85, 0x18),  KC_REQ_PROTOCOL, "KVM_TRANSLATE" },
	{ KC_PM_IOW(0x86, 0x4),    KC_REQ_PROTOCOL, "KVM_INTERRUPT" },
	{ KC_PM_IOW(0x8b, 0x4),    KC_REQ_PROTOCOL, "KVM_SET_SIGNAL_MASK" },
	{ KC_PM_IOW(0x9b, 0x108),  KC_REQ_PROTOCOL, "KVM_SET_GUEST_DEBUG" },
};

const struct kc_arch_rules kc_rules_powerpc = {
	"powerpc", powerpc_exits, sizeof powerpc_exits / sizeof *powerpc_exits,
	powerpc_requests, sizeof powerpc_requests / sizeof *powerpc_requests,
	KVM_CAP_NEEDS_COMPLETION,
	KC_PPC_MIPS_PROTOCOL,
};
