/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* loongarch rules. Source: doc/kernel-rules.md, loongarch part,
 * checked against arch/loongarch/kvm/vcpu.c kvm_arch_vcpu_ioctl_run and
 * exit.c (newest read: the loongarch-kvm-6.20 state, commit 01f492e1817e). */
#include "config.h"

#include "rules.h"

/* kc_exit_rule() reads an IOCSR exit's direction through run->mmio: check
 * the layouts agree wherever the headers have iocsr_io (6.7+). */
#ifdef KVM_EXIT_LOONGARCH_IOCSR
_Static_assert(offsetof(struct kvm_run, iocsr_io.is_write) ==
	       offsetof(struct kvm_run, mmio.is_write), "iocsr_io layout");
#endif

#include "compat.h"

/* KVM BUG, every kernel so far: the IOCSR and HYPERCALL completions are keyed
 * on run->exit_reason with no guard, run before the wants_to_run
 * (immediate_exit) check, and exit_reason is reset only after it. A KVM_RUN
 * after an EINTR return completes again (twice_from, no fix: twice_until 0).
 * IOCSR (6.7, the first loongarch KVM) re-writes the destination GPR from
 * run->iocsr_io.data; HYPERCALL (6.14) advances PC again and re-writes A0. */
static const struct kc_exit_rule loongarch_exits[] = {
	/* exit             subtype            value  completed by (arch/loongarch/kvm) */
	/* PC + GPR; guarded by mmio_needed. Writes: PC advanced before the exit. */
	KC_EXIT_ANS(MMIO,        KC_SUB_MMIO_READ,  0, KC_ANS_MMIO_READ, 0, 0,
		    "vcpu.c kvm_arch_vcpu_ioctl_run -> exit.c kvm_complete_mmio_read"),
	/* reads only (is_write checked); PC advanced in kvm_trap_handle_gspr */
	/* iocsr_io.data: the mmio layout (asserted above) */
	KC_EXIT_TWICE_ANS(LOONGARCH_IOCSR, KC_SUB_IOCSR_READ, 0, KC_ANS_MMIO_READ, 0, 0,
		      "vcpu.c kvm_arch_vcpu_ioctl_run -> exit.c kvm_complete_iocsr_read",
		      KC_KVER(6, 7, 0), 0),
	/* only KVM_HCALL_USER_SERVICE exits with KVM_EXIT_HYPERCALL; A0 =
	 * run->hypercall.ret */
	KC_EXIT_TWICE_ANS(HYPERCALL,       KC_SUB_ANY,        0, KC_ANS_FIELD,
		      offsetof(struct kvm_run, hypercall.ret), 1,
		      "vcpu.c kvm_arch_vcpu_ioctl_run -> exit.c kvm_complete_user_service",
		      KC_KVER(6, 14, 0), 0),
};

/* Sizes by hand from torvalds/linux arch/loongarch/include/uapi/asm/kvm.h
 * (Debian bookworm has no loongarch cross compiler or headers):
 * kvm_regs = gpr[32] + pc = 0x108; kvm_fpu = fcsr(4) + pad(4) + fcc(8) +
 * fpr[32] x 32 = 0x410; kvm_guest_debug_arch is empty, so kvm_guest_debug =
 * 8; the generic structs as on every 64-bit target. Not listed: KVM_GET/
 * SET_SREGS (kvm_arch_vcpu_ioctl_get_sregs: -ENOIOCTLCMD). */
static const struct kc_request loongarch_requests[] = {
	{ KC_GEN_IOR(0x81, 0x108),  KC_REQ_TRIGGER,  "KVM_GET_REGS" },
	{ KC_GEN_IOW(0x82, 0x108),  KC_REQ_TRIGGER,  "KVM_SET_REGS" },
	{ KC_GEN_IOR(0x8c, 0x410),  KC_REQ_TRIGGER,  "KVM_GET_FPU" },
	{ KC_GEN_IOW(0x8d, 0x410),  KC_REQ_TRIGGER,  "KVM_SET_FPU" },
	{ KC_GEN_IOR(0x98, 0x4),    KC_REQ_TRIGGER,  "KVM_GET_MP_STATE" },
	{ KC_GEN_IOW(0x99, 0x4),    KC_REQ_TRIGGER,  "KVM_SET_MP_STATE" },
	{ KC_GEN_IOW(0xab, 0x10),   KC_REQ_TRIGGER,  "KVM_GET_ONE_REG" },
	{ KC_GEN_IOW(0xac, 0x10),   KC_REQ_TRIGGER,  "KVM_SET_ONE_REG" },
	{ KC_GEN_IOW(0xe1, 0x18),   KC_REQ_TRIGGER,  "KVM_SET_DEVICE_ATTR" },
	{ KC_GEN_IOW(0xe2, 0x18),   KC_REQ_TRIGGER,  "KVM_GET_DEVICE_ATTR" },

	/* Exit protocol (doc/interface.md). */
	{ KC_GEN_IOW(0x86, 0x4),    KC_REQ_PROTOCOL, "KVM_INTERRUPT" },
	{ KC_GEN_IOW(0x8b, 0x4),    KC_REQ_PROTOCOL, "KVM_SET_SIGNAL_MASK" },
	{ KC_GEN_IOW(0x9b, 0x8),    KC_REQ_PROTOCOL, "KVM_SET_GUEST_DEBUG" },
	{ KC_GEN_IOW(0xe3, 0x18),   KC_REQ_PROTOCOL, "KVM_HAS_DEVICE_ATTR" },
};

const struct kc_arch_rules kc_rules_loongarch = {
	"loongarch", loongarch_exits, sizeof loongarch_exits / sizeof *loongarch_exits,
	loongarch_requests, sizeof loongarch_requests / sizeof *loongarch_requests,
	KVM_CAP_NEEDS_COMPLETION,
	KC_GENERIC_PROTOCOL,
};
