/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* x86 rules. Source: doc/kernel-rules.md, x86 part; each completion
 * is a vcpu->arch.complete_userspace_io callback in arch/x86/kvm. */
#include "config.h"

#include <stddef.h>

#include "compat.h"
#include "rules.h"

/* x86 uses the generic _IOC layout (asm-generic/ioctl.h): 2 direction bits
 * at 30, 14 size bits at 16 (KC_IOC_GENERIC in rules.h). */
#define X86_IO(nr) KC_GEN_IO(nr)
#define X86_IOW(nr, size) KC_GEN_IOW(nr, size)
#define X86_IOR(nr, size) KC_GEN_IOR(nr, size)
#define X86_IOWR(nr, size) KC_GEN_IOWR(nr, size)

static const struct kc_exit_rule x86_exits[] = {
	/* exit           subtype             value  completed by (arch/x86/kvm) */
	/* IN: the answer is the I/O data the completion copies into RAX or
	 * memory; OUT to port 0x7e owes nothing (rules.c out_7e_done) */
	KC_EXIT_ANS(IO,        KC_SUB_ANY, 0, KC_ANS_IO_IN, 0, 0,
		    "x86.c complete_fast_pio_in/out, complete_emulated_pio"),
	/* writes too: a write split across pages owes its second half */
	KC_EXIT_ANS(MMIO,      KC_SUB_ANY, 0, KC_ANS_MMIO_READ, 0, 0,
		    "x86.c complete_emulated_mmio"),
	KC_EXIT_ANS(X86_RDMSR, KC_SUB_ANY, 0, KC_ANS_RDMSR, 0, 0,
		    "x86.c complete_fast_rdmsr, complete_emulated_rdmsr"),
	/* msr.error is an answer too, but 0 (success) is the kernel's own
	 * value: nothing to tell an answer from its absence */
	KC_EXIT(X86_WRMSR,     KC_SUB_ANY, 0, "x86.c complete_fast_msr_access"),
	KC_EXIT_ANS(HYPERCALL, KC_SUB_ANY, 0, KC_ANS_FIELD,
		    offsetof(struct kvm_run, hypercall.ret), 1, "x86.c complete_hypercall_exit"),
	/* only KVM_EXIT_XEN_HCALL exists */
	KC_EXIT_ANS(XEN,       KC_SUB_ANY, 0, KC_ANS_FIELD,
		    offsetof(struct kvm_run, xen.u.hcall.result), 1,
		    "xen.c kvm_xen_hypercall_complete_userspace"),
	/* SYNIC and SYNDBG exits have no completion */
	KC_EXIT_ANS(HYPERV,    KC_SUB_HYPERV_TYPE, KVM_EXIT_HYPERV_HCALL, KC_ANS_FIELD,
		    offsetof(struct kvm_run, hyperv.u.hcall.result), 1,
		    "hyperv.c kvm_hv_hypercall_complete_userspace"),
	/* struct kvm_tdx_exit (6.16): flags, nr, then every sub-call's ret */
	KC_EXIT_ANS(TDX,       KC_SUB_ANY, 0, KC_ANS_FIELD,
		    offsetof(struct kvm_run, hypercall) + 16, 1, "vmx/tdx.c tdx_complete_*"),
	/* answer layout not in any header this was checked against: no
	 * answer known, a trigger completes as before */
	KC_EXIT(SNP_REQ_CERTS, KC_SUB_ANY, 0, "svm/sev.c snp_complete_req_certs"),
	/* VMX needs nothing, SVM (6.16+) does; they cannot be told apart
	 * cheaply, so flag conservatively */
	KC_EXIT(X86_BUS_LOCK,  KC_SUB_ANY, 0, "x86.c complete_userspace_buslock"),
};

static const struct kc_request x86_requests[] = {
	{ X86_IOR(0x81, 0x90), KC_REQ_TRIGGER, "KVM_GET_REGS" },
	{ X86_IOW(0x82, 0x90), KC_REQ_TRIGGER, "KVM_SET_REGS" },
	{ X86_IOR(0x83, 0x138), KC_REQ_TRIGGER, "KVM_GET_SREGS" },
	{ X86_IOW(0x84, 0x138), KC_REQ_TRIGGER, "KVM_SET_SREGS" },
	{ X86_IOWR(0x88, 0x8), KC_REQ_TRIGGER, "KVM_GET_MSRS" },
	{ X86_IOW(0x89, 0x8), KC_REQ_TRIGGER, "KVM_SET_MSRS" },
	{ X86_IOR(0x8c, 0x1a0), KC_REQ_TRIGGER, "KVM_GET_FPU" },
	{ X86_IOW(0x8d, 0x1a0), KC_REQ_TRIGGER, "KVM_SET_FPU" },
	{ X86_IOR(0x8e, 0x400), KC_REQ_TRIGGER, "KVM_GET_LAPIC" },
	{ X86_IOW(0x8f, 0x400), KC_REQ_TRIGGER, "KVM_SET_LAPIC" },
	{ X86_IOR(0x98, 0x4), KC_REQ_TRIGGER, "KVM_GET_MP_STATE" },
	{ X86_IOW(0x99, 0x4), KC_REQ_TRIGGER, "KVM_SET_MP_STATE" },
	{ X86_IOR(0x9f, 0x40), KC_REQ_TRIGGER, "KVM_GET_VCPU_EVENTS" },
	{ X86_IOW(0xa0, 0x40), KC_REQ_TRIGGER, "KVM_SET_VCPU_EVENTS" },
	{ X86_IOR(0xa1, 0x80), KC_REQ_TRIGGER, "KVM_GET_DEBUGREGS" },
	{ X86_IOW(0xa2, 0x80), KC_REQ_TRIGGER, "KVM_SET_DEBUGREGS" },
	{ X86_IOR(0xa4, 0x1000), KC_REQ_TRIGGER, "KVM_GET_XSAVE" },
	{ X86_IOW(0xa5, 0x1000), KC_REQ_TRIGGER, "KVM_SET_XSAVE" },
	{ X86_IOR(0xcf, 0x1000), KC_REQ_TRIGGER, "KVM_GET_XSAVE2" },
	{ X86_IOR(0xa6, 0x188), KC_REQ_TRIGGER, "KVM_GET_XCRS" },
	{ X86_IOW(0xa7, 0x188), KC_REQ_TRIGGER, "KVM_SET_XCRS" },
	{ X86_IOW(0xab, 0x10), KC_REQ_TRIGGER, "KVM_GET_ONE_REG" },
	{ X86_IOW(0xac, 0x10), KC_REQ_TRIGGER, "KVM_SET_ONE_REG" },
	{ X86_IOWR(0xbe, 0x80), KC_REQ_TRIGGER, "KVM_GET_NESTED_STATE" },
	{ X86_IOW(0xbf, 0x80), KC_REQ_TRIGGER, "KVM_SET_NESTED_STATE" },
	{ X86_IOR(0xcc, 0x140), KC_REQ_TRIGGER, "KVM_GET_SREGS2" },
	{ X86_IOW(0xcd, 0x140), KC_REQ_TRIGGER, "KVM_SET_SREGS2" },
	{ X86_IOW(0xe1, 0x18), KC_REQ_TRIGGER, "KVM_SET_DEVICE_ATTR" },
	{ X86_IOW(0xe2, 0x18), KC_REQ_TRIGGER, "KVM_GET_DEVICE_ATTR" },

	/* Exit protocol or no guest state: a VMM may call these while
	 * answering an exit (doc/interface.md, "Compatibility decisions"). */
	{ X86_IOWR(0x85, 0x18), KC_REQ_PROTOCOL, "KVM_TRANSLATE" },
	{ X86_IOW(0x86, 0x4), KC_REQ_PROTOCOL, "KVM_INTERRUPT" },
	{ X86_IO(0x9a), KC_REQ_PROTOCOL, "KVM_NMI" },
	{ X86_IO(0xb7), KC_REQ_PROTOCOL, "KVM_SMI" },
	{ X86_IOW(0x9e, 0x40), KC_REQ_PROTOCOL, "KVM_X86_SET_MCE" },
	{ X86_IOW(0x8b, 0x4), KC_REQ_PROTOCOL, "KVM_SET_SIGNAL_MASK" },
	{ X86_IOW(0x9b, 0x48), KC_REQ_PROTOCOL, "KVM_SET_GUEST_DEBUG" },
	{ X86_IO(0xad), KC_REQ_PROTOCOL, "KVM_KVMCLOCK_CTRL" },
	{ X86_IOWR(0xb0, 0x8), KC_REQ_PROTOCOL, "KVM_GET_REG_LIST" },
	{ X86_IOW(0xe3, 0x18), KC_REQ_PROTOCOL, "KVM_HAS_DEVICE_ATTR" },
	{ X86_IOWR(0xca, 0x48), KC_REQ_PROTOCOL, "KVM_XEN_VCPU_GET_ATTR" },
	{ X86_IOW(0xcb, 0x48), KC_REQ_PROTOCOL, "KVM_XEN_VCPU_SET_ATTR" },
	{ X86_IO(0xa2), KC_REQ_PROTOCOL, "KVM_SET_TSC_KHZ" },
	{ X86_IO(0xa3), KC_REQ_PROTOCOL, "KVM_GET_TSC_KHZ" },
	{ X86_IOWR(0x91, 0x8), KC_REQ_PROTOCOL, "KVM_GET_CPUID2" },
	{ X86_IOW(0x90, 0x8), KC_REQ_PROTOCOL, "KVM_SET_CPUID2" },
};

const struct kc_arch_rules kc_rules_x86 = {
	"x86", x86_exits, sizeof x86_exits / sizeof *x86_exits,
	x86_requests, sizeof x86_requests / sizeof *x86_requests,
	KVM_CAP_NEEDS_COMPLETION,
	KC_GENERIC_PROTOCOL,
};
